"""Figure: latency of a supervisor's filtered, paginated hazard list over 1,000,000 hazards.

Builds a throwaway PostgreSQL database with the app's own migrations, generates a district of
30 streets (2 communities × 5 grids each, 300 grids), 10,000 sites and 1,000,000 hazards with
COPY (most closed, some open, some overdue, spread over three years), ANALYZEs, then asks
``GET /api/v1/hazards`` through the Flask test client as a street supervisor:

    region subtree (a community of the street) + status assigned,rectifying + overdue=true,
    sorted by deadline, 50 a page — the first page, and a deep page reached by cursor.

Prints the median and p95 of each (200 requests each by default) and EXPLAIN ANALYZE of the
page query and of the counts-by-status query the first page runs (later pages skip the counts).

Run:  .venv/bin/python benchmarks/hazard_list.py [--hazards 1000000] [--sites 10000] [--requests 200]
      [--pg-server postgresql://postgres@127.0.0.1:5432/] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432/"
STREETS, COMMUNITIES, GRIDS = 30, 2, 5
SEED = 20261123
NOW = dt.datetime.now(dt.UTC)
PASSWORD = "Bench-passw0rd!"

# status → share of all hazards (most closed; the open ones spread over the workflow).
STATUS_SHARES = [("closed", 0.85), ("found", 0.03), ("exposed", 0.01), ("assigned", 0.03),
                 ("rectifying", 0.05), ("awaiting_verification", 0.03)]
SOURCES = ["grid_patrol", "grid_patrol", "grid_patrol", "covert", "self_check", "department", "public_report",
           "assigned_by_superior"]
DOMAINS = ["fire", "fire", "nine_small", "construction", "hazchem", "industry_trade", "commerce_tourism"]
OVERDUE_SHARE = 0.4  # of the hazards whose deadline runs


def machine() -> str:
    return f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · " \
           f"Python {platform.python_version()}"


@contextmanager
def throwaway_database(server: str, keep: bool = False) -> Iterator[str]:
    """A new empty PostgreSQL database, dropped afterwards unless ``keep``."""
    name = f"hazardloop_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = server.rstrip("/") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.rstrip("/") + "/" + name
    try:
        yield url
    finally:
        if keep:
            print(f"kept database {url}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url: str) -> Any:
    """The app on ``url`` (schema built by the migrations), with cheap password hashing."""
    from flask_migrate import upgrade

    from hazardloop import create_app

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = {"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
              "SCHEMA_CHECK": False, "TESTING": True, "REDIS_URL": redis_url, "RQ_CONNECTION": redis_url,
              "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": f"bench{uuid.uuid4().hex[:8]}",
              "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1,
              "LOGIN_FREE_FAILURES": 1000, "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"}
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def build_regions(app: Any) -> dict[str, Any]:
    """区 → 30 街道 → 2 社区 → 5 网格, one department; returns ids."""
    from hazardloop.extensions import db
    from hazardloop.regions.services import create_department, create_region

    with app.app_context():
        district = create_region(name="基准区", level="district", code="339999")
        streets, communities, grids = [], [], []
        for s in range(STREETS):
            street = create_region(name=f"第{s + 1}街道", level="street", parent=district)
            streets.append(street.id)
            for c in range(COMMUNITIES):
                community = create_region(name=f"第{s + 1}-{c + 1}社区", level="community", parent=street)
                communities.append((street.id, community.id))
                for g in range(GRIDS):
                    grids.append((street.id, community.id,
                                  create_region(name=f"网格{s + 1}-{c + 1}-{g + 1}", level="grid",
                                                parent=community).id))
        department = create_department(region=district, code="fire", name="消防救援大队",
                                       domains=["fire", "nine_small"])
        db.session.commit()
        return {"district": district.id, "streets": streets, "communities": communities, "grids": grids,
                "department": department.id}


def copy_sites(url: str, grids: list[tuple[int, int, int]], n: int, rng: random.Random) -> list[int]:
    """COPY ``n`` sites spread over the grids; returns their ids."""
    created = NOW - dt.timedelta(days=1200)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(
            "COPY sites (name, credit_code_check_failed, address, grid_id, lng, lat, category, risk_level, "
            "contact_name, contact_mobile, qr_token, active, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(n):
                grid = grids[i % len(grids)][2]
                copy.write_row((f"基准场所{i + 1}", False, f"基准路{i + 1}号", grid, 120.1 + rng.random() / 10,
                                30.3 + rng.random() / 10, "small_restaurant", "blue", "张三",
                                f"139{i:08d}", uuid.uuid4().hex, True, created, created))
        conn.execute("INSERT INTO site_domains (site_id, domain) SELECT id, 'fire' FROM sites")
        ids = [r[0] for r in conn.execute("SELECT id FROM sites ORDER BY id")]
        conn.commit()
    return ids


def hazard_rows(site_ids: list[int], n: int, department: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    statuses = [s for s, _ in STATUS_SHARES]
    weights = [w for _, w in STATUS_SHARES]
    span = 3 * 365 * 86400
    for i in range(n):
        status = rng.choices(statuses, weights)[0]
        found = NOW - dt.timedelta(seconds=rng.randrange(span))
        deadline = closed = reported = None
        if status in ("assigned", "rectifying", "awaiting_verification", "closed"):
            deadline = found + dt.timedelta(days=rng.choice((1, 3, 7, 15, 30)))
        if status in ("assigned", "rectifying"):
            # Open with a running deadline: some overdue, the rest due in the coming weeks.
            deadline = (NOW - dt.timedelta(seconds=rng.randrange(1, 60 * 86400)) if rng.random() < OVERDUE_SHARE
                        else NOW + dt.timedelta(seconds=rng.randrange(1, 30 * 86400)))
        if status == "closed":
            closed = found + dt.timedelta(seconds=rng.randrange(86400, 40 * 86400))
            reported = closed + dt.timedelta(days=7) if rng.random() < 0.7 else None
        level = "major" if rng.random() < 0.02 else "general"
        yield (f"YH{i + 1:010d}", rng.choice(site_ids), rng.choice(SOURCES), False, "基准隐患：疏散通道堵塞",
               level, rng.choice(DOMAINS), status, found, deadline, False, department, 0, 0, 0, False, "[]",
               closed, reported, False, 1, found, closed or found)


def copy_hazards(url: str, site_ids: list[int], n: int, department: int, rng: random.Random) -> None:
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(
            "COPY hazards (number, site_id, source, covert, description, level, domain, status, found_at, "
            "deadline_at, deadline_estimated, department_id, rejection_count, repeat_count, recurrence_count, "
            "supervised, photo_ids, closed_at, reported_at, exposed_publicly, version, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            for row in hazard_rows(site_ids, n, department, rng):
                copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def generate(app: Any, url: str, *, sites: int, hazards: int) -> dict[str, Any]:
    """Regions, sites and hazards; prints the time each took."""
    rng = random.Random(SEED)
    t0 = time.perf_counter()
    tree = build_regions(app)
    t1 = time.perf_counter()
    site_ids = copy_sites(url, tree["grids"], sites, rng)
    t2 = time.perf_counter()
    copy_hazards(url, site_ids, hazards, tree["department"], rng)
    t3 = time.perf_counter()
    print(f"generated {len(tree['grids'])} grids in {t1 - t0:.1f} s, {sites:,} sites in {t2 - t1:.1f} s, "
          f"{hazards:,} hazards (COPY + VACUUM ANALYZE) in {t3 - t2:.1f} s")
    return tree


def make_user(app: Any, role: str, region_id: int | None) -> str:
    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.extensions import db
    from hazardloop.taxonomy import Role

    with app.app_context():
        mobile = f"138{random.randrange(10**8):08d}"
        create_user(mobile=mobile, display_name=f"基准{role}", password=PASSWORD,
                    grants=[GrantSpec(Role(role), region_id, None, None)])
        db.session.commit()
    return mobile


def logged_in(app: Any, mobile: str) -> Any:
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"mobile": mobile, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return client


def timed(client: Any, path: str, n: int) -> list[float]:
    client.get(path)  # warm-up
    out = []
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.get_json()
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


@contextmanager
def captured_sql(app: Any) -> Iterator[list[tuple[str, Any]]]:
    from sqlalchemy import event

    from hazardloop.extensions import db

    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sql_timed(app: Any, statement: str, parameters: Any, n: int) -> list[float]:
    """The database's share: the statement alone, fetched in full, ``n`` times."""
    from hazardloop.extensions import db

    out = []
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql(statement, parameters).all()
        for _ in range(n):
            t = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).all()
            out.append((time.perf_counter() - t) * 1000)
    return out


def explain(app: Any, statement: str, parameters: Any) -> str:
    from hazardloop.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
    return "\n".join(r[0] for r in rows)


def measure(app: Any, tree: dict[str, Any], requests: int) -> list[float]:
    street = tree["streets"][0]
    community = next(c for s, c in tree["communities"] if s == street)
    supervisor = logged_in(app, make_user(app, "supervisor", street))
    base = f"/api/v1/hazards?region={community}&status=assigned,rectifying&overdue=true&sort=deadline_at&limit=50"
    first = supervisor.get(base).get_json()
    total = first["counts"]["assigned"] + first["counts"]["rectifying"]
    cursor, pages = first["next_cursor"], 1
    while cursor and pages < 8:
        body = supervisor.get(f"{base}&cursor={cursor}").get_json()
        pages += 1
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    deep = f"{base}&cursor={cursor}" if cursor else base
    print(f"\nsupervisor of 第1街道; list of community {community}: {total:,} overdue hazards match, "
          f"deep page = page {pages + 1} by cursor")
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(20):
            supervisor.get(base)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    figures = []
    for label, path in (("first page", base), (f"page {pages + 1} (cursor)", deep)):
        ms = timed(supervisor, path, requests)
        figures.append(p95(ms))
        print(f"  {label:<20} {requests} requests: median {statistics.median(ms):6.1f} ms   "
              f"p95 {p95(ms):6.1f} ms   max {max(ms):6.1f} ms")
    street_path = base.replace(f"region={community}", f"region={street}")
    ms = timed(supervisor, street_path, requests)
    figures.append(p95(ms))
    print(f"  {'whole street':<20} {requests} requests: median {statistics.median(ms):6.1f} ms   "
          f"p95 {p95(ms):6.1f} ms   max {max(ms):6.1f} ms")

    with captured_sql(app) as statements:
        supervisor.get(deep)
    page_query = next((s, p) for s, p in statements if "FROM hazards" in s and "LIMIT" in s)
    with captured_sql(app) as statements:
        supervisor.get(base)  # counts by status come with the first page only
    count_query = next((s, p) for s, p in statements if "FROM hazards" in s and "GROUP BY" in s)
    for label, (statement, parameters) in (("page query (deep page)", page_query),
                                           ("counts by status", count_query)):
        ms = sql_timed(app, statement, parameters, requests)
        print(f"  SQL only, {label:<24} {requests}×: median {statistics.median(ms):6.2f} ms   "
              f"p95 {p95(ms):6.2f} ms")
    print("\nEXPLAIN ANALYZE — page query (deep page):\n" + explain(app, *page_query))
    print("\nEXPLAIN ANALYZE — counts by status:\n" + explain(app, *count_query))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()
    print(machine())
    with throwaway_database(args.pg_server, args.keep) as url:
        app = make_app(url)
        with app.app_context():
            from hazardloop.extensions import db

            version = db.session.execute(db.text("SHOW server_version")).scalar()
        print(f"PostgreSQL {version}")
        tree = generate(app, url, sites=args.sites, hazards=args.hazards)
        figures = measure(app, tree, args.requests)
        worst = max(figures)
        print(f"\nworst p95 {worst:.1f} ms — goal < 50 ms: {'met' if worst < 50 else 'NOT met'}")
        with app.app_context():
            from hazardloop.extensions import db

            db.engine.dispose()
    sys.exit(0)


if __name__ == "__main__":
    main()
