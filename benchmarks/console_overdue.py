"""Figure: latency of the supervisor console's overdue tracker, first page, over 1,000,000 hazards (PostgreSQL).

The closed-loop benchmark's data set (benchmarks/hazard_list.py: 300 grids, 10,000 sites, 1,000,000
hazards, about 32,000 of them overdue). Asks ``GET /api/v1/console/overdue`` (most days overdue
first, 50 a page) as a district supervisor for the whole district and as a street supervisor, and the
due-soon window, and every sort (sort=level included), in interleaved rounds so the shared machine's load falls
on every case alike; prints per case the median, p95 and max (200 requests each by default), the app process's
CPU per request (load-independent; the database's share is the "SQL only" figure), each round's p95 with the load
average, and EXPLAIN ANALYZE of the page query and the total. Goal: first page p95 < 100 ms for every window and
sort, on 2 cores.

Run:  .venv/bin/python benchmarks/console_overdue.py [--hazards 1000000] [--requests 200] [--rounds 4] [--keep]
      [--database URL (reuse a database kept by console_overview.py or this script)]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

from console_overview import custom_plan_timed, data_set
from hazard_list import captured_sql, explain, logged_in, machine, make_user, p95


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed_cpu(client: Any, path: str, n: int) -> tuple[list[float], list[float]]:
    """Wall time and this process's CPU time (the app's share; the database's is the "SQL only" figure) per request."""
    wall, cpu = [], []
    for _ in range(n):
        c, t = time.process_time(), time.perf_counter()
        response = client.get(path)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200, response.get_json()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per case, over all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds over the cases")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--database", help="reuse a database kept by an earlier --keep run")
    args = parser.parse_args()
    print(machine() + " (the issue's figures are for 2 cores)")
    with data_set(args) as (app, tree):
        office = logged_in(app, make_user(app, "supervisor", tree["district"]))
        street = logged_in(app, make_user(app, "supervisor", tree["streets"][0]))
        cases = [("district, overdue, first page", office, "/api/v1/console/overdue"),
                 ("street, overdue, first page", street, "/api/v1/console/overdue"),
                 ("district, due soon, first page", office, "/api/v1/console/overdue?window=due_soon"),
                 *((f"district, sort={sort}, first page", office, f"/api/v1/console/overdue?sort={sort}")
                   for sort in ("days_overdue", "deadline_at", "-deadline_at", "level")),
                 ("street, sort=level, first page", street, "/api/v1/console/overdue?sort=level"),
                 ("district, due soon, sort=level", office, "/api/v1/console/overdue?window=due_soon&sort=level")]
        for _, client, path in cases:
            client.get(path)  # warm-up (the first request of each kind pays the statement's compilation)
        # Interleaved rounds: the machine's load (shared, 2 cores) falls on every case alike.
        walls: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        cpus: dict[str, list[float]] = {label: [] for label, _, _ in cases}
        rounds: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in cases}
        totals: dict[str, int] = {}
        per_round = max(args.requests // args.rounds, 20)
        for r in range(args.rounds):
            for label, client, path in cases:
                totals[label] = client.get(path).get_json()["total"]
                wall, cpu = timed_cpu(client, path, per_round)
                walls[label] += wall
                cpus[label] += cpu
                rounds[label].append((p95(wall), os.getloadavg()[0]))
            print(f"round {r + 1}/{args.rounds} done, load average {load()}", flush=True)
        print(f"\n{per_round} requests per case and round, {args.rounds} rounds (p95 of each round with the "
              "1-minute load average after it):")
        figures = {}
        for label, _, _ in cases:
            ms = walls[label]
            figures[label] = p95(ms)
            print(f"  {label:<34} total {totals[label]:>7,}: median {statistics.median(ms):6.1f} ms   "
                  f"p95 {p95(ms):6.1f} ms   max {max(ms):6.1f} ms   CPU (this process) median "
                  f"{statistics.median(cpus[label]):5.1f} ms   rounds p95 "
                  + ", ".join(f"{q:.0f} (load {a:.1f})" for q, a in rounds[label]))
        with captured_sql(app) as statements:
            office.get("/api/v1/console/overdue")
        hazard_queries = [(s, p) for s, p in statements if "FROM hazards" in s]
        page = next((s, p) for s, p in hazard_queries if "LIMIT" in s)
        total = next((s, p) for s, p in hazard_queries if "count(*)" in s)
        for label, (statement, parameters) in (("page query", page), ("total", total)):
            ms = custom_plan_timed(app, statement, parameters, args.requests)
            print(f"  SQL only, {label:<12} {args.requests}×: median {statistics.median(ms):6.2f} ms   "
                  f"p95 {p95(ms):6.2f} ms   load average {load()}")
        print("\nEXPLAIN ANALYZE — page query (district, overdue):\n" + explain(app, *page))
        print("\nEXPLAIN ANALYZE — total:\n" + explain(app, *total))
        with captured_sql(app) as statements:
            office.get("/api/v1/console/overdue?sort=level")
        for statement, parameters in [(s, p) for s, p in statements if "FROM hazards" in s and "LIMIT" in s]:
            print("\nEXPLAIN ANALYZE — page query (district, sort=level):\n" + explain(app, statement, parameters))
        print()
        for label, figure in figures.items():
            best = min(q for q, _ in rounds[label])
            print(f"  {label:<34} p95 {figure:6.1f} ms (best round {best:.0f}) — goal < 100 ms: "
                  f"{'met' if figure < 100 else 'NOT met'}")
        worst_label = max(figures, key=figures.__getitem__)
        worst = figures[worst_label]
        print(f"\nworst first page ({worst_label}) p95 {worst:.1f} ms — goal < 100 ms for every window and sort: "
              f"{'met' if worst < 100 else 'NOT met'}; load average {load()}")
        with app.app_context():
            from hazardloop.extensions import db

            db.engine.dispose()
    sys.exit(0)


if __name__ == "__main__":
    main()
