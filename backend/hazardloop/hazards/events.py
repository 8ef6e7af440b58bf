"""The append-only, hash-chained event log (执法全过程记录) and its verification.

Each event's hash covers its content, the hash of the previous event of the same hazard
(``prev_hash``) and the hash of the previous event of its log chain (``prev_global_hash``; the
column keeps the name it had when the log was one global chain).

Why several chains: with one global chain every writing transaction in the system took the same
row lock (the chain head) and held it until it committed, so under load (the sync rush: 32 phones
uploading inspections) 11–15 of 16 request threads stood in line for it. The log is now ``CHAINS``
interleaved chains, each ending in its own ``audit_chain_heads`` row. A transaction takes a free
head when it writes its first event (``FOR UPDATE SKIP LOCKED``, trying first the chain its hazard
or actor points to) and keeps that one until it ends: writers never wait for each other (unless
more than ``CHAINS`` write at once), and no transaction holds two heads, so heads cannot deadlock.
Each event records its ``chain``.

Why it stays tamper-evident and verifiable: within a chain the events follow each other in id
order (a chain's next event is inserted only after the transaction holding the chain ended, so
its id is larger), and each head stores its chain's last event. ``verify_chains`` walks the log in
id order keeping the end of every chain: a changed event fails its own hash, a deleted one breaks
its successor's link (or its head's, if it was last), an inserted one breaks the link of the event
after it (or its head's), and an event moved to another chain breaks both chains. The hazard links
check each hazard's history the same way. Events written before there were several chains are all
in chain 1, which simply continues from them. (The alternative — append without any lock and chain
in a background sealing job — leaves fresh events unchained for a while and needs a sealer that
knows which ids are still in flight; several chains need neither.) SQLite has one writer at a time
anyway and uses chain 1 only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hazardloop.bulk import among, insert_rows, update_by_id
from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import AuditChainHead, AuditEvent, Hazard


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value else None


def event_digest(event: AuditEvent) -> str:
    """SHA-256 over the event's content and both predecessor hashes (canonical JSON)."""
    return row_digest({c: getattr(event, c) for c in _DIGESTED_COLUMNS})


def row_digest(row: Mapping[str, Any]) -> str:
    """``event_digest`` of an event given as its column values (a batch's rows, before they are inserted)."""
    material = {
        "kind": row["kind"], "hazard_id": row["hazard_id"], "inspection_id": row["inspection_id"],
        "from": row["from_status"], "to": row["to_status"], "actor_id": row["actor_id"],
        "actor_role": row["actor_role"], "occurred_at": _iso(row["occurred_at"]),
        "client_time": _iso(row["client_time"]), "client_event_id": row["client_event_id"],
        "note": row["note"], "payload": row["payload"] or {}, "photo_hashes": row["photo_hashes"] or [],
        "prev_hash": row["prev_hash"], "prev_global_hash": row["prev_global_hash"],
    }
    blob = json.dumps(material, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


CHAINS = 32  # more than the writers a box runs at once (threads × processes + worker horses)


def _chain_head(hint: int) -> AuditChainHead:
    """Lock this transaction's chain head: the one it already holds, else a free one near ``hint``."""
    session = db.session()
    held = session.info.get("audit_chain")
    transaction = session.get_transaction()
    postgresql = session.get_bind().dialect.name == "postgresql"
    if held is not None and transaction is not None and held[0] is transaction:
        if held[2] is not None and held[2] in session:
            # Locked outside any savepoint: the lock is ours until the transaction ends and nobody else wrote
            # the row meanwhile, so the object holds its values (reloaded if a later savepoint's rollback
            # expired them). An inspection appends an event per finding: one lock, not one per event.
            return held[2]
        # Our own lock does not make us skip the row; it is gone only if a savepoint that took it was
        # rolled back, and then another writer may hold the chain: take another instead of waiting.
        head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == held[1])
                              .with_for_update(skip_locked=postgresql).execution_options(populate_existing=True))
        if head is not None:
            return head
    head = None
    if postgresql:
        start = hint % CHAINS + 1
        nearest = (AuditChainHead.id + (CHAINS - start)) % CHAINS  # ``start`` first, then the next ones
        head = session.scalar(select(AuditChainHead).order_by(nearest, AuditChainHead.id).limit(1)
                              .with_for_update(skip_locked=True).execution_options(populate_existing=True))
        if head is None:  # every chain is held right now: queue for the preferred one
            head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == start).with_for_update()
                                  .execution_options(populate_existing=True))
    if head is None:
        head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
                              .execution_options(populate_existing=True))
    if head is None:  # the head rows were deleted (tests empty every table): make them again
        _make_heads()
        return _chain_head(hint)
    session.info["audit_chain"] = (session.get_transaction(), head.id,
                                   head if session.get_nested_transaction() is None else None)
    return head


def _make_heads() -> None:
    """Insert the missing chain head rows (empty chains); concurrent callers do not collide."""
    table = AuditChainHead.__table__
    rows = [{"id": i} for i in range(1, CHAINS + 1)]
    if db.session.get_bind().dialect.name == "postgresql":
        # Committed at once on a connection of its own, so other writers see the heads at once.
        with db.engine.begin() as connection:
            connection.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    else:
        db.session.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)


def append_event(
    *,
    kind: str,
    actor: Any | None,
    actor_role: str | None,
    hazard: Hazard | None = None,
    inspection_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    payload: dict[str, Any] | None = None,
    photo_hashes: list[str] | None = None,
    client_time: dt.datetime | None = None,
    client_event_id: str | None = None,
) -> AuditEvent:
    """Append one event, linking it into its hazard's chain and this transaction's log chain."""
    head = _chain_head(hazard.id if hazard is not None and hazard.id else (actor.id if actor else 0))
    event = AuditEvent(
        kind=kind, hazard_id=hazard.id if hazard else None, inspection_id=inspection_id,
        from_status=from_status, to_status=to_status, actor_id=actor.id if actor else None,
        actor_role=actor_role, occurred_at=utcnow(), client_time=client_time,
        client_event_id=client_event_id, note=note, payload=payload or {},
        photo_hashes=sorted(set(photo_hashes or [])),
        prev_hash=hazard.last_event_hash if hazard else None, prev_global_hash=head.last_hash, chain=head.id,
    )
    event.hash = event_digest(event)
    db.session.add(event)
    db.session.flush()  # the event's id, which the chain head records
    # Written by the session's next flush (the next event's head lock, or the commit): under the head's row
    # lock, so no other writer reads the head in between.
    head.last_event_id, head.last_hash = event.id, event.hash
    if hazard is not None:
        hazard.last_event_hash = event.hash
    return event


@dataclass(frozen=True)
class BatchEvent:
    """One system event of a batch: the hazard it belongs to and what happened (its state stays).

    ``hazard``: a ``Hazard``, or any object with its ``id`` and ``status`` (the sweep's plain rows).
    """

    hazard: Any
    kind: str
    note: str | None = None
    payload: dict[str, Any] | None = None


def append_events(batch: list[BatchEvent]) -> list[int]:
    """Append many system events at once (the deadline sweep), chained exactly as ``append_event``.

    A few statements instead of four per event: the rows are hashed as plain column values (no ORM
    objects), go in by ``bulk.insert_rows`` (COPY on PostgreSQL) and the hazards' chain ends follow by
    one UPDATE. Returns the new event ids in order.
    """
    if not batch:
        return []
    head = _chain_head(batch[0].hazard.id)
    last_global = head.last_hash
    # Lock the hazards (in id order) before reading their chain ends: a user's transition of one of
    # them writes its event through another log chain, so the log lock no longer orders the two.
    table = Hazard.__table__
    last_of: dict[int, str | None] = dict(db.session.execute(
        select(table.c.id, table.c.last_event_hash).where(among(table.c.id, {e.hazard.id for e in batch}))
        .order_by(table.c.id).with_for_update()).all())
    now, rows = utcnow(), []
    for item in batch:
        row = {"kind": item.kind, "hazard_id": item.hazard.id, "inspection_id": None,
               "from_status": item.hazard.status, "to_status": item.hazard.status, "actor_id": None,
               "actor_role": "system", "occurred_at": now, "client_time": None, "client_event_id": None,
               "note": item.note, "payload": item.payload or {}, "photo_hashes": [],
               "prev_hash": last_of[item.hazard.id], "prev_global_hash": last_global, "chain": head.id}
        row["hash"] = last_global = last_of[item.hazard.id] = row_digest(row)
        rows.append(row)
    ids = insert_rows(AuditEvent, rows)
    head.last_event_id, head.last_hash = ids[-1], rows[-1]["hash"]
    # The version bump makes a user's concurrent edit of the same hazard fail as a 409, not overwrite.
    update_by_id(Hazard, {hazard_id: {"last_event_hash": digest} for hazard_id, digest in last_of.items()},
                 increment="version")
    for item in batch:
        if isinstance(item.hazard, Hazard):
            db.session.expire(item.hazard, ["last_event_hash", "version"])
    db.session.flush()
    return ids


# What the digest covers (``hash`` and ``chain`` are not part of it).
_DIGESTED_COLUMNS = ("kind", "hazard_id", "inspection_id", "from_status", "to_status", "actor_id", "actor_role",
                     "occurred_at", "client_time", "client_event_id", "note", "payload", "photo_hashes", "prev_hash",
                     "prev_global_hash")


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"事件 {self.event_id}：{self.reason}"


def verify_chains(batch: int = 5000) -> tuple[int, BrokenLink | None]:
    """Recompute every hash in id order; return (events checked, first broken link or None).

    On PostgreSQL the events and the heads are read in one snapshot (when no transaction is open yet),
    so writers committing meanwhile cannot make a sound log look broken.
    """
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    last_of_chain: dict[int, str] = {}
    last_by_hazard: dict[int, str] = {}
    checked, after = 0, 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            break
        for event in rows:
            checked += 1
            if event.prev_global_hash != last_of_chain.get(event.chain):
                return checked, BrokenLink(
                    event.id, f"与第 {event.chain} 条链的上一事件不连续（有事件被删除、插入或修改）")
            if event.hazard_id is not None and event.prev_hash != last_by_hazard.get(event.hazard_id):
                return checked, BrokenLink(event.id, f"与隐患 {event.hazard_id} 的上一事件不连续")
            if event_digest(event) != event.hash:
                return checked, BrokenLink(event.id, "内容与其哈希不符（记录被改动）")
            last_of_chain[event.chain] = event.hash
            if event.hazard_id is not None:
                last_by_hazard[event.hazard_id] = event.hash
            after = event.id
        db.session.expunge_all()
    heads = {head.id: head for head in db.session.scalars(select(AuditChainHead).order_by(AuditChainHead.id))}
    for chain_id, head in heads.items():
        if head.last_hash != last_of_chain.get(chain_id):
            return checked, BrokenLink(head.last_event_id or 0,
                                       f"第 {chain_id} 条链的链尾记录与其最后一个事件不符（末尾事件被删除或插入）")
    for chain_id in sorted(last_of_chain.keys() - heads.keys()):
        return checked, BrokenLink(after, f"第 {chain_id} 条链没有链尾记录")
    return checked, None


def verify_hazard(hazard_id: int) -> tuple[int, BrokenLink | None]:
    """Recompute one hazard's events; return (events checked, first broken link or None).

    Checks each event's hash, its link to the hazard's previous event, its place in its log chain (the
    chain's event before it is the one it names, and the one after it names it, or the chain's head does
    when it is the last) and that the hazard's ``last_event_hash`` is its last event. It reads the
    hazard's events by ``ix_audit_events_hazard`` and two neighbours per event by the primary key, so its
    time does not grow with the log; ``verify_chains`` stays the check of the whole log (an event of the
    hazard deleted together with every later event of the hazard shows only there, by its chain).
    """
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    last_hash = db.session.scalar(select(Hazard.last_event_hash).where(Hazard.id == hazard_id))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.hazard_id == hazard_id).order_by(AuditEvent.id)).all()
    previous: str | None = None
    for checked, event in enumerate(events, 1):
        if event_digest(event) != event.hash:
            return checked, BrokenLink(event.id, "内容与其哈希不符（记录被改动）")
        if event.prev_hash != previous:
            return checked, BrokenLink(event.id, f"与隐患 {hazard_id} 的上一事件不连续")
        before = db.session.scalar(select(AuditEvent.hash).where(
            AuditEvent.chain == event.chain, AuditEvent.id < event.id).order_by(AuditEvent.id.desc()).limit(1))
        if event.prev_global_hash != before:
            return checked, BrokenLink(
                event.id, f"与第 {event.chain} 条链的上一事件不连续（有事件被删除、插入或修改）")
        after = db.session.execute(select(AuditEvent.id, AuditEvent.prev_global_hash).where(
            AuditEvent.chain == event.chain, AuditEvent.id > event.id).order_by(AuditEvent.id).limit(1)).first()
        if after is None:
            head = db.session.get(AuditChainHead, event.chain)
            if head is None or head.last_hash != event.hash:
                return checked, BrokenLink(
                    event.id, f"第 {event.chain} 条链的链尾记录与其最后一个事件不符（末尾事件被删除或插入）")
        elif after.prev_global_hash != event.hash:
            return checked, BrokenLink(
                after.id, f"与第 {event.chain} 条链的上一事件不连续（有事件被删除、插入或修改）")
        previous = event.hash
    if last_hash != previous:
        return len(events), BrokenLink(events[-1].id if events else 0,
                                       f"隐患 {hazard_id} 记录的最后一个事件与其事件不符（末尾事件被删除或插入）")
    return len(events), None
