"""Running the outbox in a test the way the worker does: every pending message, then those the handlers queued."""

from __future__ import annotations

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
