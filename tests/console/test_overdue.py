"""The overdue tracker: windows, filters, sorts, cursor pages, row facts, XLSX, agreement with GET /hazards."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem
from tests.support.exports import read_xlsx


def tracker(client, **params):
    response = client.get("/api/v1/console/overdue", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_overdue_rows_carry_what_a_supervisor_acts_on(world, login):
    body = tracker(login(world.people.office))
    assert body["total"] == 2 and body["next_cursor"] is None
    first, second = body["items"]
    assert [first["hazard_id"], second["hazard_id"]] == [world.h1.id, world.h6.id]  # most days overdue first
    assert first["days_overdue"] >= 6 and second["days_overdue"] >= 0 and first["overdue"] is True
    assert first["site"] == {"id": world.shop_a1.id, "name": world.shop_a1.name}
    assert first["enterprise"]["name"] == world.shop_a1.name
    assert first["enterprise"]["contact_masked"] == "张** 139****5678"
    assert first["department"] == {"id": world.d.fire_dept.id, "name": "消防救援大队"}
    assert first["grid"] == {"id": world.d.grid_a1.id, "name": "A1网格"}
    assert first["escalation_rung"] is None and first["extension_requested"] is False
    assert set(first["allowed_actions"]) == {"remind", "escalate"}
    assert second["department"]["name"] == "住房和城乡建设局" and second["domain"] == "construction"


def test_a_supervisor_sees_the_contact_in_full_and_an_inspector_masked(world, login):
    supervisor = tracker(login(world.people.office))["items"][0]["enterprise"]
    assert supervisor["contact"] == "张三丰 13912345678"
    inspector = tracker(login(world.people.fire))["items"]
    shop = next(i["enterprise"] for i in inspector if i["hazard_id"] == world.h1.id)
    assert shop["contact"] is None and shop["contact_masked"] == "张** 139****5678"


def test_windows_agree_with_the_hazard_list(world, login):
    office = login(world.people.office)
    due_soon = tracker(office, window="due_soon")
    assert [i["hazard_id"] for i in due_soon["items"]] == [world.h2.id]
    assert due_soon["items"][0]["days_overdue"] == 0 and due_soon["items"][0]["supervised"] is True
    everything = tracker(office, window="all_open", sort="deadline_at")
    listed = office.get("/api/v1/hazards", query_string={
        "status": "found,exposed,assigned,rectifying,awaiting_verification", "limit": 1}).get_json()
    assert everything["total"] == sum(listed["counts"].values()) == 5
    overdue_list = office.get("/api/v1/hazards", query_string={"overdue": "true", "limit": 1}).get_json()
    assert tracker(office)["total"] == sum(overdue_list["counts"].values())


def test_filters(world, login):
    office = login(world.people.office)
    assert [i["hazard_id"] for i in tracker(office, window="all_open", extension_requested="true")["items"]] == [
        world.h3.id]
    assert tracker(office, window="all_open", extension_requested="true")["items"][0]["allowed_actions"] == [
        "remind", "approve_extension", "refuse_extension"]
    assert tracker(office, window="all_open", level="major")["total"] == 1
    assert tracker(office, domain="construction")["total"] == 1
    assert tracker(office, region_id=world.d.street_b.id, window="all_open")["total"] == 1
    assert tracker(office, department_id=world.d.construction_dept.id)["total"] == 1
    assert tracker(office, q=world.h1.number)["total"] == 1
    assert tracker(login(world.people.street_b))["total"] == 0
    assert tracker(login(world.people.fire))["total"] == 1  # not the building site's hazard


@pytest.mark.parametrize("sort", ["-days_overdue", "days_overdue", "deadline_at", "-deadline_at", "level"])
def test_cursor_pages_walk_every_row_once_in_order(world, login, sort):
    office = login(world.people.office)
    whole = [i["hazard_id"] for i in tracker(office, window="all_open", sort=sort, limit=200)["items"]]
    assert len(whole) == 5
    walked, cursor = [], None
    while True:
        params = {"window": "all_open", "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = tracker(office, **params)
        walked += [i["hazard_id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert walked == whole
    if sort == "level":
        assert whole[0] == world.h2.id
    if sort == "-days_overdue":
        assert whole[:2] == [world.h1.id, world.h6.id]


def test_bad_input_and_scope(world, login):
    office = login(world.people.office)
    for query in ("window=late", "sort=name", "level=huge", "limit=0", "cursor=%%%", "extension_requested=maybe"):
        assert_problem(office.get(f"/api/v1/console/overdue?{query}"), 422)
    street_a = login(world.people.street_a)
    assert_problem(street_a.get(f"/api/v1/console/overdue?region_id={world.d.grid_b1.id}"), 404, "not_found")


def test_overdue_xlsx_has_chinese_headers_and_the_rows(world, login):
    office = login(world.people.office)
    [sheet] = read_xlsx(office, "/api/v1/console/overdue.xlsx").values()
    header, *rows = sheet
    assert header[:6] == ("编号", "隐患", "等级", "状态", "领域", "单位名称")
    assert "逾期工作日" in header and "责任部门" in header
    assert [r[0] for r in rows] == [world.h1.number, world.h6.number]
    assert rows[0][header.index("责任部门")] == "消防救援大队"
    assert rows[0][header.index("等级")] == "一般"
    [sheet] = read_xlsx(office, "/api/v1/console/overdue.xlsx", window="all_open", level="major").values()
    assert [r[0] for r in sheet[1:]] == [world.h2.number]
