"""批量导入 of users and grids: problems by row and column in Chinese, idempotent, each new user invited by SMS
(through the notification gateway) and made to set a password at first login; grids with an optional boundary."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from hazardloop.accounts.models import User
from hazardloop.hazards.models import AuditEvent
from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.regions.models import Region
from tests.conftest import ApiClient, assert_problem

USER_HEADER = ["手机号*", "姓名*", "角色*", "负责区域*", "所属部门"]
GRID_HEADER = ["网格名称*", "上级区域*", "边界", "网格编码"]


def xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def run(db: Any) -> Any:
    from hazardloop.outbox.models import OutboxMessage
    from hazardloop.outbox.services import run_message

    def run_jobs(prefix: str = "imports.%") -> None:
        for message_id in db.session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.kind.like(prefix)).order_by(OutboxMessage.id)):
            run_message(message_id)

    return run_jobs


def upload(client: ApiClient, run: Any, kind: str, data: bytes) -> dict[str, Any]:
    response = client.post("/api/v1/imports", data={"file": (io.BytesIO(data), f"{kind}.xlsx"), "kind": kind},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    run()
    return client.get(f"/api/v1/imports/{response.get_json()['id']}").get_json()


def confirm(client: ApiClient, run: Any, job: dict[str, Any]) -> dict[str, Any]:
    assert client.post(f"/api/v1/imports/{job['id']}/confirm").status_code == 202
    run()
    return client.get(f"/api/v1/imports/{job['id']}").get_json()


def test_users_import_lists_mistakes_then_invites_each_new_user_by_sms(app, db, district, make_user, login, run):
    admin = make_user("admin")
    client = login(admin)
    rows = [
        ["13912345001", "王网格", "网格员", "A1网格", ""],
        ["13912345002", "李网格", "网格员", "A街道/A社区/A2网格", ""],
        ["13912345003", "赵监管", "监管人员", "A街道", ""],
        ["13912345004", "钱执法", "执法人员", "测试区", "消防救援大队"],
    ]
    mistakes = [*rows, ["1391234", "孙", "网格员", "A1网格", ""],       # row 6: mobile
                       ["13912345006", "周", "厨师", "A1网格", ""],       # row 7: role
                       ["13912345007", "吴", "网格员", "不存在网格", ""],   # row 8: region
                       ["13912345001", "郑", "网格员", "A1网格", ""],     # row 9: duplicate mobile
                       ["13912345009", "冯", "执法人员", "测试区", ""]]    # row 10: department missing
    job = upload(client, run, "users", xlsx(USER_HEADER, mistakes))
    assert job["status"] == "checked" and job["can_confirm"] is False
    assert {(p["row"], p["column"]) for p in job["problems"]} == {
        (6, "手机号"), (7, "角色"), (8, "负责区域"), (9, "手机号"), (10, "所属部门")}
    messages = {p["row"]: p["message"] for p in job["problems"]}
    assert messages[7] == "「厨师」不是可导入的角色（网格员、监管人员、执法人员）"
    assert messages[9] == "与第 2 行的手机号相同（文件内重复）"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1

    FakeSmsGateway.sent.clear()
    fixed = upload(client, run, "users", xlsx(USER_HEADER, rows))
    assert fixed["planned"]["created"] == 4 and fixed["problem_count"] == 0
    done = confirm(client, run, fixed)
    assert done["status"] == "done" and done["applied"]["created"] == 4
    result = client.get(f"/api/v1/imports/{done['id']}/result.xlsx")
    sheet = load_workbook(io.BytesIO(result.data)).active
    result.close()
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("行号", "姓名", "结果", "用户编号", "说明")
    assert [(r[0], r[1], r[2]) for r in lines[1:]] == [(n + 2, row[1], "新建") for n, row in enumerate(rows)]
    run("accounts.invite")
    sent = {m["mobile"]: m["text"] for m in FakeSmsGateway.sent}
    assert set(sent) == {r[0] for r in rows}
    text = sent["13912345001"]
    assert "账号已开通" in text and "首次登录须修改密码" in text
    password = text.split("初始密码")[1].split("，")[0]
    worker = ApiClient(app.test_client())
    assert worker.login("13912345001", password).status_code == 200
    assert_problem(worker.get("/api/v1/hazards"), 403, "password_change_required")
    grants = {u.mobile: [(g.role, g.region_id, g.department_id) for g in u.grants]
              for u in db.session.scalars(select(User))}
    assert grants["13912345004"] == [("inspector", district.district.id, district.fire_dept.id)]
    assert grants["13912345002"] == [("grid_worker", district.grid_a2.id, None)]

    again = upload(client, run, "users", xlsx(USER_HEADER, rows))
    assert again["planned"] == {**again["planned"], "created": 0, "updated": 0, "unchanged": 4}
    assert confirm(client, run, again)["applied"]["unchanged"] == 4
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "users_imported").order_by(AuditEvent.id)))
    assert len(events) == 2 and events[0].actor_id == admin.id and events[0].payload["created"] == 4


def test_a_supervisor_imports_only_grid_workers_of_his_street(db, district, make_user, login, run):
    client = login(make_user("supervisor", region=district.street_a))
    job = upload(client, run, "users", xlsx(USER_HEADER, [["13912345101", "甲", "网格员", "A1网格", ""],
                                                          ["13912345102", "乙", "网格员", "B1网格", ""],
                                                          ["13912345103", "丙", "监管人员", "A街道", ""]]))
    messages = {p["row"]: p["message"] for p in job["problems"]}
    assert set(messages) == {3, 4}
    assert "找不到该网格" in messages[3]
    assert messages[4] == "您只能导入网格员，不能导入「监管人员」"


def test_grids_import_with_boundaries_checked_like_the_upload(db, district, make_user, login, run):
    district.community_a.boundary = {"type": "Polygon", "coordinates": [[[120.1, 30.3], [120.3, 30.3], [120.3, 30.5],
                                                                         [120.1, 30.5], [120.1, 30.3]]]}
    db.session.commit()
    client = login(make_user("admin"))
    inside = "POLYGON((120.2 30.4, 120.25 30.4, 120.25 30.45, 120.2 30.45, 120.2 30.4))"
    outside = "POLYGON((120.25 30.45, 120.35 30.45, 120.35 30.55, 120.25 30.55, 120.25 30.45))"
    rows = [["A3网格", "A社区", inside, "G-A3"], ["B3网格", "B街道/B社区", "", ""]]
    job = upload(client, run, "grids", xlsx(GRID_HEADER, [*rows, ["A4网格", "A社区", outside, ""],
                                                          ["A5网格", "A社区", "POLYGON((1 2", ""],
                                                          ["X网格", "A街道", "", ""],
                                                          ["A6网格", "A社区", "", "G-A3"]]))
    problems = {p["row"]: (p["column"], p["message"]) for p in job["problems"]}
    assert problems[4][0] == "边界" and problems[4][1].startswith("超出了上级「A社区」的边界")
    assert problems[5][0] == "边界" and "WKT" in problems[5][1]
    assert problems[6][0] == "上级区域"
    assert problems[7] == ("网格编码", "第 2 行已用了该编码")
    fixed = upload(client, run, "grids", xlsx(GRID_HEADER, rows))
    assert fixed["planned"]["created"] == 2
    assert confirm(client, run, fixed)["applied"]["created"] == 2
    a3 = db.session.scalar(select(Region).where(Region.name == "A3网格"))
    assert a3.parent_id == district.community_a.id and a3.boundary["type"] == "Polygon" and a3.code == "G-A3"
    again = upload(client, run, "grids", xlsx(GRID_HEADER, rows))
    assert again["planned"]["unchanged"] == 2 and again["planned"]["created"] == 0


def test_templates_for_users_and_grids(district, make_user, login):
    client = login(make_user("supervisor", region=district.street_a))
    for kind, header in (("users", USER_HEADER), ("grids", GRID_HEADER)):
        response = client.get(f"/api/v1/imports/templates/{kind}.xlsx")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.data))
        response.close()
        assert [c.value for c in book.worksheets[0][1]] == header
        lines = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
        assert ("A街道/A社区/A1网格" in lines) is (kind == "users")
        assert ("B街道/B社区/B1网格" in lines) is False
    assert_problem(client.post("/api/v1/imports", data={"file": (io.BytesIO(b"x"), "a.csv"), "kind": "cars"},
                               content_type="multipart/form-data"), 422)
