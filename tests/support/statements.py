"""The SQL an app sends while a block runs, for tests of what a request costs the database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def recorded_statements(db: Any) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs (all connections of the engine)."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def data_statements(statements: list[str]) -> list[str]:
    """The statements that touch data (not BEGIN/COMMIT/ROLLBACK, savepoints or the pool's ping)."""
    skip = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SELECT 1\s*$)", re.IGNORECASE)
    return [s for s in statements if not skip.match(s)]
