"""Write background work into the outbox with the change, and relay pending rows to RQ.

The mechanism, in one place: ``enqueue_after_commit`` adds an ``outbox_messages`` row in the
caller's transaction, so the work exists exactly when the change does. After the commit succeeds
the session hands the new rows to RQ at once (job id ``outbox-<id>``); if Redis is down that
attempt is only logged. ``relay_pending`` — run every few seconds by the cron scheduler and by
``hazardloop jobs relay`` — enqueues every pending row whose job Redis does not hold (never
handed over, or lost when Redis restarted empty). ``run_message`` claims the row with a
conditional UPDATE, so two workers running the same job produce one effect.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from pkgutil import resolve_name
from typing import Any

import redis
from flask import current_app, has_app_context
from rq import Retry
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from hazardloop.bulk import insert_ignoring_duplicates, insert_rows
from hazardloop.database import utcnow
from hazardloop.extensions import db, rq
from hazardloop.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

# What each kind of message runs, as "module:function"; the function takes the payload as keywords.
HANDLERS: dict[str, str] = {
    "hazard.transitioned": "hazardloop.notifications.services:notify_transition",
    "hazard.self_reported": "hazardloop.selfchecks.services:notify_major_self_finding",
    "notification.deliver": "hazardloop.notifications.services:deliver_notification",
    "reporter.sms": "hazardloop.notifications.reporters:send_reporter_sms",
    "push.deliver": "hazardloop.notifications.push:deliver_push",
    "delivery.send": "hazardloop.notifications.deliveries:send_by_id",  # a released or retried delivery
    "webhook.deliver": "hazardloop.notifications.webhooks:deliver_webhook",
    "photo.derivatives": "hazardloop.evidence.services:make_photo_derivatives",
    "imports.check": "hazardloop.imports.services:check_import",
    "imports.apply": "hazardloop.imports.services:apply_import",
    "accounts.invite": "hazardloop.administration.services:send_invitation",
}
# Seconds a job of a kind may run before RQ stops it (RQ's default of 180 s for the others): an import
# reads a file of up to IMPORT_MAX_ROWS rows; a stopped one resumes where its last batch committed.
JOB_TIMEOUTS: dict[str, int] = {"imports.check": 1800, "imports.apply": 1800}
# Short, frequent jobs the worker runs in its own process instead of a forked work-horse: a fork of
# the preloaded worker costs more CPU (copy-on-write faults, a new database connection) than the job
# (photo derivatives: ~240 ms of worker CPU per job forked against ~75 ms in process, benchmarks/sync_rush.py).
IN_PROCESS_KINDS = frozenset({"photo.derivatives"})
# What to call, in the transaction that marks a message "failed" for good, so the feature can show
# the failure on its own object; "module:function", called with the payload and ``error``.
ON_FAILED: dict[str, str] = {
    "notification.deliver": "hazardloop.notifications.deliveries:delivery_failed",
    "reporter.sms": "hazardloop.notifications.deliveries:delivery_failed",
    "delivery.send": "hazardloop.notifications.deliveries:delivery_failed",
    "push.deliver": "hazardloop.notifications.deliveries:delivery_failed",
    "photo.derivatives": "hazardloop.evidence.services:photo_derivatives_failed",
    "imports.check": "hazardloop.imports.services:import_failed",
    "imports.apply": "hazardloop.imports.services:import_failed",
}

_PENDING_KEY = "outbox_pending"
_LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def enqueue_after_commit(kind: str, payload: dict[str, Any], dedupe_key: str, *,
                         delay_s: float = 0) -> OutboxMessage:
    """Record background work in the current transaction; it runs after commit (``delay_s`` later), once.

    Writing the same ``dedupe_key`` again returns the existing message. Raises KeyError for an
    unknown ``kind``. Records one ``outbox_messages`` row.
    """
    if kind not in HANDLERS:
        raise KeyError(f"unknown outbox message kind: {kind}")
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = OutboxMessage(kind=kind, payload=payload, dedupe_key=dedupe_key, status="pending", attempts=0)
    db.session.add(message)
    db.session.flush()
    _remember_for_hand_over(db.session(), message.id, kind, delay_s)
    return message


def enqueue_many_after_commit(items: list[tuple[str, dict[str, Any], str]], *, new_keys: bool = False) -> int:
    """``enqueue_after_commit`` for many (kind, payload, dedupe_key) at once; returns how many were new.

    ``new_keys``: the caller guarantees the keys are new (derived from rows it has just inserted), so the
    rows go in the fast way (COPY on PostgreSQL) and a duplicate raises instead of being skipped.
    """
    unknown = {kind for kind, _, _ in items} - set(HANDLERS)
    if unknown:
        raise KeyError(f"unknown outbox message kinds: {sorted(unknown)}")
    now = utcnow()
    rows = [{"kind": kind, "payload": payload, "dedupe_key": key, "status": "pending", "attempts": 0,
             "created_at": now} for kind, payload, key in items]
    if new_keys:
        inserted = [(i, row["kind"]) for i, row in zip(insert_rows(OutboxMessage, rows), rows, strict=True)]
    else:
        inserted = insert_ignoring_duplicates(OutboxMessage, rows, ["dedupe_key"], [OutboxMessage.id,
                                                                                  OutboxMessage.kind]) if rows else []
    for message_id, kind in inserted:
        _remember_for_hand_over(db.session(), message_id, kind)
    return len(inserted)


def _remember_for_hand_over(session: Session, message_id: int, kind: str, delay_s: float = 0) -> None:
    pending = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        event.listen(session, "after_commit", _hand_over)
        event.listen(session, "after_rollback", _forget)
    pending.append((message_id, kind, delay_s))


def _forget(session: Session) -> None:
    session.info.get(_PENDING_KEY, []).clear()


def _hand_over(session: Session) -> None:
    """After commit: try to enqueue the new messages now; the relay catches whatever fails here."""
    ids = list(session.info.get(_PENDING_KEY, []))
    session.info.get(_PENDING_KEY, []).clear()
    if not ids or not has_app_context():
        return
    try:
        for message_id, kind, delay_s in ids:
            if delay_s > 0:
                _enqueue(message_id, kind, delay_s)
        _enqueue_many([(message_id, kind) for message_id, kind, delay_s in ids if delay_s <= 0])
    except (redis.RedisError, OSError) as exc:
        log.warning("outbox: Redis unavailable, %d message(s) left for the relay: %s", len(ids), exc)


def retry_policy() -> Retry:
    intervals = current_app.config["OUTBOX_RETRY_INTERVALS"]
    return Retry(max=len(intervals), interval=intervals)


def max_attempts() -> int:
    return len(current_app.config["OUTBOX_RETRY_INTERVALS"]) + 1


def _job_options(message_id: int, kind: str, retry: Retry) -> dict[str, Any]:
    """What every outbox job carries, queued one by one or many at once (RQ's ``prepare_data`` names)."""
    return {"job_id": f"outbox-{message_id}", "retry": retry, "failure_ttl": 30 * 24 * 3600,
            "timeout": JOB_TIMEOUTS.get(kind), "meta": {"kind": kind, "in_process": kind in IN_PROCESS_KINDS}}


def _enqueue(message_id: int, kind: str, delay_s: float = 0) -> Job:
    from hazardloop.outbox.jobs import run_outbox_message

    options = _job_options(message_id, kind, retry_policy())
    options["job_timeout"] = options.pop("timeout")  # enqueue's name for it
    if delay_s > 0:  # RQ's scheduler (in every worker) queues it then; the relay leaves a scheduled job alone
        return run_outbox_message.enqueue_in(delay_s, message_id, **options)
    return run_outbox_message.enqueue(message_id, **options)


def _enqueue_many(messages: list[tuple[int, str]], chunk: int = 1000) -> None:
    """``_enqueue`` for many (message id, kind) without delay: one Redis round trip per ``chunk`` (a sweep hands
    over thousands, and a round trip each cost more than the sweep's database work)."""
    from rq import Queue

    from hazardloop.outbox.jobs import run_outbox_message

    queue, retry = rq.queues[run_outbox_message.queue], retry_policy()
    for start in range(0, len(messages), chunk):
        queue.enqueue_many([Queue.prepare_data(run_outbox_message.func, args=(message_id,),
                                               **_job_options(message_id, kind, retry))
                            for message_id, kind in messages[start:start + chunk]])


def relay_pending(limit: int = 1000) -> int:
    """Enqueue pending messages whose RQ job is missing or dead; return how many were enqueued.

    Raises redis errors when Redis is down (the caller retries later). Sets ``enqueued_at``.
    """
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")
                              .order_by(OutboxMessage.id).limit(limit)).all()
    if not rows:
        return 0
    connection = rq.queue.connection
    # A job whose worker died with it (SIGKILL, a lost node) stays "started" until RQ's own maintenance, every
    # 10 minutes. Abandon it as soon as its execution's heartbeat has lapsed (at most 90 s): RQ then retries it
    # or fails it, and a failed one is queued again below (the cluster test, scripts/cluster.py, kills one).
    StartedJobRegistry(queue=rq.queue).cleanup()
    statuses = Job.fetch_many([row.job_id for row in rows], connection=connection)
    count = 0
    for row, job in zip(rows, statuses, strict=True):
        if job is not None and job.get_status(refresh=False) in _LIVE_STATUSES:
            continue
        if job is not None:
            job.delete()  # failed or stopped by a killed worker while the row is still pending
        _enqueue(row.id, row.kind)
        row.enqueued_at = utcnow()
        count += 1
    db.session.commit()
    return count


def run_message(message_id: int) -> str:
    """Run one outbox message's handler and mark it done; a second run is a no-op.

    On failure records ``attempts`` and ``last_error`` (status ``failed`` after the last attempt)
    and re-raises, so RQ retries with backoff.
    """
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        return "missing"
    # The claim takes the row's write lock: a concurrent run of the same message waits here,
    # then finds it no longer pending.
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(attempts=OutboxMessage.attempts + 1).execution_options(synchronize_session=False))
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        db.session.rollback()
        return "already done"
    db.session.refresh(message)
    handler: Callable[..., Any] = resolve_name(HANDLERS[message.kind])
    try:
        handler(**message.payload)
        message.status, message.processed_at, message.last_error = "done", utcnow(), None
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(message_id, exc)
        raise
    return "done"


def _record_failure(message_id: int, exc: BaseException) -> None:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        return
    message.attempts += 1
    message.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
    if message.attempts >= max_attempts():
        message.status = "failed"
        if message.kind in ON_FAILED:
            resolve_name(ON_FAILED[message.kind])(error=message.last_error, **message.payload)
    db.session.commit()


def failed_messages(limit: int = 100) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")
                                   .order_by(OutboxMessage.id.desc()).limit(limit)))


def retry_message(message_id: int) -> OutboxMessage:
    """Put a failed message back to pending (attempts reset); the relay enqueues it."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise LookupError(message_id)
    message.status, message.attempts, message.enqueued_at = "pending", 0, None
    db.session.flush()
    return message


def pending_count(older_than: dt.timedelta | None = None) -> int:
    from sqlalchemy import func

    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
    if older_than is not None:
        query = query.where(OutboxMessage.created_at < utcnow() - older_than)
    return int(db.session.scalar(query) or 0)
