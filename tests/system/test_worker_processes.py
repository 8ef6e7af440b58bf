"""`hazardloop worker` runs one RQ worker per core by default, and its extra workers end with it."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import redis
from rq import Worker

from hazardloop.cli import cpu_cores, run_command, worker_command
from tests.support.cli import HAZARDLOOP


def live_workers(url: str) -> list[Worker]:
    return Worker.all(connection=redis.Redis.from_url(url))


def test_the_defaults_follow_the_cores():
    options = {p.name: p for p in run_command.params + worker_command.params}
    for name in ("workers", "processes"):
        default = options[name].default
        assert (default() if callable(default) else default) == cpu_cores()
    assert cpu_cores() >= 1


def test_worker_starts_the_asked_number_of_rq_workers_and_stops_them(app, cli_env, tmp_path):
    url = app.config["REDIS_URL"]
    before = {w.name for w in live_workers(url)}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen([HAZARDLOOP, "worker", "--processes", "3", "--no-cron", "--name", "procs"],
                                   env={**os.environ, **cli_env}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        names: set[str] = set()
        while time.monotonic() < deadline and len(names) < 3:
            names = {w.name for w in live_workers(url)} - before
            time.sleep(0.5)
        assert names == {"procs", "procs-2", "procs-3"}, log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and {w.name for w in live_workers(url)} - before:
        time.sleep(0.5)
    assert {w.name for w in live_workers(url)} - before == set()


def test_in_process_jobs_share_the_worker_process_and_others_get_a_work_horse(app, cli_env):
    queue = app.extensions["rq"].queues["default"]
    in_process = [queue.enqueue(os.getpid, meta={"in_process": True}) for _ in range(2)]
    forked = [queue.enqueue(os.getpid) for _ in range(2)]
    result = subprocess.run([HAZARDLOOP, "worker", "--burst", "--processes", "1"], env={**os.environ, **cli_env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    for job in in_process + forked:
        job.refresh()
        assert job.get_status() == "finished", result.stderr[-3000:]
    worker_pids = {job.return_value() for job in in_process}
    horse_pids = {job.return_value() for job in forked}
    assert len(worker_pids) == 1  # both ran in the worker itself
    assert len(horse_pids) == 2 and not worker_pids & horse_pids  # each in its own horse
