"""The people of the loop around one shop, logged in: the fixtures the hazard workflow tests share."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def shop(district: Any, make_site: Any) -> Any:
    return make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"],
                     lat=30.3, lng=120.15)


@pytest.fixture
def people(district: Any, shop: Any, make_user: Any, login: Any) -> dict[str, Any]:
    """Logged-in clients for every party of the loop around one shop (and ``users``: the accounts)."""
    users = {
        "worker": make_user("grid_worker", region=district.grid_a1),
        "owner": make_user("enterprise_user", site=shop),
        "inspector": make_user("inspector", region=district.street_a, department=district.fire_dept),
        "supervisor": make_user("supervisor", region=district.street_a),
        "outsider": make_user("supervisor", region=district.street_b),
    }
    return {name: login(user) for name, user in users.items()} | {"users": users}
