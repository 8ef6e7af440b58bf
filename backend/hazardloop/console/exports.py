"""The console's tables as XLSX: one write-only workbook, Chinese headers, local times, safe cells."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from flask import Response, send_file

from hazardloop.database import local_zone, utcnow
from hazardloop.downloads import content_disposition, safe_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: list[str]
    widths: list[int]
    rows: Iterable[list[Any]]


def excel_time(value: dt.datetime | None) -> dt.datetime | None:
    """A naive local datetime (Excel has no time zones)."""
    if value is None:
        return None
    return value.astimezone(local_zone()).replace(tzinfo=None)


def rate_cell(value: float | None) -> Any:
    return "—" if value is None else round(value, 4)


def write_workbook(sheets: list[Sheet]) -> IO[bytes]:
    """Write the sheets to an anonymous temporary file and return it rewound (send_file closes it).

    Every cell passes through ``downloads.safe_row`` (no formulas, no characters XLSX cannot hold).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold, centre = Font(bold=True), Alignment(horizontal="center")
    for spec in sheets:
        sheet = book.create_sheet(spec.title)
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for title in spec.headers:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font, cell.alignment = bold, centre
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            # Every exported text is someone's input: a site name may be "=HYPERLINK(…)".
            sheet.append(safe_row(list(row)))
    out = tempfile.TemporaryFile(prefix="hazardloop-console-", suffix=".xlsx")  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def filename(stem: str) -> str:
    zone = local_zone()
    return f"{stem}_{utcnow().astimezone(zone):%Y%m%d_%H%M}.xlsx"


def xlsx_response(sheets: list[Sheet], stem: str) -> Response:
    """The workbook as a download named ``<stem>_<local time>.xlsx`` (RFC 6266, Chinese name kept)."""
    response = send_file(write_workbook(sheets), mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition(filename(stem))
    return response
