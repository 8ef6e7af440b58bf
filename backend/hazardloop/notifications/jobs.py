"""Periodic work of notifications: releasing SMS held for quiet hours (静默时段) or a rate limit (频次限制)."""

from __future__ import annotations

from hazardloop.extensions import rq


@rq.job
def release_held_deliveries() -> int:
    """Queue every held SMS whose time has come (``deliveries.release_held``); safe to run twice at once."""
    from hazardloop.notifications.deliveries import release_held

    return release_held()
