"""督办跟踪: the overdue tracker (超期 and 即将到期 hazards of a scope, any sort, a page at a time or all for the
XLSX export) and the 挂牌督办 list.

Like the overview (``console.services``), every row set is ``hazards.queries.filters`` — the WHERE clause of
GET /api/v1/hazards — with the list's own arguments, so the tracker and the list cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased, joinedload

from hazardloop import cursors, policy
from hazardloop.accounts.models import User
from hazardloop.console.services import OPEN, RUNNING, Scope, local_midnight
from hazardloop.database import local_zone, utcnow
from hazardloop.escalation.models import Escalation
from hazardloop.extensions import db
from hazardloop.hazards import deadlines
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.queries import FAR_FUTURE, filters
from hazardloop.hazards.states import TRANSITIONS, HazardLevel
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site, SiteDomain
from hazardloop.taxonomy import DOMAIN_LABELS, Role

# The contract's names for the ladder's rungs (config/escalation.yaml): its top rung proposes 挂牌督办.
RUNG_NAMES = {"street": "street", "district": "district", "listed": "supervision"}
DUE_SOON_WORKING_DAYS = 3
SORTS = ["-days_overdue", "days_overdue", "deadline_at", "-deadline_at", "level"]


def due_soon_end(now: dt.datetime) -> dt.datetime:
    """The end of the ``DUE_SOON_WORKING_DAYS``-th working day from today (local)."""
    today = now.astimezone(local_zone()).date()
    day, _ = deadlines.add_working_days(today, DUE_SOON_WORKING_DAYS)
    return local_midnight(day + dt.timedelta(days=1))


def overdue_args(scope: Scope, args: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The hazard list's arguments for a tracker request (window → overdue / due_before / status)."""
    out = dict(scope.list_args)
    for key in ("level", "domain", "q"):
        if args.get(key):
            out[key] = args[key]
    window = args.get("window") or "overdue"
    if window == "overdue":
        out["overdue"] = True
    elif window == "due_soon":
        out.update(due_before=due_soon_end(now), overdue=False)
    else:
        out["status"] = OPEN
    return out


def _order(sort: str, window: str) -> tuple[list[Any], list[Any]]:
    """ORDER BY columns and the matching key columns for the cursor (id last).

    In the overdue and due-soon windows every row has a deadline, so the plain column is sorted on
    and the running-deadline index hands a page over in order; with all open hazards a missing
    deadline sorts last.
    """
    deadline: Any = Hazard.deadline_at if window in ("overdue", "due_soon") else func.coalesce(
        Hazard.deadline_at, FAR_FUTURE)
    if sort == "level":
        rank = case((Hazard.level == HazardLevel.MAJOR.value, 0), else_=1)
        return [rank.asc(), deadline.asc(), Hazard.id.asc()], [rank, deadline]
    descending = sort in ("days_overdue", "-deadline_at")  # fewest days overdue = latest deadline first
    if descending:
        return [deadline.desc(), Hazard.id.desc()], [deadline]
    return [deadline.asc(), Hazard.id.asc()], [deadline]


def _parse_cursor(sort: str) -> Callable[[list[Any]], list[Any]]:
    def parse(values: list[Any]) -> list[Any]:
        if sort == "level":
            return [int(values[0]), dt.datetime.fromisoformat(values[1]), int(values[2])]
        return [dt.datetime.fromisoformat(values[0]), int(values[1])]
    return parse


def _after_cursor(sort: str, keys: list[Any], values: list[Any]) -> Any:
    """Rows after the cursor in the sort's order (row-value comparison spelled out for SQLite)."""
    descending = sort in ("days_overdue", "-deadline_at")
    columns = [*keys, Hazard.id]
    conditions = []
    for i, column in enumerate(columns):
        earlier = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        conditions.append(and_(*earlier, beyond))
    return or_(*conditions)


def overdue_query(scope: Scope, args: dict[str, Any], now: dt.datetime) -> Any:
    where = filters(scope.user, overdue_args(scope, args, now))
    if (args.get("window") or "overdue") == "due_soon":
        # The list's overdue=false in the form an index range can start from (the same rows).
        where.append(Hazard.deadline_at >= now)
    if args.get("extension_requested") is True:
        where.append(Hazard.extension_state == "requested")
    elif args.get("extension_requested") is False:
        where.append(or_(Hazard.extension_state.is_(None), Hazard.extension_state != "requested"))
    return where


@functools.lru_cache(maxsize=64)
def _workdays_through(year: int) -> tuple[int, ...]:
    """For each day of ``year`` (index: day of the year − 1), the working days from 1 January through it.

    The official calendar is fixed data: a page of rows overdue by months or years then costs a
    subtraction per row instead of a walk over every day since its deadline.
    """
    counts, total, day = [], 0, dt.date(year, 1, 1)
    while day.year == year:
        total += deadlines.is_workday(day)[0]
        counts.append(total)
        day += dt.timedelta(days=1)
    return tuple(counts)


def _workdays_between(first: dt.date, last: dt.date) -> int:
    """Working days after ``first`` up to and including ``last``."""
    if last <= first:
        return 0

    def through(day: dt.date) -> int:
        return _workdays_through(day.year)[day.timetuple().tm_yday - 1]

    if first.year == last.year:
        return through(last) - through(first)
    between = sum(_workdays_through(year)[-1] for year in range(first.year + 1, last.year))
    return _workdays_through(first.year)[-1] - through(first) + between + through(last)


def working_days_overdue(deadline: dt.datetime | None, now: dt.datetime, zone: ZoneInfo | None = None) -> int:
    """Working days since the deadline (0 if not past), as ``deadlines.working_days_overdue`` counts them."""
    if deadline is None or now <= deadline:
        return 0
    zone = zone or local_zone()
    return _workdays_between(deadline.astimezone(zone).date(), now.astimezone(zone).date())


def mask_mobile(mobile: str | None) -> str | None:
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) == 11 else None


def mask_name(name: str | None) -> str | None:
    return f"{name[0]}{'*' * (len(name) - 1)}" if name else None


@dataclass(frozen=True, slots=True)
class GridFacts:
    path: str


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """What the policy's site scope reads of a site (``policy._site_in``), read as columns."""

    id: int
    grid_id: int
    grid: GridFacts
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HazardFacts:
    """What the policy's hazard scope and the tracker's actions read of a hazard, read as columns."""

    id: int
    status: str
    covert: bool
    extension_state: str | None
    site: SiteFacts


def bulk_actions_allowed(user: User, hazard: Hazard | HazardFacts, *, overdue: bool, rung_left: bool) -> list[str]:
    """Which bulk actions the tracker may offer on this hazard for this user."""
    allowed = []
    if hazard.status in RUNNING and policy.can(user, Action.HAZARD_REMIND, hazard, kind=Hazard):
        allowed.append("remind")
    if overdue and rung_left and policy.can(user, Action.HAZARD_ESCALATE, hazard, kind=Hazard):
        allowed.append("escalate")
    if hazard.extension_state == "requested" and hazard.status in RUNNING:
        for action in ("approve_extension", "refuse_extension"):
            if policy.can_fire(user, TRANSITIONS[action], hazard):  # type: ignore[arg-type]
                allowed.append(action)
    return allowed


_GRID = aliased(Region, name="grid")


def _tracker_records(ids: list[int], ladder: list[str]) -> Any:
    """The columns a tracker row shows, for these hazards, and whether each rung of ``ladder`` has fired
    (``fired_0`` …): one query joining site, grid and department."""
    fired = [exists().where(Escalation.hazard_id == Hazard.id, Escalation.rung == rung).label(f"fired_{i}")
             for i, rung in enumerate(ladder)]
    return db.session.execute(
        select(Hazard.id, Hazard.number, Hazard.description, Hazard.level, Hazard.status, Hazard.domain,
               Hazard.deadline_at, Hazard.covert, Hazard.supervised, Hazard.extension_state,
               Hazard.extension_requested_deadline, Hazard.extension_after_deadline, Hazard.site_id,
               Site.name.label("site_name"), Site.credit_code, Site.contact_name, Site.contact_mobile, Site.grid_id,
               _GRID.name.label("grid_name"), _GRID.path.label("grid_path"), Hazard.department_id,
               Department.name.label("department_name"), *fired)
        .join(Site, Site.id == Hazard.site_id).join(_GRID, _GRID.id == Site.grid_id)
        .outerjoin(Department, Department.id == Hazard.department_id)
        .where(Hazard.id.in_(ids)))


def overdue_rows(scope: Scope, ids: list[int], now: dt.datetime) -> list[dict[str, Any]]:
    """The tracker's rows for these hazards, in the order of ``ids``: names, days overdue, rung, the actions I
    may take. Times stay datetimes (``schemas.dump_overdue_page`` writes them for JSON, the export as cells).

    Read as columns, not ORM objects (issue 22: loading and dumping objects cost ten times the SQL): one query
    for the rows with the rungs fired, and the sites' domains only for an inspector (whose scope reads them).
    """
    from hazardloop.escalation.ladder import load_ladder

    if not ids:
        return []
    user = scope.user
    ladder = [r.rung for r in load_ladder(current_app.config.get("ESCALATION_POLICY")).rungs]
    records = {r.id: r for r in _tracker_records(ids, ladder)}
    flags = [f"fired_{i}" for i in range(len(ladder))]
    domains: dict[int, list[str]] = {}
    if any(g.role == Role.INSPECTOR for g in user.grants):
        for site_id, domain in db.session.execute(select(SiteDomain.site_id, SiteDomain.domain).where(
                SiteDomain.site_id.in_({r.site_id for r in records.values()}))):
            domains.setdefault(site_id, []).append(domain)
    sites: dict[int, tuple[SiteFacts, bool]] = {}
    zone = local_zone()
    out = []
    for hazard_id in ids:
        h = records[hazard_id]
        if h.site_id not in sites:
            facts = SiteFacts(h.site_id, h.grid_id, GridFacts(h.grid_path), tuple(sorted(domains.get(h.site_id, ()))))
            sites[h.site_id] = facts, policy.can(user, Action.SITE_CONTACT, facts, kind=Site)
        site, sees_contact = sites[h.site_id]
        hazard = HazardFacts(h.id, h.status, h.covert, h.extension_state, site)
        overdue = h.status in RUNNING and h.deadline_at is not None and h.deadline_at < now
        fired = {rung for rung, flag in zip(ladder, flags, strict=True) if h._mapping[flag]}
        rung = next((r for r in reversed(ladder) if r in fired), None)
        requested = h.extension_state == "requested"
        out.append({
            "hazard_id": h.id, "number": h.number, "title": _title(h.description), "description": h.description,
            "level": h.level, "status": h.status, "domain": h.domain,
            "domain_label": DOMAIN_LABELS.get(h.domain, h.domain),  # type: ignore[call-overload]
            "site": {"id": h.site_id, "name": h.site_name},
            "enterprise": {"name": h.site_name, "credit_code": h.credit_code,
                           "contact_masked": " ".join(x for x in (mask_name(h.contact_name),
                                                                  mask_mobile(h.contact_mobile)) if x) or None,
                           # In full for those who call the enterprise (supervisors); the others see it masked.
                           "contact": " ".join(x for x in (h.contact_name, h.contact_mobile) if x) or None
                           if sees_contact else None},
            "department": {"id": h.department_id, "name": h.department_name} if h.department_id else None,
            "grid": {"id": h.grid_id, "name": h.grid_name},
            "deadline_at": h.deadline_at,
            "days_overdue": working_days_overdue(h.deadline_at, now, zone) if overdue else 0,
            "overdue": overdue,
            "escalation_rung": RUNG_NAMES.get(rung, rung) if rung else None,
            "extension_requested": requested,
            "extension_requested_deadline": h.extension_requested_deadline if requested else None,
            "extension_after_deadline": requested and bool(h.extension_after_deadline),
            "supervised": h.supervised,
            "allowed_actions": bulk_actions_allowed(user, hazard, overdue=overdue, rung_left=bool(set(ladder) - fired)),
        })
    return out


def _title(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first if len(first) <= 40 else first[:39] + "…"


def _load(query: Any) -> list[Hazard]:
    return list(db.session.scalars(query.options(
        joinedload(Hazard.site).joinedload(Site.grid), joinedload(Hazard.department))).unique())


def overdue_page(scope: Scope, args: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """One page of the overdue tracker, the cursor to the next and the total for the same filters."""
    now = now or utcnow()
    sort = args.get("sort") or "-days_overdue"
    where = overdue_query(scope, args, now)
    order, keys = _order(sort, args.get("window") or "overdue")
    # The page's ids first: in the overdue and due-soon windows an index-only walk of the running-
    # deadline index (it carries the site for the scope check); then those rows with their names.
    after = cursors.decode(cursor, _parse_cursor(sort)) if (cursor := args.get("cursor")) else None
    limit = args.get("limit") or 50
    if sort == "level":
        ids = _level_page_ids(where, keys[1], after, limit + 1)
    else:
        query = select(Hazard.id).where(*where)
        if after is not None:
            query = query.where(_after_cursor(sort, keys, after))
        ids = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    rows = overdue_rows(scope, ids[:limit], now)
    next_cursor = None
    if len(ids) > limit:
        last = rows[-1]
        deadline = last["deadline_at"] or FAR_FUTURE
        values = ([0 if last["level"] == HazardLevel.MAJOR else 1, deadline, last["hazard_id"]] if sort == "level"
                  else [deadline, last["hazard_id"]])
        next_cursor = cursors.encode(values)
    total = db.session.scalar(select(func.count()).select_from(Hazard).where(*where)) or 0
    return {"items": rows, "next_cursor": next_cursor, "total": int(total)}


def _level_page_ids(where: list[Any], deadline: Any, after: list[Any] | None, n: int) -> list[int]:
    """Up to ``n`` ids in the level sort's order (重大 first, then by deadline), after the cursor ``after``.

    One query per level instead of one ordered by a computed rank: each walks an index in deadline order
    and stops after a page (重大: the running-重大 index; the others: the running-deadline index), where
    sorting by the rank had to read and sort the whole window.
    """
    ids: list[int] = []
    # 'major' as an SQL literal, as the partial index on running 重大 hazards names it (see hazards.queries).
    major = literal_column(f"'{HazardLevel.MAJOR.value}'")
    levels = [(0, Hazard.level == major), (1, Hazard.level != major)]
    for rank, same_level in levels:
        if after is not None and rank < after[0]:
            continue
        query = select(Hazard.id).where(*where, same_level)
        if after is not None and rank == after[0]:
            query = query.where(_after_cursor("deadline_at", [deadline], after[1:]))
        ids += db.session.scalars(query.order_by(deadline.asc(), Hazard.id.asc()).limit(n - len(ids)))
        if len(ids) >= n:
            break
    return ids


def overdue_all(scope: Scope, args: dict[str, Any], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every row of the tracker for these filters (the XLSX export), in the page's order, in batches."""
    now = now or utcnow()
    sort = args.get("sort") or "-days_overdue"
    order, _ = _order(sort, args.get("window") or "overdue")
    ids = list(db.session.scalars(select(Hazard.id).where(*overdue_query(scope, args, now)).order_by(*order)))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        rows.extend(overdue_rows(scope, ids[start:start + 500], now))
    return rows


# --- 挂牌督办 ------------------------------------------------------------------------------------------

def supervised_list(scope: Scope, *, include_closed: bool = False, now: dt.datetime | None = None
                    ) -> list[dict[str, Any]]:
    """挂牌督办 hazards in scope: authority, when listed, 治理方案 status, deadline and lateness.

    The same hazards as GET /hazards?supervised=true (&status=<open> unless ``include_closed``).
    """
    now = now or utcnow()
    args: dict[str, Any] = {**scope.list_args, "supervised": True}
    if not include_closed:
        args["status"] = OPEN
    hazards = _load(select(Hazard).where(*filters(scope.user, args))
                    .order_by(func.coalesce(Hazard.deadline_at, FAR_FUTURE), Hazard.id))
    listed_at = dict(db.session.execute(
        select(AuditEvent.hazard_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.kind == "list_supervision", AuditEvent.hazard_id.in_([h.id for h in hazards]))
        .group_by(AuditEvent.hazard_id)).all()) if hazards else {}
    plan_at = dict(db.session.execute(
        select(AuditEvent.hazard_id, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.kind == "submit_governance_plan", AuditEvent.hazard_id.in_([h.id for h in hazards]))
        .group_by(AuditEvent.hazard_id)).all()) if hazards else {}
    out = []
    for h in hazards:
        overdue = h.status in RUNNING and h.deadline_at is not None and h.deadline_at < now
        out.append({
            "hazard_id": h.id, "number": h.number, "title": _title(h.description), "level": h.level,
            "site": {"id": h.site.id, "name": h.site.name}, "grid": {"id": h.site.grid.id, "name": h.site.grid.name},
            "department": {"id": h.department.id, "name": h.department.name} if h.department else None,
            "supervising_authority": h.supervising_authority, "supervised_at": listed_at.get(h.id),
            "plan_status": "submitted" if h.governance_plan else "none", "plan_submitted_at": plan_at.get(h.id),
            "deadline_at": h.deadline_at,
            "days_overdue": working_days_overdue(h.deadline_at, now) if overdue else 0,
            "status": h.status,
        })
    return out


__all__ = ["overdue_all", "overdue_page", "supervised_list"]
