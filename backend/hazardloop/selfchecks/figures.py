"""自查自报 figures per enterprise: each defined once here with its denominator (as circulars.figures does).

The population (应报单位) is the active sites within the reader's scope (policy ``site.self_check_stats``)
that have an active 企业账号; the period is one local calendar month [start, end). The console prints each
figure with its label, its denominator and this definition, and nothing else computes them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import exists, func, select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.circulars.figures import Figure, rate, rate_text
from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.states import HazardLevel
from hazardloop.inspections.models import Inspection
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.selfchecks.models import SelfCheckReport
from hazardloop.selfchecks.services import (
    period_bounds,
    period_label,
    period_of,
    self_findings_in,
    self_inspections_in,
    with_enterprise_account,
)
from hazardloop.sites.models import Site
from hazardloop.taxonomy import Role

POPULATION = "应报单位：本人管辖范围内、已开通企业账号的在册生产经营单位（企业账号可在手机上报告）。"
NOT_REPORTED = "未报告：应报单位中，本期没有提交月度自查报告（含「本月未发现隐患」报告）的。"

FIGURES: tuple[Figure, ...] = (
    Figure("inspections", "自查次数",
           "本期内完成的企业自查记录数（检查方式为「企业自查」，以检查结束时间为准）。", unit="次"),
    Figure("findings", "自查发现数",
           "本期内企业自查发现的隐患数（来源为「企业自查」、发现时间在本期内；再次查到同一未闭环隐患不重复计）。"),
    Figure("general_findings", "其中一般隐患",
           "自查发现的隐患中等级为一般的（重大隐患须报监管部门进入交办整改，不能自改）。", denominator="findings"),
    Figure("self_rectified", "自行整改",
           "自查发现的一般隐患中，企业已当场整改或自查自改的（被抽查且复查不通过的不计入）。",
           denominator="general_findings"),
    Figure("self_rectified_rate", "自改率",
           "自行整改 ÷ 自查发现的一般隐患，写明分子分母；本期没有自查发现一般隐患时为「—（0/0）」。",
           unit="", numerator="self_rectified", denominator="general_findings"),
    Figure("months_due", "应报月数",
           "本年 1 月（场所登记晚于 1 月的，自登记当月）至本期的各月中，已经结束的月份，加上已报告的本期。",
           unit="个月"),
    Figure("months_on_time", "按期报告月数",
           "应报月份中，在该月结束前提交了月度自查报告（含「本月未发现隐患」）的。", unit="个月",
           denominator="months_due"),
    Figure("on_time_rate", "按期率",
           "按期报告月数 ÷ 应报月数，写明分子分母；没有应报月份时为「—（0/0）」。",
           unit="", numerator="months_on_time", denominator="months_due"),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}


def definitions() -> list[dict[str, Any]]:
    """Each figure's label, definition and what it is counted out of, for the screen's legend."""
    return [{"key": f.key, "label": f.label, "definition": f.definition, "is_rate": f.is_rate,
             "denominator_label": FIGURE_BY_KEY[f.denominator].label if f.denominator else None}
            for f in FIGURES]


def _months(first: str, last: str) -> list[str]:
    out, year, month = [], *(int(p) for p in first.split("-"))
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _present(counts: dict[str, int]) -> dict[str, dict[str, Any]]:
    out = {}
    for f in FIGURES:
        base = counts.get(f.denominator) if f.denominator else None
        if f.is_rate:
            numerator = counts[f.numerator or ""]
            out[f.key] = {"value": rate(numerator, base), "text": rate_text(numerator, base),
                          "numerator": numerator, "denominator": base}
        else:
            value = counts[f.key]
            out[f.key] = {"value": value, "text": f"{value} {f.unit}".strip(), "numerator": value,
                          "denominator": base}
    return out


def compute(user: User, period: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The period's figures per 应报单位 in ``user``'s scope, a total row, and the list of those not reported."""
    now = now or utcnow()
    start, end = period_bounds(period)
    sites = list(db.session.execute(
        select(Site.id, Site.name, Site.created_at, Region.name.label("grid_name"))
        .join(Region, Region.id == Site.grid_id)
        .where(policy.visible(user, Site, Action.SITE_SELF_CHECK_STATS), with_enterprise_account())
        .order_by(Region.name, Site.name, Site.id)))
    ids = [s.id for s in sites]
    inspections = Counter(dict(db.session.execute(
        select(Inspection.site_id, func.count()).where(self_inspections_in(ids, start, end))
        .group_by(Inspection.site_id)).all()))
    findings: Counter[int] = Counter()
    general: Counter[int] = Counter()
    rectified: Counter[int] = Counter()
    fixed_by_enterprise = exists(select(AuditEvent.id).where(
        AuditEvent.hazard_id == Hazard.id, AuditEvent.kind.in_(["close_on_site", "self_rectify"]),
        AuditEvent.actor_role == Role.ENTERPRISE_USER.value))
    for site_id, level, fixed, rejections in db.session.execute(
            select(Hazard.site_id, Hazard.level, fixed_by_enterprise, Hazard.rejection_count)
            .where(self_findings_in(ids, start, end))):
        findings[site_id] += 1
        if level == HazardLevel.GENERAL.value:
            general[site_id] += 1
            rectified[site_id] += bool(fixed) and not rejections
    year_start = f"{period[:4]}-01"
    reports = {(r.site_id, r.period): r for r in db.session.scalars(select(SelfCheckReport).where(
        SelfCheckReport.site_id.in_(ids), SelfCheckReport.period >= year_start, SelfCheckReport.period <= period))}
    current = period_of(now)
    rows, totals = [], Counter()
    for s in sites:
        first = max(year_start, period_of(s.created_at))
        due = [m for m in _months(first, period) if m < current or (s.id, m) in reports]
        counts = {"inspections": inspections[s.id], "findings": findings[s.id], "general_findings": general[s.id],
                  "self_rectified": rectified[s.id], "months_due": len(due),
                  "months_on_time": sum(1 for m in due if (r := reports.get((s.id, m))) and r.on_time)}
        totals.update(counts)
        report = reports.get((s.id, period))
        rows.append({"site_id": s.id, "site_name": s.name, "grid_name": s.grid_name,
                     "reported": report is not None, "zero_report": bool(report and report.zero_report),
                     "reported_at": report.reported_at if report else None,
                     "on_time": report.on_time if report else None, "figures": _present(counts)})
    keys = ("inspections", "findings", "general_findings", "self_rectified", "months_due", "months_on_time")
    return {
        "period": period, "period_label": period_label(period), "start": start, "end": end,
        "ended": now >= end, "population": POPULATION, "not_reported_definition": NOT_REPORTED,
        "definitions": definitions(), "rows": rows,
        "totals": _present({k: totals[k] for k in keys}),
        "not_reported": [{"site_id": r["site_id"], "site_name": r["site_name"], "grid_name": r["grid_name"]}
                         for r in rows if not r["reported"]],
    }
