"""How the app talks to its database."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hazardloop.config import engine_options


@pytest.mark.postgresql_only
def test_postgresql_plans_every_execution_for_its_own_values(app):
    """A generic plan for a scoped list or aggregate can be orders of magnitude slower (config.engine_options)."""
    from hazardloop.extensions import db

    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"


def test_engine_options_keep_the_callers_own_and_add_nothing_for_sqlite():
    assert engine_options("sqlite:///x.db") == {"pool_pre_ping": True}
    options = engine_options("postgresql+psycopg://h/db", {"connect_args": {"options": "-c statement_timeout=5s"}})
    assert options["connect_args"]["options"] == "-c statement_timeout=5s -c plan_cache_mode=force_custom_plan"
