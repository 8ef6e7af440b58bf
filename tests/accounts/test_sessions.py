"""Login by mobile + password, revocable 30-day sessions, CSRF, and the login throttle."""

from __future__ import annotations

import datetime as dt

import pytest

from hazardloop.accounts import services
from hazardloop.accounts.models import UserSession
from hazardloop.database import utcnow
from tests.conftest import PASSWORD, assert_problem


def test_login_sets_httponly_cookie_and_returns_csrf_token(app, api, make_user):
    user = make_user("admin")
    response = api.login(user.mobile)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["mobile"] == user.mobile
    assert len(body["csrf_token"]) >= 32
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=2592000" in cookie  # 30 days
    # the token is in the cookie only, never in the body or a URL
    assert "hl_session=" in cookie and cookie.split("hl_session=")[1].split(";")[0] not in str(body)


def test_login_accepts_mobile_with_country_prefix_and_spaces(api, make_user):
    make_user("admin", mobile="13912345678")
    assert api.login("+86 139 1234 5678").status_code == 200


@pytest.mark.parametrize("mobile", ["13912345678", "10000000000"])
def test_wrong_password_or_unknown_mobile_get_the_same_answer(api, make_user, mobile):
    make_user("admin", mobile="13912345678")
    body = assert_problem(api.login(mobile, "wrong-password"), 401, "invalid_credentials")
    assert body["detail"] == "手机号或密码不正确，或账号已停用。"


def test_session_endpoint_requires_login(api):
    assert_problem(api.get("/api/v1/auth/session"), 401, "unauthenticated")


def test_state_change_without_csrf_token_is_refused(login, make_user, district):
    client = login(make_user("admin"))
    response = client.client.post("/api/v1/sites", json={"name": "x"})
    assert_problem(response, 403, "csrf_failed")
    response = client.client.post("/api/v1/sites", json={"name": "x"}, headers={"X-CSRF-Token": "forged"})
    assert_problem(response, 403, "csrf_failed")


def test_logout_ends_the_session(login, make_user):
    client = login(make_user("admin"))
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert_problem(client.get("/api/v1/auth/session"), 401)


def test_disabling_a_user_ends_their_sessions_at_once(login, make_user):
    target = make_user("admin")
    victim_client = login(target)
    admin = login(make_user("admin"))
    assert admin.patch(f"/api/v1/users/{target.id}", json={"active": False}).status_code == 200
    assert_problem(victim_client.get("/api/v1/auth/session"), 401)
    assert_problem(victim_client.login(target.mobile), 401, "invalid_credentials")


def test_password_change_ends_other_sessions_but_keeps_this_one(login, make_user):
    user = make_user("admin")
    phone, desktop = login(user), login(user)
    response = desktop.post("/api/v1/auth/password",
                            json={"current_password": PASSWORD, "new_password": "N3w-passw0rd"})
    assert response.status_code == 204
    assert desktop.get("/api/v1/auth/session").status_code == 200
    assert_problem(phone.get("/api/v1/auth/session"), 401)
    assert phone.login(user.mobile, "N3w-passw0rd").status_code == 200


def test_password_change_needs_the_current_password(login, make_user):
    client = login(make_user("admin"))
    response = client.post("/api/v1/auth/password",
                           json={"current_password": "nope-nope", "new_password": "N3w-passw0rd"})
    assert_problem(response, 401, "invalid_credentials")


def test_session_survives_29_days_offline_and_slides_on_use(app, db, login, make_user):
    client = login(make_user("admin"))
    session = db.session.query(UserSession).one()
    session.last_seen_at = utcnow() - dt.timedelta(days=29)
    session.expires_at = utcnow() + dt.timedelta(days=1)
    db.session.commit()
    response = client.get("/api/v1/auth/session")
    assert response.status_code == 200
    assert "Max-Age=2592000" in response.headers["Set-Cookie"]  # the cookie slides too
    db.session.expire_all()
    session = db.session.query(UserSession).one()
    assert session.expires_at > utcnow() + dt.timedelta(days=29)


def test_expired_session_is_refused(app, db, login, make_user):
    client = login(make_user("admin"))
    session = db.session.query(UserSession).one()
    session.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert_problem(client.get("/api/v1/auth/session"), 401)


def test_only_a_hash_of_the_session_token_is_stored(app, db, api, make_user):
    user = make_user("admin")
    response = api.login(user.mobile)
    token = response.headers["Set-Cookie"].split("hl_session=")[1].split(";")[0]
    stored = db.session.query(UserSession).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64


def test_login_is_throttled_per_account_after_repeated_failures(app, api, make_user):
    user = make_user("admin")
    for _ in range(5):
        assert_problem(api.login(user.mobile, "wrong-password"), 401)
    body = assert_problem(api.login(user.mobile, PASSWORD), 429, "login_rate_limited")
    assert body["retry_after"] > 0


def test_login_is_throttled_per_address_across_accounts(app, api, make_user):
    limit = app.extensions["login_throttle"].per_address.amount
    for i in range(limit):
        api.login(f"1390000{i:04d}", "wrong-password")
    assert_problem(api.login("13900009999", "wrong-password"), 429, "login_rate_limited")


def test_successful_login_resets_the_account_counter(app, api, make_user):
    user = make_user("admin")
    for _ in range(4):
        api.login(user.mobile, "wrong-password")
    assert api.login(user.mobile).status_code == 200
    for _ in range(4):
        assert_problem(api.login(user.mobile, "wrong-password"), 401)


def test_passwords_are_hashed_with_argon2id(app, make_user):
    user = make_user("admin")
    assert user.password_hash.startswith("$argon2id$")


def test_production_hash_cost_is_rfc9106_second_option():
    import tempfile
    from pathlib import Path

    from hazardloop.config import from_environment

    config = from_environment(Path(tempfile.mkdtemp()))
    assert config["PASSWORD_HASH_MEMORY_KIB"] == 65536
    assert config["PASSWORD_HASH_TIME_COST"] == 3


@pytest.mark.parametrize("mobile", ["1381234567", "23812345678", "12812345678", "1381234567a", ""])
def test_invalid_mobiles_are_refused(app, mobile):
    from hazardloop.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.normalize_mobile(mobile)
