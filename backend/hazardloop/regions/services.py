"""Building and querying the region tree."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from hazardloop.errors import NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.regions.models import Department, Region
from hazardloop.taxonomy import REGION_CHILD_LEVELS, Domain, RegionLevel

_GB2260 = re.compile(r"^[1-9]\d{5}$")


def subtree_range(path: str) -> tuple[str, str]:
    """The [low, high) string range holding ``path`` and every path below it.

    Paths look like ``/1/4/``; '0' is the character right after '/', so every
    descendant sorts before ``path[:-1] + '0'``.
    """
    return path, path[:-1] + "0"


def in_subtree(column: Any, path: str) -> ColumnElement[bool]:
    """SQL condition: ``column`` (a path) lies in the subtree at ``path``; index-friendly."""
    low, high = subtree_range(path)
    return and_(column >= low, column < high)


def is_within(path: str, ancestor_path: str) -> bool:
    return path.startswith(ancestor_path)


def validate_boundary(boundary: Any) -> None:
    """A grid boundary must be a GeoJSON Polygon or MultiPolygon in WGS-84 degrees."""
    if boundary is None:
        return
    problems = "边界应为 GeoJSON Polygon 或 MultiPolygon（WGS-84 经纬度）。"
    if not isinstance(boundary, dict) or boundary.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationFailed.field("boundary", problems)
    polygons = [boundary.get("coordinates")]
    if boundary["type"] == "MultiPolygon":
        polygons = boundary.get("coordinates") or []
    try:
        for rings in polygons:
            for ring in rings:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    raise ValidationFailed.field("boundary", "多边形的每个环至少 4 个点且首尾相同。")
                for lng, lat, *_ in ring:
                    if not (-180 <= float(lng) <= 180 and -90 <= float(lat) <= 90):
                        raise ValidationFailed.field("boundary", "坐标超出经纬度范围。")
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.field("boundary", problems) from exc


def create_region(
    *,
    name: str,
    level: RegionLevel | str,
    parent: Region | None = None,
    code: str | None = None,
    boundary: dict[str, Any] | None = None,
) -> Region:
    """Add a node under ``parent``; raises ValidationFailed when the level may not sit there."""
    level = RegionLevel(level)
    parent_level = RegionLevel(parent.level) if parent else None
    if level not in REGION_CHILD_LEVELS[parent_level]:
        raise ValidationFailed.field("level", f"{level.value} 不能位于 {parent_level or '顶层'} 之下。")
    if level == RegionLevel.DISTRICT and (code is None or not _GB2260.match(code)):
        raise ValidationFailed.field("code", "区的代码应为 GB/T 2260 六位行政区划代码。")
    validate_boundary(boundary)
    region = Region(name=name, level=level.value, parent=parent, code=code, boundary=boundary)
    db.session.add(region)
    db.session.flush()  # the id is part of the path
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    db.session.flush()
    return region


def get_region(region_id: int) -> Region:
    region = db.session.get(Region, region_id)
    if region is None:
        raise NotFound("区域不存在。")
    return region


def subtree_query(region: Region, level: RegionLevel | None = None) -> Any:
    """Select every region in ``region``'s subtree (itself included), optionally of one level."""
    query = select(Region).where(in_subtree(Region.path, region.path))
    if level is not None:
        query = query.where(Region.level == level.value)
    return query.order_by(Region.path)


def grid_ids_under(path: str) -> Any:
    """A subquery of the ids of every grid in the subtree at ``path``."""
    return select(Region.id).where(
        in_subtree(Region.path, path), Region.level == RegionLevel.GRID.value
    )


def create_department(*, region: Region, code: str, name: str, domains: list[str]) -> Department:
    """Add a 行业监管部门 to a region (normally the 区)."""
    unknown = [d for d in domains if d not in {x.value for x in Domain}]
    if unknown:
        raise ValidationFailed.field("domains", f"未知的监管领域：{'、'.join(unknown)}")
    department = Department(region=region, code=code, name=name)
    department.domains = domains
    db.session.add(department)
    db.session.flush()
    return department
