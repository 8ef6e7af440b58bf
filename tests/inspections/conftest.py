"""A shop and its grid worker: the fixtures the inspection submission tests share."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def shop(district: Any, make_site: Any) -> Any:
    return make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"],
                     lat=30.3, lng=120.15)


@pytest.fixture
def worker(district: Any, make_user: Any) -> Any:
    return make_user("grid_worker", region=district.grid_a1)
