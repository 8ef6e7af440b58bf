"""Web Push against a local push service stand-in that decrypts what it receives (RFC 8291 aes128gcm) with the
subscription's private key, and checks the VAPID signature: exactly once per notice and device; 404/410 forgets
the device; an unreachable push service never blocks the transition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.notifications.models import Notification, PushSubscription
from hazardloop.outbox.models import OutboxMessage
from hazardloop.outbox.services import run_message
from tests.conftest import assert_problem
from tests.support.deadlines import assign_hazard
from tests.support.outbox import run_outbox
from tests.support.push import PushService, serve_push_service, unb64


@pytest.fixture
def push_service(app, tmp_path, monkeypatch) -> Iterator[PushService]:
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY_FILE", str(tmp_path / "vapid_private.pem"))
    with serve_push_service() as state:
        yield state


def subscribe(client, service: PushService, path: str = "/push/abc") -> dict[str, Any]:
    key = client.get("/api/v1/notifications/push/public-key").get_json()["public_key"]
    assert len(unb64(key)) == 65  # an uncompressed P-256 point, as PushManager.subscribe wants
    response = client.client.post("/api/v1/notifications/push/subscriptions", headers={"X-CSRF-Token": client.csrf},
                                  json={"endpoint": service.url + path, "keys": service.keys(),
                                        "device_label": "华为 Mate 60 · 浏览器"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_assignment_reaches_the_enterprise_by_inbox_push_and_sms_exactly_once(app, db, parties, login,
                                                                                  push_service, monkeypatch):
    import datetime as dt

    monkeypatch.setitem(app.config, "NOTIFY_ROLE_DEFAULTS", True)
    FakeSmsGateway.sent = []
    owner = login(parties.owner)
    subscribe(owner, push_service)
    assert [d["device_label"] for d in owner.get("/api/v1/notifications/push/subscriptions").get_json()] \
        == ["华为 Mate 60 · 浏览器"]

    hazard = assign_hazard(parties, deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    run_outbox()
    run_outbox()  # a second worker pass changes nothing

    [notice] = db.session.scalars(select(Notification).where(Notification.user_id == parties.owner.id)).all()
    assert notice.kind == "hazard.assign"
    [pushed] = push_service.received
    assert pushed["encoding"] == "aes128gcm" and pushed["scheme"] == "vapid"
    assert pushed["claims"]["aud"] == push_service.url and pushed["claims"]["sub"].startswith("mailto:")
    assert pushed["payload"] == {"title": notice.title, "body": notice.body, "url": f"/hazards/{hazard.id}",
                                 "id": notice.id, "tag": f"n{notice.id}"}
    assert [m["mobile"] for m in FakeSmsGateway.sent] == [parties.owner.mobile]


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_forgot_is_removed(db, parties, login, push_service, status):
    from hazardloop.notifications.services import notify

    subscribe(login(parties.owner), push_service)
    push_service.status = status
    notify([parties.owner.id], kind="hazard.assign", title="隐患已交办", body="", hazard_id=None, dedupe_key="t")
    db.session.commit()
    run_outbox()
    assert len(push_service.received) == 1
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    statuses = db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "push.deliver")).all()
    assert statuses == ["done"]


def test_an_unreachable_push_service_leaves_the_message_for_a_retry(db, parties, login, push_service):
    from hazardloop.notifications.services import notify

    owner = login(parties.owner)
    owner.client.post("/api/v1/notifications/push/subscriptions", headers={"X-CSRF-Token": owner.csrf},
                      json={"endpoint": "http://127.0.0.1:9/push/gone", "keys": push_service.keys()})
    notify([parties.owner.id], kind="hazard.assign", title="隐患已交办", body="", hazard_id=None, dedupe_key="t")
    db.session.commit()
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "push.deliver")).all()
    with pytest.raises(Exception, match="推送服务不可达"):
        run_message(message.id)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status != "done"
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 1


def test_devices_are_listed_and_removed_only_by_their_owner(db, parties, login, push_service):
    owner, worker = login(parties.owner), login(parties.worker)
    device = subscribe(owner, push_service)
    assert worker.get("/api/v1/notifications/push/subscriptions").get_json() == []
    assert_problem(worker.client.delete(f"/api/v1/notifications/push/subscriptions/{device['id']}",
                                        headers={"X-CSRF-Token": worker.csrf}), 404)
    gone = owner.client.delete(f"/api/v1/notifications/push/subscriptions/{device['id']}",
                               headers={"X-CSRF-Token": owner.csrf})
    assert gone.status_code == 204
    assert owner.get("/api/v1/notifications/push/subscriptions").get_json() == []
    bad = owner.client.post("/api/v1/notifications/push/subscriptions", headers={"X-CSRF-Token": owner.csrf},
                            json={"endpoint": "not a url", "keys": {"p256dh": "x" * 20}})
    assert_problem(bad, 422)


# --- push deliveries in the staff's 投递记录 -------------------------------------------------------------

def assigned_with_push(app, db, parties, login, push_service, monkeypatch) -> tuple[Any, Any]:
    """The enterprise subscribed on one phone; a hazard assigned to it (its notice queued for push)."""
    import datetime as dt

    monkeypatch.setitem(app.config, "NOTIFY_ROLE_DEFAULTS", True)
    FakeSmsGateway.sent = []
    subscribe(login(parties.owner), push_service)
    hazard = assign_hazard(parties, deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    return hazard, login(parties.street)


def push_rows(street) -> list[dict[str, Any]]:
    listed = street.get("/api/v1/notifications/deliveries?channel=push").get_json()
    assert all(r["channel"] == "push" for r in listed["items"])
    return listed["items"]


def test_a_pushed_notice_is_listed_as_sent_with_the_push_service_named(app, db, parties, login, push_service,
                                                                      monkeypatch):
    hazard, street = assigned_with_push(app, db, parties, login, push_service, monkeypatch)
    run_outbox(but="push.deliver")  # the notices are written; their push not sent yet
    [queued] = push_rows(street)
    assert (queued["status_label"], queued["channel_label"]) == ("待发送", "浏览器推送")
    run_outbox()
    run_outbox()
    [row] = push_rows(street)
    assert len(push_service.received) == 1
    assert (row["status"], row["status_label"], row["reason"]) == ("sent", "已发送", None)
    assert row["recipient"] == "浏览器推送（127.0.0.1）" and row["hazard_number"] == hazard.number
    assert row["sent_at"] is not None and row["can_retry"] is False


def test_a_push_refusal_is_listed_in_words_and_a_retry_sends_it(app, db, parties, login, push_service, monkeypatch):
    _, street = assigned_with_push(app, db, parties, login, push_service, monkeypatch)
    push_service.status = 403  # e.g. the VAPID key was replaced since the phone subscribed
    run_outbox()
    [row] = push_rows(street)
    assert (row["status"], row["status_label"]) == ("refused", "被拒绝")
    assert row["reason"] == "推送服务不认可本站的 VAPID 身份（密钥已更换或配置有误，请该用户在设备上重新开启推送）"
    assert row["can_retry"] is True
    statuses = db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "push.deliver")).all()
    assert statuses == ["done"]  # a refusal is recorded, not retried blindly

    push_service.status = 201
    assert street.post(f"/api/v1/notifications/deliveries/{row['id']}/retry").status_code == 200
    run_outbox()
    [row] = push_rows(street)
    assert row["status_label"] == "已发送" and len(push_service.received) == 2


@pytest.mark.parametrize("status", [404, 410])
def test_a_forgotten_subscription_is_listed_as_removed(app, db, parties, login, push_service, monkeypatch, status):
    _, street = assigned_with_push(app, db, parties, login, push_service, monkeypatch)
    push_service.status = status
    run_outbox()
    [row] = push_rows(street)
    assert (row["status"], row["status_label"], row["can_retry"]) == ("gone", "订阅已失效，已移除", False)
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    gone = street.get("/api/v1/notifications/deliveries?status=gone").get_json()["items"]
    assert [r["id"] for r in gone] == [row["id"]]
    assert street.get("/api/v1/notifications/deliveries?channel=push").get_json()["counts"] == {"gone": 1}


def test_an_unreachable_push_service_is_listed_as_pending_then_refused_after_the_last_retry(
        app, db, parties, login, push_service, monkeypatch):
    from hazardloop.hazards.models import Hazard

    monkeypatch.setitem(app.config, "NOTIFY_ROLE_DEFAULTS", True)
    owner = login(parties.owner)
    owner.client.post("/api/v1/notifications/push/subscriptions", headers={"X-CSRF-Token": owner.csrf},
                      json={"endpoint": "http://127.0.0.1:9/push/gone", "keys": push_service.keys()})
    import datetime as dt

    hazard = assign_hazard(parties, deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=7))
    assert db.session.get(Hazard, hazard.id).status == "assigned"  # the transition went through regardless
    run_outbox(but="push.deliver")
    street = login(parties.street)
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "push.deliver")).all()
    from hazardloop.outbox.services import max_attempts

    for _ in range(max_attempts()):  # as RQ runs it again after each backoff
        [row] = push_rows(street)
        assert row["status_label"] == "待发送"  # between the attempts
        with pytest.raises(Exception, match="推送服务不可达"):
            run_message(message.id)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "failed"
    [row] = push_rows(street)
    assert (row["status_label"], row["reason"]) == ("被拒绝", "多次重试仍无法连接发送服务")
