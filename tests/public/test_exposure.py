"""曝光台, the QR page's published hazards, Open311 open data — and a scan of every public answer for leaks."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from tests.conftest import assert_problem
from tests.support.public_reports import fire, photo_bytes, queue, submitted

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def accept(supervisor, report_id, **extra):
    response = supervisor.post(f"/api/v1/reports/{report_id}/accept",
                               json={"level": "一般", "domain": "fire", **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["hazard_id"]


def publish(client, hazard_id, public=True):
    return client.post(f"/api/v1/hazards/{hazard_id}/publish", json={"public": public})


def test_publishing_shows_the_hazard_and_its_public_photo_copies(visitor, shop, staff, db):
    submitted(visitor, site_token=shop.qr_token, photos=[photo_bytes()])
    supervisor = staff["supervisor"]
    item = queue(supervisor)["items"][0]
    hazard_id = accept(supervisor, item["id"])
    photo_url = f"/api/v1/photos/{item['photo_ids'][0]}/public"
    assert visitor.get(photo_url).status_code == 404
    assert visitor.get("/api/v1/public/exposure").get_json()["items"] == []

    response = publish(supervisor, hazard_id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["public"] is True
    board = visitor.get("/api/v1/public/exposure").get_json()
    assert board["total"] == 1
    shown = board["items"][0]
    assert shown["site_name"] == shop.name and shown["status_label"] == "已发现" and shown["photos"] == [photo_url]
    assert visitor.get(photo_url).status_code == 200
    page = visitor.get(f"/api/v1/public/sites/{shop.qr_token}").get_json()
    assert [h["description"] for h in page["hazards"]] == [shown["description"]]

    assert publish(supervisor, hazard_id, public=False).get_json()["public"] is False
    assert visitor.get("/api/v1/public/exposure").get_json()["items"] == []
    assert visitor.get(photo_url).status_code == 404


def test_only_supervisors_in_scope_publish(visitor, shop, staff):
    submitted(visitor, site_token=shop.qr_token)
    hazard_id = accept(staff["supervisor"], queue(staff["supervisor"])["items"][0]["id"])
    assert_problem(publish(staff["outsider"], hazard_id), 404)
    assert_problem(publish(staff["worker"], hazard_id), 403)
    assert publish(staff["admin"], hazard_id).status_code == 200


def test_a_covert_finding_cannot_be_published_before_it_is_exposed(visitor, shop, staff, db):
    from hazardloop.hazards.models import Hazard

    submitted(visitor, site_token=shop.qr_token)
    hazard_id = accept(staff["supervisor"], queue(staff["supervisor"])["items"][0]["id"])
    db.session.get(Hazard, hazard_id).covert = True
    db.session.commit()
    assert_problem(publish(staff["supervisor"], hazard_id), 409, "covert_not_publishable")


def test_closed_hazards_show_before_and_after(visitor, shop, staff, make_photo):
    submitted(visitor, site_token=shop.qr_token, photos=[photo_bytes()])
    supervisor = staff["supervisor"]
    item = queue(supervisor)["items"][0]
    hazard_id = accept(supervisor, item["id"])
    publish(supervisor, hazard_id)
    after = make_photo(staff["users"]["worker"])
    fire(staff["worker"], hazard_id, "close_on_site", before_photo_ids=item["photo_ids"], after_photo_ids=[after.id])
    publish(supervisor, hazard_id)  # publishing again shows the photos added since
    shown = visitor.get("/api/v1/public/exposure").get_json()["items"][0]
    assert shown["status"] == "closed" and shown["closed_at"]
    assert shown["before_after"] == [{"before": f"/api/v1/photos/{item['photo_ids'][0]}/public",
                                      "after": f"/api/v1/photos/{after.id}/public"}]
    assert shown["photos"] == [f"/api/v1/photos/{item['photo_ids'][0]}/public"]


def test_open311_lists_accepted_reports_and_exposed_hazards_by_public_ids(visitor, shop, staff, make_photo, db):
    from hazardloop.hazards.models import Hazard
    from hazardloop.public.models import PublicReport

    submitted(visitor, site_token=shop.qr_token, photos=[photo_bytes()])
    submitted(visitor, site_token=shop.qr_token, description="消防通道被纸箱堵塞")
    submitted(visitor, site_token=shop.qr_token, description="安全出口指示灯不亮")
    supervisor = staff["supervisor"]
    first, second, third = sorted(queue(supervisor)["items"], key=lambda r: r["id"])
    accepted_id = accept(supervisor, first["id"])
    supervisor.post(f"/api/v1/reports/{second['id']}/reject", json={"reason": "已整改"})
    publish(supervisor, accepted_id)

    services = visitor.get("/api/v1/open311/services.json").get_json()
    assert {"service_code": "fire", "service_name": "消防安全"}.items() <= services[2].items() or any(
        s["service_code"] == "fire" and s["service_name"] == "消防安全" for s in services)

    requests = visitor.get("/api/v1/open311/requests.json").get_json()
    report = db.session.get(PublicReport, first["id"])
    assert [r["service_request_id"] for r in requests] == [report.public_id]
    one = requests[0]
    assert one["status"] == "open" and one["status_notes"] == "已立案" and one["service_code"] == "fire"
    assert one["media_url"].endswith(f"/api/v1/photos/{first['photo_ids'][0]}/public")
    assert one["service_request_id"] not in (report.tracking_code, str(report.id))

    fire(supervisor, accepted_id, "assign")
    single = visitor.get(f"/api/v1/open311/requests/{report.public_id}.json").get_json()
    assert single[0]["status_notes"] == "整改中" and single[0]["expected_datetime"]
    assert visitor.get("/api/v1/open311/requests.json?status=closed").get_json() == []

    # An exposed hazard that did not come from a report is listed under its own public code.
    submitted(visitor, site_token=shop.qr_token, description="配电箱前堆放杂物")
    other = accept(supervisor, queue(supervisor, status="received")["items"][0]["id"])
    db.session.query(PublicReport).filter_by(hazard_id=other).delete()
    db.session.commit()
    code = publish(supervisor, other).get_json()["code"]
    ids = [r["service_request_id"] for r in visitor.get("/api/v1/open311/requests.json").get_json()]
    assert sorted(ids) == sorted([report.public_id, code])
    assert db.session.get(Hazard, other).exposed_publicly is True

    missing = visitor.get(f"/api/v1/open311/requests/{third['id']}.json")
    assert_problem(missing, 404)
    assert visitor.get("/api/v1/open311/requests/nope.json").get_data() == missing.get_data()


def test_no_public_answer_leaks_people_ids_phones_or_photo_metadata(visitor, shop, staff, make_photo, db):
    """A whole story through the public endpoints, with every body collected and scanned."""
    from hazardloop.accounts.models import User
    from hazardloop.public.models import PublicReport

    bodies: list[str] = []

    def public_get(path):
        response = visitor.get(path)
        bodies.append(response.get_data(as_text=True))
        return response

    def public_report(**fields):
        response = visitor.report(**fields)
        bodies.append(response.get_data(as_text=True))
        return response

    public_get(f"/api/v1/public/sites/{shop.qr_token}")
    code = public_report(site_token=shop.qr_token, phone="13812345678", photos=[photo_bytes()]).get_json()[
        "tracking_code"]
    code2 = public_report(site_token=shop.qr_token, phone="+86 139 0000 1111",
                          description="老板电话13900001111，后门被锁死").get_json()["tracking_code"]
    public_report(site_token=shop.qr_token, phone="13812345678", photos=[photo_bytes()])  # duplicate
    public_report(site_token="wrong")
    supervisor = staff["supervisor"]
    first, second = sorted(queue(supervisor)["items"], key=lambda r: r["id"])
    hazard_id = accept(supervisor, first["id"])
    second_hazard = accept(supervisor, second["id"])
    for hid in (hazard_id, second_hazard):
        publish(supervisor, hid)
    after = make_photo(staff["users"]["worker"])
    fire(staff["worker"], hazard_id, "close_on_site", before_photo_ids=first["photo_ids"], after_photo_ids=[after.id])
    publish(supervisor, hazard_id)

    for path in (f"/api/v1/public/sites/{shop.qr_token}", f"/api/v1/public/reports/{code}",
                 f"/api/v1/public/reports/{code2}", "/api/v1/public/reports/nope", "/api/v1/public/exposure",
                 "/api/v1/open311/services.json", "/api/v1/open311/requests.json",
                 f"/api/v1/open311/requests/{db.session.get(PublicReport, first['id']).public_id}.json"):
        assert public_get(path).status_code in (200, 404)

    photo_urls = set()
    for body in bodies:
        photo_urls |= set(re.findall(r"/api/v1/photos/[0-9a-f]{64}/public", body))
    assert len(photo_urls) == 2  # the report's photo (before) and the after photo
    assert any("before_after" in b and '"after":' in b for b in bodies)

    names = [u.display_name for u in db.session.query(User)] + ["王店主"]
    forbidden_keys = {"id", "site_id", "hazard_id", "region_id", "photo_ids", "phone", "mobile", "number",
                      "found_by", "inspector", "uploaded_by", "contact_name", "contact_mobile", "exif_lat",
                      "exif_lng", "recorded_lat", "recorded_lng", "tracking_code_of_duplicate"}
    everything = "\n".join(bodies)
    assert not MOBILE.search(everything), MOBILE.search(everything)
    assert "1390000" not in everything and "12345678" not in everything
    for name in names:
        assert name not in everything, name
    for body in bodies:
        assert "<html" not in body.lower()
        keys = _keys(json.loads(body))
        assert not keys & forbidden_keys, keys & forbidden_keys
        # Numbers are only counts and HTTP statuses, never a row number under another name.
        assert _integer_keys(json.loads(body)) <= {"total", "page", "per_page", "status"}, body

    for url in photo_urls:
        response = visitor.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        image = Image.open(io.BytesIO(response.get_data()))
        exif = image.getexif()
        assert not exif and not exif.get_ifd(0x8825), dict(exif)
        assert "exif" not in image.info and b"ACME" not in response.get_data()


def _keys(value):
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _integer_keys(value):
    if isinstance(value, dict):
        return ({k for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}
                | {k for v in value.values() for k in _integer_keys(v)})
    if isinstance(value, list):
        return {k for v in value for k in _integer_keys(v)}
    return set()
