"""An uploaded import file's job (批量导入任务), its problems and each row's outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db

STATUSES = ("checking", "checked", "importing", "done", "failed")
OUTCOMES = ("created", "updated", "unchanged", "error")


class ImportJob(db.Model):  # type: ignore[name-defined]
    """One uploaded file of sites, users or grids: checked (试导入) by a worker, then applied on confirmation."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('checking', 'checked', 'importing', 'done', 'failed')", name="status_known"),
        CheckConstraint("kind IN ('sites', 'users', 'grids')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="sites")
    status: Mapped[str] = mapped_column(String(12), default="checking")
    filename: Mapped[str] = mapped_column(String(255))
    # Relative to STORAGE_DIR; the file stays until the job is done (a resumed import re-reads it).
    stored_path: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    # Data rows already applied; each batch advances it in its own transaction (resume point).
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    # What the check found (create / update / unchanged / invalid) and, once applied, what happened.
    planned: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    applied: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    # A problem with the whole file (not a spreadsheet, missing columns …), in Chinese.
    error: Mapped[str | None] = mapped_column(Text)


class ImportProblem(db.Model):  # type: ignore[name-defined]
    """One problem the check found: a row (its number in the file) and a column, in Chinese."""

    __tablename__ = "import_problems"
    __table_args__ = (Index("ix_import_problems_job_row", "job_id", "row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(Integer)
    column_title: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))


class ImportRowOutcome(db.Model):  # type: ignore[name-defined]
    """What applying one row did, written in the batch's own transaction (so a resumed job never
    repeats a row and the result file lists every row once)."""

    __tablename__ = "import_row_outcomes"
    __table_args__ = (
        CheckConstraint("outcome IN ('created', 'updated', 'unchanged', 'error')", name="outcome_known"),
    )

    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(Integer)  # for the users and grids kinds: the user's or grid's id
    label: Mapped[str | None] = mapped_column(String(200))  # the row's 场所名称, for the result file
    message: Mapped[str | None] = mapped_column(String(500))
