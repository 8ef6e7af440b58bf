"""The risk view of one site (its level with reasons, 风险点 with their latest assessment and measures' checks,
what the user may do) and the list of assessments waiting for review."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.apitools import local_isoformat
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.regions.services import in_subtree
from hazardloop.risk.assessment import STATE_LABELS, SUBMITTED
from hazardloop.risk.levels import counts_toward_level, display_summary
from hazardloop.risk.measures import site_measure_status
from hazardloop.risk.models import RiskAssessment, RiskPoint, SiteRiskLevel
from hazardloop.sites.models import Site


def level_info(site: Site) -> dict[str, Any]:
    """The site's stored level with its reasons, and an override shown as such (with who and why)."""
    row = db.session.get(SiteRiskLevel, site.id)
    if row is None:
        return {"level": site.risk_level, "computed_level": None, "reasons": [], "summary": "尚未计算",
                "override": None}
    override = None
    if row.override_level:
        override = {"level": row.override_level, "reason": row.override_reason, "at": row.override_at,
                    "by": name_of(row.override_by_id)}
    return {"level": row.level, "computed_level": row.computed_level, "reasons": list(row.reasons),
            "summary": display_summary(row), "override": override, "computed_at": row.computed_at}


def name_of(user_id: int | None) -> str | None:
    """A user's display name for the record (assessor, reviewer), or None."""
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else None


def _assessment_dict(a: RiskAssessment) -> dict[str, Any]:
    return {"id": a.id, "method": a.method, "inputs": a.inputs, "score": a.score, "level": a.level,
            "basis": a.basis, "major_condition": a.major_condition, "reason": a.reason, "state": a.state,
            "state_label": STATE_LABELS[a.state], "assessed_by": name_of(a.assessed_by_id),
            "assessed_at": a.assessed_at, "reviewed_by": name_of(a.reviewed_by_id), "reviewed_at": a.reviewed_at,
            "review_note": a.review_note}


def site_risk(site: Site, user: User) -> dict[str, Any]:
    """The site's level with its reasons, its risk points (latest assessment of each) and what ``user`` may do."""
    points = db.session.scalars(select(RiskPoint).where(RiskPoint.site_id == site.id, RiskPoint.active.is_(True))
                                .order_by(RiskPoint.template_code.is_(None), RiskPoint.id)).all()
    latest: dict[int, RiskAssessment] = {}
    # 隐患排查 checks the measures: an open hazard on a measure's checklist item means the measure failed.
    failing: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for hid, number, item_code, level in db.session.execute(
            select(Hazard.id, Hazard.number, Hazard.item_code, Hazard.level)
            .where(Hazard.site_id == site.id, Hazard.item_code.is_not(None), counts_toward_level(utcnow()),
                   policy.visible(user, Hazard)).order_by(Hazard.id)):
        failing[item_code].append({"id": hid, "number": number, "level": level})

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
