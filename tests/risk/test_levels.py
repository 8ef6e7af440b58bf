"""A site's computed 风险等级 in the database: from its synced risk points, raised by an open 重大 hazard
in the same transaction as the hazard's step, raised again when that hazard is overdue, lowered when it
closes; each change of level an event in the audit chain, and the chain still verifies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hazardloop.database import utcnow
from hazardloop.hazards import services as hazards
from hazardloop.hazards.events import verify_chains
from hazardloop.hazards.states import HazardLevel, HazardSource
from hazardloop.risk import assessment as risk_assessment
from hazardloop.risk import catalog as risk_catalog
from hazardloop.risk import levels as risk_levels
from hazardloop.risk.models import RiskPoint, SiteRiskLevel
from hazardloop.taxonomy import Role
from tests.support.risk import risk_events

# The 小商店 template's two yellow points (both named: the reasons list every point at the top level, up to two).
SHOP = "营业区电气线路与用电 矩阵 R=9（模板默认）；住宿与经营“三合一” 矩阵 R=10（模板默认）"


def test_sync_gives_each_site_its_category_points_and_a_level_with_reasons(risk_sites, db):
    plant, shop = risk_sites["plant"], risk_sites["shop"]
    names = sorted(p.name for p in db.session.query(RiskPoint).filter_by(site_id=plant.id))
    assert names == sorted(["液氨制冷车间", "粉尘涉爆除尘系统", "有限空间作业", "动火、吊装、临时用电等危险作业",
                            "生产车间与员工宿舍疏散"])
    row = db.session.get(SiteRiskLevel, plant.id)
    assert (row.level, row.summary) == ("orange", "橙：液氨制冷车间 LEC D=270（模板默认）")
    assert plant.risk_level == "orange"  # what the patrol plan and the site filters read
    assert db.session.get(SiteRiskLevel, shop.id).summary == f"黄：{SHOP}"
    [event] = risk_events(db, plant.id)  # one line of the sync's recompute event
    assert (event.from_status, event.to_status, event.actor_role) == ("blue", "orange", "system")
    assert event.payload["reasons"] == ["液氨制冷车间 LEC D=270（模板默认）"]
    # Idempotent: a second sync adds nothing and changes no level.
    report = risk_catalog.sync_catalogs()
    assert (report.points_added, report.new_versions, report.levels_changed) == (0, 0, 0)


def _major(site: Any, actor: Any) -> Any:
    return hazards.create_hazard(site=site, source=HazardSource.GRID_PATROL, description="营业区违规存放液化气瓶",
                                 level=HazardLevel.MAJOR, domain="fire", actor=actor, actor_role=Role.GRID_WORKER,
                                 found_at=utcnow())


def test_an_open_major_hazard_raises_overdue_raises_more_and_closing_lowers_each_recorded(
        risk_sites, db, make_user, make_photo, district):
    shop = risk_sites["shop"]
    worker = make_user("grid_worker", region=district.grid_a1)
    owner = make_user("enterprise_user", site=shop)
    supervisor = make_user("supervisor", region=district.street_a)
    assert shop.risk_level == "yellow"

    hazard = _major(shop, worker)  # found: the hook recomputes in the same transaction
    assert shop.risk_level == "orange"
    assert db.session.get(SiteRiskLevel, shop.id).reasons[-1] == "未闭环重大隐患 1 项"
    db.session.commit()

    deadline = (utcnow() + dt.timedelta(days=10)).astimezone(dt.UTC).date().isoformat()
    hazards.transition(hazard, "assign", actor=worker, payload={"deadline": deadline})
    hazards.transition(hazard, "acknowledge", actor=owner)
    db.session.commit()
    assert shop.risk_level == "orange"

    # Eleven days on, the deadline has passed: the daily recompute finds it overdue.
    later = hazard.deadline_at + dt.timedelta(days=1)
    assert risk_levels.recompute_all(now=later) == 1
    row = db.session.get(SiteRiskLevel, shop.id)
    assert (shop.risk_level, row.summary) == ("red", f"红：{SHOP}；未闭环重大隐患 1 项；逾期未整改重大隐患 1 项")
    db.session.commit()

    plan = {"goals": "消除隐患", "methods": "清出气瓶", "funding": "500元", "organization": "店长 王五",
            "schedule": "3日内", "safety_measures": "设警戒区"}
    hazards.transition(hazard, "submit_governance_plan", actor=owner, payload={"plan": plan})
    hazards.transition(hazard, "approve_governance_plan", actor=supervisor, payload={"note": "可行"})
    photo = make_photo(owner)
    hazards.transition(hazard, "submit_rectification", actor=owner,
                       payload={"measures": "气瓶已清出", "photo_ids": [photo.id]})
    hazards.transition(hazard, "verify_pass", actor=supervisor)
    db.session.commit()
    assert hazard.status == "closed"
    assert shop.risk_level == "yellow"
    assert db.session.get(SiteRiskLevel, shop.id).reasons == [SHOP]

    steps = [(e.from_status, e.to_status, e.actor_role) for e in risk_events(db, shop.id)]
    # (The next step recomputes at the real time, when the deadline has not yet passed: back to orange.)
    assert steps == [("blue", "yellow", "system"), ("yellow", "orange", "system"), ("orange", "red", "system"),
                     ("red", "orange", "system"), ("orange", "yellow", "system")]
    checked, broken = verify_chains()
    assert broken is None and checked > 0


def test_a_covert_finding_does_not_raise_the_colour_before_the_enterprise_may_see_it(risk_sites, db, make_user,
                                                                                    district):
    shop = risk_sites["shop"]
    worker = make_user("grid_worker", region=district.grid_a1)
    hazards.create_hazard(site=shop, source=HazardSource.GRID_PATROL, description="暗访发现安全出口锁闭",
                          level=HazardLevel.MAJOR, domain="fire", actor=worker, actor_role=Role.GRID_WORKER,
                          found_at=utcnow(), covert=True)
    assert shop.risk_level == "yellow"


def test_an_override_counts_with_its_reason_and_is_shown_as_such(risk_sites, db, make_user, district):
    plant = risk_sites["plant"]
    supervisor = make_user("supervisor", region=district.street_a)
    row = risk_assessment.set_override(plant, actor=supervisor, level="red", reason="周边为居民密集区，按街道研判上调")
    assert (plant.risk_level, row.computed_level) == ("red", "orange")
    assert risk_levels.display_summary(row).startswith("红（人工调整）：周边为居民密集区")
    assert risk_levels.recompute_all() == 0  # the recompute keeps the override
    assert plant.risk_level == "red"
    risk_assessment.set_override(plant, actor=supervisor, level=None, reason=None)
    assert plant.risk_level == "orange"
    kinds = [e.to_status for e in risk_events(db, plant.id)]
    assert kinds == ["orange", "red", "orange"]
    assert [e.payload["override_level"] for e in risk_events(db, plant.id, "risk_override")] == ["red", None]


def test_region_levels_aggregate_their_sites(risk_sites, db, district):
    levels = risk_levels.region_levels([district.grid_a1, district.community_a, district.street_a, district.street_b])
    assert levels[district.grid_a1.id].summary == "橙：嘉诚纺织（橙：液氨制冷车间 LEC D=270（模板默认））"
    assert levels[district.street_a.id].level.value == "orange"
    assert levels[district.street_b.id].summary.startswith("黄：B街道小店")


def test_the_patrol_plan_reads_the_computed_level(risk_sites, db, make_user, district):
    from hazardloop.inspections.patrols import Period, load_plan

    plant = risk_sites["plant"]
    plan = load_plan()
    assert plan.period_for(plant.category, plant.risk_level) == Period.MONTH  # orange: monthly (config/patrol.yaml)
    owner = make_user("enterprise_user", site=plant)
    supervisor = make_user("supervisor", region=district.street_a)
    point = db.session.query(RiskPoint).filter_by(site_id=plant.id, name="液氨制冷车间").one()
    assessment = risk_assessment.assess(point, actor=owner, method="lec", inputs={"l": 3, "e": 3, "c": 40},
                                        reason="储氨量大")
    assert plant.risk_level == "orange"  # waiting for review
    risk_assessment.review(assessment, actor=supervisor, decision="accept", note=None)
    assert (plant.risk_level, db.session.get(SiteRiskLevel, plant.id).summary) == ("red", "红：液氨制冷车间 LEC D=360")
    assert plan.period_for(plant.category, plant.risk_level) == Period.WEEK  # red: weekly
    assert point.reassess_due_at == assessment.assessed_at + dt.timedelta(days=90)  # red: within 90 days
