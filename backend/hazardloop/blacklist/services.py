"""黑名单 rules: taking candidates from the escalation cases, firing steps, the clean period, the list.

Every step goes through ``take_step``: the table in ``blacklist.states`` says where it may start,
``policy`` who may take it, and the step is recorded twice — a ``blacklist_steps`` row (who, when,
note) and an event in the hash-chained audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import exists, func, select, text

from hazardloop import cursors, policy
from hazardloop.accounts.models import User
from hazardloop.blacklist.models import BlacklistCase, BlacklistEntry, BlacklistStep
from hazardloop.blacklist.states import (
    ACTIVE_STATUSES,
    STATUS_LABELS,
    STEPS,
    BlacklistStatus,
    steps_from,
)
from hazardloop.database import get_or_404, local_zone, utcnow
from hazardloop.errors import Conflict, RuleViolation, ValidationFailed
from hazardloop.escalation.models import EscalationCase
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import LEVEL_LABELS, HazardLevel
from hazardloop.policy import Action
from hazardloop.regions.services import is_within
from hazardloop.sites.models import Site
from hazardloop.taxonomy import RegionLevel, Role

DEFAULT_RULES = Path(__file__).resolve().parents[3] / "config" / "blacklist.yaml"
SYNC_LOCK_KEY = 0x626C_6B6C  # "blkl": one PostgreSQL advisory lock for taking candidates in


@dataclass(frozen=True)
class BlacklistRules:
    clean_period_days: int
    restart_on_new_candidate: bool


def parse_rules(data: dict[str, Any]) -> BlacklistRules:
    days = data.get("clean_period_days")
    if not isinstance(days, int) or days < 0:
        raise ValueError("blacklist rules: clean_period_days must be a whole number of days >= 0")
    return BlacklistRules(days, bool(data.get("restart_on_new_candidate", True)))


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> BlacklistRules:
    with open(path, encoding="utf-8") as f:
        return parse_rules(yaml.safe_load(f) or {})


def load_rules() -> BlacklistRules:
    """The rules from BLACKLIST_RULES (or config/blacklist.yaml), re-read when the file changes."""
    file = Path(current_app.config.get("BLACKLIST_RULES") or DEFAULT_RULES)
    return _load(str(file), file.stat().st_mtime)


# --- candidates from the escalation ladder ---------------------------------------------------------

def _case_line(number: str, details: dict[str, Any], level: str) -> str:
    label = LEVEL_LABELS.get(HazardLevel(details.get("level") or level), "")
    days = details.get("overdue_working_days")
    late = f"逾期 {days} 个工作日" if days is not None else "逾期"
    return f"隐患 {number}（{label}隐患）{late}未整改"


def sync_candidates() -> int:
    """Take every 黑名单候选 escalation case not yet in an entry; returns how many were taken.

    A case joins its enterprise's active entry (a published one thereby restarts its clean period),
    or opens a new entry as 候选. Idempotent: a case is taken once (primary key on the case). Flushes.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SYNC_LOCK_KEY})
    rows = db.session.execute(
        select(EscalationCase.id, EscalationCase.site_id, EscalationCase.details, Hazard.number, Hazard.level)
        .join(Hazard, Hazard.id == EscalationCase.hazard_id)
        .where(EscalationCase.kind == "blacklist_candidate",
               ~exists().where(BlacklistCase.case_id == EscalationCase.id))
        .order_by(EscalationCase.id)).all()
    if not rows:
        return 0
    by_site: dict[int, list[Any]] = {}
    for row in rows:
        by_site.setdefault(row.site_id, []).append(row)
    active = {e.site_id: e for e in db.session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.site_id.in_(by_site), BlacklistEntry.status.in_([s.value for s in ACTIVE_STATUSES])))}
    sites = {s.id: s for s in db.session.scalars(select(Site).where(Site.id.in_(by_site)))}
    for site_id, cases in by_site.items():
        lines = [_case_line(c.number, c.details or {}, c.level) for c in cases]
        entry = active.get(site_id)
        if entry is None:
            site = sites[site_id]
            entry = BlacklistEntry(site_id=site_id, status=BlacklistStatus.CANDIDATE.value, enterprise_name=site.name,
                                   credit_code=site.credit_code, reason="；".join(lines))
            db.session.add(entry)
            db.session.flush()
        else:
            entry.reason = "；".join([entry.reason, *lines])
        db.session.add_all(BlacklistCase(case_id=c.id, entry_id=entry.id) for c in cases)
    db.session.flush()
    return len(rows)


# --- the clean period --------------------------------------------------------------------------------

def removable_after(entries: list[BlacklistEntry]) -> dict[int, dt.datetime | None]:
    """When each published entry may be removed (移出): publication, or its latest later candidate, plus the period."""
    rules = load_rules()
    published = [e for e in entries if e.published_at is not None
                 and e.status in (BlacklistStatus.PUBLISHED, BlacklistStatus.OBJECTION)]
    latest: dict[int, dt.datetime] = {}
    if published and rules.restart_on_new_candidate:
        latest = dict(db.session.execute(
            select(BlacklistCase.entry_id, func.max(EscalationCase.created_at))
            .join(EscalationCase, EscalationCase.id == BlacklistCase.case_id)
            .where(BlacklistCase.entry_id.in_([e.id for e in published]))
            .group_by(BlacklistCase.entry_id)).all())
    out: dict[int, dt.datetime | None] = {e.id: None for e in entries}
    for entry in published:
        assert entry.published_at is not None
        start = max(entry.published_at, latest.get(entry.id) or entry.published_at)
        out[entry.id] = start + dt.timedelta(days=rules.clean_period_days)
    return out


# --- steps -------------------------------------------------------------------------------------------

def _district_level(user: User, entry: BlacklistEntry) -> bool:
    """Admin, or a supervisor granted a whole district holding the enterprise (区安委办)."""
    return user.active and any(
        g.role == Role.ADMIN or (g.role == Role.SUPERVISOR and g.region is not None
                                 and g.region.level == RegionLevel.DISTRICT
                                 and is_within(entry.site.grid.path, g.region.path))
        for g in user.grants)


def _context(entry: BlacklistEntry, user: User, now: dt.datetime, after: dt.datetime | None) -> dict[str, Any]:
    zone = local_zone()
    return {"district_level": _district_level(user, entry), "now": now, "removable_after": after,
            "removable_after_label": f"{after.astimezone(zone):%Y-%m-%d %H:%M}" if after else None,
            "clean_period_days": load_rules().clean_period_days}


def allowed_steps(entry: BlacklistEntry, user: User, after: dt.datetime | None, now: dt.datetime | None = None
                  ) -> list[str]:
    """The steps ``user`` may take on ``entry`` now (a step that needs a note still needs one)."""
    ctx = _context(entry, user, now or utcnow(), after)
    return [name for name in steps_from(entry.status)
            if policy.can(user, Action(STEPS[name].permission), entry) and STEPS[name].guard(entry, ctx) is None]


def get_entry(entry_id: int, *, lock: bool = False) -> BlacklistEntry:
    return get_or_404(BlacklistEntry, entry_id, missing="黑名单记录不存在。", lock=lock)


def take_step(entry: BlacklistEntry, step: str, *, actor: User, note: str | None = None,
              client_event_id: str | None = None) -> BlacklistEntry:
    """Take one step of the 黑名单 process: the only way ``BlacklistEntry.status`` changes.

    Raises NotFound (outside scope), Forbidden (role may not), Conflict ``invalid_transition``
    (naming the current state and the steps allowed), RuleViolation ``guard_failed`` (district level,
    clean period, missing note). Records a step row and an audit event; resending the same
    ``client_event_id`` is a no-op.
    """
    if client_event_id:
        done = db.session.scalar(select(BlacklistStep).where(BlacklistStep.client_event_id == client_event_id))
        if done is not None:
            if done.entry_id != entry.id:
                raise Conflict("该操作编号已用于另一条黑名单记录。", code="client_event_id_reused")
            return entry
    spec = STEPS.get(step)
    if spec is None:
        raise ValidationFailed.field("step", f"未知的步骤：{step}")
    permission = Action(spec.permission)
    policy.authorize(actor, permission, entry)
    role = policy.acting_role(actor, permission, entry)
    assert role is not None
    now = utcnow()
    after = removable_after([entry])[entry.id]
    current = BlacklistStatus(entry.status)
    if current not in spec.sources:
        allowed = allowed_steps(entry, actor, after, now)
        raise Conflict(
            f"该记录当前为「{STATUS_LABELS[current]}」，不能执行「{spec.label}」。"
            f"当前可执行：{'、'.join(STEPS[s].label for s in allowed) or '无'}。",
            code="invalid_transition", current_status=current.value, allowed_steps=allowed)
    note = (note or "").strip() or None
    refusal = spec.guard(entry, _context(entry, actor, now, after))
    if refusal is None and spec.needs_note and not note:
        refusal = f"「{spec.label}」须填写意见。"
    if refusal:
        raise RuleViolation(refusal, code="guard_failed")
    entry.status = spec.target.value
    if spec.target == BlacklistStatus.PUBLISHED and entry.published_at is None:
        entry.published_at = now
    if spec.target == BlacklistStatus.REMOVED:
        entry.removed_at = now
    event = append_event(kind=f"blacklist.{step}", actor=actor, actor_role=role.value, from_status=current.value,
                         to_status=entry.status, note=note, client_event_id=client_event_id,
                         payload={"blacklist_entry_id": entry.id, "site_id": entry.site_id,
                                  "enterprise_name": entry.enterprise_name})
    db.session.add(BlacklistStep(entry_id=entry.id, step=step, from_status=current.value, to_status=entry.status,
                                 actor_id=actor.id, actor_role=role.value, at=now, note=note,
                                 client_event_id=client_event_id, audit_event_id=event.id))
    db.session.flush()  # a lost race raises StaleDataError, answered as 409 concurrent_update
    return entry


# --- the list ----------------------------------------------------------------------------------------

def list_query(user: User, status: str | None) -> Any:
    query = select(BlacklistEntry).where(policy.visible(user, BlacklistEntry))
    if status:
        query = query.where(BlacklistEntry.status == status)
    return query


def page(user: User, *, status: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the entries ``user`` may see, newest first, with the total."""
    query = list_query(user, status)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if cursor:
        query = query.where(BlacklistEntry.id < cursors.decode(cursor, lambda v: int(v[0])))
    rows = list(db.session.scalars(query.order_by(BlacklistEntry.id.desc()).limit(limit + 1)))
    next_cursor = cursors.encode([rows[limit - 1].id]) if len(rows) > limit else None
    rows = rows[:limit]
    after = removable_after(rows)
    for entry in rows:
        entry.removable_after = after[entry.id]  # type: ignore[attr-defined]
    return {"items": rows, "next_cursor": next_cursor, "total": total}


def detail(entry: BlacklistEntry, user: User) -> BlacklistEntry:
    """The entry with its steps and the steps ``user`` may take now."""
    after = removable_after([entry])[entry.id]
    entry.removable_after = after  # type: ignore[attr-defined]
    entry.allowed_steps = allowed_steps(entry, user, after)  # type: ignore[attr-defined]
    entry.step_rows = [  # type: ignore[attr-defined]
        {"step": s.step, "label": STEPS[s.step].label, "from_status": s.from_status, "to_status": s.to_status,
         "actor": {"id": s.actor_id, "name": s.actor.display_name}, "actor_role": s.actor_role, "at": s.at,
         "note": s.note}
        for s in db.session.scalars(select(BlacklistStep).where(BlacklistStep.entry_id == entry.id)
                                    .order_by(BlacklistStep.id))]
    return entry
