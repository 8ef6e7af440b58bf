"""Figure: the deadline sweep over 1,000,000 open hazards, cold and warm, on PostgreSQL (goal: cold < 2 s).

Builds a database with the app's migrations, a district of 10 streets × 4 communities × 5 grids with
one site per grid and the people the ladder tells, then 1,000,000 assigned or rectifying hazards by
``INSERT … SELECT generate_series``. Two cases:

* ``overdue`` (the issue's case): 5,000 whose deadline passed an hour ago (100 of them 重大, which also
  reach the top rung), the rest due in 30–330 days;
* ``midnight``: the first tick after local midnight, when a whole day's work falls due at once (deadlines
  end at 23:59:59 local, so every rung and reminder of the day is due in the same sweep): the 5,000
  newly overdue, plus 5,000 three working days overdue (street rung recorded earlier, the district rung
  due), 5,000 due today (整改期限当日提醒) and 5,000 due the next working day (前一个工作日提醒).

The seeded database is a template (``--template NAME`` keeps it for the next run, which then skips the
~3 minutes of seeding); every timed run works on a fresh copy of it in a process of its own:

* **cold**: a new Python process, new connections, nothing run before: one sweep as the job runs it
  (``sweep_deadlines`` + commit, whose hand-over puts one RQ job per delivery into Redis), with the
  time to the flush, the commit and the hand-over, and the process's CPU time; then a second sweep
  (nothing left to do) and ``verify_chains`` (the audit log must verify);
* **warm**: the same process sweeps once (rolled back) to warm up, then times ``--warm`` sweeps (each
  rolled back) and one committed.

Jobs go to a private redis-server (own port, stopped by its pid), never the machine's shared Redis.
Every figure line carries the load average.

Run:  .venv/bin/python benchmarks/escalation_sweep.py [--case overdue|midnight] [--runs 3] [--warm 3]
          [--hazards 1000000] [--overdue 5000] [--template NAME] [--profile FILE] [--pg-server URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import psycopg

DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process of this machine has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} (1/5 min)"


def build(hazards: int, overdue: int, case: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from flask import current_app
    from sqlalchemy import text

    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.database import utcnow
    from hazardloop.escalation.services import overdue_before
    from hazardloop.extensions import db
    from hazardloop.hazards.deadlines import add_working_days
    from hazardloop.regions.services import create_department, create_region
    from hazardloop.sites.services import create_site
    from hazardloop.taxonomy import Role

    district = create_region(name="基准区", level="district", code="330199")
    fire = create_department(region=district, code="fire", name="消防救援大队", domains=["fire"])
    users = [GrantSpec(Role.SUPERVISOR, district.id, None, None)]
    sites = []
    n = 0
    for s in range(10):
        street = create_region(name=f"街道{s}", level="street", parent=district)
        users.append(GrantSpec(Role.SUPERVISOR, street.id, None, None))
        for c in range(4):
            community = create_region(name=f"社区{s}-{c}", level="community", parent=street)
            for g in range(5):
                grid = create_region(name=f"网格{s}-{c}-{g}", level="grid", parent=community)
                users.append(GrantSpec(Role.GRID_WORKER, grid.id, None, None))
                n += 1
                sites.append(create_site({"name": f"场所{n}", "address": f"基准路{n}号", "grid_id": grid.id,
                                          "category": "small_restaurant", "domains": ["fire"]}, actor=None))
    users.append(GrantSpec(Role.INSPECTOR, district.id, fire.id, None))
    db.session.flush()
    for i, spec in enumerate(users):
        create_user(mobile=f"138{i:08d}", display_name=f"用户{i}", password="Bench@2026", grants=[spec])
    db.session.commit()
    now = utcnow()
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    today = now.astimezone(zone).date()

    def end_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone).astimezone(dt.UTC)

    # Hazards 1..overdue: newly overdue; with ``midnight`` the next three blocks of ``overdue`` each:
    # three working days overdue, due today, due the next working day; the rest due in 30–330 days.
    blocks = 4 if case == "midnight" else 1
    started = time.perf_counter()
    # The console's per-row status-count trigger would make this one statement take tens of minutes;
    # it is switched off for the seed and its table filled once afterwards, as its migration does.
    counted = bool(db.session.scalar(text("SELECT 1 FROM pg_trigger WHERE tgname = 'hazards_status_counts'")))
    if counted:
        db.session.execute(text("ALTER TABLE hazards DISABLE TRIGGER hazards_status_counts"))
    db.session.execute(text("""
        INSERT INTO hazards (number, site_id, source, covert, description, level, domain, status, found_at,
                             deadline_at, deadline_estimated, department_id, rejection_count, repeat_count,
                             recurrence_count, supervised, photo_ids, exposed_publicly, version, created_at,
                             updated_at)
        SELECT 'B' || lpad(g::text, 10, '0'), (:site_ids)[1 + g % :n_sites], 'grid_patrol', false, '疏散通道堵塞',
               CASE WHEN g <= :overdue AND g % 50 = 0 THEN 'major' ELSE 'general' END, 'fire',
               CASE WHEN g % 2 = 0 THEN 'assigned' ELSE 'rectifying' END, :now - interval '20 days',
               CASE WHEN g <= :overdue THEN :now - interval '1 hour'
                    WHEN g <= :overdue * :blocks AND g <= 2 * :overdue THEN :district_due
                    WHEN g <= :overdue * :blocks AND g <= 3 * :overdue THEN :due_today
                    WHEN g <= :overdue * :blocks THEN :due_next
                    ELSE :now + (30 + g % 300) * interval '1 day' END,
               false, :dept, 0, 0, 0, false, '[]', false, 1, :now, :now
        FROM generate_series(1, :hazards) AS g"""),
        {"site_ids": [s.id for s in sites], "n_sites": len(sites), "overdue": overdue, "now": now,
         "hazards": hazards, "dept": fire.id, "blocks": blocks,
         "district_due": overdue_before(now, 3, zone) - dt.timedelta(hours=1), "due_today": end_of(today),
         "due_next": end_of(add_working_days(today, 1)[0])})
    if case == "midnight":  # their street rung fired three working days ago
        db.session.execute(text("""
            INSERT INTO escalations (hazard_id, rung, deadline_at, overdue_working_days, recipients, fired_at)
            SELECT id, 'street', deadline_at, 0, '[]', deadline_at + interval '5 minutes' FROM hazards
            WHERE number > 'B' || lpad(CAST(:overdue AS text), 10, '0')
              AND number <= 'B' || lpad(CAST(2 * :overdue AS text), 10, '0')"""), {"overdue": overdue})
    if counted:
        db.session.execute(text("ALTER TABLE hazards ENABLE TRIGGER hazards_status_counts"))
        db.session.execute(text("DELETE FROM hazard_status_counts"))
        db.session.execute(text(
            "INSERT INTO hazard_status_counts (site_id, department_key, status, n) "
            "SELECT site_id, COALESCE(department_id, 0), status, count(*) FROM hazards "
            "GROUP BY site_id, COALESCE(department_id, 0), status"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"now": now.isoformat(), "insert_s": time.perf_counter() - started, "sites": len(sites),
            "users": len(users)}


def explain(now: dt.datetime) -> str:
    from zoneinfo import ZoneInfo

    from flask import current_app
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from hazardloop.escalation.ladder import load_ladder
    from hazardloop.escalation.services import candidates_query
    from hazardloop.extensions import db

    query = candidates_query(now, load_ladder(), ZoneInfo(current_app.config["TIMEZONE"]))
    compiled = query.compile(dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True})
    db.session.execute(text("SET LOCAL jit = off"))  # as the sweep does
    connection = db.session.connection()
    rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params).all()
    db.session.rollback()
    return "\n".join(r[0] for r in rows)


def one_run(mode: str, now: dt.datetime, warm: int, profile: str | None) -> dict[str, Any]:
    """In a process of its own on its own copy of the database: the sweep(s), timed."""
    started_process = time.perf_counter()
    from sqlalchemy import event

    from hazardloop import create_app
    from hazardloop.escalation.services import sweep_deadlines
    from hazardloop.extensions import db
    from hazardloop.hazards.events import verify_chains

    app = create_app({"SCHEMA_CHECK": False})
    out: dict[str, Any] = {"mode": mode, "imports_s": time.perf_counter() - started_process}
    with app.app_context():
        try:  # as the worker runs every job (older checkouts planned every statement so engine-wide)
            from hazardloop.database import plan_with_values
        except ImportError:
            pass
        else:
            plan_with_values()
        if mode == "cold":
            marks: list[float] = []
            event.listen(db.session(), "after_commit", lambda _: marks.append(time.perf_counter()))
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            cpu, started = time.process_time(), time.perf_counter()
            result = sweep_deadlines(now)  # as the job runs it: sweep, commit (then the hand-over to Redis)
            flushed, sweep_cpu = time.perf_counter(), time.process_time() - cpu
            # The sweep's connection is this backend since the sweep began (read after it, not to warm anything).
            backend = db.session.execute(db.text("SELECT pg_backend_pid()")).scalar_one()
            server_cpu = cpu_of(backend)
            db.session.commit()
            ended = time.perf_counter()
            server_cpu = max(server_cpu, cpu_of(backend))  # with the commit
            hand_over_cpu = time.process_time() - cpu - sweep_cpu
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            out.update(total_s=ended - started, sweep_s=flushed - started, commit_s=marks[0] - flushed,
                       hand_over_s=ended - marks[0], cpu_s=time.process_time() - cpu, server_cpu_s=server_cpu,
                       sweep_cpu_s=sweep_cpu, hand_over_cpu_s=hand_over_cpu,
                       result=result.as_dict(),
                       load=load())
            started = time.perf_counter()
            again = sweep_deadlines(now)
            db.session.commit()
            out.update(again_s=time.perf_counter() - started, again=again.as_dict())
            checked, broken = verify_chains()
            out.update(verified=checked, broken=str(broken) if broken else None)
            db.session.rollback()
            out["explain"] = explain(now)
        else:
            sweep_deadlines(now)
            db.session.rollback()
            times = []
            for _ in range(warm):
                started = time.perf_counter()
                sweep_deadlines(now)
                times.append(time.perf_counter() - started)
                db.session.rollback()
            started = time.perf_counter()
            result = sweep_deadlines(now)
            db.session.commit()
            out.update(rolled_back_s=times, committed_s=time.perf_counter() - started, result=result.as_dict(),
                       load=load())
        db.session.remove()
        db.engine.dispose()
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.2f} s" if values else "—"
    return (f"median {statistics.median(values):.2f} s, min {min(values):.2f}, max {max(values):.2f} "
            f"(n={len(values)}: {', '.join(f'{v:.2f}' for v in values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("overdue", "midnight"), default="overdue")
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=5_000, help="newly overdue (and per block of midnight)")
    parser.add_argument("--runs", type=int, default=3, help="cold runs, each a new process on a fresh copy")
    parser.add_argument("--warm", type=int, default=3, help="warm sweeps timed (rolled back) in one more process")
    parser.add_argument("--template", help="keep the seeded database under this name and reuse it next time")
    parser.add_argument("--profile", help="write the first cold run's cProfile stats to this file")
    parser.add_argument("--reference", help="a checkout of other code (e.g. `git archive` of a commit): its cold "
                                            "runs alternate with ours on the same data, as the reference")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: JSON of one run (mode,now,warm,profile)
    args = parser.parse_args()

    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(one_run(spec["mode"], dt.datetime.fromisoformat(spec["now"]), spec["warm"],
                                 spec.get("profile"))))
        return

    base = args.pg_server.rsplit("/", 1)[0]
    seed_key = f"{args.case}:{args.hazards}:{args.overdue}"
    template = args.template or f"hazardloop_bench_{uuid.uuid4().hex[:8]}"
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    env = {**os.environ, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    copies: list[str] = []
    try:
        with psycopg.connect(args.pg_server, autocommit=True) as conn:
            row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                               [template]).fetchone()
        seeded = json.loads(row[0]) if row and row[0] and row[0].startswith("{") else None
        if seeded is None or seeded.get("key") != seed_key:
            with psycopg.connect(args.pg_server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{template}"')
            os.environ.update(env, DATABASE_URL=f"{base}/{template}")
            from flask_migrate import upgrade

            from hazardloop import create_app
            from hazardloop.extensions import db

            app = create_app({"SCHEMA_CHECK": False, "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1})
            with app.app_context():
                upgrade()
                seeded = {"key": seed_key, **build(args.hazards, args.overdue, args.case)}
                db.session.remove()
                db.engine.dispose()
            with psycopg.connect(args.pg_server, autocommit=True) as conn:
                conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{json.dumps(seeded)}'")
            print(f"seeded {args.hazards:,} open hazards in {seeded['insert_s']:.1f} s")
        with psycopg.connect(args.pg_server, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {sys.version.split()[0]}, PostgreSQL {version}")
        what = (f"{args.overdue:,} newly overdue" if args.case == "overdue" else
                f"{args.overdue:,} newly overdue + {args.overdue:,} reaching the district rung + "
                f"{args.overdue:,} due today + {args.overdue:,} due the next working day")
        print(f"case {args.case}: {args.hazards:,} open hazards, {what}, at {seeded['now']}; "
              f"{seeded['sites']} sites, {seeded['users']} people told")

        def run(mode: str, profile: str | None = None, code: str | None = None) -> dict[str, Any]:
            copy = f"{template}_c{len(copies)}"
            copies.append(copy)
            with psycopg.connect(args.pg_server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}" STRATEGY FILE_COPY')
            spec = json.dumps({"mode": mode, "now": seeded["now"], "warm": args.warm, "profile": profile})
            redis_cpu = cpu_of(server.pid)
            paths = {"PYTHONPATH": os.path.join(code, "backend")} if code else {}
            done = subprocess.run([sys.executable, __file__, "--one", spec], capture_output=True, text=True,
                                  env={**env, **paths, "DATABASE_URL": f"{base}/{copy}"})
            redis_cpu = cpu_of(server.pid) - redis_cpu
            with psycopg.connect(args.pg_server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
            import redis

            redis.Redis.from_url(redis_url).flushdb()  # the private server: the run's queued jobs
            if done.returncode:
                raise SystemExit(f"run failed:\n{done.stderr[-4000:]}")
            return {**json.loads(done.stdout.strip().splitlines()[-1]), "redis_cpu_s": redis_cpu}

        colds, references = [], []
        for i in range(args.runs):
            if args.reference:
                ref = run("cold", code=args.reference)
                references.append(ref)
                print(f"\nreference cold run {i + 1} ({args.reference}): {ref['total_s']:.2f} s = sweep to flush "
                      f"{ref['sweep_s']:.2f} + commit {ref['commit_s']:.2f} + hand-over {ref['hand_over_s']:.2f}; "
                      f"CPU: process {ref['cpu_s']:.2f} s (to the commit {ref['sweep_cpu_s']:.2f}) + backend "
                      f"{ref['server_cpu_s']:.2f} + Redis {ref['redis_cpu_s']:.2f}; {ref['result']}; {ref['load']}")
            r = run("cold", args.profile if i == 0 else None)
            colds.append(r)
            r["work_s"] = r["cpu_s"] + r["server_cpu_s"] + r["redis_cpu_s"]
            r["sweep_work_s"] = r["sweep_cpu_s"] + r["server_cpu_s"]
            print(f"\ncold run {i + 1}: {r['total_s']:.2f} s = sweep to flush {r['sweep_s']:.2f} + commit "
                  f"{r['commit_s']:.2f} + hand-over to Redis {r['hand_over_s']:.2f}; {r['result']}; {r['load']}")
            print(f"  CPU: this process {r['cpu_s']:.2f} s + its PostgreSQL backend {r['server_cpu_s']:.2f} s "
                  f"(from connecting to the commit) + Redis {r['redis_cpu_s']:.2f} s = {r['work_s']:.2f} s of work; "
                  f"of which to the commit: process {r['sweep_cpu_s']:.2f} s + backend = {r['sweep_work_s']:.2f} s, "
                  f"hand-over: process {r['hand_over_cpu_s']:.2f} s + Redis")
            print(f"  then a sweep with nothing to do: {r['again_s']:.2f} s {r['again']}; audit log: "
                  f"{r['verified']:,} events verified, {'broken: ' + r['broken'] if r['broken'] else 'intact'}")
            if r["broken"] or r["again"]["escalations"] or r["again"]["reminders"]:
                raise SystemExit("the sweep broke the audit log or fired twice")
        if args.warm:
            w = run("warm")
            print(f"\nwarm (same process, after one sweep): rolled back {spread(w['rolled_back_s'])}; "
                  f"committed {w['committed_s']:.2f} s; {w['load']}")
        if not colds:
            return
        print("\nEXPLAIN (ANALYZE, BUFFERS) of the candidate scan, after the first cold sweep:\n" + colds[0]["explain"])
        totals = [r["total_s"] for r in colds]
        print(f"\nSUMMARY case {args.case}: cold (sweep + commit + hand-over) {spread(totals)}; "
              f"goal < 2 s: {'met' if max(totals) < 2 else 'NOT met'} on "
              f"{sum(t < 2 for t in totals)}/{len(totals)} runs; sweep to flush "
              f"{spread([r['sweep_s'] for r in colds])}; CPU work (process + backend + Redis) "
              f"{spread([r['work_s'] for r in colds])}, to the commit {spread([r['sweep_work_s'] for r in colds])}; "
              f"{load()} now")
        if references:
            print(f"SUMMARY reference {args.reference}: cold {spread([r['total_s'] for r in references])}; sweep to "
                  f"flush {spread([r['sweep_s'] for r in references])}; CPU to the commit (process + backend) "
                  f"{spread([r['sweep_cpu_s'] + r['server_cpu_s'] for r in references])}; ratio of medians "
                  f"(reference / ours): cold "
                  f"{statistics.median([r['total_s'] for r in references]) / statistics.median(totals):.1f}×, "
                  f"sweep to flush {median_of(references, 'sweep_s') / median_of(colds, 'sweep_s'):.1f}×")
    finally:
        with psycopg.connect(args.pg_server, autocommit=True) as conn:
            for copy in copies:
                conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
            if not args.template:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
