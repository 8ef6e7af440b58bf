"""Periodic 风险等级 recompute: overdue hazards raise a site's level as time passes, not only on a transition."""

from __future__ import annotations

from hazardloop.extensions import db, rq


@rq.job
def recompute_risk_levels() -> int:
    """Recompute every site's level (each change recorded in the audit chain)."""
    from hazardloop.risk.levels import recompute_all

    changed = recompute_all()
    db.session.commit()
    return changed
