"""The one list of periodic jobs: what runs when. Registered with Flask-RQ's cron scheduler.

Intervals are seconds; cron strings are in the worker machine's local time (RQ's CronScheduler).
Every job here is safe to run twice at once — several schedulers may enqueue the same tick.
"""

from __future__ import annotations

from typing import Any


def periodic_jobs() -> list[tuple[Any, int | str]]:
    from hazardloop.blacklist.jobs import collect_blacklist_candidates
    from hazardloop.circulars.jobs import draft_monthly_circulars, draft_weekly_circulars
    from hazardloop.console.jobs import snapshot_daily_metrics
    from hazardloop.escalation.jobs import escalate_overdue_hazards
    from hazardloop.outbox.jobs import relay_outbox

    return [
        (relay_outbox, 10),                     # outbox rows Redis does not hold (lost or never handed over)
        (escalate_overdue_hazards, 300),        # reminders and the escalation ladder, from the database
        (collect_blacklist_candidates, 600),    # the ladder's 黑名单候选 into the 黑名单 process
        (snapshot_daily_metrics, "5 0 * * *"),  # yesterday's counts per region and department
        (draft_weekly_circulars, "0 6 * * 1"),  # 周通报 drafts of last week, Monday morning
        (draft_monthly_circulars, "30 6 1 * *"),  # 月通报 drafts of last month, on the 1st
    ]


_registered = False


def register_periodic_jobs() -> None:
    """Register the list with Flask-RQ (once per process; ``rq.make_cron_scheduler()`` then runs it)."""
    global _registered
    if _registered:
        return
    for job, when in periodic_jobs():
        job.cron_register(when)
    _registered = True
