"""群众举报 by anyone: the QR page, the report and its tracking code, and every abuse case."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import assert_problem
from tests.support.public_reports import Visitor, photo_bytes

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> 灭火器<b>过期</b>'


def test_the_qr_page_shows_the_site_without_login(visitor, shop):
    response = visitor.get(f"/api/v1/public/sites/{shop.qr_token}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"name": shop.name, "category": "small_restaurant",
                                   "category_label": "小餐饮", "hazards": []}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_anonymous_report_with_a_photo_gets_a_code_and_reads_received(visitor, shop, db):
    from hazardloop.evidence.models import Photo
    from hazardloop.public.models import PublicReport

    response = visitor.report(site_token=shop.qr_token, phone="138-1234-5678", photos=[photo_bytes()])
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["status"] == "received" and receipt["status_label"] == "已提交"
    code = receipt["tracking_code"]
    # Read aloud and typed: 4-4-5 groups from 31 symbols without 0/O, 1/I/L (31 ** 13 ≈ 2 ** 64.4).
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}", code)

    progress = visitor.get(f"/api/v1/public/reports/{code}").get_json()
    assert progress["status"] == "received" and progress["received_at"]
    assert progress["rejection_reason"] is None and progress["category_label"] == "消防安全"

    report = db.session.query(PublicReport).one()
    assert report.site_id == shop.id and report.region_id == shop.grid_id and report.phone == "13812345678"
    photo = db.session.get(Photo, report.photo_ids[0])
    assert photo.uploaded_by_id is None and photo.uploads == [] and photo.published_at is None
    assert report.triage_due_at > report.received_at


def test_codes_are_unguessable_and_distinct(visitor, shop):
    codes = {visitor.report(site_token=shop.qr_token, description=f"第{i}处消防通道被堵塞").get_json()["tracking_code"]
             for i in range(4)}
    assert len(codes) == 4


def test_a_map_point_inside_a_grid_polygon_goes_to_that_grid(visitor, district, db):
    from hazardloop.public.models import PublicReport

    assert visitor.report(lat=30.35, lng=120.15, address="文一路口").status_code == 201
    assert visitor.report(lat=31.0, lng=121.0, description="河边仓库违规存放烟花爆竹").status_code == 201
    assert visitor.report(address="某小区 3 幢地下室", description="地下室电动车充电").status_code == 201
    regions = [r.region_id for r in db.session.query(PublicReport).order_by(PublicReport.id)]
    assert regions == [district.grid_a1.id, district.district.id, district.district.id]


def test_a_report_needs_a_place(visitor, district):
    body = assert_problem(visitor.report(), 422, "validation_failed")
    assert body["errors"][0]["field"] == "location"


def test_a_wrong_or_rotated_token_is_the_same_plain_404(visitor, shop, staff, db):
    old = shop.qr_token
    rotated = staff["supervisor"].post(f"/api/v1/sites/{shop.id}/qr-token")
    assert rotated.status_code == 200, rotated.get_json()
    unknown = visitor.get("/api/v1/public/sites/" + "A" * len(old))
    stale = visitor.get(f"/api/v1/public/sites/{old}")
    assert_problem(unknown, 404, "not_found")
    assert unknown.get_data() == stale.get_data()
    assert visitor.report(site_token=old).get_data() == unknown.get_data()


def test_unknown_tracking_codes_are_identical_404s(visitor, shop):
    real = visitor.report(site_token=shop.qr_token).get_json()["tracking_code"]
    near = real[:-1] + ("A" if real[-1] != "A" else "B")
    answers = [visitor.get(f"/api/v1/public/reports/{c}") for c in (near, "x", "0" * 200)]
    assert_problem(answers[0], 404, "not_found")
    assert len({a.get_data() for a in answers}) == 1


def test_html_is_stored_and_returned_as_inert_text(visitor, shop, db):
    from hazardloop.public.models import PublicReport

    response = visitor.report(site_token=shop.qr_token, description=XSS, address="<a href=javascript:x>here</a>")
    assert response.status_code == 201
    assert db.session.query(PublicReport).one().description == XSS.strip()
    progress = visitor.get(f"/api/v1/public/reports/{response.get_json()['tracking_code']}")
    assert progress.mimetype == "application/json" and progress.get_json()["description"] == XSS.strip()
    assert progress.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_filled_honeypot_pretends_success_and_stores_nothing(visitor, shop, db):
    from hazardloop.evidence.models import Photo
    from hazardloop.public.models import PublicReport

    response = visitor.report(site_token=shop.qr_token, website="http://spam.example", photos=[photo_bytes()])
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"tracking_code", "status", "status_label", "received_at"} and body["status"] == "received"
    assert db.session.query(PublicReport).count() == 0 and db.session.query(Photo).count() == 0
    assert_problem(visitor.get(f"/api/v1/public/reports/{body['tracking_code']}"), 404)
    # Even with nonsense in the other fields: a robot learns nothing from validation errors.
    assert visitor.report(website="x", description="", category="?").status_code == 201


def test_the_same_text_at_the_same_site_within_a_day_is_a_duplicate(visitor, shop, db):
    from hazardloop.public.models import PublicReport

    first = visitor.report(site_token=shop.qr_token, description="灶台旁边有液化气罐！！")
    assert first.status_code == 201
    other = Visitor(visitor.client, device="device-b", ip="198.51.100.9")
    again = other.report(site_token=shop.qr_token, description="  灶台旁边 有液化气罐。 ")
    body = assert_problem(again, 409, "duplicate_report")
    assert first.get_json()["tracking_code"] not in again.get_data(as_text=True)
    assert other.report(site_token=shop.qr_token, description="消防通道被纸箱堵住").status_code == 201

    report = db.session.query(PublicReport).order_by(PublicReport.id).first()
    report.received_at -= dt.timedelta(days=1, minutes=1)
    db.session.commit()
    assert other.report(site_token=shop.qr_token, description="灶台旁边有液化气罐").status_code == 201
    assert "相同内容" in body["detail"]


def test_rate_limit_per_device(app, visitor, shop, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORT_LIMIT_PER_DEVICE", "2 per hour")
    for i in range(2):
        assert visitor.report(site_token=shop.qr_token, description=f"问题描述第{i}条").status_code == 201
    body = assert_problem(visitor.report(site_token=shop.qr_token, description="第三条问题描述"), 429,
                          "report_rate_limited")
    assert body["retry_after"] > 0
    # The same phone from another address is still the same device.
    assert_problem(visitor.report(site_token=shop.qr_token, description="第四条问题描述", ip="192.0.2.1"), 429)
    # Another device behind the same address may still report.
    assert visitor.report(site_token=shop.qr_token, description="第五条问题描述", device="device-z").status_code == 201


def test_rate_limit_per_address_counts_honeypot_hits_too(app, visitor, shop, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORT_LIMIT_PER_ADDRESS", "3 per hour")
    for i in range(3):
        response = visitor.report(site_token=shop.qr_token, description=f"问题描述第{i}条", device=f"d{i}",
                                  website="x" if i == 0 else None)
        assert response.status_code == 201
    assert_problem(visitor.report(site_token=shop.qr_token, description="换设备也不行", device="d9"), 429,
                   "report_rate_limited")
    assert visitor.report(site_token=shop.qr_token, description="别的地址可以", ip="192.0.2.50",
                          device="d10").status_code == 201


@pytest.mark.parametrize(("fields", "field"), [
    ({"description": "短"}, "description"),
    ({"description": "长" * 2001}, "description"),
    ({"address": "路" * 301}, "address"),
    ({"category": "weather"}, "category"),
    ({"phone": "12345"}, "phone"),
    ({"lat": 95, "lng": 120}, "lat"),
    ({"lat": 30.3}, "lng"),
    ({"site_token": "t" * 65}, "site_token"),
])
def test_fields_have_limits(visitor, shop, fields, field):
    body = assert_problem(visitor.report(**({"site_token": shop.qr_token} | fields)), 422)
    assert field in {e["field"] for e in body["errors"]}


def test_at_most_three_photos(visitor, shop):
    photos = [photo_bytes((i * 40, 10, 10)) for i in range(4)]
    body = assert_problem(visitor.report(site_token=shop.qr_token, photos=photos), 422)
    assert body["errors"][0]["field"] == "photos"


def test_oversize_bodies_and_photos_are_refused(app, visitor, shop, monkeypatch, db):
    from hazardloop.public.models import PublicReport

    monkeypatch.setitem(app.config, "PUBLIC_REPORT_MAX_BYTES", 20_000)
    big = photo_bytes() + b"\0" * 25_000
    assert_problem(visitor.report(site_token=shop.qr_token, photos=[big]), 413, "report_too_large")
    monkeypatch.setitem(app.config, "PUBLIC_REPORT_MAX_BYTES", 1_000_000)
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 10_000)
    assert_problem(visitor.report(site_token=shop.qr_token, photos=[big]), 413, "photo_too_large")
    assert db.session.query(PublicReport).count() == 0


def test_not_a_photo_is_refused_by_the_safe_upload_path(visitor, shop, db):
    from hazardloop.public.models import PublicReport

    response = visitor.report(site_token=shop.qr_token, photos=[b"<html><script>alert(1)</script></html>"])
    assert assert_problem(response, 422)["code"] == "photo_not_an_image"
    assert db.session.query(PublicReport).count() == 0
