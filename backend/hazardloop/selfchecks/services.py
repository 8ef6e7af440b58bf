"""自查自报 rules: a site's month (its self-inspections, findings, report), submitting the report, reminders.

A period is one calendar month in the configured zone (Asia/Shanghai), written "2026-12", [start, end).
The report links the month's self-inspections and the hazards they found as they stand when it arrives;
the enterprise never types them again. 「本月未发现隐患」 is a report too (``zero_report``), refused when
the month's self-inspections did find hazards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError

from hazardloop import policy
from hazardloop.accounts.models import RoleGrant, User
from hazardloop.bulk import insert_ignoring_duplicates
from hazardloop.canonical import canonical_hash
from hazardloop.database import add_first_write, local_zone, utcnow
from hazardloop.errors import Conflict, RuleViolation, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import HazardSource
from hazardloop.inspections.models import Inspection, InspectionMode
from hazardloop.notifications.services import Notice, notify_many
from hazardloop.policy import Action
from hazardloop.selfchecks.models import SelfCheckReminder, SelfCheckReport
from hazardloop.sites.models import Site
from hazardloop.sites.services import get_site, site_for_record
from hazardloop.taxonomy import Role

# --- periods -------------------------------------------------------------------------------------


def period_of(moment: dt.datetime) -> str:
    """The local calendar month an instant falls in: "2026-12"."""
    local = moment.astimezone(local_zone())
    return f"{local.year:04d}-{local.month:02d}"


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a period in UTC: local midnight of the 1st to local midnight of the next 1st."""
    year, month = (int(p) for p in period.split("-"))
    zone = local_zone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def previous_period(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def period_label(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year}年{month}月"


def last_day_label(period: str) -> str:
    """「12月31日」: the period's last local day, the date a report is due by."""
    _, end = period_bounds(period)
    last = (end.astimezone(local_zone()) - dt.timedelta(days=1)).date()
    return f"{last.month}月{last.day}日"


def parse_period(value: str | None, now: dt.datetime | None = None, field: str = "period") -> str:
    """A requested period, or the current one; ValidationFailed for a malformed one."""
    if not value:
        return period_of(now or utcnow())
    try:
        year, month = (int(p) for p in value.split("-"))
        if len(value) != 7 or not 2000 <= year <= 2100 or not 1 <= month <= 12:
            raise ValueError
    except ValueError as exc:
        raise ValidationFailed.field(field, "月份格式应为 YYYY-MM，如 2026-12。") from exc
    return value


def reportable_problem(period: str, now: dt.datetime, site: Site | None = None) -> str | None:
    """Why a period cannot be reported now (None: it can): the current month, or last month late; never a month
    that ended before the site was registered."""
    current = period_of(now)
    if site is not None and site.created_at is not None and site.created_at >= period_bounds(period)[1]:
        return f"该场所登记于{period_label(period)}之后，无需报告{period_label(period)}的自查情况。"
    if period > current:
        return f"{period_label(period)}尚未开始，不能提前报告。"
    if period < previous_period(current):
        return f"只能报告本月或上月的自查情况，{period_label(period)}已过报告期。"
    return None


# --- one site's month ----------------------------------------------------------------------------


def self_inspections_in(site_ids: Any, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """自查记录 of the period: mode 企业自查, finished in [start, end)."""
    return (Inspection.site_id.in_(site_ids) & (Inspection.mode == InspectionMode.SELF.value)
            & (Inspection.finished_at >= start) & (Inspection.finished_at < end))


def self_findings_in(site_ids: Any, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """自查发现的隐患 of the period: source 企业自查, found in [start, end)."""
    return (Hazard.site_id.in_(site_ids) & (Hazard.source == HazardSource.SELF_CHECK.value)
            & (Hazard.found_at >= start) & (Hazard.found_at < end))


@dataclass(frozen=True)
class Month:
    """A site's 自查自报 month as ``user`` sees it, with the report step offered now (if any)."""

    site: Site
    period: str
    start: dt.datetime
    end: dt.datetime
    inspections: list[Inspection]
    findings: list[Hazard]
    report: SelfCheckReport | None
    offered: str | None  # "report" 提交本月自查报告 / "zero" 本月未发现隐患 / None
    blocked_reason: str | None

    @property
    def period_label(self) -> str:
        return period_label(self.period)

    @property
    def due_label(self) -> str:
        return last_day_label(self.period)


def _month_rows(site: Site, start: dt.datetime, end: dt.datetime) -> tuple[list[Inspection], list[Hazard]]:
    inspections = list(db.session.scalars(select(Inspection).where(self_inspections_in([site.id], start, end))
                                          .order_by(Inspection.finished_at, Inspection.id)))
    findings = list(db.session.scalars(select(Hazard).where(self_findings_in([site.id], start, end))
                                       .order_by(Hazard.found_at, Hazard.id)))
    return inspections, findings


def found_something(inspections: list[Inspection], findings: list[Hazard]) -> bool:
    """Whether the month's self-inspections found any hazard: a new one, or an open one seen again."""
    return bool(findings) or any(i.finding_count for i in inspections)


def _report_of(site_id: int, period: str) -> SelfCheckReport | None:
    return db.session.scalar(select(SelfCheckReport).where(SelfCheckReport.site_id == site_id,
                                                           SelfCheckReport.period == period)
                             .execution_options(populate_existing=True))


def month(site_id: int, period: str, *, user: User, now: dt.datetime | None = None) -> Month:
    """The month of one site: NotFound outside the user's scope; the step offered comes from the same
    checks ``submit_report`` makes (role, period, already reported, findings)."""
    now = now or utcnow()
    site = get_site(site_id)
    policy.authorize(user, Action.SITE_SELF_CHECK_STATUS, site)
    start, end = period_bounds(period)
    inspections, findings = _month_rows(site, start, end)
    report = _report_of(site.id, period)
    offered, reason = None, None
    if report is not None:
        reason = "本月自查报告已提交，每个场所每月只报一次。"
    elif policy.can(user, Action.SITE_SELF_CHECK_REPORT, site):
        reason = reportable_problem(period, now, site)
        if reason is None:
            offered = "report" if found_something(inspections, findings) else "zero"
    return Month(site, period, start, end, inspections, findings, report, offered, reason)


# --- submitting ----------------------------------------------------------------------------------


def submit_report(data: dict[str, Any], *, actor: User, now: dt.datetime | None = None) -> tuple[SelfCheckReport, bool]:
    """Record a month's 自查自报 sent by a phone; returns (report, created).

    The same ``client_uuid`` with the same content returns the stored report; other content under it is a
    Conflict (``client_uuid_reused``); a second report for the site and month is a Conflict
    (``already_reported``). 「本月未发现隐患」 with findings, or a report without any self-inspection, is a
    RuleViolation. Records one ``self_check_reported`` event in the audit chain. A site merged meanwhile
    (合并重复场所) is followed to the surviving site, which the report is for (the event names the merged one).
    """
    now = now or utcnow()
    digest = canonical_hash(data)
    existing = _stored(str(data["client_uuid"]), digest, actor)
    if existing is not None:
        return existing, False
    site, merged_from = site_for_record(data["site_id"])
    policy.authorize(actor, Action.SITE_SELF_CHECK_REPORT, site)
    role = policy.acting_role(actor, Action.SITE_SELF_CHECK_REPORT, site)
    assert role is not None
    period = parse_period(data["period"])
    if problem := reportable_problem(period, now, site):
        raise ValidationFailed.field("period", problem, "period_closed")
    already = _report_of(site.id, period)
    if already is not None:
        # A copy of this very submission may have been stored since the first look (sent twice at once).
        if already.client_uuid == str(data["client_uuid"]) and (stored := _stored(already.client_uuid, digest, actor)):
            return stored, False
        raise _already_reported(already)
    start, end = period_bounds(period)
    inspections, findings = _month_rows(site, start, end)
    zero = bool(data["zero_report"])
    if zero and found_something(inspections, findings):
        raise RuleViolation(f"{period_label(period)}的自查发现了隐患（新发现 {len(findings)} 项），"
                            "不能报「本月未发现隐患」，请提交本月自查报告。", code="findings_exist")
    if not zero and not inspections:
        raise RuleViolation(f"{period_label(period)}还没有自查记录：请先完成自查，或报「本月未发现隐患」。",
                            code="no_self_inspection")
    # The phone's moment of pressing counts (it may have been offline), never later than the arrival.
    reported_at = min(data.get("reported_at") or now, now)
    if reported_at < start:
        reported_at = now  # a phone clock before the month it reports on is not believed
    report = SelfCheckReport(
        client_uuid=str(data["client_uuid"]), content_hash=digest, site_id=site.id, period=period, zero_report=zero,
        inspection_ids=[i.id for i in inspections], hazard_ids=[h.id for h in findings],
        inspection_count=len(inspections), finding_count=len(findings),
        note=(data.get("note") or "").strip() or None, reported_by_id=actor.id, reported_at=reported_at,
        received_at=now, on_time=reported_at < end)
    try:
        add_first_write(report)  # the event below must commit with it, never after it
    except IntegrityError:
        # A copy of this submission, or another phone's report of the same month, was written meanwhile.
        stored = _stored(report.client_uuid, digest, actor)
        if stored is not None:
            return stored, False
        other = _report_of(site.id, period)
        if other is None:
            raise
        raise _already_reported(other) from None
    payload = {"report_id": report.id, "site_id": site.id, "period": period, "zero_report": zero,
               "inspection_ids": report.inspection_ids, "hazard_ids": report.hazard_ids, "on_time": report.on_time}
    if merged_from is not None:
        payload["merged_from_site_id"] = merged_from
    event = append_event(
        kind="self_check_reported", actor=actor, actor_role=role.value, client_time=reported_at,
        note="本月未发现隐患" if zero else (report.note or None), payload=payload)
    report.event_hash = event.hash
    db.session.flush()
    return report, True


def _already_reported(report: SelfCheckReport) -> Conflict:
    when = report.reported_at.astimezone(local_zone())
    return Conflict(f"{period_label(report.period)}的自查报告已于 {when.month}月{when.day}日 {when:%H:%M} 提交，"
                    "每个场所每月只报一次。", code="already_reported", report_id=report.id)


def _stored(client_uuid: str, digest: str, actor: User) -> SelfCheckReport | None:
    existing = db.session.scalar(select(SelfCheckReport).where(SelfCheckReport.client_uuid == client_uuid)
                                 .execution_options(populate_existing=True))
    if existing is None:
        return None
    if existing.content_hash != digest:
        raise Conflict("该自查报告编号已提交过不同的内容。", code="client_uuid_reused")
    policy.authorize(actor, Action.SITE_SELF_CHECK_STATUS, existing.site)
    return existing


# --- who must report, and reminders --------------------------------------------------------------


def with_enterprise_account() -> ColumnElement[bool]:
    """应报单位: an active site with at least one active 企业账号 (who can report on the phone)."""
    return Site.active.is_(True) & exists(
        select(RoleGrant.id).join(User, User.id == RoleGrant.user_id).where(
            RoleGrant.site_id == Site.id, RoleGrant.role == Role.ENTERPRISE_USER.value, User.active.is_(True)))


def send_reminders(now: dt.datetime | None = None) -> dict[str, Any]:
    """自查自报提醒: in the last SELF_CHECK_REMIND_DAYS days of a month, tell each reporting site's enterprise
    accounts that the month is not reported yet — once per site and period (a unique row decides, so two
    sweeps at once or a rerun never remind twice)."""
    now = now or utcnow()
    period = period_of(now)
    _, end = period_bounds(period)
    days = int(current_app.config.get("SELF_CHECK_REMIND_DAYS", 3))
    if now < end - dt.timedelta(days=days):
        return {"period": period, "reminded": 0}
    reported = select(SelfCheckReport.site_id).where(SelfCheckReport.period == period)
    reminded = select(SelfCheckReminder.site_id).where(SelfCheckReminder.period == period)
    sites = list(db.session.execute(select(Site.id, Site.name).where(
        with_enterprise_account(), Site.id.not_in(reported), Site.id.not_in(reminded)).order_by(Site.id)))
    if not sites:
        return {"period": period, "reminded": 0}
    accounts: dict[int, list[int]] = {}
    for site_id, user_id in db.session.execute(
            select(RoleGrant.site_id, RoleGrant.user_id).join(User, User.id == RoleGrant.user_id).where(
                RoleGrant.site_id.in_([s.id for s in sites]), RoleGrant.role == Role.ENTERPRISE_USER.value,
                User.active.is_(True)).order_by(RoleGrant.user_id)):
        accounts.setdefault(site_id, []).append(user_id)
    inserted = {row.site_id for row in insert_ignoring_duplicates(
        SelfCheckReminder, [{"site_id": s.id, "period": period, "recipients": accounts.get(s.id, []), "sent_at": now}
                            for s in sites], ["site_id", "period"], [SelfCheckReminder.site_id])}
    due = last_day_label(period)
    notify_many([Notice(accounts.get(s.id, []), kind="reminder.self_check",
                        title=f"请在{due}前提交{period_label(period)}自查自报",
                        body=f"{s.name}：{period_label(period)}的隐患自查自报尚未提交。请在「每月自查自报」中提交本月"
                             f"自查报告；本月没有发现隐患的，请报「本月未发现隐患」。",
                        hazard_id=None, dedupe_key=f"self-check-reminder:{s.id}:{period}")
                 for s in sites if s.id in inserted])
    return {"period": period, "reminded": len(inserted)}


# --- 自报: a 重大 hazard the enterprise found itself ---------------------------------------------------

SELF_REPORTED_GROUPS = ["grid_worker", "street_supervisor", "district_office"]


def notify_major_self_finding(hazard_id: int) -> None:
    """Outbox handler for ``hazard.self_reported``: tell the grid worker and the street and district supervisors
    that an enterprise reported a 重大 hazard from its self-inspection, for them to verify and 交办 (once)."""
    from hazardloop.notifications.services import notify, recipients_for

    hazard = db.session.get(Hazard, hazard_id)
    if hazard is None:
        return
    notify(recipients_for(hazard, SELF_REPORTED_GROUPS), kind="hazard.self_reported",
           title=f"企业自报重大隐患（{hazard.number}）",
           body=f"{hazard.site.name}：{hazard.description}\n企业自查发现并报告，请核实后交办，督促制定治理方案。",
           hazard_id=hazard.id, dedupe_key=f"self-reported:{hazard.id}")
