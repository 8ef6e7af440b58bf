"""The inbox API, and every outgoing channel against a real local server: SMTP, 企业微信/钉钉 robots, webhooks."""

from __future__ import annotations

import json
import time
from email.header import decode_header, make_header
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from hazardloop.extensions import db as _db
from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.notifications.models import Delivery, WebhookSubscription
from hazardloop.notifications.services import deliver_notification, notify, set_preference
from hazardloop.notifications.webhooks import deliver_webhook, rotate_secret, sign, verify
from tests.conftest import assert_problem, free_port


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on a free local port; the app sends to it."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield received
    controller.stop()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=25)


def one_notification(parties, kind="escalation.street"):
    [n] = notify([parties.owner.id], kind=kind, title="到期未整改，报街道监管（YH1）", body="疏散通道堵塞",
                 hazard_id=None, dedupe_key=f"test:{kind}")
    _db.session.commit()
    return n


def test_the_inbox_lists_counts_and_marks_read(db, parties, login):
    first = one_notification(parties, "reminder.due_day")
    one_notification(parties, "escalation.street")
    owner = login(parties.owner)
    assert owner.get("/api/v1/notifications/unread-count").get_json() == {"unread": 2}
    page = owner.get("/api/v1/notifications").get_json()
    assert [n["kind"] for n in page["items"]] == ["escalation.street", "reminder.due_day"] and page["total"] == 2
    read = owner.post(f"/api/v1/notifications/{first.id}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert owner.post(f"/api/v1/notifications/{first.id}/read").status_code == 200  # idempotent
    assert [n["kind"] for n in owner.get("/api/v1/notifications?unread=true").get_json()["items"]] == [
        "escalation.street"]
    assert owner.post("/api/v1/notifications/read-all").get_json() == {"marked": 1}
    assert owner.get("/api/v1/notifications/unread-count").get_json() == {"unread": 0}


def test_nobody_reads_or_marks_another_users_inbox(db, parties, login):
    notification = one_notification(parties)
    stranger = login(parties.elsewhere)
    assert stranger.get("/api/v1/notifications").get_json()["items"] == []
    assert_problem(stranger.post(f"/api/v1/notifications/{notification.id}/read"), 404)


def test_the_same_notification_is_written_once(db, parties):
    one_notification(parties)
    assert notify([parties.owner.id], kind="escalation.street", title="x", body="y", hazard_id=None,
                  dedupe_key="test:escalation.street") == []


def test_preferences_are_per_user_and_event_kind(db, parties, login):
    owner = login(parties.owner)
    put = owner.client.put("/api/v1/notifications/preferences", headers={"X-CSRF-Token": owner.csrf},
                           json={"channel": "sms", "address": "13900000001", "event_kind": "escalation.street"})
    assert put.status_code == 200, put.get_json()
    bad = owner.client.put("/api/v1/notifications/preferences", headers={"X-CSRF-Token": owner.csrf},
                           json={"channel": "pigeon", "address": "roof"})
    assert_problem(bad, 422)
    assert [p["channel"] for p in owner.get("/api/v1/notifications/preferences").get_json()] == ["sms"]
    from hazardloop.outbox.models import OutboxMessage

    one_notification(parties, "reminder.due_day")  # not the chosen kind: inbox only
    one_notification(parties, "escalation.street")
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notification.deliver")).all()
    assert [m.payload["channel"] for m in queued] == ["sms"]


def test_email_goes_through_a_real_smtp_server_once(db, parties, smtp_server):
    set_preference(parties.owner, channel="email", address="owner@example.com")
    notification = one_notification(parties)
    deliver_notification(notification.id, "email", "owner@example.com")
    db.session.commit()
    deliver_notification(notification.id, "email", "owner@example.com")  # a retry after success
    db.session.commit()
    deadline = time.monotonic() + 5
    while not smtp_server and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp_server) == 1
    mail = smtp_server[0]
    subject = str(make_header(decode_header(mail["Subject"])))
    assert mail["To"] == "owner@example.com" and subject == notification.title
    assert mail["Message-ID"] == f"<hazardloop-n{notification.id}@localhost>"
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


@pytest.mark.parametrize("channel", ["wecom", "dingtalk"])
def test_robot_webhooks_post_their_formats_to_a_real_http_server(db, parties, http_server, channel):
    base, recorder = http_server
    notification = one_notification(parties)
    address = f"{base}/robot/send?key=abc" + ("#SECtest" if channel == "dingtalk" else "")
    deliver_notification(notification.id, channel, address)
    db.session.commit()
    [request] = recorder.received
    body = json.loads(request["body"])
    assert body["msgtype"] == "markdown"
    if channel == "wecom":
        assert body["markdown"]["content"].startswith("**到期未整改")
    else:
        assert body["markdown"]["title"].startswith("到期未整改")
        query = parse_qs(urlparse(request["path"]).query)
        assert query["key"] == ["abc"] and query["timestamp"] and query["sign"]


def test_a_robot_refusal_fails_the_delivery_so_it_is_retried(db, parties, http_server):
    from hazardloop.notifications.channels import DeliveryFailed

    base, recorder = http_server
    recorder.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    notification = one_notification(parties)
    with pytest.raises(DeliveryFailed, match="93000"):
        deliver_notification(notification.id, "wecom", f"{base}/robot")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_sms_goes_through_the_gateway_interface(db, parties):
    FakeSmsGateway.sent.clear()
    notification = one_notification(parties)
    deliver_notification(notification.id, "sms", "13900000001")
    db.session.commit()
    assert FakeSmsGateway.sent == [{"mobile": "13900000001", "text": "【安全隐患排查】" + notification.title,
                                    "key": f"hazardloop-n{notification.id}"}]


def test_outgoing_webhooks_are_signed_and_survive_a_secret_rotation(db, http_server):
    base, recorder = http_server
    subscription = WebhookSubscription(name="城市运行平台", url=f"{base}/hooks", secret="s1", event_kinds=[])
    db.session.add(subscription)
    db.session.commit()
    deliver_webhook(subscription.id, "evt-1", {"type": "hazard.transitioned", "hazard_id": 7})
    rotate_secret(subscription)
    db.session.commit()
    deliver_webhook(subscription.id, "evt-2", {"type": "hazard.transitioned", "hazard_id": 8})
    first, second = recorder.received
    for request, secrets_ in ((first, ["s1"]), (second, [subscription.secret, "s1"])):
        headers = request["headers"]
        assert verify(secrets_, headers["X-Hazardloop-Timestamp"], request["body"],
                      headers["X-Hazardloop-Signature"])
    # Replays are refused: an old timestamp, or a body changed under the signature.
    ts = first["headers"]["X-Hazardloop-Timestamp"]
    assert not verify(["s1"], ts, first["body"], first["headers"]["X-Hazardloop-Signature"], now=int(ts) + 3600)
    assert not verify(["s1"], ts, first["body"] + b" ", first["headers"]["X-Hazardloop-Signature"])
    assert sign("s1", "1", b"{}") != sign("s2", "1", b"{}")
    assert first["headers"]["X-Hazardloop-Event-Id"] == "evt-1"
