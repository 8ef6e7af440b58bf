"""Bulk writes for the few hot paths that touch thousands of rows at once (the deadline sweep).

PostgreSQL gets COPY and UPDATE … FROM unnest; SQLite gets batched statements. Constraints hold
either way.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Integer, any_, bindparam, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hazardloop.extensions import db


def among(column: Any, ids: Any) -> Any:
    """``column IN ids``; on PostgreSQL as one array parameter (thousands of placeholders cost more than the
    query: psycopg splits the statement's text at each of them)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def insert_ignoring_duplicates(model: Any, rows: list[dict[str, Any]], keys: list[str], returning: list[Any],
                               chunk: int = 500) -> list[Any]:
    """INSERT rows, skipping any whose ``keys`` exist (ON CONFLICT DO NOTHING); returns the inserted rows.

    The unique constraint, not a prior SELECT, decides: a concurrent writer's row is skipped, never doubled.
    """
    insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[db.session.get_bind().dialect.name]
    table = model.__table__
    columns = [table.c[c.key] for c in returning]
    statement = insert(table).on_conflict_do_nothing(index_elements=keys).returning(*columns)
    out: list[Any] = []
    for start in range(0, len(rows), chunk):
        # executemany: SQLAlchemy batches it into multi-row INSERTs ("insertmanyvalues") with RETURNING.
        out.extend(db.session.execute(statement, rows[start:start + chunk]).all())
    return out


def insert_rows(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT many rows (all with the same keys) fast and return their new ids, in order.

    PostgreSQL: ids are taken from the table's sequence, then the rows go in by COPY; SQLite: a
    batched INSERT … RETURNING. Constraints hold either way: a unique violation raises.
    """
    if not rows:
        return []
    table = model.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return [row.id for row in db.session.execute(statement, rows)]
    ids = list(db.session.scalars(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": len(rows)}))
    names = list(rows[0])
    as_json = {c.name for c in table.c if isinstance(c.type, JSON)}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join([*names, 'id'])}) FROM STDIN") as copy:  # names are our own columns
        for row, new_id in zip(rows, ids, strict=True):
            copy.write_row([json.dumps(row[n], ensure_ascii=False) if n in as_json and row[n] is not None
                            else row[n] for n in names] + [new_id])
    return ids


def copy_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows (all with the same keys, no generated id wanted): COPY on PostgreSQL, one batched
    INSERT elsewhere. Constraints hold either way: a unique violation raises."""
    if not rows:
        return
    table = model.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(table.insert(), rows)
        return
    db.session.flush()  # pending ORM changes first, as an INSERT through the session would
    names = list(rows[0])
    as_json = {c.name for c in table.c if isinstance(c.type, JSON)}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:  # names are our own columns
        for row in rows:
            copy.write_row([json.dumps(row[n], ensure_ascii=False) if n in as_json and row[n] is not None
                            else row[n] for n in names])


def update_by_id(model: Any, values: dict[int, dict[str, Any]], *, increment: str | None = None) -> None:
    """Set per-row values on many rows by id in one statement (PostgreSQL: UPDATE … FROM unnest)."""
    if not values:
        return
    table = model.__table__
    names = list(next(iter(values.values())))
    if db.session.get_bind().dialect.name == "postgresql":
        types = {n: table.c[n].type.compile(dialect=db.session.get_bind().dialect) for n in names}
        sets = [f"{n} = v.{n}" for n in names] + ([f"{increment} = {table.name}.{increment} + 1"] if increment else [])
        arrays = ", ".join(f"CAST(:{n} AS {types[n]}[])" for n in names)
        db.session.execute(text(
            f"UPDATE {table.name} SET {', '.join(sets)} FROM unnest(CAST(:ids AS integer[]), {arrays}) "
            f"AS v(id, {', '.join(names)}) WHERE {table.name}.id = v.id"),
            {"ids": list(values), **{n: [v[n] for v in values.values()] for n in names}})
        return
    extra = {increment: table.c[increment] + 1} if increment else {}
    db.session.execute(update(table).where(table.c.id == bindparam("b_id"))
                       .values(**{n: bindparam(f"b_{n}") for n in names}, **extra),
                       [{"b_id": i, **{f"b_{n}": v[n] for n in names}} for i, v in values.items()])
