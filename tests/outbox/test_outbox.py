"""The outbox: written with the change, handed to RQ after commit, relayed when lost, run once, failures visible."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import func, select

from hazardloop.notifications.models import ChannelPreference, Notification
from hazardloop.outbox.models import OutboxMessage
from hazardloop.outbox.services import relay_pending, run_message
from tests.support.cli import run_cli
from tests.support.deadlines import assign_hazard, end_of


def messages(db, kind=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


def queued_ids(app):
    conn = redis.Redis.from_url(app.config["RQ_CONNECTION"])
    return [i.decode() for i in conn.lrange("rq:queue:default", 0, -1)]


def test_a_transition_writes_its_message_and_hands_it_to_rq_after_commit(app, db, parties):
    hazard = assign_hazard(parties, deadline=end_of("2026-12-08"))
    [message] = messages(db, "hazard.transitioned")
    assert message.payload["hazard_id"] == hazard.id and message.payload["action"] == "assign"
    assert message.status == "pending"
    assert queued_ids(app) == [f"outbox-{message.id}"]


def test_a_rolled_back_change_leaves_neither_message_nor_job(app, db, parties):
    from hazardloop.hazards.services import create_hazard, transition
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    hazard = create_hazard(site=parties.shop, source=HazardSource.GRID_PATROL, description="灭火器过期",
                           level=HazardLevel.GENERAL, domain="fire", actor=parties.worker,
                           actor_role=Role.GRID_WORKER, found_at=end_of("2026-11-20"))
    db.session.commit()
    transition(hazard, "assign", actor=parties.worker)
    db.session.rollback()
    db.session.commit()  # a later commit must not hand over the rolled-back message
    assert messages(db) == [] and queued_ids(app) == []


def test_the_relay_enqueues_what_redis_lost_and_nothing_twice(app, db, parties):
    assign_hazard(parties, deadline=end_of("2026-12-08"))
    assert relay_pending() == 0  # handed over at commit: already queued
    redis.Redis.from_url(app.config["RQ_CONNECTION"]).flushdb()  # Redis restarted empty
    assert relay_pending() == 1
    assert relay_pending() == 0
    assert len(queued_ids(app)) == 1


def test_running_a_message_twice_has_the_effect_of_once(app, db, parties):
    assign_hazard(parties, deadline=end_of("2026-12-08"))
    [message] = messages(db, "hazard.transitioned")
    assert run_message(message.id) == "done"
    assert run_message(message.id) == "already done"
    owners = db.session.scalar(select(func.count()).select_from(Notification)
                               .where(Notification.user_id == parties.owner.id))
    assert owners == 1


# Whole RQ work-horse processes (~4 s each) whose behaviour does not depend on the database.
@pytest.mark.postgresql_only
def test_a_failing_job_is_retried_with_backoff_then_listed_as_failed(app, db, parties, cli_env, monkeypatch):
    from hazardloop.notifications.services import notify
    from hazardloop.outbox.services import retry_message

    monkeypatch.setitem(app.config, "OUTBOX_RETRY_INTERVALS", [0, 0])  # backoff without the wait
    db.session.add(ChannelPreference(user_id=parties.owner.id, event_kind="*", channel="email",
                                     address="owner@example.com"))
    notify([parties.owner.id], kind="reminder.due_day", title="整改期限当日提醒", body="", hazard_id=None,
           dedupe_key="test")
    db.session.commit()  # handed to RQ; the SMTP server is unreachable, so every attempt fails
    env = {**cli_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9", "OUTBOX_RETRY_INTERVALS": "0,0"}
    result = run_cli("worker", "--burst", env=env)
    assert result.returncode == 0, result.stderr
    db.session.expire_all()
    [delivery] = messages(db, "notification.deliver")
    assert (delivery.status, delivery.attempts) == ("failed", 3), result.stdout[-3000:]
    assert "SMTP" in delivery.last_error
    listing = run_cli("jobs", "failed", env=env)
    assert f"#{delivery.id} notification.deliver 尝试3次" in listing.stdout, listing.stderr
    assert f"outbox-{delivery.id}" in listing.stdout  # RQ's failed registry too
    retry_message(delivery.id)
    db.session.commit()
    assert relay_pending() == 1  # `hazardloop jobs retry` puts it back in line; the relay enqueues it


def test_a_job_whose_worker_died_mid_run_is_run_again_once_its_heartbeat_lapses(app, db, parties):
    """A worker SIGKILLed mid-job (a lost node) leaves its job "started" in RQ; RQ's own maintenance would
    abandon it only every 10 minutes. The relay abandons it as soon as its heartbeat has lapsed, and the
    message runs again, once; a started job whose heartbeat is fresh is left to its worker."""
    import time

    from rq.job import Job, JobStatus
    from rq.registry import StartedJobRegistry

    from hazardloop.extensions import rq
    from tests.support.outbox import drain

    assign_hazard(parties, deadline=end_of("2026-12-08"))
    [message] = messages(db, "hazard.transitioned")
    connection = rq.queue.connection
    job = Job.fetch(f"outbox-{message.id}", connection=connection)
    registry = StartedJobRegistry(queue=rq.queue)

    def taken_by_a_worker(heartbeat_until: float) -> None:
        """What a worker's work-horse writes when it starts the job: off the queue, started, in the registry."""
        rq.queue.remove(job.id)
        job.set_status(JobStatus.STARTED)
        connection.zadd(registry.key, {f"{job.id}:exec-of-a-worker": heartbeat_until})

    taken_by_a_worker(time.time() + 60)  # alive: its worker is still beating
    assert relay_pending() == 0
    assert job.get_status(refresh=True) == JobStatus.STARTED and queued_ids(app) == []

    connection.delete(registry.key)
    taken_by_a_worker(time.time() - 1)  # the worker died: its heartbeat lapsed
    relay_pending()
    # RQ retries it after its backoff (our retry policy): RQ's scheduler queues it when that comes.
    assert job.get_status(refresh=True) == JobStatus.SCHEDULED
    rq.queue.scheduled_job_registry.requeue(job.id)
    drain(app)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "done"
    assert relay_pending() == 0
    owners = db.session.scalar(select(func.count()).select_from(Notification)
                               .where(Notification.user_id == parties.owner.id))
    assert owners == 1
