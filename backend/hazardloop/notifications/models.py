"""Inbox notifications, channel preferences, deliveries and webhook subscribers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db

CHANNELS = ("email", "wecom", "dingtalk", "sms")
_CHANNELS = ", ".join(f"'{c}'" for c in CHANNELS)


class Notification(db.Model):  # type: ignore[name-defined]
    """站内消息: one message in one user's inbox; ``dedupe_key`` keeps a retried job from writing it twice."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ChannelPreference(db.Model):  # type: ignore[name-defined]
    """Where a user wants one kind of notification ('*' = every kind) sent besides the inbox."""

    __tablename__ = "channel_preferences"
    __table_args__ = (
        CheckConstraint(f"channel IN ({_CHANNELS})", name="channel_known"),
        UniqueConstraint("user_id", "event_kind", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_kind: Mapped[str] = mapped_column(String(32), default="*")
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500))  # e-mail, robot webhook URL or mobile number
    enabled: Mapped[bool] = mapped_column(default=True)


DELIVERY_STATUSES = ("pending", "sent", "delivered", "refused", "quiet_hold", "rate_hold", "folded", "gone")
_DELIVERY_STATUSES = ", ".join(f"'{s}'" for s in DELIVERY_STATUSES)
DELIVERY_CHANNELS = (*CHANNELS, "push")  # a Web Push delivery's address is the subscription's endpoint
_DELIVERY_CHANNELS = ", ".join(f"'{c}'" for c in DELIVERY_CHANNELS)


class Delivery(db.Model):  # type: ignore[name-defined]
    """投递记录: one notice (or a reporter's SMS, or an SMS digest) on one channel to one address, with its status.

    Written when the delivery is queued (待发送) and moved on by the sender: sent, refused by the provider
    (``reason_code``/``reason``), held for quiet hours or a rate limit until ``hold_until`` (released by
    ``jobs.release_held_deliveries``), or folded into a digest SMS. Unique per notice, channel and address
    (``dedupe_key`` for the rows without a notice), so nothing is sent twice.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(f"channel IN ({_DELIVERY_CHANNELS})", name="channel_known"),
        CheckConstraint(f"status IN ({_DELIVERY_STATUSES})", name="status_known"),
        UniqueConstraint("notification_id", "channel", "address"),
        Index("ix_notification_deliveries_status_hold", "status", "hold_until"),
        Index("ix_notification_deliveries_address_sent", "address", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("public_reports.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40), default="")  # the notice kind: which SMS template
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason_code: Mapped[str | None] = mapped_column(String(64))  # the provider's code, e.g. isv.MOBILE_NUMBER_ILLEGAL
    reason: Mapped[str | None] = mapped_column(Text)  # the provider's message as it came
    provider_ref: Mapped[str | None] = mapped_column(String(100))  # BizId / SerialNo
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    holds: Mapped[int] = mapped_column(Integer, default=0)
    hold_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    folded_into_id: Mapped[int | None] = mapped_column(ForeignKey(  # the digest SMS it went out in
        "notification_deliveries.id", ondelete="SET NULL", name="fk_notification_deliveries_folded_into"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SmsRateCounter(db.Model):  # type: ignore[name-defined]
    """频次限制的计数锁: one row per mobile number, locked while an SMS to it is counted against the limits and
    claimed, so two senders at the same instant cannot both take the last free slot."""

    __tablename__ = "sms_rate_counters"

    address: Mapped[str] = mapped_column(String(500), primary_key=True)
    touched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebhookSubscription(db.Model):  # type: ignore[name-defined]
    """An outside system receiving signed hazard events; ``previous_secret`` is honoured while rotating."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128))
    secret_rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    event_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every kind
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PushSubscription(db.Model):  # type: ignore[name-defined]
    """Web Push 订阅: one browser (device) on which a user allowed notifications; removed when the push
    service answers 404/410 (the browser dropped it)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    device_label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
