"""Background jobs of 通报: the weekly and monthly drafts for every street and department."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hazardloop.extensions import db, rq


@rq.job
def draft_weekly_circulars(day: str | None = None) -> dict[str, Any]:
    """周通报 drafts of last week for every street and department (``day``: local date of the run); idempotent."""
    return _draft_periodic("week", day)


@rq.job
def draft_monthly_circulars(day: str | None = None) -> dict[str, Any]:
    """月通报 drafts of last month for every street and department; idempotent."""
    return _draft_periodic("month", day)


def _draft_periodic(kind: str, day: str | None) -> dict[str, Any]:
    from hazardloop.circulars.services import draft_periodic
    from hazardloop.database import local_zone, utcnow

    today = dt.date.fromisoformat(day) if day else utcnow().astimezone(local_zone()).date()
    made = draft_periodic(kind, today)
    db.session.commit()
    return {"drafts": made}
