"""Triage of 群众举报 by the supervisors of the report's grid: accept into the loop, reject, reward, figures."""

from __future__ import annotations

import datetime as dt

from tests.conftest import assert_problem
from tests.support.public_reports import fire, photo_bytes, progress, queue, submitted


def test_accepting_makes_a_public_report_hazard_whose_progress_the_reporter_follows(visitor, shop, staff, db):
    from hazardloop.evidence.models import PhotoLink

    code = submitted(visitor, site_token=shop.qr_token, phone="13812345678", photos=[photo_bytes()])
    supervisor = staff["supervisor"]
    listed = queue(supervisor, status="received")
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["phone"] == "13812345678" and item["site_name"] == shop.name and item["triage_overdue"] is False

    accepted = supervisor.post(f"/api/v1/reports/{item['id']}/accept", json={"level": "一般", "domain": "fire"})
    assert accepted.status_code == 200, accepted.get_json()
    hazard_id = accepted.get_json()["hazard_id"]
    hazard = supervisor.get(f"/api/v1/hazards/{hazard_id}").get_json()
    assert hazard["source"] == "public_report" and hazard["status"] == "found"
    assert hazard["description"] == "后厨液化气罐放在灶台旁边，没有固定"
    links = db.session.query(PhotoLink).filter_by(subject_type="hazard", subject_id=hazard_id).all()
    assert [(link.photo_id, link.role) for link in links] == [(item["photo_ids"][0], "finding")]
    assert progress(visitor, code)["status"] == "accepted"

    fire(supervisor, hazard_id, "assign")
    after = progress(visitor, code)
    assert after["status"] == "rectifying" and after["status_label"] == "整改中" and after["deadline_at"]
    assert_problem(supervisor.post(f"/api/v1/reports/{item['id']}/accept", json={"level": "一般", "domain": "fire"}),
                   409, "report_already_triaged")


def test_a_closed_hazard_closes_the_report(visitor, shop, staff, make_photo, db):
    code = submitted(visitor, site_token=shop.qr_token)
    supervisor, worker = staff["supervisor"], staff["worker"]
    report_id = queue(supervisor)["items"][0]["id"]
    hazard_id = supervisor.post(f"/api/v1/reports/{report_id}/accept",
                                json={"level": "general", "domain": "fire"}).get_json()["hazard_id"]
    before, after = make_photo(staff["users"]["worker"]), make_photo(staff["users"]["worker"])
    fire(worker, hazard_id, "close_on_site", before_photo_ids=[before.id], after_photo_ids=[after.id])
    closed = progress(visitor, code)
    assert closed["status"] == "closed" and closed["status_label"] == "已办结" and closed["closed_at"]


def test_rejecting_needs_a_reason_the_reporter_reads(visitor, shop, staff):
    code = submitted(visitor, site_token=shop.qr_token)
    supervisor = staff["supervisor"]
    report_id = queue(supervisor)["items"][0]["id"]
    assert_problem(supervisor.post(f"/api/v1/reports/{report_id}/reject", json={}), 422)
    rejected = supervisor.post(f"/api/v1/reports/{report_id}/reject", json={"reason": "经核实，气瓶已按规定固定存放"})
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    seen = progress(visitor, code)
    assert seen["status"] == "rejected" and seen["rejection_reason"] == "经核实，气瓶已按规定固定存放"
    assert seen["triaged_at"]


def test_a_report_without_a_site_is_accepted_onto_a_chosen_site(visitor, shop, staff):
    submitted(visitor, lat=30.35, lng=120.15, address="文一路与学院路口")
    supervisor = staff["supervisor"]
    report_id = queue(supervisor)["items"][0]["id"]
    body = assert_problem(supervisor.post(f"/api/v1/reports/{report_id}/accept",
                                          json={"level": "一般", "domain": "fire"}), 422)
    assert body["errors"][0]["field"] == "site_id"
    accepted = supervisor.post(f"/api/v1/reports/{report_id}/accept",
                               json={"level": "一般", "domain": "fire", "site_id": shop.id,
                                     "description": "路口餐馆液化气罐未固定"})
    assert accepted.status_code == 200, accepted.get_json()
    hazard = supervisor.get(f"/api/v1/hazards/{accepted.get_json()['hazard_id']}").get_json()
    assert hazard["description"] == "路口餐馆液化气罐未固定"


def test_out_of_scope_supervisors_see_nothing(visitor, shop, staff):
    submitted(visitor, site_token=shop.qr_token)
    report_id = queue(staff["supervisor"])["items"][0]["id"]
    outsider = staff["outsider"]
    assert queue(outsider)["total"] == 0
    assert_problem(outsider.get(f"/api/v1/reports/{report_id}"), 404)
    assert_problem(outsider.post(f"/api/v1/reports/{report_id}/accept", json={"level": "一般", "domain": "fire"}),
                   404)
    assert_problem(outsider.post(f"/api/v1/reports/{report_id}/reject", json={"reason": "不是我们的"}), 404)
    assert_problem(staff["worker"].get(f"/api/v1/reports/{report_id}"), 404)
    assert queue(staff["district_supervisor"])["total"] == 1
    assert queue(staff["admin"])["total"] == 1


def test_district_level_reports_go_to_district_supervisors(visitor, staff):
    submitted(visitor, address="城郊某废品站", description="废品站堆放大量易燃物")
    assert queue(staff["supervisor"])["total"] == 0
    assert queue(staff["district_supervisor"])["total"] == 1


def test_reward_steps_forward_only_and_only_for_accepted_reports(visitor, shop, staff):
    submitted(visitor, site_token=shop.qr_token)
    supervisor = staff["supervisor"]
    report_id = queue(supervisor)["items"][0]["id"]
    assert_problem(supervisor.post(f"/api/v1/reports/{report_id}/reward", json={"amount": "200", "status": "pending"}),
                   409, "reward_needs_accepted_report")
    supervisor.post(f"/api/v1/reports/{report_id}/accept", json={"level": "一般", "domain": "fire"})
    for status in ("pending", "approved", "paid"):
        response = supervisor.post(f"/api/v1/reports/{report_id}/reward", json={"amount": 200, "status": status})
        assert response.status_code == 200, response.get_json()
    assert response.get_json()["reward_amount"] == "200.00" and response.get_json()["reward_status"] == "paid"
    assert_problem(supervisor.post(f"/api/v1/reports/{report_id}/reward", json={"amount": 200, "status": "pending"}),
                   409, "reward_status_backwards")
    assert_problem(supervisor.post(f"/api/v1/reports/{report_id}/reward", json={"amount": -1, "status": "paid"}),
                   422)


def test_untriaged_reports_past_one_working_day_are_handed_to_escalation(app, visitor, shop, staff, db):
    from hazardloop.public.models import PublicReport
    from hazardloop.public.services import triage_deadline, untriaged_overdue

    submitted(visitor, site_token=shop.qr_token)
    submitted(visitor, site_token=shop.qr_token, description="消防通道堆放纸箱")
    first, second = db.session.query(PublicReport).order_by(PublicReport.id).all()
    # Friday 10:00 local (2026-11-20): due by the end of Monday.
    friday = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    due = triage_deadline(friday)
    assert due == dt.datetime(2026, 11, 23, 15, 59, 59, tzinfo=dt.UTC)
    first.received_at, first.triage_due_at = friday, due
    second.received_at, second.triage_due_at = friday, due
    db.session.commit()
    assert untriaged_overdue(due - dt.timedelta(seconds=1)) == []
    staff["supervisor"].post(f"/api/v1/reports/{second.id}/reject", json={"reason": "重复举报"})
    assert [r.id for r in untriaged_overdue(due + dt.timedelta(seconds=1))] == [first.id]
    assert queue(staff["supervisor"], status="received")["items"][0]["triage_overdue"] is True


def test_the_triage_deadline_is_configurable(app, monkeypatch):
    from hazardloop.public.services import triage_deadline

    monkeypatch.setitem(app.config, "REPORT_TRIAGE_WORKING_DAYS", 2)
    friday = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
    assert triage_deadline(friday) == dt.datetime(2026, 11, 24, 15, 59, 59, tzinfo=dt.UTC)


def test_figures_by_grid_and_period(visitor, shop, staff, db, district):
    from hazardloop.hazards.models import Hazard
    from hazardloop.public.models import PublicReport

    for text in ("液化气罐未固定在灶台旁", "消防通道被纸箱堵塞了", "灭火器已经过期两年", "安全出口指示灯不亮"):
        submitted(visitor, site_token=shop.qr_token, description=text, device=text)
    submitted(visitor, address="城郊某废品站", description="废品站堆放大量易燃物", device="x")
    supervisor = staff["supervisor"]
    ids = [r["id"] for r in queue(supervisor)["items"]]
    hazard_id = supervisor.post(f"/api/v1/reports/{ids[0]}/accept",
                                json={"level": "一般", "domain": "fire"}).get_json()["hazard_id"]
    supervisor.post(f"/api/v1/reports/{ids[1]}/accept", json={"level": "一般", "domain": "fire"})
    supervisor.post(f"/api/v1/reports/{ids[2]}/reject", json={"reason": "已整改"})
    report = db.session.get(PublicReport, ids[0])
    report.triaged_at = report.received_at + dt.timedelta(hours=4)
    other = db.session.get(PublicReport, ids[1])
    other.triaged_at = other.received_at + dt.timedelta(hours=2)
    rejected = db.session.get(PublicReport, ids[2])
    rejected.triaged_at = rejected.triage_due_at + dt.timedelta(hours=1)  # after its triage deadline
    hazard = db.session.get(Hazard, hazard_id)
    hazard.status, hazard.closed_at = "closed", hazard.found_at  # 办结 (the loop itself is tested elsewhere)
    db.session.commit()

    stats = supervisor.get("/api/v1/reports/stats").get_json()
    assert stats["total"] == {"received": 4, "triaged": 3, "untriaged": 1, "accepted": 2, "rejected": 1,
                              "merged": 0, "triaged_on_time": 2, "on_time_share": 0.6667,
                              "median_triage_hours": 4.0, "accepted_share": 0.6667, "closed": 1,
                              "closed_share": 0.5}
    assert [(r["region_name"], r["received"]) for r in stats["by_region"]] == [("A1网格", 4)]
    everyone = staff["district_supervisor"].get("/api/v1/reports/stats").get_json()
    assert everyone["total"]["received"] == 5
    assert sorted(r["region_level"] for r in everyone["by_region"]) == ["district", "grid"]
    past = supervisor.get("/api/v1/reports/stats?from=2020-01-01&to=2020-12-31").get_json()
    assert past["total"]["received"] == 0 and past["by_region"] == []
    assert_problem(supervisor.get("/api/v1/reports/stats?from=2026-12-01&to=2026-01-01"), 422)
    assert staff["worker"].get("/api/v1/reports/stats").get_json()["total"]["received"] == 0
