"""How the app talks to its database."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from hazardloop.config import engine_options
from hazardloop.database import plan_with_values


@pytest.mark.postgresql_only
def test_lookups_may_use_postgresqls_generic_plans(app):
    """plan_cache_mode=auto: a lookup by key prepared by psycopg skips its ~1 ms of planning (config.engine_options)."""
    from hazardloop.extensions import db

    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"


@pytest.mark.postgresql_only
def test_a_report_plans_each_statement_for_its_values_in_every_transaction_of_its_context(app):
    from hazardloop.extensions import db

    db.session.execute(text("SELECT 1"))  # a transaction already begun gets it too
    plan_with_values()
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    db.session.commit()
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"  # after a commit
    db.session.rollback()
    with app.app_context():  # another context (request, job) plans as usual
        assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
        db.session.rollback()
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"


def plan_settings(app, fetch):
    """The plan_cache_mode statements a request sent, in order, and the statements that came before the first."""
    from hazardloop.extensions import db

    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = fetch()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.get_json()
    settings = [i for i, s in enumerate(sent) if "plan_cache_mode" in s]
    return [sent[i] for i in settings], settings[0] if settings else None


@pytest.mark.postgresql_only
def test_the_console_and_reports_plan_for_their_values_and_the_hazard_page_does_not(world, login, app):
    office = login(world.people.office)
    settings, first = plan_settings(app, lambda: office.get("/api/v1/console/overview"))
    assert settings == ["SET LOCAL plan_cache_mode = force_custom_plan"]
    assert first == 0  # before the session lookup: every statement of the request
    settings, _ = plan_settings(app, lambda: office.get("/api/v1/circulars"))
    assert settings == ["SET LOCAL plan_cache_mode = force_custom_plan"]
    settings, _ = plan_settings(app, lambda: office.get(f"/api/v1/hazards/{world.h3.id}"))
    assert settings == []  # the same client, right after: the mark ended with the report's request


def record_plan_mode() -> str:
    """A job: what its statements are planned with."""
    from hazardloop.extensions import db

    return db.session.execute(text("SHOW plan_cache_mode")).scalar_one()


@pytest.mark.postgresql_only
def test_jobs_plan_for_their_values(app):
    from hazardloop.extensions import rq
    from hazardloop.outbox.worker import InProcessAppWorker

    queue = rq.get_queue()
    job = queue.enqueue(record_plan_mode)
    InProcessAppWorker([queue], app=app, connection=queue.connection, job_class=queue.job_class).work(burst=True)
    job.refresh()
    assert job.return_value() == "force_custom_plan"


def test_engine_options_keep_the_callers_own_and_add_nothing_for_sqlite():
    assert engine_options("sqlite:///x.db") == {"pool_pre_ping": True}
    options = engine_options("postgresql+psycopg://h/db", {"connect_args": {"options": "-c statement_timeout=5s"}})
    assert options["connect_args"]["options"] == "-c statement_timeout=5s -c plan_cache_mode=auto"
