"""The daily metrics snapshot: counts per grid and department, replaced (not doubled) when run again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hazardloop.console.models import MetricsSnapshot


def test_the_snapshot_counts_and_running_it_twice_changes_nothing(db, district, make_site, make_user):
    from hazardloop.console.jobs import snapshot_daily_metrics
    from hazardloop.database import utcnow
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    shop = make_site(district.grid_a1)
    worker = make_user("grid_worker", region=district.grid_a1)
    for level, deadline in ((HazardLevel.GENERAL, utcnow() - dt.timedelta(days=3)),  # overdue now
                            (HazardLevel.MAJOR, dt.datetime(2099, 1, 1, tzinfo=dt.UTC))):
        hazard = create_hazard(site=shop, source=HazardSource.GRID_PATROL, description="疏散通道堵塞", level=level,
                               domain="fire", actor=worker, actor_role=Role.GRID_WORKER, found_at=utcnow())
        hazard.status, hazard.deadline_at, hazard.department_id = "assigned", deadline, district.fire_dept.id
    db.session.commit()
    for _ in range(2):
        assert snapshot_daily_metrics("2026-11-23") == {"rows": 1}
    [row] = db.session.scalars(select(MetricsSnapshot)).all()
    assert row.day == dt.date(2026, 11, 23) and row.region_id == district.grid_a1.id
    assert row.department_id == district.fire_dept.id and row.open_count == 2
    assert row.counts["overdue"] == 1 and row.counts["level.major"] == 1 and row.counts["status.assigned"] == 2
