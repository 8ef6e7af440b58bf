"""Figure: the sync rush — N phones uploading photos then inspections through the real server and worker.

Builds a throwaway PostgreSQL database (the app's migrations, the shipped checklists, one grid with
a few sites and one grid worker per phone), starts its own redis-server, the real server
(`hazardloop run`, its defaults) and the real worker (`hazardloop worker --no-cron`, its defaults),
then runs N phones (default 32) for --duration seconds. Each phone, like the PWA's sync flush, uploads
--photos photos (POST /api/v1/photos; what the PWA sends: ~1600 px long side, quality 85; a share
--full-share of full-size 4000×3000 photos from other clients) and then an inspection
(POST /api/v1/inspections) citing them, again and again.

Prints throughput, p50/p95 per request type, errors by status, CPU seconds by process group
(server, worker, PostgreSQL — all of its databases —, this load generator) and the derivative backlog
over time (photos still pending and how far behind the oldest is), then how long after the burst
the worker needed to finish. Goals: inspection p95 < 800 ms, photo p95 < 600 ms, 0 errors, backlog
≤ 60 s behind at every moment.

Run:  .venv/bin/python benchmarks/sync_rush.py [--phones 32] [--duration 60] [--photos 3] [--full-share 0.1]
      [--sites 8] [--drain-timeout 600] [--worker-args=--no-fork] [--server-args='--workers 4 --threads 4']
      [--pg-server postgresql://postgres@127.0.0.1:5432/]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg
import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hazard_list import DEFAULT_PG_SERVER, PASSWORD, machine, make_app, throwaway_database
from photo_derivatives import realistic_jpeg
from photo_upload import BOUNDARY, multipart, start_redis, variant
from read_concurrency import free_port, start, stop, wait_until_up

BIN = Path(sys.executable).parent
CHECKLIST = ("fire-small-restaurant", "2026.3")
GOALS_MS = {"photo": 600.0, "inspection": 800.0}
GOAL_LAG_S = 60.0
TICKS = os.sysconf("SC_CLK_TCK")


def pwa_jpeg(full: bytes) -> bytes:
    """What the PWA uploads: the photo resized on the phone to 1600 px on the long side, quality 85."""
    im = Image.open(io.BytesIO(full))
    im.thumbnail((1600, 1600))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def build(app: Any, phones: int, site_count: int = 8) -> tuple[list[str], list[int]]:
    """One grid with ``site_count`` small restaurants and one grid worker per phone; returns (mobiles, site ids)."""
    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.checklists.services import sync_checklists
    from hazardloop.extensions import db
    from hazardloop.regions.services import create_region
    from hazardloop.sites.services import create_site
    from hazardloop.taxonomy import Role

    with app.app_context():
        sync_checklists()
        district = create_region(name="基准区", level="district", code="339998")
        street = create_region(name="基准街道", level="street", parent=district)
        community = create_region(name="基准社区", level="community", parent=street)
        grid = create_region(name="基准网格", level="grid", parent=community)
        sites = [create_site({"name": f"基准餐馆{i + 1}", "address": f"基准路{i + 1}号", "grid_id": grid.id,
                              "category": "small_restaurant", "domains": ["fire", "nine_small"],
                              "lat": 30.3, "lng": 120.15}, actor=None).id for i in range(site_count)]
        mobiles = []
        for i in range(phones):
            mobile = f"137{i:08d}"
            create_user(mobile=mobile, display_name=f"网格员{i + 1}", password=PASSWORD,
                        grants=[GrantSpec(Role.GRID_WORKER, grid.id, None, None)])
            mobiles.append(mobile)
        db.session.commit()
    return mobiles, sites


def group_cpu_seconds(groups: dict[str, set[int] | str]) -> dict[str, float]:
    """CPU seconds (user + system, with reaped children such as work-horses) of each process group.

    A group is a set of process-group ids or a command name (e.g. "postgres").
    """
    out: dict[str, float] = defaultdict(float)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        pgrp = int(fields[2])
        ticks = sum(int(x) for x in fields[11:15])
        for label, match in groups.items():
            if (isinstance(match, str) and name == match) or (isinstance(match, set) and pgrp in match):
                out[label] += ticks / TICKS
    return dict(out)


def inspection_body(site_id: int, items: list[dict[str, Any]], photo_ids: list[str]) -> dict[str, Any]:
    """What the PWA sends after its photos: each item answered 不符合 with one of the photos, finished now."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    answers = [{"item_code": item["code"], "result": "不符合", "photo_ids": [photo_id],
                "finding": f"现场发现：{item['text'][:20]}"} for item, photo_id in zip(items, photo_ids, strict=True)]
    return {"client_uuid": str(uuid.uuid4()), "site_id": site_id, "checklist_id": CHECKLIST[0],
            "checklist_version": CHECKLIST[1], "mode": "routine", "started_at": now, "finished_at": now,
            "saved_at": now, "position": {"lat": 30.3001, "lng": 120.1501, "accuracy_m": 12}, "answers": answers}


class Phone(threading.Thread):
    """One phone: log in, then upload photos and an inspection citing them until ``end``."""

    def __init__(self, base: str, mobile: str, site_id: int, items: list[dict[str, Any]], photos: list[bytes],
                 full: bytes, args: argparse.Namespace, end: float, results: list[tuple[str, int, float, float]],
                 seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.mobile, self.site_id, self.items = base, mobile, site_id, items
        self.pwa_photos, self.full, self.args, self.end, self.results = photos, full, args, end, results
        self.rng = random.Random(seed)

    def run(self) -> None:
        http = requests.Session()
        login = http.post(f"{self.base}/api/v1/auth/login", json={"mobile": self.mobile, "password": PASSWORD},
                          timeout=120)
        if login.status_code != 200:
            self.results.append(("login", login.status_code, 0.0, time.monotonic()))
            return
        http.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        n = 0
        while time.monotonic() < self.end:
            photo_ids = []
            for _ in range(self.args.photos):
                n += 1
                source = self.full if self.rng.random() < self.args.full_share else self.rng.choice(self.pwa_photos)
                body = multipart(variant(source, n))
                photo_id = self._timed("photo", http, "/api/v1/photos", data=body,
                                       headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
                if photo_id is not None:
                    photo_ids.append(photo_id)
            if not photo_ids:
                continue
            inspection = inspection_body(self.site_id, self.rng.sample(self.items, len(photo_ids)), photo_ids)
            self._timed("inspection", http, "/api/v1/inspections", json=inspection)

    def _timed(self, kind: str, http: requests.Session, path: str, **kw: Any) -> str | None:
        started = time.monotonic()
        try:
            response = http.post(f"{self.base}{path}", timeout=120, **kw)
            status = response.status_code
        except requests.RequestException:
            response, status = None, 0
        self.results.append((kind, status, time.monotonic() - started, started))
        if response is not None and kind == "photo" and status in (200, 201):
            return str(response.json()["id"])
        return None


def backlog(url: str) -> tuple[int, float]:
    """(photos whose derivatives are pending, seconds since the oldest of them was uploaded)."""
    with psycopg.connect(url) as conn:
        count, lag = conn.execute("SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                                  "FROM photos WHERE derivatives_status = 'pending'").fetchone()  # type: ignore[misc]
    return int(count), float(lag)


def lock_waiters(url: str) -> str:
    """Server transactions waiting for a lock now, by the statement they wait in (why requests queue)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 60), count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock' GROUP BY 1 "
                            "ORDER BY 2 DESC LIMIT 2").fetchall()
    return "; ".join(f"{n}× {q}" for q, n in rows) or "none"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=32)
    parser.add_argument("--duration", type=int, default=60, help="seconds of uploading")
    parser.add_argument("--photos", type=int, default=3, help="photos per inspection")
    parser.add_argument("--sites", type=int, default=8,
                        help="sites the phones share (phone i inspects site i mod N; one site's inspections queue)")
    parser.add_argument("--full-share", type=float, default=0.1, help="share of full-size 4000×3000 photos")
    parser.add_argument("--drain-timeout", type=int, default=600, help="seconds to wait for the worker after")
    parser.add_argument("--worker-args", default="", help="extra `hazardloop worker` options, e.g. --no-fork")
    parser.add_argument("--server-args", default="",
                        help="extra `hazardloop run` options, e.g. '--workers 4 --threads 4'")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    full = realistic_jpeg(4000, 3000, seed=3)
    pwa_photos = [pwa_jpeg(realistic_jpeg(4000, 3000, seed=s)) for s in (1, 2)]
    print(f"photos: PWA {len(pwa_photos[0]) // 1024} kB (1600×1200), full size {len(full) // 1024} kB "
          f"(4000×3000, {100 * args.full_share:.0f} % of uploads)")
    redis_proc, redis_url = start_redis()
    with throwaway_database(args.pg_server) as url, tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        app = make_app(url)
        mobiles, sites = build(app, args.phones, args.sites)
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "STORAGE_DIR": str(tmp / "storage"),
               "SESSION_COOKIE_SECURE": "false", "PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1",
               "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute", "PYTHONUNBUFFERED": "1"}
        port = free_port()
        server = start([str(BIN / "hazardloop"), "run", "--port", str(port), *args.server_args.split()], env,
                       tmp / "server.log")
        worker = start([str(BIN / "hazardloop"), "worker", "--no-cron", *args.worker_args.split()], env,
                       tmp / "worker.log")
        print(f"server: hazardloop run {args.server_args or '(defaults)'}; "
              f"worker: hazardloop worker --no-cron {args.worker_args}".rstrip())
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/api/v1/auth/session", server)
            http = requests.Session()
            login = http.post(f"{base}/api/v1/auth/login", json={"mobile": mobiles[0], "password": PASSWORD})
            content = http.get(f"{base}/api/v1/checklists/{CHECKLIST[0]}/versions/{CHECKLIST[1]}").json()["content"]
            items = [i for s in content["sections"] for i in s["items"] if i["answer"]["type"] == "compliance"]
            assert login.status_code == 200 and len(items) >= args.photos
            groups: dict[str, set[int] | str] = {"server": {server.pid}, "worker": {worker.pid},
                                                 "postgres": "postgres", "load generator": {os.getpgrp()}}
            results: list[tuple[str, int, float, float]] = []
            cpu_before = group_cpu_seconds(groups)
            t0 = time.monotonic()
            end = t0 + args.duration
            phones = [Phone(base, mobile, sites[i % len(sites)], items, pwa_photos, full, args, end, results, i)
                      for i, mobile in enumerate(mobiles)]
            for phone in phones:
                phone.start()
            timeline = []
            while any(p.is_alive() for p in phones):
                time.sleep(5)
                timeline.append((time.monotonic() - t0, *backlog(url)))
                print(f"  t={timeline[-1][0]:5.0f} s  pending derivatives {timeline[-1][1]:5d}  "
                      f"oldest {timeline[-1][2]:6.1f} s behind  (load {os.getloadavg()[0]:.2f})  "
                      f"waiting for a lock: {lock_waiters(url)}")
            burst = time.monotonic() - t0
            cpu_burst = group_cpu_seconds(groups)
            drained_after = None
            while time.monotonic() - t0 - burst < args.drain_timeout:
                pending, lag = backlog(url)
                timeline.append((time.monotonic() - t0, pending, lag))
                if pending == 0:
                    drained_after = time.monotonic() - t0 - burst
                    break
                print(f"  t={timeline[-1][0]:5.0f} s  pending derivatives {pending:5d}  oldest {lag:6.1f} s behind")
                time.sleep(5)
            cpu_end = group_cpu_seconds(groups)
        finally:
            stop(server)
            stop(worker)
            redis_proc.terminate()

        print(f"\n{args.phones} phones at {args.sites} sites for {burst:.0f} s, "
              f"{args.photos} photos then an inspection each round")
        by_kind: dict[str, list[float]] = defaultdict(list)
        errors: Counter[tuple[str, int]] = Counter()
        for kind, status, elapsed, _ in results:
            if status in (200, 201):
                by_kind[kind].append(elapsed * 1000)
            else:
                errors[(kind, status)] += 1
        for kind in ("photo", "inspection"):
            values = by_kind[kind]
            p50, p95, goal = percentile(values, 0.5), percentile(values, 0.95), GOALS_MS[kind]
            print(f"  {kind:10s} {len(values):6d} ok  {len(values) / burst:6.1f}/s  p50 {p50:7.0f} ms"
                  f"  p95 {p95:7.0f} ms  (goal p95 < {goal:.0f} ms: {'met' if p95 < goal else 'NOT met'})")
        print(f"  errors by (type, status): {dict(errors) or 'none'}")
        print("CPU seconds (cores used) during the burst | until drained:")
        for label in groups:
            during = cpu_burst.get(label, 0) - cpu_before.get(label, 0)
            after = cpu_end.get(label, 0) - cpu_before.get(label, 0)
            print(f"  {label:15s} {during:7.1f} s ({during / burst:4.2f}) | {after:7.1f} s")
        photos_ok = len(by_kind["photo"])
        worker_cpu = cpu_end.get("worker", 0) - cpu_before.get("worker", 0)
        if photos_ok:
            print(f"  worker CPU per photo: {1000 * worker_cpu / photos_ok:.0f} ms")
        rounds = len(by_kind["inspection"])
        if rounds:
            # The phones are a closed loop (each sends its next request when the last is answered), so by Little's
            # law a round takes phones ÷ rounds per second; the CPU a round costs bounds the rounds per second.
            per_round = sum(cpu_end.get(g, 0) - cpu_before.get(g, 0) for g in ("server", "worker", "postgres"))
            per_round /= rounds
            cores = os.cpu_count() or 1
            print(f"  CPU per round ({args.photos} photos + 1 inspection; server + worker + PostgreSQL until drained):"
                  f" {1000 * per_round:.0f} ms → sustained at most {cores / per_round:.1f} rounds/s on {cores} idle"
                  f" cores, so a round takes ≥ {args.phones * per_round / cores:.1f} s per phone at"
                  f" {args.phones} phones once the worker must keep up"
                  f" (measured {args.phones * burst / max(rounds, 1):.1f} s in this burst)")
        max_lag = max((lag for _, _, lag in timeline), default=0.0)
        print(f"derivative backlog: max {max(n for _, n, _ in timeline)} photos, at most {max_lag:.0f} s behind "
              f"(goal ≤ {GOAL_LAG_S:.0f} s: {'met' if max_lag <= GOAL_LAG_S else 'NOT met'}); "
              + (f"drained {drained_after:.0f} s after the burst" if drained_after is not None
                 else f"NOT drained {args.drain_timeout} s after the burst"))
        with psycopg.connect(url) as conn:
            sets = conn.execute("SELECT count(*) FROM outbox_messages WHERE kind = 'photo.derivatives'").fetchone()
            photos = conn.execute("SELECT count(*) FROM photos").fetchone()
        print(f"derivative jobs: {sets[0]} for {photos[0]} photos ({sets[0] / max(photos[0], 1):.2f} per photo; "  # type: ignore[index]
              "a job that finds the photo's set made makes nothing)")
        made = Counter(p.parent.name for p in (tmp / "storage" / "derived").rglob("evidence-*.jpg"))
        print(f"derivative sets made: {sum(made.values())} evidence copies for {len(made)} photos "
              f"({sum(made.values()) / max(len(made), 1):.2f} per photo; goal 1)")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
