"""The routing session: in a request given a standby engine, which statements it may answer.

The real standby is in test_hot_standby.py; here a second engine on a scratch SQLite database stands for it,
so each rule is one line of evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text, union_all, update
from sqlalchemy.engine import Engine

from hazardloop.accounts.models import User
from hazardloop.replica import REPLICA_ENGINE, WROTE


@pytest.fixture
def standby(db, tmp_path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'standby.db'}")
    db.session().info[REPLICA_ENGINE] = engine
    yield engine
    db.session().info.pop(REPLICA_ENGINE, None)
    db.session.rollback()
    engine.dispose()


def test_plain_reads_go_to_the_standby(db, standby):
    session = db.session()
    assert session.get_bind(clause=select(User)) is standby
    assert session.get_bind(clause=union_all(select(User.id), select(User.id))) is standby
    assert session.get_bind() is db.engine  # a dialect lookup names no statement: the primary, nothing marked
    assert WROTE not in session.info


@pytest.mark.parametrize("statement", [
    select(User).with_for_update(),
    update(User).values(active=True),
    text("SELECT 1"),
], ids=["for-update", "update", "raw-sql"])
def test_a_statement_that_may_write_sends_the_rest_of_the_transaction_to_the_primary(db, standby, statement):
    session = db.session()
    assert session.get_bind(clause=statement) is db.engine
    assert session.get_bind(clause=select(User)) is db.engine  # read-your-own-writes within the request


def test_the_primary_stickiness_ends_with_the_transaction(db, standby):
    session = db.session()
    session.execute(text("SELECT 1"))  # opens a transaction on the primary and marks it
    assert session.get_bind(clause=select(User)) is db.engine
    session.commit()
    assert session.get_bind(clause=select(User)) is standby


def test_a_flush_goes_to_the_primary(db, standby, district):
    from hazardloop.regions.models import Region

    session = db.session()
    routed = session.info.pop(REPLICA_ENGINE)
    grid = session.get(Region, district.grid_a1.id)  # loaded before the routing starts: the scratch has no tables
    session.info[REPLICA_ENGINE] = routed
    grid.name = "改名网格"
    session.flush()
    assert session.info.get(WROTE) is True
    assert session.get_bind(clause=select(User)) is db.engine
