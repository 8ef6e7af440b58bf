"""Bulk actions of the overdue tracker: 催办 (remind), 升级 (escalate), approve or refuse extensions.

Each hazard is handled on its own, inside a savepoint: one refusal rolls back that hazard only and
the others go on. Approving and refusing are the workflow's own transitions (hazards.services.
transition); reminding and escalating are checked by policy and recorded in the hazard's timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.bulk import insert_ignoring_duplicates
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import ApiError, Conflict, NotFound, RuleViolation
from hazardloop.escalation.ladder import load_ladder
from hazardloop.escalation.models import Escalation, EscalationCase
from hazardloop.escalation.services import SWEEP_LOCK_KEY
from hazardloop.extensions import db
from hazardloop.hazards import deadlines, services
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import DEADLINE_STATUSES, LEVEL_LABELS, HazardLevel
from hazardloop.notifications.services import notify, recipients_for
from hazardloop.policy import Action

ACTIONS = ("remind", "escalate", "approve_extension", "refuse_extension")
REMIND_GROUPS = ["enterprise", "grid_worker", "responsible_department"]


def _overdue(hazard: Hazard, now: dt.datetime) -> bool:
    return hazard.status in DEADLINE_STATUSES and hazard.deadline_at is not None and hazard.deadline_at < now


def remind_hazard(hazard: Hazard, *, actor: User, note: str | None, now: dt.datetime) -> str | None:
    """催办: tell the enterprise, the grid worker and the responsible department; once per hazard,
    actor and day. Returns a remark when it had already been sent today. Records a ``reminded`` event."""
    policy.authorize(actor, Action.HAZARD_REMIND, hazard)
    if hazard.status not in DEADLINE_STATUSES:
        raise RuleViolation("只有已交办、整改中的隐患可以催办。", code="not_running")
    role = policy.acting_role(actor, Action.HAZARD_REMIND, hazard)
    assert role is not None
    today = now.astimezone(local_zone()).date()
    deadline = hazard.deadline_at.astimezone(local_zone()) if hazard.deadline_at else None
    body = f"{hazard.site.name}：{hazard.description}\n整改期限：{deadline:%Y-%m-%d %H:%M}" if deadline else \
        f"{hazard.site.name}：{hazard.description}"
    if note:
        body += f"\n督办意见：{note}"
    sent = notify(recipients_for(hazard, REMIND_GROUPS), kind="console.remind",
                  title=f"催办：请尽快完成隐患整改（{hazard.number}）", body=body, hazard_id=hazard.id,
                  dedupe_key=f"remind:{hazard.id}:{actor.id}:{today.isoformat()}")
    if not sent:
        return "今日已催办过该隐患。"
    append_event(kind="reminded", hazard=hazard, actor=actor, actor_role=role.value, from_status=hazard.status,
                 to_status=hazard.status, note=note, payload={"recipients": sorted({n.user_id for n in sent})})
    return None


def escalate_hazard(hazard: Hazard, *, actor: User, note: str | None, now: dt.datetime) -> str:
    """Fire the next rung of the escalation ladder for an overdue hazard by hand; returns the rung.

    The rung is recorded like the sweep's (escalations(hazard_id, rung) is unique, so it fires once
    whoever fires it first), with the actor on its ``escalated`` event; the rung's cases are opened
    and its recipients told. Serialized with the deadline sweep on PostgreSQL.
    """
    policy.authorize(actor, Action.HAZARD_ESCALATE, hazard)
    if not _overdue(hazard, now):
        raise RuleViolation("只有已逾期的隐患可以升级。", code="not_overdue")
    role = policy.acting_role(actor, Action.HAZARD_ESCALATE, hazard)
    assert role is not None and hazard.deadline_at is not None
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY})
    ladder = load_ladder(current_app.config.get("ESCALATION_POLICY"))
    fired = set(db.session.scalars(select(Escalation.rung).where(Escalation.hazard_id == hazard.id)))
    rung = next((r for r in ladder.rungs if r.rung not in fired), None)
    if rung is None:
        raise RuleViolation("该隐患已升级到最高一级。", code="ladder_complete")
    overdue = deadlines.working_days_overdue(hazard.deadline_at, now, current_app.config["TIMEZONE"])
    users = recipients_for(hazard, list(rung.notify))
    inserted = insert_ignoring_duplicates(
        Escalation, [{"hazard_id": hazard.id, "rung": rung.rung, "deadline_at": hazard.deadline_at,
                      "overdue_working_days": overdue, "recipients": users, "fired_at": now}],
        ["hazard_id", "rung"], [Escalation.id])
    if not inserted:
        raise Conflict("该级升级刚由他人或定时任务触发。", code="already_escalated")
    event = append_event(kind="escalated", hazard=hazard, actor=actor, actor_role=role.value,
                         from_status=hazard.status, to_status=hazard.status, note=note or rung.label,
                         payload={"rung": rung.rung, "overdue_working_days": overdue, "manual": True,
                                  "deadline": hazard.deadline_at.isoformat(), "recipients": users})
    escalation = db.session.get(Escalation, inserted[0].id)
    assert escalation is not None
    escalation.event_id = event.id
    if rung.open_cases:
        insert_ignoring_duplicates(
            EscalationCase, [{"hazard_id": hazard.id, "site_id": hazard.site_id, "kind": kind, "status": "proposed",
                              "escalation_id": escalation.id, "created_at": now,
                              "details": {"level": hazard.level, "overdue_working_days": overdue}}
                             for kind in rung.open_cases],
            ["hazard_id", "kind"], [EscalationCase.id])
    level = LEVEL_LABELS[HazardLevel(hazard.level)]
    notify(users, kind=f"escalation.{rung.rung}", title=f"{rung.label}（{hazard.number}）",
           body=f"{hazard.site.name}（{level}隐患）：{hazard.description}\n已逾期 {overdue} 个工作日。",
           hazard_id=hazard.id, dedupe_key=f"escalation:{hazard.id}:{rung.rung}")
    db.session.flush()
    return rung.rung


def _one(action: str, hazard_id: int, actor: User, note: str | None, now: dt.datetime) -> dict[str, Any]:
    hazard = db.session.get(Hazard, hazard_id)
    if hazard is None or not policy.can(actor, Action.HAZARD_VIEW, hazard):
        raise NotFound("隐患不存在或不在您的范围内。")
    if action == "remind":
        remark = remind_hazard(hazard, actor=actor, note=note, now=now)
        return {"detail": remark} if remark else {}
    if action == "escalate":
        return {"rung": escalate_hazard(hazard, actor=actor, note=note, now=now)}
    services.transition(hazard, action, actor=actor, payload={"note": note} if note else {})
    return {}


def run_bulk(action: str, hazard_ids: list[int], *, actor: User, note: str | None = None) -> list[dict[str, Any]]:
    """Apply ``action`` to each hazard; one result per id, in order, a failure never stopping the rest."""
    now = utcnow()
    note = (note or "").strip() or None
    results = []
    for hazard_id in dict.fromkeys(hazard_ids):
        savepoint = db.session.begin_nested()
        try:
            extra = _one(action, hazard_id, actor, note, now)
            savepoint.commit()
            results.append({"hazard_id": hazard_id, "ok": True, **extra})
        except ApiError as error:
            savepoint.rollback()
            results.append({"hazard_id": hazard_id, "ok": False, "code": error.code, "detail": error.detail})
        except StaleDataError:
            savepoint.rollback()
            results.append({"hazard_id": hazard_id, "ok": False, "code": "concurrent_update",
                            "detail": "该隐患刚被他人处理，请刷新后重试。"})
    return results
