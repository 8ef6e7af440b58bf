"""Fixtures for deadlines and escalation: the people around one shop and assigned hazards with set deadlines."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import PrivateRedis

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> dt.datetime:
    """'2026-12-08 09:00' in Beijing time, as an aware instant."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def end_of(day: str) -> dt.datetime:
    return local(f"{day} 23:59:59")


@pytest.fixture
def parties(district, make_site, make_user):
    """A shop in grid A1 and everyone the ladder may tell about it."""
    shop = make_site(district.grid_a1)
    return SimpleNamespace(
        district=district, shop=shop,
        owner=make_user("enterprise_user", site=shop),
        worker=make_user("grid_worker", region=district.grid_a1),
        street=make_user("supervisor", region=district.street_a),
        office=make_user("supervisor", region=district.district),
        fire=make_user("inspector", region=district.district, department=district.fire_dept),
        elsewhere=make_user("supervisor", region=district.street_b),
    )


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


@pytest.fixture
def assigned(parties):
    def make(deadline: dt.datetime, level: str = "general") -> Any:
        return assign_hazard(parties, deadline=deadline, level=level)

    return make


def sweep(at: str) -> Any:
    """Run the deadline sweep as if it were ``at`` (Beijing time), and commit."""
    from hazardloop.escalation.services import sweep_deadlines
    from hazardloop.extensions import db

    result = sweep_deadlines(local(at))
    db.session.commit()
    return result


# --- a private Redis for the fault tests -------------------------------------------------------

@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_app(app, private_redis, tmp_path):
    """The same database, with jobs on the private Redis (rate limits stay on the shared test Redis)."""
    from hazardloop import create_app
    from tests.conftest import make_test_config

    config = make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], private_redis.url, tmp_path)
    config.update(RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"], OUTBOX_RETRY_INTERVALS=[0, 0])
    faulty = create_app(config)
    with faulty.app_context():
        yield faulty
        from hazardloop.extensions import db

        db.session.remove()
        db.engine.dispose()


