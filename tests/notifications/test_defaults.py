"""Channel defaults per role: until a user chooses, an enterprise hears of its orders by SMS, staff of their rungs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hazardloop.extensions import db as _db
from hazardloop.notifications.services import notify
from hazardloop.outbox.models import OutboxMessage


@pytest.fixture(autouse=True)
def _role_defaults_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_ROLE_DEFAULTS", True)


def sms_queued(db) -> list[tuple[str, int]]:
    return [(m.payload["address"], m.payload["notification_id"]) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "notification.deliver").order_by(OutboxMessage.id))
        if m.payload["channel"] == "sms"]


def tell(users, kind: str) -> list:
    notices = notify([u.id for u in users], kind=kind, title="标题", body="", hazard_id=None, dedupe_key=f"t:{kind}")
    _db.session.commit()
    return notices


@pytest.mark.parametrize(("kind", "owner_gets_sms", "street_gets_sms"), [
    ("hazard.assign", True, False),
    ("reminder.due_day", True, False),
    ("hazard.verify_fail", True, False),
    ("hazard.approve_extension", True, False),
    ("escalation.street", False, True),
    ("hazard.submit_rectification", False, False),
])
def test_role_defaults_choose_sms_to_the_account_mobile(db, parties, kind, owner_gets_sms, street_gets_sms):
    tell([parties.owner, parties.street], kind)
    expected = ([parties.owner.mobile] if owner_gets_sms else []) + ([parties.street.mobile] if street_gets_sms else [])
    assert sorted(address for address, _ in sms_queued(db)) == sorted(expected)


def test_writing_the_same_notice_again_queues_no_second_sms(db, parties):
    tell([parties.owner], "hazard.assign")
    tell([parties.owner], "hazard.assign")
    assert len(sms_queued(db)) == 1


def test_a_user_who_chose_channels_gets_only_those(db, parties, login):
    owner = login(parties.owner)
    defaults = owner.get("/api/v1/notifications/preferences").get_json()
    assert {"channel": "sms", "address": parties.owner.mobile, "event_kind": "hazard.assign", "enabled": True,
            "id": None} in defaults
    turned_off = owner.client.put("/api/v1/notifications/preferences", headers={"X-CSRF-Token": owner.csrf},
                                  json={"channel": "sms", "address": parties.owner.mobile,
                                        "event_kind": "hazard.assign", "enabled": False})
    assert turned_off.status_code == 200, turned_off.get_json()
    assert [p["enabled"] for p in owner.get("/api/v1/notifications/preferences").get_json()] == [False]
    tell([parties.owner], "hazard.assign")
    assert sms_queued(db) == []
