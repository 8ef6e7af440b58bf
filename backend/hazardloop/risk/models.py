"""风险分级管控 records: template versions, a site's 风险点, their 风险评价 and the site's computed level."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class RiskCatalogVersion(db.Model):  # type: ignore[name-defined]
    """风险点模板版本: one file of ``risks/`` as synced; never changed once stored."""

    __tablename__ = "risk_catalog_versions"
    __table_args__ = (UniqueConstraint("catalog_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSON)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    current: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskPoint(db.Model):  # type: ignore[name-defined]
    """风险点 of one site: from its category's template (``template_code``) or added by the site itself.

    ``level``/``basis`` are what counts now: the last accepted assessment, else the template's default.
    """

    __tablename__ = "risk_points"
    __table_args__ = (UniqueConstraint("site_id", "template_code"),
                      Index("ix_risk_points_site_active", "site_id", "active"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    template_code: Mapped[str | None] = mapped_column(String(40))
    catalog_version_id: Mapped[int | None] = mapped_column(ForeignKey("risk_catalog_versions.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    hazard_source: Mapped[str] = mapped_column(String(300))
    accident_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    measures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    default_assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    responsible: Mapped[str | None] = mapped_column(String(50))  # 管控责任人
    level: Mapped[str | None] = mapped_column(String(8))  # None: not yet assessed (a point the site added)
    basis: Mapped[str | None] = mapped_column(String(200))
    # The counted assessment (a plain id: risk_assessments refers to this table, so no cycle of keys).
    accepted_assessment_id: Mapped[int | None] = mapped_column(Integer)
    reassess_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    site = relationship("Site")


class RiskAssessment(db.Model):  # type: ignore[name-defined]
    """风险评价: who assessed a risk point, when, how (LEC or matrix), why; then the supervisor's review."""

    __tablename__ = "risk_assessments"
    __table_args__ = (Index("ix_risk_assessments_point", "risk_point_id", "id"),
                      Index("ix_risk_assessments_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(ForeignKey("risk_points.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(8))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    score_level: Mapped[str] = mapped_column(String(8))
    major_condition: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))
    basis: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessed_role: Mapped[str] = mapped_column(String(24))
    assessed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(12), default="submitted")  # submitted / accepted / returned
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)

    point: Mapped[RiskPoint] = relationship(foreign_keys=[risk_point_id])
    assessed_by = relationship("User", foreign_keys=[assessed_by_id])


class SiteRiskLevel(db.Model):  # type: ignore[name-defined]
    """A site's computed 风险等级 with its reasons, and an assessor's override (with its reason) if any.

    ``level`` is what counts (the override when set, else the computed level); it is also written to
    ``sites.risk_level``, which the patrol plan and the site filters read.
    """

    __tablename__ = "site_risk_levels"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    computed_level: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(String(500))
    override_level: Mapped[str | None] = mapped_column(String(8))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    level: Mapped[str] = mapped_column(String(8), index=True)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
