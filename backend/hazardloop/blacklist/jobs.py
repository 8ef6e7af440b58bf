"""Background job of the 黑名单: take the escalation ladder's candidates in without waiting for a reader."""

from __future__ import annotations

from typing import Any

from hazardloop.extensions import db, rq


@rq.job
def collect_blacklist_candidates() -> dict[str, Any]:
    """Open or extend 黑名单 entries for new 黑名单候选 cases; idempotent (a case is taken once)."""
    from hazardloop.blacklist.services import sync_candidates

    taken = sync_candidates()
    db.session.commit()
    return {"taken": taken}
