"""网格边界 checks: a GeoJSON boundary is a valid polygon inside its parent; overlaps with siblings are reported."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from hazardloop.extensions import db
from hazardloop.regions.models import Region

# Metres per degree of latitude (and of longitude at the equator), for areas shown to people.
_M_PER_DEG = 111_320.0
# Slivers below this many square metres are drawing noise, not a real overlap or overhang.
TOLERANCE_M2 = 50.0
MAX_BOUNDARY_BYTES = 2_000_000

_REASONS = (
    (re.compile(r"Ring Self-intersection"), "边界线与自身相交成环"),
    (re.compile(r"Self-intersection"), "边界线自相交（画成了“8”字形或交叉）"),
    (re.compile(r"Too few points"), "多边形的点太少（每个环至少 4 个点且首尾相同）"),
    (re.compile(r"Hole lies outside shell"), "多边形的内环（洞）在外环之外"),
    (re.compile(r"Nested shells"), "多块多边形相互嵌套"),
    (re.compile(r"Interior is disconnected"), "多边形的内部被内环分割成了几块"),
    (re.compile(r"Duplicate Rings|Nested holes"), "多边形有重复或嵌套的内环"),
    (re.compile(r"Invalid Coordinate"), "坐标不是有效的数字"),
)


@dataclass
class BoundaryCheck:
    """The outcome of checking a boundary: the geometry (when readable), errors that block, notes that do not."""

    geometry: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.geometry is not None


def _where(reason: str) -> str:
    found = re.search(r"\[([-\d.eE]+)\s+([-\d.eE]+)", reason)
    if not found:
        return ""
    return f"（约在经度 {float(found.group(1)):.5f}、纬度 {float(found.group(2)):.5f}）"


def _reason_in_chinese(reason: str) -> str:
    for pattern, text in _REASONS:
        if pattern.search(reason):
            return text + _where(reason)
    return "不是有效的多边形，请在绘图软件中修复后重新上传" + _where(reason)


def area_m2(geometry: BaseGeometry) -> float:
    """Approximate area in square metres of a small WGS-84 geometry (degrees scaled at its latitude)."""
    if geometry.is_empty:
        return 0.0
    lat = geometry.centroid.y
    return geometry.area * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat))


def _square_metres(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} 平方千米"
    return f"{round(value):,} 平方米"


def read_geojson(raw: bytes | str | dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The one Polygon/MultiPolygon geometry in an uploaded GeoJSON (a geometry, a Feature or a FeatureCollection
    of one feature); else None and the reason in Chinese."""
    data: Any = raw
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_BOUNDARY_BYTES:
            return None, "文件太大（超过 2 MB），网格边界不需要这么多点，请简化后上传。"
        try:
            text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
            data = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            return None, "无法读取：文件不是 GeoJSON（应为 UTF-8 编码的 .geojson 或 .json 文件）。"
    if not isinstance(data, dict):
        return None, "无法读取：文件内容不是 GeoJSON 对象。"
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            return None, f"文件中有 {len(features)} 个要素，一个网格的边界应只有一个要素（多边形）。"
        data = features[0]
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        kind = data.get("type") if isinstance(data, dict) else None
        found = f"「{kind}」" if kind else "其他内容"
        return None, f"边界应为多边形（Polygon 或 MultiPolygon），文件中是{found}。"
    return {"type": data["type"], "coordinates": data.get("coordinates")}, None


def _nearest_bounded_ancestor(parent: Region | None) -> Region | None:
    while parent is not None and not parent.boundary:
        parent = parent.parent
    return parent


def check_boundary(raw: bytes | str | dict[str, Any], *, parent: Region | None,
                   region: Region | None = None) -> BoundaryCheck:
    """Check a boundary for a region under ``parent`` (``region`` itself is left out of the siblings)."""
    result = BoundaryCheck()
    geometry, problem = read_geojson(raw)
    if problem:
        result.errors.append(problem)
        return result
    assert geometry is not None
    try:
        shp = shape(geometry)
    except (TypeError, ValueError, IndexError, AttributeError, shapely.errors.ShapelyError):
        result.errors.append("坐标格式不对：多边形应为若干个环，每个环是 [经度, 纬度] 点的列表。")
        return result
    if shp.is_empty:
        result.errors.append("多边形是空的，没有坐标。")
        return result
    west, south, east, north = shp.bounds
    if not (west >= 73 and east <= 136 and south >= 3 and north <= 54):
        result.errors.append("坐标不在中国境内：应为 WGS-84 经纬度（经度 73–136、纬度 3–54），"
                             "请确认没有把经纬度写反，也不是投影坐标。")
        return result
    if not shp.is_valid:
        result.errors.append("边界" + _reason_in_chinese(shapely.is_valid_reason(shp)) + "。")
        return result
    if area_m2(shp) < TOLERANCE_M2:
        result.errors.append("多边形面积太小（不足 50 平方米），请检查坐标。")
        return result
    # Stored as shapely reads it (rings closed), in plain JSON lists.
    result.geometry = json.loads(json.dumps(mapping(shp)))
    outer = _nearest_bounded_ancestor(parent)
    if outer is not None:
        container = shape(outer.boundary)
        if container.is_valid:
            outside = area_m2(shp.difference(container))
            if outside > TOLERANCE_M2:
                where = "上级" if outer is parent else "上级区域"
                result.errors.append(f"超出了{where}「{outer.name}」的边界（超出部分约 {_square_metres(outside)}），"
                                     f"请把边界画在「{outer.name}」范围之内。")
    if parent is not None:
        siblings = db.session.scalars(select(Region).where(Region.parent_id == parent.id).order_by(Region.name))
        for sibling in siblings:
            if not sibling.boundary or (region is not None and sibling.id == region.id):
                continue
            other = shape(sibling.boundary)
            if not other.is_valid:
                continue
            overlap = area_m2(shp.intersection(other))
            if overlap > TOLERANCE_M2:
                result.warnings.append(f"与同级「{sibling.name}」重叠约 {_square_metres(overlap)}，"
                                       "同一地点会同时属于两个区域，请核对。")
    return result
