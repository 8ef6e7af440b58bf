"""A 通报 as a printable HTML page, a PDF with a Chinese font, and an XLSX annex — one view, three files."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import current_app, render_template

from hazardloop.circulars.figures import FIGURES, GRID_RANKING_DEFINITION, percent_text, present, rate_text
from hazardloop.circulars.models import Circular
from hazardloop.circulars.services import scope_of
from hazardloop.database import local_zone
from hazardloop.downloads import safe_row
from hazardloop.hazards.documents import FONT_FAMILY, PdfUnavailable
from hazardloop.hazards.states import STATUS_LABELS, HazardStatus

PERIOD_NAMES = {"week": "周通报", "month": "月通报"}


def _local(iso: str | dt.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if not iso:
        return ""
    value = dt.datetime.fromisoformat(iso) if isinstance(iso, str) else iso
    return value.astimezone(local_zone()).strftime(pattern)


def _days_overdue(deadline: str | None, at: dt.datetime) -> int:
    """Calendar days past the deadline when the draft was made."""
    if not deadline:
        return 0
    zone = local_zone()
    return max(0, (at.astimezone(zone).date() - dt.datetime.fromisoformat(deadline).astimezone(zone).date()).days)


def file_name(circular: Circular, ext: str) -> str:
    """「A街道安全隐患排查治理周通报（2026年第48周）.pdf」; a draft says so, an ad-hoc circular uses its title."""
    content = circular.content or {}
    scope, period = content.get("scope_name"), content.get("period_title")
    if scope and period:
        stem = f"{scope}安全隐患排查治理{PERIOD_NAMES.get(circular.period_kind or '', '通报')}（{period}）"
    else:
        stem = circular.title
    if circular.status == "draft" and not stem.endswith("（草稿）"):
        stem += "（草稿）"
    return f"{stem.replace('/', '-').replace(chr(92), '-')}.{ext}"


def issuer_block(circular: Circular) -> dict[str, Any]:
    """发文机关, 落款 and 抄送 from configuration; the 落款 date is the publication day (blank on a draft)."""
    config = current_app.config
    issuer = config.get("CIRCULAR_ISSUER") or config.get("ISSUING_BODY") or ""
    return {"issuer": issuer, "signature": config.get("CIRCULAR_SIGNATURE") or issuer,
            "signed_on": _local(circular.published_at, "%Y年%m月%d日") if circular.published_at else "",
            "cc": config.get("CIRCULAR_CC") or ""}


def view(circular: Circular) -> dict[str, Any]:
    """The circular's content with local times, labels and its figures, as the page and the annex show it."""
    content = dict(circular.content or {})
    made = dt.datetime.fromisoformat(content["generated_at"]) if content.get("generated_at") else circular.created_at
    for key in ("overdue", "major", "supervised"):
        content[key] = [{**h, "deadline_local": _local(h.get("deadline_at")),
                         "days_overdue": _days_overdue(h.get("deadline_at"), made),
                         "status_label": STATUS_LABELS.get(HazardStatus(h["status"]), h["status"])
                         if h.get("status") in set(HazardStatus) else h.get("status")}
                        for h in content.get(key, [])]
    end = circular.period_end - dt.timedelta(seconds=1) if circular.period_end else None
    figures = {f["key"]: f for f in present(circular.content or {})}
    return {
        "circular": circular, "content": content, "scope": scope_of(circular), "figures": figures,
        "figure_list": list(figures.values()), "ranking_definition": GRID_RANKING_DEFINITION,
        "percent": percent_text, "rate_text": rate_text, "issuer": issuer_block(circular),
        "period_title": content.get("period_title") or "",
        "period_range": f"{_local(circular.period_start, '%Y年%m月%d日')}至{_local(end, '%Y年%m月%d日')}"
        if circular.period_start and end else "",
        "generated_local": _local(made), "published_at": _local(circular.published_at), "font_family": FONT_FAMILY,
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


PERCENT = "0.0%"


def render_xlsx(circular: Circular) -> bytes:
    """附件: 总体情况 (each figure with its numerator, denominator and definition) and one sheet per list.

    Every sheet has a bold frozen header and set column widths; rates are numbers formatted as
    percentages; every cell goes through ``downloads.safe_cell``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    data = view(circular)
    content, figures, issuer = data["content"], data["figures"], data["issuer"]
    book = Workbook()
    summary = book.active
    summary.title = "总体情况"
    summary.append(safe_row([circular.title]))
    summary.append(safe_row(["范围", data["scope"]["name"], "周期", data["period_range"] or data["period_title"],
                             "发文机关", issuer["issuer"]]))
    summary.append([])
    summary.append(safe_row(["指标", "数值", "分子", "分母", "分母口径", "定义"]))
    for figure in FIGURES:
        f = figures[figure.key]
        row = summary.max_row + 1
        summary.append(safe_row([f["label"], f["value"], f["numerator"] if f["is_rate"] else None,
                                 f["denominator"], f["denominator_label"], f["definition"]]))
        if f["is_rate"]:
            summary.cell(row=row, column=2).number_format = PERCENT
    summary.append([])
    summary.append(safe_row(["网格排名口径", GRID_RANKING_DEFINITION]))
    summary["A1"].font = Font(bold=True, size=14)
    for cell in summary[4]:
        cell.font = Font(bold=True)
    for row in summary.iter_rows(min_row=5, min_col=6, max_col=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    summary.freeze_panes = "A5"
    _widths(summary, [22, 12, 10, 10, 14, 80], get_column_letter)

    ranking = ([["较好", g.get("grid"), g.get("due"), g.get("on_time"), g.get("on_time_rate")]
                for g in content.get("best_grids", [])]
               + [["较差", g.get("grid"), g.get("due"), g.get("on_time"), g.get("on_time_rate")]
                  for g in content.get("worst_grids", [])])
    if not ranking and content.get("ranking_note"):
        ranking = [[content["ranking_note"], None, None, None, None]]
    sheets: list[tuple[str, list[str], list[int], list[list[Any]], set[int]]] = [
        ("逾期未整改", ["编号", "生产经营单位", "隐患", "等级", "整改期限", "逾期天数", "责任部门"],
         [16, 24, 40, 8, 18, 10, 20],
         [[h["number"], h.get("site"), h["description"], h["level"], h["deadline_local"], h["days_overdue"],
           h.get("responsible_department") or "未指定"] for h in content["overdue"]], set()),
        ("重大隐患", ["编号", "生产经营单位", "隐患", "状态", "整改期限", "挂牌督办"], [16, 24, 40, 10, 18, 10],
         [[h["number"], h.get("site"), h["description"], h["status_label"], h["deadline_local"],
           "是" if h.get("supervised") else "否"] for h in content["major"]], set()),
        ("本期挂牌督办", ["编号", "生产经营单位", "隐患", "状态", "整改期限", "责任部门"], [16, 24, 40, 10, 18, 20],
         [[h["number"], h.get("site"), h["description"], h["status_label"], h["deadline_local"],
           h.get("responsible_department") or "未指定"] for h in content["supervised"]], set()),
        ("屡查屡犯", ["生产经营单位", "查出隐患的检查次数", "涉及隐患数"], [28, 20, 14],
         [[r.get("site"), r.get("inspections"), r["hazards"]] for r in content.get("repeat_offenders", [])], set()),
        ("网格排名", ["排名", "网格", "本期到期", "按期整改", "按期整改率"], [24, 20, 12, 12, 14], ranking, {5}),
    ]
    for title, header, widths, rows, percent_columns in sheets:
        sheet = book.create_sheet(title)
        sheet.append(safe_row(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(safe_row(row))
        for column in percent_columns:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = PERCENT
        sheet.freeze_panes = "A2"
        _widths(sheet, widths, get_column_letter)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _widths(sheet: Any, widths: list[int], letter: Any) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[letter(index)].width = width
