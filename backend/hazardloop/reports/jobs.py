"""Background jobs of reports: the daily metrics snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hazardloop.extensions import db, rq


@rq.job
def snapshot_daily_metrics(day: str | None = None) -> dict[str, Any]:
    """Store the hazard counts per region and department for ``day`` (default: today, local); idempotent."""
    from hazardloop.reports.metrics import snapshot_metrics

    count = snapshot_metrics(dt.date.fromisoformat(day) if day else None)
    db.session.commit()
    return {"rows": count}


@rq.job
def draft_weekly_circulars(day: str | None = None) -> dict[str, Any]:
    """周通报 drafts of last week for every street and department (``day``: local date of the run); idempotent."""
    return _draft_periodic("week", day)


@rq.job
def draft_monthly_circulars(day: str | None = None) -> dict[str, Any]:
    """月通报 drafts of last month for every street and department; idempotent."""
    return _draft_periodic("month", day)


def _draft_periodic(kind: str, day: str | None) -> dict[str, Any]:


    from hazardloop.database import local_zone, utcnow
    from hazardloop.reports.circulars import draft_periodic

    today = dt.date.fromisoformat(day) if day else utcnow().astimezone(local_zone()).date()
    made = draft_periodic(kind, today)
    db.session.commit()
    return {"drafts": made}
