"""Deadlines in Beijing time, hazards assigned with a set deadline, and the deadline sweep run as of a given time."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> dt.datetime:
    """'2026-12-08 09:00' in Beijing time, as an aware instant."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def local_today() -> dt.date:
    """Today in Beijing time: what the app's forms and periods call today (UTC's date differs 16:00–24:00 UTC)."""
    return dt.datetime.now(SHANGHAI).date()


def end_of(day: str) -> dt.datetime:
    return local(f"{day} 23:59:59")


def assign_hazard(parties: Any, *, deadline: dt.datetime, level: str = "general") -> Any:
    """A hazard found and assigned (交办) to the fire department, its deadline then set to ``deadline``."""
    from hazardloop.database import utcnow
    from hazardloop.extensions import db
    from hazardloop.hazards.services import create_hazard, transition
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    hazard = create_hazard(site=parties.shop, source=HazardSource.GRID_PATROL, description="疏散通道堵塞",
                           level=HazardLevel(level), domain="fire", actor=parties.worker,
                           actor_role=Role.GRID_WORKER, found_at=utcnow())
    transition(hazard, "assign", actor=parties.worker, payload={"department_id": parties.district.fire_dept.id})
    hazard.deadline_at = deadline.astimezone(dt.UTC)
    db.session.commit()
    return hazard


def sweep(at: str) -> Any:
    """Run the deadline sweep as if it were ``at`` (Beijing time), and commit."""
    from hazardloop.escalation.services import sweep_deadlines
    from hazardloop.extensions import db

    result = sweep_deadlines(local(at))
    db.session.commit()
    return result
