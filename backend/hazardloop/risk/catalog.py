"""风险点模板 → sites: storing the template files as versions (the same validate/sync discipline as the
checklists) and giving every site its category's 风险点, whatever the path that created or changed it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hazardloop.accounts.models import User
from hazardloop.checklists.format import DEFAULT_REFERENCE_DIR
from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.risk import rules as R
from hazardloop.risk.format import PROJECT_RISKS, RiskCatalog, load_risk_directory
from hazardloop.risk.levels import recompute_all, recompute_site
from hazardloop.risk.models import RiskCatalogVersion, RiskPoint
from hazardloop.sites.models import Site


@dataclass
class SyncReport:
    catalogs: int = 0
    new_versions: int = 0
    points_added: int = 0
    points_updated: int = 0
    levels_changed: int = 0

    def describe(self) -> str:
        return (f"风险点模板 {self.catalogs} 个（新版本 {self.new_versions} 个）；"
                f"新增场所风险点 {self.points_added} 个，"
                f"更新 {self.points_updated} 个；场所风险等级变化 {self.levels_changed} 家。")


def _default_level(rules: R.Rules, default: dict[str, Any] | None) -> tuple[str | None, str | None]:
    if not default:
        return None, None
    result = R.score(rules, default["method"], default)
    return result.level.value, f"{result.basis}（模板默认）"


def _point_fields(template: dict[str, Any]) -> dict[str, Any]:
    return {"name": template["name"], "kind": template["kind"], "hazard_source": template["hazard_source"],
            "accident_types": list(template["accident_types"]), "measures": [dict(m) for m in template["measures"]],
            "default_assessment": dict(template["default_assessment"])}


def sync_catalogs(directory: Path | None = None) -> SyncReport:
    """Store the template files as versions, give every active site its category's risk points (idempotent),
    refresh template text on existing points, then recompute every site's level. All or nothing."""
    reference = DEFAULT_REFERENCE_DIR if DEFAULT_REFERENCE_DIR.is_dir() else None
    catalogs = load_risk_directory(directory or PROJECT_RISKS, reference)
    rules = R.load_rules()
    report = SyncReport(catalogs=len(catalogs))
    versions: dict[str, RiskCatalogVersion] = {}
    for catalog in catalogs:
        versions[catalog.id] = _store_version(catalog, report)
    by_category: dict[str, list[tuple[RiskCatalogVersion, dict[str, Any]]]] = defaultdict(list)
    for catalog in catalogs:
        for category in catalog.categories:
            by_category[category].extend((versions[catalog.id], dict(p)) for p in catalog.points)
    existing = {(sid, code): pid for pid, sid, code in db.session.execute(
        select(RiskPoint.id, RiskPoint.site_id, RiskPoint.template_code).where(RiskPoint.template_code.is_not(None)))}
    sites = db.session.execute(select(Site.id, Site.category).where(Site.active.is_(True))).all()
    new_rows: list[dict[str, Any]] = []
    updates: dict[str, tuple[RiskCatalogVersion, dict[str, Any]]] = {}
    for site_id, category in sites:
        for version, template in by_category.get(category, []):
            key = (site_id, template["code"])
            if key in existing:
                updates[template["code"]] = (version, template)
                continue
            level, basis = _default_level(rules, template["default_assessment"])
            new_rows.append({"site_id": site_id, "template_code": template["code"], "catalog_version_id": version.id,
                             "level": level, "basis": basis, "active": True, "created_at": utcnow(),
                             **_point_fields(template)})
    if new_rows:
        from hazardloop.bulk import insert_rows

        insert_rows(RiskPoint, new_rows)
        report.points_added = len(new_rows)
    for code, (version, template) in updates.items():
        stale = db.session.scalars(select(RiskPoint).where(
            RiskPoint.template_code == code, RiskPoint.catalog_version_id != version.id)).all()
        level, basis = _default_level(rules, template["default_assessment"])
        for point in stale:
            for key, value in _point_fields(template).items():
                setattr(point, key, value)
            point.catalog_version_id = version.id
            if point.accepted_assessment_id is None:
                point.level, point.basis = level, basis
            report.points_updated += 1
    db.session.flush()
    report.levels_changed = recompute_all()
    return report


def attach_template_points(site_ids: Iterable[int], *, actor: User | None = None,
                           actor_role: str | None = None) -> int:
    """Give these sites their category's template 风险点 from the stored current template versions (a site
    created by any path, or whose category changed): missing points are added, points of a category the site
    no longer has are set inactive (their assessments stay), and a changed site's level is recomputed in the
    same transaction. Idempotent; nothing happens before the templates are first synced. Returns how many
    sites changed."""
    ids = sorted(set(site_ids))
    versions = db.session.scalars(select(RiskCatalogVersion).where(RiskCatalogVersion.current.is_(True))).all() \
        if ids else []
    if not versions:
        return 0
    db.session.flush()
    by_category: dict[str, dict[str, tuple[RiskCatalogVersion, dict[str, Any]]]] = defaultdict(dict)
    for version in versions:
        for category in version.categories:
            for template in version.content.get("points") or []:
                by_category[category][template["code"]] = (version, dict(template))
    rules = R.load_rules()
    changed: set[int] = set()
    new_rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        existing: dict[int, dict[str, RiskPoint]] = defaultdict(dict)
        for point in db.session.scalars(select(RiskPoint).where(
                RiskPoint.site_id.in_(chunk), RiskPoint.template_code.is_not(None))):
            existing[point.site_id][point.template_code or ""] = point
        for site_id, category in db.session.execute(select(Site.id, Site.category).where(Site.id.in_(chunk))):
            wanted = by_category.get(category, {})
            for code, (version, template) in wanted.items():
                point = existing[site_id].get(code)
                if point is None:
                    level, basis = _default_level(rules, template["default_assessment"])
                    new_rows.append({"site_id": site_id, "template_code": code, "catalog_version_id": version.id,
                                     "level": level, "basis": basis, "active": True, "created_at": utcnow(),
                                     **_point_fields(template)})
                    changed.add(site_id)
                elif not point.active:
                    point.active = True
                    changed.add(site_id)
            for code, point in existing[site_id].items():
                if code not in wanted and point.active:
                    point.active = False
                    changed.add(site_id)
    if new_rows:
        from hazardloop.bulk import insert_rows

        insert_rows(RiskPoint, new_rows)
    db.session.flush()
    if len(changed) > 20:  # an import batch: grouped queries and bulk writes, one event per 500 changes
        recompute_all(site_ids=sorted(changed))
        return len(changed)
    for site_id in sorted(changed):
        site = db.session.get(Site, site_id)
        if site is not None and site.active:
            recompute_site(site, actor=actor, actor_role=actor_role)
    return len(changed)


def _store_version(catalog: RiskCatalog, report: SyncReport) -> RiskCatalogVersion:
    version = db.session.scalar(select(RiskCatalogVersion).where(
        RiskCatalogVersion.catalog_id == catalog.id, RiskCatalogVersion.content_hash == catalog.content_hash))
    for other in db.session.scalars(select(RiskCatalogVersion).where(
            RiskCatalogVersion.catalog_id == catalog.id, RiskCatalogVersion.current.is_(True))):
        other.current = False
    if version is None:
        version = RiskCatalogVersion(catalog_id=catalog.id, version=catalog.version, title=catalog.title,
                                     content_hash=catalog.content_hash, categories=list(catalog.categories),
                                     content=dict(catalog.data))
        db.session.add(version)
        report.new_versions += 1
    version.current = True
    db.session.flush()
    return version
