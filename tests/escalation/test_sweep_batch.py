"""The sweep's batch writes (events, notices, deliveries, outbox messages in a few statements, COPY on
PostgreSQL): the audit log verifies afterwards and every notice reaches the queue exactly once."""

from __future__ import annotations

import os
import subprocess

import redis
from rq.job import Job
from sqlalchemy import func, select

from hazardloop.escalation.models import DeadlineReminder, Escalation
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.notifications.models import Delivery, Notification
from hazardloop.outbox.models import OutboxMessage
from tests.support.cli import HAZARDLOOP
from tests.support.deadlines import end_of, sweep
from tests.support.outbox import drain


def test_after_sweeps_of_many_rungs_and_reminders_hazardloop_audit_verify_passes(app, db, parties, assigned):
    from hazardloop.hazards.services import transition

    late = [assigned(end_of("2026-12-08")) for _ in range(4)]
    major = [assigned(end_of("2026-12-08"), level="major") for _ in range(2)]
    due = [assigned(end_of(day)) for day in ("2026-12-09", "2026-12-10", "2026-12-10")]
    first = sweep("2026-12-09 09:00")
    assert len(first.escalations) == 4 + 2 * 2  # street for all, listed for the 重大
    assert sorted(first.reminders) == sorted([(due[0].id, "due_day"), (due[1].id, "day_before"),
                                              (due[2].id, "day_before")])
    transition(late[0], "acknowledge", actor=parties.owner)  # a user's event between two sweeps
    db.session.commit()
    second = sweep("2026-12-14 09:00")  # 3 working days after the 9th and 10th: district rungs
    assert {rung for _, rung in second.escalations} == {"district", "street"}

    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    result = subprocess.run([HAZARDLOOP, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert result.returncode == 0, result.stderr
    assert f"共校验 {events} 个事件" in result.stdout
    escalated = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "escalated"))
    assert escalated == db.session.scalar(select(func.count()).select_from(Escalation))
    db.session.expire_all()
    for hazard in [*late, *major, *due]:  # each hazard's chain end is its last event, and the batch bumped versions
        hazard = db.session.get(Hazard, hazard.id)
        last = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.hazard_id == hazard.id)
                                 .order_by(AuditEvent.id.desc()).limit(1))
        assert hazard.last_event_hash == last


def test_every_notice_of_a_sweep_is_delivered_once_through_the_queue(fault_app, db, parties, assigned, private_redis,
                                                                    monkeypatch):
    monkeypatch.setitem(fault_app.config, "NOTIFY_ROLE_DEFAULTS", True)  # SMS to staff for the rungs
    for _ in range(3):
        assigned(end_of("2026-12-08"))
    assigned(end_of("2026-12-14"))  # a Monday: its day_before reminder is due on Friday the 11th
    queue = redis.Redis.from_url(private_redis.url)
    queue.delete("rq:queue:default")  # the assignments' own notices: only the sweep's are looked at
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0

    result = sweep("2026-12-11 09:00")  # street and district for three, day_before for one

    assert len(result.escalations) == 6 and len(result.reminders) == 1
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)
                                  .order_by(OutboxMessage.id)).all()
    deliveries = db.session.scalars(select(Delivery).join(Notification).where(
        Notification.kind.like("escalation.%"))).all()
    # Role defaults: an SMS for the street supervisor (street), the district office and the fire inspector (district).
    assert len(deliveries) == 3 * 3 and {d.status for d in deliveries} == {"pending"}
    assert {(m.payload["notification_id"], m.payload["channel"], m.payload["address"]) for m in messages
            if m.kind == "notification.deliver"} >= {(d.notification_id, d.channel, d.address) for d in deliveries}
    # All handed over after the commit, each as the job ``_enqueue`` makes, queued once.
    assert queue.llen("rq:queue:default") == len(messages)
    jobs = Job.fetch_many([f"outbox-{m.id}" for m in messages], connection=queue)
    assert all(job is not None for job in jobs)
    assert {(job.meta["kind"], job.retries_left is not None, job.failure_ttl) for job in jobs} == {
        ("notification.deliver", True, 30 * 24 * 3600)}
    assert [job.args for job in jobs] == [(m.id,) for m in messages]

    drain(fault_app)
    db.session.expire_all()
    assert {m.status for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > before))} == {"done"}
    assert sweep("2026-12-11 09:30").as_dict()["escalations"] == 0
    assert db.session.scalar(select(func.count()).select_from(DeadlineReminder)) == 1
