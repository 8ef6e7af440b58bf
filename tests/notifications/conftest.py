"""Fixtures of the notification tests: local servers that receive robot and webhook posts, the SMS rules with a
hand-set clock, and an enterprise that prefers SMS."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import pytest

from hazardloop.notifications import deliveries
from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.notifications.services import set_preference
from tests.support.deadlines import local
from tests.support.receivers import recording_server
from tests.support.sms import MOBILE, RULES


@pytest.fixture(autouse=True)
def _local_webhook_receivers(app, monkeypatch):
    """These tests' subscribers are local servers (127.0.0.1): allowed here only (tests/security/test_ssrf.py)."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)


@pytest.fixture
def http_server(app, monkeypatch):
    """A real HTTP server on a free local port that records every POST (allowed as a robot relay origin)."""
    with recording_server() as (origin, recorder):
        monkeypatch.setitem(app.config, "ROBOT_HOSTS", [*app.config["ROBOT_HOSTS"], origin])
        yield origin, recorder


@pytest.fixture
def clock(app, monkeypatch, tmp_path):
    """The rules on, from their own file, and the delivery code's clock set by hand (``clock.now``)."""
    path = tmp_path / "sms.yaml"
    path.write_text(textwrap.dedent(RULES), encoding="utf-8")
    monkeypatch.setitem(app.config, "SMS_TEMPLATES", str(path))
    monkeypatch.setitem(app.config, "SMS_DELIVERY_RULES", True)
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "fake")
    FakeSmsGateway.sent = []
    state = SimpleNamespace(now=local("2026-12-08 10:00"))
    monkeypatch.setattr(deliveries, "utcnow", lambda: state.now)
    return state


@pytest.fixture
def enterprise_sms(db, parties):
    set_preference(parties.owner, channel="sms", address=MOBILE)
    db.session.commit()
    return parties
