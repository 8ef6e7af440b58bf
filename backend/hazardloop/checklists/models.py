"""检查表 and their immutable versions as synced from ``checklists/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class Checklist(db.Model):  # type: ignore[name-defined]
    """检查表: a stable id whose content lives in versions; the newest synced one is current."""

    __tablename__ = "checklists"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_versions.id", use_alter=True, ondelete="SET NULL")
    )
    # Set when the file disappeared from checklists/: no longer offered, still readable.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[ChecklistVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )


class ChecklistVersion(db.Model):  # type: ignore[name-defined]
    """检查表版本: the exact content an inspection was filled with; never changed once stored."""

    __tablename__ = "checklist_versions"
    __table_args__ = (
        UniqueConstraint("checklist_id", "version"),
        UniqueConstraint("checklist_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[str] = mapped_column(ForeignKey("checklists.id", ondelete="RESTRICT"))
    version: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(JSON)
    domains: Mapped[list[str]] = mapped_column(JSON)
    item_count: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_file: Mapped[str] = mapped_column(String(200))
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    checklist: Mapped[Checklist] = relationship(foreign_keys=[checklist_id])
