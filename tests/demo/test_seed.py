"""seed-demo builds a realistic district once; running it again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from hazardloop.accounts.models import RoleGrant, User
from hazardloop.demo.seed import seed_demo
from hazardloop.regions.models import Department, Region
from hazardloop.sites.credit_code import validate_credit_code
from hazardloop.sites.models import Site
from hazardloop.taxonomy import NINE_SMALL_CATEGORIES


def counts(db):
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Region, Department, Site, User, RoleGrant)}


def test_seed_builds_the_district_and_is_idempotent(db, api):
    first = seed_demo(password="Demo@2026")
    db.session.commit()
    built = counts(db)
    levels = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert levels["district"] == 1
    assert levels["street"] == 3 and levels["park"] == 1
    assert 8 <= levels["community"] <= 12
    assert 25 <= levels["grid"] <= 35
    assert 250 <= built["Site"] <= 350
    assert built["Department"] >= 7
    assert first.created > 0

    second = seed_demo(password="Demo@2026")
    db.session.commit()
    assert counts(db) == built
    assert second.created == 0

    # Every role has a demo login that works.
    roles = {login.role for login in first.logins}
    assert {"网格员", "执法/检查人员", "监管人员（街道/区安委办）", "企业用户", "系统管理员"} <= roles
    for login in first.logins:
        assert api.login(login.mobile, login.password).status_code == 200, login


def test_seed_sites_are_plausible(db):
    seed_demo()
    db.session.commit()
    sites = db.session.scalars(select(Site)).all()
    categories = {s.category for s in sites}
    assert len(categories & NINE_SMALL_CATEGORIES) >= 6
    assert {"industry_trade", "construction_site", "hazchem_unit", "rental_housing"} <= categories
    codes = [s.credit_code for s in sites if s.credit_code]
    assert len(codes) == len(set(codes)) and len(codes) > len(sites) // 2
    assert all(validate_credit_code(c).ok for c in codes)
    assert all(s.lng is not None and 120 < s.lng < 121 and 30 < s.lat < 31 for s in sites)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in s.name) for s in sites)
