"""The patrol plan (巡查计划, ``GET /api/v1/patrols/due``) carries each site's due 控制措施检查 of the 管控层级
街道/区: a site patrolled this period whose measures are due is a row of its own (with the reason in words), a
site owing both shows both, and a site whose measures are the enterprise's own shows none.

Worked by hand from risks/small-shop.yaml and config/risk.yaml: a 小商店's template points are RP-SHOP-001
(matrix R=3×3=9, 黄), RP-SHOP-002 (R=2×5=10, 黄) and RP-SHOP-003 (R=2×3=6, 蓝), two 街道 measures each;
黄 points are checked every quarter, 蓝 every half year; 九小场所 are patrolled monthly (config/patrol.yaml).
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import update

SH = ZoneInfo("Asia/Shanghai")
SHOP_MEASURES = [  # point by point, in the template's order
    "电气线路穿管保护，不私拉乱接", "具有火灾危险的场所不吸烟、不使用明火",
    "易燃易爆危险品场所不与居住场所设在同一建筑物内", "经营场所内不超员留宿",
    "疏散通道、安全出口保持畅通", "按标准配置灭火器并保持完好有效",
]


def _quarter_end(day: dt.date) -> dt.datetime:
    """Local midnight after the quarter holding ``day``."""
    month = (day.month - 1) // 3 * 3 + 4
    year = day.year + (month > 12)
    return dt.datetime(year, (month - 1) % 12 + 1, 1, tzinfo=SH)


def _patrol_answering(client, site, item_code: str) -> None:
    """A grid worker's 日常巡查 of a 小商店 that answers one item (符合)."""
    now = (dt.datetime.now(SH) - dt.timedelta(minutes=2)).isoformat(timespec="seconds")
    sent = client.post("/api/v1/inspections", json={
        "client_uuid": str(uuid.uuid4()), "site_id": site.id, "checklist_id": "fire-small-shop",
        "checklist_version": "2026.3", "mode": "routine", "started_at": now, "finished_at": now,
        "answers": [{"item_code": item_code, "result": "符合"}]})
    assert sent.status_code == 201, sent.get_json()


def test_a_patrolled_site_with_due_measures_stays_in_the_plan_and_a_site_owing_both_shows_both(
        checklists, risk_sites, make_site, make_user, login, district, db):
    from hazardloop.risk.models import RiskPoint

    plant, shop = risk_sites["plant"], risk_sites["shop"]
    both = make_site(district.grid_a1, category="small_shop", name="未巡查的小店")  # gets its template points
    worker = login(make_user("grid_worker", region=district.grid_a1))
    # The shop's points began to count 120 days ago: its quarterly (黄) measures were owed in a quarter now past.
    began = dt.datetime.now(SH) - dt.timedelta(days=120)
    db.session.execute(update(RiskPoint).where(RiskPoint.site_id == shop.id).values(created_at=began))
    db.session.commit()
    # This month's patrol of the shop answered only SHOP-A-001: the periodic patrol is done, and so is the
    # measure 疏散通道、安全出口保持畅通 — the other five are still owed.
    _patrol_answering(worker, shop, "SHOP-A-001")

    plan = worker.get("/api/v1/patrols/due").get_json()
    rows = {row["site"]["id"]: row for row in plan["items"]}
    assert risk_sites["other"].id not in rows  # street B: not this worker's

    measure_only = rows[shop.id]
    assert (measure_only["patrol_due"], measure_only["patrolled_this_period"]) == (False, True)
    checks = measure_only["measure_checks"]
    assert checks["count"] == 5 and checks["overdue"] is True
    assert checks["names"] == [SHOP_MEASURES[i] for i in (0, 1, 2, 3, 5)]
    assert checks["checklist_ids"] == ["fire-small-shop"]
    assert dt.datetime.fromisoformat(checks["due_at"]) == _quarter_end(began.date())  # the earliest: a 黄 measure
    assert measure_only["reasons"] == [
        "管控措施检查已逾期：电气线路穿管保护，不私拉乱接；具有火灾危险的场所不吸烟、不使用明火；"
        "易燃易爆危险品场所不与居住场所设在同一建筑物内 等 5 项"]

    owing_both = rows[both.id]
    assert owing_both["patrol_due"] is True and owing_both["overdue"] is False  # registered this month
    assert owing_both["measure_checks"]["count"] == 6 and owing_both["measure_checks"]["overdue"] is False
    assert owing_both["measure_checks"]["names"] == SHOP_MEASURES
    assert dt.datetime.fromisoformat(owing_both["measure_checks"]["due_at"]) == _quarter_end(dt.datetime.now(SH).date())
    assert owing_both["reasons"] == [
        "每月巡查待完成", "管控措施检查到期：电气线路穿管保护，不私拉乱接；具有火灾危险的场所不吸烟、不使用明火；"
        "易燃易爆危险品场所不与居住场所设在同一建筑物内 等 6 项"]

    # The 工贸 plant's measures are checked by the enterprise's own 自查: its row is a patrol only (orange by
    # its template default, so monthly).
    assert (rows[plant.id]["measure_checks"], rows[plant.id]["reasons"]) == (None, ["每月巡查待完成"])
    # Overdue first (the shop's measures), and the plan's overdue count includes measure checks.
    assert plan["items"][0]["site"]["id"] == shop.id
    assert plan["overdue"] == sum(r["overdue"] or bool(r["measure_checks"] and r["measure_checks"]["overdue"])
                                  for r in plan["items"]) >= 1


def test_a_site_whose_patrol_answered_every_measure_leaves_the_plan(checklists, risk_sites, make_user, login,
                                                                   district, db):
    shop = risk_sites["shop"]
    worker = login(make_user("grid_worker", region=district.grid_a1))
    now = (dt.datetime.now(SH) - dt.timedelta(minutes=2)).isoformat(timespec="seconds")
    answers = [{"item_code": code, "result": "符合"}
               for code in ("SHOP-A-001", "SHOP-B-001", "SHOP-C-001", "SHOP-C-002", "SHOP-D-001")]
    answers += [{"item_code": "SHOP-B-002", "choice": "green"},  # 灭火器: 指针在绿区
                {"item_code": "SHOP-D-003", "value": 1}]  # 留宿 1 人（值班）
    sent = worker.post("/api/v1/inspections", json={
        "client_uuid": str(uuid.uuid4()), "site_id": shop.id, "checklist_id": "fire-small-shop",
        "checklist_version": "2026.3", "mode": "routine", "started_at": now, "finished_at": now,
        "answers": answers})
    assert sent.status_code == 201, sent.get_json()

    due = worker.get("/api/v1/patrols/due").get_json()["items"]
    assert shop.id not in {row["site"]["id"] for row in due}
    everything = worker.get("/api/v1/patrols/due?include_done=true").get_json()["items"]
    done = next(row for row in everything if row["site"]["id"] == shop.id)
    assert (done["patrol_due"], done["measure_checks"], done["reasons"]) == (False, None, [])
