"""Daily metrics snapshot: hazard counts per grid and responsible department, so dashboards read history cheaply."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import delete, func, select

from hazardloop.console.models import MetricsSnapshot
from hazardloop.database import local_zone, utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import DEADLINE_STATUSES, HazardStatus
from hazardloop.sites.models import Site


def snapshot_metrics(day: dt.date | None = None) -> int:
    """Replace ``day``'s snapshot rows (one per grid and department) with current counts; returns the rows."""
    zone = local_zone()
    now = utcnow()
    day = day or now.astimezone(zone).date()
    rows = db.session.execute(
        select(Site.grid_id, Hazard.department_id, Hazard.status, Hazard.level,
               (Hazard.status.in_([s.value for s in DEADLINE_STATUSES]) & (Hazard.deadline_at < now)).label("late"),
               func.count())
        .join(Site, Site.id == Hazard.site_id)
        .group_by(Site.grid_id, Hazard.department_id, Hazard.status, Hazard.level, "late")).all()
    counts: dict[tuple[int, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for grid_id, department_id, status, level, late, n in rows:
        bucket = counts[(grid_id, department_id)]
        bucket[f"status.{status}"] += n
        bucket[f"level.{level}"] += n
        bucket["overdue"] += n if late else 0
        bucket["open"] += n if status != HazardStatus.CLOSED.value else 0
    db.session.execute(delete(MetricsSnapshot).where(MetricsSnapshot.day == day))
    db.session.add_all(MetricsSnapshot(day=day, region_id=grid_id, department_id=department_id,
                                       counts=dict(bucket), open_count=bucket["open"])
                       for (grid_id, department_id), bucket in counts.items())
    db.session.flush()
    return len(counts)
