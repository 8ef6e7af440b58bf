"""并案 and the triage queue: a duplicate follows its original; filters, the untriaged count, the reporter's photos."""

from __future__ import annotations

import datetime as dt

from tests.conftest import assert_problem
from tests.support.public_reports import fire, photo_bytes, progress, queue, submitted


def report_id(db, code):
    from hazardloop.public.models import PublicReport
    from hazardloop.public.services import report_by_tracking_code

    db.session.expire_all()
    report = report_by_tracking_code(code)
    assert isinstance(report, PublicReport)
    return report.id


def merge(client, rid, **body):
    return client.post(f"/api/v1/reports/{rid}/merge", json=body)


def test_a_report_merged_into_another_follows_it_to_the_end(visitor, shop, staff, db, make_photo):
    first = submitted(visitor, site_token=shop.qr_token)
    second = submitted(visitor, site_token=shop.qr_token, description="饭店厨房的煤气罐没有固定好", device="b")
    supervisor = staff["supervisor"]
    original, duplicate = report_id(db, first), report_id(db, second)

    merged = merge(supervisor, duplicate, report_id=original)
    assert merged.status_code == 200, merged.get_json()
    body = merged.get_json()
    assert body["status"] == "merged" and body["status_label"] == "已并案"
    assert body["duplicate_of_report_id"] == original
    seen = progress(visitor, second)
    assert seen["merged"] is True and "合并办理" in seen["merged_note"]
    assert seen["status"] == "received" and seen["status_label"] == "已提交"
    assert seen["description"] == "饭店厨房的煤气罐没有固定好"  # the reporter's own words stay

    hazard_id = supervisor.post(f"/api/v1/reports/{original}/accept",
                                json={"level": "一般", "domain": "fire"}).get_json()["hazard_id"]
    assert progress(visitor, second)["status_label"] == "已立案"
    before, after = make_photo(staff["users"]["worker"]), make_photo(staff["users"]["worker"])
    fire(staff["worker"], hazard_id, "close_on_site", before_photo_ids=[before.id], after_photo_ids=[after.id])
    closed = progress(visitor, second)
    assert closed["status"] == "closed" and closed["status_label"] == "已办结" and closed["closed_at"]
    assert_problem(merge(supervisor, duplicate, report_id=original), 409, "report_already_triaged")
    assert_problem(supervisor.post(f"/api/v1/reports/{duplicate}/accept", json={"level": "一般", "domain": "fire"}),
                   409, "report_already_triaged")


def test_a_report_merged_into_a_hazard_shows_that_hazards_progress(visitor, shop, staff, db):
    first = submitted(visitor, site_token=shop.qr_token)
    supervisor = staff["supervisor"]
    hazard_id = supervisor.post(f"/api/v1/reports/{report_id(db, first)}/accept",
                                json={"level": "一般", "domain": "fire"}).get_json()["hazard_id"]
    later = submitted(visitor, site_token=shop.qr_token, description="后厨液化气瓶靠着灶台放", device="c")
    rid = report_id(db, later)
    candidates = supervisor.get(f"/api/v1/reports/{rid}/duplicates").get_json()
    assert [h["id"] for h in candidates["hazards"]] == [hazard_id] and candidates["hazards"][0]["status_label"]
    assert [r["id"] for r in candidates["reports"]] == [report_id(db, first)]

    body = merge(supervisor, rid, hazard_id=hazard_id).get_json()
    assert body["duplicate_of_hazard_id"] == hazard_id and body["duplicate_of_hazard_number"].startswith("YH")
    assert progress(visitor, later)["status_label"] == "已立案"
    fire(supervisor, hazard_id, "assign")
    assert progress(visitor, later)["status_label"] == "整改中" and progress(visitor, later)["deadline_at"]


def test_merging_into_a_merged_report_goes_to_its_original(visitor, shop, staff, db):
    codes = [submitted(visitor, site_token=shop.qr_token, description=text, device=text)
             for text in ("消防通道堆满纸箱", "通道里全是纸箱子", "纸箱把安全出口堵了")]
    a, b, c = (report_id(db, code) for code in codes)
    supervisor = staff["supervisor"]
    assert merge(supervisor, b, report_id=a).status_code == 200
    assert merge(supervisor, c, report_id=b).get_json()["duplicate_of_report_id"] == a


def test_merging_refuses_what_cannot_be_followed(visitor, shop, staff, db, district, make_site):
    codes = [submitted(visitor, site_token=shop.qr_token, description=text, device=text)
             for text in ("消防通道堆满纸箱", "通道里全是纸箱子", "纸箱把安全出口堵了")]
    a, b, c = (report_id(db, code) for code in codes)
    elsewhere = make_site(district.grid_b1)
    supervisor = staff["supervisor"]
    assert merge(supervisor, a, report_id=a).status_code == 422
    body = assert_problem(merge(supervisor, a), 422)
    assert body["errors"][0]["field"] == "report_id"
    assert_problem(merge(supervisor, a, report_id=b, hazard_id=1), 422)
    supervisor.post(f"/api/v1/reports/{c}/reject", json={"reason": "经核实已整改"})
    assert merge(supervisor, a, report_id=c).status_code == 422
    assert_problem(merge(supervisor, a, report_id=999_999), 404)
    assert_problem(merge(supervisor, a, hazard_id=999_999), 404)
    assert_problem(merge(staff["outsider"], a, report_id=b), 404)
    other = submitted(visitor, site_token=elsewhere.qr_token, description="别的街道的举报内容", device="o")
    assert_problem(merge(supervisor, a, report_id=report_id(db, other)), 404)  # not in this supervisor's scope
    assert progress(visitor, codes[0])["status"] == "received"


def test_the_queue_filters_by_status_region_and_date_and_counts_the_untriaged(visitor, shop, staff, db, district):
    from hazardloop.public.models import PublicReport

    codes = [submitted(visitor, site_token=shop.qr_token, description=text, device=text)
             for text in ("消防通道堆满纸箱", "灭火器过期两年了", "安全出口灯不亮")]
    submitted(visitor, address="城郊某废品站", description="废品站堆放大量易燃物", device="x")
    supervisor, district_supervisor = staff["supervisor"], staff["district_supervisor"]
    old = db.session.get(PublicReport, report_id(db, codes[0]))
    old.received_at = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
    db.session.commit()
    supervisor.post(f"/api/v1/reports/{report_id(db, codes[1])}/reject", json={"reason": "已整改完毕"})

    assert supervisor.get("/api/v1/reports/count").get_json() == {"untriaged": 2}
    assert district_supervisor.get("/api/v1/reports/count").get_json() == {"untriaged": 3}
    assert staff["worker"].get("/api/v1/reports/count").get_json() == {"untriaged": 0}
    assert queue(supervisor, status="received")["total"] == 2
    assert [i["status_label"] for i in queue(supervisor, status="rejected")["items"]] == ["不予立案"]
    assert queue(district_supervisor, region_id=district.grid_a1.id)["total"] == 3
    assert queue(district_supervisor, region_id=district.street_b.id)["total"] == 0
    assert queue(supervisor, **{"from": "2026-06-01", "to": "2026-06-01"})["total"] == 1
    assert queue(supervisor, **{"from": "2026-06-02"})["total"] == 2
    assert_problem(supervisor.get("/api/v1/reports?from=2026-06-02&to=2026-06-01"), 422)
    assert_problem(supervisor.get(f"/api/v1/reports?region_id={district.street_b.id}"), 404)


def test_supervisors_see_the_reporters_photos_before_any_hazard_links_them(visitor, shop, staff, db):
    code = submitted(visitor, site_token=shop.qr_token, photos=[photo_bytes()])
    rid = report_id(db, code)
    supervisor = staff["supervisor"]
    photo_id = supervisor.get(f"/api/v1/reports/{rid}").get_json()["photo_ids"][0]
    evidence = supervisor.get(f"/api/v1/reports/{rid}/photos/{photo_id}")
    assert evidence.status_code == 200 and evidence.mimetype == "image/jpeg"
    thumb = supervisor.get(f"/api/v1/reports/{rid}/photos/{photo_id}?kind=thumbnail")
    assert thumb.status_code == 200 and len(thumb.data) < len(evidence.data)
    assert_problem(staff["outsider"].get(f"/api/v1/reports/{rid}/photos/{photo_id}"), 404)
    assert_problem(supervisor.get(f"/api/v1/reports/{rid}/photos/{'0' * 64}"), 404)


def test_accepting_routes_the_hazard_to_the_department_supervising_the_domain(visitor, shop, staff, db, district):
    code = submitted(visitor, site_token=shop.qr_token)
    accepted = staff["supervisor"].post(f"/api/v1/reports/{report_id(db, code)}/accept",
                                        json={"level": "一般", "domain": "fire"})
    hazard = staff["supervisor"].get(f"/api/v1/hazards/{accepted.get_json()['hazard_id']}").get_json()
    assert hazard["department_id"] == district.fire_dept.id


def test_two_supervisors_triaging_one_report_at_once_have_one_effect(visitor, shop, staff, db):
    from tests.support.concurrency import run_at_once

    code = submitted(visitor, site_token=shop.qr_token)
    rid = report_id(db, code)
    first, second = run_at_once([
        lambda: staff["supervisor"].post(f"/api/v1/reports/{rid}/accept", json={"level": "一般", "domain": "fire"}),
        lambda: staff["district_supervisor"].post(f"/api/v1/reports/{rid}/reject", json={"reason": "不属实"}),
    ])
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.get_json(), second.get_json())
    assert_problem(first if first.status_code == 409 else second, 409, "report_already_triaged")
    seen = progress(visitor, code)
    assert seen["status"] in ("accepted", "rejected")
    assert (seen["rejection_reason"] is not None) == (seen["status"] == "rejected")
