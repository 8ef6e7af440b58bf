"""通报 (circulars): drafted per street, department or district and period, reviewed, published, archived.

A draft stores the figures of ``circulars.figures`` as they were when it was drafted — the
same queries as GET /api/v1/hazards, so its totals equal the list for the same scope and period.
Scheduled drafts (weekly, monthly) are read as the whole district sees it and are unique per
scope and period (``schedule_key``); a supervisor's on-demand draft is read within their own scope.
Publishing goes through ``publish_circular``, which records the ``reported`` event
on every hazard the circular names (its overdue list and 重大/挂牌督办 items).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from hazardloop import cursors, policy
from hazardloop.accounts.models import User
from hazardloop.canonical import jsonable
from hazardloop.circulars.figures import compute, present
from hazardloop.circulars.models import Circular
from hazardloop.database import get_or_404, local_zone, utcnow
from hazardloop.errors import Conflict, NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.services import is_overdue
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.taxonomy import RegionLevel, Role

SCOPE_KINDS = ("street", "department", "district")
PERIOD_KINDS = ("week", "month", "custom")
STREET_LEVELS = (RegionLevel.STREET.value, RegionLevel.PARK.value)

# The reader of scheduled drafts: the whole district, as an administrator sees it; the scope narrows it.
WHOLE_DISTRICT: Any = SimpleNamespace(id=None, active=True, grants=(SimpleNamespace(role=Role.ADMIN.value),))


@dataclass(frozen=True)
class Scope:
    kind: str
    region: Region
    department: Department | None

    @property
    def name(self) -> str:
        return self.department.name if self.department else self.region.name


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    title: str


def period_bounds(kind: str, day: dt.date) -> tuple[dt.datetime, dt.datetime, str]:
    """The local week (Monday–Sunday) or month holding ``day``, as UTC instants [start, end), and its title."""
    zone = local_zone()
    if kind == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=7)
        title = f"{first.isocalendar().year}年第{first.isocalendar().week}周"
    elif kind == "month":
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1)
        title = f"{first.year}年{first.month}月"
    else:
        raise ValidationFailed.field("period", "周期应为 week 或 month。")

    def start(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    return start(first), start(last), title


def resolve_scope(kind: str, region_id: int | None, department_id: int | None) -> Scope:
    """The street, department or district a circular covers; ValidationFailed naming the missing field."""
    if kind == "department":
        department = db.session.get(Department, department_id) if department_id else None
        if department is None:
            raise ValidationFailed.field("department_id", "请选择责任部门。")
        return Scope(kind, department.region, department)
    region = db.session.get(Region, region_id) if region_id else None
    if region is None:
        raise ValidationFailed.field("region_id", "请选择街道或区。")
    wanted = STREET_LEVELS if kind == "street" else (RegionLevel.DISTRICT.value,)
    if region.level not in wanted:
        raise ValidationFailed.field("region_id", "街道通报请选择街道（园区），区级通报请选择区。")
    return Scope(kind, region, None)


def resolve_period(kind: str, start: dt.date | None, end: dt.date | None) -> Period:
    """The local week or month holding ``start`` (default today), or the days ``start``–``end`` inclusive."""
    zone = local_zone()
    if kind in ("week", "month"):
        begin, finish, title = period_bounds(kind, start or utcnow().astimezone(zone).date())
        return Period(kind, begin, finish, title)
    if start is None or end is None or end < start:
        raise ValidationFailed.field("end", "自定义周期需要开始和结束日期，且结束不早于开始。")

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    title = f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日"
    return Period(kind, midnight(start), midnight(end + dt.timedelta(days=1)), title)


def build_draft(scope: Scope, period: Period, *, reader: Any, actor: User | None,
                schedule_key: str | None = None) -> Circular:
    """A new draft with the figures as ``reader`` sees them now (added to the session, flushed)."""
    content = jsonable(compute(reader, region_id=None if scope.department else scope.region.id,
                                department_id=scope.department.id if scope.department else None,
                                start=period.start, end=period.end))
    content["scope_name"] = scope.name
    content["period_title"] = period.title
    named = list(dict.fromkeys(h["id"] for h in (*content["overdue"], *content["major"], *content["supervised"])))
    circular = Circular(
        title=f"{scope.name}{period.title}安全隐患排查治理情况通报", status="draft", scope_kind=scope.kind,
        region_id=scope.region.id, region=scope.region, department_id=scope.department.id if scope.department
        else None, period_kind=period.kind, period_start=period.start, period_end=period.end, content=content,
        hazard_ids=named, version=1, created_by_id=actor.id if actor else None, created_at=utcnow(),
        schedule_key=schedule_key)
    db.session.add(circular)
    db.session.flush()
    return circular


def create_draft(actor: User, *, scope_kind: str, region_id: int | None, department_id: int | None,
                 period_kind: str, start: dt.date | None, end: dt.date | None) -> Circular:
    """On demand: a draft for a scope the actor may manage circulars in, read within the actor's own sight.

    Raises ValidationFailed (scope or period), NotFound/Forbidden (policy). Records a ``circulars`` row.
    """
    scope = resolve_scope(scope_kind, region_id, department_id)
    probe = Circular(region=scope.region, region_id=scope.region.id,
                     department_id=scope.department.id if scope.department else None)
    policy.authorize(actor, Action.CIRCULAR_MANAGE, probe)
    return build_draft(scope, resolve_period(period_kind, start, end), reader=actor, actor=actor)


def preview_draft(reader: User, *, period: str, day: dt.date, region_id: int | None = None,
                  department_id: int | None = None) -> Circular:
    """GET /circular-drafts: an unsaved draft for ``reader``'s sight narrowed to a region or department.

    Raises ValidationFailed for an unknown period. Records nothing (it is never added to the session).
    """
    start, end, period_title = period_bounds(period, day)
    region = db.session.get(Region, region_id) if region_id else None
    department = db.session.get(Department, department_id) if department_id else None
    scope_name = region.name if region else department.name if department else "全部"
    content = jsonable(compute(reader, region_id=region_id, department_id=department_id, start=start, end=end))
    content.update(scope_name=scope_name, period_title=period_title)
    return Circular(title=f"{scope_name}{period_title}安全隐患排查治理情况通报（草稿）", status="draft",
                    period_kind=period, period_start=start, period_end=end, content=content,
                    created_at=utcnow())


def draft_view(draft: Circular) -> dict[str, Any]:
    """What GET /circular-drafts answers for an unsaved draft: its content, figures and totals."""
    content = draft.content or {}
    return {**content, "title": draft.title, "period": draft.period_kind, "found_from": draft.period_start,
            "found_to": draft.period_end, "generated_at": dt.datetime.fromisoformat(content["generated_at"]),
            "totals": totals_of(draft), "figures": present(content)}


def scheduled_scopes() -> list[Scope]:
    """Every street (and park) and every department: who gets a weekly and a monthly circular."""
    streets = db.session.scalars(select(Region).where(Region.level.in_(STREET_LEVELS)).order_by(Region.id)).all()
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    return [Scope("street", r, None) for r in streets] + [Scope("department", d.region, d) for d in departments]


def draft_periodic(kind: str, day: dt.date) -> int:
    """The weekly or monthly drafts for the period before the one holding ``day``; returns how many are new.

    Safe to run twice at once: ``schedule_key`` is unique, and a draft another run made first is skipped.
    """
    previous = day - dt.timedelta(days=7) if kind == "week" else day.replace(day=1) - dt.timedelta(days=1)
    period = resolve_period(kind, previous, None)
    made = 0
    for scope in scheduled_scopes():
        target = scope.department.id if scope.department else scope.region.id
        key = f"{kind}:{period.start.date().isoformat()}:{scope.kind}:{target}"
        if db.session.scalar(select(Circular.id).where(Circular.schedule_key == key)) is not None:
            continue
        try:
            with db.session.begin_nested():
                build_draft(scope, period, reader=WHOLE_DISTRICT, actor=None, schedule_key=key)
            made += 1
        except IntegrityError:
            continue  # another scheduler made it meanwhile
    return made


# --- reading ----------------------------------------------------------------------------------

def get_circular(circular_id: int, actor: User, action: Action = Action.CIRCULAR_VIEW, *,
                 lock: bool = False) -> Circular:
    circular = get_or_404(Circular, circular_id, missing="通报不存在。", lock=lock)
    policy.authorize(actor, action, circular)
    return circular


def list_query(actor: User, status: str | None) -> Select[Any]:
    query = select(Circular).where(policy.visible(actor, Circular))
    if status:
        query = query.where(Circular.status == status)
    return query


def page(actor: User, *, status: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """Newest first, by id cursor; ``total`` counts every circular matching."""
    query = list_query(actor, status)
    total = int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    if cursor:
        query = query.where(Circular.id < cursors.decode(cursor, lambda v: int(v[0])))
    rows = list(db.session.scalars(query.order_by(Circular.id.desc()).limit(limit + 1)))
    next_cursor = cursors.encode([rows[limit - 1].id]) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor, "total": total}


def scope_of(circular: Circular) -> dict[str, Any]:
    content = circular.content or {}
    name = content.get("scope_name") or (circular.region.name if circular.region else "全部")
    return {"kind": circular.scope_kind or "district", "region_id": circular.region_id,
            "department_id": circular.department_id, "name": name}


def totals_of(circular: Circular) -> dict[str, Any]:
    """Each figure's value by key (rates as shares, 0.75 = 75%), as ``circulars.figures`` defines them."""
    return {f["key"]: f["value"] for f in present(circular.content or {})}


def allowed_actions(actor: User, circular: Circular) -> list[str]:
    if not policy.can(actor, Action.CIRCULAR_MANAGE, circular):
        return []
    return {"draft": ["edit", "publish"], "published": ["archive"]}.get(circular.status, [])


# --- review, publish, archive ------------------------------------------------------------------

def _must_be(circular: Circular, status: str, message: str) -> None:
    if circular.status != status:
        raise Conflict(message, code="circular_not_" + status)


def update_draft(circular: Circular, actor: User, *, version: int, title: str | None = None,
                 commentary: str | None = None, commentary_given: bool = False) -> Circular:
    """Edit a draft's title and commentary; Conflict when it is no longer a draft or ``version`` is stale."""
    _must_be(circular, "draft", "通报已发布或归档，不能再修改。")
    values: dict[str, Any] = {"version": Circular.version + 1}
    if title is not None:
        values["title"] = title.strip()
    if commentary_given:
        values["commentary"] = commentary
    done = db.session.execute(update(Circular).where(Circular.id == circular.id, Circular.version == version,
                                                     Circular.status == "draft").values(**values)
                              .execution_options(synchronize_session=False))
    if done.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict("通报已被他人修改，请刷新后重试。", code="stale_version")
    db.session.refresh(circular)
    return circular


def publish(circular: Circular, actor: User, *, version: int | None = None) -> Circular:
    """Publish a draft: every hazard it names gets its ``reported`` event (``publish_circular``)."""
    from hazardloop.outbox.services import enqueue_after_commit

    _must_be(circular, "draft", "通报已发布或归档。")
    if version is not None and version != circular.version:
        raise Conflict("通报已被他人修改，请刷新后重试。", code="stale_version")
    hazards = list(db.session.scalars(select(Hazard).where(Hazard.id.in_(circular.hazard_ids or []))
                                      .order_by(Hazard.id)))
    publish_circular(title=circular.title, hazards=hazards, actor=actor, commentary=circular.commentary,
                     region_id=circular.region_id, draft=circular)
    circular.version += 1
    db.session.flush()
    from hazardloop.notifications.webhooks import subscribers_for

    body = {"type": "circular.published", "circular_id": circular.id, "title": circular.title,
            "scope": scope_of(circular), "hazard_ids": circular.hazard_ids,
            "published_at": circular.published_at.isoformat() if circular.published_at else None}
    for subscription in subscribers_for("circular.published"):
        enqueue_after_commit("webhook.deliver", {"subscription_id": subscription.id,
                                                 "event_id": f"circular-{circular.id}", "body": body},
                             dedupe_key=f"webhook:{subscription.id}:circular-{circular.id}")
    return circular


def archive(circular: Circular, actor: User) -> Circular:
    """Take a published circular off the current list (it stays readable)."""
    _must_be(circular, "published", "只有已发布的通报可以归档。")
    circular.status, circular.archived_at = "archived", utcnow()
    circular.version += 1
    db.session.flush()
    return circular


def detail(circular: Circular, actor: User) -> dict[str, Any]:
    """What GET /circulars/{id} answers: the stored content plus scope, period, figures and allowed actions."""
    content = circular.content or {}
    return {**summary(circular), **{k: content.get(k) for k in (
        "counts", "list_query", "overdue", "major", "supervised", "repeat_offenders", "best_grids", "worst_grids",
        "ranking_note", "repeat_window_days", "generated_at")},
        "figures": present(content), "commentary": circular.commentary, "version": circular.version,
        "hazard_ids": circular.hazard_ids or [], "published_by_id": circular.published_by_id,
        "allowed_actions": allowed_actions(actor, circular)}


def summary(circular: Circular) -> dict[str, Any]:
    """One list item."""
    from hazardloop.circulars.files import file_name

    return {"id": circular.id, "title": circular.title, "status": circular.status, "scope": scope_of(circular),
            "period": {"kind": circular.period_kind or "custom", "start": circular.period_start,
                       "end": circular.period_end, "title": (circular.content or {}).get("period_title")},
            "created_at": circular.created_at, "published_at": circular.published_at,
            "archived_at": circular.archived_at, "totals": totals_of(circular),
            "file_names": {ext: file_name(circular, ext) for ext in ("pdf", "xlsx")}}


def publish_circular(*, title: str, hazards: list[Hazard], actor: User, commentary: str | None = None,
                     region_id: int | None = None, draft: Circular | None = None) -> Circular:
    """通报: record the circular (or publish ``draft``) and a ``reported`` event on every hazard it names.

    Raises ValidationFailed when an ad-hoc circular names no hazard, NotFound for a hazard out of scope.
    """
    if not hazards and draft is None:
        raise ValidationFailed.field("hazard_ids", "通报至少要点名一项隐患。")
    now = utcnow()
    circular = draft or Circular(title=title.strip(), commentary=commentary, region_id=region_id)
    circular.status, circular.published_by_id, circular.published_at = "published", actor.id, now
    circular.hazard_ids = [h.id for h in hazards]
    db.session.add(circular)
    db.session.flush()
    for hazard in hazards:
        role = policy.acting_role(actor, Action.HAZARD_PUBLISH_CIRCULAR, hazard)
        if role is None:
            raise NotFound("请求的资源不存在。")
        if hazard.reported_at is None:
            hazard.reported_at = now
        append_event(kind="reported", hazard=hazard, actor=actor, actor_role=role.value,
                     from_status=hazard.status, to_status=hazard.status, note=title,
                     payload={"circular_id": circular.id, "overdue": is_overdue(hazard, now)})
    return circular
