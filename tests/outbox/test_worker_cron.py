"""`hazardloop worker` runs RQ's cron scheduler beside the worker, with the periodic jobs of schedule.py."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from hazardloop.outbox.models import OutboxMessage
from hazardloop.schedule import periodic_jobs, register_periodic_jobs
from tests.support.cli import HAZARDLOOP
from tests.support.deadlines import assign_hazard, end_of


def test_the_schedule_is_one_list_registered_once(app):
    from hazardloop.extensions import rq

    register_periodic_jobs()
    register_periodic_jobs()
    scheduler = rq.make_cron_scheduler()
    names = sorted(job.func_name.rsplit(".", 1)[1] for job in scheduler.get_jobs())
    assert names == sorted(job.__name__ for job, _ in periodic_jobs())
    assert names == ["collect_blacklist_candidates", "draft_monthly_circulars", "draft_weekly_circulars",
                     "escalate_overdue_hazards", "recompute_risk_levels", "relay_outbox",
                     "release_held_deliveries", "remind_self_check_reports", "snapshot_daily_metrics"]


def children_named(pid: int, needle: bytes) -> list[int]:
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if needle in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except FileNotFoundError:
            pass
    return found


# Whole RQ work-horse processes (~4 s each) whose behaviour does not depend on the database.
@pytest.mark.postgresql_only
def test_the_worker_runs_the_cron_scheduler_which_relays_what_redis_missed(fault_app, db, parties, private_redis,
                                                                           tmp_path):
    private_redis.stop()
    assign_hazard(parties, deadline=end_of("2026-12-08"))  # committed while Redis is down
    private_redis.start()
    env = {**os.environ, "DATABASE_URL": fault_app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": private_redis.url,
           "STORAGE_DIR": str(tmp_path), "RATELIMIT_STORAGE_URI": fault_app.config["RATELIMIT_STORAGE_URI"]}
    worker = subprocess.Popen([HAZARDLOOP, "worker", "--name", "with-cron"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline, done, cron = time.monotonic() + 90, False, []
        while time.monotonic() < deadline and not done:
            time.sleep(0.5)
            cron = cron or children_named(worker.pid, b"cron")
            db.session.expire_all()
            done = db.session.scalar(select(OutboxMessage.status)) == "done"
        assert done, "the relay never ran"
        assert cron, "no cron scheduler beside the worker"
    finally:
        os.kill(worker.pid, signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output.decode()[-3000:]
    assert not Path(f"/proc/{cron[0]}").exists() or b"zombie" in Path(f"/proc/{cron[0]}/status").read_bytes()
    assert b"relay_outbox" in output  # enqueued by the cron scheduler, run by the worker
