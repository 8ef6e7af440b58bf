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
from hazardloop.extensions import db

log = logging.getLogger(__name__)

# Seconds after which a worker whose RQ scheduler died starts it again (RestartsItsScheduler).
SCHEDULER_RESTART_S = 5


class AppContextJobs:
    """Run each job in a fresh application context of ``app`` (mixed into RQ's worker classes)."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue, execution)  # type: ignore[misc, no-any-return]


class RestartsItsScheduler:
    """Start RQ's scheduler again soon after it died (mixed into RQ's worker classes).

    The scheduler (it queues delayed jobs: photo holds, retries) is a child process that exits when it
    loses Redis, as in a Sentinel failover; RQ starts it again only at its 10-minute maintenance, so
    delayed jobs would wait that long. Here a dead one is restarted at the worker's next loop after
    SCHEDULER_RESTART_S (the worker loops at least at every job, and the relay is one every 10 s). Once
    per dead process: if another worker's scheduler took the lock meanwhile, RQ's own schedule applies.
    """

    scheduler: Any
    last_cleaned_at: Any
    _restart_tried_for: Any = None

    @property
    def should_run_maintenance_tasks(self) -> bool:
        process = self.scheduler._process if self.scheduler is not None else None
        if (process is not None and not process.is_alive() and process is not self._restart_tried_for
                and self.last_cleaned_at is not None
                and (rq_now() - self.last_cleaned_at).total_seconds() > SCHEDULER_RESTART_S):
            return True
        return super().should_run_maintenance_tasks  # type: ignore[misc, no-any-return]

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        # Reached only with Redis answering: a scheduler still dead now lost the lock to another worker's.
        process = self.scheduler._process if self.scheduler is not None else None
        self._restart_tried_for = process if process is not None and not process.is_alive() else None


class ForkingAppWorker(RestartsItsScheduler, AppContextJobs, Worker):
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


class InProcessAppWorker(RestartsItsScheduler, AppContextJobs, SimpleWorker):
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
