"""场所 and their domains, 一企一档 basics, and enterprise 注册申请."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import DomainTags, UTCDateTime, utcnow
from hazardloop.extensions import db
from hazardloop.regions.models import Region
from hazardloop.taxonomy import RiskLevel, SiteCategory

_CATEGORIES = ", ".join(f"'{c.value}'" for c in SiteCategory)
_RISKS = ", ".join(f"'{r.value}'" for r in RiskLevel)


def new_qr_token() -> str:
    """An unguessable, URL-safe site token: 192 random bits."""
    return secrets.token_urlsafe(24)


class SiteDomain(db.Model):  # type: ignore[name-defined]
    """One 监管领域 a site falls under."""

    __tablename__ = "site_domains"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class Site(DomainTags, db.Model):  # type: ignore[name-defined]
    """生产经营单位/场所: a place in a grid that is patrolled and inspected."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint(f"category IN ({_CATEGORIES})", name="category_known"),
        CheckConstraint(f"risk_level IN ({_RISKS})", name="risk_level_known"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
        # A code that fails its check character is kept only with a recorded confirmation.
        CheckConstraint(
            "credit_code_check_failed = false OR credit_code_confirmed_by_id IS NOT NULL",
            name="credit_code_override_recorded",
        ),
        Index("ix_sites_grid_category", "grid_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # 统一社会信用代码 (GB 32100-2015); optional for some 九小场所.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    credit_code_check_failed: Mapped[bool] = mapped_column(default=False)
    credit_code_confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    credit_code_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(300))
    grid_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    # WGS-84; converted to GCJ-02 only for display on Chinese map tiles.
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(8), default=RiskLevel.BLUE.value)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_mobile: Mapped[str | None] = mapped_column(String(11))
    notes: Mapped[str | None] = mapped_column(Text)
    qr_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_qr_token)
    qr_rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    # 现场新增: registered by a 网格员 in the field, usable at once, permanent once a supervisor approves it.
    provisional: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    # 歇业 (suspended) or 注销 (deregistered): a closed site leaves the patrol plan (active is False).
    closure: Mapped[str | None] = mapped_column(String(16))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(500))
    # 一企一档 flags: 重大危险源 and 危险化学品.
    major_hazard_source: Mapped[bool] = mapped_column(default=False, server_default=false())
    hazardous_chemicals: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    grid: Mapped[Region] = relationship()
    registered_by = relationship("User", foreign_keys=[registered_by_id], lazy="joined")
    licences: Mapped[list[SiteLicence]] = relationship(cascade="all, delete-orphan", order_by="SiteLicence.id")
    responsible_persons: Mapped[list[SiteResponsiblePerson]] = relationship(
        cascade="all, delete-orphan", order_by="SiteResponsiblePerson.id")
    domain_rows: Mapped[list[SiteDomain]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    domain_row_class = SiteDomain

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.name}>"


class SiteLicence(db.Model):  # type: ignore[name-defined]
    """一企一档: a 许可证/证照 of the site with its number and validity."""

    __tablename__ = "site_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class SiteResponsiblePerson(db.Model):  # type: ignore[name-defined]
    """一企一档: a 安全责任人 (主要负责人、安全管理员 …) with a phone."""

    __tablename__ = "site_responsible_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    duty: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(String(11))


class EnterpriseApplication(db.Model):  # type: ignore[name-defined]
    """企业注册申请: a claim of a registered site (verified by SMS) or an application with a licence photo."""

    __tablename__ = "enterprise_applications"
    __table_args__ = (
        CheckConstraint("kind IN ('claim', 'apply')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'approved', 'refused')", name="status_known"),
        Index("ix_enterprise_applications_status_region", "status", "region_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    # Where it is reviewed: the site's grid for a claim, the street the applicant chose otherwise.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(11))
    mobile_verified: Mapped[bool] = mapped_column(default=False)
    licence_photo_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(32))
    refusal_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site | None] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")
