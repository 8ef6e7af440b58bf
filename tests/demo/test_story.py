"""The printed demo logins tell one story: the 网格员 patrols the 企业用户's site, which has a hazard in every state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hazardloop.database import local_zone, utcnow
from hazardloop.demo.seed import seed_demo

WORKER, OWNER, OFFICE = "13800001001", "13800002001", "13800000002"


def test_the_printed_logins_form_one_chain(db, app):
    from tests.conftest import ApiClient

    summary = seed_demo(password="Demo@2026")
    db.session.commit()
    printed = {login.mobile: login for login in summary.logins}
    assert {WORKER, OWNER, OFFICE} <= set(printed)

    owner = ApiClient(app.test_client())
    assert owner.login(OWNER, "Demo@2026").status_code == 200
    mine = owner.get("/api/v1/hazards?per_page=100").get_json()["items"]
    (site_id,) = {h["site_id"] for h in mine}
    assert {h["status"] for h in mine} >= {"found", "assigned", "rectifying", "awaiting_verification", "closed"}
    extended = next(h for h in mine if h["description"].startswith("烘干机排风管道"))
    detail = owner.get(f"/api/v1/hazards/{extended['id']}").get_json()
    assert detail["extension"]["state"] == "approved" and detail["extension"]["decision_note"]

    worker = ApiClient(app.test_client())
    assert worker.login(WORKER, "Demo@2026").status_code == 200
    assert site_id in {s["id"] for s in worker.get("/api/v1/sites?per_page=500").get_json()["items"]}
    awaiting = next(h for h in mine if h["status"] == "awaiting_verification")
    assert awaiting["level"] == "general"
    assert "verify_pass" in worker.get(f"/api/v1/hazards/{awaiting['id']}").get_json()["allowed_actions"]
    assert "运河智慧产业园第3网格" in printed[WORKER].scope  # what ./dev up prints says so too


def test_ninety_days_of_snapshots_are_back_filled_from_the_hazards_dates(db):
    from hazardloop.console.models import MetricsSnapshot

    seed_demo(password="Demo@2026")
    db.session.commit()
    today = utcnow().astimezone(local_zone()).date()
    days = set(db.session.scalars(select(MetricsSnapshot.day).distinct()))
    assert {today - dt.timedelta(days=n) for n in range(91)} <= days
    open_by_day = dict(db.session.execute(select(MetricsSnapshot.day, func.sum(MetricsSnapshot.open_count))
                                          .group_by(MetricsSnapshot.day)).all())
    # Hazards found over the three months: the open count grows across the back-filled days.
    assert open_by_day[today - dt.timedelta(days=90)] < open_by_day[today - dt.timedelta(days=10)]
    again = db.session.scalar(select(func.count()).select_from(MetricsSnapshot))
    seed_demo(password="Demo@2026")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MetricsSnapshot)) == again
