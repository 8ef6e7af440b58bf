"""Background jobs of escalation: the periodic deadline sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hazardloop.extensions import db, rq


@rq.job
def escalate_overdue_hazards(now: str | None = None) -> dict[str, Any]:
    """Send due reminders and fire due escalation rungs (``now``: ISO instant, for catching up or tests)."""
    from hazardloop.escalation.services import sweep_deadlines

    result = sweep_deadlines(dt.datetime.fromisoformat(now) if now else None)
    db.session.commit()
    return result.as_dict()
