"""隐患, its documents (整改通知书, 复查意见), the hash-chained audit log all features write, the counters."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db
from hazardloop.hazards.states import HazardLevel, HazardSource, HazardStatus

_STATUSES = ", ".join(f"'{s.value}'" for s in HazardStatus)
_LEVELS = ", ".join(f"'{s.value}'" for s in HazardLevel)
_SOURCES = ", ".join(f"'{s.value}'" for s in HazardSource)


class Hazard(db.Model):  # type: ignore[name-defined]
    """隐患: one hidden danger at a site, from finding to closing and reporting.

    ``status`` is assigned only by ``hazards.states.transition``; ``version`` guards
    against two people acting on the same hazard at once.
    """

    __tablename__ = "hazards"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint(f"level IN ({_LEVELS})", name="level_known"),
        CheckConstraint(f"source IN ({_SOURCES})", name="source_known"),
        CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name="closed_has_time"),
        CheckConstraint("supervised = false OR level = 'major'", name="only_major_supervised"),
        CheckConstraint("governance_plan_state IS NULL OR governance_plan_state IN ('submitted', 'approved', "
                        "'returned')", name="governance_plan_state_known"),
        Index("ix_hazards_site_item_status", "site_id", "item_code", "status"),
        Index("ix_hazards_status_deadline", "status", "deadline_at"),
        Index("ix_hazards_site_status_deadline", "site_id", "status", "deadline_at"),  # scoped lists (0006)
        # A scope's running deadlines in order (the overdue list, due before): a few rows per site (0026).
        Index("ix_hazards_running_site_deadline", "site_id", "deadline_at", postgresql_include=["status"],
              postgresql_where=text("status IN ('assigned', 'rectifying')"),
              sqlite_where=text("status IN ('assigned', 'rectifying')")),
        # Hazards found on a site in a window, by whom (patrol coverage of a street or grid) (0029).
        Index("ix_hazards_site_found", "site_id", "found_at", postgresql_include=["found_by_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    source: Mapped[str] = mapped_column(String(24))
    covert: Mapped[bool] = mapped_column(default=False)
    checklist_version_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_versions.id"))
    item_code: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))
    domain: Mapped[str] = mapped_column(String(32))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(24), default=HazardStatus.FOUND.value)
    found_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deadline_estimated: Mapped[bool] = mapped_column(default=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    rejection_count: Mapped[int] = mapped_column(Integer, default=0)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    recurrence_of_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    recurrence_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_state: Mapped[str | None] = mapped_column(String(16))  # requested / approved / refused
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_requested_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extension_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extension_after_deadline: Mapped[bool | None] = mapped_column()  # asked after the deadline had passed
    extension_decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extension_decision_note: Mapped[str | None] = mapped_column(Text)
    # 挂牌督办: ``supervised`` stays true after 摘牌 (the listing is history); lifted_at marks the 摘牌.
    supervised: Mapped[bool] = mapped_column(default=False)
    supervising_authority: Mapped[str | None] = mapped_column(String(100))
    supervision_deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    supervision_requirements: Mapped[str | None] = mapped_column(Text)
    supervision_listed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    supervision_lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    governance_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    governance_plan_state: Mapped[str | None] = mapped_column(String(12))  # submitted / approved / returned
    governance_plan_note: Mapped[str | None] = mapped_column(Text)  # the reviewer's note
    rectification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    exposed_publicly: Mapped[bool] = mapped_column(default=False)
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    site = relationship("Site", lazy="joined")
    department = relationship("Department")
    found_by = relationship("User", foreign_keys=[found_by_id])
    checklist_version = relationship("ChecklistVersion")
    # Read-only: documents are issued by services.issue_document; the hazard page loads them with the hazard.
    documents: Mapped[list[RectificationOrder]] = relationship(
        "RectificationOrder", viewonly=True, order_by="RectificationOrder.id")

    def __repr__(self) -> str:
        return f"<Hazard {self.number} {self.status}>"


class RectificationOrder(db.Model):  # type: ignore[name-defined]
    """整改通知书 (责令限期整改): issued on 交办 with a per-year number without gaps."""

    __tablename__ = "rectification_orders"
    __table_args__ = (UniqueConstraint("kind", "year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="order")  # order / verification (复查意见书)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issuing_body: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)

    hazard: Mapped[Hazard] = relationship()
    issued_by = relationship("User")


class DocumentCounter(db.Model):  # type: ignore[name-defined]
    """The last number used per document kind and year; locked while a number is taken."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """执法全过程记录: one append-only event, chained by hash to its hazard's history and to its log chain.

    Never updated or deleted by the application; ``hazardloop audit verify`` recomputes the chains.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_hazard", "hazard_id", "id"),
        # An inspection's events (its arrival record, the hazards it found) without reading the whole log (0028).
        Index("ix_audit_events_inspection", "inspection_id", "id", postgresql_where=text("inspection_id IS NOT NULL"),
              sqlite_where=text("inspection_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(24))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    client_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    client_event_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    photo_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    prev_global_hash: Mapped[str | None] = mapped_column(String(64))  # the previous event of its chain
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    chain: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")  # see hazards/events.py

    actor = relationship("User")


class AuditChainHead(db.Model):  # type: ignore[name-defined]
    """The end of one of the event log's chains; a writing transaction holds one (``hazards/events.py``)."""

    __tablename__ = "audit_chain_heads"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_event_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))
