"""Through PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction): nothing prepared, no session state.

A throwaway pgbouncer (Debian's, installed by ./dev test) on a free loopback port, in front of the test
PostgreSQL, with two server connections for all of the app's client connections: each transaction may
land on a connection another client used last, as under load in a city's deployment.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from hazardloop.config import engine_options
from tests.conftest import ApiClient, make_test_config
from tests.support.cli import HAZARDLOOP
from tests.support.pgbouncer import MISSING, PGBOUNCER, PrivateBouncer
from tests.support.photos import gps_photo, hazard_body


@pytest.fixture
def bouncer(pg_database_url: str) -> Iterator[PrivateBouncer]:
    if PGBOUNCER is None:
        pytest.fail(MISSING)
    server = PrivateBouncer(pg_database_url)
    server.start()
    yield server
    server.stop()


def test_transaction_mode_prepares_nothing_and_sends_no_startup_options():
    options = engine_options("postgresql+psycopg://bouncer:6432/city", pool_mode="transaction")
    assert options["connect_args"] == {"prepare_threshold": None}
    session = engine_options("postgresql+psycopg://db:5432/city")
    assert "prepare_threshold" not in session["connect_args"] and "options" in session["connect_args"]


@pytest.mark.postgresql_only
def test_hazards_are_reported_and_read_through_pgbouncer_in_transaction_mode(app, bouncer, pg_database_url, tmp_path):
    from hazardloop import create_app
    from hazardloop.extensions import db
    from hazardloop.outbox.models import OutboxMessage
    from tests.conftest import PASSWORD, build_district, new_site, new_user

    database = urlsplit(pg_database_url).path.lstrip("/")
    config = make_test_config(bouncer.url(database), app.config["REDIS_URL"], tmp_path)
    # Without the setting the app's startup options (plan_cache_mode) are refused: it says so at once.
    with pytest.raises(OperationalError, match="unsupported startup parameter"):
        create_app(config)  # its schema check is its first query
    through_bouncer = create_app({**config, "DATABASE_POOL_MODE": "transaction"})
    with through_bouncer.app_context():
        assert db.engine.url.port == bouncer.port
        district = build_district()
        shop = new_site(district.grid_a1, lat=30.3, lng=120.15)
        worker = new_user("grid_worker", region=district.grid_a1)
        supervisor = new_user("supervisor", region=district.street_a)
        phone, console = ApiClient(through_bouncer.test_client()), ApiClient(through_bouncer.test_client())
        assert phone.login(worker.mobile, PASSWORD).status_code == 200
        assert console.login(supervisor.mobile, PASSWORD).status_code == 200

        created = []
        for n in range(7):  # past psycopg's 5th run, when it would prepare a statement (prepare_threshold)
            photo = gps_photo(db, worker, shade=n)
            response = phone.post("/api/v1/hazards", json=hazard_body(shop, [photo.id], description=f"灭火器过期{n}"))
            assert response.status_code == 201, response.get_data(as_text=True)
            created.append(response.get_json()["id"])
            for client in (phone, console):  # read back by two clients sharing the one server connection
                detail = client.get(f"/api/v1/hazards/{created[-1]}")
                assert detail.status_code == 200, detail.get_data(as_text=True)
                assert detail.get_json()["description"] == f"灭火器过期{n}"
        listed = console.get("/api/v1/hazards")
        assert listed.status_code == 200, listed.get_data(as_text=True)
        assert {h["id"] for h in listed.get_json()["items"]} >= set(created)
        # A worker node through the same pgbouncer runs the work those reports queued (notices, photo derivatives).
        pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == "pending"))
        env = {**os.environ, "DATABASE_URL": bouncer.url(database), "DATABASE_POOL_MODE": "transaction",
               "REDIS_URL": app.config["REDIS_URL"], "STORAGE_DIR": through_bouncer.config["STORAGE_DIR"],
               "PHOTO_DERIVATIVES_HOLD_S": "0"}
        worker = subprocess.run([HAZARDLOOP, "worker", "--burst", "--processes", "1"], env=env, capture_output=True,
                                text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr[-3000:]
        db.session.expire_all()
        by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        statuses = {status: count for status, count in db.session.execute(by_status)}
        assert pending and statuses == {"done": pending}, (statuses, worker.stderr[-3000:])
        db.session.remove()
        db.engine.dispose()

    pools = [p for p in bouncer.show("POOLS") if p["database"] == database]
    stats = [s for s in bouncer.show("STATS") if s["database"] == database]
    assert pools and pools[0]["pool_mode"] == "transaction"
    assert stats and stats[0]["total_xact_count"] >= 7 * 4, stats  # all of it went through pgbouncer
