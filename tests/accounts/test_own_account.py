"""A person's own account on the phone: forced password change after an administrator created it, 退出其他设备."""

from __future__ import annotations

from tests.conftest import PASSWORD, ApiClient, assert_problem

NEW = "Mein-eigenes-2026"


def created_by_admin(app, login, make_user, district) -> tuple[ApiClient, dict]:
    admin = login(make_user("admin"))
    response = admin.post("/api/v1/users", json={
        "mobile": "13912340001", "display_name": "新网格员", "password": "Anfang-2026",
        "grants": [{"role": "grid_worker", "region_id": district.grid_a1.id}]})
    assert response.status_code == 201, response.get_json()
    client = ApiClient(app.test_client())
    assert client.login("13912340001", "Anfang-2026").status_code == 200
    return client, response.get_json()


def test_an_account_an_administrator_created_must_change_its_password_first(app, login, make_user, district):
    client, created = created_by_admin(app, login, make_user, district)
    assert created["must_change_password"] is True
    session = client.get("/api/v1/auth/session").get_json()
    assert session["user"]["must_change_password"] is True

    body = assert_problem(client.get("/api/v1/hazards"), 403, "password_change_required")
    assert "修改密码" in body["detail"]

    same = client.post("/api/v1/auth/password", json={"current_password": "Anfang-2026", "new_password": "Anfang-2026"})
    assert_problem(same, 422)
    assert client.post("/api/v1/auth/password",
                       json={"current_password": "Anfang-2026", "new_password": NEW}).status_code == 204
    assert client.get("/api/v1/auth/session").get_json()["user"]["must_change_password"] is False
    assert client.get("/api/v1/hazards").status_code == 200


def test_a_user_who_chose_their_password_is_not_asked_again(login, make_user, district):
    client = login(make_user("grid_worker", region=district.grid_a1))
    assert client.get("/api/v1/auth/session").get_json()["user"]["must_change_password"] is False
    assert client.get("/api/v1/hazards").status_code == 200


def test_logout_others_ends_every_other_session_and_keeps_this_one(login, make_user, district):
    user = make_user("grid_worker", region=district.grid_a1)
    lost_phone, tablet, this_phone = login(user), login(user), login(user)
    response = this_phone.post("/api/v1/auth/logout-others")
    assert response.status_code == 200 and response.get_json() == {"revoked": 2}
    assert this_phone.get("/api/v1/auth/session").status_code == 200
    for other in (lost_phone, tablet):
        assert_problem(other.get("/api/v1/auth/session"), 401)
    assert this_phone.post("/api/v1/auth/logout-others").get_json() == {"revoked": 0}
    assert lost_phone.login(user.mobile, PASSWORD).status_code == 200  # the password still works


def test_logout_others_needs_the_csrf_token(app, make_user, district):
    user = make_user("grid_worker", region=district.grid_a1)
    client = ApiClient(app.test_client())
    assert client.login(user.mobile).status_code == 200
    client.csrf = None
    assert_problem(client.post("/api/v1/auth/logout-others"), 403, "csrf_failed")
