"""隐患台账: the hazard list as an XLSX ledger, written row by row so its size never meets memory."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import Row, select

from hazardloop.accounts.models import User
from hazardloop.checklists.models import ChecklistVersion
from hazardloop.database import local_zone, utcnow
from hazardloop.downloads import safe_row
from hazardloop.extensions import db
from hazardloop.hazards import queries
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import (
    DEADLINE_STATUSES,
    LEVEL_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    HazardLevel,
    HazardSource,
    HazardStatus,
)
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site
from hazardloop.taxonomy import DOMAIN_LABELS

HEADERS = ["编号", "场所", "统一社会信用代码", "网格", "来源", "领域", "等级", "状态", "隐患描述", "检查条目",
           "发现时间", "整改期限", "是否逾期", "责任部门", "复查不通过次数", "挂牌督办", "闭环时间", "通报时间"]
WIDTHS = [18, 28, 22, 14, 10, 12, 6, 8, 48, 40, 18, 18, 8, 18, 8, 16, 18, 18]
BATCH = 2000
_RUNNING = {s.value for s in DEADLINE_STATUSES}


def _query(user: User, args: dict[str, Any]) -> Any:
    """The list's filters and scope (``queries.filters``), as plain columns in the list's order."""
    column, descending = queries._sort_column(args.get("sort") or "-found_at")
    order = [column.desc(), Hazard.id.desc()] if descending else [column.asc(), Hazard.id.asc()]
    return (
        select(Hazard.number, Site.name, Site.credit_code, Region.name, Hazard.source, Hazard.domain,
               Hazard.level, Hazard.status, Hazard.description, Hazard.checklist_version_id, Hazard.item_code,
               Hazard.found_at, Hazard.deadline_at, Department.name, Hazard.rejection_count,
               Hazard.supervising_authority, Hazard.closed_at, Hazard.reported_at)
        .join(Site, Site.id == Hazard.site_id)
        .join(Region, Region.id == Site.grid_id)
        .outerjoin(Department, Department.id == Hazard.department_id)
        .where(*queries.filters(user, args))
        .order_by(*order)
    )


class _ItemTexts:
    """Checklist item texts by (version, code), loaded once per checklist version."""

    def __init__(self) -> None:
        self.by_version: dict[int, dict[str, str]] = {}

    def __call__(self, version_id: int | None, code: str | None) -> str:
        if code is None:
            return ""
        if version_id is None:
            return code
        if version_id not in self.by_version:
            version = db.session.get(ChecklistVersion, version_id)
            self.by_version[version_id] = {
                item["code"]: item["text"] for section in (version.content["sections"] if version else [])
                for item in section["items"]}
        text = self.by_version[version_id].get(code)
        return f"{code} {text}" if text else code


def rows(user: User, args: dict[str, Any]) -> Iterator[list[Any]]:
    """The ledger's rows in Chinese, times as naive local datetimes (Excel has no time zones).

    The query is streamed in batches (a server-side cursor on PostgreSQL).
    """
    zone = local_zone()
    now = utcnow()
    item_text = _ItemTexts()

    def local(value: dt.datetime | None) -> dt.datetime | None:
        return value.astimezone(zone).replace(tzinfo=None) if value is not None else None

    result = db.session.execute(_query(user, args).execution_options(yield_per=BATCH))
    for row in result:
        yield _row(row, local, item_text, now)


def _row(row: Row[Any], local: Any, item_text: _ItemTexts, now: dt.datetime) -> list[Any]:
    (number, site, credit_code, grid, source, domain, level, status, description, version_id, code,
     found_at, deadline_at, department, rejections, authority, closed_at, reported_at) = row
    overdue = status in _RUNNING and deadline_at is not None and deadline_at < now
    return [
        number, site, credit_code or "", grid, SOURCE_LABELS.get(HazardSource(source), source),
        DOMAIN_LABELS.get(domain, domain), LEVEL_LABELS.get(HazardLevel(level), level),
        STATUS_LABELS.get(HazardStatus(status), status), description, item_text(version_id, code),
        local(found_at), local(deadline_at), "是" if overdue else "否", department or "", rejections,
        authority or "", local(closed_at), local(reported_at),
    ]


def write_xlsx(user: User, args: dict[str, Any]) -> IO[bytes]:
    """Write the ledger to an anonymous temporary file (write-only workbook) and return it rewound."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("隐患台账")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, centre = Font(bold=True), Alignment(horizontal="center")
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.alignment = bold, centre
        header.append(cell)
    sheet.append(header)
    for values in rows(user, args):
        # Descriptions and site names are people's input: control characters, "=HYPERLINK(…)".
        sheet.append(safe_row(values))
    # Not a context manager: send_file streams it and closes it (the file has no name to leave behind).
    out = tempfile.TemporaryFile(prefix="hazardloop-ledger-", suffix=".xlsx")  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def filename() -> str:
    zone = local_zone()
    return f"隐患台账_{utcnow().astimezone(zone):%Y%m%d_%H%M}.xlsx"
