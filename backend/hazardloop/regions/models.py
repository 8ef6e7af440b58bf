"""Region-tree nodes and 行业监管部门."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import DomainTags, UTCDateTime, path_string, utcnow
from hazardloop.extensions import db
from hazardloop.taxonomy import RegionLevel

_LEVELS = ", ".join(f"'{lvl.value}'" for lvl in RegionLevel)


class Region(db.Model):  # type: ignore[name-defined]
    """区域: one node of the region tree.

    The tree is stored as a materialized path (``/1/4/17/``): a subtree is one
    index range scan, see ``benchmarks/region_subtree.py`` for the comparison.
    """

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(f"level IN ({_LEVELS})", name="level_known"),
        UniqueConstraint("parent_id", "name"),
        Index("ix_regions_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    # GB/T 2260 six-digit code for a 区; optional local codes below it.
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    path: Mapped[str] = mapped_column(path_string(255), default="")
    # GeoJSON geometry (Polygon/MultiPolygon, WGS-84), usually only on grids.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Region | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Region]] = relationship(back_populates="parent", order_by="Region.id")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this node, itself included."""
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def __repr__(self) -> str:
        return f"<Region {self.id} {self.level} {self.name}>"


class DepartmentDomain(db.Model):  # type: ignore[name-defined]
    """One domain (监管领域) a department supervises."""

    __tablename__ = "department_domains"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )
    domain: Mapped[str] = mapped_column(String(32), primary_key=True)


class Department(DomainTags, db.Model):  # type: ignore[name-defined]
    """行业监管部门 (应急, 住建, 消防, 市场监管 …) of a region, with the domains it supervises."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    domain_rows: Mapped[list[DepartmentDomain]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    domain_row_class = DepartmentDomain
