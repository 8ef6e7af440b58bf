"""A hot standby by streaming replication: the console and public reads served there, fallbacks, promotion.

A throwaway primary and a standby made from it by ``pg_basebackup -R`` (the machine's own PostgreSQL
programs, on free loopback ports, as the ``postgres`` user when the suite runs as root). The app gets a
multi-host DATABASE_URL (``target_session_attrs=read-write``: whichever of the two accepts writes) and the
standby as DATABASE_REPLICA_URL, as a city's nodes would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import (
    PASSWORD,
    ApiClient,
    _migrate,
    build_district,
    make_test_config,
    new_site,
    new_user,
)
from tests.support.photos import gps_photo, hazard_body
from tests.support.postgres import PG_BIN, Pair
from tests.support.postgres import wait_for as _wait

MAX_LAG_S = 4.0  # the standby may be this far behind; the test pauses replay past it


@pytest.fixture
def pair() -> Iterator[Pair]:
    if PG_BIN is None:
        pytest.fail("缺少 PostgreSQL 服务器程序（/usr/lib/postgresql/*/bin）：请运行 ./dev test 安装。")
    cluster = Pair()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def open_total(client: ApiClient) -> int:
    response = client.get("/api/v1/console/overview")
    assert response.status_code == 200, response.get_data(as_text=True)
    return int(response.get_json()["open_total"])


@pytest.fixture
def city_app(pair: Pair, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the pair: a multi-host DATABASE_URL and the standby as DATABASE_REPLICA_URL, migrated."""
    from hazardloop import create_app
    from hazardloop.extensions import db
    from hazardloop.replica import router

    pair.primary.sql('CREATE DATABASE "hazardloop"')
    config = {**make_test_config(pair.url("hazardloop"), redis_url, tmp_path),
              "DATABASE_REPLICA_URL": f"postgresql+psycopg://postgres@127.0.0.1:{pair.standby.port}/hazardloop",
              "REPLICA_MAX_LAG_S": MAX_LAG_S, "REPLICA_LAG_CHECK_S": 0.1}
    _migrate(create_app({**config, "SCHEMA_CHECK": False}))
    app = create_app(config)
    try:
        yield app
    finally:  # before the pair stops, whatever happened: no connection is left open
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        standby = router(app)
        assert standby is not None
        standby.engine.dispose()


def test_console_reads_the_standby_within_the_lag_bound_and_writes_survive_promotion(pair, city_app):
    from hazardloop.extensions import db
    from hazardloop.hazards.events import verify_chains
    from hazardloop.replica import PRIMARY_COOKIE, router

    app = city_app
    standby = router(app)
    assert standby is not None
    with app.app_context():
        district = build_district()
        shop = new_site(district.grid_a1, lat=30.3, lng=120.15)
        worker = new_user("grid_worker", region=district.grid_a1)
        supervisor = new_user("supervisor", region=district.street_a)
        photos = [gps_photo(db, worker, shade=n) for n in range(5)]
        phone, console = ApiClient(app.test_client()), ApiClient(app.test_client())
        assert phone.login(worker.mobile, PASSWORD).status_code == 200
        assert console.login(supervisor.mobile, PASSWORD).status_code == 200
        # Logging in is a write: for a few seconds that client reads the primary (tested below). The console
        # here forgets it, so that its next reads are routed like those of a supervisor who logged in earlier.
        console.client.delete_cookie(PRIMARY_COOKIE)

        def report(n: int) -> int:
            body = hazard_body(shop, [photos[n].id], description=f"灭火器过期{n}")
            response = phone.post("/api/v1/hazards", json=body)
            assert response.status_code == 201, response.get_data(as_text=True)
            return int(response.get_json()["id"])

        first = report(0)
        pair.wait_caught_up()

        # The request's own engine: a marked view's plain reads go to the standby, other views' to the primary.
        for path, in_recovery in (("/api/v1/console/overview", True), ("/api/v1/hazards", False)):
            with app.test_request_context(path):
                app.preprocess_request()
                assert db.session.scalar(select(func.pg_is_in_recovery())) is in_recovery, path
            db.session.rollback()
        assert open_total(console) == 1

        # Replay paused just after a fresh commit: the standby is less than MAX_LAG_S behind, yet lacks
        # what the primary commits next. The console, served by the standby, does not count the new hazard.
        pair.primary.sql("CREATE TABLE replication_probe AS SELECT 1 AS tick", database="hazardloop")
        pair.wait_caught_up()
        pair.standby.sql("SELECT pg_wal_replay_pause()")
        second = report(1)
        assert open_total(console) == 1  # the standby's answer
        listed = console.get("/api/v1/hazards")  # not marked: the primary's answer
        assert {h["id"] for h in listed.get_json()["items"]} == {first, second}
        # A supervisor who logs in now has a session row the standby has not replayed: the login's cookie
        # sends her reads to the primary, or the standby would not know her.
        late = ApiClient(app.test_client())
        assert late.login(supervisor.mobile, PASSWORD).status_code == 200
        assert open_total(late) == 2
        assert standby.lag() is not None and standby.lag() <= MAX_LAG_S  # still within the bound meanwhile

        # Past the bound the same console read falls back to the primary, while the standby still lacks it.
        _wait(lambda: (standby.lag() or 0) > MAX_LAG_S, "replica lag beyond the bound")
        assert open_total(console) == 2
        assert pair.standby.sql(f"SELECT count(*) FROM hazards WHERE id = {second}", database="hazardloop") == 0
        pair.standby.sql("SELECT pg_wal_replay_resume()")
        pair.wait_caught_up()

        # The standby down: the console still answers, from the primary.
        pair.standby.stop()
        _wait(lambda: standby.usable_engine() is None, "the router to notice the standby is down")
        assert open_total(console) == 2
        pair.standby.start()
        pair.wait_caught_up()
        _wait(lambda: standby.usable_engine() is not None, "the router to use the standby again")
        assert open_total(console) == 2

        # Synchronous replication: a commit is acknowledged once it is on the standby's disk too.
        pair.synchronous()
        acknowledged = [first, second, report(2), report(3)]
        # The primary crashes (no shutdown, no last WAL sent) and the operator promotes the standby.
        pair.primary.stop("immediate")
        pair.standby.run("pg_ctl", "-D", str(pair.standby.data), "-w", "promote")

        # The nodes' pooled connections to the dead primary are replaced (pool_pre_ping) by connections to
        # the host of DATABASE_URL's list that now accepts writes: every acknowledged hazard is there.
        for hazard_id in acknowledged:
            response = phone.get(f"/api/v1/hazards/{hazard_id}")
            assert response.status_code == 200, response.get_data(as_text=True)
        assert open_total(console) == 4
        after = report(4)
        assert phone.get(f"/api/v1/hazards/{after}").status_code == 200
        db.session.remove()
        assert db.session.scalar(select(func.inet_server_port())) == pair.standby.port
        assert db.session.scalar(select(func.pg_is_in_recovery())) is False
        checked, broken = verify_chains()
        assert broken is None and checked >= 5
