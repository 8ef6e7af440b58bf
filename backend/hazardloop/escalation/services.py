"""The deadline sweep: reminders before the deadline and the escalation ladder after it.

The database is the source of truth. Each sweep reads the open hazards whose deadline is near or
past, works out from the policy file what is due at ``now`` (working days by the official
calendar), and records it. A rung is recorded by inserting ``escalations(hazard_id, rung)``,
whose unique constraint makes a second sweep — a duplicate job, a second worker, a retry after a
crash — a no-op for that rung; the whole sweep is one transaction, so a killed worker leaves
nothing half-done. On PostgreSQL, concurrent sweeps also queue on an advisory lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import joinedload

from hazardloop.bulk import insert_ignoring_duplicates, insert_rows, update_by_id
from hazardloop.database import utcnow
from hazardloop.escalation.models import DeadlineReminder, Escalation, EscalationCase
from hazardloop.escalation.policy import Ladder, Reminder, Rung, load_ladder
from hazardloop.extensions import db
from hazardloop.hazards import deadlines
from hazardloop.hazards.events import BatchEvent, append_events
from hazardloop.hazards.models import AuditChainHead, Hazard
from hazardloop.hazards.states import DEADLINE_STATUSES, LEVEL_LABELS, HazardLevel
from hazardloop.notifications.services import Notice, notify_many, prefetch_recipients, recipients_for
from hazardloop.sites.models import Site

SWEEP_LOCK_KEY = 0x6861_7A65  # "haze": one PostgreSQL advisory lock for the deadline sweep
# A reminder window opens at most this many calendar days before a deadline (long holidays included).
REMINDER_HORIZON = dt.timedelta(days=15)


@dataclass
class SweepResult:
    reminders: list[tuple[int, str]] = field(default_factory=list)
    escalations: list[tuple[int, str]] = field(default_factory=list)
    cases: list[tuple[int, str]] = field(default_factory=list)
    examined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"examined": self.examined, "reminders": len(self.reminders),
                "escalations": len(self.escalations), "cases": len(self.cases)}


def previous_working_day(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day before ``day`` (``day`` itself for 0)."""
    while count > 0:
        day -= dt.timedelta(days=1)
        count -= deadlines.is_workday(day)[0]
    return day


def candidates_query(now: dt.datetime, last_rung: str | None) -> Any:
    """Open hazards with a running deadline that is near or past, minus those whose ladder is complete."""
    query = (select(Hazard).options(joinedload(Hazard.site).joinedload(Site.grid))
             .where(Hazard.status.in_([s.value for s in DEADLINE_STATUSES]),
                    Hazard.deadline_at.is_not(None), Hazard.deadline_at <= now + REMINDER_HORIZON))
    if last_rung is not None:
        query = query.where(~exists().where(Escalation.hazard_id == Hazard.id, Escalation.rung == last_rung))
    return query.order_by(Hazard.id)


def sweep_deadlines(now: dt.datetime | None = None, *, ladder: Ladder | None = None) -> SweepResult:
    """Send the due reminders and fire the due escalation rungs at ``now``; safe to run any number of times.

    Records ``deadline_reminders``, ``escalations`` (+ an ``escalated`` event each in the hash-chained
    log), ``escalation_cases``, inbox notifications and their outbox deliveries. Flushes; the caller commits.
    """
    now = now or utcnow()
    ladder = ladder or load_ladder(current_app.config.get("ESCALATION_POLICY"))
    _serialize_sweeps()
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    result = SweepResult()
    last_rung = ladder.rungs[-1].rung if ladder.rungs else None
    hazards = db.session.scalars(candidates_query(now, last_rung)).unique().all()
    result.examined = len(hazards)
    if not hazards:
        return result
    ids = [h.id for h in hazards]
    fired = {tuple(r) for r in db.session.execute(
        select(Escalation.hazard_id, Escalation.rung).where(Escalation.hazard_id.in_(ids)))}
    reminded = {tuple(r) for r in db.session.execute(
        select(DeadlineReminder.hazard_id, DeadlineReminder.kind, DeadlineReminder.deadline_at)
        .where(DeadlineReminder.hazard_id.in_(ids)))}
    reminders: list[tuple[Hazard, Reminder]] = []
    rungs: list[tuple[Hazard, Rung, int]] = []
    for hazard in hazards:
        deadline = hazard.deadline_at
        assert deadline is not None
        if now <= deadline:
            reminder = _due_reminder(ladder.reminders, deadline, now, zone)
            if reminder and (hazard.id, reminder.kind, deadline) not in reminded:
                reminders.append((hazard, reminder))
            continue
        overdue = deadlines.working_days_overdue(deadline, now, current_app.config["TIMEZONE"])
        rungs.extend((hazard, rung, overdue) for rung in ladder.rungs
                     if (hazard.id, rung.rung) not in fired and rung.due(hazard.level, overdue))
    cache: dict[Any, list[int]] = {}
    groups = {g for _, r in reminders for g in r.notify} | {g for _, r, _ in rungs for g in r.notify}
    prefetch_recipients(list({h.id: h for h, *_ in [*reminders, *rungs]}.values()), sorted(groups), cache)
    _send_reminders(reminders, now, cache, result)
    _fire_rungs(rungs, now, cache, result)
    db.session.flush()
    return result


def _serialize_sweeps() -> None:
    """Concurrent sweeps run one after another, so the second finds the work done."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY})
    else:
        # SQLite: take the database write lock before reading, not at the first insert.
        db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(id=1))


def _due_reminder(reminders: tuple[Reminder, ...], deadline: dt.datetime, now: dt.datetime,
                  zone: ZoneInfo) -> Reminder | None:
    """The reminder whose window holds ``now``: from its working day's start until the next reminder's.

    A window the sweep never saw (no sweep ran that day) is not sent late; the next one is.
    """
    deadline_day, today = deadline.astimezone(zone).date(), now.astimezone(zone).date()
    due = None
    for reminder in reminders:  # earliest window first
        if today >= previous_working_day(deadline_day, reminder.working_days_before):
            due = reminder
    return due


def _local(instant: dt.datetime | None) -> str:
    assert instant is not None
    return f"{instant.astimezone(ZoneInfo(current_app.config['TIMEZONE'])):%Y-%m-%d %H:%M}"


def _send_reminders(due: list[tuple[Hazard, Reminder]], now: dt.datetime, cache: dict[Any, list[int]],
                    result: SweepResult) -> None:
    if not due:
        return
    by_key = {(h.id, r.kind): (h, r, recipients_for(h, list(r.notify), cache)) for h, r in due}
    rows = [{"hazard_id": h.id, "kind": r.kind, "deadline_at": h.deadline_at, "recipients": users, "sent_at": now}
            for h, r, users in by_key.values()]
    insert_rows(DeadlineReminder, rows)  # unique (hazard_id, kind, deadline_at): at most once per deadline
    sent = [(row["hazard_id"], row["kind"]) for row in rows]
    notices = []
    for hazard_id, kind in sent:
        hazard, reminder, users = by_key[(hazard_id, kind)]
        notices.append(Notice(users, f"reminder.{kind}", f"{reminder.label}（{hazard.number}）",
                              f"{hazard.site.name}：{hazard.description}\n整改期限：{_local(hazard.deadline_at)}",
                              hazard.id, f"reminder:{hazard.id}:{kind}:{int(hazard.deadline_at.timestamp())}"))  # type: ignore[union-attr]
        result.reminders.append((hazard_id, kind))
    notify_many(notices, new_keys=True)


def _fire_rungs(due: list[tuple[Hazard, Rung, int]], now: dt.datetime, cache: dict[Any, list[int]],
                result: SweepResult) -> None:
    """Insert the due rungs (the unique (hazard_id, rung) lets each fire once), then their events,
    cases and notices, all in a few statements however many fire."""
    if not due:
        return
    by_key = {(h.id, r.rung): (h, r, overdue, recipients_for(h, list(r.notify), cache)) for h, r, overdue in due}
    rows = [{"hazard_id": h.id, "rung": r.rung, "deadline_at": h.deadline_at, "overdue_working_days": overdue,
             "recipients": users, "fired_at": now} for h, r, overdue, users in by_key.values()]
    # Sweeps are serialized, and ``fired`` was read under that lock; so a duplicate here means a
    # sweep bypassed the lock, and the unique (hazard_id, rung) fails this one rather than fire twice.
    ids = insert_rows(Escalation, rows)
    won = [SimpleNamespace(id=i, hazard_id=row["hazard_id"], rung=row["rung"])
           for i, row in zip(ids, rows, strict=True)]
    events = append_events([
        BatchEvent(hazard=hazard, kind="escalated", note=rung.label,
                   payload={"rung": rung.rung, "overdue_working_days": overdue,
                            "deadline": hazard.deadline_at.isoformat(),  # type: ignore[union-attr]
                            "recipients": users})
        for hazard, rung, overdue, users in (by_key[(w.hazard_id, w.rung)] for w in won)])
    update_by_id(Escalation, {w.id: {"event_id": e} for w, e in zip(won, events, strict=True)})
    cases, notices = [], []
    for w in won:
        hazard, rung, overdue, users = by_key[(w.hazard_id, w.rung)]
        cases.extend({"hazard_id": hazard.id, "site_id": hazard.site_id, "kind": kind, "status": "proposed",
                      "escalation_id": w.id, "details": {"level": hazard.level, "overdue_working_days": overdue},
                      "created_at": now} for kind in rung.open_cases)
        level = LEVEL_LABELS[HazardLevel(hazard.level)]
        notices.append(Notice(users, f"escalation.{rung.rung}", f"{rung.label}（{hazard.number}）",
                              f"{hazard.site.name}（{level}隐患）：{hazard.description}\n已逾期 {overdue} 个工作日。",
                              hazard.id, f"escalation:{hazard.id}:{rung.rung}"))
        result.escalations.append((hazard.id, rung.rung))
    if cases:
        opened = insert_ignoring_duplicates(EscalationCase, cases, ["hazard_id", "kind"],
                                            [EscalationCase.hazard_id, EscalationCase.kind])
        result.cases.extend((row.hazard_id, row.kind) for row in opened)
    notify_many(notices, new_keys=True)
