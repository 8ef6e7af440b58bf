"""Background jobs of 自查自报: the periodic reminder before a month ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hazardloop.extensions import db, rq


@rq.job
def remind_self_check_reports(now: str | None = None) -> dict[str, Any]:
    """Remind the sites that have not reported this month, once each (``now``: ISO instant, for tests)."""
    from hazardloop.selfchecks.services import send_reminders

    result = send_reminders(dt.datetime.fromisoformat(now) if now else None)
    db.session.commit()
    return result
