"""企业自主注册: claim a site by credit code + phone on record with an SMS code, or apply with a licence photo;
a street supervisor approves (the account arrives by SMS, password changed at first login) or refuses."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import assert_problem

CODE = "91310110666007217T"


@pytest.fixture(autouse=True)
def sms():
    from hazardloop.notifications.channels import FakeSmsGateway

    FakeSmsGateway.sent = []
    return FakeSmsGateway.sent


def texts(sms, mobile):
    return [m["text"] for m in sms if m["mobile"] == mobile]


def last_code(sms, mobile):
    return re.search(r"验证码 (\d{6})", texts(sms, mobile)[-1]).group(1)


def test_an_enterprise_claims_its_site_and_gets_its_account_after_approval(
        district, make_site, make_user, api, login, sms, app, db):
    from hazardloop.accounts.models import User
    from hazardloop.hazards.models import AuditEvent

    site = make_site(district.grid_a1, name="嘉诚纺织", credit_code=CODE, contact_mobile="13612345678")
    sent = api.post("/api/v1/enterprise-registration/codes", json={"credit_code": CODE, "mobile": "13612345678"})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["site_name"] == "嘉诚纺织"
    wrong = api.post("/api/v1/enterprise-registration/claims", json={
        "credit_code": CODE, "mobile": "13612345678", "code": "000000", "contact_name": "李经理"})
    if last_code(sms, "13612345678") != "000000":
        assert_problem(wrong, 422)
    claimed = api.post("/api/v1/enterprise-registration/claims", json={
        "credit_code": CODE, "mobile": "13612345678", "code": last_code(sms, "13612345678"),
        "contact_name": "李经理"})
    assert claimed.status_code == 201, claimed.get_json()
    application = claimed.get_json()
    assert application["status"] == "pending" and application["kind"] == "claim"

    supervisor = make_user("supervisor", region=district.street_a)
    desk = login(supervisor)
    queue = desk.get("/api/v1/enterprise-applications").get_json()
    assert [a["id"] for a in queue] == [application["id"]]
    assert queue[0]["mobile_verified"] is True and queue[0]["site_name"] == "嘉诚纺织"
    assert login(make_user("supervisor", region=district.street_b)).get(
        "/api/v1/enterprise-applications").get_json() == []
    approved = desk.post(f"/api/v1/enterprise-applications/{application['id']}/approve", json={})
    assert approved.status_code == 200, approved.get_json()
    assert_problem(desk.post(f"/api/v1/enterprise-applications/{application['id']}/approve", json={}), 409)

    message = texts(sms, "13612345678")[-1]
    password = re.search(r"初始密码 (\S+)，", message).group(1)
    user = db.session.scalar(select(User).where(User.mobile == "13612345678"))
    assert user.must_change_password is True
    assert [(g.role, g.site_id) for g in user.grants] == [("enterprise_user", site.id)]
    enterprise = api.__class__(app.test_client())
    assert enterprise.login("13612345678", password).status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "enterprise_account_approved")).one()
    assert event.actor_id == supervisor.id and event.payload["user_id"] == user.id


def test_a_claim_needs_the_phone_on_record(district, make_site, api, sms):
    make_site(district.grid_a1, credit_code=CODE, contact_mobile="13612345678")
    refused = api.post("/api/v1/enterprise-registration/codes", json={"credit_code": CODE, "mobile": "13700000000"})
    assert_problem(refused, 404, "no_matching_site")
    assert sms == []
    bad = api.post("/api/v1/enterprise-registration/codes", json={"credit_code": "123", "mobile": "13700000000"})
    assert_problem(bad, 422)


def test_code_requests_are_throttled_per_phone(district, make_site, api, sms):
    make_site(district.grid_a1, credit_code=CODE, contact_mobile="13612345678")
    body = {"credit_code": CODE, "mobile": "13612345678"}
    assert api.post("/api/v1/enterprise-registration/codes", json=body).status_code == 200
    again = assert_problem(api.post("/api/v1/enterprise-registration/codes", json=body), 429, "code_rate_limited")
    assert "秒后再试" in again["detail"]
    assert len(sms) == 1


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_an_enterprise_without_a_site_applies_with_its_licence_and_is_refused_with_a_reason(
        district, make_user, api, login, sms):
    streets = api.get("/api/v1/enterprise-registration/streets").get_json()
    assert {"id": district.street_a.id, "name": "A街道"} in streets
    assert api.post("/api/v1/enterprise-registration/codes",
                    json={"purpose": "apply", "mobile": "13655556666"}).status_code == 200
    form = {"name": "新开张小吃店", "address": "幸福路 9 号", "street_id": str(district.street_a.id),
            "contact_name": "赵老板", "mobile": "13655556666", "code": last_code(sms, "13655556666"),
            "licence_photo": (io.BytesIO(_jpeg()), "licence.jpg")}
    applied = api.client.post("/api/v1/enterprise-registration/applications", data=form,
                              content_type="multipart/form-data")
    assert applied.status_code == 201, applied.get_json()
    desk = login(make_user("supervisor", region=district.street_a))
    row = desk.get("/api/v1/enterprise-applications").get_json()[0]
    assert row["kind"] == "apply" and row["licence_photo_id"]
    photo = desk.get(f"/api/v1/enterprise-applications/{row['id']}/licence-photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert_problem(desk.post(f"/api/v1/enterprise-applications/{row['id']}/approve", json={}), 422)
    refused = desk.post(f"/api/v1/enterprise-applications/{row['id']}/refuse", json={"reason": "营业执照照片不清晰"})
    assert refused.get_json()["status"] == "refused"
    assert "营业执照照片不清晰" in texts(sms, "13655556666")[-1]


def test_an_application_approved_into_a_grid_creates_the_site(district, make_user, api, login, sms, db):
    from hazardloop.sites.models import Site

    api.post("/api/v1/enterprise-registration/codes", json={"purpose": "apply", "mobile": "13655557777"})
    form = {"name": "新开张五金店", "address": "幸福路 11 号", "street_id": str(district.street_a.id),
            "category": "small_shop", "contact_name": "钱老板", "mobile": "13655557777",
            "code": last_code(sms, "13655557777"), "licence_photo": (io.BytesIO(_jpeg()), "licence.jpg")}
    api.client.post("/api/v1/enterprise-registration/applications", data=form, content_type="multipart/form-data")
    desk = login(make_user("supervisor", region=district.street_a))
    row = desk.get("/api/v1/enterprise-applications").get_json()[0]
    assert_problem(desk.post(f"/api/v1/enterprise-applications/{row['id']}/approve",
                             json={"grid_id": district.grid_b1.id}), 404)  # not my street's grid
    done = desk.post(f"/api/v1/enterprise-applications/{row['id']}/approve", json={"grid_id": district.grid_a1.id})
    assert done.status_code == 200, done.get_json()
    site = db.session.scalar(select(Site).where(Site.name == "新开张五金店"))
    assert site.grid_id == district.grid_a1.id and site.contact_mobile == "13655557777"


def test_the_applicant_reads_the_refusal_with_its_receipt_and_applies_again_without_a_new_code(
        district, make_user, api, login, sms):
    api.post("/api/v1/enterprise-registration/codes", json={"purpose": "apply", "mobile": "13655558888"})
    form = {"name": "新开张粮油店", "address": "幸福路 13 号", "street_id": str(district.street_a.id),
            "contact_name": "孙老板", "mobile": "13655558888", "code": last_code(sms, "13655558888"),
            "licence_photo": (io.BytesIO(_jpeg()), "licence.jpg")}
    receipt = api.client.post("/api/v1/enterprise-registration/applications", data=form,
                              content_type="multipart/form-data").get_json()["receipt"]
    status = api.get(f"/api/v1/enterprise-registration/applications/{receipt}").get_json()
    assert (status["status"], status["status_label"], status["mobile"]) == ("pending", "待审核", "136****8888")
    assert status["region_name"] == "A街道" and status["has_licence_photo"] is True
    first_id = status["id"]
    # Another id, or the same id with another token, is not found (the receipt cannot be guessed from the id).
    assert_problem(api.get(f"/api/v1/enterprise-registration/applications/{first_id}-{'0' * 24}"), 404,
                   "application_not_found")
    fields = {"name": "新开张粮油店", "address": "幸福路 13 号", "street_id": str(district.street_a.id),
              "contact_name": "孙老板"}
    assert_problem(api.client.post(f"/api/v1/enterprise-registration/applications/{receipt}/reapply",
                                   data=fields, content_type="multipart/form-data"), 409, "not_refused")

    desk = login(make_user("supervisor", region=district.street_a))
    desk.post(f"/api/v1/enterprise-applications/{first_id}/refuse", json={"reason": "营业执照已过期，请上传新证照片"})
    status = api.get(f"/api/v1/enterprise-registration/applications/{receipt}").get_json()
    assert (status["status_label"], status["refusal_reason"]) == ("未通过", "营业执照已过期，请上传新证照片")

    codes_before = len(texts(sms, "13655558888"))
    again = api.client.post(f"/api/v1/enterprise-registration/applications/{receipt}/reapply",
                            data={**fields, "licence_photo": (io.BytesIO(_jpeg()), "new.jpg")},
                            content_type="multipart/form-data")
    assert again.status_code == 201, again.get_json()
    second = again.get_json()
    assert second["id"] != first_id and second["status"] == "pending" and second["receipt"] != receipt
    assert len(texts(sms, "13655558888")) == codes_before  # no new SMS code needed
    twice = api.client.post(f"/api/v1/enterprise-registration/applications/{receipt}/reapply", data=fields,
                            content_type="multipart/form-data")
    assert twice.get_json()["id"] == second["id"]  # a double tap answers the pending re-application
    row = next(a for a in desk.get("/api/v1/enterprise-applications").get_json() if a["id"] == second["id"])
    assert row["mobile"] == "13655558888" and row["mobile_verified"] is True and row["licence_photo_id"]
    done = desk.post(f"/api/v1/enterprise-applications/{second['id']}/approve", json={"grid_id": district.grid_a1.id})
    assert done.status_code == 200, done.get_json()
    assert "初始密码" in texts(sms, "13655558888")[-1]
