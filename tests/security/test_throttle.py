"""Login throttling that a proxy cannot break and an attacker cannot aim; Retry-After on every 429."""

from __future__ import annotations

import time

import pytest
from limits import parse

from tests.conftest import PASSWORD, assert_problem

ATTACKER, ADMIN_DESK = "203.0.113.66", "198.51.100.7"


def login_from(client, mobile: str, password: str, address: str, **headers: str):
    return client.post("/api/v1/auth/login", json={"mobile": mobile, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_nobody_locks_an_administrator_out_by_guessing_at_his_number(app, make_user):
    admin = make_user("admin")
    client = app.test_client()
    for _ in range(12):
        login_from(client, admin.mobile, "wrong-password", ATTACKER)
    assert_problem(login_from(client, admin.mobile, "wrong-password", ATTACKER), 429, "login_rate_limited")
    # The administrator at his own desk, with the right password, logs in at once.
    assert login_from(client, admin.mobile, PASSWORD, ADMIN_DESK).status_code == 200


def test_waits_grow_with_each_failure_after_the_free_ones(app, make_user):
    throttle = app.extensions["login_throttle"]
    user = make_user("admin")
    client = app.test_client()
    for _ in range(throttle.free_failures):
        assert_problem(login_from(client, user.mobile, "wrong-password", ATTACKER), 401)

    waits = []
    for _ in range(4):
        refused = login_from(client, user.mobile, PASSWORD, ATTACKER)  # even the right password waits
        body = assert_problem(refused, 429, "login_rate_limited")
        wait = int(refused.headers["Retry-After"])
        assert wait == body["retry_after"] and str(wait) in body["detail"]
        waits.append(wait)
        # The wait is over: one more wrong password, and the next wait is longer.
        key = throttle._pair_key(user.mobile, ATTACKER)
        throttle.redis.hset(key, "last", repr(time.time() - wait - 1))
        assert_problem(login_from(client, user.mobile, "wrong-password", ATTACKER), 401)
    base = throttle.backoff_base_s
    assert [round(w / base) for w in waits] == [1, 2, 4, 8]
    assert throttle.delay_after(throttle.free_failures + 40) == throttle.backoff_max_s  # capped, never forever


def test_one_address_trying_many_accounts_is_stopped_and_only_that_address(app, make_user, monkeypatch):
    throttle = app.extensions["login_throttle"]
    monkeypatch.setattr(throttle, "per_address", parse("5 per 15 minutes"))
    admin = make_user("admin")
    client = app.test_client()
    for i in range(5):
        login_from(client, f"1390000{i:04d}", "wrong-password", ATTACKER)
    refused = login_from(client, "13900009999", "wrong-password", ATTACKER)
    assert_problem(refused, 429, "login_rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    assert login_from(client, admin.mobile, PASSWORD, ADMIN_DESK).status_code == 200


@pytest.fixture
def behind_one_proxy(app):
    """The same app and database served behind one trusted reverse proxy (TRUSTED_PROXY_HOPS=1)."""
    from hazardloop import create_app

    proxied = create_app({**app.config, "TRUSTED_PROXY_HOPS": 1, "SCHEMA_CHECK": False})
    proxied.extensions["login_throttle"].per_address = parse("5 per 15 minutes")
    yield proxied
    from hazardloop.extensions import db

    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_forwarded_for_counts_only_from_trusted_proxies(app, behind_one_proxy, make_user, monkeypatch):
    # No trusted proxy (the default): a forged X-Forwarded-For changes nothing, the address still counts.
    monkeypatch.setattr(app.extensions["login_throttle"], "per_address", parse("5 per 15 minutes"))
    client = app.test_client()
    for i in range(5):
        login_from(client, f"1390000{i:04d}", "wrong-password", ATTACKER, **{"X-Forwarded-For": f"192.0.2.{i}"})
    forged = login_from(client, "13900009999", "wrong-password", ATTACKER, **{"X-Forwarded-For": "192.0.2.99"})
    assert_problem(forged, 429, "login_rate_limited")

    # Behind one trusted proxy every client counts for itself, not the proxy's address for all.
    admin = make_user("admin")
    client, proxy = behind_one_proxy.test_client(), "10.0.0.2"
    for i in range(8):
        login_from(client, f"1390001{i:04d}", "wrong-password", proxy, **{"X-Forwarded-For": "203.0.113.99"})
    assert_problem(login_from(client, "13900019999", "wrong-password", proxy,
                              **{"X-Forwarded-For": "203.0.113.99"}), 429, "login_rate_limited")
    ok = login_from(client, admin.mobile, PASSWORD, proxy, **{"X-Forwarded-For": ADMIN_DESK})
    assert ok.status_code == 200
    # The proxy terminates TLS and says so: the answer carries HSTS.
    secure = client.get("/api/v1/health", environ_base={"REMOTE_ADDR": proxy},
                        headers={"X-Forwarded-For": ADMIN_DESK, "X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_every_429_says_when_to_retry(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORT_LIMIT_PER_ADDRESS", "1 per hour")
    client = app.test_client()
    client.post("/api/v1/public/reports", json={}, environ_base={"REMOTE_ADDR": ATTACKER})
    refused = client.post("/api/v1/public/reports", json={}, environ_base={"REMOTE_ADDR": ATTACKER})
    body = assert_problem(refused, 429, "report_rate_limited")
    assert int(refused.headers["Retry-After"]) == body["retry_after"] > 0

