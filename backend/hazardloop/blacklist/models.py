"""黑名单 entries, the escalation cases behind them, and every step taken on them."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.blacklist.states import ACTIVE_STATUSES, BlacklistStatus
from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db

_STATUSES = ", ".join(f"'{s.value}'" for s in BlacklistStatus)
_ACTIVE = ", ".join(f"'{s.value}'" for s in sorted(ACTIVE_STATUSES))


class BlacklistEntry(db.Model):  # type: ignore[name-defined]
    """黑名单 (失信惩戒对象): one enterprise (site) on its way onto, on, or off the blacklist.

    ``status`` changes only through ``blacklist.services.take_step`` and the table in
    ``blacklist.states``. At most one entry per site is active at a time (partial unique index);
    a removed or dismissed entry stays as history. Only enterprise information is kept here —
    nothing about private persons — because a published entry is public.
    """

    __tablename__ = "blacklist_entries"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint("status NOT IN ('published', 'objection') OR published_at IS NOT NULL",
                        name="published_has_time"),
        Index("ix_blacklist_entries_one_active_per_site", "site_id", unique=True,
              postgresql_where=text(f"status IN ({_ACTIVE})"), sqlite_where=text(f"status IN ({_ACTIVE})")),
        Index("ix_blacklist_entries_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=BlacklistStatus.CANDIDATE.value)
    enterprise_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    reason: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    site = relationship("Site", lazy="joined")
    steps: Mapped[list[BlacklistStep]] = relationship(back_populates="entry", order_by="BlacklistStep.id")

    def __repr__(self) -> str:
        return f"<BlacklistEntry {self.id} {self.status}>"


class BlacklistCase(db.Model):  # type: ignore[name-defined]
    """A 黑名单候选 escalation case taken into an entry; each case belongs to one entry, once."""

    __tablename__ = "blacklist_cases"

    case_id: Mapped[int] = mapped_column(ForeignKey("escalation_cases.id", ondelete="RESTRICT"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id", ondelete="RESTRICT"), index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BlacklistStep(db.Model):  # type: ignore[name-defined]
    """One step of the 黑名单 process (采集、会审、报批、公布、异议处理、移出): who, when, from and to which state."""

    __tablename__ = "blacklist_steps"
    __table_args__ = (Index("ix_blacklist_steps_entry", "entry_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id", ondelete="RESTRICT"))
    step: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    client_event_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    audit_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"))

    entry: Mapped[BlacklistEntry] = relationship(back_populates="steps")
    actor = relationship("User", lazy="joined")
