"""Every spreadsheet we write holds people's text as plain text: no formula runs, no character breaks the file.

The 隐患台账, the console's exports and the 黑名单 ledger share ``downloads.safe_cell``; a hazard
description with control characters once answered 500 for a whole district, and a site named
``=HYPERLINK(…)`` was written as a live formula.
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INJECTIONS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1", "@SUM(1)", "-2+3", "\t=1"]
CONTROL_DESCRIPTION = "疏散通道\x0b堵塞\x1f，安全出口\x08上锁\x0c！"


def _overdue_hazard(site: Any, description: str, people: SimpleNamespace, district: Any) -> Any:
    """A 一般 fire hazard at ``site``, assigned to the fire department, ten days past its deadline."""
    from hazardloop.database import utcnow
    from hazardloop.extensions import db
    from hazardloop.hazards.services import create_hazard, transition
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    now = utcnow()
    hazard = create_hazard(site=site, source=HazardSource.GRID_PATROL, description=description,
                           level=HazardLevel.GENERAL, domain="fire", actor=people.worker,
                           actor_role=Role.GRID_WORKER, found_at=now - dt.timedelta(days=20))
    transition(hazard, "assign", actor=people.admin, payload={"department_id": district.fire_dept.id})
    hazard.deadline_at = now - dt.timedelta(days=10)
    db.session.commit()
    return hazard


@pytest.fixture
def people(district, make_user, login):
    admin = make_user("admin")
    supervisor = make_user("supervisor", region=district.district)
    return SimpleNamespace(admin=admin, worker=make_user("grid_worker", region=district.grid_a1),
                           supervisor=login(supervisor))


def _download(client: Any, path: str) -> Any:
    """GET an export: 200, the XLSX type, an attachment; returns the loaded workbook (openpyxl)."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    data = response.data
    response.close()  # as a WSGI server does: closes the streamed temporary file
    return load_workbook(io.BytesIO(data))


def _cells(book: Any) -> list[Any]:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("path", ["/api/v1/hazards/export.xlsx", "/api/v1/console/overdue.xlsx"])
def test_a_description_with_control_characters_still_exports(path, district, make_site, people):
    _overdue_hazard(make_site(district.grid_a1), CONTROL_DESCRIPTION, people, district)
    book = _download(people.supervisor, path)
    texts = [c.value for c in _cells(book) if isinstance(c.value, str)]
    assert "疏散通道\ufffd堵塞\ufffd，安全出口\ufffd上锁\ufffd！" in texts


@pytest.mark.parametrize("name", INJECTIONS)
@pytest.mark.parametrize("path, column", [("/api/v1/hazards/export.xlsx", "场所"),
                                          ("/api/v1/console/overdue.xlsx", "单位名称")])
def test_a_site_name_that_looks_like_a_formula_is_written_as_text(name, path, column, district, make_site,
                                                                  people):
    _overdue_hazard(make_site(district.grid_a1, name=name), "灭火器过期", people, district)
    sheet = _download(people.supervisor, path).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index(column) + 1)
    assert cell.data_type == "s"
    assert cell.value == "'" + name  # shown as typed, after the quote that keeps it from running
    assert not any(c.data_type == "f" for c in _cells(sheet.parent))


def test_every_console_workbook_passes_through_the_safe_cells(app):
    """The one writer behind the console's and the 黑名单 exports (console.exports.write_workbook)."""
    from hazardloop.console.exports import Sheet, write_workbook

    rows = [[name, "灭火器\x00过期", 3] for name in INJECTIONS]
    with write_workbook([Sheet("黑名单", ["单位名称", "列入事由", "次数"], [30, 30, 8], rows)]) as file:
        sheet = load_workbook(file).active
    assert [(c.value, c.data_type) for c in sheet["A"][1:]] == [("'" + n, "s") for n in INJECTIONS]
    assert {c.value for c in sheet["B"][1:]} == {"灭火器\ufffd过期"}
    assert [c.value for c in sheet["C"][1:]] == [3] * len(INJECTIONS)
