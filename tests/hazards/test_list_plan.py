"""The overdue list as PostgreSQL runs it once psycopg has prepared it: with a generic plan.

A generic plan cannot use a partial index whose WHERE names values the query passes as parameters; the
list names the running statuses as literals, so a scope's overdue page reads the running-deadline index
per site (ix_hazards_running_site_deadline, migration 0026) instead of every hazard of every site.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from psycopg import sql
from sqlalchemy import text, update

from hazardloop.extensions import db
from hazardloop.hazards import queries
from hazardloop.hazards.models import Hazard
from tests.support.workflow import fire, found_hazards, ok

pytestmark = pytest.mark.postgresql_only  # the plan cache and partial-index matching are PostgreSQL's

INDEX = "ix_hazards_running_site_deadline"


def generic_plan(statement: Any) -> str:
    """EXPLAIN of ``statement`` prepared with its parameters as ``$n`` and planned generically.

    With a handful of rows every index of hazards costs about the same, so the plan is asked of a
    transaction (rolled back) in which the table has only its primary key, its unique keys and INDEX: can
    the generic plan use INDEX at all?
    """
    db.session.commit()  # no lock held on hazards while the other indexes are dropped below
    compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True})
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", compiled.string)))
    prepared = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", compiled.string)
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        values = ", ".join(sql.Literal(compiled.params[n]).as_string(raw) for n in names)
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: no scan for size alone
        others = conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'hazards' AND indexname <> :index "
            "AND indexname NOT LIKE 'pk\\_%' AND indexname NOT LIKE 'uq\\_%'"), {"index": INDEX}).scalars().all()
        for name in others:
            conn.execute(text(f'DROP INDEX "{name}"'))  # transactional: the rollback below restores them
        raw.execute(f"PREPARE overdue_page AS {prepared}".encode())
        try:
            return "\n".join(row[0] for row in raw.execute(f"EXPLAIN EXECUTE overdue_page({values})".encode()))
        finally:
            raw.execute(b"DEALLOCATE overdue_page")
            conn.rollback()


def test_the_overdue_page_reads_the_running_deadline_index_under_a_generic_plan(checklists, shop, people,
                                                                                 make_photo):
    hazard_ids = found_hazards(people, shop, make_photo, n=2)
    for hazard_id in hazard_ids:
        ok(fire(people["worker"], hazard_id, "assign"))
    db.session.execute(update(Hazard).values(deadline_at=dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)))
    db.session.commit()
    db.session.execute(text("ANALYZE hazards"))
    db.session.commit()
    supervisor = people["users"]["supervisor"]
    args = {"overdue": True, "sort": "deadline_at", "limit": 50}

    plan = generic_plan(queries.page_query(queries.filters(supervisor, args), args))
    assert INDEX in plan, plan
    # The same page through the API: both running hazards, most overdue first.
    listed = people["supervisor"].get("/api/v1/hazards?overdue=true&sort=deadline_at").get_json()
    assert sorted(h["id"] for h in listed["items"]) == sorted(hazard_ids)
    assert all(h["overdue"] for h in listed["items"])


def test_with_the_statuses_as_parameters_the_generic_plan_could_not(checklists, shop, people, make_photo):
    """The control: what the literals are for (the same page with ``status IN ($1, $2)``)."""
    found_hazards(people, shop, make_photo, n=1)
    supervisor = people["users"]["supervisor"]
    args = {"overdue": True, "sort": "deadline_at", "limit": 50}
    where = [c for c in queries.filters(supervisor, args) if c is not queries.IS_RUNNING]
    where.append(Hazard.status.in_(queries.RUNNING))
    assert INDEX not in generic_plan(queries.page_query(where, args))
