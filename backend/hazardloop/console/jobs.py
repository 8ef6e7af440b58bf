"""Background jobs of the console: the daily metrics snapshot its trends read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hazardloop.extensions import db, rq


@rq.job
def snapshot_daily_metrics(day: str | None = None) -> dict[str, Any]:
    """Store the hazard counts per region and department for ``day`` (default: today, local); idempotent."""
    from hazardloop.console.snapshots import snapshot_metrics

    count = snapshot_metrics(dt.date.fromisoformat(day) if day else None)
    db.session.commit()
    return {"rows": count}
