"""挂牌督办 list: authority, when listed, 治理方案 status, deadline — the hazards of GET /hazards?supervised=true."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.support.exports import read_xlsx


def test_the_supervised_list(world, login):
    office = login(world.people.office)
    body = office.get("/api/v1/console/supervised").get_json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["hazard_id"] == world.h2.id and item["level"] == "major"
    assert item["supervising_authority"] == "区安委办" and item["supervised_at"]
    assert item["plan_status"] == "submitted" and item["plan_submitted_at"]
    assert item["days_overdue"] == 0 and item["status"] == "assigned"
    assert item["site"] == {"id": world.shop_a1.id, "name": world.shop_a1.name}
    listed = office.get("/api/v1/hazards?supervised=true&limit=1").get_json()
    assert sum(listed["counts"].values()) == body["total"]


def test_scope_of_the_supervised_list(world, login):
    assert login(world.people.street_b).get("/api/v1/console/supervised").get_json()["total"] == 0
    client = login(world.people.street_b)
    assert_problem(client.get(f"/api/v1/console/supervised?region_id={world.d.street_a.id}"), 404, "not_found")
    assert_problem(client.get("/api/v1/console/supervised?include_closed=perhaps"), 422)


def test_supervised_xlsx(world, login):
    [rows] = read_xlsx(login(world.people.office), "/api/v1/console/supervised.xlsx").values()
    assert rows[0] == ("编号", "隐患", "单位名称", "网格", "督办单位", "挂牌时间", "治理方案", "整改期限",
                       "逾期工作日", "状态")
    assert rows[1][0] == world.h2.number and rows[1][4] == "区安委办" and rows[1][6] == "已提交"
    assert rows[1][9] == "已交办"
