"""The append-only, hash-chained event log (执法全过程记录) and its verification.

Each event's hash covers its content plus the hash of the previous event of the same
hazard and of the previous event overall. Appending locks the single chain-head row, so
concurrent writers line up instead of forking the global chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hazardloop.bulk import insert_rows, update_by_id
from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import AuditChainHead, AuditEvent, Hazard


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value else None


def event_digest(event: AuditEvent) -> str:
    """SHA-256 over the event's content and both predecessor hashes (canonical JSON)."""
    material = {
        "kind": event.kind, "hazard_id": event.hazard_id, "inspection_id": event.inspection_id,
        "from": event.from_status, "to": event.to_status, "actor_id": event.actor_id,
        "actor_role": event.actor_role, "occurred_at": _iso(event.occurred_at),
        "client_time": _iso(event.client_time), "client_event_id": event.client_event_id,
        "note": event.note, "payload": event.payload or {}, "photo_hashes": event.photo_hashes or [],
        "prev_hash": event.prev_hash, "prev_global_hash": event.prev_global_hash,
    }
    blob = json.dumps(material, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _chain_head() -> AuditChainHead:
    head = db.session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update())
    if head is None:
        head = AuditChainHead(id=1)
        db.session.add(head)
        db.session.flush()
    return head


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
    """Append one event, linking it into its hazard's chain and the global chain."""
    head = _chain_head()
    event = AuditEvent(
        kind=kind, hazard_id=hazard.id if hazard else None, inspection_id=inspection_id,
        from_status=from_status, to_status=to_status, actor_id=actor.id if actor else None,
        actor_role=actor_role, occurred_at=utcnow(), client_time=client_time,
        client_event_id=client_event_id, note=note, payload=payload or {},
        photo_hashes=sorted(set(photo_hashes or [])),
        prev_hash=hazard.last_event_hash if hazard else None, prev_global_hash=head.last_hash,
    )
    event.hash = event_digest(event)
    db.session.add(event)
    db.session.flush()
    head.last_event_id, head.last_hash = event.id, event.hash
    if hazard is not None:
        hazard.last_event_hash = event.hash
    db.session.flush()
    return event


@dataclass(frozen=True)
class BatchEvent:
    """One system event of a batch: the hazard it belongs to and what happened (its state stays)."""

    hazard: Hazard
    kind: str
    note: str | None = None
    payload: dict[str, Any] | None = None


def append_events(batch: list[BatchEvent]) -> list[int]:
    """Append many system events at once (the deadline sweep), chained exactly as ``append_event``.

    A few statements instead of four per event: the rows go in by ``bulk.insert_rows`` and the
    hazards' chain ends by one UPDATE. Returns the new event ids in order.
    """
    if not batch:
        return []
    head = db.session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
                             .execution_options(populate_existing=True))
    if head is None:
        head = _chain_head()
    last_global = head.last_hash
    # Read the hazards' chain ends only now: every writer of events holds the head lock first.
    table = Hazard.__table__
    last_of: dict[int, str | None] = dict(db.session.execute(
        select(table.c.id, table.c.last_event_hash).where(table.c.id.in_({e.hazard.id for e in batch}))).all())
    rows = []
    for item in batch:
        event = AuditEvent(
            kind=item.kind, hazard_id=item.hazard.id, inspection_id=None, from_status=item.hazard.status,
            to_status=item.hazard.status, actor_id=None, actor_role="system", occurred_at=utcnow(),
            client_time=None, client_event_id=None, note=item.note, payload=item.payload or {}, photo_hashes=[],
            prev_hash=last_of[item.hazard.id], prev_global_hash=last_global)
        event.hash = last_global = last_of[item.hazard.id] = event_digest(event)
        rows.append({c: getattr(event, c) for c in _EVENT_COLUMNS})
    ids = insert_rows(AuditEvent, rows)
    head.last_event_id, head.last_hash = ids[-1], rows[-1]["hash"]
    # The version bump makes a user's concurrent edit of the same hazard fail as a 409, not overwrite.
    update_by_id(Hazard, {hazard_id: {"last_event_hash": digest} for hazard_id, digest in last_of.items()},
                 increment="version")
    for item in batch:
        db.session.expire(item.hazard, ["last_event_hash", "version"])
    db.session.flush()
    return ids


_EVENT_COLUMNS = ("kind", "hazard_id", "inspection_id", "from_status", "to_status", "actor_id", "actor_role",
                  "occurred_at", "client_time", "client_event_id", "note", "payload", "photo_hashes", "prev_hash",
                  "prev_global_hash", "hash")


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"事件 {self.event_id}：{self.reason}"


def verify_chains(batch: int = 5000) -> tuple[int, BrokenLink | None]:
    """Recompute every hash in id order; return (events checked, first broken link or None)."""
    last_global: str | None = None
    last_by_hazard: dict[int, str] = {}
    checked, after = 0, 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            break
        for event in rows:
            checked += 1
            if event.prev_global_hash != last_global:
                return checked, BrokenLink(event.id, "与上一事件的全局链不连续（有事件被删除、插入或修改）")
            if event.hazard_id is not None and event.prev_hash != last_by_hazard.get(event.hazard_id):
                return checked, BrokenLink(event.id, f"与隐患 {event.hazard_id} 的上一事件不连续")
            if event_digest(event) != event.hash:
                return checked, BrokenLink(event.id, "内容与其哈希不符（记录被改动）")
            last_global = event.hash
            if event.hazard_id is not None:
                last_by_hazard[event.hazard_id] = event.hash
            after = event.id
        db.session.expunge_all()
    head = db.session.get(AuditChainHead, 1)
    if head is not None and head.last_hash != last_global:
        return checked, BrokenLink(head.last_event_id or 0, "链尾记录与最后一个事件不符（末尾事件被删除）")
    return checked, None
