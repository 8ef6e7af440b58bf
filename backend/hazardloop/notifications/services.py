"""Who is told about a hazard, the inbox (list, unread count, mark read), and delivery on each channel."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, update

from hazardloop.accounts.models import RoleGrant, User
from hazardloop.bulk import insert_ignoring_duplicates, insert_rows
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.notifications import deliveries
from hazardloop.notifications.channels import robot_address_problem
from hazardloop.notifications.deliveries import record_pending
from hazardloop.notifications.models import ChannelPreference, Notification
from hazardloop.notifications.push import queue_push
from hazardloop.outbox.services import enqueue_after_commit, enqueue_many_after_commit
from hazardloop.regions.models import Region
from hazardloop.taxonomy import RegionLevel, Role

# --- recipients ----------------------------------------------------------------------------------

RECIPIENT_GROUPS = ("enterprise", "grid_worker", "street_supervisor", "district_office", "responsible_department")
# Around a 群众举报, which has a region (its grid, or the district) but no site or department yet.
REPORT_RECIPIENT_GROUPS = ("report_triagers", "street_supervisor", "district_office")


def _group_clause(group: str, hazard: Hazard) -> Any:
    grid: Region = hazard.site.grid
    above = grid.ancestor_ids
    if group == "enterprise":
        return (RoleGrant.role == Role.ENTERPRISE_USER.value) & (RoleGrant.site_id == hazard.site_id)
    if group == "grid_worker":
        return (RoleGrant.role == Role.GRID_WORKER.value) & (RoleGrant.region_id == grid.id)
    if group in ("street_supervisor", "district_office"):
        levels = ([RegionLevel.STREET.value, RegionLevel.PARK.value] if group == "street_supervisor"
                  else [RegionLevel.DISTRICT.value])
        return (RoleGrant.role == Role.SUPERVISOR.value) & RoleGrant.region_id.in_(
            select(Region.id).where(Region.id.in_(above), Region.level.in_(levels)))
    if group == "responsible_department":
        if hazard.department_id is None:
            return RoleGrant.id.is_(None)
        return (RoleGrant.role == Role.INSPECTOR.value) & (RoleGrant.department_id == hazard.department_id)
    raise ValueError(f"unknown recipient group: {group}")


def recipients_for(hazard: Hazard, groups: list[str], cache: dict[Any, list[int]] | None = None) -> list[int]:
    """Ids of the active users in the named groups around ``hazard`` (sorted, without repeats)."""
    ids: set[int] = set()
    for group in groups:
        key = (group, hazard.site_id, hazard.department_id)
        if cache is not None and key in cache:
            ids.update(cache[key])
            continue
        found = list(db.session.scalars(
            select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
            .where(_group_clause(group, hazard), User.active.is_(True))).unique())
        if cache is not None:
            cache[key] = found
        ids.update(found)
    return sorted(ids)


def prefetch_recipients(hazards: list[Hazard], groups: list[str], cache: dict[Any, list[int]]) -> None:
    """Fill ``cache`` for ``recipients_for`` for every hazard and group with one query (the sweep's path)."""
    if not hazards:
        return
    sites = {h.site_id for h in hazards}
    grids = {h.site.grid.id for h in hazards}
    above = {a for h in hazards for a in h.site.grid.ancestor_ids}
    departments = {h.department_id for h in hazards if h.department_id is not None}
    grants = db.session.execute(
        select(RoleGrant.user_id, RoleGrant.role, RoleGrant.region_id, RoleGrant.site_id, RoleGrant.department_id,
               Region.level)
        .join(User, User.id == RoleGrant.user_id).outerjoin(Region, Region.id == RoleGrant.region_id)
        .where(User.active.is_(True),
               ((RoleGrant.role == Role.ENTERPRISE_USER.value) & RoleGrant.site_id.in_(sites))
               | ((RoleGrant.role == Role.GRID_WORKER.value) & RoleGrant.region_id.in_(grids))
               | ((RoleGrant.role == Role.SUPERVISOR.value) & RoleGrant.region_id.in_(above))
               | ((RoleGrant.role == Role.INSPECTOR.value) & RoleGrant.department_id.in_(departments)))).all()
    # Recipients depend on the site (and its grid) and the department only: match once per pair,
    # against the grants bucketed by what each group is keyed on.
    by_key: dict[tuple[str, Any], list[Any]] = {}
    for g in grants:
        if g.role == Role.ENTERPRISE_USER.value:
            by_key.setdefault(("enterprise", g.site_id), []).append(g)
        elif g.role == Role.GRID_WORKER.value:
            by_key.setdefault(("grid_worker", g.region_id), []).append(g)
        elif g.role == Role.SUPERVISOR.value:
            group = "street_supervisor" if g.level in _STREET_LEVELS else "district_office" \
                if g.level == RegionLevel.DISTRICT.value else None
            if group:
                by_key.setdefault((group, g.region_id), []).append(g)
        elif g.role == Role.INSPECTOR.value:
            by_key.setdefault(("responsible_department", g.department_id), []).append(g)
    places = {(h.site_id, h.department_id): h for h in hazards}
    for (site_id, department_id), hazard in places.items():
        grid = hazard.site.grid
        keyed_on = {"enterprise": [site_id], "grid_worker": [grid.id], "street_supervisor": grid.ancestor_ids,
                    "district_office": grid.ancestor_ids,
                    "responsible_department": [department_id] if department_id is not None else []}
        for group in groups:
            key = (group, site_id, department_id)
            if key not in cache:
                cache[key] = sorted({g.user_id for k in keyed_on[group] for g in by_key.get((group, k), [])})


_STREET_LEVELS = (RegionLevel.STREET.value, RegionLevel.PARK.value)


def report_recipients(region: Region, groups: list[str], cache: dict[Any, list[int]] | None = None) -> list[int]:
    """Ids of the active supervisors in the named groups above a 群众举报's region (sorted, without repeats).

    ``report_triagers``: those of the street or park it lies in, else of the district (who triage it).
    """
    cache = {} if cache is None else cache
    key = ("report", region.id)
    if key not in cache:
        cache[key] = [tuple(row) for row in db.session.execute(
            select(RoleGrant.user_id, Region.level).join(User, User.id == RoleGrant.user_id)
            .join(Region, Region.id == RoleGrant.region_id)
            .where(User.active.is_(True), RoleGrant.role == Role.SUPERVISOR.value,
                   RoleGrant.region_id.in_(region.ancestor_ids)))]
    supervisors: list[tuple[int, str]] = cache[key]  # type: ignore[assignment]
    street = {u for u, level in supervisors if level in _STREET_LEVELS}
    district = {u for u, level in supervisors if level == RegionLevel.DISTRICT.value}
    ids: set[int] = set()
    for group in groups:
        if group == "report_triagers":
            ids |= street or district
        elif group == "street_supervisor":
            ids |= street
        elif group == "district_office":
            ids |= district
        else:
            raise ValueError(f"unknown recipient group for a report: {group}")
    return sorted(ids)


# --- writing notifications -----------------------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    """One message for some users; ``dedupe_key`` (made per user) makes writing it again a no-op."""

    user_ids: list[int]
    kind: str
    title: str
    body: str
    hazard_id: int | None
    dedupe_key: str


def notify(user_ids: list[int], *, kind: str, title: str, body: str, hazard_id: int | None,
           dedupe_key: str) -> list[Notification]:
    """Put a message in each user's inbox and queue it on the channels they chose for ``kind``.

    Idempotent by ``dedupe_key`` (per user). Records notifications and outbox messages.
    """
    ids = notify_many([Notice(user_ids, kind, title, body, hazard_id, dedupe_key)])
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)))


def notify_many(notices: list[Notice], *, new_keys: bool = False) -> list[int]:
    """``notify`` for many notices in a few statements; returns the new notifications' ids.

    ``new_keys``: the caller guarantees the dedupe keys are new (the sweep, under its lock, for rungs it
    has just inserted), so the rows — and their deliveries and outbox messages, whose keys name the new
    notifications — go in the fast way (COPY on PostgreSQL) and a duplicate raises instead of being skipped.
    """
    now = utcnow()
    rows = [{"user_id": uid, "kind": n.kind, "title": n.title, "body": n.body, "hazard_id": n.hazard_id,
             "dedupe_key": f"{n.dedupe_key}:u{uid}"[:200], "created_at": now}
            for n in notices for uid in n.user_ids]
    if not rows:
        return []
    if new_keys:
        created = [SimpleNamespace(id=i, user_id=row["user_id"], kind=row["kind"], title=row["title"])
                   for i, row in zip(insert_rows(Notification, rows), rows, strict=True)]
    else:
        created = insert_ignoring_duplicates(Notification, rows, ["dedupe_key"],
                                             [Notification.id, Notification.user_id, Notification.kind,
                                              Notification.title])
    if not created:
        return []
    preferences = list(db.session.scalars(select(ChannelPreference).where(
        ChannelPreference.user_id.in_({c.user_id for c in created}))))
    preferences = [p for p in preferences if p.enabled] + role_default_preferences(
        {c.user_id for c in created} - {p.user_id for p in preferences})
    by_user: dict[int, list[Any]] = {}
    for p in preferences:
        by_user.setdefault(p.user_id, []).append(p)
    # Keyed by the dedupe key: two preferences covering one kind still make one delivery per address.
    deliveries = list({f"deliver:{c.id}:{p.channel}:{p.address}"[:200]: (
        "notification.deliver", {"notification_id": c.id, "channel": p.channel, "address": p.address},
        f"deliver:{c.id}:{p.channel}:{p.address}"[:200])
        for c in created for p in by_user.get(c.user_id, ()) if kind_matches(p.event_kind, c.kind)}.values())
    if deliveries:
        enqueue_many_after_commit(deliveries, new_keys=new_keys)
        titles = {c.id: c.title for c in created}
        kinds = {c.id: c.kind for c in created}
        record_pending([{"notification_id": p["notification_id"], "channel": p["channel"], "address": p["address"],
                         "kind": kinds[p["notification_id"]], "title": titles[p["notification_id"]][:200]}
                        for _, p, _ in deliveries], new_keys=new_keys)  # 待发送 in the delivery list from now on
    queue_push(created)
    return [c.id for c in created]


# --- channel defaults per role ---------------------------------------------------------------------

# What a user who has chosen no channels yet gets by SMS to the account's mobile: an enterprise its
# 交办, deadline reminders, 复查 results, extension and 治理方案 decisions; staff the escalation rungs.
ROLE_DEFAULTS: dict[str, tuple[str, ...]] = {
    Role.ENTERPRISE_USER.value: ("hazard.assign", "reminder.*", "hazard.verify_fail", "hazard.verify_pass",
                                 "hazard.approve_extension", "hazard.refuse_extension",
                                 "hazard.return_governance_plan", "console.remind"),
    Role.SUPERVISOR.value: ("escalation.*", "report.*", "hazard.request_extension"),
    Role.INSPECTOR.value: ("escalation.*",),
    Role.GRID_WORKER.value: ("hazard.submit_rectification", "escalation.*"),
}


def kind_matches(chosen: str, kind: str) -> bool:
    """Whether a preference's event kind covers ``kind``: equal, '*' for all, or 'reminder.*' for a family."""
    return chosen in (kind, "*") or (chosen.endswith(".*") and kind.startswith(chosen[:-1]))


def role_default_preferences(user_ids: set[int]) -> list[SimpleNamespace]:
    """The role defaults (SMS to the account mobile, unsaved) of those users, who have no stored preference."""
    from flask import current_app

    if not user_ids or not current_app.config.get("NOTIFY_ROLE_DEFAULTS", True):
        return []
    rows = db.session.execute(select(User.id, User.mobile, RoleGrant.role).join(
        RoleGrant, RoleGrant.user_id == User.id).where(User.id.in_(user_ids), User.active.is_(True))).all()
    kinds: dict[tuple[int, str], set[str]] = {}
    for user_id, mobile, role in rows:
        kinds.setdefault((user_id, mobile), set()).update(ROLE_DEFAULTS.get(role, ()))
    return [SimpleNamespace(id=None, user_id=user_id, channel="sms", address=mobile, event_kind=kind, enabled=True)
            for (user_id, mobile), chosen in sorted(kinds.items()) for kind in sorted(chosen)]


def effective_preferences(user: User) -> list[Any]:
    """The user's stored channel preferences, or the role defaults while none are stored."""
    stored = list(db.session.scalars(select(ChannelPreference).where(ChannelPreference.user_id == user.id)
                                     .order_by(ChannelPreference.id)))
    return stored or role_default_preferences({user.id})


TRANSITION_NOTICES: dict[str, tuple[list[str], str]] = {
    "assign": (["enterprise", "grid_worker"], "隐患已交办，请按期整改"),
    "verify_fail": (["enterprise"], "复查不通过，请继续整改"),
    "verify_pass": (["enterprise", "grid_worker"], "隐患复查通过，已销号"),
    "request_extension": (["street_supervisor"], "企业申请延期，待审批"),
    "approve_extension": (["enterprise"], "延期申请已同意"),
    "refuse_extension": (["enterprise"], "延期申请未同意"),
    "submit_rectification": (["grid_worker"], "企业已报告整改完成，待复查"),
    "return_governance_plan": (["enterprise"], "治理方案被退回，请按意见修改后重新提交"),
    "approve_governance_plan": (["enterprise"], "治理方案已批准，请按方案整改"),
}


def notify_transition(hazard_id: int, action: str, event_hash: str) -> None:
    """Outbox handler for ``hazard.transitioned``: tell the parties, and signed webhooks to subscribers."""
    from hazardloop.notifications.webhooks import subscribers_for

    hazard = db.session.get(Hazard, hazard_id)
    if hazard is None:
        return
    if action in TRANSITION_NOTICES:
        groups, title = TRANSITION_NOTICES[action]
        if action == "request_extension" and hazard.extension_after_deadline:
            title += "（整改期限届满后申请）"  # the supervisor deciding must see it at once
        local = hazard.deadline_at.astimezone(local_zone()) if hazard.deadline_at else None
        deadline = f"{local.year}年{local.month}月{local.day}日" if local else "—"
        notify(recipients_for(hazard, groups), kind=f"hazard.{action}", title=f"{title}（{hazard.number}）",
               body=f"{hazard.site.name}：{hazard.description}\n整改期限：{deadline}", hazard_id=hazard.id,
               dedupe_key=f"transition:{event_hash}")
    if hazard.status == "closed":
        from hazardloop.notifications.reporters import tell_reporters_of_closed_hazard

        tell_reporters_of_closed_hazard(hazard)
    body = {"type": "hazard.transitioned", "hazard_id": hazard.id, "number": hazard.number, "action": action,
            "status": hazard.status, "level": hazard.level, "event_hash": event_hash,
            "deadline_at": hazard.deadline_at.isoformat() if hazard.deadline_at else None}
    for subscription in subscribers_for("hazard.transitioned"):
        enqueue_after_commit("webhook.deliver", {"subscription_id": subscription.id, "event_id": event_hash,
                                                 "body": body},
                             dedupe_key=f"webhook:{subscription.id}:{event_hash}")


def deliver_notification(notification_id: int, channel: str, address: str) -> None:
    """Outbox handler: send one notification on one channel (its delivery row says whether it went, waits for
    quiet hours or a rate limit, or was refused; a row not 待发送 is never sent again)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        return
    deliveries.send(deliveries.for_notice(notification, channel, address))


def template_values(notification: Notification) -> dict[str, str]:
    """What an SMS template may name besides the title: the hazard's number and deadline (local date)."""
    hazard = db.session.get(Hazard, notification.hazard_id) if notification.hazard_id else None
    if hazard is None:
        return {}
    deadline = hazard.deadline_at.astimezone(local_zone()) if hazard.deadline_at else None
    return {"number": hazard.number, "deadline": f"{deadline.month}月{deadline.day}日" if deadline else ""}


# --- the inbox -----------------------------------------------------------------------------------

def inbox(user: User, *, unread_only: bool = False) -> Any:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def unread_count(user: User) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0)


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; NotFound for anyone else's."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("消息不存在。")
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


ROBOT_CHANNELS = frozenset({"wecom", "dingtalk"})


def set_preference(user: User, *, channel: str, address: str, event_kind: str = "*",
                   enabled: bool = True) -> ChannelPreference:
    """Set one channel for one event kind; raises ValidationFailed (``address_refused``) for a robot address
    that is not https on an allowed host (ROBOT_HOSTS)."""
    if channel in ROBOT_CHANNELS and (problem := robot_address_problem(address)):
        raise ValidationFailed([{"field": "address", "message": problem, "code": "address_refused"}],
                               detail=problem, code="address_refused")
    pref = db.session.scalar(select(ChannelPreference).where(
        ChannelPreference.user_id == user.id, ChannelPreference.event_kind == event_kind,
        ChannelPreference.channel == channel))
    if pref is None:
        pref = ChannelPreference(user_id=user.id, event_kind=event_kind, channel=channel)
        db.session.add(pref)
    pref.address, pref.enabled = address, enabled
    db.session.flush()
    return pref
