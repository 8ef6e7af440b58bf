"""Kept login sessions (accounts/session_cache.py): no session query on repeat requests, yet every change to a
session, user, grant or granted place holds at once in every other process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import text

from hazardloop.accounts import session_cache
from hazardloop.accounts.models import UserSession
from tests.conftest import PASSWORD, assert_problem, free_port
from tests.support.statements import recorded_statements

_SHARED = ("TESTING", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RQ_CONNECTION", "RQ_ASYNC", "RATELIMIT_STORAGE_URI",
           "RATELIMIT_KEY_PREFIX", "STORAGE_DIR", "PASSWORD_HASH_MEMORY_KIB", "PASSWORD_HASH_TIME_COST",
           "NOTIFY_ROLE_DEFAULTS", "SMS_DELIVERY_RULES", "VAPID_PRIVATE_KEY_FILE", "PHOTO_DERIVATIVES_HOLD_S")


def second_process(app: Flask, **config: Any) -> Flask:
    """The same system as a second server process sees it: its own app, connections and kept sessions."""
    from hazardloop import create_app

    return create_app({**{k: app.config[k] for k in _SHARED}, "SCHEMA_CHECK": False, **config})


@pytest.fixture
def other(app: Flask) -> Iterator[Flask]:
    served = second_process(app)
    yield served
    with served.app_context():
        from hazardloop.extensions import db

        db.engine.dispose()


def carrying(other: Flask, client: Any) -> Any:
    """A client of ``other`` presenting the session cookie ``client`` logged in with."""
    second = other.test_client()
    second.set_cookie("hl_session", client.client.get_cookie("hl_session").value)
    return second


def session_reads(other: Flask, client: Any, n: int = 2) -> list[str]:
    from hazardloop.extensions import db

    with other.app_context(), recorded_statements(db) as statements:
        for _ in range(n):
            assert client.get("/api/v1/auth/session").status_code == 200
    return [s for s in statements if "FROM user_sessions" in s]


def test_repeat_requests_read_the_session_from_the_process_not_the_database(other, login, make_user, district):
    supervisor = make_user("supervisor", region=district.street_a)
    second = carrying(other, login(supervisor))
    assert len(session_reads(other, second, 1)) == 1  # the first request of this process loads it
    assert session_reads(other, second, 3) == []
    body = second.get("/api/v1/auth/session").get_json()
    assert [g["region_name"] for g in body["user"]["grants"]] == [district.street_a.name]


def test_a_logout_in_one_process_ends_the_session_in_every_other(other, login, make_user, district):
    first = login(make_user("supervisor", region=district.street_a))
    second = carrying(other, first)
    assert second.get("/api/v1/auth/session").status_code == 200
    assert second.get("/api/v1/auth/session").status_code == 200  # kept now
    assert first.post("/api/v1/auth/logout").status_code in (200, 204)
    assert_problem(second.get("/api/v1/auth/session"), 401)


def test_a_password_change_ends_the_other_devices_sessions_everywhere(other, login, make_user, district):
    user = make_user("grid_worker", region=district.grid_a1)
    phone, laptop = login(user), login(user)
    kept = carrying(other, laptop)
    assert kept.get("/api/v1/auth/session").status_code == 200
    changed = phone.post("/api/v1/auth/password",
                         json={"current_password": PASSWORD, "new_password": "另一个新密码2026abc"})
    assert changed.status_code == 204, changed.get_data(as_text=True)
    assert_problem(kept.get("/api/v1/auth/session"), 401)


def test_a_deactivated_user_is_refused_at_once_by_a_process_that_kept_the_session(
        other, login, make_user, district, db):
    user = make_user("grid_worker", region=district.grid_a1)
    second = carrying(other, login(user))
    assert second.get("/api/v1/auth/session").status_code == 200
    user.active = False
    db.session.commit()
    assert_problem(second.get("/api/v1/auth/session"), 401)


def test_a_grant_moved_to_another_street_moves_the_scope_at_once(other, login, make_user, district, db):
    user = make_user("supervisor", region=district.street_a)
    second = carrying(other, login(user))
    assert second.get("/api/v1/auth/session").get_json()["user"]["grants"][0]["region_name"] == district.street_a.name
    user.grants[0].region_id = district.street_b.id
    db.session.commit()
    grants = second.get("/api/v1/auth/session").get_json()["user"]["grants"]
    assert [g["region_name"] for g in grants] == [district.street_b.name]


def test_a_granted_site_renamed_shows_its_new_name_but_its_other_changes_keep_the_sessions(
        other, app, login, make_user, make_site, district, db):
    site = make_site(district.grid_a1)
    second = carrying(other, login(make_user("enterprise_user", site=site)))
    assert second.get("/api/v1/auth/session").status_code == 200
    epoch = redis.Redis.from_url(app.config["REDIS_URL"]).get(other.extensions[session_cache.EXTENSION].key)
    site.address = "另一个地址 1 号"  # not held by a kept session: nothing to outdate
    db.session.commit()
    assert redis.Redis.from_url(app.config["REDIS_URL"]).get(other.extensions[session_cache.EXTENSION].key) == epoch
    site.name = "改名后的店"
    db.session.commit()
    grants = second.get("/api/v1/auth/session").get_json()["user"]["grants"]
    assert [g["site_name"] for g in grants] == ["改名后的店"]


def test_a_change_made_outside_the_application_holds_within_the_keeping_time(app, login, make_user, district, db):
    served = second_process(app, SESSION_CACHE_TTL_S=0.5)
    try:
        first = login(make_user("supervisor", region=district.street_a))
        second = carrying(served, first)
        assert second.get("/api/v1/auth/session").status_code == 200
        with db.engine.begin() as conn:  # as psql would: no application commit announces it
            conn.execute(text("UPDATE user_sessions SET revoked_at = created_at"))
        changed_at = time.monotonic()
        while (answer := second.get("/api/v1/auth/session")).status_code == 200 and time.monotonic() < changed_at + 5:
            time.sleep(0.05)
        assert_problem(answer, 401)
        assert time.monotonic() - changed_at < 0.5 + 1.0  # the keeping time, and a margin for a loaded machine
    finally:
        with served.app_context():
            from hazardloop.extensions import db as database

            database.engine.dispose()


def test_without_redis_every_request_reads_the_database_and_a_logout_still_holds(
        app, login, make_user, district):
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    served = second_process(app, REDIS_URL=unreachable)
    try:
        first = login(make_user("supervisor", region=district.street_a))
        second = carrying(served, first)
        assert len(session_reads(served, second, 2)) == 2
        assert first.post("/api/v1/auth/logout").status_code in (200, 204)
        assert_problem(second.get("/api/v1/auth/session"), 401)
    finally:
        with served.app_context():
            from hazardloop.extensions import db as database

            database.engine.dispose()


def test_a_session_revoked_by_a_bulk_statement_is_outdated_too(other, login, make_user, district, db):
    from sqlalchemy import update

    user = make_user("supervisor", region=district.street_a)
    second = carrying(other, login(user))
    assert second.get("/api/v1/auth/session").status_code == 200
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id)
                       .values(revoked_at=UserSession.created_at).execution_options(synchronize_session=False))
    db.session.commit()
    assert_problem(second.get("/api/v1/auth/session"), 401)
