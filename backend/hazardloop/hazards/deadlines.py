"""Rectification deadlines: 立即, N calendar days, or N working days by the official holiday calendar."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

# When an item gives no deadline: 一般 5 working days; 重大 30 calendar days for the 治理方案 work.
DEFAULT_DEADLINES = {
    "general": {"kind": "working_days", "days": 5},
    "major": {"kind": "calendar_days", "days": 30},
}


@dataclass(frozen=True)
class Deadline:
    at: dt.datetime  # UTC
    estimated: bool  # True when the holiday calendar had no data for a year involved


@functools.lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> tuple[bool, bool]:
    """(is it a working day, is that only estimated) — the calendar covers published years only.

    Kept per process: the library's calendar is fixed once imported, and each of its answers scans its
    whole table for the range it covers (~20 µs; a hazard page asks for 5–10 days, the sweep thousands).
    """
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        # The State Council publishes next year's holidays late in the year; until the
        # library has them, weekends are the only days off and the deadline says so.
        return day.weekday() < 5, True


def add_working_days(start: dt.date, days: int) -> tuple[dt.date, bool]:
    """The ``days``-th working day after ``start`` (start itself not counted)."""
    day, estimated, counted = start, False, 0
    while counted < days:
        day += dt.timedelta(days=1)
        work, guessed = is_workday(day)
        estimated |= guessed
        counted += work
    return day, estimated


def compute_deadline(rule: dict[str, Any] | None, level: str, *, start: dt.datetime, tz: str) -> Deadline:
    """The deadline for a hazard assigned at ``start`` under ``rule`` ({kind, days}); end of day local."""
    rule = rule or DEFAULT_DEADLINES[level]
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    kind, days = rule.get("kind"), int(rule.get("days") or 0)
    if kind == "immediate":
        # 立即整改: by the end of the next day, time enough to fix and photograph.
        return Deadline((local + dt.timedelta(days=1)).replace(hour=23, minute=59, second=59,
                                                              microsecond=0).astimezone(dt.UTC), False)
    if kind == "working_days":
        day, estimated = add_working_days(local.date(), max(days, 1))
    else:
        day, estimated = local.date() + dt.timedelta(days=max(days, 1)), False
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    return Deadline(end.astimezone(dt.UTC), estimated)


def working_days_overdue(deadline: dt.datetime, now: dt.datetime, tz: str) -> int:
    """How many working days have passed since the deadline (0 if not overdue)."""
    zone = ZoneInfo(tz)
    if now <= deadline:
        return 0
    day, today, count = deadline.astimezone(zone).date(), now.astimezone(zone).date(), 0
    while day < today:
        day += dt.timedelta(days=1)
        count += is_workday(day)[0]
    return count
