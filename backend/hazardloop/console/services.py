"""监管驾驶舱 figures: the scope a console user looks at and its overview (the overdue tracker and the 挂牌督办
list are in ``console.tracker``).

Every current count is a count over ``hazards.queries.filters`` — the WHERE clause of
GET /api/v1/hazards — with arguments the list also takes, so the console and the list cannot
disagree. History (the weekly and monthly trend) is read from the daily metrics snapshots, never
by rescanning hazards.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.console.models import HazardStatusCount, MetricsSnapshot
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import Forbidden, NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.queries import filters
from hazardloop.hazards.states import DEADLINE_STATUSES, OPEN_STATUSES, HazardLevel, HazardStatus
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.regions.services import in_subtree
from hazardloop.sites.models import Site, SiteDomain
from hazardloop.taxonomy import DOMAIN_LABELS, RegionLevel, Role

OPEN = sorted(s.value for s in OPEN_STATUSES)
RUNNING = sorted(s.value for s in DEADLINE_STATUSES)
CLOSED = HazardStatus.CLOSED.value


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


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()).astimezone(dt.UTC)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- overview ---------------------------------------------------------------------------------------

def period_window(period: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The local calendar week, month or year holding ``now``, as UTC instants [start, end)."""
    today = now.astimezone(local_zone()).date()
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
    return local_midnight(first), local_midnight(last)


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
    today = now.astimezone(local_zone()).date()
    week_end = local_midnight(today + dt.timedelta(days=7 - today.weekday()))
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
    today = now.astimezone(local_zone()).date()
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


__all__ = ["Scope", "console_scope", "overview"]
