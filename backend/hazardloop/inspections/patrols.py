"""巡查计划: how often each site must be patrolled, which sites are due, and patrol coverage.

The plan lives in config/patrol.yaml (or the file named by PATROL_PLAN): a default period and
shorter periods by site category or risk level. Every active site must be patrolled at least once
in each calendar period of its length; periods begin at local midnight in the configured TIMEZONE.
A patrol is an inspection in one of the plan's counting modes, dated by its ``finished_at`` (the
phone's time of completion, so work done offline counts for the day it was done).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import current_app
from sqlalchemy import ColumnElement, Index, and_, case, exists, func, select
from sqlalchemy.orm import selectinload

from hazardloop.accounts.models import RoleGrant, User
from hazardloop.database import local_zone, utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.inspections.models import Inspection, InspectionMode
from hazardloop.regions.models import Region
from hazardloop.sites.models import Site
from hazardloop.taxonomy import NINE_SMALL_CATEGORIES, RiskLevel, Role, SiteCategory

DEFAULT_PLAN = Path(__file__).resolve().parents[3] / "config" / "patrol.yaml"

# "When was this site last patrolled" and "was it patrolled in this window" are both a range on
# finished_at within one site's inspections; declared here next to the queries that need it
# (migration 0011), imported with the models by create_app.
Index("ix_inspections_site_finished", Inspection.site_id, Inspection.finished_at)


class Period(enum.StrEnum):
    """巡查周期: a calendar period, starting at local midnight."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


PERIOD_LABELS: dict[Period, str] = {
    Period.WEEK: "每周", Period.MONTH: "每月", Period.QUARTER: "每季度", Period.HALF_YEAR: "每半年",
    Period.YEAR: "每年",
}
_MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF_YEAR: 6, Period.YEAR: 12}
# Shortest first: when several overrides match a site, the most frequent patrol wins.
_ORDER = [Period.WEEK, Period.MONTH, Period.QUARTER, Period.HALF_YEAR, Period.YEAR]


class PlanError(ValueError):
    """The patrol plan file is malformed; the message names the entry."""


@dataclass(frozen=True)
class PatrolPlan:
    default: Period
    by_category: Mapping[str, Period]
    by_risk_level: Mapping[str, Period]
    counting_modes: frozenset[str]

    def period_for(self, category: str, risk_level: str) -> Period:
        """The site's period: the shortest matching override, else the default."""
        matching = [p for p in (self.by_category.get(category), self.by_risk_level.get(risk_level)) if p]
        return min(matching, key=_ORDER.index) if matching else self.default


def _period(value: Any, where: str) -> Period:
    try:
        return Period(value)
    except ValueError:
        raise PlanError(f"{where}: period must be one of {[p.value for p in Period]}, not {value!r}") from None


def parse_plan(data: Mapping[str, Any]) -> PatrolPlan:
    """Validate the plan mapping; raises PlanError naming the first bad entry."""
    categories: dict[str, Period] = {}
    for key, value in (data.get("categories") or {}).items():
        period = _period(value, f"categories.{key}")
        if key == "nine_small":
            categories.update({c.value: period for c in NINE_SMALL_CATEGORIES if c.value not in categories})
        elif key in {c.value for c in SiteCategory}:
            categories[key] = period  # a named category beats the nine_small group wherever it is listed
        else:
            raise PlanError(f"categories.{key}: unknown site category")
    risks: dict[str, Period] = {}
    for key, value in (data.get("risk_levels") or {}).items():
        if key not in {r.value for r in RiskLevel}:
            raise PlanError(f"risk_levels.{key}: unknown risk level")
        risks[key] = _period(value, f"risk_levels.{key}")
    modes = data.get("counting_modes") or []
    unknown = set(modes) - {m.value for m in InspectionMode}
    if not modes or unknown:
        raise PlanError(f"counting_modes: needs known inspection modes, unknown {sorted(unknown)}")
    if InspectionMode.SELF.value in modes:
        raise PlanError("counting_modes: 企业自查 (self) is the enterprise's own check, not a patrol")
    return PatrolPlan(_period(data.get("default"), "default"), categories, risks, frozenset(modes))


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> PatrolPlan:
    with open(path, encoding="utf-8") as f:
        return parse_plan(yaml.safe_load(f) or {})


def load_plan(path: str | None = None) -> PatrolPlan:
    """The plan from ``path`` (or PATROL_PLAN / the default file), re-read when the file changes."""
    file = Path(path or current_app.config.get("PATROL_PLAN") or DEFAULT_PLAN)
    return _load(str(file), file.stat().st_mtime)


# --- calendar periods ------------------------------------------------------------------------

def period_start(period: Period, instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Local midnight at which the period holding ``instant`` began."""
    local = instant.astimezone(zone)
    if period is Period.WEEK:
        day = local.date() - dt.timedelta(days=local.weekday())
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)
    months = _MONTHS[period]
    month = (local.month - 1) // months * months + 1
    return dt.datetime(local.year, month, 1, tzinfo=zone)


def next_period_start(period: Period, start: dt.datetime) -> dt.datetime:
    """The start of the period after the one beginning at ``start`` (a value of period_start)."""
    if period is Period.WEEK:
        return dt.datetime.combine(start.date() + dt.timedelta(days=7), dt.time(), tzinfo=start.tzinfo)
    index = start.month - 1 + _MONTHS[period]
    return dt.datetime(start.year + index // 12, index % 12 + 1, 1, tzinfo=start.tzinfo)


# --- when the next check is due ---------------------------------------------------------------

@dataclass(frozen=True)
class PeriodDue:
    """Where something checked once per calendar period stands at a moment (a site's patrol, a control
    measure's check): the one due-date rule of the patrol plan."""

    last_at: dt.datetime | None
    due_at: dt.datetime  # the end of the period in which the next check is required (local midnight after it)
    overdue: bool  # a whole period passed without a check
    done_this_period: bool
    period_ends_at: dt.datetime  # when the current period ends (an offline phone re-judges the status then)


def period_due(period: Period, last_at: dt.datetime | None, since: dt.datetime, now: dt.datetime,
               zone: ZoneInfo) -> PeriodDue:
    """Every period needs a check, due by the end of that period.

    After a check the next is required in the following period, so it is due at that period's end; never
    checked, one is owed in the period holding ``since`` (the site's registration, the risk point's creation),
    due at its end (a weekly site registered on Thursday 3 December is due by Sunday 6 December).
    """
    if last_at is None:
        due_at = next_period_start(period, period_start(period, min(since, now), zone))
    else:
        # A phone clock running ahead must not push the next check into the future.
        checked_in = period_start(period, min(last_at, now), zone)
        due_at = next_period_start(period, next_period_start(period, checked_in))
    this_period = period_start(period, now, zone)
    return PeriodDue(last_at=last_at, due_at=due_at.astimezone(dt.UTC), overdue=now >= due_at,
                     done_this_period=last_at is not None and last_at >= this_period,
                     period_ends_at=next_period_start(period, this_period).astimezone(dt.UTC))


# --- the patrol plan of sites ---------------------------------------------------------------

@dataclass(frozen=True)
class MeasuresDue:
    """The 控制措施检查 a site owes the grid worker or inspector (管控层级 街道/区), folded into its patrol row."""

    count: int
    overdue: bool  # at least one is overdue
    due_at: dt.datetime  # the earliest due time
    names: tuple[str, ...]  # the measures' texts, earliest due first, each once
    checklist_ids: tuple[str, ...]  # the checklists holding their items (the inspection to start)

    @property
    def reason(self) -> str:
        # Measures' texts hold 「、」 and 「，」 themselves: 「；」 keeps them apart.
        named = self.names[:3]
        shown = "；".join(named) + (f" 等 {self.count} 项" if self.count > len(named) else "")
        return f"管控措施检查{'已逾期' if self.overdue else '到期'}：{shown}"


@dataclass(frozen=True)
class PatrolStatus:
    """Where one site stands in its patrol plan at a moment."""

    site: Site
    period: Period
    last_patrolled_at: dt.datetime | None
    due_at: dt.datetime  # the end of the period in which the next patrol is required (local midnight after it)
    overdue: bool  # a whole period passed without a patrol
    patrolled_this_period: bool
    period_ends_at: dt.datetime  # when the current period ends (an offline phone re-judges the status then)
    measure_checks: MeasuresDue | None = None

    @property
    def period_label(self) -> str:
        return PERIOD_LABELS[self.period]

    @property
    def patrol_due(self) -> bool:
        return not self.patrolled_this_period

    @property
    def owes_anything(self) -> bool:
        return self.patrol_due or self.measure_checks is not None

    @property
    def any_overdue(self) -> bool:
        return (self.patrol_due and self.overdue) or (self.measure_checks is not None and self.measure_checks.overdue)

    @property
    def next_due_at(self) -> dt.datetime:
        """The earliest of what the site owes: its patrol (when not yet done this period) and its measure checks."""
        times = [self.due_at] if self.patrol_due or self.measure_checks is None else []
        if self.measure_checks is not None:
            times.append(self.measure_checks.due_at)
        return min(times)

    @property
    def reasons(self) -> list[str]:
        """Why the site is in the plan today, in words."""
        out = [f"{self.period_label}巡查{'已逾期' if self.overdue else '待完成'}"] if self.patrol_due else []
        if self.measure_checks is not None:
            out.append(self.measure_checks.reason)
        return out


def patrol_status(site: Site, last_patrolled_at: dt.datetime | None, now: dt.datetime, plan: PatrolPlan,
                  zone: ZoneInfo) -> PatrolStatus:
    """The site's status by ``period_due`` (never patrolled: owed in the period it was registered in)."""
    period = plan.period_for(site.category, site.risk_level)
    due = period_due(period, last_patrolled_at, site.created_at, now, zone)
    return PatrolStatus(
        site=site, period=period, last_patrolled_at=last_patrolled_at, due_at=due.due_at, overdue=due.overdue,
        patrolled_this_period=due.done_this_period, period_ends_at=due.period_ends_at,
    )


def _measures_due(site_filter: ColumnElement[bool], now: dt.datetime) -> dict[int, MeasuresDue]:
    """Per site, the 街道/区-tier control measures not yet checked this period (``risk.measures``)."""
    from hazardloop.risk.measures import GOVERNMENT, measure_checks

    by_site: dict[int, list[Any]] = {}
    for check in measure_checks(site_filter, checker=GOVERNMENT, now=now):  # overdue first, then by due time
        by_site.setdefault(check.site.id, []).append(check)
    return {sid: MeasuresDue(
        count=len(checks), overdue=any(c.overdue for c in checks), due_at=min(c.due_at for c in checks),
        names=tuple(dict.fromkeys(c.text for c in checks)),
        checklist_ids=tuple(dict.fromkeys(c.checklist_id for c in checks if c.checklist_id)))
        for sid, checks in by_site.items()}


def _counting(plan: PatrolPlan) -> ColumnElement[bool]:
    return Inspection.mode.in_(sorted(plan.counting_modes))


def patrol_plan(site_filter: ColumnElement[bool], *, now: dt.datetime | None = None,
                include_done: bool = False) -> list[PatrolStatus]:
    """The patrol status of the active sites matching ``site_filter``, each with the control measure checks it
    owes the government side, overdue (patrol or measure) first, then by the earliest due time.

    Without ``include_done`` only the sites that still owe something: a patrol in their current period
    (待巡查) or a due 控制措施检查 (a site patrolled this period whose measures are due stays in the plan).
    """
    now = now or utcnow()
    plan = load_plan()
    zone = local_zone()
    last = (select(func.max(Inspection.finished_at))
            .where(Inspection.site_id == Site.id, _counting(plan)).scalar_subquery())
    rows = db.session.execute(select(Site, last).where(site_filter, Site.active.is_(True))
                              .options(selectinload(Site.grid))).all()  # grid_name in the answer
    measures = _measures_due(site_filter, now) if rows else {}
    statuses = [replace(patrol_status(site, when, now, plan, zone), measure_checks=measures.get(site.id))
                for site, when in rows]
    if not include_done:
        statuses = [s for s in statuses if s.owes_anything]
    return sorted(statuses, key=lambda s: (not s.any_overdue, s.next_due_at, s.site.name, s.site.id))


# --- coverage for the supervisor console -----------------------------------------------------

def _share(patrolled: int, sites: int) -> float:
    return round(patrolled / sites, 4) if sites else 0.0


def coverage(site_filter: ColumnElement[bool], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """巡查覆盖率 of the active sites matching ``site_filter`` in [start, end), by grid and by grid worker.

    by_grid: each grid's sites and how many had a patrol (by anyone) in the window.
    by_inspector: each active 网格员 with the matching sites of their grids as denominator, how many
    of those they patrolled themselves, and the hazards they found in the window on matching sites.
    Rows are ordered worst share first.
    """
    plan = load_plan()
    in_window = and_(_counting(plan), Inspection.finished_at >= start, Inspection.finished_at < end)
    patrolled = case((exists(select(Inspection.id).where(Inspection.site_id == Site.id, in_window)), 1), else_=0)
    grid_rows = db.session.execute(
        select(Region.id, Region.name, func.count(Site.id), func.sum(patrolled))
        .join(Region, Region.id == Site.grid_id)
        .where(site_filter, Site.active.is_(True))
        .group_by(Region.id, Region.name)).all()
    by_grid = [{"region_id": rid, "name": name, "sites": int(sites), "patrolled": int(done or 0),
                "share": _share(int(done or 0), int(sites))} for rid, name, sites, done in grid_rows]

    # A worker holding several grids (or two grants on one grid) counts each site once.
    worker_sites = (select(RoleGrant.user_id.label("user_id"), Site.id.label("site_id"))
                    .join(Site, Site.grid_id == RoleGrant.region_id)
                    .where(RoleGrant.role == Role.GRID_WORKER.value, site_filter, Site.active.is_(True))
                    .distinct().subquery())
    by_self = case((exists(select(Inspection.id).where(
        Inspection.site_id == worker_sites.c.site_id, Inspection.inspector_id == worker_sites.c.user_id,
        in_window)), 1), else_=0)
    worker_rows = db.session.execute(
        select(User.id, User.display_name, func.count(worker_sites.c.site_id), func.sum(by_self))
        .join(worker_sites, worker_sites.c.user_id == User.id)
        .where(User.active.is_(True))
        .group_by(User.id, User.display_name)).all()
    found = dict(db.session.execute(
        select(Hazard.found_by_id, func.count(Hazard.id))
        .join(Site, Site.id == Hazard.site_id)
        .where(site_filter, Hazard.found_at >= start, Hazard.found_at < end, Hazard.found_by_id.is_not(None))
        .group_by(Hazard.found_by_id)).all())
    by_inspector = [{"user_id": uid, "name": name, "sites": int(sites), "patrolled": int(done or 0),
                     "share": _share(int(done or 0), int(sites)), "hazards_found": int(found.get(uid, 0))}
                    for uid, name, sites, done in worker_rows]

    by_grid.sort(key=lambda r: (r["share"], r["name"], r["region_id"]))
    by_inspector.sort(key=lambda r: (r["share"], r["name"], r["user_id"]))
    return {"by_grid": by_grid, "by_inspector": by_inspector}
