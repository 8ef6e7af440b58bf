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
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, exists, or_, select, text, update
from sqlalchemy.orm import joinedload, lazyload, load_only

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.bulk import among, insert_ignoring_duplicates, insert_rows
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import Conflict, NotFound, ValidationFailed
from hazardloop.escalation.ladder import Ladder, Reminder, Rung, load_ladder
from hazardloop.escalation.models import DeadlineReminder, Escalation, EscalationCase, ReportEscalation
from hazardloop.extensions import db
from hazardloop.hazards import deadlines
from hazardloop.hazards.events import BatchEvent, append_event, append_events
from hazardloop.hazards.models import AuditChainHead, Hazard
from hazardloop.hazards.states import DEADLINE_STATUSES, LEVEL_LABELS, HazardLevel
from hazardloop.notifications.services import (
    Notice,
    notify_many,
    prefetch_recipients,
    recipients_for,
    report_recipients,
)
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.sites.models import Site

SWEEP_LOCK_KEY = 0x6861_7A65  # "haze": one PostgreSQL advisory lock for the deadline sweep


@dataclass
class SweepResult:
    reminders: list[tuple[int, str]] = field(default_factory=list)
    escalations: list[tuple[int, str]] = field(default_factory=list)
    cases: list[tuple[int, str]] = field(default_factory=list)
    reports: list[tuple[int, str]] = field(default_factory=list)  # (report id, rung) of untriaged 群众举报
    examined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"examined": self.examined, "reminders": len(self.reminders),
                "escalations": len(self.escalations), "cases": len(self.cases),
                "report_escalations": len(self.reports)}


def previous_working_day(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day before ``day`` (``day`` itself for 0)."""
    while count > 0:
        day -= dt.timedelta(days=1)
        count -= deadlines.is_workday(day)[0]
    return day


def _midnight_after(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC)


def overdue_before(now: dt.datetime, working_days: int, zone: ZoneInfo) -> dt.datetime:
    """Deadlines earlier than this instant are overdue by at least ``working_days`` at ``now``.

    The inverse of ``deadlines.working_days_overdue`` (working days counted after the deadline's
    local day, up to today), so the database can select exactly the hazards a rung is due for.
    """
    if working_days == 0:
        return now
    day, counted = now.astimezone(zone).date(), 0
    while counted < working_days:  # walk back until the deadline day has ``working_days`` after it
        counted += deadlines.is_workday(day)[0]
        day -= dt.timedelta(days=1)
    return _midnight_after(day, zone)


def reminder_window_ends(now: dt.datetime, reminders: tuple[Reminder, ...],
                         zone: ZoneInfo) -> list[tuple[Reminder, dt.datetime, dt.datetime]]:
    """For each reminder, the deadlines it is the due one for at ``now``: ``[from, until)``.

    A reminder ``w`` working days ahead is open for deadline days up to the ``w``-th working day
    after today; of the open ones the nearest to the deadline is sent (see ``_due_reminder``).
    """
    today, lower, windows = now.astimezone(zone).date(), now, []
    for reminder in reversed(reminders):  # nearest window first
        last_day = deadlines.add_working_days(today, reminder.working_days_before)[0]
        upper = max(lower, _midnight_after(last_day, zone))
        windows.append((reminder, lower, upper))
        lower = upper
    return windows


def candidates_query(now: dt.datetime, ladder: Ladder, zone: ZoneInfo) -> Any:
    """The open hazards with a running deadline for which a reminder or a rung is due at ``now`` and not yet recorded.

    Exactly those: the calendar is worked out here once (as deadline bounds per rung and reminder),
    and ``NOT EXISTS`` probes of the unique keys leave out what earlier sweeps recorded. The range on
    ``deadline_at`` lets PostgreSQL read ``ix_hazards_status_deadline`` for only the overdue and
    nearly due hazards. Selects only the columns the sweep uses, as plain rows (``DueHazard``): a
    midnight tick reads thousands, and ORM objects cost more than the scan.
    """
    branches = []
    for rung in ladder.rungs:
        fired = exists().where(Escalation.hazard_id == Hazard.id, Escalation.rung == rung.rung)
        due = [and_(Hazard.deadline_at < overdue_before(now, c.overdue_working_days, zone),
                    *([Hazard.level == c.level] if c.level else [])) for c in rung.when]
        branches.append(and_(or_(*due), ~fired))
    bound = now
    for reminder, lower, upper in reminder_window_ends(now, ladder.reminders, zone):
        if upper <= lower:
            continue
        sent = exists().where(DeadlineReminder.hazard_id == Hazard.id, DeadlineReminder.kind == reminder.kind,
                              DeadlineReminder.deadline_at == Hazard.deadline_at)
        branches.append(and_(Hazard.deadline_at >= lower, Hazard.deadline_at < upper, ~sent))
        bound = max(bound, upper)
    if not branches:
        return None
    # A hazard whose ladder reached the top (挂牌督办 proposed) is the supervisors' case now: no lower rung follows.
    top = exists().where(Escalation.hazard_id == Hazard.id, Escalation.rung == ladder.rungs[-1].rung) \
        if ladder.rungs else None
    return (select(*(getattr(Hazard, name) for name in DueHazard.COLUMNS))
            .where(Hazard.status.in_([s.value for s in DEADLINE_STATUSES]),
                   Hazard.deadline_at.is_not(None), Hazard.deadline_at < bound, or_(*branches),
                   *([~top] if top is not None else []))
            .order_by(Hazard.id))


def sweep_deadlines(now: dt.datetime | None = None, *, ladder: Ladder | None = None) -> SweepResult:
    """Send the due reminders and fire the due escalation rungs at ``now``; safe to run any number of times.

    Records ``deadline_reminders``, ``escalations`` (+ an ``escalated`` event each in the hash-chained
    log), ``escalation_cases``, inbox notifications and their outbox deliveries. Flushes; the caller commits.
    """
    now = now or utcnow()
    ladder = ladder or load_ladder(current_app.config.get("ESCALATION_POLICY"))
    _serialize_sweeps()
    zone = local_zone()
    result = SweepResult()
    _escalate_untriaged_reports(now, ladder, result)
    query = candidates_query(now, ladder, zone)
    if query is not None and db.session.get_bind().dialect.name == "postgresql":
        # The scan's cost estimate passes PostgreSQL's JIT threshold, and compiling it took longer (~0.4 s)
        # than running it: a sweep is one short transaction, the setting ends with it.
        db.session.execute(text("SET LOCAL jit = off"))
    hazards = _due_hazards(query) if query is not None else []
    result.examined = len(hazards)
    if not hazards:
        db.session.flush()
        return result
    ids = [h.id for h in hazards]
    # The query already left these out; read again under the sweep lock, the decision stays with the policy.
    fired = {tuple(r) for r in db.session.execute(
        select(Escalation.hazard_id, Escalation.rung).where(among(Escalation.hazard_id, ids)))}
    reminded = {tuple(r) for r in db.session.execute(
        select(DeadlineReminder.hazard_id, DeadlineReminder.kind, DeadlineReminder.deadline_at)
        .where(among(DeadlineReminder.hazard_id, ids)))}
    reminders: list[tuple[DueHazard, Reminder]] = []
    rungs: list[tuple[DueHazard, Rung, int]] = []
    # Both depend on the deadline's local day only (and ``now``); thousands of hazards share a few days.
    due_reminder: dict[dt.date, Reminder | None] = {}
    days_overdue: dict[dt.date, int] = {}
    for hazard in hazards:
        deadline = hazard.deadline_at
        assert deadline is not None
        day = deadline.astimezone(zone).date()
        if now <= deadline:
            if day not in due_reminder:
                due_reminder[day] = _due_reminder(ladder.reminders, deadline, now, zone)
            reminder = due_reminder[day]
            if reminder and (hazard.id, reminder.kind, deadline) not in reminded:
                reminders.append((hazard, reminder))
            continue
        if day not in days_overdue:
            days_overdue[day] = deadlines.working_days_overdue(deadline, now, current_app.config["TIMEZONE"])
        overdue = days_overdue[day]
        rungs.extend((hazard, rung, overdue) for rung in ladder.rungs
                     if (hazard.id, rung.rung) not in fired and rung.due(hazard.level, overdue))
    cache: dict[Any, list[int]] = {}
    groups = {g for _, r in reminders for g in r.notify} | {g for _, r, _ in rungs for g in r.notify}
    prefetch_recipients(list({h.id: h for h, *_ in [*reminders, *rungs]}.values()), sorted(groups), cache)
    _send_reminders(reminders, now, cache, result)
    _fire_rungs(rungs, now, cache, result)
    db.session.flush()
    return result


@dataclass(frozen=True, slots=True)
class DueHazard:
    """What the sweep reads of a candidate hazard: plain column values and its site (with its grid)."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "number", "site_id", "level", "status", "deadline_at",
                                          "department_id", "description")
    id: int
    number: str
    site_id: int
    level: str
    status: str
    deadline_at: dt.datetime
    department_id: int | None
    description: str
    site: Site


def _due_hazards(query: Any) -> list[DueHazard]:
    """Run the candidate query; the few sites (and grids) the hazards lie in are loaded once each."""
    rows = db.session.execute(query).all()
    sites = {site.id: site for site in db.session.scalars(
        select(Site).options(load_only(Site.id, Site.name, Site.grid_id),
                             joinedload(Site.grid).load_only(Region.id, Region.path, Region.level),
                             lazyload(Site.registered_by))
        .where(among(Site.id, {row.site_id for row in rows})))}
    return [DueHazard(*row, site=sites[row.site_id]) for row in rows]


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
    return f"{instant.astimezone(local_zone()):%Y-%m-%d %H:%M}"


def _send_reminders(due: list[tuple[DueHazard, Reminder]], now: dt.datetime, cache: dict[Any, list[int]],
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


def _fire_rungs(due: list[tuple[DueHazard, Rung, int]], now: dt.datetime, cache: dict[Any, list[int]],
                result: SweepResult) -> None:
    """Insert the due rungs (the unique (hazard_id, rung) lets each fire once), then their events,
    cases and notices, all in a few statements however many fire."""
    if not due:
        return
    by_key = {(h.id, r.rung): (h, r, overdue, recipients_for(h, list(r.notify), cache)) for h, r, overdue in due}
    fired = list(by_key.values())
    events = append_events([
        BatchEvent(hazard=hazard, kind="escalated", note=rung.label,
                   payload={"rung": rung.rung, "overdue_working_days": overdue,
                            "deadline": hazard.deadline_at.isoformat(),  # type: ignore[union-attr]
                            "recipients": users})
        for hazard, rung, overdue, users in fired])
    # In the same transaction as the events: the unique (hazard_id, rung) fails the whole sweep rather
    # than let a rung fire twice (sweeps are serialized and ``fired`` was read under that lock, so a
    # duplicate here means a sweep bypassed the lock).
    rows = [{"hazard_id": h.id, "rung": r.rung, "deadline_at": h.deadline_at, "overdue_working_days": overdue,
             "recipients": users, "event_id": event_id, "fired_at": now}
            for (h, r, overdue, users), event_id in zip(fired, events, strict=True)]
    ids = insert_rows(Escalation, rows)
    won = [SimpleNamespace(id=i, hazard_id=row["hazard_id"], rung=row["rung"])
           for i, row in zip(ids, rows, strict=True)]
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


def _escalate_untriaged_reports(now: dt.datetime, ladder: Ladder, result: SweepResult) -> None:
    """群众举报 past their triage deadline climb ``report_rungs`` like an overdue hazard, each rung once.

    The unique (report_id, rung) skips a rung another sweep recorded; only the rows this sweep
    inserted are notified.
    """
    from hazardloop.public.services import domain_label, untriaged_overdue

    if not ladder.report_rungs:
        return
    reports = untriaged_overdue(now)
    if not reports:
        return
    fired = {tuple(r) for r in db.session.execute(select(ReportEscalation.report_id, ReportEscalation.rung)
                                                  .where(among(ReportEscalation.report_id, [r.id for r in reports])))}
    tz = current_app.config["TIMEZONE"]
    cache: dict[Any, list[int]] = {}
    due = []
    for report in reports:
        overdue = deadlines.working_days_overdue(report.triage_due_at, now, tz)
        due.extend((report, rung, overdue, report_recipients(report.region, list(rung.notify), cache))
                   for rung in ladder.report_rungs
                   if (report.id, rung.rung) not in fired and rung.due("general", overdue))
    if not due:
        return
    rows = [{"report_id": report.id, "rung": rung.rung, "triage_due_at": report.triage_due_at,
             "overdue_working_days": overdue, "recipients": users, "fired_at": now}
            for report, rung, overdue, users in due]
    inserted = {(row.report_id, row.rung) for row in insert_ignoring_duplicates(
        ReportEscalation, rows, ["report_id", "rung"], [ReportEscalation.report_id, ReportEscalation.rung])}
    notices = []
    for report, rung, overdue, users in due:
        if (report.id, rung.rung) not in inserted:
            continue
        notices.append(Notice(users, f"report.{rung.rung}", f"{rung.label}（举报 {report.public_id}）",
                              f"{domain_label(report.category)}：{report.description[:200]}\n"
                              f"受理期限：{_local(report.triage_due_at)}，已逾期 {overdue} 个工作日。",
                              None, f"report:{report.id}:{rung.rung}"))
        result.reports.append((report.id, rung.rung))
    notify_many(notices)


# --- 挂牌督办建议: the top rung's proposals, decided by a supervisor ------------------------------

PROPOSAL = "supervision_proposal"
PROPOSAL_DISMISSED = "supervision_dismissed"  # the event kind of a dismissal (an acceptance is list_supervision)


def proposal_query(actor: User, status: str | None = None) -> Any:
    """挂牌督办建议 the actor may decide (supervisors and admins, in scope), open ones first, oldest first."""
    query = (select(EscalationCase).join(Hazard, Hazard.id == EscalationCase.hazard_id)
             .options(joinedload(EscalationCase.hazard).joinedload(Hazard.site))
             .where(EscalationCase.kind == PROPOSAL, policy.visible(actor, Hazard, Action.HAZARD_ESCALATE)))
    if status:
        query = query.where(EscalationCase.status == status)
    return query.order_by((EscalationCase.status != "proposed"), EscalationCase.created_at, EscalationCase.id)


def get_proposal(case_id: int, actor: User) -> EscalationCase:
    """One proposal in the actor's reach; NotFound otherwise (out of scope reads as absent)."""
    case = db.session.get(EscalationCase, case_id)
    if case is None or case.kind != PROPOSAL or not policy.can(actor, Action.HAZARD_ESCALATE, case.hazard):
        raise NotFound("督办建议不存在。")
    return case


def _claim(case: EscalationCase, actor: User, status: str, note: str | None) -> None:
    """Decide the case once: a conditional UPDATE, so of two officials deciding at once one wins and
    the other gets Conflict ``proposal_already_decided`` (on SQLite and PostgreSQL alike)."""
    won = db.session.execute(
        update(EscalationCase).where(EscalationCase.id == case.id, EscalationCase.status == "proposed")
        .values(status=status, decided_at=utcnow(), decided_by_id=actor.id, decision_note=note)
        .execution_options(synchronize_session=False)).rowcount
    if not won:
        db.session.refresh(case)
        label = "已采纳" if case.status == "accepted" else "已不予督办"
        raise Conflict(f"该督办建议{label}，无需重复处理。", code="proposal_already_decided",
                       current_status=case.status)
    db.session.refresh(case)


def accept_proposal(case: EscalationCase, *, actor: User, authority: str, deadline: dt.date,
                    requirements: str) -> Hazard:
    """采纳: list the hazard for 挂牌督办 through the workflow (``list_supervision``, its event in the chain).

    Raises Conflict ``proposal_already_decided`` and whatever the transition refuses (role, state,
    level, already listed); on a refusal nothing is recorded.
    """
    from hazardloop.hazards.services import get_hazard, transition

    hazard = get_hazard(case.hazard_id, lock=True)
    _claim(case, actor, "accepted", None)
    transition(hazard, "list_supervision", actor=actor, payload={
        "authority": authority, "deadline": deadline.isoformat(), "requirements": requirements,
        "note": "采纳逾期升级提出的挂牌督办建议"})
    return hazard


def dismiss_proposal(case: EscalationCase, *, actor: User, reason: str) -> EscalationCase:
    """不予督办 with a reason, recorded as a ``supervision_dismissed`` event in the hazard's chain.

    Raises ValidationFailed without a reason and Conflict ``proposal_already_decided``.
    """
    from hazardloop.hazards.services import get_hazard

    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed.field("reason", "请写明不予督办的理由。", "required")
    hazard = get_hazard(case.hazard_id, lock=True)
    role = policy.acting_role(actor, Action.HAZARD_ESCALATE, hazard)
    if role is None:
        raise NotFound("督办建议不存在。")
    _claim(case, actor, "dismissed", reason)
    append_event(kind=PROPOSAL_DISMISSED, hazard=hazard, actor=actor, actor_role=role.value,
                 from_status=hazard.status, to_status=hazard.status, note=reason,
                 payload={"case_id": case.id, "escalation_id": case.escalation_id})
    return case


def acceptable(case: EscalationCase, actor: User) -> tuple[bool, str | None]:
    """Whether ``actor`` may accept the proposal now, else why not: the workflow's own rule for 挂牌督办
    (hazards.actions: role, scope, state, level, not yet listed), so the button shows exactly when the
    step would pass."""
    if case.status != "proposed":
        return False, None
    from hazardloop.hazards.actions import OfferedAction, judge

    verdict, _ = judge(actor, case.hazard, "list_supervision")
    if isinstance(verdict, OfferedAction):
        return verdict.blocked_reason is None, verdict.blocked_reason
    return False, verdict.detail
