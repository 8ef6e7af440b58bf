"""通报 figures: every number a circular prints, each defined once here with its denominator.

Each figure is a query over ``hazards.queries.filters`` — the WHERE clause of GET /api/v1/hazards —
as the reader sees it, narrowed to the circular's street/district or department. ``FIGURES`` is the
one table of definitions: the HTML/PDF page, the XLSX annex, the API (and so the console) print
each figure with its label, its denominator and this definition, and nothing else computes them.

The period is [start, end) in UTC (local midnights); "at drafting" is the moment ``compute`` runs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, case, func, select

from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.queries import RUNNING, filters
from hazardloop.hazards.states import FINDING_KINDS, LEVEL_LABELS, HazardLevel, HazardStatus
from hazardloop.inspections.models import Inspection
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site

NOT_ENOUGH_DATA = "数据不足，不作排名"
ALL_EQUAL = "各网格按期整改率相同，不作排名"
GRIDS_PER_SIDE = 3


@dataclass(frozen=True)
class Figure:
    """One number of a circular: ``denominator`` names the figure it is counted out of (a rate divides by it)."""

    key: str
    label: str
    definition: str
    unit: str = "项"
    denominator: str | None = None
    numerator: str | None = None  # rates only: the figure divided by ``denominator``

    @property
    def is_rate(self) -> bool:
        return self.numerator is not None


FIGURES: tuple[Figure, ...] = (
    Figure("found", "发现隐患",
           "发现时间在本期内的隐患（与隐患列表按同一范围、同一发现时间筛选的结果相同）。"),
    Figure("rectified", "整改闭环",
           "本期发现的隐患中，截至通报生成时已复查通过闭环（销号）的。", denominator="found"),
    Figure("closed_rate", "闭环率",
           "整改闭环 ÷ 发现隐患；本期未发现隐患时为「—」。", unit="", numerator="rectified", denominator="found"),
    Figure("major", "重大隐患",
           "本期发现的隐患中，等级为重大的。", denominator="found"),
    Figure("supervised", "挂牌督办",
           "挂牌督办时间在本期内的隐患（以挂牌督办记录为准，不论何时发现、现已摘牌与否；不是当前「督办中」的数量）。"),
    Figure("due", "本期到期",
           "整改期限（现行期限，含批准延期后的）落在本期内、且截至通报生成时已到期的隐患，不论何时发现。"),
    Figure("on_time", "按期整改",
           "本期到期的隐患中，在整改期限之前（含期限当时）复查通过闭环的。", denominator="due"),
    Figure("on_time_rate", "按期整改率",
           "按期整改 ÷ 本期到期，写明分子分母，如「75.0%（3/4）」；本期无到期隐患时为「—」。",
           unit="", numerator="on_time", denominator="due"),
    Figure("late", "未按期整改",
           "本期到期的隐患中未在期限前闭环的，即本期到期 − 按期整改（含逾期后才闭环的和仍未闭环的）。",
           denominator="due"),
    Figure("late_open", "其中仍逾期未整改",
           "未按期整改的隐患中，截至通报生成时仍处于已交办或整改中的。", denominator="late"),
    Figure("overdue", "逾期未整改（累计）",
           "截至通报生成时已过整改期限、仍处于已交办或整改中的全部隐患，不限本期发现或到期"
           "（与隐患列表的「逾期」筛选相同）；名单及责任单位见第二部分。"),
    Figure("repeat_sites", "屡查屡犯单位",
           "在截至本期末的 {window} 天内，至少在两次不同的检查中被查出隐患（新发现或再次发现），"
           "且本期内有一次检查查出隐患的生产经营单位；同一次检查查出多项隐患只算一次。", unit="家"),
)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}

GRID_RANKING_DEFINITION = (
    "各网格按本期到期隐患的按期整改率（按期整改 ÷ 本期到期）由高到低排列，相同时到期多者在前；较好、较差各列至多 "
    f"{GRIDS_PER_SIDE} 个网格，且每侧不超过参与排名网格数的一半，两侧不会是同一网格。有到期隐患的网格少于 2 个时写"
    f"「{NOT_ENOUGH_DATA}」；各网格按期整改率都相同时写「{ALL_EQUAL}」。")


def due_in(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[ColumnElement[bool]]:
    """本期到期: the deadline in force falls in [start, end) and has passed at ``now``."""
    return [Hazard.deadline_at >= start, Hazard.deadline_at < min(end, now)]


def closed_on_time() -> ColumnElement[bool]:
    """按期整改 (of hazards due): closed (复查通过) no later than the deadline."""
    return (Hazard.status == HazardStatus.CLOSED.value) & (Hazard.closed_at <= Hazard.deadline_at)


def repeat_window_days() -> int:
    return int(current_app.config.get("CIRCULAR_REPEAT_WINDOW_DAYS", 90))


def definition(figure: Figure, content: dict[str, Any]) -> str:
    return figure.definition.format(window=content.get("repeat_window_days") or repeat_window_days())


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """A share rounded to 4 places (0.75 = 75.0%); None when there is nothing to divide by."""
    if not denominator or numerator is None:
        return None
    return round(numerator / denominator, 4)


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def rate_text(numerator: int | None, denominator: int | None) -> str:
    """「75.0%（3/4）」: the rate with what it divides, or 「—（0/0）」 when nothing is due."""
    if denominator is None or numerator is None:
        return "—"
    return f"{percent_text(rate(numerator, denominator))}（{numerator}/{denominator}）"


def value_of(content: dict[str, Any], key: str | None) -> int | None:
    """A count as stored: a number, or the length of the list it counts (``overdue``, ``major``, ``supervised``)."""
    value = content.get(key) if key else None
    return len(value) if isinstance(value, list) else value


def present(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure of a stored circular as printed: value, denominator, text and definition.

    A circular drafted before a figure existed shows it as None / 「—」 (its content stays as drafted).
    """
    out = []
    for figure in FIGURES:
        denominator = FIGURE_BY_KEY[figure.denominator] if figure.denominator else None
        base = value_of(content, figure.denominator)
        if figure.is_rate:
            numerator = value_of(content, figure.numerator)
            value, text = rate(numerator, base), rate_text(numerator, base)
        else:
            numerator = value = value_of(content, figure.key)
            text = "—" if value is None else f"{value} {figure.unit}"
        out.append({"key": figure.key, "label": figure.label, "value": value, "text": text,
                    "is_rate": figure.is_rate, "numerator": numerator, "denominator": base,
                    "denominator_label": denominator.label if denominator else None,
                    "definition": definition(figure, content)})
    return out


def compute(reader: Any, *, region_id: int | None, department_id: int | None, start: dt.datetime,
            end: dt.datetime, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every figure and list of a circular for [start, end), as ``reader`` sees the hazards at ``now``.

    Records nothing. The lists: ``overdue`` (every hazard overdue now, with its responsible unit),
    ``major`` (重大 found in the period), ``supervised`` (listed in the period), ``repeat_offenders``
    and the grid ranking (``best_grids`` / ``worst_grids`` or ``ranking_note``).
    """
    now = now or utcnow()
    scope: dict[str, Any] = {k: v for k, v in {"region": region_id, "department": department_id}.items()
                             if v is not None}
    in_scope = filters(reader, scope)
    found_where = filters(reader, {**scope, "found_from": start, "found_to": end})
    by_status = dict(db.session.execute(select(Hazard.status, func.count()).where(*found_where)
                                        .group_by(Hazard.status)).all())
    found = sum(by_status.values())
    rectified = by_status.get(HazardStatus.CLOSED.value, 0)
    major_rows = db.session.scalars(select(Hazard).where(*found_where, Hazard.level == HazardLevel.MAJOR.value)
                                    .order_by(Hazard.id)).all()

    listed = (select(AuditEvent.hazard_id).where(AuditEvent.kind == "list_supervision", AuditEvent.occurred_at >= start,
                                                 AuditEvent.occurred_at < min(end, now)))
    supervised_rows = db.session.scalars(select(Hazard).where(*in_scope, Hazard.id.in_(listed))
                                         .order_by(Hazard.id)).all()

    due_rows = db.session.execute(
        select(Hazard.id, Site.grid_id, Hazard.status, case((closed_on_time(), 1), else_=0).label("on_time"))
        .join(Site, Site.id == Hazard.site_id).where(*in_scope, *due_in(start, end, now))).all()
    on_time_ids = {r.id for r in due_rows if r.on_time}
    late_open = sum(1 for r in due_rows if r.status in RUNNING)

    overdue_rows = db.session.scalars(select(Hazard).where(*filters(reader, {**scope, "overdue": True}))
                                      .order_by(Hazard.deadline_at, Hazard.id)).all()
    window_days = repeat_window_days()
    offenders = _repeat_offenders(in_scope, start=start, end=min(end, now), days=window_days)
    ranking = _grid_ranking(due_rows, on_time_ids)

    names = _names({h.site_id for h in (*overdue_rows, *major_rows, *supervised_rows)}
                   | {o["site_id"] for o in offenders},
                   {g["grid_id"] for g in (*ranking["best"], *ranking["worst"])},
                   {h.department_id for h in (*overdue_rows, *major_rows, *supervised_rows) if h.department_id})
    return {
        "found_from": start, "found_to": end,
        "list_query": {**scope, "found_from": start.isoformat(), "found_to": end.isoformat()},
        "found": found, "counts": {s.value: by_status.get(s.value, 0) for s in HazardStatus},
        "rectified": rectified, "closed_rate": rate(rectified, found),
        "due": len(due_rows), "on_time": len(on_time_ids), "on_time_rate": rate(len(on_time_ids), len(due_rows)),
        "late": len(due_rows) - len(on_time_ids), "late_open": late_open,
        "repeat_sites": len(offenders), "repeat_window_days": window_days,
        # The lists a circular names; their lengths are the figures of the same keys.
        "overdue": [_line(h, names, now) for h in overdue_rows],
        "major": [_line(h, names, now) for h in major_rows],
        "supervised": [_line(h, names, now) for h in supervised_rows],
        "repeat_offenders": [{**o, "site": names["site"].get(o["site_id"])} for o in offenders],
        "best_grids": [{**g, "grid": names["grid"].get(g["grid_id"])} for g in ranking["best"]],
        "worst_grids": [{**g, "grid": names["grid"].get(g["grid_id"])} for g in ranking["worst"]],
        "ranking_note": ranking["note"],
        "generated_at": now,
    }


def _repeat_offenders(in_scope: list[Any], *, start: dt.datetime, end: dt.datetime, days: int) -> list[dict[str, Any]]:
    """屡查屡犯: sites with findings in ≥ 2 different inspections in the window, one of them in the period.

    A finding is a ``found`` or ``observed_again`` event of an inspection; its time is the inspection's.
    """
    since = end - dt.timedelta(days=days)
    rows = db.session.execute(
        select(Inspection.site_id, Inspection.id, Inspection.started_at, AuditEvent.hazard_id)
        .join(AuditEvent, AuditEvent.inspection_id == Inspection.id)
        .join(Hazard, Hazard.id == AuditEvent.hazard_id)
        .where(AuditEvent.kind.in_(sorted(FINDING_KINDS)), Inspection.started_at >= since,
               Inspection.started_at < end, *in_scope)).all()
    inspections: dict[int, set[int]] = defaultdict(set)
    hazards: dict[int, set[int]] = defaultdict(set)
    in_period: set[int] = set()
    for site_id, inspection_id, started_at, hazard_id in rows:
        inspections[site_id].add(inspection_id)
        hazards[site_id].add(hazard_id)
        if started_at >= start:
            in_period.add(site_id)
    offenders = [{"site_id": s, "inspections": len(ids), "hazards": len(hazards[s])}
                 for s, ids in inspections.items() if len(ids) >= 2 and s in in_period]
    return sorted(offenders, key=lambda o: (-o["inspections"], -o["hazards"], o["site_id"]))


def _grid_ranking(due_rows: list[Any], on_time_ids: set[int]) -> dict[str, Any]:
    """Best and worst grids by 按期整改率 of the hazards due in the period: disjoint, or a note saying why not."""
    per_grid: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in due_rows:
        per_grid[row.grid_id][0] += 1
        per_grid[row.grid_id][1] += row.id in on_time_ids
    grids = sorted(({"grid_id": g, "due": d, "on_time": o, "on_time_rate": rate(o, d)}
                    for g, (d, o) in per_grid.items()),
                   key=lambda r: (-(r["on_time_rate"] or 0), -r["due"], r["grid_id"]))
    if len(grids) < 2:
        return {"best": [], "worst": [], "note": NOT_ENOUGH_DATA}
    if grids[0]["on_time_rate"] == grids[-1]["on_time_rate"]:
        return {"best": [], "worst": [], "note": ALL_EQUAL}
    side = min(GRIDS_PER_SIDE, len(grids) // 2)
    return {"best": grids[:side], "worst": list(reversed(grids[-side:])), "note": None}


def _names(site_ids: set[int], grid_ids: set[int], department_ids: set[int]) -> dict[str, dict[int, str]]:
    def lookup(model: Any, ids: set[int]) -> dict[int, str]:
        return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}

    return {"site": lookup(Site, site_ids), "grid": lookup(Region, grid_ids),
            "department": lookup(Department, department_ids)}


def _line(hazard: Hazard, names: dict[str, dict[int, str]], now: dt.datetime) -> dict[str, Any]:
    late = hazard.status in RUNNING and hazard.deadline_at is not None and hazard.deadline_at < now
    return {"id": hazard.id, "number": hazard.number, "site_id": hazard.site_id,
            "site": names["site"].get(hazard.site_id),
            "level": LEVEL_LABELS[HazardLevel(hazard.level)], "status": hazard.status, "supervised": hazard.supervised,
            "deadline_at": hazard.deadline_at.isoformat() if hazard.deadline_at else None, "overdue": late,
            "responsible_department": names["department"].get(hazard.department_id or 0),
            "description": hazard.description}
