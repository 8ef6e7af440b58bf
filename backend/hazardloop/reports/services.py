"""Build a 通报 draft for a scope (street or department) and period from the hazard list's own filters.

Every number is a count over ``hazards.queries.filters`` — the WHERE clause of GET /api/v1/hazards —
with the same arguments the list takes, so a circular and the list can never disagree.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from hazardloop.accounts.models import User
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.queries import filters
from hazardloop.hazards.states import LEVEL_LABELS, HazardLevel, HazardStatus
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site


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


def _count(user: User, args: dict[str, Any]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Hazard).where(*filters(user, args))) or 0)


def draft_circular(user: User, *, period: str, day: dt.date, region_id: int | None = None,
                   department_id: int | None = None) -> dict[str, Any]:
    """The circular's numbers and lists for ``user``'s scope narrowed to a street/region or department.

    Raises ValidationFailed for an unknown period. Records nothing (stored drafts: reports.circulars).
    """
    found_from, found_to, period_title = period_bounds(period, day)
    scope_name = (db.session.get(Region, region_id).name if region_id and db.session.get(Region, region_id)
                  else db.session.get(Department, department_id).name if department_id
                  and db.session.get(Department, department_id) else "全部")
    return {
        "title": f"{scope_name}{period_title}安全隐患排查治理情况通报（草稿）", "period": period,
        **figures(user, region_id=region_id, department_id=department_id, found_from=found_from, found_to=found_to),
    }


def figures(reader: Any, *, region_id: int | None, department_id: int | None, found_from: dt.datetime,
            found_to: dt.datetime) -> dict[str, Any]:
    """Every figure and list of a circular, each a query over the hazard list's filters as ``reader`` sees them.

    Found, rectified and on time count the hazards found in [found_from, found_to); the overdue list is
    every hazard overdue now; 重大 items are those found in the period. ``list_query`` is the
    GET /api/v1/hazards query giving the same hazards.
    """
    scope: dict[str, Any] = {"region": region_id, "department": department_id}
    scope = {k: v for k, v in scope.items() if v is not None}
    in_period = {**scope, "found_from": found_from, "found_to": found_to}
    where = filters(reader, in_period)
    by_status = dict(db.session.execute(select(Hazard.status, func.count()).where(*where)
                                        .group_by(Hazard.status)).all())
    found = sum(by_status.values())
    closed = by_status.get(HazardStatus.CLOSED.value, 0)
    on_time = int(db.session.scalar(select(func.count()).select_from(Hazard).where(
        *where, Hazard.status == HazardStatus.CLOSED.value,
        (Hazard.deadline_at.is_(None)) | (Hazard.closed_at <= Hazard.deadline_at))) or 0)
    overdue_rows = db.session.scalars(select(Hazard).where(*filters(reader, {**scope, "overdue": True}))
                                      .order_by(Hazard.deadline_at, Hazard.id)).all()
    major_rows = db.session.scalars(select(Hazard).where(*filters(reader, {**in_period, "level": "major"}))
                                    .order_by(Hazard.id)).all()
    repeat = Counter(db.session.scalars(select(Hazard.site_id).where(*where)))
    offenders = [(site_id, n) for site_id, n in repeat.most_common() if n >= 2]
    grid_rows = db.session.execute(
        select(Site.grid_id, func.count(), func.sum((Hazard.status == HazardStatus.CLOSED.value).cast(db.Integer)))
        .join(Site, Site.id == Hazard.site_id).where(*where).group_by(Site.grid_id)).all()
    grids = sorted(({"grid_id": g, "found": int(n), "closed": int(c or 0),
                     "closed_rate": round((c or 0) / n, 4) if n else None} for g, n, c in grid_rows),
                   key=lambda r: (-(r["closed_rate"] or 0), -r["found"], r["grid_id"]))
    names = _names({h.site_id for h in (*overdue_rows, *major_rows)} | {s for s, _ in offenders},
                   {g["grid_id"] for g in grids}, {h.department_id for h in overdue_rows if h.department_id})
    return {
        "found_from": found_from, "found_to": found_to,
        "list_query": {**scope, "found_from": found_from.isoformat(), "found_to": found_to.isoformat()},
        "found": found, "counts": {s.value: by_status.get(s.value, 0) for s in HazardStatus},
        "rectified": closed, "on_time": on_time,
        "on_time_rate": round(on_time / closed, 4) if closed else None,
        "overdue": [_line(h, names) for h in overdue_rows],
        "major": [_line(h, names) for h in major_rows],
        "supervised": [_line(h, names) for h in major_rows if h.supervised],
        "repeat_offenders": [{"site_id": s, "site": names["site"].get(s), "hazards": n} for s, n in offenders],
        "best_grids": [{**g, "grid": names["grid"].get(g["grid_id"])} for g in grids[:3]],
        "worst_grids": [{**g, "grid": names["grid"].get(g["grid_id"])} for g in reversed(grids[-3:])],
        "generated_at": utcnow(),
    }


def _names(site_ids: set[int], grid_ids: set[int], department_ids: set[int]) -> dict[str, dict[int, str]]:
    def lookup(model: Any, ids: set[int]) -> dict[int, str]:
        return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}

    return {"site": lookup(Site, site_ids), "grid": lookup(Region, grid_ids),
            "department": lookup(Department, department_ids)}


def _line(hazard: Hazard, names: dict[str, dict[int, str]]) -> dict[str, Any]:
    return {"id": hazard.id, "number": hazard.number, "site_id": hazard.site_id,
            "site": names["site"].get(hazard.site_id),
            "level": LEVEL_LABELS[HazardLevel(hazard.level)], "status": hazard.status, "supervised": hazard.supervised,
            "deadline_at": hazard.deadline_at.isoformat() if hazard.deadline_at else None,
            "responsible_department": names["department"].get(hazard.department_id or 0),
            "description": hazard.description}


def render_html(draft: dict[str, Any]) -> str:
    """The draft as a simple HTML page for the supervisor to review before publishing."""
    e = html.escape
    rate = f"{draft['on_time_rate']:.0%}" if draft["on_time_rate"] is not None else "—"
    rows = "".join(f"<tr><td>{e(h['number'])}</td><td>{e(h['site'] or '')}</td><td>{e(h['level'])}</td>"
                   f"<td>{e(h['deadline_at'] or '')}</td><td>{e(h['responsible_department'] or '')}</td></tr>"
                   for h in draft["overdue"])
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{e(draft['title'])}</title>"
            f"<h1>{e(draft['title'])}</h1>"
            f"<p>本期发现隐患 {draft['found']} 项，已整改闭环 {draft['rectified']} 项，按期整改率 {rate}；"
            f"当前逾期未整改 {len(draft['overdue'])} 项，重大隐患 {len(draft['major'])} 项"
            f"（挂牌督办 {len(draft['supervised'])} 项）。</p>"
            f"<h2>逾期未整改隐患</h2><table><tr><th>编号</th><th>单位</th><th>等级</th><th>期限</th>"
            f"<th>责任部门</th></tr>{rows}</table></html>")
