"""Faults with a real, private redis-server (own port, stopped by pid; never the shared 6379).

Redis down while deadlines pass, Redis restarted empty, duplicated jobs and concurrent sweeps,
a worker killed mid-job: afterwards every reminder, escalation and notification exists once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
import redis
from rq import Retry
from sqlalchemy import func, select

from hazardloop.escalation.jobs import escalate_overdue_hazards
from hazardloop.escalation.models import DeadlineReminder, Escalation
from hazardloop.escalation.services import SWEEP_LOCK_KEY
from hazardloop.hazards.models import AuditEvent
from hazardloop.notifications.models import Notification
from hazardloop.outbox.models import OutboxMessage
from hazardloop.outbox.services import relay_pending
from tests.support.cli import HAZARDLOOP
from tests.support.deadlines import end_of, local
from tests.support.outbox import drain


def counts(db):
    def n(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    db.session.expire_all()
    return {
        "escalations": n(Escalation), "reminders": n(DeadlineReminder),
        "escalated_events": n(AuditEvent, AuditEvent.kind == "escalated"),
        "notifications": n(Notification), "pending": n(OutboxMessage, OutboxMessage.status == "pending"),
    }


def test_redis_down_while_deadlines_pass_then_everything_happens_once(fault_app, db, parties, private_redis, login):
    from tests.support.deadlines import assign_hazard

    worker = fault_app.test_client()
    assert worker.post("/api/v1/auth/login", json={"mobile": parties.worker.mobile,
                                                   "password": "Passw0rd!"}).status_code == 200
    private_redis.stop()
    late = assign_hazard(parties, deadline=end_of("2026-12-08"))  # the request path: commit, hand-over fails
    near = assign_hazard(parties, deadline=end_of("2026-12-10"))
    detail = worker.get(f"/api/v1/hazards/{late.id}")  # requests still answer while Redis is down
    assert detail.status_code == 200
    with pytest.raises(redis.ConnectionError):
        escalate_overdue_hazards.enqueue(local("2026-12-09 09:00").isoformat())
    assert counts(db)["pending"] == 2

    private_redis.start()  # empty: nothing was ever queued
    assert relay_pending() == 2
    for _ in range(2):  # the sweep enqueued by two schedulers after the restart
        escalate_overdue_hazards.enqueue(local("2026-12-09 09:00").isoformat())
    drain(fault_app)
    assert relay_pending() == 0
    drain(fault_app)
    after = counts(db)
    assert after["escalations"] == 1 and after["reminders"] == 1 and after["escalated_events"] == 1
    assert after["pending"] == 0
    kinds = sorted(db.session.scalars(select(Notification.kind).where(Notification.user_id == parties.owner.id)))
    assert kinds == ["hazard.assign", "hazard.assign", "reminder.day_before"]
    assert [e.rung for e in db.session.scalars(select(Escalation))] == ["street"]
    assert db.session.scalar(select(Escalation.hazard_id)) == late.id
    assert db.session.scalar(select(DeadlineReminder.hazard_id)) == near.id


def test_redis_restarted_empty_the_sweeps_recreate_the_lost_work(fault_app, db, parties, private_redis):
    from tests.support.deadlines import assign_hazard

    assign_hazard(parties, deadline=end_of("2026-12-08"))
    escalate_overdue_hazards.enqueue(local("2026-12-11 09:00").isoformat())
    assert redis.Redis.from_url(private_redis.url).llen("rq:queue:default") == 2
    private_redis.stop()
    private_redis.start()  # every queued job is gone
    assert redis.Redis.from_url(private_redis.url).llen("rq:queue:default") == 0
    relay_pending()  # the relay and the next sweep tick, as the cron scheduler runs them
    escalate_overdue_hazards.enqueue(local("2026-12-11 09:00").isoformat())
    drain(fault_app)
    after = counts(db)
    assert after["escalations"] == 2 and after["escalated_events"] == 2  # street and district, once each
    assert after["pending"] == 0


def test_concurrent_sweeps_and_duplicated_jobs_have_one_effect(fault_app, db, parties):
    from hazardloop.extensions import db as database
    from tests.support.deadlines import assign_hazard

    for _ in range(3):
        assign_hazard(parties, deadline=end_of("2026-12-08"))
    at = local("2026-12-22 09:00").isoformat()
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def sweep_in_its_own_worker() -> None:
        with fault_app.app_context():
            try:
                barrier.wait()
                escalate_overdue_hazards(at)
            except BaseException as exc:
                errors.append(exc)
            finally:
                database.session.remove()

    threads = [threading.Thread(target=sweep_in_its_own_worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # On SQLite a writer that waits too long gives up; the next tick redoes its share, which is none.
    assert all("database is locked" in str(e) for e in errors), errors
    for _ in range(2):
        escalate_overdue_hazards.enqueue(at, job_id="sweep-duplicate")  # RQ may run a duplicated id twice
    drain(fault_app)
    after = counts(db)
    assert after["escalations"] == 9 and after["escalated_events"] == 9  # 3 hazards × street, district, listed


# Needs the PostgreSQL advisory lock the sweep waits on (SQLite has no such lock).
@pytest.mark.postgresql_only
def test_a_worker_killed_mid_escalation_is_retried_and_nothing_doubles(fault_app, db, parties, private_redis,
                                                                       tmp_path):
    from tests.support.deadlines import assign_hazard

    url = fault_app.config["SQLALCHEMY_DATABASE_URI"]
    for _ in range(2):
        assign_hazard(parties, deadline=end_of("2026-12-08"))
    relay_pending()
    drain(fault_app)  # the transition notices; only the sweep is left
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": private_redis.url, "STORAGE_DIR": str(tmp_path),
           "RATELIMIT_STORAGE_URI": fault_app.config["RATELIMIT_STORAGE_URI"]}
    holder = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (SWEEP_LOCK_KEY,))
    escalate_overdue_hazards.enqueue(local("2026-12-11 09:00").isoformat(), job_id="sweep-killed",
                                     retry=Retry(max=2))
    worker = subprocess.Popen([HAZARDLOOP, "worker", "--burst", "--name", "killable"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        horse = wait_for_horse(worker.pid, timeout=60)
        wait_for_lock_waiter(holder, SWEEP_LOCK_KEY, timeout=60)  # the horse has escalated nothing: it waits
        os.kill(horse, signal.SIGKILL)
    finally:
        holder.execute("SELECT pg_advisory_unlock(%s)", (SWEEP_LOCK_KEY,))
        holder.close()
    stderr, _ = worker.communicate(timeout=120)
    assert "terminated unexpectedly" in stderr.decode(), stderr.decode()[-2000:]
    from rq.job import Job

    assert Job.fetch("sweep-killed", connection=redis.Redis.from_url(private_redis.url)).get_status() == "finished"
    after = counts(db)
    assert after["escalations"] == 4 and after["escalated_events"] == 4  # 2 hazards × street, district


def wait_for_lock_waiter(connection: psycopg.Connection, key: int, timeout: float) -> None:
    """Return once a session waits for the PostgreSQL advisory lock ``key`` (held by ``connection``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (waiting,) = connection.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s"
                                        " AND NOT granted", (key,)).fetchone()
        if waiting:
            return
        time.sleep(0.01)
    raise TimeoutError("nobody waits for the advisory lock")


def wait_for_horse(pid: int, timeout: float) -> int:
    """The pid of the worker's work-horse: the forked child that leads its own process group (the job runs there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            try:
                if os.getpgid(int(child)) == int(child):
                    return int(child)
            except ProcessLookupError:
                continue
        time.sleep(0.01)
    raise TimeoutError("the worker started no work-horse")
