"""Declarative base with a constraint naming convention, the UTC time type, and the shared row helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

M = TypeVar("M")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


def local_zone() -> ZoneInfo:
    """The configured local time zone (TIMEZONE): how times are shown and local dates and periods are cut."""
    return ZoneInfo(current_app.config["TIMEZONE"])


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant stored as UTC and always read back timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC before they are written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is expected")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def get_or_404(model: type[M], row_id: int, *, missing: str, lock: bool = False, options: Sequence[Any] = ()) -> M:
    """The ``model`` row ``row_id``, locked FOR UPDATE if asked (else loaded with ``options``); else 404 ``missing``."""
    from hazardloop.errors import NotFound
    from hazardloop.extensions import db

    query = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    query = query.with_for_update(of=model) if lock else query.options(*options)
    row = db.session.scalars(query).unique().one_or_none()
    if row is None:
        raise NotFound(missing)
    return row


class DomainTags:
    """监管领域 kept as child rows ``domain_rows`` of ``domain_row_class``, read and set as a sorted list."""

    domain_row_class: ClassVar[type[Any]]
    if TYPE_CHECKING:
        domain_rows: list[Any]

    @property
    def domains(self) -> list[str]:
        return sorted(row.domain for row in self.domain_rows)

    @domains.setter
    def domains(self, values: list[str]) -> None:
        keep = {r.domain: r for r in self.domain_rows}
        self.domain_rows = [keep.get(d) or self.domain_row_class(domain=d) for d in sorted(set(values))]


def path_string(length: int = 255) -> String:
    """A string compared byte-wise, so prefix ranges on it can use a plain B-tree index."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")  # type: ignore[return-value]


def add_first_write(row: object) -> None:
    """Insert ``row`` as the request's first write; a unique key already taken (a concurrent copy of the same
    client UUID, a second report of the month) raises IntegrityError and leaves the session usable.

    On PostgreSQL a SAVEPOINT keeps the request's transaction alive after the conflict. On SQLite, pysqlite
    opens its transaction only before a DML statement, so a SAVEPOINT as the first write would be a
    transaction of its own whose RELEASE commits the row before what the request writes after it (its event,
    its hazards): the INSERT opens the request's one transaction instead, and a conflict rolls it back —
    callers write nothing before it.
    """
    from sqlalchemy.exc import IntegrityError

    from hazardloop.extensions import db

    if db.session.get_bind().dialect.name != "sqlite":
        with db.session.begin_nested():
            db.session.add(row)
        return
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise
