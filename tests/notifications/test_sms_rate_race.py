"""频次限制 under a race: two SMS to one number sent at the same instant by two workers (separate sessions on
PostgreSQL) — exactly the limit goes out, the other is held. The race is made certain, not hoped for: a third
connection holds back every write to the delivery rows until both senders are waiting, then lets them go."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from hazardloop.notifications import deliveries
from hazardloop.notifications.models import Delivery
from tests.support.deadlines import local
from tests.support.outbox import run_outbox
from tests.support.sms import tell, texts

pytestmark = pytest.mark.postgresql_only  # SQLite serialises writers: the race cannot happen there


def waiting(db) -> int:
    """How many sessions wait for a lock right now (a table or another transaction's row)."""
    return db.session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()


def test_two_sms_to_one_number_at_once_take_only_the_last_free_slot(app, db, clock, enterprise_sms):
    for i, at in enumerate(["10:00", "10:10"]):  # the limit is 3 an hour: one slot is left
        clock.now = local(f"2026-12-08 {at}")
        tell(enterprise_sms, f"催办{i}")
        run_outbox()
    clock.now = local("2026-12-08 10:20")
    racing = [tell(enterprise_sms, f"同时{i}").id for i in range(2)]
    statuses: dict[int, str] = {}

    def send(delivery_id: int) -> None:
        with app.app_context():
            statuses[delivery_id] = deliveries.send(db.session.get(Delivery, delivery_id))
            db.session.commit()

    with db.engine.connect() as gate:
        gate.execute(text("LOCK TABLE notification_deliveries IN SHARE ROW EXCLUSIVE MODE"))  # reads pass
        threads = [threading.Thread(target=send, args=(d,)) for d in racing]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while waiting(db) < 2:
            db.session.rollback()
            assert time.monotonic() < deadline, "the senders never both reached a lock"
            time.sleep(0.02)
        db.session.rollback()
        gate.rollback()
    for thread in threads:
        thread.join(30)

    assert sorted(statuses.values()) == ["rate_hold", "sent"]
    assert len(texts()) == 3
    held = db.session.scalar(select(Delivery).where(Delivery.status == "rate_hold"))
    assert held.hold_until == local("2026-12-08 11:00")
