"""Several nodes on one Redis: each periodic job's tick claimed once across the cluster (集群定时任务).

Every `hazardloop worker` runs RQ's cron scheduler, so with two nodes two schedulers see each tick.
Before a scheduler enqueues a due job it claims the tick in Redis with ``SET NX`` and an expiry
(times are Redis's, so the nodes' clocks do not matter):

- a job with a cron string (``"5 0 * * *"``) claims the scheduled instant itself; every scheduler
  computes the same instant, so exactly one enqueues it, whichever comes first;
- a job with an interval claims a lease of 80 % of the interval; the first scheduler to arrive
  enqueues and the others, finding the lease, wait for their next turn. If that node dies the
  lease runs out and another node's next turn takes the job over, within one interval.

A scheduler that loses Redis stops (RQ's own behaviour); the worker starts it again.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime
from typing import Any

from flask_rq import RQ
from flask_rq._make import make_default_connection
from redis import Redis
from rq.cron import CronJob, CronScheduler
from rq.utils import now

log = logging.getLogger(__name__)

KEY_PREFIX = "hazardloop:cron"
# An interval job's lease, as a share of its interval: long enough that two schedulers a few seconds
# apart do not both run a tick, short enough that a scheduler a little early still gets its next one.
INTERVAL_LEASE_SHARE = 0.8
# How long a cron instant's claim is kept: far longer than any difference between the nodes' clocks.
CRON_CLAIM_TTL_S = 2 * 24 * 3600


def tick_key(job: CronJob, due: datetime | None) -> tuple[str, int]:
    """The Redis key claiming ``job``'s current tick, and how many milliseconds the claim lasts."""
    if job.cron:
        assert due is not None  # a cron job always knows its next instant
        return f"{KEY_PREFIX}:{job.name}:at:{int(due.timestamp())}", CRON_CLAIM_TTL_S * 1000
    assert job.interval
    return f"{KEY_PREFIX}:{job.name}:lease", max(1, int(job.interval * INTERVAL_LEASE_SHARE * 1000))


def claim_tick(connection: Redis, job: CronJob, due: datetime | None, owner: str) -> bool:
    """Claim ``job``'s tick due at ``due`` for ``owner``; False when another scheduler already has it."""
    key, ttl_ms = tick_key(job, due)
    return bool(connection.set(key, owner, nx=True, px=ttl_ms))


class ClusterCronScheduler(CronScheduler):
    """RQ's cron scheduler that enqueues a due job only after claiming its tick in Redis."""

    def enqueue_jobs(self) -> list[CronJob]:
        enqueue_time = now()
        enqueued: list[CronJob] = []
        for job in self._cron_jobs:
            if not job.should_run():
                continue
            if claim_tick(self.connection, job, job.next_enqueue_time, self.name):
                job.enqueue(self.connection)
                enqueued.append(job)
            else:
                log.debug("cron: %s's tick is another node's", job.name)
            job.set_enqueue_time(enqueue_time)  # this tick is done here, by us or by another node
        return enqueued


def scheduler_name() -> str:
    """This scheduler's name in RQ's registry: one per node and process (RQ's default; not the app's name)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ClusterRQ(RQ):
    """Flask-RQ whose cron scheduler (``flask rq cron``, the worker's cron child) is cluster-safe."""

    def make_cron_scheduler(self) -> ClusterCronScheduler:
        app: Any = self._get_current_app()
        scheduler = ClusterCronScheduler(connection=make_default_connection(app), name=scheduler_name())
        for item in self._cron_job_data:
            scheduler.register(**item)
        return scheduler


def node_local_settings(config: Any, environ: Any = os.environ) -> list[str]:
    """Settings this node made up for itself that every node of a cluster must share, as warnings for people.

    Only where a cluster is possible (PostgreSQL): a single box on SQLite is one node by construction.
    """
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        return []
    found = []
    if not environ.get("SECRET_KEY"):
        found.append("SECRET_KEY 未在环境变量中设置，本节点使用实例目录中自动生成的密钥；"
                     "多个节点时请在每个节点设置相同的 SECRET_KEY，否则登录会话在节点之间失效。")
    if not environ.get("VAPID_PRIVATE_KEY_FILE"):
        found.append("VAPID_PRIVATE_KEY_FILE 未设置，本节点使用实例目录中自动生成的推送密钥；"
                     "多个节点时请让每个节点使用同一个密钥文件，否则浏览器推送订阅在节点之间失效。")
    return found
