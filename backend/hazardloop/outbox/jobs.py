"""Background jobs of the outbox: run one message, relay the pending ones."""

from __future__ import annotations

from hazardloop.extensions import rq


@rq.job
def run_outbox_message(message_id: int) -> str:
    """Run one outbox message (idempotent: a message already done is skipped)."""
    from hazardloop.outbox.services import run_message

    return run_message(message_id)


@rq.job
def relay_outbox() -> int:
    """Enqueue every pending outbox message Redis does not hold (lost, or never handed over)."""
    from hazardloop.outbox.services import relay_pending

    return relay_pending()
