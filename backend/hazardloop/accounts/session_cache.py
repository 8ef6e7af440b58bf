"""Resolved login sessions kept per process (会话缓存), used only while nothing they rest on has changed.

Every authenticated request reads its session with the user, the user's grants and the grants' regions,
departments and sites (``services._session_query``): one query with five joins and ~50 columns, about
0.8 ms of the server's Python per request — a sixth of a hazard page. Here each process keeps what that
query loaded, as plain column values per token hash, and rebuilds the objects in the request's session
from them (~0.1 ms, no SQL).

A kept session is used only while the **authentication epoch** in Redis is the one it was loaded under.
Every commit that changes what a kept session holds — a session revoked or slid, a user changed or
deactivated, a grant added, changed or removed, a region or department changed, a granted site moved or
renamed (``site_columns``) — sets a new random epoch *after* the commit, so the next request of every
process on every machine reads the database again: a logout, a password change, a deactivation or a
grant taken away holds at once everywhere, as it did without the cache. The reader asks for the epoch
*before* it queries, so a change committed while it queries leaves its entry already outdated.

Limits, each bounded: a change made outside the application (psql, another program) is seen within
``SESSION_CACHE_TTL_S`` (30 s by default; 0 turns the cache off); while Redis cannot be reached every
request reads the database (and a failed epoch change is logged). A lookup served by the hot standby is
never kept (the standby may be behind the epoch).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql.elements import TextClause

from hazardloop import replica

log = logging.getLogger(__name__)

EXTENSION = "hazardloop.session_cache"
CHANGED = "hazardloop.auth_changed"  # session.info: this transaction changed what a kept session holds
# Tables whose rows a kept session holds; rows added to them change no kept session, except a grant.
TABLES = frozenset({"user_sessions", "users", "role_grants", "regions", "departments", "sites"})
ADDED_CHANGES = frozenset({"role_grants"})
# Of a site only what the session query loads (services._session_query): the site's other columns change
# all the time (its 风险等级, counts) and are never read from a kept session.
SITE_COLUMNS = ("id", "grid_id", "name")
MAX_ENTRIES = 20_000
REDIS_PAUSE_S = 5.0  # after Redis failed, read the database this long before asking it again
_DML = re.compile(r"^\s*(UPDATE|DELETE|INSERT|TRUNCATE|MERGE)\b", re.IGNORECASE)
_TABLE_WORDS = re.compile(r"\b(" + "|".join(sorted(TABLES)) + r")\b", re.IGNORECASE)

Snapshot = tuple[tuple[Any, dict[str, Any], dict[str, tuple[bool, Any]]], ...]


def snapshot(root: Any) -> Snapshot:
    """The loaded column values and relationships of ``root`` and every object it reaches, as plain data."""
    index: dict[int, int] = {}
    records: list[tuple[Any, dict[str, Any], dict[str, tuple[bool, Any]]]] = []

    def visit(obj: Any) -> int:
        if id(obj) in index:
            return index[id(obj)]
        index[id(obj)] = len(records)
        state = instance_state(obj)
        mapper = state.mapper
        columns = {key: copy.deepcopy(value) if isinstance(value, (list, dict)) else value
                   for key, value in state.dict.items() if key in mapper.column_attrs}
        related: dict[str, tuple[bool, Any]] = {}
        records.append((mapper.class_manager, columns, related))
        for rel in mapper.relationships:
            if rel.key in state.dict:
                value = state.dict[rel.key]
                if value is None:
                    related[rel.key] = (rel.uselist, None)
                else:
                    related[rel.key] = (rel.uselist, [visit(v) for v in value] if rel.uselist else visit(value))
        return index[id(obj)]

    visit(root)
    return tuple(records)


def materialize(snap: Snapshot, session: Session) -> Any | None:
    """New objects from ``snap``, persistent in ``session`` as if just loaded (what was not loaded loads on use).

    None when ``session`` holds one of them already (a session reused across requests, as the test client's
    may be): the caller loads them the usual way, which keeps the session's own objects.
    """
    objects = []
    for manager, columns, _ in snap:
        obj = manager.new_instance()
        instance_state(obj).dict.update(
            {k: copy.deepcopy(v) if isinstance(v, (list, dict)) else v for k, v in columns.items()})
        objects.append(obj)
    for obj, (_, _, related) in zip(objects, snap, strict=True):
        for key, (uselist, ref) in related.items():
            value = None if ref is None else [objects[i] for i in ref] if uselist else objects[ref]
            set_committed_value(obj, key, value)
    for obj in objects:
        make_transient_to_detached(obj)  # an identity key; attributes never loaded load when read
    identity_map = session.identity_map
    if any(instance_state(obj).key in identity_map for obj in objects):
        return None
    session.add(objects[0])
    return objects[0]


class SessionCache:
    """One process's kept sessions for one app, and the Redis epoch that says whether they still hold."""

    def __init__(self, app: Flask) -> None:
        from hazardloop.redis_connection import connect

        self.ttl_s = float(app.config.get("SESSION_CACHE_TTL_S", 30))
        self.redis = connect(app.config, socket_timeout=0.5, socket_connect_timeout=0.5)
        database = app.config["SQLALCHEMY_DATABASE_URI"]
        self.key = "hazardloop:auth-epoch:" + hashlib.sha256(database.encode()).hexdigest()[:16]
        self.epoch: bytes | None = None
        self.entries: dict[str, tuple[float, Snapshot]] = {}
        self.redis_down_until = 0.0
        self._lock = threading.Lock()

    def current_epoch(self) -> bytes | None:
        """The epoch now in Redis (one round trip), or None when Redis cannot answer."""
        if self.ttl_s <= 0 or time.monotonic() < self.redis_down_until:
            return None
        try:
            epoch = self.redis.get(self.key)
            if epoch is None:  # first use, or Redis lost its data: a new epoch no entry was loaded under
                self.redis.set(self.key, uuid.uuid4().hex, nx=True)
                epoch = self.redis.get(self.key)
        except (RedisError, OSError) as exc:  # Redis cannot answer: read the database instead
            self._redis_failed("读取", exc)
            return None
        if epoch != self.epoch:
            with self._lock:
                self.entries, self.epoch = {}, epoch
        return epoch

    def resolve(self, token_hash: str, session: Session, load: Callable[[], Any | None]) -> Any | None:
        """The kept session for ``token_hash`` rebuilt in ``session``, else ``load()``'s answer (kept when it
        came from the primary: the hot standby may not have replayed the change the epoch stands for)."""
        epoch = self.current_epoch()
        if epoch is not None:
            entry = self.entries.get(token_hash)
            if entry is not None and time.monotonic() - entry[0] <= self.ttl_s:
                found = materialize(entry[1], session)
                if found is not None:
                    return found
        loaded = load()
        if loaded is not None and epoch is not None and replica.REPLICA_ENGINE not in session.info:
            self._keep(token_hash, epoch, loaded)
        return loaded

    def _keep(self, token_hash: str, epoch: bytes, loaded: Any) -> None:
        entry = (time.monotonic(), snapshot(loaded))
        with self._lock:
            if epoch != self.epoch:  # outdated while it loaded
                return
            if len(self.entries) >= MAX_ENTRIES:
                self.entries = {}
            self.entries[token_hash] = entry

    def changed(self) -> None:
        """Something kept sessions hold was committed: outdate every process's entries."""
        with self._lock:
            self.entries, self.epoch = {}, None
        if self.ttl_s <= 0:
            return
        try:
            self.redis.set(self.key, uuid.uuid4().hex)
        except (RedisError, OSError) as exc:
            self._redis_failed("更新", exc)

    def _redis_failed(self, what: str, exc: BaseException) -> None:
        self.redis_down_until = time.monotonic() + REDIS_PAUSE_S
        with self._lock:
            self.entries, self.epoch = {}, None
        log.error("会话缓存无法%s Redis 中的认证版本（%s）：各请求改为直接读数据库；"
                  "其他进程已缓存的会话最多 %.0f 秒后失效", what, exc.__class__.__name__, self.ttl_s)


def resolve(token_hash: str, session: Session, load: Callable[[], Any | None]) -> Any | None:
    """``SessionCache.resolve`` of the current app."""
    kept: SessionCache = current_app.extensions[EXTENSION]
    return kept.resolve(token_hash, session, load)


# --- noticing changes -----------------------------------------------------------------------------

def _object_changes(session: Session) -> bool:
    for obj in session.deleted:
        if instance_state(obj).mapper.local_table.name in TABLES:
            return True
    for obj in session.new:
        if instance_state(obj).mapper.local_table.name in ADDED_CHANGES:
            return True
    for obj in session.dirty:
        state = instance_state(obj)
        table = state.mapper.local_table.name
        if table == "sites":
            if any(state.attrs[c].history.has_changes() for c in SITE_COLUMNS):
                return True
        elif table in TABLES and session.is_modified(obj, include_collections=False):
            return True
    return False


def _after_flush(session: Session, context: Any) -> None:
    if not session.info.get(CHANGED) and _object_changes(session):
        session.info[CHANGED] = True


def _statement_changes(orm_execute_state: Any) -> None:
    statement = orm_execute_state.statement
    if orm_execute_state.is_update or orm_execute_state.is_delete or orm_execute_state.is_insert:
        table = getattr(statement, "table", None)
        name = getattr(table, "name", None)
        if name in TABLES and not (orm_execute_state.is_insert and name not in ADDED_CHANGES):
            orm_execute_state.session.info[CHANGED] = True
    elif isinstance(statement, TextClause) and _DML.match(statement.text) and _TABLE_WORDS.search(statement.text):
        orm_execute_state.session.info[CHANGED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(CHANGED, False) and has_app_context():
        kept = current_app.extensions.get(EXTENSION)
        if kept is not None:
            kept.changed()


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    app.extensions[EXTENSION] = SessionCache(app)
    if not _listening:  # class-level events: once per process, whatever the number of apps
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _statement_changes)
        event.listen(Session, "after_commit", _after_commit)
        _listening = True
