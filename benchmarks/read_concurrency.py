"""Figure: reads under concurrent load through the real server, beside a plain-SQLAlchemy reference.

Builds a throwaway PostgreSQL database with the app's migrations and hazard_list.py's generator
(200,000 hazards over 2,000 sites by default; 200 of the street's hazards get a timeline: half wait for
their rectification, half reported it with two after-photos and were sent back at 复查),
then in the same run starts

  * the real server: `hazardloop run` (gunicorn with its defaults, or each --configs W×T), and
  * reference_app.py (Flask + SQLAlchemy Core) under gunicorn with the same workers × threads,

and drives each with wrk (Debian's package; installed with apt-get when missing and we are root) at
16 connections for a fixed time per target, rotating over 200 ids:

  detail     GET /api/v1/hazards/{id}  as a logged-in street supervisor (an id in the street,
             found against a checklist item, with a 3- or 5-step timeline)
  list       GET /api/v1/hazards?overdue=true&sort=deadline_at   (the street's overdue list, 50 rows)
  ref-one    GET /ref/hazards/{id}     (one row by primary key)
  ref-list   GET /ref/hazards?after=…  (50 rows by the (status, deadline_at) index)

Targets run interleaved (ref, app, ref, app …) for --rounds rounds, each run printed with the
1-minute load average before it and the CPU per request of the serving processes and of the
database's PostgreSQL backends (from /proc: on a shared machine req/s follow the other work, CPU per
request much less); the summary gives the median req/s, p50, p99 and CPU per request of the rounds and
the ratios detail/ref-one and list/ref-list against the goals (≥ 50 %, detail p99 < 100 ms), then the
same ratios within each round (the app's run beside the reference's just before it), which cancel most of
a shared machine's drift between rounds.
With --profile, py-spy (PyPI) samples every server worker during an extra detail and list run
and prints the functions with the most samples.

Run:  .venv/bin/python benchmarks/read_concurrency.py [--hazards 200000] [--duration 10] [--rounds 3]
      [--connections 16] [--configs default,2x4,3x2] [--profile] [--compare SESSION_CACHE_TTL_S=0]
      [--pg-server postgresql://postgres@127.0.0.1:5432/]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hazard_list import DEFAULT_PG_SERVER, PASSWORD, generate, machine, make_app, make_user, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOAL_RATIO, GOAL_DETAIL_P99_MS = 0.50, 100.0


def ensure_wrk() -> str:
    """Debian's wrk; installed with apt-get when missing and we may (as ./dev installs its tools)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("wrk") or "/usr/bin/wrk"
    sys.exit("wrk is missing: sudo apt-get install wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server exited ({process.returncode}) before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (401/404 is fine)
        except OSError:
            time.sleep(0.3)
    sys.exit(f"no answer from {url} within {timeout:.0f} s")


def add_timelines(url: str, hazard_ids: list[int], actors: list[int]) -> None:
    """Give each hazard the history of a real one (the events the detail's timeline reads).

    Every other hazard waits for its rectification (发现 → 交办 → 签收); the rest reported it with two
    after-photos (整改后照片: photo rows, their links to the hazard and their hashes in the step's event, as
    the workflow records them) and were sent back at 复查, so their page also reads the after-photos' flags.
    """
    waiting = [("found", None, "found"), ("assign", "found", "assigned"), ("acknowledge", "assigned", "rectifying")]
    sent_back = [*waiting, ("submit_rectification", "rectifying", "awaiting_verification"),
                 ("verify_fail", "awaiting_verification", "rectifying")]
    events, photos = [], []
    for n, hazard_id in enumerate(hazard_ids):
        after = [uuid.uuid4().hex + uuid.uuid4().hex for _ in range(2)] if n % 2 else []
        photos += [(photo_id, hazard_id) for photo_id in after]
        for i, (kind, before, to) in enumerate(sent_back if after else waiting):
            hashes = json.dumps(after if kind == "submit_rectification" else [])
            events.append((kind, hazard_id, before, to, actors[i % len(actors)], "grid_worker",
                           f"2026-11-0{i + 1}T08:00:00+00:00", "基准记录", '{"measures": "已整改"}', hashes,
                           uuid.uuid4().hex + uuid.uuid4().hex))
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY photos (id, media_type, byte_size, width, height, orientation, created_at, "
                                "recorded_at, exif_mismatch, derivatives_status) FROM STDIN") as copy:
            for photo_id, _ in photos:
                copy.write_row((photo_id, "jpeg", 350_000, 1600, 1200, 1, "2026-11-04T08:00:00+00:00",
                                "2026-11-04T07:59:00+00:00", False, "ready"))
        with conn.cursor().copy(
                "COPY photo_links (photo_id, subject_type, subject_id, role, created_at) FROM STDIN") as copy:
            for photo_id, hazard_id in photos:
                copy.write_row((photo_id, "hazard", hazard_id, "after", "2026-11-04T08:00:00+00:00"))
        with conn.cursor().copy(
                "COPY audit_events (kind, hazard_id, from_status, to_status, actor_id, actor_role, occurred_at, note, "
                "payload, photo_hashes, hash) FROM STDIN") as copy:
            for row in events:
                copy.write_row(row)


def add_checklist_items(app: Any, url: str, hazard_ids: list[int]) -> str:
    """Found against a 三标 checklist item, as inspections find most hazards: the page shows its item."""
    from hazardloop.checklists.services import current_versions, document, sync_checklists
    from hazardloop.extensions import db

    with app.app_context():
        sync_checklists()
        db.session.commit()
        version = max(current_versions(), key=lambda v: len(document(v).items))
        codes = list(document(version).items)
        version_id, label = version.id, f"{version.checklist_id}@{version.version}"
    with psycopg.connect(url) as conn:
        for i, hazard_id in enumerate(hazard_ids):
            conn.execute("UPDATE hazards SET checklist_version_id = %s, item_code = %s WHERE id = %s",
                         (version_id, codes[i % len(codes)], hazard_id))
    return f"{label} ({len(codes)} items)"


def server_env(url: str, tmp: Path) -> dict[str, str]:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SESSION_COOKIE_SECURE": "false",
            "STORAGE_DIR": str(tmp / "storage"), "FLASK_DEBUG": "0", "PYTHONUNBUFFERED": "1"}


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def login_cookie(base: str, mobile: str) -> str:
    request = urllib.request.Request(f"{base}/api/v1/auth/login", method="POST",
                                     data=f'{{"mobile": "{mobile}", "password": "{PASSWORD}"}}'.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            if header.startswith("hl_session="):
                return header.split(";")[0]
    sys.exit("login gave no session cookie")


def lua_rotating(paths: list[str], cookie: str | None, tmp: Path, name: str) -> Path:
    """A wrk script that sends the paths in turn (with the session cookie)."""
    listed = ",\n".join(f'  "{p}"' for p in paths)
    header = f'wrk.headers["Cookie"] = "{cookie}"\n' if cookie else ""
    script = tmp / f"{name}.lua"
    script.write_text(f"{header}local paths = {{\n{listed}\n}}\nlocal i = 0\n"
                      "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n")
    return script


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(wrk: str, base: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run([wrk, "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s",
                          str(script), base], capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE):
        result[f"p{pct}"] = float(value) * _UNITS[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result["non2xx"] = float(bad.group(1)) if bad else 0.0
    if errors:
        print(f"    wrk socket errors: {errors.group(1)}")
    return result


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each live process (from /proc)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def process_tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *(p for c in children for p in process_tree(int(c)))]


def backends_of(database: str) -> list[int]:
    """The PostgreSQL server processes serving ``database`` (their titles name it), when on this machine."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_text()
            except OSError:
                continue
            if title.startswith("postgres") and f" {database} " in title:
                pids.append(int(entry.name))
    return pids


def profile(pids: list[int], seconds: int, tmp: Path, name: str) -> None:
    """py-spy samples of every server worker while wrk runs (one py-spy each, at once; the load is spread
    over the workers, so sampling one shows only its share). Only the thread holding the GIL is sampled
    (--gil): a thread waiting for PostgreSQL or for the GIL costs no CPU, and without --gil py-spy counts
    those waits as work. Prints the frames seen most (own + children) and the functions with most own time."""
    spy = BIN / "py-spy"
    if not spy.exists():
        print("    (py-spy missing: .venv/bin/pip install py-spy)")
        return
    raws = [tmp / f"{name}-{pid}.txt" for pid in pids]
    spies = [subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration", str(seconds), "--format",
                               "raw", "--rate", "200", "--nonblocking", "--gil", "-o", str(raw)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid, raw in zip(pids, raws, strict=True)]
    for spy_run in spies:
        spy_run.wait()
    lines = [line for raw in raws if raw.exists() for line in raw.read_text().splitlines()]
    if not lines:
        print("    (py-spy recorded nothing)")
        return
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        seen = set()
        frames = stack.split(";")
        for depth, frame in enumerate(frames):
            m = re.match(r"(\S+) \((\S+?):\d+\)", frame)
            key = f"{m.group(1)} ({Path(m.group(2)).name})" if m else frame
            if depth == len(frames) - 1:
                own[key] += n
            if key not in seen and ("hazardloop" in frame or "sqlalchemy" in frame or "marshmallow" in frame
                                    or "flask" in frame or "psycopg" in frame or "werkzeug" in frame):
                seen.add(key)
                inclusive[key] += n
    print(f"    py-spy {name}: {total} samples; inclusive share of the top frames:")
    for key, n in inclusive.most_common(25):
        print(f"      {100 * n / max(total, 1):5.1f} %  {key}")
    print(f"    py-spy {name}: own time (the sampled frame itself):")
    for key, n in own.most_common(15):
        print(f"      {100 * n / max(total, 1):5.1f} %  {key}")


def measure(args: argparse.Namespace, wrk: str, url: str, tmp: Path, config: tuple[int, int] | None,
            mobile: str, ids: dict[str, list[Any]]) -> dict[str, dict[str, float]]:
    """Both apps under one gunicorn setting (None: `hazardloop run`'s own default); the rounds' medians."""
    env = server_env(url, tmp)
    database = url.rsplit("/", 1)[1]
    app_port, ref_port = free_port(), free_port()
    sizing = ["--workers", str(config[0]), "--threads", str(config[1])] if config else []
    server = start([str(BIN / "hazardloop"), "run", "--port", str(app_port), *sizing], env, tmp / "server.log")
    # --compare KEY=VALUE: the same server with one setting changed, measured in the same rounds.
    variant_port = free_port()
    variant = start([str(BIN / "hazardloop"), "run", "--port", str(variant_port), *sizing],
                    {**env, **dict([args.compare.split("=", 1)])}, tmp / "variant.log") if args.compare else None
    workers, threads = config or default_sizing()
    print(f"\n== gunicorn (both apps): {workers} workers × {threads} threads (gthread)"
          f"{' — hazardloop run default' if config is None else ''}; wrk -t2 -c{args.connections} "
          f"-d{args.duration}s, {args.rounds} rounds")
    reference = start([str(BIN / "gunicorn"), "-b", f"127.0.0.1:{ref_port}", "-w", str(workers),
                       "--threads", str(threads), "-k", "gthread", "--chdir", str(ROOT / "benchmarks"),
                       "reference_app:app"],
                      {**env, "REFERENCE_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://")},
                      tmp / "reference.log")
    try:
        app_base, ref_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{ref_port}"
        wait_until_up(f"{app_base}/api/v1/auth/session", server)
        if variant is not None:
            wait_until_up(f"http://127.0.0.1:{variant_port}/api/v1/auth/session", variant)
        wait_until_up(f"{ref_base}/ref/hazards/1", reference)
        cookie = login_cookie(app_base, mobile)
        scripts = {
            "ref-one": (ref_base, lua_rotating([f"/ref/hazards/{i}" for i in ids["all"]], None, tmp, "ref-one")),
            "detail": (app_base, lua_rotating([f"/api/v1/hazards/{i}" for i in ids["detail"]], cookie, tmp,
                                              "detail")),
            "ref-list": (ref_base, lua_rotating([f"/ref/hazards?after={d.replace('+', '%2B')}"
                                                 for d in ids["deadlines"]], None, tmp, "ref-list")),
            "list": (app_base, lua_rotating(["/api/v1/hazards?overdue=true&sort=deadline_at&limit=50"],
                                            cookie, tmp, "list")),
        }
        if variant is not None:  # its own login: a session the variant's process resolves itself
            variant_base = f"http://127.0.0.1:{variant_port}"
            variant_cookie = login_cookie(variant_base, mobile)
            scripts["detail*"] = (variant_base, lua_rotating([f"/api/v1/hazards/{i}" for i in ids["detail"]],
                                                             variant_cookie, tmp, "detail-variant"))
            scripts["list*"] = (variant_base, lua_rotating(["/api/v1/hazards?overdue=true&sort=deadline_at&limit=50"],
                                                           variant_cookie, tmp, "list-variant"))
        for base, script in scripts.values():  # warm both apps (imports, pools, caches)
            run_wrk(wrk, base, script, 2, 4)
        results: dict[str, list[dict[str, float]]] = {name: [] for name in scripts}
        for r in range(args.rounds):
            for name, (base, script) in scripts.items():
                load = os.getloadavg()[0]
                # CPU per request of the server's processes and of the database's backends: on a shared
                # machine req/s follow the other work too, CPU per request much less.
                serving = process_tree((server if name in ("detail", "list") else variant if name.endswith("*")
                                        else reference).pid)  # type: ignore[union-attr]
                app_before, pg_before = cpu_seconds(serving), cpu_seconds(backends_of(database))
                res = run_wrk(wrk, base, script, args.duration, args.connections)
                done = max(res["rps"] * args.duration, 1.0)
                res["cpu_app"] = 1000 * (sum(cpu_seconds(serving).values()) - sum(app_before.values())) / done
                res["cpu_pg"] = 1000 * sum(t - pg_before.get(pid, 0.0)
                                           for pid, t in cpu_seconds(backends_of(database)).items()) / done
                res["load"] = load
                results[name].append(res)
                print(f"  round {r + 1} {name:9s} {res['rps']:8.0f} req/s  p50 {res.get('p50', 0):7.1f} ms  "
                      f"p99 {res.get('p99', 0):7.1f} ms  non-2xx {res['non2xx']:.0f}  CPU/request: server "
                      f"{res['cpu_app']:5.2f} ms + PostgreSQL {res['cpu_pg']:5.2f} ms  (load {load:.2f})")
        summary = {name: {k: statistics.median(x.get(k, 0) for x in runs)
                          for k in ("rps", "p50", "p99", "cpu_app", "cpu_pg")}
                   for name, runs in results.items()}
        print("median of the rounds (spread of req/s in brackets):")
        for name, s in summary.items():
            spread = [x["rps"] for x in results[name]]
            print(f"  {name:9s} {s['rps']:8.0f} req/s [{min(spread):.0f}–{max(spread):.0f}]  "
                  f"p50 {s['p50']:7.1f} ms  p99 {s['p99']:7.1f} ms  CPU/request {s['cpu_app']:5.2f} + "
                  f"{s['cpu_pg']:5.2f} ms")
        if variant is not None:
            print(f"* = the server with {args.compare}")
            for name in ("detail", "list"):
                ours, theirs = summary[name], summary[name + "*"]
                print(f"{name}* / {name}: {100 * theirs['rps'] / ours['rps']:.0f} % of the req/s, CPU per request "
                      f"{theirs['cpu_app'] + theirs['cpu_pg']:.2f} against {ours['cpu_app'] + ours['cpu_pg']:.2f} ms")
        for app_name, ref_name in (("detail", "ref-one"), ("list", "ref-list")):
            ours = summary[app_name]["cpu_app"] + summary[app_name]["cpu_pg"]
            theirs = summary[ref_name]["cpu_app"] + summary[ref_name]["cpu_pg"]
            print(f"CPU per request {app_name} / {ref_name}: {ours:.2f} / {theirs:.2f} ms "
                  f"(the reference's CPU is {100 * theirs / max(ours, 1e-9):.0f} % of ours)")
        detail_ratio = summary["detail"]["rps"] / summary["ref-one"]["rps"]
        list_ratio = summary["list"]["rps"] / summary["ref-list"]["rps"]
        p99 = summary["detail"]["p99"]
        print(f"detail / ref-one: {100 * detail_ratio:.0f} % (goal ≥ {100 * GOAL_RATIO:.0f} %) "
              f"{'met' if detail_ratio >= GOAL_RATIO else 'NOT met'}")
        print(f"list / ref-list:  {100 * list_ratio:.0f} % (goal ≥ {100 * GOAL_RATIO:.0f} %) "
              f"{'met' if list_ratio >= GOAL_RATIO else 'NOT met'}")
        # Each round's app run beside the reference run just before it: on a shared VM the machine's speed
        # drifts between rounds (a factor of 2 has been seen), and a ratio within a round cancels most of it.
        for app_name, ref_name in (("detail", "ref-one"), ("list", "ref-list"), ("detail*", "detail"),
                                   ("list*", "list")):
            if app_name in results:
                paired = [100 * a["rps"] / max(b["rps"], 1e-9) for a, b in zip(results[app_name], results[ref_name],
                                                                               strict=True)]
                print(f"  {app_name} / {ref_name} per round: " + ", ".join(f"{x:.0f} %" for x in paired))
        print(f"detail p99: {p99:.0f} ms (goal < {GOAL_DETAIL_P99_MS:.0f} ms) "
              f"{'met' if p99 < GOAL_DETAIL_P99_MS else 'NOT met'}")
        loads = [x["load"] for runs in results.values() for x in runs]
        print(f"load average (1 min) during the runs: {min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} CPUs")
        if args.profile:
            workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                                      text=True).stdout.split()]
            for name in ("detail", "list"):
                base, script = scripts[name]
                wrk_run = subprocess.Popen([wrk, "-t", "2", "-c", str(args.connections), "-d",
                                            f"{args.duration + 2}s", "-s", str(script), base],
                                           stdout=subprocess.DEVNULL)
                time.sleep(1)
                profile(workers, args.duration, tmp, name)
                wrk_run.wait()
        return summary
    finally:
        stop(server)
        stop(reference)
        if variant is not None:
            stop(variant)


def default_sizing() -> tuple[int, int]:
    """What `hazardloop run` uses when given no --workers/--threads."""
    from hazardloop.cli import run_command

    defaults = {p.name: p.default for p in run_command.params}
    workers, threads = defaults["workers"], defaults["threads"]
    return (workers() if callable(workers) else workers), (threads() if callable(threads) else threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hazards", type=int, default=200_000)
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--configs", default="default",
                        help="gunicorn settings to compare, e.g. default,2x4,3x2,4x4 (workers x threads)")
    parser.add_argument("--profile", action="store_true", help="py-spy every server worker under load")
    parser.add_argument("--compare", metavar="KEY=VALUE",
                        help="also measure the server started with this environment setting (detail*, list*), "
                             "e.g. SESSION_CACHE_TTL_S=0")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    args = parser.parse_args()

    wrk = ensure_wrk()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    configs: list[tuple[int, int] | None] = [
        None if c == "default" else (int(c.split("x")[0]), int(c.split("x")[1])) for c in args.configs.split(",")]

    with throwaway_database(args.pg_server) as url, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        app = make_app(url)
        tree = generate(app, url, sites=args.sites, hazards=args.hazards)
        street = tree["streets"][0]
        mobile = make_user(app, "supervisor", street)
        make_user(app, "grid_worker", tree["grids"][0][2])  # a second actor on the timelines
        with psycopg.connect(url) as conn:
            actors = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
            in_street = [r[0] for r in conn.execute(
                "SELECT h.id FROM hazards h JOIN sites s ON s.id = h.site_id JOIN regions g ON g.id = s.grid_id "
                "WHERE g.path LIKE (SELECT path FROM regions WHERE id = %s) || '%%' ORDER BY h.id", (street,))]
            all_ids = [r[0] for r in conn.execute("SELECT id FROM hazards ORDER BY random() LIMIT 200")]
            deadlines = [r[0].isoformat() for r in conn.execute(
                "SELECT deadline_at FROM hazards WHERE status = 'rectifying' ORDER BY random() LIMIT 200")]
        detail_ids = random.Random(7).sample(in_street, min(200, len(in_street)))
        add_timelines(url, detail_ids, actors)
        checklist = add_checklist_items(app, url, detail_ids)
        print(f"street supervisor scope: {len(in_street):,} hazards; detail ids (half waiting for their "
              f"rectification, half sent back at 复查 with two after-photos) with an "
              f"item of {checklist}: {len(detail_ids)}")
        ids = {"all": all_ids, "detail": detail_ids, "deadlines": deadlines}
        table = []
        for config in configs:
            summary = measure(args, wrk, url, tmp, config, mobile, ids)
            table.append((config or default_sizing(), summary))
        if len(table) > 1:
            print("\nworkers×threads  detail req/s (p99)   list req/s   ref-one   ref-list")
            for (w, t), s in table:
                print(f"  {w}×{t:<13} {s['detail']['rps']:6.0f} ({s['detail']['p99']:5.0f} ms)  "
                      f"{s['list']['rps']:8.0f}  {s['ref-one']['rps']:8.0f}  {s['ref-list']['rps']:8.0f}")


if __name__ == "__main__":
    main()
