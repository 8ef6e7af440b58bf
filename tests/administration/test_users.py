"""系统管理 of users: create with roles and scopes, disable, reset password (forced change), see and end sessions;
a street supervisor manages only the 网格员 of his own grids; every change is in the audit chain."""

from __future__ import annotations

from sqlalchemy import select

from hazardloop.hazards.events import verify_chains
from hazardloop.hazards.models import AuditEvent
from tests.conftest import ApiClient, assert_problem


def events(db, kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def test_an_administrator_creates_a_grid_worker_who_must_change_the_temporary_password(app, db, district, make_user,
                                                                                      login):
    admin = make_user("admin")
    client = login(admin)
    response = client.post("/api/v1/admin/users", json={
        "mobile": "139 1234 0001", "display_name": "张网格", "grants": [{"role": "grid_worker",
                                                                          "region_id": district.grid_a1.id}]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["user"]["mobile"] == "13912340001" and body["user"]["must_change_password"] is True
    assert body["user"]["grants"][0]["region_name"] == "A1网格"
    password = body["temporary_password"]
    assert len(password) == 10

    worker = ApiClient(app.test_client())
    assert worker.login("13912340001", password).status_code == 200
    assert_problem(worker.get("/api/v1/hazards"), 403, "password_change_required")

    [event] = events(db, "user_created")
    assert event.actor_id == admin.id and event.actor_role == "admin"
    assert event.payload["user_id"] == body["user"]["id"] and event.occurred_at is not None
    assert verify_chains()[1] is None


def test_wrong_input_is_answered_in_chinese(district, make_user, login):
    client = login(make_user("admin"))
    bad_mobile = client.post("/api/v1/admin/users", json={"mobile": "12345", "display_name": "某",
                                                          "grants": [{"role": "admin"}]})
    assert assert_problem(bad_mobile, 422)["errors"][0]["message"] == "手机号应为 11 位中国大陆手机号码。"
    no_grid = client.post("/api/v1/admin/users", json={"mobile": "13912340002", "display_name": "某",
                                                       "grants": [{"role": "grid_worker",
                                                                   "region_id": district.street_a.id}]})
    assert "网格" in assert_problem(no_grid, 422)["errors"][0]["message"]
    no_role = client.post("/api/v1/admin/users", json={"mobile": "13912340002", "display_name": "某", "grants": []})
    assert "角色" in assert_problem(no_role, 422)["errors"][0]["message"]
    taken = make_user("grid_worker", region=district.grid_a1)
    assert_problem(client.post("/api/v1/admin/users", json={"mobile": taken.mobile, "display_name": "某",
                                                            "grants": [{"role": "admin"}]}), 409, "mobile_taken")


def test_reset_password_ends_sessions_and_forces_a_change(app, db, district, make_user, login):
    admin = make_user("admin")
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    client = login(admin)
    detail = client.get(f"/api/v1/admin/users/{worker.id}").get_json()
    assert detail["can_manage"] is True and len(detail["sessions"]) == 1

    response = client.post(f"/api/v1/admin/users/{worker.id}/reset-password")
    assert response.status_code == 200
    temporary = response.get_json()["temporary_password"]
    assert_problem(phone.get("/api/v1/auth/session"), 401)
    again = ApiClient(app.test_client())
    assert again.login(worker.mobile, temporary).status_code == 200
    assert again.get("/api/v1/auth/session").get_json()["user"]["must_change_password"] is True
    assert again.post("/api/v1/auth/password", json={"current_password": temporary,
                                                      "new_password": "Neu-Passwort-1"}).status_code == 204
    assert again.get("/api/v1/hazards").status_code == 200
    [event] = events(db, "password_reset")
    assert event.payload == {"user_id": worker.id, "sessions_ended": 1}


def test_disable_ends_sessions_and_enable_lets_the_user_back(app, db, district, make_user, login):
    admin = make_user("admin")
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    client = login(admin)
    assert client.patch(f"/api/v1/admin/users/{worker.id}", json={"active": False}).get_json()["active"] is False
    assert_problem(phone.get("/api/v1/auth/session"), 401)
    assert ApiClient(app.test_client()).login(worker.mobile).status_code == 401
    assert client.patch(f"/api/v1/admin/users/{worker.id}", json={"active": True}).get_json()["active"] is True
    assert ApiClient(app.test_client()).login(worker.mobile).status_code == 200
    assert [e.kind for e in events(db, "user_disabled") + events(db, "user_enabled")] == ["user_disabled",
                                                                                          "user_enabled"]
    assert_problem(client.patch(f"/api/v1/admin/users/{admin.id}", json={"active": False}), 409, "disable_self")


def test_end_one_session_or_all(db, district, make_user, login):
    admin = make_user("admin")
    worker = make_user("grid_worker", region=district.grid_a1)
    first, second = login(worker), login(worker)
    client = login(admin)
    sessions = client.get(f"/api/v1/admin/users/{worker.id}").get_json()["sessions"]
    assert len(sessions) == 2
    response = client.post(f"/api/v1/admin/users/{worker.id}/end-sessions", json={"session_id": sessions[0]["id"]})
    assert response.get_json() == {"ended": 1}
    alive = [c for c in (first, second) if c.get("/api/v1/auth/session").status_code == 200]
    assert len(alive) == 1
    assert client.post(f"/api/v1/admin/users/{worker.id}/end-sessions", json={}).get_json() == {"ended": 1}
    assert all(c.get("/api/v1/auth/session").status_code == 401 for c in (first, second))
    assert_problem(client.post(f"/api/v1/admin/users/{worker.id}/end-sessions",
                               json={"session_id": sessions[0]["id"]}), 404)
    assert len(events(db, "sessions_ended")) == 2


def test_change_roles_and_name(db, district, make_user, login):
    admin = make_user("admin")
    worker = make_user("grid_worker", region=district.grid_a1)
    client = login(admin)
    response = client.patch(f"/api/v1/admin/users/{worker.id}", json={
        "display_name": "李网格", "grants": [{"role": "grid_worker", "region_id": district.grid_a2.id}]})
    body = response.get_json()
    assert body["display_name"] == "李网格" and [g["region_name"] for g in body["grants"]] == ["A2网格"]
    [event] = events(db, "user_updated")
    assert event.payload["display_name"][1] == "李网格"
    assert "grants" in event.payload


def test_a_street_supervisor_manages_only_his_own_grid_workers(db, district, make_user, login):
    supervisor = make_user("supervisor", region=district.street_a)
    mine = make_user("grid_worker", region=district.grid_a1)
    other_street = make_user("grid_worker", region=district.grid_b1)
    colleague = make_user("supervisor", region=district.street_a)
    client = login(supervisor)

    caps = client.get("/api/v1/admin/capabilities").get_json()
    assert caps["manage_users"] is False and caps["create_grid_workers"] is True and caps["roles"] == ["grid_worker"]
    created = client.post("/api/v1/admin/users", json={"mobile": "13912340009", "display_name": "新网格员",
                                                       "grants": [{"role": "grid_worker",
                                                                   "region_id": district.grid_a2.id}]})
    assert created.status_code == 201
    out_of_scope = client.post("/api/v1/admin/users", json={"mobile": "13912340010", "display_name": "某",
                                                            "grants": [{"role": "grid_worker",
                                                                        "region_id": district.grid_b1.id}]})
    assert_problem(out_of_scope, 422)
    promote = client.post("/api/v1/admin/users", json={"mobile": "13912340011", "display_name": "某",
                                                       "grants": [{"role": "admin"}]})
    assert "不能授予" in assert_problem(promote, 422)["errors"][0]["message"]

    assert client.post(f"/api/v1/admin/users/{mine.id}/reset-password").status_code == 200
    assert_problem(client.post(f"/api/v1/admin/users/{other_street.id}/reset-password"), 404)
    assert_problem(client.post(f"/api/v1/admin/users/{colleague.id}/reset-password"), 403)
    listed = {u["id"]: u["can_manage"] for u in client.get("/api/v1/admin/users").get_json()["items"]}
    assert listed[mine.id] is True and listed[colleague.id] is False and other_street.id not in listed
    [event] = [e for e in events(db, "password_reset")]
    assert event.actor_role == "supervisor"


def test_others_may_not_administer(district, make_user, login):
    worker = make_user("grid_worker", region=district.grid_a1)
    inspector = make_user("inspector", region=district.street_a, department=district.fire_dept)
    for actor in (worker, inspector):
        client = login(actor)
        assert_problem(client.post("/api/v1/admin/users", json={"mobile": "13912340012", "display_name": "某",
                                                                "grants": [{"role": "admin"}]}), 404)
        assert client.get("/api/v1/admin/capabilities").get_json()["create_grid_workers"] is False
