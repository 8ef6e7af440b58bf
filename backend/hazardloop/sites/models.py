"""场所 and their domains."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
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


class Site(db.Model):  # type: ignore[name-defined]
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
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    grid: Mapped[Region] = relationship()
    domain_rows: Mapped[list[SiteDomain]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def domains(self) -> list[str]:
        return sorted(row.domain for row in self.domain_rows)

    @domains.setter
    def domains(self, values: list[str]) -> None:
        keep = {r.domain: r for r in self.domain_rows}
        self.domain_rows = [keep.get(d) or SiteDomain(domain=d) for d in sorted(set(values))]

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.name}>"
