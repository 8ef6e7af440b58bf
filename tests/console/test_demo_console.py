"""The demo district shows a live console: overdue hazards at each rung, an extension request, a 挂牌督办
hazard with its 治理方案, a 黑名单 candidate; seeding again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from hazardloop.demo.seed import seed_demo


def test_the_demo_district_shows_a_live_console(db, api):
    from hazardloop.escalation.models import Escalation
    from hazardloop.hazards.models import AuditEvent, Hazard

    first = seed_demo(password="Demo@2026")
    db.session.commit()
    assert first.hazards.created == 28  # 10 for the console, 6 at the printed enterprise's site, 12 of history
    assert api.login("13800000002", "Demo@2026").status_code == 200  # 区安委办

    overview = api.get("/api/v1/console/overview").get_json()
    assert overview["overdue_now"] == 4 and overview["supervised_open"] == 1 and overview["due_this_week"] >= 0
    assert overview["by_status"]["closed"] == 15
    rows = api.get("/api/v1/console/overdue").get_json()["items"]
    assert {r["escalation_rung"] for r in rows} == {"street", "district", "supervision"}
    pending = api.get("/api/v1/console/overdue?window=all_open&extension_requested=true").get_json()["items"]
    assert len(pending) == 1 and "approve_extension" in pending[0]["allowed_actions"]
    [supervised] = api.get("/api/v1/console/supervised").get_json()["items"]
    assert supervised["plan_status"] == "submitted" and supervised["supervising_authority"]
    blacklist = api.get("/api/v1/blacklist").get_json()
    assert [e["status"] for e in blacklist["items"]] == ["candidate"]

    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Hazard, Escalation, AuditEvent)]
    second = seed_demo(password="Demo@2026")
    db.session.commit()
    assert second.hazards.created == 0 and second.hazards.existing == 28
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (Hazard, Escalation, AuditEvent)] == counts
