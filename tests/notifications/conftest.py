"""Fixtures of the notification tests: local servers that receive robot and webhook posts, the SMS rules with a
hand-set clock, and an enterprise that prefers SMS."""

from __future__ import annotations

import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import ClassVar

import pytest

from hazardloop.notifications import deliveries
from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.notifications.services import set_preference
from tests.support.deadlines import local
from tests.support.sms import MOBILE, RULES


@pytest.fixture(autouse=True)
def _local_webhook_receivers(app, monkeypatch):
    """These tests' subscribers are local servers (127.0.0.1): allowed here only (tests/security/test_ssrf.py)."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    answer: ClassVar[dict] = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        raw = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(app, monkeypatch):
    """A real HTTP server on a free local port that records every POST (allowed as a robot relay origin)."""
    Recorder.received = []
    Recorder.answer = {"errcode": 0, "errmsg": "ok"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setitem(app.config, "ROBOT_HOSTS", [*app.config["ROBOT_HOSTS"], origin])
    yield origin, Recorder
    server.shutdown()
    server.server_close()


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
