"""Declarative base with a constraint naming convention, the UTC time type, and the shared row helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, event, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import DeclarativeBase, Session

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


def held_or_loaded(model: type[M], ids: Sequence[Any]) -> dict[Any, M]:
    """The ``model`` rows with these primary keys by key: those the session holds as they are, the others in one
    query (ids with no row are absent). A request that loaded rows already does not read them again."""
    from sqlalchemy.orm.util import identity_key

    from hazardloop.extensions import db

    session = db.session()
    wanted = list(dict.fromkeys(ids))
    found: dict[Any, M] = {i: held for i in wanted
                           if (held := session.identity_map.get(identity_key(model, i))) is not None}
    missing = [i for i in wanted if i not in found]
    if missing:
        key = model.id  # type: ignore[attr-defined]
        found.update({row.id: row for row in session.scalars(select(model).where(key.in_(missing)))})  # type: ignore[attr-defined]
    return found


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


PLANS_WITH_VALUES = "hazardloop.plans_with_values"  # session.info: each transaction asks for value plans


def plan_with_values() -> None:
    """Have every statement of this app context planned for its own values (PostgreSQL), not by a generic plan.

    For reports, aggregates and jobs: a generic plan cannot use a partial index or a prefix range whose value
    is a parameter and guesses selectivity without the values — orders of magnitude slower for a scoped count
    over a district. Each connection a transaction of the session uses from now on (after a commit too)
    starts with ``SET LOCAL plan_cache_mode = force_custom_plan``; lookups by key elsewhere keep their
    generic plans (config.engine_options). Call it before the first statement; a transaction already begun
    gets it on its primary connection. Nothing on SQLite, nor behind PgBouncer in transaction mode (nothing
    is prepared there, so every statement is planned for its values anyway).
    """
    from hazardloop.extensions import db

    session = db.session()
    if session.info.get(PLANS_WITH_VALUES):
        return
    session.info[PLANS_WITH_VALUES] = True
    if session.in_transaction():
        _ask_for_value_plans(session, None, session.connection())


def stop_planning_with_values() -> None:
    """End plan_with_values for this app context's session (the test client may reuse one across requests)."""
    from hazardloop.extensions import db

    if db.session.registry.has():  # a request that never touched the database has no session to end it in
        db.session().info.pop(PLANS_WITH_VALUES, None)


@event.listens_for(Session, "after_begin")
def _ask_for_value_plans(session: Session, transaction: Any, connection: Connection) -> None:
    if not session.info.get(PLANS_WITH_VALUES) or connection.dialect.name != "postgresql":
        return
    if current_app.config.get("DATABASE_POOL_MODE", "session") == "transaction":
        return
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
