"""Running the outbox in a test the way the worker does: every pending message, then those the handlers queued."""

from __future__ import annotations

from typing import Any

from rq import SimpleWorker
from sqlalchemy import select

from hazardloop.extensions import db
from hazardloop.outbox.models import OutboxMessage
from hazardloop.outbox.services import run_message


def run_outbox(*, but: str = "") -> None:
    """Run every pending outbox message as the worker would, and those they queue (``but`` one kind, left waiting)."""
    for _ in range(10):  # a handler queues the next step at most a few times over
        pending = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                                    OutboxMessage.kind != but)
                                     .order_by(OutboxMessage.id)).all()
        if not pending:
            return
        for message_id in pending:
            run_message(message_id)


def drain(app: Any) -> None:
    """Run every queued job in this process (RQ's SimpleWorker, in the app context), until the queue is empty."""
    from hazardloop.extensions import rq

    queue = rq.queue
    SimpleWorker([queue], connection=queue.connection, job_class=queue.job_class).work(burst=True)
