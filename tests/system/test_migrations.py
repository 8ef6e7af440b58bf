"""Migrations build the schema from empty, step down and back up, and match the models."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from hazardloop import create_app
from hazardloop.extensions import db
from hazardloop.system.schema import SchemaOutOfDate, ensure_schema_current, expected_heads
from tests.conftest import PG_ADMIN_URL, make_test_config


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path, redis_url):
    if request.param == "sqlite":
        yield make_test_config(f"sqlite:///{tmp_path / 'empty.db'}", redis_url, tmp_path)
        return
    name = f"hazardloop_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_test_config(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}", redis_url, tmp_path)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_from_empty_then_down_one_step_and_up_again(empty_database):
    app = create_app({**empty_database, "SCHEMA_CHECK": False})
    with app.app_context():
        upgrade()
        assert "sites" in inspect(db.engine).get_table_names()
        ensure_schema_current(app)
        downgrade(revision="-1")
        with pytest.raises(SchemaOutOfDate):
            ensure_schema_current(app)
        upgrade()
        ensure_schema_current(app)
        # The models and the migrated schema agree: autogenerate finds nothing to do.
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        db.engine.dispose()


def test_app_refuses_to_start_on_an_old_schema_and_names_the_command(empty_database):
    with pytest.raises(SchemaOutOfDate) as excinfo:
        create_app(empty_database)
    assert "hazardloop db upgrade" in str(excinfo.value)
    assert "空库" in str(excinfo.value)


def test_there_is_a_single_head():
    assert len(expected_heads()) == 1
