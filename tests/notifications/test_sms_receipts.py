"""短信回执: the providers' status reports turn a sent SMS into 已送达, or 被拒绝 when the carrier could not deliver.

The SMS goes out to the local stand-in that speaks each provider's protocol (its answer carries the BizId or
SerialNo); the report is then posted as the provider posts it, to the address with the secret token.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hazardloop.notifications.models import Delivery
from hazardloop.notifications.services import deliver_notification, notify
from tests.conftest import assert_problem

TOKEN = "r3ceipt-t0ken-for-tests"
MOBILE = "13900000001"


@pytest.fixture
def sent(db, app, parties, provider, monkeypatch):
    """``sent(name)``: a notice's SMS sent through that provider's stand-in; its delivery row."""
    monkeypatch.setitem(app.config, "SMS_RECEIPT_TOKEN", TOKEN)

    def send(name: str) -> Delivery:
        provider(name)
        [notice] = notify([parties.owner.id], kind="hazard.assign", title="隐患已交办", body="请按期整改",
                          hazard_id=None, dedupe_key=f"receipt:{name}")
        db.session.commit()
        deliver_notification(notice.id, "sms", MOBILE)
        db.session.commit()
        return db.session.scalar(select(Delivery).where(Delivery.notification_id == notice.id))

    return send


def test_an_aliyun_report_marks_the_sms_delivered_once(sent: Any, api: Any, db: Any) -> None:
    delivery = sent("aliyun")
    assert delivery.status == "sent" and delivery.provider_ref
    report = [{"phone_number": MOBILE, "send_time": "2026-12-08 10:00:00", "report_time": "2026-12-08 10:00:05",
               "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
               "biz_id": delivery.provider_ref, "out_id": f"hazardloop-n{delivery.notification_id}"}]
    for _ in range(2):  # the provider pushes again when our answer is late: nothing changes the second time
        answer = api.client.post(f"/api/v1/notifications/sms-receipts/aliyun/{TOKEN}", json=report)
        assert answer.status_code == 200 and answer.get_json() == {"code": 0, "msg": "接收成功"}
    db.session.refresh(delivery)
    assert delivery.status == "delivered"


def test_a_tencent_failure_report_reads_refused_in_words(sent: Any, api: Any, db: Any) -> None:
    from hazardloop.notifications.deliveries import refusal_words

    delivery = sent("tencent")
    report = [{"user_receive_time": "2026-12-08 10:00:05", "nationcode": "86", "mobile": MOBILE,
               "report_status": "FAIL", "errmsg": "MK:0001", "description": "号码停机", "sid": delivery.provider_ref}]
    answer = api.client.post(f"/api/v1/notifications/sms-receipts/tencent/{TOKEN}", json=report)
    assert answer.get_json() == {"result": 0, "errmsg": "OK"}
    db.session.refresh(delivery)
    assert (delivery.status, delivery.reason_code) == ("refused", "receipt:MK:0001")
    assert refusal_words(delivery.reason_code) == ("运营商未能送达（停机、空号、关机过久或拒收）", True)


def test_a_wrong_token_or_body_is_refused_without_effect(sent: Any, api: Any, app: Any, db: Any) -> None:
    delivery = sent("aliyun")
    report = [{"biz_id": delivery.provider_ref, "success": True}]
    assert_problem(api.client.post("/api/v1/notifications/sms-receipts/aliyun/guess", json=report), 404)
    assert_problem(api.client.post(f"/api/v1/notifications/sms-receipts/other/{TOKEN}", json=report), 404)
    assert_problem(api.client.post(f"/api/v1/notifications/sms-receipts/aliyun/{TOKEN}", data=b"\xff{"), 422)
    ignored = api.client.post(f"/api/v1/notifications/sms-receipts/aliyun/{TOKEN}", json=[1, "x", {"biz_id": 5}])
    assert ignored.status_code == 200
    app.config["SMS_RECEIPT_TOKEN"] = ""
    assert_problem(api.client.post("/api/v1/notifications/sms-receipts/aliyun/", json=report), 404)
    db.session.refresh(delivery)
    assert delivery.status == "sent"
