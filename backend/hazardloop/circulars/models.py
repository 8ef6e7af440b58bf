"""通报 as stored: the ``circulars`` table (drafts, published and archived circulars)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class Circular(db.Model):  # type: ignore[name-defined]
    """通报: a circular naming hazards; each named hazard gets a ``reported`` event when it is published.

    Stored circulars (circulars.services) are drafted for a scope and period — weekly and monthly by
    the schedule, or on demand — reviewed (``version`` guards edits), published, then archived; an
    ad-hoc circular (POST /circulars) is published at once with no scope or period.
    """

    __tablename__ = "circulars"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status_known"),
        CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name="published_has_time"),
        Index("ix_circulars_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    commentary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="published")
    scope_kind: Mapped[str | None] = mapped_column(String(12))  # street / department / district
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    period_kind: Mapped[str | None] = mapped_column(String(8))  # week / month / custom
    period_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the figures and lists as drafted
    # One scheduled draft per scope and period, however often the job runs.
    schedule_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the schedule
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hazard_ids: Mapped[list[int]] = mapped_column(JSON)

    region = relationship("Region")
