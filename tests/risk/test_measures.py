"""控制措施检查: a measure's check period by its risk point's level, who checks it by its 管控层级, when it is due
(calendar periods at Asia/Shanghai midnight), a check done resets it, a failed check is a hazard shown on the
measure; and sites get their template risk points whatever the path, a 重大危险源 making them red."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from tests.conftest import assert_problem

SH = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def test_due_dates_at_period_boundaries_in_shanghai():
    # The patrol plan's rule (one home), with a risk point's creation as the start of counting.
    from hazardloop.inspections.patrols import Period
    from hazardloop.inspections.patrols import period_due as due

    created = local(2026, 11, 2, 9, 0)  # a Monday
    # Weekly (a red point): checked on Sunday 6 Dec 23:59 Shanghai (15:59 UTC, still Sunday) → the next check is
    # owed in the week of 7 Dec, due at its end, Monday 14 Dec 00:00 Shanghai.
    sunday = local(2026, 12, 6, 23, 59)
    status = due(Period.WEEK, sunday.astimezone(dt.UTC), created, local(2026, 12, 7, 0, 0), SH)
    assert status.due_at == local(2026, 12, 14).astimezone(dt.UTC)
    assert (status.done_this_period, status.overdue) == (False, False)  # a new week began at midnight
    # One minute later the same check is in the new week: due a week later.
    monday = local(2026, 12, 7, 0, 0)
    status = due(Period.WEEK, monday.astimezone(dt.UTC), created, local(2026, 12, 7, 8, 0), SH)
    assert status.due_at == local(2026, 12, 21).astimezone(dt.UTC) and status.done_this_period
    # Monthly (an orange point): 30 Nov 23:30 Shanghai is 15:30 UTC the same day; 1 Dec 00:10 is 30 Nov 16:10 UTC.
    late_nov = local(2026, 11, 30, 23, 30).astimezone(dt.UTC)
    early_dec = local(2026, 12, 1, 0, 10).astimezone(dt.UTC)
    assert early_dec.day == 30  # same UTC day, another Shanghai month
    assert due(Period.MONTH, late_nov, created, local(2026, 12, 3), SH).due_at == local(2027, 1, 1).astimezone(dt.UTC)
    assert due(Period.MONTH, early_dec, created, local(2026, 12, 3), SH).due_at == local(2027, 2, 1).astimezone(dt.UTC)
    # Never checked: owed in the period the point began to count; overdue from the first midnight after it.
    never = due(Period.MONTH, None, created, local(2026, 12, 1, 0, 0), SH)
    assert never.due_at == local(2026, 12, 1).astimezone(dt.UTC) and never.overdue
    assert not due(Period.MONTH, None, created, local(2026, 11, 30, 23, 59), SH).overdue


def test_periods_and_tiers_come_from_configuration():
    from hazardloop.inspections.patrols import Period
    from hazardloop.risk import rules as R
    from hazardloop.risk.measures import ENTERPRISE, GOVERNMENT, measure_rules

    config = measure_rules(R.load_rules())
    assert [config.period_for(level) for level in ("red", "orange", "yellow", "blue", None)] == [
        Period.WEEK, Period.MONTH, Period.QUARTER, Period.HALF_YEAR, Period.QUARTER]
    assert {t: config.checker_for(t) for t in ("企业", "车间", "班组", "岗位", "街道", "区")} == {
        "企业": ENTERPRISE, "车间": ENTERPRISE, "班组": ENTERPRISE, "岗位": ENTERPRISE,
        "街道": GOVERNMENT, "区": GOVERNMENT}


def _now_local() -> str:
    return (dt.datetime.now(SH) - dt.timedelta(minutes=2)).isoformat(timespec="seconds")


def test_a_failed_self_check_of_a_measure_is_a_hazard_and_resets_the_due_date(
        checklists, risk_sites, make_user, login, make_photo, district):
    plant, shop = risk_sites["plant"], risk_sites["shop"]
    owner_user = make_user("enterprise_user", site=plant)
    owner = login(owner_user)
    worker = login(make_user("grid_worker", region=district.grid_a1))

    due = owner.get("/api/v1/risk/measures/due").get_json()
    assert due["total"] > 0 and {i["site"]["id"] for i in due["items"]} == {plant.id}
    assert {i["checker"] for i in due["items"]} == {"enterprise"}  # the 车间/班组/岗位/企业 tiers only
    ammonia = next(i for i in due["items"] if i["check_items"] == ["IT-C-001"])
    assert (ammonia["risk_point_name"], ammonia["tier"], ammonia["level"]) == ("液氨制冷车间", "车间", "orange")
    assert (ammonia["period_label"], ammonia["checklist_id"], ammonia["last_checked_at"]) == (
        "每月", "industry-trade", None)
    # The grid worker owes the 街道-tier measures of the 小商店, never the enterprise's own.
    theirs = worker.get("/api/v1/risk/measures/due").get_json()["items"]
    assert theirs and {i["site"]["id"] for i in theirs} == {shop.id} and {i["tier"] for i in theirs} == {"街道"}

    photo = make_photo(owner_user)
    sent = owner.post("/api/v1/inspections", json={
        "client_uuid": str(uuid.uuid4()), "site_id": plant.id, "checklist_id": "industry-trade",
        "checklist_version": "2026.3", "mode": "self", "started_at": _now_local(), "finished_at": _now_local(),
        "answers": [{"item_code": "IT-C-001", "result": "不符合", "photo_ids": [photo.id],
                     "finding": "包装车间空调仍为氨直接蒸发制冷"}]})
    assert sent.status_code == 201, sent.get_json()
    [hazard] = sent.get_json()["hazards"]

    after = owner.get("/api/v1/risk/measures/due").get_json()["items"]
    assert not any(i["check_items"] == ["IT-C-001"] for i in after)  # checked this period
    done = owner.get("/api/v1/risk/measures/due?include_done=true").get_json()["items"]
    checked = next(i for i in done if i["check_items"] == ["IT-C-001"])
    assert checked["checked_this_period"] and checked["last_checked_at"]
    next_month = dt.datetime.now(SH).replace(day=1)
    next_month = (next_month + dt.timedelta(days=32)).replace(day=1)
    due_at = dt.datetime.fromisoformat(checked["due_at"])
    assert due_at == (next_month + dt.timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    assert [h["id"] for h in checked["open_hazards"]] == [hazard["id"]]

    view = owner.get(f"/api/v1/risk/sites/{plant.id}").get_json()
    point = next(p for p in view["points"] if p["name"] == "液氨制冷车间")
    measure = point["measures"][0]
    assert [h["id"] for h in measure["open_hazards"]] == [hazard["id"]]
    assert measure["check"]["last_checked_at"] and measure["check"]["checker_label"] == "企业自查"
    # A measure with two items is not checked by an inspection answering one of them.
    assert point["measures"][2]["check"]["last_checked_at"] is None


def test_measure_checks_outside_my_region_are_404(risk_sites, make_user, login, district):
    worker = login(make_user("grid_worker", region=district.grid_a1))
    assert_problem(worker.get(f"/api/v1/risk/measures/due?region={district.street_b.id}"), 404)


def test_sites_get_their_template_points_on_creation_and_category_change(risk_sites, make_site, db, make_user,
                                                                         login, district):
    from sqlalchemy import select

    from hazardloop.risk.models import RiskPoint
    from hazardloop.sites.services import update_site
    from tests.support.risk import risk_events

    site = make_site(district.grid_a1, category="small_shop", name="新开小店")  # after the templates were synced
    codes = set(db.session.scalars(select(RiskPoint.template_code).where(
        RiskPoint.site_id == site.id, RiskPoint.active.is_(True))))
    assert codes == {"RP-SHOP-001", "RP-SHOP-002", "RP-SHOP-003"}
    assert site.risk_level == "yellow"  # 住宿与经营“三合一” 矩阵 R=10 (template default)

    update_site(site, {"category": "industry_trade"}, actor=None)
    db.session.commit()
    active = set(db.session.scalars(select(RiskPoint.template_code).where(
        RiskPoint.site_id == site.id, RiskPoint.active.is_(True))))
    assert active and all(c.startswith("RP-IT-") for c in active)
    assert site.risk_level == "orange" and risk_events(db, site.id)[-1].to_status == "orange"


def test_a_major_hazard_source_in_the_dossier_makes_the_site_red(risk_sites, make_user, login, district, db):
    shop = risk_sites["shop"]
    supervisor = login(make_user("supervisor", region=district.street_a))
    changed = supervisor.client.put(f"/api/v1/sites/{shop.id}/dossier", json={"major_hazard_source": True},
                                    headers=supervisor._headers(None))
    assert changed.status_code == 200, changed.get_json()
    view = supervisor.get(f"/api/v1/risk/sites/{shop.id}").get_json()
    assert view["level"] == "red" and view["reasons"][-1] == "构成重大危险源（一企一档）"
    supervisor.client.put(f"/api/v1/sites/{shop.id}/dossier", json={"major_hazard_source": False},
                          headers=supervisor._headers(None))
    assert supervisor.get(f"/api/v1/risk/sites/{shop.id}").get_json()["level"] == "yellow"


def test_the_overview_counts_sites_by_level_and_the_changes_of_the_period(risk_sites, make_user, login, district):
    plant, shop, other = risk_sites["plant"], risk_sites["shop"], risk_sites["other"]
    supervisor = login(make_user("supervisor", region=district.street_a))
    changed = supervisor.client.put(f"/api/v1/risk/sites/{shop.id}/override",
                                    json={"level": "red", "reason": "节假日人员聚集"},
                                    headers=supervisor._headers(None))
    assert changed.status_code == 200, changed.get_json()
    body = supervisor.get("/api/v1/risk/overview?days=7").get_json()
    # Street A holds the plant (orange by its template default) and the shop (red by the override); B's is out of scope.
    assert body["counts"] == {"red": 1, "orange": 1, "yellow": 0, "blue": 0} and body["total"] == 2
    by_site = {c["site_id"]: c for c in body["changes"]}
    assert other.id not in by_site
    assert (by_site[shop.id]["from"], by_site[shop.id]["to"], by_site[shop.id]["override"]) == ("blue", "red", True)
    assert by_site[plant.id]["from"] == "blue" and by_site[plant.id]["to"] == "orange"
    assert body["raised"] == 2 and body["lowered"] == 0
    assert_problem(supervisor.get("/api/v1/risk/overview?days=0"), 422)


def test_the_risk_map_carries_industry_region_override_and_risk_points(risk_sites, make_user, login, district, db):
    plant, shop = risk_sites["plant"], risk_sites["shop"]
    for site in (plant, shop):
        site.lat, site.lng = 30.3, 120.15
    db.session.commit()
    supervisor = login(make_user("supervisor", region=district.street_a))
    supervisor.client.put(f"/api/v1/risk/sites/{shop.id}/override", json={"level": "red", "reason": "人员聚集"},
                          headers=supervisor._headers(None))
    features = supervisor.get("/api/v1/console/riskmap").get_json()["features"]
    sites = {f["properties"]["site_id"]: f["properties"] for f in features if f["properties"]["kind"] == "site"}
    p = sites[plant.id]
    assert (p["category"], p["category_label"], p["street_id"], p["street_name"]) == (
        "industry_trade", "工贸企业", district.street_a.id, district.street_a.name)
    assert (p["community_id"], p["community_name"]) == (district.community_a.id, "A社区")
    assert p["override"] is False and sites[shop.id]["override"] is True
    first = p["risk_points"][0]
    assert (first["name"], first["level"], first["basis"]) == ("液氨制冷车间", "orange", "LEC D=270（模板默认）")


def test_an_import_batch_gets_its_points_and_levels_in_bulk(risk_sites, district, db):
    from sqlalchemy import func, select

    from hazardloop.bulk import insert_rows
    from hazardloop.database import utcnow
    from hazardloop.risk.catalog import attach_template_points
    from hazardloop.risk.models import RiskPoint
    from hazardloop.sites.models import Site, new_qr_token
    from tests.support.risk import risk_events

    now = utcnow()
    ids = insert_rows(Site, [{  # as imports.services inserts a batch: no ORM object, level blue
        "name": f"导入小店{n}", "address": f"导入路{n}号", "grid_id": district.grid_a1.id, "category": "small_shop",
        "risk_level": "blue", "qr_token": new_qr_token(), "active": True, "created_at": now, "updated_at": now,
        "credit_code_check_failed": False}
        for n in range(25)])
    assert attach_template_points(ids) == 25
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(RiskPoint).where(RiskPoint.site_id.in_(ids))) == 75
    assert set(db.session.scalars(select(Site.risk_level).where(Site.id.in_(ids)))) == {"yellow"}
    [change] = risk_events(db, ids[0])
    assert (change.from_status, change.to_status, change.actor_role) == ("blue", "yellow", "system")
    assert attach_template_points(ids) == 0  # idempotent


def test_a_level_typed_at_registration_stays_as_an_override(risk_sites, make_user, login, district):
    supervisor = login(make_user("supervisor", region=district.street_a))
    made = supervisor.post("/api/v1/sites", json={
        "name": "手填红色小店", "address": "测试路1号", "grid_id": district.grid_a1.id, "category": "small_shop",
        "domains": ["fire", "nine_small"], "risk_level": "red"})
    assert made.status_code == 201, made.get_json()
    view = supervisor.get(f"/api/v1/risk/sites/{made.get_json()['id']}").get_json()
    assert (view["level"], view["computed_level"]) == ("red", "yellow")
    assert view["override"]["reason"] == "在场所信息中手工设定（未说明理由）" and len(view["points"]) == 3
