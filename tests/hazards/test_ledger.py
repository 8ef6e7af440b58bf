"""隐患台账: GET /api/v1/hazards/export.xlsx — Chinese headers, local times, the list's filters and scope."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.conftest import assert_problem
from tests.support.workflow import fire, found_hazards, ok

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger(client, query=""):
    response = client.get(f"/api/v1/hazards/export.xlsx{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    response.close()  # as a WSGI server does: closes the streamed temporary file
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    # A row's trailing empty cells are not stored: pad to the header.
    return header, [dict(zip(header, row + [None] * (len(header) - len(row)), strict=True)) for row in rows]


def local(iso: str, app) -> dt.datetime:
    zone = ZoneInfo(app.config["TIMEZONE"])
    return dt.datetime.fromisoformat(iso).astimezone(zone).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def two(checklists, shop, people, make_photo):
    """Two hazards at the shop: the first assigned (with a deadline), the second just found."""
    first, second = found_hazards(people, shop, make_photo)
    return ok(fire(people["worker"], first, "assign")), ok(people["worker"].get(f"/api/v1/hazards/{second}"))


def test_the_ledger_has_chinese_headers_and_a_row_per_hazard_in_local_time(two, shop, people, app,
                                                                           district):
    assigned, found = two
    header, rows = ledger(people["supervisor"], "?sort=id")
    assert header[:16] == ["编号", "场所", "统一社会信用代码", "网格", "来源", "领域", "等级", "状态", "隐患描述",
                           "检查条目", "发现时间", "整改期限", "是否逾期", "责任部门", "复查不通过次数", "挂牌督办"]
    assert {"闭环时间", "通报时间"} <= set(header)
    assert [r["编号"] for r in rows] == [assigned["number"], found["number"]]
    row = rows[0]
    assert row["场所"] == shop.name and row["网格"] == district.grid_a1.name
    assert (row["来源"], row["领域"], row["等级"], row["状态"]) == ("网格巡查", "消防安全", "一般", "已交办")
    assert row["隐患描述"] == assigned["description"]
    assert row["检查条目"].startswith(assigned["item_code"] + " ")
    # Times are local (Asia/Shanghai) wall-clock values: the inspection said 09:20 +08:00.
    assert row["发现时间"] == local(assigned["found_at"], app)
    assert row["整改期限"] == local(assigned["deadline_at"], app)
    assert row["是否逾期"] == "否" and row["闭环时间"] is None
    assert rows[1]["整改期限"] is None and rows[1]["状态"] == "已发现"


def test_the_ledger_applies_the_list_filters(two, people, db):
    from hazardloop.hazards.models import Hazard

    assigned, found = two
    _, rows = ledger(people["supervisor"], "?status=assigned")
    assert [r["编号"] for r in rows] == [assigned["number"]]
    _, rows = ledger(people["supervisor"], "?status=found,exposed")
    assert [r["编号"] for r in rows] == [found["number"]]
    hazard = db.session.get(Hazard, assigned["id"])
    hazard.deadline_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    db.session.commit()
    _, rows = ledger(people["supervisor"], "?overdue=true")
    assert [(r["编号"], r["是否逾期"]) for r in rows] == [(assigned["number"], "是")]
    listed = people["supervisor"].get("/api/v1/hazards?overdue=true").get_json()["items"]
    assert [h["number"] for h in listed] == [assigned["number"]]


def test_the_ledger_holds_only_my_scope(two, people):
    header, rows = ledger(people["outsider"])
    assert header[0] == "编号" and rows == []
    _, rows = ledger(people["owner"])
    assert len(rows) == 2


@pytest.mark.parametrize("query", ["?status=bogus", "?overdue=maybe", "?found_from=yesterday", "?sort=name"])
def test_a_bad_filter_is_a_problem(query, people):
    body = assert_problem(people["supervisor"].get(f"/api/v1/hazards/export.xlsx{query}"), 422)
    assert body["errors"]


def test_the_ledger_is_in_the_openapi_description(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/hazards/export.xlsx"]["get"]
    assert XLSX in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"status", "region", "overdue", "q"}
