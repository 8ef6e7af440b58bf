"""Fixtures of the 通报 tests: the people around one shop, and a week of hazards in street A."""

from __future__ import annotations

import pytest

from tests.escalation.conftest import assign_hazard, end_of, local, parties  # noqa: F401


@pytest.fixture
def week_of_hazards(db, parties, make_site, district):  # noqa: F811 — parties is the fixture imported above
    """Street A: found this week — one closed on time, one overdue, one 重大 — and one found last week;
    street B: one found this week (outside the scope)."""
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    closed = assign_hazard(parties, deadline=end_of("2026-11-30"))
    closed.status, closed.closed_at = "closed", local("2026-11-23 11:00")
    late = assign_hazard(parties, deadline=end_of("2026-11-20"))
    major = assign_hazard(parties, deadline=end_of("2026-12-20"), level="major")
    old = assign_hazard(parties, deadline=end_of("2026-11-19"))
    for hazard, found in ((closed, "2026-11-23 09:00"), (late, "2026-11-23 09:30"), (major, "2026-11-23 10:00"),
                          (old, "2026-11-16 10:00")):
        hazard.found_at = local(found)
    other = make_site(district.grid_b1)
    create_hazard(site=other, source=HazardSource.GRID_PATROL, description="电动车违规充电",
                  level=HazardLevel.GENERAL, domain="fire", actor=parties.worker, actor_role=Role.GRID_WORKER,
                  found_at=local("2026-11-23 09:00"))
    db.session.commit()
    return {"closed": closed.id, "late": late.id, "major": major.id, "old": old.id}
