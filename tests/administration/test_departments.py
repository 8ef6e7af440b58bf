"""系统管理 of 行业监管部门 and their domains (administrators only), audited."""

from __future__ import annotations

from sqlalchemy import select

from hazardloop.hazards.models import AuditEvent
from tests.conftest import assert_problem


def test_create_a_department_and_change_its_domains(db, district, make_user, login):
    client = login(make_user("admin"))
    created = client.post("/api/v1/admin/departments", json={"region_id": district.district.id, "code": "yj",
                                                             "name": "应急管理局", "domains": ["工贸", "hazchem"]})
    assert created.status_code == 201, created.get_json()
    department = created.get_json()
    assert department["domains"] == ["hazchem", "industry_trade"]
    changed = client.patch(f"/api/v1/admin/departments/{department['id']}",
                           json={"name": "区应急管理局", "domains": ["hazchem"]}).get_json()
    assert changed == {**department, "name": "区应急管理局", "domains": ["hazchem"]}
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.kind for e in events] == ["department_created", "department_updated"]
    assert events[1].payload["domains"] == [["hazchem", "industry_trade"], ["hazchem"]]


def test_department_mistakes_are_answered_in_chinese(district, make_user, login):
    client = login(make_user("admin"))
    unknown = client.post("/api/v1/admin/departments", json={"region_id": district.district.id, "code": "x",
                                                             "name": "某局", "domains": ["天气"]})
    assert "「天气」不是已知的监管领域" in assert_problem(unknown, 422)["errors"][0]["message"]
    twin = client.post("/api/v1/admin/departments", json={"region_id": district.district.id, "code": "fire",
                                                          "name": "某局"})
    assert_problem(twin, 409, "department_code_taken")


def test_only_administrators_change_departments(district, make_user, login):
    client = login(make_user("supervisor", region=district.street_a))
    assert_problem(client.patch(f"/api/v1/admin/departments/{district.fire_dept.id}", json={"name": "X"}), 403)
    assert_problem(client.post("/api/v1/admin/departments", json={"region_id": district.street_a.id, "code": "x",
                                                                  "name": "某局"}), 404)
