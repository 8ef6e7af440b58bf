"""Refuse to run against a database whose schema is behind the code's migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
UPGRADE_COMMAND = "hazardloop db upgrade"


class SchemaOutOfDate(RuntimeError):
    pass


def expected_heads() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


def current_heads(app: Flask) -> set[str]:
    from hazardloop.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def ensure_schema_current(app: Flask) -> None:
    """Raise SchemaOutOfDate, naming the upgrade command, if the database is not at head."""
    expected, current = expected_heads(), current_heads(app)
    if current != expected:
        with app.app_context():
            from hazardloop.extensions import db

            db.engine.dispose()  # the app will not start: close the connection the check opened
        shown = ", ".join(sorted(current)) or "空库（未建表）"
        raise SchemaOutOfDate(
            f"数据库结构版本落后（当前：{shown}；需要：{', '.join(sorted(expected))}）。"
            f"请先运行：{UPGRADE_COMMAND}"
        )
