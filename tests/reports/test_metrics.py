"""The daily metrics snapshot: counts per grid and department, replaced (not doubled) when run again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hazardloop.notifications.models import MetricsSnapshot
from tests.escalation.conftest import assign_hazard, end_of


def test_the_snapshot_counts_and_running_it_twice_changes_nothing(db, parties):
    from hazardloop.reports.jobs import snapshot_daily_metrics

    assign_hazard(parties, deadline=end_of("2026-11-20"))  # overdue now
    assign_hazard(parties, deadline=end_of("2099-01-01"), level="major")
    for _ in range(2):
        assert snapshot_daily_metrics("2026-11-23") == {"rows": 1}
    [row] = db.session.scalars(select(MetricsSnapshot)).all()
    assert row.day == dt.date(2026, 11, 23) and row.region_id == parties.district.grid_a1.id
    assert row.department_id == parties.district.fire_dept.id and row.open_count == 2
    assert row.counts["overdue"] == 1 and row.counts["level.major"] == 1 and row.counts["status.assigned"] == 2
