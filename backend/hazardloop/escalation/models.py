"""Fired rungs of the escalation ladder, sent reminders, and the 挂牌督办/黑名单 cases they open."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class Escalation(db.Model):  # type: ignore[name-defined]
    """逾期升级: one rung fired for one hazard. The unique (hazard_id, rung) makes it fire once, ever."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("hazard_id", "rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    rung: Mapped[str] = mapped_column(String(32))
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    overdue_working_days: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))
    fired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadlineReminder(db.Model):  # type: ignore[name-defined]
    """整改期限提醒: sent once per hazard, kind and deadline (a new deadline earns new reminders)."""

    __tablename__ = "deadline_reminders"
    __table_args__ = (UniqueConstraint("hazard_id", "kind", "deadline_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(32))
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EscalationCase(db.Model):  # type: ignore[name-defined]
    """挂牌督办 proposal or 黑名单 candidate opened by the top rung, for a supervisor to decide."""

    __tablename__ = "escalation_cases"
    __table_args__ = (
        CheckConstraint("kind IN ('supervision_proposal', 'blacklist_candidate')", name="kind_known"),
        CheckConstraint("status IN ('proposed', 'accepted', 'dismissed')", name="status_known"),
        UniqueConstraint("hazard_id", "kind"),
        CheckConstraint("status <> 'dismissed' OR decision_note IS NOT NULL", name="dismissal_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who accepted or dismissed it (挂牌督办 proposals are decided in the console), when, and why not.
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(Text)

    hazard = relationship("Hazard")
    decided_by = relationship("User")


class ReportEscalation(db.Model):  # type: ignore[name-defined]
    """群众举报 not triaged in time: one rung of the report ladder fired for one report; unique, so once ever."""

    __tablename__ = "report_escalations"
    __table_args__ = (UniqueConstraint("report_id", "rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("public_reports.id", ondelete="RESTRICT"))
    rung: Mapped[str] = mapped_column(String(32))
    triage_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    overdue_working_days: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[list[int]] = mapped_column(JSON, default=list)
    fired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
