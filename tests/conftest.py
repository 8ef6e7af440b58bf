"""Shared fixtures: the app on real PostgreSQL and on SQLite, factories, and logged-in clients.

Every test that uses ``app`` runs once per database. The schema is built by running the
migrations once per database and run; each test then starts from empty tables.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
DATABASES = ["sqlite", "postgresql"]

os.environ.setdefault("SECRET_KEY", "test-secret-" + uuid.uuid4().hex)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql_only: the test exists for PostgreSQL only (e.g. whole worker processes, "
        "advisory locks); its SQLite variant is not collected")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the SQLite variant of tests marked postgresql_only (reported as deselected, not skipped)."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("postgresql_only") and params.get("_session_app") == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """redis-server on its own loopback port with no persistence: a restart comes back empty.

    Each test process runs its own, so no other program using the machine's Redis (and no
    parallel test run) can see or disturb the suite's keys.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("缺少 redis-server：请运行 ./dev test（它会安装 Debian 的 redis-server）。")
        self.proc = subprocess.Popen([server, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None


def reset_redis(conn: redis.Redis) -> None:
    """Empty this process's Redis database."""
    conn.flushdb()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """This test process's own throwaway redis-server (``TEST_REDIS_URL`` names an existing one instead)."""
    if TEST_REDIS_URL:
        yield TEST_REDIS_URL
        return
    server = PrivateRedis()
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this run and worker."""
    name = f"hazardloop_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')



def make_test_config(database_url: str, redis_url: str, tmp: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RQ_CONNECTION": redis_url,
        "RQ_ASYNC": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"test{uuid.uuid4().hex[:8]}",
        "STORAGE_DIR": str(tmp / "storage"),
        # Cheap argon2 in tests; production cost is tested separately in test_passwords.
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_TIME_COST": 1,
        # Role-default SMS off unless a test is about it (tests/notifications/test_defaults.py).
        "NOTIFY_ROLE_DEFAULTS": False,
        # SMS quiet hours and rate limits off unless a test is about them (tests/notifications/test_sms_rules.py).
        "SMS_DELIVERY_RULES": False,
        "VAPID_PRIVATE_KEY_FILE": str(tmp / "vapid_private.pem"),
        # Photo jobs at once unless a test is about the hold (tests/evidence/test_derivative_jobs.py).
        "PHOTO_DERIVATIVES_HOLD_S": 0,
    }


def _migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    from hazardloop.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def _session_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[Flask]:
    from hazardloop import create_app

    kind = request.param
    tmp = tmp_path_factory.mktemp(kind)
    url = request.getfixturevalue("pg_database_url") if kind == "postgresql" else f"sqlite:///{tmp / 'test.db'}"
    config = make_test_config(url, redis_url, tmp)
    _migrate(create_app({**config, "SCHEMA_CHECK": False}))
    app = create_app(config)  # schema check on: proves the migrated schema is current
    yield app
    with app.app_context():
        from hazardloop.extensions import db

        db.session.remove()
        db.engine.dispose()


def _empty_tables(app: Flask) -> None:
    """Every row of every table gone, children first, in one round trip (every test pays this: one statement per
    table cost 60–130 ms a test on a loaded machine, the script 13 ms)."""
    from hazardloop.extensions import db

    with app.app_context():
        db.session.remove()
        # DELETE beats TRUNCATE on PostgreSQL for the few rows a test leaves.
        script = ";".join(f"DELETE FROM {t.name}" for t in reversed(db.metadata.sorted_tables))
        if db.engine.dialect.name != "sqlite":
            with db.engine.begin() as conn:
                conn.exec_driver_sql(script)
            return
        raw = db.engine.raw_connection()
        try:
            sqlite = raw.driver_connection
            synchronous = sqlite.execute("PRAGMA synchronous").fetchone()[0]
            # No fsync for emptying a throwaway database; the tests' own writes keep the default.
            sqlite.executescript(f"PRAGMA synchronous=OFF;BEGIN;{script};COMMIT;PRAGMA synchronous={synchronous};")
        finally:
            raw.close()


@pytest.fixture
def app(_session_app: Flask) -> Iterator[Flask]:
    """The app on one database, with empty tables, an empty Redis and an app context pushed."""
    _empty_tables(_session_app)
    reset_redis(redis.Redis.from_url(_session_app.config["REDIS_URL"]))
    with _session_app.app_context():
        yield _session_app
        from hazardloop.extensions import db

        db.session.rollback()


@pytest.fixture
def db(app: Flask) -> Any:
    from hazardloop.extensions import db as database

    return database


# --- factories ----------------------------------------------------------------------------

@dataclass
class District:
    """A small region tree: 区 → streets A/B → communities → grids, with two departments."""

    district: Any
    street_a: Any
    street_b: Any
    park: Any
    community_a: Any
    community_b: Any
    grid_a1: Any
    grid_a2: Any
    grid_b1: Any
    grid_p1: Any
    fire_dept: Any
    construction_dept: Any


def build_district() -> District:
    """Create the small standard tree (in the current app context) and commit."""
    from hazardloop.extensions import db
    from hazardloop.regions.services import create_department, create_region

    d = create_region(name="测试区", level="district", code="330105")
    a = create_region(name="A街道", level="street", parent=d)
    b = create_region(name="B街道", level="street", parent=d)
    p = create_region(name="科创园", level="park", parent=d)
    ca = create_region(name="A社区", level="community", parent=a)
    cb = create_region(name="B社区", level="community", parent=b)
    square = {"type": "Polygon", "coordinates": [[[120.1, 30.3], [120.2, 30.3], [120.2, 30.4],
                                                  [120.1, 30.4], [120.1, 30.3]]]}
    result = District(
        district=d, street_a=a, street_b=b, park=p, community_a=ca, community_b=cb,
        grid_a1=create_region(name="A1网格", level="grid", parent=ca, boundary=square),
        grid_a2=create_region(name="A2网格", level="grid", parent=ca),
        grid_b1=create_region(name="B1网格", level="grid", parent=cb),
        grid_p1=create_region(name="园区1网格", level="grid", parent=p),
        fire_dept=create_department(region=d, code="fire", name="消防救援大队",
                                    domains=["fire", "nine_small"]),
        construction_dept=create_department(region=d, code="zj", name="住房和城乡建设局",
                                            domains=["construction"]),
    )
    db.session.commit()
    return result


@pytest.fixture
def district(db: Any) -> District:
    return build_district()


_counter = itertools.count(1)


def new_site(grid: Any, *, category: str = "small_restaurant", domains: list[str] | None = None,
             **fields: Any) -> Any:
    """Register a site in ``grid`` and commit."""
    from hazardloop.extensions import db
    from hazardloop.sites.services import create_site

    n = next(_counter)
    data = {"name": f"测试场所{n}", "address": f"测试路{n}号", "grid_id": grid.id,
            "category": category, "domains": ["fire", "nine_small"] if domains is None else domains, **fields}
    site = create_site(data, actor=None)
    db.session.commit()
    return site


@pytest.fixture
def make_site(db: Any) -> Any:
    return new_site


PASSWORD = "Passw0rd!"


def new_user(role: str, *, region: Any = None, department: Any = None, site: Any = None,
             grants: list[Any] | None = None, mobile: str | None = None) -> Any:
    """Create a user with one grant (or ``grants``) and commit."""
    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.extensions import db
    from hazardloop.taxonomy import Role

    n = next(_counter)
    specs = grants or [GrantSpec(Role(role), region.id if region else None,
                                 department.id if department else None, site.id if site else None)]
    user = create_user(mobile=mobile or f"139{n:08d}", display_name=f"{role}{n}", password=PASSWORD,
                       grants=specs)
    db.session.commit()
    return user


@pytest.fixture
def make_user(db: Any) -> Any:
    return new_user


class ApiClient:
    """A test client that sends JSON and, once logged in, the CSRF header."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf: str | None = None

    def login(self, mobile: str, password: str = PASSWORD) -> Any:
        response = self.client.post("/api/v1/auth/login", json={"mobile": mobile, "password": password})
        if response.status_code == 200:
            self.csrf = response.get_json()["csrf_token"]
        return response

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.csrf:
            out.setdefault("X-CSRF-Token", self.csrf)
        return out

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(headers), **kw)

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(headers), **kw)

    def delete(self, path: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(headers), **kw)


@pytest.fixture
def api(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


@pytest.fixture
def login(app: Flask) -> Any:
    """login(user) → an ApiClient with that user's session."""

    def do(user: Any) -> ApiClient:
        client = ApiClient(app.test_client())
        response = client.login(user.mobile)
        assert response.status_code == 200, response.get_json()
        return client

    return do


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code), with a Chinese detail."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    for key in ("type", "title", "status", "code", "detail"):
        assert key in body, body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    return body


# --- checklists, photos, inspections ---------------------------------------------------------

@pytest.fixture
def checklists(db: Any) -> Any:
    """The shipped checklists, synced into the database."""
    from hazardloop.checklists.services import sync_checklists

    report = sync_checklists()
    db.session.commit()
    return report


@pytest.fixture
def make_photo(db: Any) -> Any:
    """make_photo(user) → a real small JPEG uploaded by ``user``; each call a different picture."""
    import io
    import random

    from PIL import Image

    from hazardloop.evidence.services import receive_photo

    def make(user: Any) -> Any:
        colour = tuple(random.randrange(256) for _ in range(3))
        image = Image.new("RGB", (64, 48), colour)
        image.putpixel((random.randrange(64), random.randrange(48)), (0, 0, 0))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        photo, _ = receive_photo(buffer.getvalue(), uploader=user)
        db.session.commit()
        return photo

    return make


@pytest.fixture
def make_hazard(district: Any, make_site: Any, make_user: Any, make_photo: Any) -> Any:
    """make_hazard(state=…, level=…, source=…, site=…, overdue=…) → a 隐患 brought there by the real transitions."""
    from tests.factories import HazardFactory

    return HazardFactory(district, make_site, make_user, make_photo)


@pytest.fixture
def cli_env(app: Flask) -> dict[str, str]:
    """The environment a ``hazardloop`` command needs to reach this test's database, Redis and storage."""
    return {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "STORAGE_DIR": app.config["STORAGE_DIR"],
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "PASSWORD_HASH_TIME_COST": "1",
    }


# --- the people around one shop and hazards assigned with set deadlines (escalation, notifications, circulars …) ---

@pytest.fixture
def parties(district: District, make_site: Any, make_user: Any) -> SimpleNamespace:
    """A shop in grid A1 and everyone the ladder may tell about it."""
    shop = make_site(district.grid_a1)
    return SimpleNamespace(
        district=district, shop=shop,
        owner=make_user("enterprise_user", site=shop),
        worker=make_user("grid_worker", region=district.grid_a1),
        street=make_user("supervisor", region=district.street_a),
        office=make_user("supervisor", region=district.district),
        fire=make_user("inspector", region=district.district, department=district.fire_dept),
        elsewhere=make_user("supervisor", region=district.street_b),
    )


@pytest.fixture
def assigned(parties: SimpleNamespace) -> Any:
    """assigned(deadline, level="general") → a hazard of the shop assigned (交办) with that deadline."""

    def make(deadline: dt.datetime, level: str = "general") -> Any:
        from tests.support.deadlines import assign_hazard

        return assign_hazard(parties, deadline=deadline, level=level)

    return make


@pytest.fixture
def week_of_hazards(db: Any, parties: SimpleNamespace, make_site: Any, district: District) -> dict[str, int]:
    """Street A: found this week — one due and closed on time, one overdue, one 重大 — and one found last week;
    street B: one found this week (outside the scope)."""
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role
    from tests.support.deadlines import assign_hazard, end_of, local

    closed = assign_hazard(parties, deadline=end_of("2026-11-27"))
    closed.status, closed.closed_at = "closed", local("2026-11-23 11:00")
    late = assign_hazard(parties, deadline=end_of("2026-11-20"))
    major = assign_hazard(parties, deadline=end_of("2026-12-20"), level="major")
    old = assign_hazard(parties, deadline=end_of("2026-11-19"))
    for hazard, found in ((closed, "2026-11-23 09:00"), (late, "2026-11-23 09:30"), (major, "2026-11-23 10:00"),
                          (old, "2026-11-16 10:00")):
        hazard.found_at = local(found)
    other = make_site(district.grid_b1)
    create_hazard(site=other, source=HazardSource.GRID_PATROL, description="电动车违规充电",
                  level=HazardLevel.GENERAL, domain="fire", actor=parties.worker, actor_role=Role.GRID_WORKER,
                  found_at=local("2026-11-23 09:00"))
    db.session.commit()
    return {"closed": closed.id, "late": late.id, "major": major.id, "old": old.id}


@pytest.fixture
def world(district: Any, make_site: Any, make_user: Any, make_photo: Any) -> Any:
    """Seven hazards in every state the console counts (``tests/support/world.py`` names them)."""
    from tests.support.world import build_world

    return build_world(district, make_site, make_user, make_photo)


# --- a private Redis, and the app with its jobs there (the outbox and ladder fault tests) -----------------------

@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis server of this test's own, to stop and start (the shared test Redis stays up)."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_app(app: Flask, private_redis: PrivateRedis, tmp_path: Path) -> Iterator[Flask]:
    """The same database, with jobs on the private Redis (rate limits stay on the shared test Redis)."""
    from hazardloop import create_app

    config = make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], private_redis.url, tmp_path)
    config.update(RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"], OUTBOX_RETRY_INTERVALS=[0, 0])
    faulty = create_app(config)
    with faulty.app_context():
        yield faulty
        from hazardloop.extensions import db

        db.session.remove()
        db.engine.dispose()


# --- SMS providers: a local stand-in speaking their HTTP APIs (notifications, 群众举报 replies) ------------------

@pytest.fixture
def stand_in() -> Iterator[Any]:
    """A local HTTP server answering like 阿里云's or 腾讯云's SMS API and keeping what it received."""
    from tests.support.sms import serve_stand_in

    with serve_stand_in() as state:
        yield state


@pytest.fixture
def provider(app: Flask, stand_in: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """provider("tencent" | "aliyun") → the stand-in, with the app sending SMS through it."""
    from tests.support.sms import use_provider

    return lambda name: use_provider(app, stand_in, monkeypatch, name)


# --- the authenticated fuzz (tests/system, tests/selfchecks) ------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_demo(_session_app: Flask) -> Iterator[tuple[Flask, dict[str, Any]]]:
    """The demo district seeded once for this module, and a logged-in session for each fuzzing role."""
    from hazardloop.demo.seed import seed_demo
    from hazardloop.extensions import db
    from tests.support.fuzzing import DEMO_PASSWORD, FUZZ_ROLES, log_in

    app = _session_app
    _empty_tables(app)
    reset_redis(redis.Redis.from_url(app.config["REDIS_URL"]))
    with app.app_context():
        seed_demo(password=DEMO_PASSWORD)
        db.session.commit()
        identities = {role: log_in(app, role) for role in FUZZ_ROLES}
        db.session.remove()
    yield app, identities
    _empty_tables(app)
