"""Fixtures for deadlines and escalation: the people around one shop and assigned hazards with set deadlines."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import PrivateRedis
from tests.support.deadlines import assign_hazard


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


@pytest.fixture
def assigned(parties):
    def make(deadline: dt.datetime, level: str = "general") -> Any:
        return assign_hazard(parties, deadline=deadline, level=level)

    return make


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


