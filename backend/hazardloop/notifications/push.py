"""Web Push: the VAPID key pair, users' browser subscriptions, and sending one notice to one browser."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from sqlalchemy import select

from hazardloop.accounts.models import User
from hazardloop.database import utcnow
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.notifications.channels import DeliveryFailed, DeliveryRefused
from hazardloop.notifications.models import Notification, PushSubscription
from hazardloop.outbox.services import enqueue_many_after_commit

PUSH_TTL_SECONDS = 24 * 3600  # a notice older than a day is not worth waking the phone for


def _key_file() -> Path:
    return Path(current_app.config["VAPID_PRIVATE_KEY_FILE"])


def vapid_private_key() -> ec.EllipticCurvePrivateKey:
    """The server's VAPID key, generated once into the instance folder (first writer wins, never replaced)."""
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it a moment ago: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def vapid_public_key() -> str:
    """The application server key the browser subscribes with (uncompressed point, base64url without padding)."""
    raw = vapid_private_key().public_key().public_bytes(serialization.Encoding.X962,
                                                        serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscribe(user: User, *, endpoint: str, p256dh: str, auth: str, device_label: str) -> PushSubscription:
    """Keep this browser's subscription for ``user`` (the same endpoint again updates it, even from another user:
    a shared phone belongs to whoever subscribed last)."""
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint)
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth, sub.device_label = user.id, p256dh, auth, device_label
    db.session.flush()
    return sub


def my_subscriptions(user: User) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.id)))


def unsubscribe(user: User, subscription_id: int) -> None:
    """Forget one of the user's devices; NotFound for anyone else's."""
    sub = db.session.get(PushSubscription, subscription_id)
    if sub is None or sub.user_id != user.id:
        raise NotFound("设备不存在。")
    db.session.delete(sub)
    db.session.flush()


def queue_push(created: list[Any]) -> None:
    """Record a 待发送 delivery row and queue one ``push.deliver`` per new notification and subscribed device of
    its user (after commit); the row's address is the subscription's endpoint."""
    from hazardloop.notifications.deliveries import record_pending

    user_ids = {c.user_id for c in created}
    if not user_ids:
        return
    subs = db.session.execute(select(PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint)
                              .where(PushSubscription.user_id.in_(user_ids))).all()
    pairs = [(c, sid, endpoint[:500]) for c in created for sid, uid, endpoint in subs if uid == c.user_id]
    if not pairs:
        return
    record_pending([{"notification_id": c.id, "channel": "push", "address": address, "kind": c.kind,
                     "title": c.title[:200]} for c, _, address in pairs])
    enqueue_many_after_commit([("push.deliver", {"notification_id": c.id, "subscription_id": sid,
                                                 "channel": "push", "address": address}, f"push:{c.id}:{sid}")
                               for c, sid, address in pairs])


def payload_for(notification: Notification) -> dict[str, Any]:
    """What the service worker shows: title, body and the page a tap opens."""
    url = f"/hazards/{notification.hazard_id}" if notification.hazard_id else "/inbox"
    return {"title": notification.title, "body": notification.body[:200], "url": url, "id": notification.id,
            "tag": f"n{notification.id}"}


class SubscriptionGone(DeliveryRefused):
    """The push service no longer knows the subscription (404/410), or the user removed the device: forgotten."""


RETRY_LATER = {408, 425, 429}  # the push service asks to come back later: the outbox retries


def transmit(notification: Notification, endpoint: str) -> None:
    """Encrypt and send one notice to the browser subscribed at ``endpoint``. Raises SubscriptionGone (404/410:
    the subscription is deleted here), DeliveryRefused (any other 4xx: the push service's answer as ``push:<status>``)
    or DeliveryFailed (unreachable, 5xx, 429: worth retrying)."""
    from pywebpush import WebPushException, webpush

    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None or sub.user_id != notification.user_id:
        raise SubscriptionGone("设备已取消订阅", code="push:unsubscribed")
    vapid_private_key()  # made once if missing; pywebpush reads the PEM file
    try:
        webpush({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                data=json.dumps(payload_for(notification), ensure_ascii=False),
                vapid_private_key=str(_key_file()), vapid_claims={"sub": current_app.config["VAPID_SUBJECT"]},
                ttl=PUSH_TTL_SECONDS, timeout=10)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        answer = (exc.response.text[:500] if exc.response is not None else "") or str(exc)[:500]
        if status in (404, 410):
            db.session.delete(sub)
            db.session.flush()
            raise SubscriptionGone(f"推送服务答复 HTTP {status}", code=f"push:{status}", message=answer) from exc
        if status is not None and 400 <= status < 500 and status not in RETRY_LATER:
            raise DeliveryRefused(f"推送服务拒绝（HTTP {status}）", code=f"push:{status}", message=answer) from exc
        raise DeliveryFailed(f"推送服务拒绝或不可达（{status or '无响应'}）") from exc
    except OSError as exc:
        raise DeliveryFailed("推送服务不可达") from exc
    sub.last_sent_at = utcnow()
    db.session.flush()


def deliver_push(notification_id: int, subscription_id: int, channel: str = "push", address: str | None = None) -> None:
    """Outbox handler for ``push.deliver``: send the notice's push delivery row (``deliveries.send``), which records
    已发送 / 被拒绝 / 订阅已失效; an unreachable push service raises DeliveryFailed so the outbox retries."""
    from hazardloop.notifications.deliveries import for_notice, send

    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return
    if address is None:  # queued before push deliveries had rows
        sub = db.session.get(PushSubscription, subscription_id)
        if sub is None:
            return
        address = sub.endpoint[:500]
    send(for_notice(notification, "push", address))
