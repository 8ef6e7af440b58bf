"""The 风险等级 (risk level) changes recorded for a site, whether as its own event or a line of a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LevelChange:
    """One change of a site's level as recorded: its own event, or one line of a recompute's batch event."""

    event_id: int
    from_status: str | None
    to_status: str | None
    actor_role: str | None
    payload: dict[str, Any]


def risk_events(db: Any, site_id: int, kind: str = "risk_level_changed") -> list[Any]:
    """The site's events of ``kind``; for changes of level also the lines of ``risk_levels_changed`` batches."""
    from sqlalchemy import select

    from hazardloop.hazards.models import AuditEvent

    kinds = [kind, "risk_levels_changed"] if kind == "risk_level_changed" else [kind]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind.in_(kinds)).order_by(AuditEvent.id)).all()
    out: list[Any] = []
    for e in events:
        if e.kind == "risk_levels_changed":
            out += [LevelChange(e.id, c["from"], c["to"], e.actor_role, c) for c in e.payload["changes"]
                    if c["site_id"] == site_id]
        elif (e.payload or {}).get("site_id") == site_id:
            out.append(e)
    return out
