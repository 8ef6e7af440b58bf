"""The one list of periodic jobs: what runs when. Registered with Flask-RQ's cron scheduler.

Intervals are seconds; cron strings are in the worker machine's local time (RQ's CronScheduler).
Every worker node runs a scheduler; each tick is claimed in Redis first, so it is enqueued once across
the cluster (hazardloop.cluster). Jobs stay safe to run twice at once all the same (a retried job).
"""

from __future__ import annotations

from typing import Any


def periodic_jobs() -> list[tuple[Any, int | str]]:
    from hazardloop.blacklist.jobs import collect_blacklist_candidates
    from hazardloop.circulars.jobs import draft_monthly_circulars, draft_weekly_circulars
    from hazardloop.console.jobs import snapshot_daily_metrics
    from hazardloop.escalation.jobs import escalate_overdue_hazards
    from hazardloop.notifications.jobs import release_held_deliveries
    from hazardloop.outbox.jobs import relay_outbox
    from hazardloop.risk.jobs import recompute_risk_levels
    from hazardloop.selfchecks.jobs import remind_self_check_reports

    return [
        (relay_outbox, 10),                     # outbox rows Redis does not hold (lost or never handed over)
        (release_held_deliveries, 60),          # SMS held for quiet hours or a rate limit, when their time comes
        (escalate_overdue_hazards, 300),        # reminders and the escalation ladder, from the database
        (collect_blacklist_candidates, 600),    # the ladder's 黑名单候选 into the 黑名单 process
        (snapshot_daily_metrics, "5 0 * * *"),  # yesterday's counts per region and department
        (recompute_risk_levels, "15 0 * * *"),  # 风险等级: overdue hazards raise a site's colour as days pass
        (draft_weekly_circulars, "0 6 * * 1"),  # 周通报 drafts of last week, Monday morning
        (draft_monthly_circulars, "30 6 1 * *"),  # 月通报 drafts of last month, on the 1st
        (remind_self_check_reports, 3600),      # 自查自报 not yet in, the last days of a month (once per site)
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
