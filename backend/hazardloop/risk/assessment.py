"""风险评价 and its review, risk points a site adds itself, and an assessor's override of the computed level.

Every change a person makes is an event in the audit chain (``hazards.events.append_event``, with the site in
the payload); an accepted assessment or an override recomputes the site's level in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.database import utcnow
from hazardloop.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.policy import Action
from hazardloop.risk import rules as R
from hazardloop.risk.levels import apply_level, recompute_site
from hazardloop.risk.models import RiskAssessment, RiskPoint, SiteRiskLevel
from hazardloop.sites.models import Site
from hazardloop.taxonomy import RiskLevel, Role

SUBMITTED, ACCEPTED, RETURNED = "submitted", "accepted", "returned"
STATE_LABELS = {SUBMITTED: "待审核", ACCEPTED: "已通过", RETURNED: "已退回"}


# --- lookups ------------------------------------------------------------------------------------------

def get_point(point_id: int, user: User, action: Action = Action.SITE_VIEW) -> RiskPoint:
    """An active 风险点 ``user`` may act on; raises NotFound (or Forbidden when seen but not allowed)."""
    point = db.session.get(RiskPoint, point_id)
    if point is None or not point.active:
        raise NotFound("风险点不存在。")
    policy.authorize(user, action, point.site)
    return point


def get_assessment(assessment_id: int, user: User, action: Action = Action.SITE_VIEW) -> RiskAssessment:
    """A 风险评价 record ``user`` may act on; raises NotFound (or Forbidden when seen but not allowed)."""
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
    apply_level(site, row, actor=actor, actor_role=role.value)
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
    apply_level(site, row, actor=actor, actor_role=role.value if role else None)
    return row
