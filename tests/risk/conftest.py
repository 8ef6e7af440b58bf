"""Shared fixtures of the 风险分级管控 tests: a 工贸 site and a 小商店 with their risk points synced."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def risk_sites(district: Any, make_site: Any, db: Any) -> dict[str, Any]:
    from hazardloop.risk.catalog import sync_catalogs

    plant = make_site(district.grid_a1, category="industry_trade", domains=["industry_trade", "fire"], name="嘉诚纺织")
    shop = make_site(district.grid_a1, category="small_shop", name="便民小店")
    other = make_site(district.grid_b1, category="small_shop", name="B街道小店")
    sync_catalogs()
    db.session.commit()
    return {"plant": plant, "shop": shop, "other": other}
