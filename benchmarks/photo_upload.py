"""Figure: the photo upload request's latency (p50/p95), and the time until the thumbnail exists.

Builds the app on a throwaway database (SQLite file by default, ``--postgresql`` for a throwaway
PostgreSQL database) with its own storage directory and a private redis-server, logs a user in
and POSTs distinct realistic 12 MP JPEGs (3–5 MB; each made distinct by a comment segment so the
content hash differs while the decode work stays the same) as multipart, through the WSGI app
in-process (no network).

The request only checks the file and keeps the original; the derivatives are made by the outbox
job "photo.derivatives" on a worker, or by the first request that needs one. Printed:

- A: the request's p50/p95 over ``--uploads`` uploads back to back (goal: p95 < 300 ms),
- B: a thumbnail fetched right after its upload, before any worker ran: made on demand in that GET,
- C: with a real ``hazardloop worker`` started beside the app, ``--with-worker`` uploads every
  ``--interval`` seconds: their request latency and the time from the request's start until the
  thumbnail file exists.

Run:  .venv/bin/python benchmarks/photo_upload.py [--uploads 30] [--postgresql]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from photo_derivatives import realistic_jpeg

BOUNDARY = "----hazardloop-bench"
HAZARDLOOP = str(Path(sys.executable).with_name("hazardloop"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def variant(data: bytes, n: int) -> bytes:
    comment = f"bench upload {n} {uuid.uuid4().hex}".encode()
    return data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]


def multipart(data: bytes) -> bytes:
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="IMG.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            if redis.Redis.from_url(url).ping():
                return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


class ThumbnailWatch:
    """Polls the storage directory for each expected thumbnail file and notes when it appears."""

    def __init__(self, storage_dir: Path) -> None:
        self.storage_dir = storage_dir
        self.expected: dict[str, float] = {}  # key → request start
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def expect(self, key: str, started: float) -> None:
        with self.lock:
            self.expected[key] = started

    def run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                waiting = [k for k in self.expected if k not in self.seen]
            for key in waiting:
                if (self.storage_dir / key).is_file():
                    self.seen[key] = time.perf_counter()
            time.sleep(0.005)

    def wait_all(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.seen) < len(self.expected):
            time.sleep(0.05)
        self.stop.set()
        self.thread.join()

    def delays_ms(self) -> list[float]:
        return [(self.seen[k] - started) * 1000 for k, started in self.expected.items() if k in self.seen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--on-demand", type=int, default=10, help="uploads whose thumbnail is fetched at once")
    parser.add_argument("--with-worker", type=int, default=5, help="uploads measured with a worker running")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between those uploads")
    parser.add_argument("--postgresql", action="store_true", help="a throwaway PostgreSQL database, not SQLite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hl-bench-"))
    redis_proc, redis_url = start_redis()
    pg_name = None
    if args.postgresql:
        import psycopg

        pg_name = f"hazardloop_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        database_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}"
    else:
        database_url = f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "SECRET_KEY": "bench", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "STORAGE_DIR": str(tmp / "storage"), "HAZARDLOOP_INSTANCE_PATH": str(tmp / "instance")}
    os.environ.update({k: env[k] for k in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STORAGE_DIR")})
    try:
        figures = run(args, env, database_url, redis_url)
    finally:
        stop(redis_proc)
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    print(figures)


def run(args: argparse.Namespace, env: dict[str, str], database_url: str, redis_url: str) -> str:
    from flask_migrate import upgrade

    from hazardloop import create_app
    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.extensions import db
    from hazardloop.taxonomy import Role

    config = {"SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://"),
              "STORAGE_DIR": env["STORAGE_DIR"], "REDIS_URL": redis_url, "RQ_CONNECTION": redis_url,
              "RATELIMIT_STORAGE_URI": redis_url, "SCHEMA_CHECK": False, "PASSWORD_HASH_MEMORY_KIB": 1024,
              "PASSWORD_HASH_TIME_COST": 1, "RATELIMIT_ENABLED": False}
    app = create_app(config)
    with app.app_context():
        upgrade()
        create_user(mobile="13900000001", display_name="张三", password="Bench@2026",
                    grants=[GrantSpec(Role.ADMIN, None, None, None)])
        db.session.commit()
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"mobile": "13900000001", "password": "Bench@2026"})
    csrf = login.get_json()["csrf_token"]
    base = realistic_jpeg()
    storage_dir = Path(env["STORAGE_DIR"])
    serial = iter(range(10**6))

    def upload() -> tuple[float, float, dict]:
        body = multipart(variant(base, next(serial)))
        start = time.perf_counter()
        response = client.post("/api/v1/photos", data=body, headers={"X-CSRF-Token": csrf},
                               content_type=f"multipart/form-data; boundary={BOUNDARY}")
        elapsed = time.perf_counter() - start
        assert response.status_code == 201, response.get_json()
        return start, elapsed, response.get_json()

    def thumbnail_path(photo_id: str) -> Path:
        with app.app_context():
            from hazardloop.evidence.models import Photo

            key = db.session.get(Photo, photo_id).thumbnail_key
            db.session.remove()
        return storage_dir / key

    # A: the request alone, back to back (the worker may sit on another machine).
    for _ in range(2):  # warm caches (font, imports)
        upload()
    latencies, early = [], 0
    for _ in range(args.uploads):
        _, elapsed, body = upload()
        latencies.append(elapsed * 1000)
        early += not thumbnail_path(body["id"]).is_file()
    _empty_queue(redis_url)  # phase A's jobs are not phase C's business

    # B: a thumbnail asked for right after its upload, before any worker ran: made in that GET.
    on_demand = []
    for _ in range(args.on_demand):
        _, _, body = upload()
        start = time.perf_counter()
        thumb = client.get(body["thumbnail_url"])
        on_demand.append((time.perf_counter() - start) * 1000)
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    _empty_queue(redis_url)

    # C: a real worker beside the app; uploads spaced out; when does each thumbnail exist?
    worker = subprocess.Popen([HAZARDLOOP, "worker", "--no-cron", "--name", f"bench-{uuid.uuid4().hex[:6]}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        watch = ThumbnailWatch(storage_dir)
        beside = []
        for _ in range(args.with_worker):
            started, elapsed, body = upload()
            beside.append(elapsed * 1000)
            watch.expect(str(thumbnail_path(body["id"]).relative_to(storage_dir)), started)
            time.sleep(max(0.0, args.interval - (time.perf_counter() - started)))
        watch.wait_all(timeout=300)
    finally:
        stop(worker)
    delays = watch.delays_ms()
    load = os.getloadavg()
    lines = [
        f"upload of a {len(base) / 1e6:.2f} MB 12 MP JPEG, {'PostgreSQL' if args.postgresql else 'SQLite'}, "
        f"local storage, in-process WSGI; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"  request, {len(latencies)} back to back: p50 {statistics.median(latencies):.0f} ms   "
        f"p95 {percentile(latencies, 0.95):.0f} ms   max {max(latencies):.0f} ms (goal p95 < 300 ms); "
        f"{early}/{len(latencies)} answered before their thumbnail existed",
        f"  thumbnail GET right after upload, no worker yet (made on demand): p50 "
        f"{statistics.median(on_demand):.0f} ms   max {max(on_demand):.0f} ms",
    ]
    if beside:
        lines.append(f"  with a real `hazardloop worker` beside it, {len(beside)} uploads every {args.interval:.0f} s: "
                     f"request p50 {statistics.median(beside):.0f} ms, max {max(beside):.0f} ms; "
                     f"request start → thumbnail file exists: p50 {statistics.median(delays):.0f} ms   "
                     f"max {max(delays):.0f} ms ({len(delays)}/{len(beside)} made)" if delays else
                     "  the worker made no thumbnail within 300 s")
    return "\n".join(lines)


def _empty_queue(redis_url: str) -> None:
    import redis
    from rq import Queue

    Queue("default", connection=redis.Redis.from_url(redis_url)).empty()

if __name__ == "__main__":
    main()
