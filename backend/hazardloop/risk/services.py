"""风险分级管控 rules in use: syncing templates to sites' 风险点, 风险评价 and review, and computed levels with reasons.

Every change a person makes (an assessment, a review, a point added, an override) and every change of a
site's level is an event in the audit chain (``hazards.events.append_event``, with the site in the payload).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, exists, func, insert, select, true, update

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.checklists.format import DEFAULT_REFERENCE_DIR
from hazardloop.database import utcnow
from hazardloop.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from hazardloop.escalation.models import Escalation
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import DEADLINE_STATUSES, HazardLevel, HazardStatus
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.regions.services import in_subtree
from hazardloop.risk import rules as R
from hazardloop.risk.format import PROJECT_RISKS, RiskCatalog, load_risk_directory
from hazardloop.risk.models import RiskAssessment, RiskCatalogVersion, RiskPoint, SiteRiskLevel
from hazardloop.sites.models import Site
from hazardloop.taxonomy import RegionLevel, RiskLevel, Role

SUBMITTED, ACCEPTED, RETURNED = "submitted", "accepted", "returned"
STATE_LABELS = {SUBMITTED: "待审核", ACCEPTED: "已通过", RETURNED: "已退回"}


# --- templates → sites ------------------------------------------------------------------------------

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


# --- lookups ------------------------------------------------------------------------------------------

def get_point(point_id: int, user: User, action: Action = Action.SITE_VIEW) -> RiskPoint:
    point = db.session.get(RiskPoint, point_id)
    if point is None or not point.active:
        raise NotFound("风险点不存在。")
    policy.authorize(user, action, point.site)
    return point


def get_assessment(assessment_id: int, user: User, action: Action = Action.SITE_VIEW) -> RiskAssessment:
    assessment = db.session.get(RiskAssessment, assessment_id)
    if assessment is None:
        raise NotFound("风险评价记录不存在。")
    policy.authorize(user, action, assessment.point.site)
    return assessment


def _role(user: User, action: Action, site: Site) -> Role:
    role = policy.acting_role(user, action, site)
    assert role is not None  # authorize() ran first
    return role


# --- assessment and review ----------------------------------------------------------------------------

def _reason(text: Any) -> str:
    reason = (text or "").strip() if isinstance(text, str) else ""
    if not reason:
        raise ValidationFailed.field("reason", "请填写评估理由（为什么是这个分值）。")
    return reason


def assess(point: RiskPoint, *, actor: User, method: str, inputs: dict[str, Any], reason: str | None,
           major_condition: str | None = None) -> RiskAssessment:
    """Record a 风险评价 of ``point`` (LEC or matrix); a reviewer's own assessment counts at once,
    anyone else's waits for a supervisor's review. Raises ValidationFailed with the field."""
    rules = R.load_rules()
    problem = R.factor_problem(rules, method, inputs)
    if problem:
        raise ValidationFailed.field(*problem)
    if major_condition and major_condition not in rules.major_conditions:
        raise ValidationFailed.field("major_condition", "未知的重大风险判定条件。")
    text = _reason(reason)
    result = R.score(rules, method, inputs, major_condition or None)
    role = _role(actor, Action.SITE_RISK_ASSESS, point.site)
    pending = db.session.scalar(select(RiskAssessment).where(
        RiskAssessment.risk_point_id == point.id, RiskAssessment.state == SUBMITTED))
    if pending is not None:
        raise Conflict("该风险点已有待审核的评估，请等待审核后再评估。", code="assessment_pending")
    assessment = RiskAssessment(
        point=point, method=method, inputs={f: inputs[f] for f in R.FACTORS[method]}, score=result.score,
        score_level=result.score_level.value, major_condition=major_condition or None, level=result.level.value,
        basis=result.basis, reason=text, assessed_by_id=actor.id, assessed_role=role.value, assessed_at=utcnow(),
        state=SUBMITTED)
    db.session.add(assessment)
    db.session.flush()
    append_event(kind="risk_assessed", actor=actor, actor_role=role.value, note=text,
                 payload={"site_id": point.site_id, "risk_point_id": point.id, "assessment_id": assessment.id,
                          "method": method, "inputs": assessment.inputs, "score": result.score,
                          "level": result.level.value, "basis": result.basis, "major_condition": major_condition})
    if policy.can(actor, Action.SITE_RISK_REVIEW, point.site):
        review(assessment, actor=actor, decision="accept", note="评估人即审核人")
    return assessment


def review(assessment: RiskAssessment, *, actor: User, decision: str, note: str | None) -> RiskAssessment:
    """Accept (the assessment now counts, the site's level is recomputed) or return it with a reason."""
    if assessment.state != SUBMITTED:
        raise RuleViolation(f"该评估{STATE_LABELS[assessment.state]}，不能再审核。", code="guard_failed")
    point = assessment.point
    role = _role(actor, Action.SITE_RISK_REVIEW, point.site)
    note = (note or "").strip() or None
    if decision == "return" and not note:
        raise ValidationFailed.field("note", "退回须写明理由。")
    if decision not in ("accept", "return"):
        raise ValidationFailed.field("decision", "审核结论应为通过或退回。")
    assessment.state = ACCEPTED if decision == "accept" else RETURNED
    assessment.reviewed_by_id, assessment.reviewed_at, assessment.review_note = actor.id, utcnow(), note
    if decision == "accept":
        rules = R.load_rules()
        point.level, point.basis = assessment.level, assessment.basis
        point.accepted_assessment_id = assessment.id
        days = rules.reassess_days.get(RiskLevel(assessment.level))
        point.reassess_due_at = assessment.assessed_at + dt.timedelta(days=days) if days else None
    db.session.flush()
    append_event(kind=f"risk_assessment_{'accepted' if decision == 'accept' else 'returned'}", actor=actor,
                 actor_role=role.value, note=note,
                 payload={"site_id": point.site_id, "risk_point_id": point.id, "assessment_id": assessment.id,
                          "level": assessment.level, "basis": assessment.basis})
    if decision == "accept":
        recompute_site(point.site, actor=actor, actor_role=role.value)
    return assessment


def add_point(site: Site, *, actor: User, data: dict[str, Any]) -> RiskPoint:
    """A risk point the site adds itself (not from a template); it counts once assessed and accepted."""
    role = _role(actor, Action.SITE_RISK_ASSESS, site)
    fields = {k: (data.get(k) or "").strip() for k in ("name", "kind", "hazard_source")}
    for key, label in (("name", "风险点名称"), ("hazard_source", "危险源")):
        if not fields[key]:
            raise ValidationFailed.field(key, f"请填写{label}。")
    measures = [{"kind": m.get("kind") or "management", "tier": m.get("tier") or "企业", "text": m["text"].strip(),
                 "check_items": []} for m in data.get("measures") or [] if (m.get("text") or "").strip()]
    point = RiskPoint(site=site, template_code=None, name=fields["name"], kind=fields["kind"] or "场所",
                      hazard_source=fields["hazard_source"], accident_types=list(data.get("accident_types") or []),
                      measures=measures, responsible=(data.get("responsible") or "").strip() or None,
                      level=None, basis=None, created_by_id=actor.id, active=True)
    db.session.add(point)
    db.session.flush()
    append_event(kind="risk_point_added", actor=actor, actor_role=role.value, note=point.name,
                 payload={"site_id": site.id, "risk_point_id": point.id, "hazard_source": point.hazard_source,
                          "accident_types": point.accident_types})
    return point


def set_override(site: Site, *, actor: User, level: str | None, reason: str | None) -> SiteRiskLevel:
    """An assessor's override of the computed level (with its reason), or its removal (level None)."""
    role = _role(actor, Action.SITE_RISK_OVERRIDE, site)
    row = recompute_site(site, actor=actor, actor_role=role.value)
    if level is not None:
        if level not in {r.value for r in RiskLevel}:
            raise ValidationFailed.field("level", "风险等级应为红、橙、黄、蓝之一。")
        text = _reason(reason)
        row.override_level, row.override_reason = level, text
        row.override_by_id, row.override_at = actor.id, utcnow()
    else:
        row.override_level = row.override_reason = row.override_by_id = row.override_at = None
    append_event(kind="risk_override", actor=actor, actor_role=role.value, note=reason,
                 payload={"site_id": site.id, "override_level": level, "computed_level": row.computed_level})
    _apply(site, row, actor=actor, actor_role=role.value)
    return row


HAND_TYPED = "在场所信息中手工设定（未说明理由）"


def hand_override(site: Site, *, actor: User, level: str) -> SiteRiskLevel:
    """A level typed into the site's record (the old hand-typed field): kept as an override, shown as such."""
    role = policy.acting_role(actor, Action.SITE_UPDATE, site)
    row = recompute_site(site, actor=actor, actor_role=role.value if role else None)
    row.override_level, row.override_reason = level, HAND_TYPED
    row.override_by_id, row.override_at = actor.id, utcnow()
    append_event(kind="risk_override", actor=actor, actor_role=role.value if role else None, note=HAND_TYPED,
                 payload={"site_id": site.id, "override_level": level, "computed_level": row.computed_level})
    _apply(site, row, actor=actor, actor_role=role.value if role else None)
    return row


# --- computed levels ------------------------------------------------------------------------------------

def _visible_open(now: dt.datetime) -> ColumnElement[bool]:
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
             .where(_visible_open(now), site_filter).group_by(Hazard.site_id))
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


def _apply(site: Site, row: SiteRiskLevel, *, actor: User | None, actor_role: str | None) -> bool:
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
    _apply(site, row, actor=actor, actor_role=actor_role)
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


# --- views ---------------------------------------------------------------------------------------------

def display_summary(row: SiteRiskLevel) -> str:
    if row.override_level:
        colour = R.COLOUR[RiskLevel(row.override_level)]
        return f"{colour}（人工调整）：{row.override_reason}；计算结果 {row.summary}"
    return row.summary


def level_info(site: Site) -> dict[str, Any]:
    row = db.session.get(SiteRiskLevel, site.id)
    if row is None:
        return {"level": site.risk_level, "computed_level": None, "reasons": [], "summary": "尚未计算",
                "override": None}
    override = None
    if row.override_level:
        override = {"level": row.override_level, "reason": row.override_reason, "at": row.override_at,
                    "by": _name(row.override_by_id)}
    return {"level": row.level, "computed_level": row.computed_level, "reasons": list(row.reasons),
            "summary": display_summary(row), "override": override, "computed_at": row.computed_at}


def _name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else None


def _assessment_dict(a: RiskAssessment) -> dict[str, Any]:
    return {"id": a.id, "method": a.method, "inputs": a.inputs, "score": a.score, "level": a.level,
            "basis": a.basis, "major_condition": a.major_condition, "reason": a.reason, "state": a.state,
            "state_label": STATE_LABELS[a.state], "assessed_by": _name(a.assessed_by_id), "assessed_at": a.assessed_at,
            "reviewed_by": _name(a.reviewed_by_id), "reviewed_at": a.reviewed_at, "review_note": a.review_note}


def site_risk(site: Site, user: User) -> dict[str, Any]:
    """The site's level with its reasons, its risk points (latest assessment of each) and what ``user`` may do."""
    points = db.session.scalars(select(RiskPoint).where(RiskPoint.site_id == site.id, RiskPoint.active.is_(True))
                                .order_by(RiskPoint.template_code.is_(None), RiskPoint.id)).all()
    latest: dict[int, RiskAssessment] = {}
    # 隐患排查 checks the measures: an open hazard on a measure's checklist item means the measure failed.
    failing: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for hid, number, item_code, level in db.session.execute(
            select(Hazard.id, Hazard.number, Hazard.item_code, Hazard.level)
            .where(Hazard.site_id == site.id, Hazard.item_code.is_not(None), _visible_open(utcnow()),
                   policy.visible(user, Hazard)).order_by(Hazard.id)):
        failing[item_code].append({"id": hid, "number": number, "level": level})
    from hazardloop.apitools import local_isoformat
    from hazardloop.database import local_zone
    from hazardloop.risk.measures import site_measure_status

    def when(value: dt.datetime | None) -> str | None:
        return local_isoformat(value, local_zone()) if value else None

    checks = {key: {**c, "last_checked_at": when(c["last_checked_at"]), "due_at": when(c["due_at"])}
              for key, c in site_measure_status(site).items()}
    if points:
        for a in db.session.scalars(select(RiskAssessment).where(
                RiskAssessment.risk_point_id.in_([p.id for p in points])).order_by(RiskAssessment.id)):
            latest[a.risk_point_id] = a
    return {
        "site_id": site.id, "site_name": site.name, **level_info(site),
        "can_assess": policy.can(user, Action.SITE_RISK_ASSESS, site),
        "can_review": policy.can(user, Action.SITE_RISK_REVIEW, site),
        "can_override": policy.can(user, Action.SITE_RISK_OVERRIDE, site),
        "points": [{"id": p.id, "template_code": p.template_code, "own": p.template_code is None, "name": p.name,
                    "kind": p.kind, "hazard_source": p.hazard_source, "accident_types": p.accident_types,
                    "measures": [{**m, "open_hazards": [h for code in m.get("check_items") or []
                                                         for h in failing.get(code, [])],
                                  "check": checks.get((p.id, i))} for i, m in enumerate(p.measures)],
                    "responsible": p.responsible, "level": p.level, "basis": p.basis,
                    "reassess_due_at": p.reassess_due_at,
                    "latest": _assessment_dict(latest[p.id]) if p.id in latest else None} for p in points],
    }


def pending_reviews(user: User, region_id: int | None = None) -> list[dict[str, Any]]:
    """Submitted assessments of sites where ``user`` may review, oldest first."""
    where = [RiskAssessment.state == SUBMITTED, policy.visible(user, Site, Action.SITE_RISK_REVIEW)]
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None or not policy.can(user, Action.REGION_VIEW, region):
            raise NotFound("区域不存在。")
        where.append(Site.grid_id.in_(select(Region.id).where(in_subtree(Region.path, region.path))))
    rows = db.session.execute(
        select(RiskAssessment, RiskPoint, Site).join(RiskPoint, RiskPoint.id == RiskAssessment.risk_point_id)
        .join(Site, Site.id == RiskPoint.site_id).where(*where).order_by(RiskAssessment.id).limit(500)).all()
    return [{**_assessment_dict(a), "risk_point_id": p.id, "risk_point_name": p.name, "hazard_source": p.hazard_source,
             "site_id": s.id, "site_name": s.name, "current_level": p.level, "current_basis": p.basis}
            for a, p, s in rows]


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
    ids = list(site_ids)
    if not ids:
        return {}
    return {row.site_id: display_summary(row)
            for row in db.session.scalars(select(SiteRiskLevel).where(SiteRiskLevel.site_id.in_(ids)))}


# --- 风险分级管控清单 (XLSX rows) -------------------------------------------------------------------------

INVENTORY_HEADERS = ["场所", "风险点", "类型", "危险源", "可能导致的事故类型", "评价依据", "风险等级",
                     "控制措施（类别·管控层级）", "对应检查条目", "管控责任人", "评估人", "评估时间", "应重新评估日期"]
INVENTORY_WIDTHS = [24, 20, 8, 30, 16, 24, 14, 60, 24, 12, 12, 18, 14]
_MEASURE_KINDS = {"engineering": "工程技术", "management": "管理", "training": "培训教育", "ppe": "个体防护",
                  "emergency": "应急处置"}
_LEVEL_WORDS = {"red": "重大风险（红）", "orange": "较大风险（橙）", "yellow": "一般风险（黄）", "blue": "低风险（蓝）"}


def inventory_rows(site_filter: ColumnElement[bool]) -> Iterable[list[Any]]:
    """One row per active risk point of the matching sites, highest level first within each site."""
    from hazardloop.console.exports import excel_time

    rows = db.session.execute(
        select(Site.name, RiskPoint, RiskAssessment)
        .join(RiskPoint, RiskPoint.site_id == Site.id)
        .outerjoin(RiskAssessment, RiskAssessment.id == RiskPoint.accepted_assessment_id)
        .where(site_filter, RiskPoint.active.is_(True)).order_by(Site.name, Site.id, RiskPoint.id)).all()
    order = {level.value: i for i, level in enumerate(reversed(R.ORDER))}
    rows = sorted(rows, key=lambda r: (r[0], r[1].site_id, order.get(r[1].level or "", 9)))
    for site_name, point, accepted in rows:
        measures = "\n".join(f"{_MEASURE_KINDS.get(m.get('kind'), m.get('kind'))}·{m.get('tier')}：{m.get('text')}"
                             for m in point.measures)
        items = "、".join(code for m in point.measures for code in m.get("check_items") or [])
        yield [site_name, point.name, point.kind, point.hazard_source, "、".join(point.accident_types),
               point.basis or "尚未评估", _LEVEL_WORDS.get(point.level or "", "未评估"), measures, items,
               point.responsible or "", _name(accepted.assessed_by_id) if accepted else "模板默认",
               excel_time(accepted.assessed_at) if accepted else None,
               excel_time(point.reassess_due_at).date() if point.reassess_due_at else None]


# --- 岗位风险告知卡 (PDF) ------------------------------------------------------------------------------

_DEFAULT_EMERGENCY = "<li>立即停止作业，撤离人员，报告负责人并拨打119/120。</li>"
_CARD_COLOURS = {"red": "#d62828", "orange": "#f77f00", "yellow": "#e9c46a", "blue": "#3a86ff"}


def risk_card_pdf(point: RiskPoint) -> bytes:
    """岗位风险告知卡: one A5 card per risk point to post at the place — level, 危险源, 事故类型, 控制措施 and
    应急处置, the responsible person, and the site's QR code (the same address as the site's poster)."""
    import base64
    import html

    import qrcode
    import qrcode.image.svg
    from flask import current_app
    from weasyprint import HTML

    from hazardloop.evidence.watermark import find_font
    from hazardloop.sites.posters import site_url

    e = html.escape
    site = point.site
    level = point.level or ""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(site_url(site))
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string()
    qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    measures = "".join(f"<li><b>{e(_MEASURE_KINDS.get(m.get('kind'), str(m.get('kind'))))}</b>"
                       f"（{e(str(m.get('tier')))}）{e(str(m.get('text')))}</li>"
                       for m in point.measures if m.get("kind") != "emergency")
    emergency = "".join(f"<li>{e(str(m.get('text')))}</li>" for m in point.measures if m.get("kind") == "emergency")
    font = find_font(current_app.config["PHOTO_FONT_PATH"])
    css = f"""@font-face {{ font-family: "CardCJK"; src: url("file://{font}"); }}
    @page {{ size: A5; margin: 8mm; }} body {{ font-family: "CardCJK", sans-serif; font-size: 10.5pt; margin: 0; }}
    h1 {{ font-size: 20pt; text-align: center; margin: 0 0 3mm; }}
    .level {{ background: {_CARD_COLOURS.get(level, '#999')}; color: #fff; text-align: center; font-size: 15pt;
              padding: 2mm; margin-bottom: 3mm; }}
    table {{ width: 100%; border-collapse: collapse; }} td, th {{ border: .3mm solid #333; padding: 1.5mm; }}
    th {{ width: 24mm; background: #eee; text-align: left; }} ul {{ margin: 0; padding-left: 5mm; }}
    .qr {{ width: 28mm; height: 28mm; }} .foot {{ margin-top: 3mm; display: flex; gap: 4mm; align-items: center; }}"""
    body = f"""<h1>岗位风险告知卡</h1>
    <div class="level">{e(_LEVEL_WORDS.get(level, '未评估'))}</div>
    <table>
      <tr><th>单位</th><td>{e(site.name)}</td></tr>
      <tr><th>风险点</th><td>{e(point.name)}（{e(point.kind)}）</td></tr>
      <tr><th>危险源</th><td>{e(point.hazard_source)}</td></tr>
      <tr><th>可能导致的事故</th><td>{e('、'.join(point.accident_types))}</td></tr>
      <tr><th>评价依据</th><td>{e(point.basis or '尚未评估')}</td></tr>
      <tr><th>控制措施</th><td><ul>{measures or '<li>—</li>'}</ul></td></tr>
      <tr><th>应急处置</th><td><ul>{emergency or _DEFAULT_EMERGENCY}</ul></td></tr>
      <tr><th>管控责任人</th><td>{e(point.responsible or '（请填写）')}</td></tr>
    </table>
    <div class="foot"><img class="qr" src="{qr}" alt="场所二维码">
      <div>扫码查看本单位风险点与隐患整改情况，发现隐患可扫码举报。</div></div>"""
    document = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{css}</style></head>' \
               f"<body>{body}</body></html>"
    return HTML(string=document, base_url=None).write_pdf()


# --- the console overview: sites by level and the changes of the last period ----------------------------

def overview(user: User, *, days: int = 30, now: dt.datetime | None = None, limit: int = 20) -> dict[str, Any]:
    """Active sites in ``user``'s scope counted by level, and each site's net change of level over the last
    ``days`` days (first "from" → last "to", from the ``risk_level_changed``/``risk_levels_changed`` events),
    latest first; raised and lowered count sites whose net change went up or down."""
    from hazardloop.hazards.models import AuditEvent

    now = now or utcnow()
    since = now - dt.timedelta(days=days)
    visible = policy.visible(user, Site)
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
