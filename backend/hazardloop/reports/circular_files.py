"""A stored 通报 as a printable HTML page, a PDF with a Chinese font, and an XLSX annex of its lists."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template

from hazardloop.database import local_zone
from hazardloop.hazards.documents import FONT_FAMILY, PdfUnavailable
from hazardloop.hazards.models import Circular
from hazardloop.hazards.states import STATUS_LABELS, HazardStatus
from hazardloop.reports.circulars import scope_of, totals_of


def _zone() -> ZoneInfo:
    return local_zone()


def _local(iso: str | dt.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if not iso:
        return ""
    value = dt.datetime.fromisoformat(iso) if isinstance(iso, str) else iso
    return value.astimezone(_zone()).strftime(pattern)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def _days_overdue(deadline: str | None, at: dt.datetime) -> int:
    """Calendar days past the deadline when the draft was made (the list says which working days)."""
    if not deadline:
        return 0
    return max(0, (at.astimezone(_zone()).date() - dt.datetime.fromisoformat(deadline).astimezone(_zone()).date()).days)


def view(circular: Circular) -> dict[str, Any]:
    """The circular's content with local times and labels, as the page and the annex show it."""
    content = dict(circular.content or {})
    made = dt.datetime.fromisoformat(content["generated_at"]) if content.get("generated_at") else circular.created_at
    for key in ("overdue", "major", "supervised"):
        content[key] = [{**h, "deadline_local": _local(h.get("deadline_at")),
                         "days_overdue": _days_overdue(h.get("deadline_at"), made),
                         "status_label": STATUS_LABELS.get(HazardStatus(h["status"]), h["status"])
                         if h.get("status") in set(HazardStatus) else h.get("status")}
                        for h in content.get(key, [])]
    end = circular.period_end - dt.timedelta(seconds=1) if circular.period_end else None
    return {
        "circular": circular, "content": content, "scope": scope_of(circular), "totals": totals_of(circular),
        "on_time_rate": percent(content.get("on_time_rate")), "percent": percent,
        "period_title": content.get("period_title") or "",
        "period_range": f"{_local(circular.period_start, '%Y年%m月%d日')}至{_local(end, '%Y年%m月%d日')}"
        if circular.period_start and end else "",
        "published_at": _local(circular.published_at), "font_family": FONT_FAMILY,
    }


def render_html(circular: Circular) -> str:
    return render_template("circulars/circular.html", **view(circular))


def render_pdf(circular: Circular) -> bytes:
    """The page as a PDF; PdfUnavailable when WeasyPrint cannot load Debian's Pango."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PdfUnavailable("PDF 生成组件未安装，请联系管理员（可先打印网页版）。") from exc
    return HTML(string=render_html(circular)).write_pdf()  # type: ignore[no-any-return]


def render_xlsx(circular: Circular) -> bytes:
    """附件: one sheet per list (总体情况, 逾期未整改, 重大隐患, 反复出现, 网格排名), Chinese headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = view(circular)
    content, totals = data["content"], data["totals"]
    book = Workbook()
    summary = book.active
    summary.title = "总体情况"
    summary.append([circular.title])
    summary.append(["范围", data["scope"]["name"], "周期", data["period_range"] or data["period_title"]])
    summary.append([])
    summary.append(["发现", "整改闭环", "按期整改", "按期整改率", "逾期未整改", "重大隐患", "挂牌督办"])
    summary.append([totals["found"], totals["rectified"], totals["on_time"], content.get("on_time_rate"),
                    totals["overdue"], totals["major"], totals["supervised"]])
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        ("逾期未整改", ["编号", "生产经营单位", "隐患", "等级", "整改期限", "逾期天数", "责任部门"],
         [[h["number"], h.get("site"), h["description"], h["level"], h["deadline_local"], h["days_overdue"],
           h.get("responsible_department") or "未指定"] for h in content["overdue"]]),
        ("重大隐患", ["编号", "生产经营单位", "隐患", "状态", "整改期限", "挂牌督办"],
         [[h["number"], h.get("site"), h["description"], h["status_label"], h["deadline_local"],
           "是" if h.get("supervised") else "否"] for h in content["major"]]),
        ("反复出现的单位", ["生产经营单位", "本期隐患数"],
         [[r.get("site"), r["hazards"]] for r in content.get("repeat_offenders", [])]),
        ("网格排名", ["排名", "网格", "发现", "闭环", "闭环率"],
         [["较好", g.get("grid"), g["found"], g["closed"], g.get("closed_rate")] for g in content.get("best_grids", [])]
         + [["较差", g.get("grid"), g["found"], g["closed"], g.get("closed_rate")]
            for g in content.get("worst_grids", [])]),
    ]
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
    summary["A1"].font = Font(bold=True, size=14)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
