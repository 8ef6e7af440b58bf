"""Periodic jobs run once per tick across the cluster, however many nodes run a cron scheduler."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from rq.cron import CronScheduler, get_cron_job_ids
from rq.job import Job

from hazardloop.cluster import ClusterCronScheduler, tick_key
from hazardloop.schedule import periodic_jobs
from hazardloop.system.jobs import health_check
from tests.support.cli import HAZARDLOOP

HEALTH_CHECK = "hazardloop.system.jobs.health_check"


def two_nodes(conn: redis.Redis, **when: object) -> list[ClusterCronScheduler]:
    """Two cron schedulers on one Redis, as two `hazardloop worker` nodes run them, with the same job."""
    nodes = [ClusterCronScheduler(connection=conn, name=f"node-{n}") for n in ("a", "b")]
    for node in nodes:
        node.register(health_check.func, "default", args=("tick",), **when)  # type: ignore[arg-type]
    return nodes


def test_a_cron_instant_is_enqueued_by_one_node_only(app):
    conn = redis.Redis.from_url(app.config["REDIS_URL"])
    nodes = two_nodes(conn, cron="*/5 * * * *")
    instant = nodes[0].get_jobs()[0].next_enqueue_time
    assert all(node.get_jobs()[0].next_enqueue_time == instant for node in nodes)  # both see the same tick

    for tick in range(3):  # three (distinct) instants come due on both nodes
        due = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5 * (3 - tick))
        for node in nodes:
            node.get_jobs()[0].next_enqueue_time = due
        enqueued = [len(node.enqueue_jobs()) for node in nodes]
        assert sorted(enqueued) == [0, 1], f"tick {tick}: {enqueued}"
        for node in nodes:  # the loser moved on to the next instant too, it does not retry this one
            assert node.get_jobs()[0].next_enqueue_time > dt.datetime.now(dt.UTC)
    assert len(get_cron_job_ids(HEALTH_CHECK, conn)) == 3


def test_an_interval_tick_is_leased_and_taken_over_when_the_lease_runs_out(app):
    conn = redis.Redis.from_url(app.config["REDIS_URL"])
    nodes = two_nodes(conn, interval=2)
    assert [len(node.enqueue_jobs()) for node in nodes] == [1, 0]  # both start at once: one runs it
    key, ttl_ms = tick_key(nodes[0].get_jobs()[0], None)
    assert ttl_ms == 1600 and 0 < conn.pttl(key) <= 1600

    # Node a dies. Node b's next turn comes while a's lease still holds: nothing runs twice.
    b_job = nodes[1].get_jobs()[0]
    b_job.next_enqueue_time = dt.datetime.now(dt.UTC)
    assert nodes[1].enqueue_jobs() == []
    # Once the lease has run out, b's next turn takes the job over.
    deadline = time.monotonic() + 5
    while conn.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)
    b_job.next_enqueue_time = dt.datetime.now(dt.UTC)
    assert nodes[1].enqueue_jobs() == [b_job]
    assert conn.get(key) == b"node-b"
    assert len(get_cron_job_ids(HEALTH_CHECK, conn)) == 2


def test_the_apps_cron_scheduler_is_the_cluster_safe_one_with_a_name_per_node(app):
    from hazardloop.extensions import rq

    scheduler = rq.make_cron_scheduler()
    assert isinstance(scheduler, ClusterCronScheduler)
    assert scheduler.name.endswith(f":{os.getpid()}")  # not the app's name, which every node shares


# --- two real worker nodes ----------------------------------------------------------------------

OBSERVE_S = 12  # a turn of the 10-second outbox relay on each node after both schedulers are up


def start_node(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([HAZARDLOOP, "worker", "--name", name, "--processes", "1"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def enqueue_times(conn: redis.Redis, name: str) -> list[dt.datetime]:
    jobs = [Job.fetch(job_id, connection=conn) for job_id in get_cron_job_ids(name, conn)]
    return sorted(job.enqueued_at for job in jobs if job.enqueued_at)


@pytest.mark.postgresql_only  # whole worker processes; the schedule does not depend on the database
def test_two_worker_nodes_run_each_periodic_tick_once(app, tmp_path):
    url = app.config["REDIS_URL"]
    conn = redis.Redis.from_url(url)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": url,
           "RATELIMIT_STORAGE_URI": url}
    nodes = []
    for name in ("node-a", "node-b"):  # two machines: each its own storage folder, only Redis and PG shared
        node_env = {**env, "STORAGE_DIR": str(tmp_path / name), "HAZARDLOOP_INSTANCE_PATH": str(tmp_path / name)}
        nodes.append(start_node(name, node_env, tmp_path / f"{name}.log"))

    def logs() -> str:
        return "\n".join(f"--- {n}\n" + (tmp_path / f"{n}.log").read_text()[-2000:] for n in ("node-a", "node-b"))

    try:
        # A worker node's start (app, RQ, its cron child) takes ~5 s on an idle machine and ~60 s at load 15.
        deadline = time.monotonic() + 150
        while len(CronScheduler.all(conn)) < 2 and time.monotonic() < deadline:
            assert all(node.poll() is None for node in nodes), logs()
            time.sleep(0.2)
        assert len(CronScheduler.all(conn)) == 2, f"the two nodes' cron schedulers did not both start\n{logs()}"
        both_up = dt.datetime.now(dt.UTC)
        while dt.datetime.now(dt.UTC) < both_up + dt.timedelta(seconds=OBSERVE_S):
            assert all(node.poll() is None for node in nodes), logs()
            time.sleep(0.5)
    finally:
        for node in nodes:
            stop(node)
    logs = "\n".join(f"--- {n}\n" + (tmp_path / f"{n}.log").read_text()[-3000:] for n in ("node-a", "node-b"))

    intervals = {f"{job.__module__}.{job.__name__}": when for job, when in periodic_jobs() if isinstance(when, int)}
    relay = enqueue_times(conn, "hazardloop.outbox.jobs.relay_outbox")
    # Every tick once: successive relays at least the lease (80 % of 10 s) apart, never a pair from two nodes.
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(relay)]
    assert len(relay) >= 2 and all(gap >= 7.9 for gap in gaps), (gaps, logs)
    assert len([t for t in relay if t >= both_up]) <= OBSERVE_S // 8 + 1, relay
    # Jobs of a minute or more: their first tick came while both nodes were up, and ran once.
    for name, interval in intervals.items():
        if interval >= 60:
            assert len(get_cron_job_ids(name, conn)) == 1, (name, logs)
    # And the ticks were run, by the workers.
    statuses = [Job.fetch(job_id, connection=conn).get_status() for job_id in
                get_cron_job_ids("hazardloop.outbox.jobs.relay_outbox", conn)]
    assert statuses.count("finished") >= 1, (statuses, logs)
