"""控制措施检查: each control measure's check period (by its 风险点's level) and 管控层级 (who checks), and which
checks are due.

A measure is checked by an inspection of its site that answers every checklist item linked to the measure
(the enterprise's 企业自查 for the tiers 企业/车间/班组/岗位, a grid worker's or inspector's patrol for 街道/区);
nothing else is stored: the last such inspection is the measure's last check, and a 不符合 answer is a hazard
through the normal loop (``inspections.services.submit_inspection``). Periods and the due-date rule are those
of the patrol plan (``inspections.patrols.period_due``: calendar periods from local midnight, Asia/Shanghai), which
also folds the 街道/区 checks into its rows; the configuration is ``measure_checks`` in config/risk.yaml.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from hazardloop.accounts.models import User
from hazardloop.database import local_zone, utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import HazardStatus
from hazardloop.inspections.models import Inspection, InspectionMode
from hazardloop.inspections.patrols import PERIOD_LABELS, Period, PeriodDue, period_due, period_start
from hazardloop.risk import rules as R
from hazardloop.risk.models import RiskPoint
from hazardloop.sites.models import Site
from hazardloop.taxonomy import Role

ENTERPRISE, GOVERNMENT = "enterprise", "government"
CHECKER_LABELS = {ENTERPRISE: "企业自查", GOVERNMENT: "网格员/检查人员巡查"}
# Which inspections count as a check of a measure, by who checks it.
CHECK_MODES = {
    ENTERPRISE: frozenset({InspectionMode.SELF.value}),
    GOVERNMENT: frozenset({InspectionMode.ROUTINE.value, InspectionMode.COVERT.value,
                           InspectionMode.ENFORCEMENT.value, InspectionMode.JOINT.value}),
}
UNASSESSED = "unassessed"


@dataclass(frozen=True)
class MeasureRules:
    periods: Mapping[str, Period]  # risk level (or "unassessed") -> period
    tiers: Mapping[str, str]  # 管控层级 -> ENTERPRISE / GOVERNMENT

    def period_for(self, level: str | None) -> Period:
        return self.periods.get(level or UNASSESSED) or self.periods.get(UNASSESSED) or Period.QUARTER

    def checker_for(self, tier: str | None) -> str:
        """Who checks a measure of this 管控层级; an unknown tier is the enterprise's own."""
        return self.tiers.get(tier or "", ENTERPRISE)


def measure_rules(rules: R.Rules | None = None) -> MeasureRules:
    """``measure_checks`` of config/risk.yaml; raises RulesError naming the bad key."""
    section = (rules or R.load_rules()).raw.get("measure_checks") or {}
    periods: dict[str, Period] = {}
    for key, value in (section.get("periods") or {}).items():
        try:
            periods[str(key)] = Period(value)
        except ValueError as exc:
            raise R.RulesError(f"measure_checks.periods.{key}: 未知的周期 {value!r}") from exc
    tiers: dict[str, str] = {}
    for checker, names in (section.get("tiers") or {}).items():
        if checker not in CHECK_MODES:
            raise R.RulesError(f"measure_checks.tiers.{checker}: 应为 enterprise 或 government")
        tiers.update({str(n): checker for n in names or []})
    return MeasureRules(periods, tiers)


@dataclass(frozen=True)
class MeasureCheck:
    """One control measure of one risk point and where it stands in its check period."""

    site: Site
    point: RiskPoint
    index: int  # the measure's position in the point's list
    measure: Mapping[str, Any]
    checker: str
    period: Period
    status: PeriodDue
    checklist_id: str | None  # the checklist holding the measure's items (the inspection to start)
    open_hazards: list[dict[str, Any]]

    @property
    def period_label(self) -> str:
        return PERIOD_LABELS[self.period]

    @property
    def checker_label(self) -> str:
        return CHECKER_LABELS[self.checker]

    @property
    def last_checked_at(self) -> dt.datetime | None:
        return self.status.last_at

    @property
    def due_at(self) -> dt.datetime:
        return self.status.due_at

    @property
    def overdue(self) -> bool:
        return self.status.overdue

    @property
    def checked_this_period(self) -> bool:
        return self.status.done_this_period

    @property
    def period_ends_at(self) -> dt.datetime:
        return self.status.period_ends_at

    @property
    def text(self) -> str:
        return str(self.measure.get("text") or "")

    @property
    def tier(self) -> str:
        return str(self.measure.get("tier") or "")

    @property
    def check_items(self) -> list[str]:
        return list(self.measure.get("check_items") or [])


def checker_of(user: User) -> str | None:
    """Whose checks a user does: an enterprise user the enterprise's, an official the government's, an
    admin both (None)."""
    roles = {Role(g.role) for g in user.grants}
    if Role.ADMIN in roles:
        return None
    if roles and roles <= {Role.ENTERPRISE_USER}:
        return ENTERPRISE
    return GOVERNMENT


def item_checklists() -> dict[str, str]:
    """Checklist item code → the id of the current checklist that holds it."""
    from hazardloop.checklists.services import current_versions, document

    out: dict[str, str] = {}
    for version in current_versions():
        for code in document(version).items:
            out.setdefault(code, version.checklist_id)
    return out


def last_checks(site_ids: Iterable[int], since: dt.datetime, modes: Iterable[str] | None = None,
                ) -> dict[int, list[tuple[str, dt.datetime, set[str]]]]:
    """Per site, its inspections (of ``modes`` when given) finished since ``since``, latest first: mode, finish
    time and the items answered."""
    mode_filter = Inspection.mode.in_(sorted(modes)) if modes is not None else Inspection.mode.is_not(None)
    ids = list(site_ids)
    out: dict[int, list[tuple[str, dt.datetime, set[str]]]] = defaultdict(list)
    if not ids:
        return out
    for start in range(0, len(ids), 500):
        for site_id, mode, finished, answers in db.session.execute(
                select(Inspection.site_id, Inspection.mode, Inspection.finished_at, Inspection.answers)
                .where(Inspection.site_id.in_(ids[start:start + 500]), Inspection.finished_at >= since, mode_filter)
                .order_by(Inspection.finished_at.desc(), Inspection.id.desc())):
            out[site_id].append((mode, finished, {str(a.get("item_code")) for a in answers or []}))
    return out


def measure_checks(site_filter: ColumnElement[bool], *, checker: str | None = None, now: dt.datetime | None = None,
                   include_done: bool = False) -> list[MeasureCheck]:
    """The control measures of the active sites matching ``site_filter`` (only ``checker``'s when given), each
    with its last check and due time; without ``include_done`` only those not yet checked this period.
    Overdue first, then by due time."""
    now = now or utcnow()
    zone = local_zone()
    config = measure_rules()
    rows = db.session.execute(
        select(RiskPoint, Site).join(Site, Site.id == RiskPoint.site_id)
        .where(site_filter, Site.active.is_(True), RiskPoint.active.is_(True))
        .options(selectinload(Site.grid)).order_by(Site.id, RiskPoint.id)).all()
    if not rows:
        return []
    longest = max(list(config.periods.values()) or [Period.QUARTER],
                  key=lambda p: [Period.WEEK, Period.MONTH, Period.QUARTER, Period.HALF_YEAR, Period.YEAR].index(p))
    # Checks older than the previous period of the longest length cannot make any measure current.
    window = period_start(longest, period_start(longest, now, zone) - dt.timedelta(seconds=1), zone)
    site_ids = sorted({site.id for _, site in rows})
    inspections = last_checks(site_ids, window.astimezone(dt.UTC), CHECK_MODES[checker] if checker else None)
    failing: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(site_ids), 500):
        for hid, sid, number, code, level in db.session.execute(
                select(Hazard.id, Hazard.site_id, Hazard.number, Hazard.item_code, Hazard.level)
                .where(Hazard.site_id.in_(site_ids[start:start + 500]), Hazard.item_code.is_not(None),
                       Hazard.status != HazardStatus.CLOSED.value,
                       ~(Hazard.covert.is_(True) & (Hazard.status == HazardStatus.FOUND.value)))
                .order_by(Hazard.id)):
            failing[(sid, code)].append({"id": hid, "number": number, "level": level})
    checklists = item_checklists()
    out: list[MeasureCheck] = []
    for point, site in rows:
        period = config.period_for(point.level)
        for index, measure in enumerate(point.measures or []):
            who = config.checker_for(measure.get("tier"))
            if checker is not None and who != checker:
                continue
            items = set(measure.get("check_items") or [])
            if not items:
                continue  # a measure the site added without checklist items is not checked by an inspection
            modes = CHECK_MODES[who]
            last = next((finished for mode, finished, answered in inspections.get(site.id, [])
                         if mode in modes and items <= answered), None)
            since = max(point.created_at, window) if last is None else point.created_at
            status = period_due(period, last, since, now, zone)
            if status.done_this_period and not include_done:
                continue
            codes = list(measure.get("check_items") or [])
            out.append(MeasureCheck(
                site=site, point=point, index=index, measure=measure, checker=who, period=period, status=status,
                checklist_id=next((checklists[c] for c in codes if c in checklists), None),
                open_hazards=[h for c in codes for h in failing.get((site.id, c), [])]))
    return sorted(out, key=lambda c: (not c.overdue, c.due_at, c.site.name, c.site.id, c.point.id, c.index))


def site_measure_status(site: Site, now: dt.datetime | None = None) -> dict[tuple[int, int], dict[str, Any]]:
    """For the site's risk view: (risk point id, measure index) → its last check, due time and who checks it."""
    return {(c.point.id, c.index): {
        "last_checked_at": c.last_checked_at, "due_at": c.due_at, "overdue": c.overdue,
        "checked_this_period": c.checked_this_period, "period_label": c.period_label, "checker": c.checker,
        "checker_label": c.checker_label} for c in measure_checks(Site.id == site.id, now=now, include_done=True)}
