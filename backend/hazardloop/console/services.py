"""监管驾驶舱 figures: the overview of a scope, the overdue tracker, the 挂牌督办 list.

Every current count is a count over ``hazards.queries.filters`` — the WHERE clause of
GET /api/v1/hazards — with arguments the list also takes, so the console and the list cannot
disagree. History (the weekly and monthly trend) is read from the daily metrics snapshots, never
by rescanning hazards.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased, joinedload

from hazardloop import cursors, policy
from hazardloop.accounts.models import User
from hazardloop.console.models import HazardStatusCount, MetricsSnapshot
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import Forbidden, NotFound, ValidationFailed
from hazardloop.escalation.models import Escalation
from hazardloop.extensions import db
from hazardloop.hazards import deadlines
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.queries import filters
from hazardloop.hazards.states import DEADLINE_STATUSES, OPEN_STATUSES, TRANSITIONS, HazardLevel, HazardStatus
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.regions.services import in_subtree
from hazardloop.sites.models import Site, SiteDomain
from hazardloop.taxonomy import DOMAIN_LABELS, RegionLevel, Role

OPEN = sorted(s.value for s in OPEN_STATUSES)
RUNNING = sorted(s.value for s in DEADLINE_STATUSES)
CLOSED = HazardStatus.CLOSED.value
# The contract's names for the ladder's rungs (config/escalation.yaml): its top rung proposes 挂牌督办.
RUNG_NAMES = {"street": "street", "district": "district", "listed": "supervision"}
DUE_SOON_WORKING_DAYS = 3


# --- scope -------------------------------------------------------------------------------------------

@dataclass
class Scope:
    """What the console looks at: the caller's sight, narrowed to a region and/or a department."""

    user: User
    region: Region | None  # the region asked for (None: the caller's whole scope)
    department: Department | None
    roots: list[Region] = field(default_factory=list)  # regions whose children form the "by street" rows

    @property
    def list_args(self) -> dict[str, Any]:
        """The hazard list's own arguments for this scope."""
        args: dict[str, Any] = {}
        if self.region is not None:
            args["region"] = self.region.id
        if self.department is not None:
            args["department"] = self.department.id
        return args


def console_scope(user: User, region_id: int | None, department_id: int | None) -> Scope:
    """The scope of a console request. Raises NotFound for a region outside sight or an unknown
    department, Forbidden when the caller's roles have no console."""
    if not policy.holds(user, Action.CONSOLE_VIEW):
        raise Forbidden("您的角色不能使用监管驾驶舱。")
    region = None
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None:
            raise NotFound("区域不存在。")
        policy.authorize(user, Action.CONSOLE_VIEW, region)
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            raise NotFound("部门不存在。")
    if region is not None:
        roots = [region]
    elif any(g.role == Role.ADMIN for g in user.grants):
        roots = list(db.session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)))
    else:
        granted = {g.region.id: g.region for g in user.grants
                   if Role(g.role) in policy.RULES[Action.CONSOLE_VIEW] and g.region is not None}
        # A region inside another granted one adds nothing.
        roots = [r for r in granted.values()
                 if not any(o.id != r.id and r.path.startswith(o.path) for o in granted.values())]
        roots.sort(key=lambda r: r.path)
    return Scope(user, region, department, roots)


def scope_site_filter(scope: Scope) -> Any:
    """Sites the caller sees in the scope (for patrol coverage, the map and the risk overview card)."""
    where = [policy.visible(scope.user, Site)]
    if scope.region is not None:
        where.append(Site.grid_id.in_(select(Region.id).where(in_subtree(Region.path, scope.region.path),
                                                              Region.level == RegionLevel.GRID.value)))
    if scope.department is not None:
        where.append(Site.id.in_(select(SiteDomain.site_id).where(
            SiteDomain.domain.in_(scope.department.domains))))
    return and_(*where)


def _zone() -> ZoneInfo:
    return local_zone()


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_zone()).astimezone(dt.UTC)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- overview ---------------------------------------------------------------------------------------

def period_window(period: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The local calendar week, month or year holding ``now``, as UTC instants [start, end)."""
    today = now.astimezone(_zone()).date()
    if period == "week":
        first = today - dt.timedelta(days=today.weekday())
        last = first + dt.timedelta(days=7)
    elif period == "month":
        first = today.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1)
    elif period == "year":
        first, last = today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
    else:
        raise ValidationFailed.field("period", "周期应为 week、month 或 year。")
    return _local_midnight(first), _local_midnight(last)


def _scope_sites(scope: Scope) -> Any:
    """Ids of the sites whose hazards the caller sees in the scope's region (the hazard list's scope).

    For every role with a console, a hazard is visible exactly when its site is (policy's hazard
    and site clauses coincide); the 暗访 rule that differs applies to enterprise grants only.
    """
    where = [policy.visible(scope.user, Site)]
    if scope.region is not None:
        where.append(Site.grid_id.in_(select(Region.id).where(in_subtree(Region.path, scope.region.path),
                                                              Region.level == RegionLevel.GRID.value)))
    return select(Site.id).where(*where)


def _counts_by_status(scope: Scope) -> dict[str, int]:
    """Hazards by status in scope, from the counts the database keeps (``HazardStatusCount``)."""
    if any(g.role == Role.ENTERPRISE_USER for g in scope.user.grants):
        # An enterprise grant hides 暗访 findings at its own site: count the rows themselves.
        return dict(db.session.execute(select(Hazard.status, func.count()).where(
            *filters(scope.user, scope.list_args)).group_by(Hazard.status)).all())
    where = [HazardStatusCount.site_id.in_(_scope_sites(scope))]
    if scope.department is not None:
        where.append(HazardStatusCount.department_key == scope.department.id)
    return {status: int(n) for status, n in db.session.execute(
        select(HazardStatusCount.status, func.sum(HazardStatusCount.n)).where(*where)
        .group_by(HazardStatusCount.status)).all()}


def recount_statuses() -> int:
    """Rebuild ``hazard_status_counts`` from the hazards (e.g. after a TRUNCATE, which fires no trigger);
    returns the rows written."""
    from sqlalchemy import delete, insert

    department = func.coalesce(Hazard.department_id, 0)
    db.session.execute(delete(HazardStatusCount))
    db.session.execute(insert(HazardStatusCount).from_select(
        ["site_id", "department_key", "status", "n"],
        select(Hazard.site_id, department, Hazard.status, func.count()).group_by(Hazard.site_id, department,
                                                                                 Hazard.status)))
    return int(db.session.scalar(select(func.count()).select_from(HazardStatusCount)) or 0)


def current_counts(scope: Scope, now: dt.datetime) -> dict[str, Any]:
    """Open hazards by status, overdue now, due this week, 重大 and 挂牌督办 open — as GET /hazards counts them.

    by_status = ``counts``; overdue_now = ``overdue=true``; due_this_week = ``due_before=<Monday
    next week>&overdue=false``; major_open = ``level=major&status=<open>``; supervised_open =
    ``supervised=true&status=<open>``. By status comes from the kept counts; the rest are ranges of
    the running-deadline and open-重大 indexes.
    """
    user, base = scope.user, scope.list_args
    today = now.astimezone(_zone()).date()
    week_end = _local_midnight(today + dt.timedelta(days=7 - today.weekday()))
    counted = _counts_by_status(scope)
    by_status = {s.value: int(counted.get(s.value, 0)) for s in HazardStatus}
    overdue, due_week = db.session.execute(
        select(func.sum(case((Hazard.deadline_at < now, 1), else_=0)),
               func.sum(case((Hazard.deadline_at >= now, 1), else_=0)))
        .where(*filters(user, {**base, "due_before": week_end}))).one()
    major, supervised = db.session.execute(
        select(func.count(), func.sum(case((Hazard.supervised.is_(True), 1), else_=0)))
        # "not closed" is the list's status=<open>, spelled as the open-重大 index's predicate.
        .where(*filters(user, {**base, "level": HazardLevel.MAJOR.value}), Hazard.status != CLOSED)).one()
    return {"by_status": by_status, "open_total": sum(n for s, n in by_status.items() if s != CLOSED),
            "overdue_now": int(overdue or 0), "due_this_week": int(due_week or 0), "major_open": int(major or 0),
            "supervised_open": int(supervised or 0), "week_end": week_end}


@dataclass(frozen=True)
class RowRegion:
    id: int
    name: str
    level: str


def _row_regions(scope: Scope) -> tuple[list[RowRegion], dict[int, int]]:
    """The rows of the "by street" table (the children of each root; a grid root is its own row),
    and for every grid below them the row it counts in."""
    rows: list[RowRegion] = []
    grid_row: dict[int, int] = {}
    for root in scope.roots:
        regions = db.session.execute(select(Region.id, Region.name, Region.level, Region.path)
                                     .where(in_subtree(Region.path, root.path)).order_by(Region.path)).all()
        depth = len(root.ancestor_ids)
        children = [RowRegion(r.id, r.name, r.level) for r in regions if r.path.count("/") - 1 == depth + 1]
        rows.extend(children or [RowRegion(root.id, root.name, root.level)])
        for region in regions:
            if region.level == RegionLevel.GRID:
                ids = [int(p) for p in region.path.strip("/").split("/")]
                grid_row[region.id] = ids[depth] if len(ids) > depth else root.id
    return rows, grid_row


def _rate_row(found: int, closed: int, overdue: int, due: int, on_time: int) -> dict[str, Any]:
    return {"found": found, "closed": closed, "overdue": overdue, "due": due, "on_time": on_time,
            "rectification_rate": _rate(closed, found), "on_time_rate": _rate(on_time, due)}


def rates(scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """整改率 and 按期整改率 for [start, end), by street, department and domain.

    found = GET /hazards?found_from&found_to (sum of counts); closed = the same with status=closed;
    overdue = the same with overdue=true; 整改率 = closed ÷ found. 按期整改率 is the 通报's figure
    (``circulars.figures``): closed on time ÷ due in the period (deadline in it and passed).
    """
    from hazardloop.circulars.figures import closed_on_time, due_in

    closed = Hazard.status == CLOSED
    late = Hazard.status.in_(RUNNING) & (Hazard.deadline_at < now)
    grouped = db.session.execute(
        select(Site.grid_id, Hazard.department_id, Hazard.domain, func.count(),
               func.sum(case((closed, 1), else_=0)), func.sum(case((late, 1), else_=0)))
        .join(Site, Site.id == Hazard.site_id)
        .where(*filters(scope.user, {**scope.list_args, "found_from": start, "found_to": end}))
        .group_by(Site.grid_id, Hazard.department_id, Hazard.domain)).all()
    due = db.session.execute(
        select(Site.grid_id, Hazard.department_id, Hazard.domain, func.count(),
               func.sum(case((closed_on_time(), 1), else_=0)))
        .join(Site, Site.id == Hazard.site_id)
        .where(*filters(scope.user, scope.list_args), *due_in(start, end, now))
        .group_by(Site.grid_id, Hazard.department_id, Hazard.domain)).all()
    row_regions, grid_row = _row_regions(scope)
    sums: dict[str, dict[Any, list[int]]] = {"street": {}, "department": {}, "domain": {}}
    for rows, offset in ((grouped, 0), (due, 3)):
        for grid_id, department_id, domain, *counts in rows:
            for key, group in (("street", grid_row.get(grid_id)), ("department", department_id), ("domain", domain)):
                total = sums[key].setdefault(group, [0] * 5)
                for i, v in enumerate(counts):
                    total[offset + i] += int(v or 0)
    by_street = [{"region_id": r.id, "name": r.name, "level": r.level, **_rate_row(*sums["street"].get(r.id, [0] * 5))}
                 for r in row_regions]
    departments = dict(db.session.execute(select(Department.id, Department.name).where(
        Department.id.in_([d for d in sums["department"] if d is not None]))).all())
    by_department = [{"department_id": d, "name": departments.get(d, "未指定责任部门") if d else "未指定责任部门",
                      **_rate_row(*v)} for d, v in sums["department"].items()]
    by_department.sort(key=lambda r: (r["department_id"] is None, r["department_id"] or 0))
    by_domain = [{"domain": d, "label": DOMAIN_LABELS.get(d, d), **_rate_row(*v)}  # type: ignore[call-overload]
                 for d, v in sorted(sums["domain"].items())]
    return {"period_start": start, "period_end": end, "by_street": by_street, "by_department": by_department,
            "by_domain": by_domain}


def _snapshot_filter(scope: Scope) -> list[Any]:
    """Snapshots are kept per grid and responsible department: the scope's grids, and a department's
    rows only when one is asked for (inspectors: their departments' rows)."""
    grids = select(Region.id).where(Region.level == RegionLevel.GRID.value,
                                    or_(*[in_subtree(Region.path, r.path) for r in scope.roots]))
    where: list[Any] = [MetricsSnapshot.region_id.in_(grids)] if scope.roots else []
    if scope.department is not None:
        where.append(MetricsSnapshot.department_id == scope.department.id)
    elif not any(Role(g.role) in (Role.SUPERVISOR, Role.ADMIN) for g in scope.user.grants):
        where.append(MetricsSnapshot.department_id.in_(
            [g.department_id for g in scope.user.grants if g.department_id is not None]))
    return where


def _snapshot_days(targets: list[dt.date]) -> dict[dt.date, dt.date]:
    """For each target day, the day of the latest snapshot run on it or in the six days before.

    Asked of the whole table, not the scope: a grid without hazards has no row on a day the job ran.
    Normally the job ran on every target day (one index range); a missed day costs one lookup.
    """
    targets = sorted(set(targets))
    latest = db.session.scalar(select(func.max(MetricsSnapshot.day)).where(MetricsSnapshot.day <= targets[-1]))
    if latest is None or latest <= targets[0] - dt.timedelta(days=7):
        return {}  # no snapshots in the window at all (a new installation)
    ran = set(db.session.scalars(select(MetricsSnapshot.day).where(MetricsSnapshot.day.in_(targets)).distinct()))
    out = {t: t for t in targets if t in ran}
    for target in (t for t in targets if t not in ran):
        earlier = db.session.scalar(select(func.max(MetricsSnapshot.day)).where(
            MetricsSnapshot.day < target, MetricsSnapshot.day > target - dt.timedelta(days=7)))
        if earlier is not None:
            out[target] = earlier
    return out


def trend(scope: Scope, now: dt.datetime, periods: int = 12) -> dict[str, list[dict[str, Any]]]:
    """Found, closed and overdue per week and per month (oldest first), from the daily snapshots.

    A snapshot of day D holds the counts when it was taken (shortly after D's local midnight), so
    a period's found = total(end) − total(start), closed = closed(end) − closed(start) and overdue =
    the overdue count at its end. The current period ends at the latest snapshot. A period whose
    boundary has no snapshot within the week before reads null.
    """
    today = now.astimezone(_zone()).date()
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday - dt.timedelta(weeks=periods - 1 - i) for i in range(periods + 1)]
    first_of_month = today.replace(day=1)
    months = []
    for back in range(periods - 1, -2, -1):
        index = first_of_month.year * 12 + first_of_month.month - 1 - back
        months.append(dt.date(index // 12, index % 12 + 1, 1))
    where = _snapshot_filter(scope)
    taken = _snapshot_days([min(b, today) for b in [*weeks, *months]])

    def snapshot_day(boundary: dt.date) -> dt.date | None:
        return taken.get(min(boundary, today))

    wanted = {d for d in (snapshot_day(b) for b in [*weeks, *months]) if d is not None}
    totals: dict[dt.date, tuple[int, int, int]] = {}
    if wanted:
        counts = MetricsSnapshot.counts
        for day, open_, closed, overdue in db.session.execute(
                select(MetricsSnapshot.day, func.sum(MetricsSnapshot.open_count),
                       func.sum(func.coalesce(counts["status.closed"].as_integer(), 0)),
                       func.sum(func.coalesce(counts["overdue"].as_integer(), 0)))
                .where(MetricsSnapshot.day.in_(sorted(wanted)), *where).group_by(MetricsSnapshot.day)):
            totals[day] = (int(open_ or 0) + int(closed or 0), int(closed or 0), int(overdue or 0))

    def series(bounds: list[dt.date]) -> list[dict[str, Any]]:
        out = []
        for start, end in itertools.pairwise(bounds):
            a, b = snapshot_day(start), snapshot_day(end)
            if a is None or b is None or b < a:
                out.append({"period_start": start.isoformat(), "found": None, "closed": None, "overdue": None})
                continue
            # The job ran on both days; a scope without rows had no hazards then.
            (total_a, closed_a, _), (total_b, closed_b, overdue_b) = totals.get(a, (0, 0, 0)), totals.get(b, (0, 0, 0))
            out.append({"period_start": start.isoformat(), "found": max(total_b - total_a, 0),
                        "closed": max(closed_b - closed_a, 0), "overdue": overdue_b})
        return out

    return {"weeks": series(weeks), "months": series(months)}


def patrol_coverage(scope: Scope, now: dt.datetime) -> dict[str, Any]:
    """巡查覆盖率 this calendar month: by grid and by 网格员 (hazards found per inspector included)."""
    from hazardloop.inspections.patrols import coverage

    start, end = period_window("month", now)
    return {"period_start": start, "period_end": end, **coverage(scope_site_filter(scope), start, end)}


def overview(scope: Scope, *, period: str = "month", now: dt.datetime | None = None) -> dict[str, Any]:
    """The console's first screen for ``scope`` (see the module docstring for where each figure comes from)."""
    now = now or utcnow()
    counts = current_counts(scope, now)
    start, end = period_window(period, now)
    region = scope.region
    return {
        "as_of": now,
        "scope": {"region_id": region.id if region else None, "region_name": region.name if region else None,
                  "department_id": scope.department.id if scope.department else None,
                  "department_name": scope.department.name if scope.department else None},
        **{k: v for k, v in counts.items() if k != "week_end"},
        "due_this_week_before": counts["week_end"],
        "rates": {"period": period, **rates(scope, start, end, now)},
        "trend": trend(scope, now),
        "patrol_coverage": patrol_coverage(scope, now),
    }


# --- the overdue tracker ------------------------------------------------------------------------------

SORTS = ["-days_overdue", "days_overdue", "deadline_at", "-deadline_at", "level"]
FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def due_soon_end(now: dt.datetime) -> dt.datetime:
    """The end of the ``DUE_SOON_WORKING_DAYS``-th working day from today (local)."""
    today = now.astimezone(_zone()).date()
    day, _ = deadlines.add_working_days(today, DUE_SOON_WORKING_DAYS)
    return _local_midnight(day + dt.timedelta(days=1))


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
    zone = zone or _zone()
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
    zone = _zone()
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


__all__ = ["Scope", "console_scope", "overdue_page", "overview", "supervised_list"]
