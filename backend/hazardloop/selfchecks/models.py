"""自查自报 records: one monthly report per site (keyed by the phone's UUID) and the reminders sent for it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class SelfCheckReport(db.Model):  # type: ignore[name-defined]
    """月度自查自报: what the enterprise checked and found in one calendar month (Asia/Shanghai) at one site.

    Unique per site and period, so a month is reported once; ``client_uuid`` makes a resend a no-op. The
    month's self-inspections and the hazards they found are linked (``inspection_ids``, ``hazard_ids``), not
    typed again; ``zero_report`` is the explicit 「本月未发现隐患」.
    """

    __tablename__ = "self_check_reports"
    __table_args__ = (UniqueConstraint("site_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # "2026-12": the local calendar month
    zero_report: Mapped[bool] = mapped_column(default=False)
    inspection_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    hazard_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    inspection_count: Mapped[int] = mapped_column(Integer, default=0)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # on the phone, when the person pressed
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    on_time: Mapped[bool] = mapped_column(default=True)  # reported before the period ended
    event_hash: Mapped[str | None] = mapped_column(String(64))

    site = relationship("Site")
    reported_by = relationship("User")


class SelfCheckReminder(db.Model):  # type: ignore[name-defined]
    """自查自报提醒: sent once per site and period (the unique key decides, not a prior read)."""

    __tablename__ = "self_check_reminders"
    __table_args__ = (UniqueConstraint("site_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(7))
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
