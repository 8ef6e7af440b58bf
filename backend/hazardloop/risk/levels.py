"""计算的风险等级: a site's level from its risk points and hazards with the reasons, stored with every change
recorded in the audit chain; region levels by the rule of config/risk.yaml; the console overview's counts and
changes of level."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, exists, func, insert, select, true, update

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.database import utcnow
from hazardloop.escalation.models import Escalation
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import DEADLINE_STATUSES, HazardLevel, HazardStatus
from hazardloop.regions.models import Region
from hazardloop.regions.services import in_subtree
from hazardloop.risk import rules as R
from hazardloop.risk.models import RiskPoint, SiteRiskLevel
from hazardloop.sites.models import Site
from hazardloop.taxonomy import RegionLevel, RiskLevel


def counts_toward_level(now: dt.datetime) -> ColumnElement[bool]:
    """Open hazards that count toward a site's level: not a 暗访 finding still hidden from the enterprise."""
    return and_(Hazard.status != HazardStatus.CLOSED.value,
                ~(Hazard.covert.is_(True) & (Hazard.status == HazardStatus.FOUND.value)))


def _rule(rules: R.Rules, name: str) -> dict[str, Any]:
    return next((dict(r) for r in rules.site_raise if r.get("rule") == name), {})


def _hazard_facts(rules: R.Rules, site_filter: ColumnElement[bool], now: dt.datetime) -> dict[int, R.HazardFacts]:
    """Per site: open 重大, overdue 重大, open with an escalation rung of the rule, recurring open hazards."""
    rungs = _rule(rules, "overdue_rung").get("rungs") or []
    min_rec = int(_rule(rules, "recurrence").get("min_recurrences", 1))
    major = Hazard.level == HazardLevel.MAJOR.value
    overdue = major & Hazard.status.in_([s.value for s in DEADLINE_STATUSES]) & (Hazard.deadline_at < now)
    rung = exists(select(Escalation.id).where(Escalation.hazard_id == Hazard.id, Escalation.rung.in_(rungs))) \
        if rungs else None

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0) if condition is not None else func.sum(0)

    query = (select(Hazard.site_id, count(major), count(overdue), count(rung) if rung is not None else func.sum(0),
                    count(Hazard.recurrence_count >= min_rec))
             .where(counts_toward_level(now), site_filter).group_by(Hazard.site_id))
    facts = {sid: R.HazardFacts(int(a or 0), int(b or 0), int(c or 0), int(d or 0))
             for sid, a, b, c, d in db.session.execute(query)}
    return facts


def _point_levels(site_filter: ColumnElement[bool]) -> dict[int, list[R.PointLevel]]:
    out: dict[int, list[R.PointLevel]] = defaultdict(list)
    for sid, name, level, basis in db.session.execute(
            select(RiskPoint.site_id, RiskPoint.name, RiskPoint.level, RiskPoint.basis)
            .where(RiskPoint.active.is_(True), RiskPoint.level.is_not(None), site_filter)):
        out[sid].append(R.PointLevel(name, RiskLevel(level), basis or ""))
    return out


def compute_site(site: Site, now: dt.datetime | None = None) -> R.Level:
    """The site's computed level and reasons now (nothing stored)."""
    rules = R.load_rules()
    now = now or utcnow()
    points = _point_levels(RiskPoint.site_id == site.id).get(site.id, [])
    facts = _hazard_facts(rules, Hazard.site_id == site.id, now).get(site.id, R.HazardFacts())
    if site.major_hazard_source and _rule(rules, "major_hazard_source"):
        facts = replace(facts, major_hazard_source=1)  # 一企一档: a 重大危险源 is a 重大风险 whatever the score
    return R.site_level(rules, points, facts)


def apply_level(site: Site, row: SiteRiskLevel, *, actor: User | None, actor_role: str | None) -> bool:
    """Set the effective level from the computed one and the override; record a change of level."""
    effective = row.override_level or row.computed_level
    previous = site.risk_level
    row.level = effective
    if effective == previous:
        return False
    site.risk_level = effective
    append_event(kind="risk_level_changed", actor=actor, actor_role=actor_role or "system",
                 from_status=previous, to_status=effective, note=display_summary(row),
                 payload={"site_id": site.id, "from": previous, "to": effective, "reasons": list(row.reasons),
                          "override": row.override_level is not None})
    return True


def recompute_site(site: Site, *, actor: User | None = None, actor_role: str | None = None,
                   now: dt.datetime | None = None) -> SiteRiskLevel:
    """Recompute and store one site's level (called in the same transaction as the change that caused it)."""
    level = compute_site(site, now)
    row = db.session.get(SiteRiskLevel, site.id)
    if row is None:
        row = SiteRiskLevel(site_id=site.id, level=site.risk_level)
        db.session.add(row)
    row.computed_level, row.reasons, row.summary = level.level.value, list(level.reasons), level.summary[:500]
    row.computed_at = utcnow()
    apply_level(site, row, actor=actor, actor_role=actor_role)
    db.session.flush()
    return row


def hazard_changed(hazard: Hazard) -> None:
    """Hook for ``hazards.services``: a hazard was found or moved; its site's level follows in the same transaction."""
    recompute_site(hazard.site)


def recompute_all(now: dt.datetime | None = None, batch: int = 500, site_ids: list[int] | None = None) -> int:
    """Recompute every active site's level (after a change of rules, and daily for overdue hazards), or only
    those of ``site_ids`` (the sites of an import batch).

    Reads points and hazards by grouped queries and writes only what changed, in bulk statements (no
    object per site). The changes of level are recorded in the audit chain as events of kind
    ``risk_levels_changed``, each listing up to ``batch`` sites with their old and new level and the
    reasons. Returns how many sites changed level."""
    rules = R.load_rules()
    now = now or utcnow()
    db.session.flush()
    only = site_ids is not None
    points = _point_levels(RiskPoint.site_id.in_(site_ids) if only else true())
    facts = _hazard_facts(rules, Hazard.site_id.in_(site_ids) if only else true(), now)
    if _rule(rules, "major_hazard_source"):
        for sid in db.session.scalars(select(Site.id).where(
                Site.major_hazard_source.is_(True), Site.id.in_(site_ids) if only else true())):
            facts[sid] = replace(facts.get(sid, R.HazardFacts()), major_hazard_source=1)
    t = SiteRiskLevel.__table__
    stored = {r.site_id: r for r in db.session.execute(
        select(t.c.site_id, t.c.computed_level, t.c.reasons, t.c.override_level)
        .where(t.c.site_id.in_(site_ids) if only else true()))}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    sites = db.session.execute(select(Site.id, Site.risk_level).where(
        Site.active.is_(True), Site.id.in_(site_ids) if only else true()).order_by(Site.id)).all()
    for sid, current in sites:
        level = R.site_level(rules, points.get(sid, []), facts.get(sid, R.HazardFacts()))
        row = stored.get(sid)
        reasons = list(level.reasons)
        effective = (row.override_level if row is not None else None) or level.level.value
        if row is not None and row.computed_level == level.level.value and list(row.reasons or []) == reasons \
                and effective == current:
            continue
        values = {"computed_level": level.level.value, "reasons": reasons, "summary": level.summary[:500],
                  "level": effective, "computed_at": now}
        if row is None:
            inserts.append({"site_id": sid, **values})
        else:
            updates.append({"key": sid, **values})
        if effective != current:
            changes.append({"site_id": sid, "from": current, "to": effective, "reasons": reasons})
    if inserts:
        db.session.execute(insert(t), inserts)
    if updates:
        db.session.execute(update(t).where(t.c.site_id == bindparam("key")), updates)
    if changes:
        s = Site.__table__
        db.session.execute(update(s).where(s.c.id == bindparam("key")).values(risk_level=bindparam("to")),
                           [{"key": c["site_id"], "to": c["to"]} for c in changes])
    for start in range(0, len(changes), batch):
        chunk = changes[start:start + batch]
        append_event(kind="risk_levels_changed", actor=None, actor_role="system",
                     note=f"风险等级重算：{len(chunk)} 家场所等级变化", payload={"changes": chunk})
    db.session.flush()
    db.session.expire_all()  # the Site and SiteRiskLevel objects in the session read the new values
    return len(changes)


def display_summary(row: SiteRiskLevel) -> str:
    """The stored level as people read it; an override says so, with its reason and the computed result."""
    if row.override_level:
        colour = R.COLOUR[RiskLevel(row.override_level)]
        return f"{colour}（人工调整）：{row.override_reason}；计算结果 {row.summary}"
    return row.summary


def region_levels(regions: Iterable[Region]) -> dict[int, R.Level]:
    """Each region's aggregate level (grid, community or street) from its active sites' stored levels."""
    rules = R.load_rules()
    out: dict[int, R.Level] = {}
    for region in regions:
        where = [Site.active.is_(True)]
        if region.level == RegionLevel.GRID.value:
            where.append(Site.grid_id == region.id)
        else:
            where.append(Site.grid_id.in_(select(Region.id).where(in_subtree(Region.path, region.path))))
        sites = [R.SiteSummary(name, RiskLevel(level), summary or "")
                 for name, level, summary in db.session.execute(
                     select(Site.name, Site.risk_level, SiteRiskLevel.summary)
                     .outerjoin(SiteRiskLevel, SiteRiskLevel.site_id == Site.id).where(*where))]
        out[region.id] = R.region_level(rules, sites)
    return out


def grid_levels(grid_sites: dict[int, list[R.SiteSummary]]) -> dict[int, R.Level]:
    """Grid levels from already-read site summaries (the risk map reads its sites once)."""
    rules = R.load_rules()
    return {gid: R.region_level(rules, sites) for gid, sites in grid_sites.items()}


def site_summaries(site_ids: Iterable[int]) -> dict[int, str]:
    """Each site's level summary with its reasons (the risk map's tooltip)."""
    ids = list(site_ids)
    if not ids:
        return {}
    return {row.site_id: display_summary(row)
            for row in db.session.scalars(select(SiteRiskLevel).where(SiteRiskLevel.site_id.in_(ids)))}


# --- the console overview: sites by level and the changes of the last period ----------------------------

def overview(user: User, *, days: int = 30, now: dt.datetime | None = None, limit: int = 20,
             site_filter: ColumnElement[bool] | None = None) -> dict[str, Any]:
    """Active sites in ``user``'s scope (or of ``site_filter``: the console's region/department) counted by
    level, and each site's net change of level over the last ``days`` days (first "from" → last "to", from the
    ``risk_level_changed``/``risk_levels_changed`` events), latest first; raised and lowered count sites whose
    net change went up or down."""
    from hazardloop.hazards.models import AuditEvent

    now = now or utcnow()
    since = now - dt.timedelta(days=days)
    visible = site_filter if site_filter is not None else policy.visible(user, Site)
    counts = {level.value: 0 for level in reversed(R.ORDER)}
    for level, n in db.session.execute(select(Site.risk_level, func.count()).where(visible, Site.active.is_(True))
                                       .group_by(Site.risk_level)):
        if level in counts:
            counts[level] = int(n)
    net: dict[int, dict[str, Any]] = {}
    for kind, at, payload in db.session.execute(
            select(AuditEvent.kind, AuditEvent.occurred_at, AuditEvent.payload)
            .where(AuditEvent.kind.in_(["risk_level_changed", "risk_levels_changed"]), AuditEvent.occurred_at >= since)
            .order_by(AuditEvent.id)):
        lines = (payload or {}).get("changes", []) if kind == "risk_levels_changed" else [payload or {}]
        for line in lines:
            sid = line.get("site_id")
            if sid is None:
                continue
            entry = net.setdefault(int(sid), {"from": line.get("from"), "to": line.get("to"), "at": at})
            entry["to"], entry["at"] = line.get("to"), at
            entry["override"] = bool(line.get("override"))
    shown = {sid: name for sid, name in db.session.execute(
        select(Site.id, Site.name).where(visible, Site.id.in_(list(net))))} if net else {}
    rank = {level.value: i for i, level in enumerate(R.ORDER)}
    changes = [{"site_id": sid, "site_name": shown[sid], "from": e["from"], "to": e["to"], "at": e["at"],
                "override": e.get("override", False),
                "direction": "up" if rank.get(e["to"], 0) > rank.get(e["from"], 0) else "down"}
               for sid, e in net.items() if sid in shown and e["from"] != e["to"]]
    changes.sort(key=lambda c: (c["at"], c["site_id"]), reverse=True)
    return {"counts": counts, "total": sum(counts.values()), "days": days, "since": since,
            "raised": sum(c["direction"] == "up" for c in changes),
            "lowered": sum(c["direction"] == "down" for c in changes), "changes": changes[:limit]}
