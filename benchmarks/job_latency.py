"""Figure: enqueue-to-start latency of a job on an idle `hazardloop worker`, and the idle worker's CPU.

Starts its own redis-server on a free port (stopped by its pid), a throwaway SQLite database
migrated by `hazardloop db upgrade` (or `--database-url`), and a real `hazardloop worker` process.
Then, with the worker idle (blocked on Redis) before each job, enqueues jobs one at a time through
Flask-RQ's queue and reports median and p95 of:

- enqueue → start: from just before ``enqueue`` until the first line of the job function runs in
  the forked work-horse (``job_started`` below returns its ``time.time()``; same machine, same clock);
- enqueue → finished: the round trip of ``hazardloop.system.jobs.health_check`` (app context,
  a fresh database connection in the horse, ``SELECT 1``), as the client sees it by polling.

Before that it measures the CPU the worker process tree (worker, RQ scheduler, cron child and
every work-horse it forked) uses in 30 idle seconds with the cron schedule running.

Run:  .venv/bin/python benchmarks/job_latency.py [--jobs 100] [--idle-seconds 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HAZARDLOOP = str(Path(sys.executable).with_name("hazardloop"))


def job_started() -> float:
    """The job the worker runs: the instant its body starts."""
    return time.time()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def tree_cpu_seconds(pid: int) -> float:
    """utime+stime of ``pid`` and its live descendants, plus the children it has already reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # fields[11:15] = utime, stime, cutime, cstime (after the state field at index 0)
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
        stack.extend(int(c) for c in children)
    return total


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(what)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--pause", type=float, default=0.1, help="seconds the worker idles before each job")
    parser.add_argument("--database-url", default=None, help="default: a throwaway SQLite file")
    args = parser.parse_args()

    import redis

    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    workdir = tempfile.TemporaryDirectory(prefix="hazardloop-latency-")
    worker: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: _pings(redis, redis_url), 10, "redis-server did not start")
        database_url = args.database_url or f"sqlite:///{workdir.name}/bench.db"
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "STORAGE_DIR": workdir.name,
               "RATELIMIT_STORAGE_URI": redis_url, "PYTHONPATH": str(HERE)}
        subprocess.run([HAZARDLOOP, "db", "upgrade"], env=env, check=True, capture_output=True)
        log = open(Path(workdir.name) / "worker.log", "wb")  # noqa: SIM115 — closed with the directory
        worker = subprocess.Popen([HAZARDLOOP, "worker", "--name", "latency-bench"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "STORAGE_DIR", "RATELIMIT_STORAGE_URI")})
        from hazardloop import create_app
        from hazardloop.extensions import rq
        from hazardloop.system.jobs import health_check

        app = create_app({"SCHEMA_CHECK": False})
        with app.app_context():
            queue = rq.queue
            wait_until(lambda: queue.connection.exists("rq:worker:latency-bench"), 60, "the worker did not start")
            for _ in range(5):  # warm-up: first connections, first imports of this module in the horse
                _run(queue, "job_latency.job_started")

            time.sleep(5)  # let start-up settle (the cron scheduler's first ticks)
            cpu_before, wall_before = tree_cpu_seconds(worker.pid), time.monotonic()
            time.sleep(args.idle_seconds)
            idle_cpu = tree_cpu_seconds(worker.pid) - cpu_before
            idle_wall = time.monotonic() - wall_before

            to_start, to_finish, rq_start = [], [], []
            for _ in range(args.jobs):
                time.sleep(args.pause)
                enqueued, job, started = _run(queue, "job_latency.job_started")
                to_start.append((started - enqueued) * 1000)
                rq_start.append((job.started_at - job.enqueued_at).total_seconds() * 1000)
            for _ in range(args.jobs):
                time.sleep(args.pause)
                enqueued = time.time()
                job = health_check.enqueue("bench")
                _wait_finished(job)
                to_finish.append((time.time() - enqueued) * 1000)

        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {sys.version.split()[0]}, database {database_url.split(':')[0]}")
        print(f"idle worker (worker + RQ scheduler + cron child + horses): {idle_cpu:.2f} CPU-s in {idle_wall:.0f} s "
              f"= {100 * idle_cpu / idle_wall:.1f} % of one core")
        for label, values in (("enqueue → job function starts", to_start),
                              ("enqueue → RQ marks it started", rq_start),
                              ("enqueue → health_check finished (DB round trip)", to_finish)):
            print(f"{label}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
                  f"max {max(values):.1f} ms over {len(values)} jobs")
    finally:
        if worker is not None and worker.poll() is None:
            os.kill(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(worker.pid, signal.SIGKILL)
        os.kill(server.pid, signal.SIGTERM)
        server.wait(10)
        workdir.cleanup()


def _pings(redis_module, url: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(redis_module.Redis.from_url(url).ping())
    except redis_module.ConnectionError:
        return False


def _run(queue, func_name: str):  # type: ignore[no-untyped-def]
    enqueued = time.time()
    job = queue.enqueue(func_name)
    _wait_finished(job)
    return enqueued, job, job.return_value()


def _wait_finished(job) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = job.get_status(refresh=True)
        if status == "finished":
            job.refresh()
            return
        if status == "failed":
            raise RuntimeError(f"job {job.id} failed: {job.latest_result().exc_string}")
        time.sleep(0.005)
    raise TimeoutError(f"job {job.id} did not finish")


if __name__ == "__main__":
    main()
