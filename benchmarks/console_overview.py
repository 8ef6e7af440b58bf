"""Figure: latency of the supervisor console's overview for a whole district over 1,000,000 hazards (PostgreSQL).

Builds the closed-loop benchmark's data set (benchmarks/hazard_list.py: 30 streets, 300 grids, 10,000
sites, 1,000,000 hazards over three years, most closed), adds 400 days of daily metrics snapshots per
grid (what the nightly job would have written) and grid boundaries, then asks
``GET /api/v1/console/overview`` as a district supervisor (区安委办) — current counts by status,
overdue, due this week, 重大/挂牌督办, this month's rates by street/department/domain, 12 weeks and
12 months of trend from the snapshots, and this month's patrol coverage.

Prints the median and p95 of the request (200 by default), each SQL statement's share, and EXPLAIN
ANALYZE of the slowest statements. The goal is p95 < 300 ms; the machine has 2 cores,
shared with whatever else runs on it.

Run:  .venv/bin/python benchmarks/console_overview.py [--hazards 1000000] [--sites 10000] [--requests 200]
      [--pg-server postgresql://postgres@127.0.0.1:5432/] [--keep] [--database URL (reuse a kept one)]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from hazard_list import (
    DEFAULT_PG_SERVER,
    captured_sql,
    explain,
    generate,
    logged_in,
    machine,
    make_app,
    make_user,
    p95,
    throwaway_database,
    timed,
)

SNAPSHOT_DAYS = 400


def add_snapshots(url: str, days: int = SNAPSHOT_DAYS) -> int:
    """Daily snapshot rows per grid and department for the last ``days`` days, growing like the data set."""
    with psycopg.connect(url) as conn:
        grids = conn.execute(
            "SELECT s.grid_id, h.department_id, count(*), count(*) FILTER (WHERE h.status = 'closed'), "
            "count(*) FILTER (WHERE h.status IN ('assigned','rectifying') AND h.deadline_at < now()) "
            "FROM hazards h JOIN sites s ON s.id = h.site_id GROUP BY s.grid_id, h.department_id").fetchall()
        today = dt.date.today()
        rng = random.Random(7)
        rows = 0
        with conn.cursor().copy("COPY metrics_snapshots (day, region_id, department_id, counts, open_count, "
                                "created_at) FROM STDIN") as copy:
            for back in range(days, -1, -1):
                day = today - dt.timedelta(days=back)
                share = 1 - back / (3 * 365)  # the data set spans three years up to today
                for grid, department, total, closed, overdue in grids:
                    t, c = int(total * share), int(closed * share)
                    counts = {"status.closed": c, "status.rectifying": t - c, "open": t - c,
                              "overdue": int(overdue * rng.uniform(0.8, 1.2)), "level.general": t}
                    copy.write_row((day, grid, department, json.dumps(counts), t - c,
                                    dt.datetime.now(dt.UTC)))
                    rows += 1
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE metrics_snapshots")
    return rows


def add_boundaries(url: str) -> None:
    with psycopg.connect(url) as conn:
        grids = [r[0] for r in conn.execute("SELECT id FROM regions WHERE level = 'grid' ORDER BY id")]
        for i, grid in enumerate(grids):
            lng, lat = 120.1 + (i % 20) * 0.005, 30.3 + (i // 20) * 0.005
            ring = [[lng, lat], [lng + 0.005, lat], [lng + 0.005, lat + 0.005], [lng, lat + 0.005], [lng, lat]]
            conn.execute("UPDATE regions SET boundary = %s WHERE id = %s",
                         (json.dumps({"type": "Polygon", "coordinates": [ring]}), grid))
        conn.commit()


@contextmanager
def data_set(args: argparse.Namespace) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The app on the benchmark database: a kept one (``--database``) or a new one built now."""
    if args.database:
        app = make_app(args.database)
        with psycopg.connect(args.database) as conn:
            district = conn.execute("SELECT id FROM regions WHERE level = 'district' ORDER BY id LIMIT 1").fetchone()
            streets = [r[0] for r in conn.execute("SELECT id FROM regions WHERE level = 'street' ORDER BY id")]
        yield app, {"district": district[0], "streets": streets}
        return
    with throwaway_database(args.pg_server, args.keep) as url:
        app = make_app(url)
        tree = generate(app, url, sites=args.sites, hazards=args.hazards)
        t = time.perf_counter()
        rows = add_snapshots(url)
        add_boundaries(url)
        print(f"added {rows:,} snapshot rows and grid boundaries in {time.perf_counter() - t:.1f} s")
        yield app, tree


def custom_plan_timed(app: Any, statement: str, parameters: Any, n: int) -> list[float]:
    """The statement alone, ``n`` times, planned for its values as the console's requests plan it."""
    from hazardloop.extensions import db

    out = []
    with app.app_context(), db.engine.connect() as conn:
        conn.exec_driver_sql("SET plan_cache_mode = force_custom_plan")
        conn.exec_driver_sql(statement, parameters).all()
        for _ in range(n):
            t = time.perf_counter()
            conn.exec_driver_sql(statement, parameters).all()
            out.append((time.perf_counter() - t) * 1000)
    return out


def report_statements(app: Any, client: Any, path: str, requests: int) -> None:
    """Each statement of one request: its own median/p95 and, for the slowest three, the plan."""
    with captured_sql(app) as statements:
        client.get(path)
    timings = []
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        ms = custom_plan_timed(app, statement, parameters, max(20, requests // 5))
        timings.append((statistics.median(ms), p95(ms), statement, parameters))
    print(f"\n{len(statements)} statements per request; SELECTs by median time:")
    for median, high, statement, _ in sorted(timings, key=lambda t: -t[0]):
        print(f"  median {median:7.2f} ms  p95 {high:7.2f} ms   {' '.join(statement.split())[:110]}")
    for median, _, statement, parameters in sorted(timings, key=lambda t: -t[0])[:3]:
        print(f"\nEXPLAIN ANALYZE ({median:.1f} ms): {' '.join(statement.split())[:300]}\n"
              + explain(app, statement, parameters))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--database", help="reuse a database kept by an earlier --keep run")
    args = parser.parse_args()
    print(machine() + " (the issue's figures are for 2 cores)")
    with data_set(args) as (app, tree):
        with app.app_context():
            from hazardloop.extensions import db

            print(f"PostgreSQL {db.session.execute(db.text('SHOW server_version')).scalar()}")
        office = logged_in(app, make_user(app, "supervisor", tree["district"]))
        path = "/api/v1/console/overview"
        body = office.get(path).get_json()
        print(f"\ndistrict supervisor, whole district: {sum(body['by_status'].values()):,} hazards, "
              f"{body['open_total']:,} open, {body['overdue_now']:,} overdue, "
              f"{len(body['rates']['by_street'])} streets, trend weeks with data: "
              f"{sum(w['found'] is not None for w in body['trend']['weeks'])}/12")
        ms = timed(office, path, args.requests)
        print(f"  overview (whole district) {args.requests} requests: median {statistics.median(ms):6.1f} ms   "
              f"p95 {p95(ms):6.1f} ms   max {max(ms):6.1f} ms")
        street = logged_in(app, make_user(app, "supervisor", tree["streets"][0]))
        street_ms = timed(street, path, args.requests)
        print(f"  overview (one street)     {args.requests} requests: median {statistics.median(street_ms):6.1f} ms"
              f"   p95 {p95(street_ms):6.1f} ms   max {max(street_ms):6.1f} ms")
        report_statements(app, office, path, args.requests)
        worst = p95(ms)
        print(f"\nwhole-district overview p95 {worst:.1f} ms — goal < 300 ms: {'met' if worst < 300 else 'NOT met'}")
        with app.app_context():
            from hazardloop.extensions import db

            db.engine.dispose()
    sys.exit(0)


if __name__ == "__main__":
    main()
