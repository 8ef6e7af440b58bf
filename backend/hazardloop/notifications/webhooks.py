"""Signed outgoing webhooks for other systems: HMAC-SHA256 over timestamp and body, secrets that rotate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from flask import current_app
from sqlalchemy import select

from hazardloop.canonical import canonical_json
from hazardloop.database import utcnow
from hazardloop.errors import ValidationFailed
from hazardloop.extensions import db
from hazardloop.notifications.channels import post, post_json, webhook_url_problem
from hazardloop.notifications.models import WebhookSubscription

SIGNATURE_HEADER = "X-Hazardloop-Signature"
TIMESTAMP_HEADER = "X-Hazardloop-Timestamp"
EVENT_ID_HEADER = "X-Hazardloop-Event-Id"
TOLERANCE_S = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 of ``"{timestamp}." + body`` with the subscriber's secret."""
    return "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secrets_: list[str], timestamp: str, body: bytes, signature: str, now: float | None = None) -> bool:
    """What a subscriber runs: a fresh timestamp and a signature from any current secret."""
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_S:
        return False
    return any(hmac.compare_digest(sign(s, timestamp, body), signature) for s in secrets_ if s)


def rotate_secret(subscription: WebhookSubscription) -> str:
    """New secret; the old one stays valid for the subscriber until the next rotation."""
    subscription.previous_secret, subscription.secret = subscription.secret, secrets.token_hex(32)
    subscription.secret_rotated_at = utcnow()
    db.session.flush()
    return subscription.secret


def register_subscriber(*, name: str, url: str, event_kinds: list[str], actor: Any) -> WebhookSubscription:
    """A new subscriber with a fresh secret (returned once, by the API that calls this). Records the row.

    Raises ValidationFailed for a URL that may not receive webhooks (refuse_bad_url)."""
    refuse_bad_url(url)
    subscription = WebhookSubscription(name=name.strip(), url=url, secret=secrets.token_hex(32),
                                       event_kinds=sorted(set(event_kinds)), active=True,
                                       created_by_id=actor.id if actor else None, created_at=utcnow())
    db.session.add(subscription)
    db.session.flush()
    return subscription


def update_subscriber(subscription: WebhookSubscription, **changes: Any) -> WebhookSubscription:
    """Rename, move, refilter, disable (``active=False``: nothing more is delivered) or enable again."""
    if changes.get("url") is not None:
        refuse_bad_url(changes["url"])
    for key in ("name", "url"):
        if changes.get(key) is not None:
            setattr(subscription, key, changes[key].strip())
    if changes.get("event_kinds") is not None:
        subscription.event_kinds = sorted(set(changes["event_kinds"]))
    if changes.get("active") is not None and changes["active"] != subscription.active:
        subscription.active = changes["active"]
        subscription.disabled_at = None if subscription.active else utcnow()
    db.session.flush()
    return subscription


def ping(subscription: WebhookSubscription) -> int:
    """Queue a signed ``ping`` event (through the outbox, so it is retried); returns the outbox message id."""
    from hazardloop.outbox.services import enqueue_after_commit

    event_id = f"ping-{subscription.id}-{secrets.token_hex(4)}"
    message = enqueue_after_commit("webhook.deliver", {"subscription_id": subscription.id, "event_id": event_id,
                                                       "body": {"type": "ping", "subscription_id": subscription.id}},
                                   dedupe_key=f"webhook:{subscription.id}:{event_id}")
    return message.id


def subscribers_for(kind: str) -> list[WebhookSubscription]:
    rows = db.session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))).all()
    return [s for s in rows if not s.event_kinds or kind in s.event_kinds]


def deliver_webhook(subscription_id: int, event_id: str, body: dict[str, Any]) -> None:
    """POST one event to one subscriber, signed; raises DeliveryFailed so the job retries with backoff."""
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or not subscription.active:
        return
    raw = canonical_json(body)
    timestamp = str(int(time.time()))
    headers = {SIGNATURE_HEADER: sign(subscription.secret, timestamp, raw), TIMESTAMP_HEADER: timestamp,
               EVENT_ID_HEADER: event_id}
    _post_raw(subscription.url, raw, headers)


def _post_raw(url: str, raw: bytes, headers: dict[str, str]) -> None:
    # Checked again at send time: the host may resolve elsewhere now than when it was registered.
    post(url, raw, {"Content-Type": "application/json", **headers},
         allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])


def refuse_bad_url(url: str) -> None:
    """Raise ValidationFailed (422, ``address_refused``) unless ``url`` may receive webhooks (see channels)."""
    if problem := webhook_url_problem(url):
        raise ValidationFailed([{"field": "url", "message": problem, "code": "address_refused"}],
                               detail=problem, code="address_refused")


__all__ = ["deliver_webhook", "ping", "post_json", "refuse_bad_url", "register_subscriber", "rotate_secret", "sign",
           "subscribers_for", "update_subscriber", "verify"]
