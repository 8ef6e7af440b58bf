"""Inbox notifications, channel preferences, deliveries and webhook subscribers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
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


class Delivery(db.Model):  # type: ignore[name-defined]
    """One notification sent on one channel to one address; unique, so a retry never sends twice once recorded."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        CheckConstraint(f"channel IN ({_CHANNELS})", name="channel_known"),
        UniqueConstraint("notification_id", "channel", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


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
