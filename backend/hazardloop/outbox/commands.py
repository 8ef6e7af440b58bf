"""`hazardloop jobs …`: the failed list, retrying a failed message, relaying the outbox by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hazardloop.extensions import db

jobs_cli = AppGroup("jobs", help="后台任务：失败列表、重试、转发待办。")


@jobs_cli.command("failed")
@click.option("--limit", default=50, show_default=True)
def failed_command(limit: int) -> None:
    """List outbox messages that failed every attempt, and jobs in RQ's failed registry."""
    from rq.registry import FailedJobRegistry

    from hazardloop.cli import require_current_schema
    from hazardloop.extensions import rq
    from hazardloop.outbox.services import failed_messages

    require_current_schema()
    messages = failed_messages(limit)
    click.echo(f"失败的待办消息：{len(messages)}")
    for m in messages:
        click.echo(f"  #{m.id} {m.kind} 尝试{m.attempts}次 {m.created_at:%Y-%m-%d %H:%M} {m.last_error or ''}")
    try:
        for name, queue in rq.queues.items():
            registry = FailedJobRegistry(queue=queue)
            ids = registry.get_job_ids(0, limit - 1)
            click.echo(f"RQ 队列 {name} 失败任务：{registry.count}")
            for job in queue.job_class.fetch_many(ids, connection=queue.connection):
                if job is not None:
                    last = (job.latest_result().exc_string or "").strip().splitlines()[-1:] if job.latest_result() \
                        else []
                    click.echo(f"  {job.id} {job.func_name} {' '.join(last)}")
    except OSError as exc:
        click.echo(f"Redis 不可用：{exc}", err=True)


@jobs_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Put a failed outbox message back in line (the relay enqueues it)."""
    from hazardloop.outbox.services import retry_message

    try:
        retry_message(message_id)
    except LookupError as exc:
        raise click.ClickException(f"没有待办消息 #{message_id}") from exc
    db.session.commit()
    click.echo(f"待办消息 #{message_id} 已重新排队。")


@jobs_cli.command("relay")
def relay_command() -> None:
    """Enqueue every pending outbox message Redis does not hold (what the periodic relay does)."""
    from hazardloop.outbox.services import relay_pending

    click.echo(f"已转发 {relay_pending()} 条待办消息。")
