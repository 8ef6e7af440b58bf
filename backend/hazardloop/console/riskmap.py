"""四色风险图 (红橙黄蓝): grids as polygons coloured by risk, sites as points, as one GeoJSON FeatureCollection.

Drawn without any tile server; a tile layer is offered only when TILE_URL_TEMPLATE is configured.
Chinese tile servers draw in GCJ-02, so ``crs=gcj02`` converts every coordinate on the server with
``hazardloop.geo.wgs84_to_gcj02`` (the stored coordinates stay WGS-84).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select

from hazardloop import policy
from hazardloop.console.services import OPEN, RUNNING, Scope, scope_site_filter
from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.geo import wgs84_to_gcj02
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.queries import filters
from hazardloop.hazards.states import HazardLevel
from hazardloop.regions.models import Region
from hazardloop.regions.services import in_subtree
from hazardloop.risk.levels import grid_levels, site_summaries
from hazardloop.risk.models import RiskPoint, SiteRiskLevel
from hazardloop.risk.rules import SiteSummary
from hazardloop.sites.models import Site
from hazardloop.taxonomy import SITE_CATEGORY_LABELS, RegionLevel, RiskLevel, SiteCategory

RISK_ORDER = [RiskLevel.BLUE, RiskLevel.YELLOW, RiskLevel.ORANGE, RiskLevel.RED]


def _convert(geometry: dict[str, Any], point: Callable[[float, float], tuple[float, float]]) -> dict[str, Any]:
    """The geometry with every [lng, lat] position passed through ``point(lat, lng)``."""
    def position(p: list[float]) -> list[float]:
        lat, lng = point(p[1], p[0])
        return [round(lng, 7), round(lat, 7), *p[2:]]

    if geometry["type"] == "Polygon":
        coordinates: Any = [[position(p) for p in ring] for ring in geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        coordinates = [[[position(p) for p in ring] for ring in polygon] for polygon in geometry["coordinates"]]
    else:
        coordinates = position(geometry["coordinates"])
    return {"type": geometry["type"], "coordinates": coordinates}


def tiles() -> dict[str, Any] | None:
    template = current_app.config["TILE_URL_TEMPLATE"]
    if not template:
        return None
    attribution = current_app.config["TILE_ATTRIBUTION"]
    return {"url_template": template, "attribution": attribution, "crs": "gcj02"}


def _category_label(category: str) -> str:
    try:
        return SITE_CATEGORY_LABELS[SiteCategory(category)]
    except ValueError:
        return category


def _places(grid_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each grid's street and community (分区域), from its path in the region tree."""
    paths = dict(db.session.execute(select(Region.id, Region.path).where(Region.id.in_(set(grid_ids)))).all()) \
        if grid_ids else {}
    ancestors = {int(p) for path in paths.values() for p in path.strip("/").split("/") if p}
    names = {rid: (level, name) for rid, level, name in db.session.execute(
        select(Region.id, Region.level, Region.name).where(Region.id.in_(ancestors)))} if ancestors else {}
    out: dict[int, dict[str, Any]] = {}
    for gid, path in paths.items():
        place: dict[str, Any] = {"street_id": None, "street_name": None, "community_id": None, "community_name": None}
        for rid in (int(p) for p in path.strip("/").split("/") if p):
            level, name = names.get(rid, (None, None))
            key = {RegionLevel.STREET.value: "street", RegionLevel.PARK.value: "street",  # 街道/园区
                   RegionLevel.COMMUNITY.value: "community"}.get(level or "")
            if key:
                place[f"{key}_id"], place[f"{key}_name"] = rid, name
        out[gid] = place
    return out


def site_points(site_ids: list[int], per_site: int = 8) -> dict[int, list[dict[str, Any]]]:
    """The sites' active 风险点 (highest level first, up to ``per_site``) with the basis of their level."""
    order = {level.value: i for i, level in enumerate(reversed(RISK_ORDER))}
    out: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(site_ids), 500):
        for sid, pid, name, level, basis in db.session.execute(
                select(RiskPoint.site_id, RiskPoint.id, RiskPoint.name, RiskPoint.level, RiskPoint.basis)
                .where(RiskPoint.site_id.in_(site_ids[start:start + 500]), RiskPoint.active.is_(True))
                .order_by(RiskPoint.id)):
            out.setdefault(sid, []).append({"id": pid, "name": name, "level": level, "basis": basis or "尚未评估"})
    return {sid: sorted(points, key=lambda p: order.get(p["level"] or "", 9))[:per_site]
            for sid, points in out.items()}


def risk_map(scope: Scope, *, crs: str = "wgs84") -> dict[str, Any]:
    """The FeatureCollection of the scope's grids (with a boundary) and sites (with a position)."""
    now = utcnow()
    point = wgs84_to_gcj02 if crs == "gcj02" else (lambda lat, lng: (lat, lng))
    open_where = filters(scope.user, {**scope.list_args, "status": OPEN})
    per_site = {site_id: (int(n), int(major or 0), int(late or 0)) for site_id, n, major, late in db.session.execute(
        select(Hazard.site_id, func.count(),
               func.sum(case((Hazard.level == HazardLevel.MAJOR.value, 1), else_=0)),
               func.sum(case((Hazard.status.in_(RUNNING) & (Hazard.deadline_at < now), 1), else_=0)))
        .where(*open_where).group_by(Hazard.site_id))}
    # Hazards at a closed-down site still count in their grid; only active sites are drawn and counted.
    sites = db.session.execute(select(Site.id, Site.name, Site.grid_id, Site.lat, Site.lng, Site.risk_level,
                                      Site.active, Site.category)
                               .where(scope_site_filter(scope)).order_by(Site.id)).all()
    grid_where = [Region.level == RegionLevel.GRID.value, policy.visible(scope.user, Region)]
    if scope.region is not None:
        grid_where.append(in_subtree(Region.path, scope.region.path))
    grids = db.session.execute(select(Region.id, Region.name, Region.boundary).where(*grid_where)
                               .order_by(Region.path)).all()
    by_grid: dict[int, dict[str, Any]] = {g.id: {"sites": 0, "open": 0, "major": 0, "late": 0, "members": []}
                                          for g in grids}
    # Each site's computed level and its reasons (风险分级管控, hazardloop.risk): shown in the tooltip.
    summaries = site_summaries(s.id for s in sites)
    # 分行业 / 分区域 filters and the 风险点 layer (each point with its level's basis, for the tooltip).
    places = _places([g.id for g in grids] + [s.grid_id for s in sites])
    points = site_points([s.id for s in sites if s.active and s.lat is not None])
    overridden = set(db.session.scalars(select(SiteRiskLevel.site_id).where(
        SiteRiskLevel.override_level.is_not(None), SiteRiskLevel.site_id.in_([s.id for s in sites]))))
    features: list[dict[str, Any]] = []
    site_features = []
    for site in sites:
        n, major, late = per_site.get(site.id, (0, 0, 0))
        bucket = by_grid.get(site.grid_id)
        if bucket is not None:
            bucket["open"] += n
            bucket["major"] += major
            bucket["late"] += late
            if site.active:
                bucket["sites"] += 1
                bucket["members"].append(SiteSummary(site.name, RiskLevel(site.risk_level),
                                                     summaries.get(site.id, "")))
        if site.active and site.lat is not None and site.lng is not None:
            site_features.append({
                "type": "Feature", "geometry": _convert({"type": "Point", "coordinates": [site.lng, site.lat]}, point),
                "properties": {"kind": "site", "site_id": site.id, "name": site.name, "risk_level": site.risk_level,
                               "risk_summary": summaries.get(site.id, ""), "grid_id": site.grid_id,
                               "open_hazards": n, "major_open": major, "category": site.category,
                               "category_label": _category_label(site.category), "override": site.id in overridden,
                               "risk_points": points.get(site.id, []), **places.get(site.grid_id, {})}})
    # A grid's colour is its region level (风险分级管控, one rule for grid, community and street in
    # config/risk.yaml), from its sites' computed levels — which open 重大 and overdue hazards already raise.
    levels = grid_levels({g.id: by_grid[g.id]["members"] for g in grids if g.boundary})
    for grid in grids:
        if not grid.boundary:
            continue
        bucket = by_grid[grid.id]
        level, reasons = levels[grid.id].level, list(levels[grid.id].reasons)
        features.append({
            "type": "Feature", "geometry": _convert(grid.boundary, point),
            "properties": {"kind": "grid", "region_id": grid.id, "name": grid.name, "risk_level": level.value,
                           **places.get(grid.id, {}),
                           "risk_reasons": reasons,
                           "open_hazards": bucket["open"], "major_open": bucket["major"],
                           "overdue_open": bucket["late"], "sites": bucket["sites"],
                           "density": round(bucket["open"] / bucket["sites"], 4) if bucket["sites"] else 0.0}})
    return {"type": "FeatureCollection", "crs_name": crs, "tiles": tiles(), "features": [*features, *site_features]}
