"""Reads from the hot standby (只读备库): which requests may, whether it is fresh enough, and the routing session.

A PostgreSQL hot standby fed by streaming replication (``DATABASE_REPLICA_URL``) runs a moment behind the
primary. A GET view marked ``@reads_replica`` (the console, 通报, exports, the risk map, the public pages)
runs its plain SELECTs there while the standby's measured lag is within ``REPLICA_MAX_LAG_S``; when the
standby lags, has replay paused, or cannot be reached, the same request reads the primary. The lag is
measured at most once per ``REPLICA_LAG_CHECK_S`` per process.

Three rules keep a reader from seeing an older state than its own writes:

- in a marked request, a statement that writes (a flush, INSERT/UPDATE/DELETE, SELECT … FOR UPDATE, raw
  SQL) goes to the primary, and so does every statement after it in the same transaction;
- a client whose last successful write is younger than ``REPLICA_MAX_LAG_S + REPLICA_LAG_CHECK_S`` reads
  the primary (cookie ``hl_primary_until``): the standby may not have that write yet, it surely has it after;
- everything else (other views, jobs, the CLI) uses the primary as before.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import CompoundSelect, Select

from hazardloop.database import plan_with_values, stop_planning_with_values

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION = "hazardloop.replica"
REPLICA_ENGINE = "hazardloop.replica_engine"  # session.info: the standby engine for this request's reads
WROTE = "hazardloop.replica_wrote"  # session.info: this transaction has written, so it reads the primary
PRIMARY_COOKIE = "hl_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MARK = "_hazardloop_reads_replica"

# Seconds the standby is behind. Caught up: it has replayed all the WAL it received and its WAL receiver
# runs (pg_stat_wal_receiver has a row while the receiver process exists, whatever the role's rights);
# "<=", as a restarted receiver reports the start of the segment it resumes from, behind the replay.
# Otherwise: the age of the last transaction it replayed — on an idle primary with a broken stream that
# age grows, so an unknown state reads as lagging, never as fresh. Not a standby (promoted): 0.
LAG_SQL = text("""
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()
             AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
                      'Infinity'::float8)
    END
""")


def reads_replica(view: F) -> F:
    """Mark a read-only GET view whose queries the hot standby (只读备库) may answer when it is fresh enough.

    Put it under the route's other decorators (like ``@public``), on a view that must not see its own
    client's writes of the last seconds any sooner than the standby has them (the cookie rule covers that).
    The marked views are the reports and aggregates, so their statements are also planned for their own
    values, with or without a standby (``database.plan_with_values``).
    """
    setattr(view, _MARK, True)
    return view


class ReplicaRouter:
    """The standby's engine and its lag, measured at most once per ``check_interval_s`` in this process."""

    def __init__(self, engine: Engine, *, max_lag_s: float, check_interval_s: float) -> None:
        self.engine = engine
        self.max_lag_s = max_lag_s
        self.check_interval_s = check_interval_s
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._lag: float | None = None

    def lag(self) -> float | None:
        """Seconds the standby is behind the primary; None when it cannot be reached (or is being measured)."""
        if self._fresh_reading():
            return self._lag
        # One thread measures; meanwhile the others read the primary rather than queue behind a connection
        # attempt to a standby that may be down (a healthy one answers in a millisecond).
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if not self._fresh_reading():
                self._lag = self._measure()
                self._checked_at = time.monotonic()
            return self._lag
        finally:
            self._lock.release()

    def _fresh_reading(self) -> bool:
        return self._checked_at is not None and time.monotonic() - self._checked_at < self.check_interval_s

    def _measure(self) -> float | None:
        try:
            with self.engine.connect() as conn:
                return float(conn.execute(LAG_SQL).scalar_one())
        except SQLAlchemyError as exc:
            log.warning("只读备库不可用，读请求改由主库处理：%s", exc.__class__.__name__)
            return None

    def usable_engine(self) -> Engine | None:
        """The standby's engine if it answers and is within the lag bound; else None (read the primary)."""
        lag = self.lag()
        return self.engine if lag is not None and lag <= self.max_lag_s else None

    @property
    def own_write_window_s(self) -> float:
        """After a write, how long its client reads the primary: the lag bound plus the reading's age."""
        return self.max_lag_s + self.check_interval_s


def router(app: Flask | None = None) -> ReplicaRouter | None:
    """The app's standby router, or None when no DATABASE_REPLICA_URL is set."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.get(EXTENSION)


def _plain_read(clause: Any) -> bool:
    if isinstance(clause, Select):
        return clause._for_update_arg is None
    return isinstance(clause, CompoundSelect)


class RoutingSession(Session):
    """The app's session: in a request given a standby engine, plain reads go there and the rest to the primary."""

    def get_bind(self, mapper: Any | None = None, clause: Any | None = None, bind: Any | None = None,
                 **kwargs: Any) -> Any:
        replica = self.info.get(REPLICA_ENGINE)
        if replica is not None and bind is None:
            if not self._flushing and not self.info.get(WROTE) and _plain_read(clause):
                return replica
            # A dialect lookup (no statement) changes nothing; any other statement may write.
            if clause is not None or self._flushing:
                self.info[WROTE] = True
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(RoutingSession, "after_transaction_end")
def _forget_writes(session: RoutingSession, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)


def _marked(view: Any) -> bool:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the method answering this request carries the mark
        view = getattr(view_class, request.method.lower(), None)
    return bool(getattr(view, _MARK, False))


def _wrote_recently() -> bool:
    try:
        return float(request.cookies.get(PRIMARY_COOKIE) or 0) > time.time()
    except ValueError:
        return False


def _route_reads() -> None:
    from hazardloop.extensions import db

    standby = router()
    if standby is None or request.method not in SAFE_METHODS or _wrote_recently():
        return
    if not _marked(current_app.view_functions.get(request.endpoint or "")):
        return
    engine = standby.usable_engine()
    if engine is not None:
        db.session().info[REPLICA_ENGINE] = engine


def _remember_write(response: Response) -> Response:
    standby = router()
    if standby is not None and request.method not in SAFE_METHODS and response.status_code < 400:
        window = standby.own_write_window_s
        response.set_cookie(PRIMARY_COOKIE, f"{time.time() + window:.3f}", max_age=math.ceil(window),
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax",
                            path="/")
    return response


def _end_routing(exc: BaseException | None) -> None:
    from hazardloop.extensions import db

    # The test client may reuse one app context (and so one session) across requests: routing ends here.
    db.session().info.pop(REPLICA_ENGINE, None)


def _plan_marked_reads_with_values() -> None:
    if _marked(current_app.view_functions.get(request.endpoint or "")):
        plan_with_values()


def _end_value_plans(exc: BaseException | None) -> None:
    stop_planning_with_values()


def init_app(app: Flask) -> None:
    """Build the standby's engine (when configured) and route marked requests; before the auth hooks."""
    from hazardloop.config import engine_options

    app.before_request(_plan_marked_reads_with_values)  # before the session lookup's transaction begins
    app.teardown_request(_end_value_plans)

    url = app.config.get("DATABASE_REPLICA_URL")
    if url:
        options = engine_options(url, None, app.config.get("DATABASE_POOL_MODE", "session"))
        # A standby host that is down must cost a request seconds, not the TCP timeout's minutes.
        options["connect_args"].setdefault("connect_timeout", 3)
        app.extensions[EXTENSION] = ReplicaRouter(
            create_engine(url, **options), max_lag_s=app.config["REPLICA_MAX_LAG_S"],
            check_interval_s=app.config["REPLICA_LAG_CHECK_S"])
        # Only with a standby: a single box pays nothing per request for routing it does not do.
        app.before_request(_route_reads)
        app.after_request(_remember_write)
        app.teardown_request(_end_routing)
