"""The RQ worker of `hazardloop worker`: a preloaded parent that forks one work-horse per job.

Flask-RQ 1.0's own worker starts ``python -m flask rq work-horse`` for every job, which builds the
app and imports the code again (2–4 s of CPU a job, so the 10-second outbox relay alone kept a core
busy). Here the parent builds the app and imports every module once, then RQ's forking ``Worker``
copies that process for each job: a work-horse starts in milliseconds. In the horse the SQLAlchemy
pools inherited from the parent are dropped without closing them (their sockets belong to the
parent), so a job never shares a database connection across processes; every job runs in its own
app context, whose teardown removes the session, as Flask-RQ's work-horse command gave it.
Queues and enqueueing stay Flask-RQ's (``rq.queues``, ``job.enqueue``).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import pkgutil
from collections.abc import Sequence
from typing import Any

from flask import Flask
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.utils import now as rq_now
from rq.worker import WorkerStatus

import hazardloop
from hazardloop.database import plan_with_values
from hazardloop.extensions import db

log = logging.getLogger(__name__)

# Seconds after which a worker whose RQ scheduler is not running tries to start one (RestartsItsScheduler).
SCHEDULER_RESTART_S = 5


class AppContextJobs:
    """Run each job in a fresh application context of ``app`` (mixed into RQ's worker classes)."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with self.app.app_context():
            plan_with_values()  # jobs are the sweeps, figures and exports: no generic plans (config.py)
            return super().perform_job(job, queue, execution)  # type: ignore[misc, no-any-return]


class RestartsItsScheduler:
    """Keep one RQ scheduler running in the cluster within seconds (mixed into RQ's worker classes).

    The scheduler (it queues delayed jobs: photo holds, retries) is a child process of the one worker that
    holds its lock in Redis (61 s, refreshed every second). It exits when it loses Redis, as in a Sentinel
    failover, and it dies with its worker when a node is lost; RQ tries to start one again only at its
    10-minute maintenance, so delayed jobs would wait that long. Here every worker whose scheduler is not
    running tries again at its next loop once SCHEDULER_RESTART_S have passed since its last try (the worker
    loops at least at every job, and the relay is one every 10 s): a scheduler that died is started again at
    once, and the lock of a dead node's scheduler is taken over as soon as it expires (the cluster test,
    scripts/cluster.py, loses such a node).
    """

    scheduler: Any
    last_cleaned_at: Any

    @property
    def should_run_maintenance_tasks(self) -> bool:
        process = self.scheduler._process if self.scheduler is not None else None
        if (self.scheduler is not None and (process is None or not process.is_alive())
                and self.last_cleaned_at is not None
                and (rq_now() - self.last_cleaned_at).total_seconds() > SCHEDULER_RESTART_S):
            return True  # RQ's maintenance starts a scheduler when it gets the lock, and sets last_cleaned_at
        return super().should_run_maintenance_tasks  # type: ignore[misc, no-any-return]


class TakesOverItsDeadName:
    """Start under the name of this machine's worker that died without a word (mixed into RQ's worker classes).

    RQ refuses a name whose worker it still holds for alive: after a SIGKILL, an OOM kill or a lost node that
    lasts until the dead worker's key expires, up to 8 minutes, while systemd restarts `hazardloop worker
    --name %H` every 2 s (deploy/systemd). A worker of the same name on the same host whose process is gone
    (or whose pid is now this process's: a container's restart) is dead, so its entry is marked so first.
    """

    connection: Any
    key: str
    hostname: str | None
    name: str

    def register_birth(self) -> None:
        host, pid, death = self.connection.hmget(self.key, "hostname", "pid", "death")
        if host is not None and death is None and host.decode() == self.hostname and pid and _gone(int(pid)):
            log.warning("worker %s: the previous worker of this name on this host died without a word; "
                        "taking its name over", self.name)
            self.connection.hset(self.key, "death", rq_now().isoformat())
        super().register_birth()  # type: ignore[misc]


def _gone(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class ForkingAppWorker(TakesOverItsDeadName, RestartsItsScheduler, AppContextJobs, Worker):
    """RQ's forking worker: a killed or crashing job takes only its work-horse down."""

    def __init__(self, queues: Sequence[Queue], *, app: Flask, **kwargs: Any) -> None:
        super().__init__(queues, **kwargs)
        self.app = app

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        with self.app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)  # the parent's connections stay the parent's
        super().main_work_horse(job, queue)

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Fork a work-horse, except for jobs marked ``in_process`` (outbox.services.IN_PROCESS_KINDS).

        Those run here as in RQ's SimpleWorker (same timeout by SIGALRM), keeping their database
        connection from job to job; a horse forked later drops the inherited pool (main_work_horse).
        """
        if not job.meta.get("in_process"):
            super().execute_job(job, queue)
            return
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)


class InProcessAppWorker(TakesOverItsDeadName, RestartsItsScheduler, AppContextJobs, SimpleWorker):
    """Jobs in the worker's own process (no fork): for platforms without fork, or debugging a job."""

    def __init__(self, queues: Sequence[Queue], *, app: Flask, **kwargs: Any) -> None:
        super().__init__(queues, **kwargs)
        self.app = app


def preload_application_code() -> list[str]:
    """Import every hazardloop module now, so no work-horse pays for an import; returns those that failed.

    Jobs import their services lazily (to keep import cycles out of the job modules); after this,
    those imports are dictionary look-ups in the forked horse.
    """
    failed = []
    for module in pkgutil.walk_packages(hazardloop.__path__, prefix="hazardloop."):
        try:
            importlib.import_module(module.name)
        except Exception as exc:  # a broken optional module must not stop the worker; its jobs will say so
            log.warning("worker: could not preload %s: %s", module.name, exc)
            failed.append(module.name)
    return failed


def make_worker(app: Flask, queue_names: Sequence[str] | None = None, *, fork: bool = True,
                **kwargs: Any) -> Worker | SimpleWorker:
    """A worker for ``app``'s Flask-RQ queues (all configured ones by default), ready to ``work()``.

    Call it in the app context. Leaves the parent with no open database connection and the
    preloaded objects frozen out of the garbage collector, so forked horses share their pages.
    """
    queues = app.extensions["rq"].queues
    watched = [queues[name] for name in queue_names] if queue_names else list(queues.values())
    preload_application_code()
    db.session.remove()
    for engine in db.engines.values():
        engine.dispose()
    gc.collect()
    gc.freeze()
    worker_class = ForkingAppWorker if fork else InProcessAppWorker
    return worker_class(watched, app=app, connection=watched[0].connection, job_class=watched[0].job_class,
                        **kwargs)
