"""Counts by status kept by the database, the indexes the console's queries need, and the daily metrics snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard


class HazardStatusCount(db.Model):  # type: ignore[name-defined]
    """How many hazards each site has in each status, per responsible department.

    Kept by triggers on ``hazards`` (written in migration 0010 for PostgreSQL and SQLite): every
    insert, delete, and change of status, site or department moves one count, in the same
    transaction. The application never writes this table. It exists so that "hazards by status in
    a district" reads a few thousand counts instead of a million rows; it holds no fact the hazards
    do not, and ``hazardloop.console.services.recount_statuses`` rebuilds it from them. Counts that
    reach zero are deleted, so the table holds only what exists.
    """

    __tablename__ = "hazard_status_counts"

    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no foreign key: see the migration
    department_key: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: no responsible department
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


_RUNNING = "status IN ('assigned', 'rectifying')"

# The overdue tracker reads running hazards in deadline order and stops after a page; overdue and
# due-this-week counts read the same range. The site is carried so scope checks need no table visit.
Index("ix_hazards_running_deadline", Hazard.deadline_at, Hazard.id, postgresql_include=["site_id"],
      postgresql_where=text(_RUNNING), sqlite_where=text(_RUNNING))

# The tracker's 重大-first sort walks running 重大 hazards in deadline order, then the others in the index above (0027).
_RUNNING_MAJOR = "level = 'major' AND status IN ('assigned', 'rectifying')"
Index("ix_hazards_running_major_deadline", Hazard.deadline_at, Hazard.id, postgresql_include=["site_id"],
      postgresql_where=text(_RUNNING_MAJOR), sqlite_where=text(_RUNNING_MAJOR))

# 重大 hazards still open (with 挂牌督办 in the index): a few thousand among a million.
_MAJOR_OPEN = "level = 'major' AND status <> 'closed'"
Index("ix_hazards_major_open", Hazard.site_id, Hazard.supervised,
      postgresql_where=text(_MAJOR_OPEN), sqlite_where=text(_MAJOR_OPEN))

# The rates and hazards-found-per-inspector of a period (a month of a million): a range of found_at
# carrying the columns they need, read without visiting the table (PostgreSQL; SQLite: plain index).
RATES_INCLUDE = ["site_id", "status", "department_id", "domain", "deadline_at", "closed_at", "found_by_id"]
Index("ix_hazards_found_at_rates", Hazard.found_at, postgresql_include=RATES_INCLUDE)


class MetricsSnapshot(db.Model):  # type: ignore[name-defined]
    """Daily counts per region (and department) so dashboards read history without rescanning hazards."""

    __tablename__ = "metrics_snapshots"
    __table_args__ = (UniqueConstraint("day", "region_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
