"""SMS in the tests: a local stand-in speaking 阿里云's and 腾讯云's HTTP APIs with their signature checks, and the
delivery rules (静默时段, 频次限制) from a file of their own with the fake gateway as the provider."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from hazardloop.extensions import db
from hazardloop.notifications import sms
from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.notifications.models import Delivery
from hazardloop.notifications.services import notify

KEY_ID, SECRET = "AKIDhazardloopTEST", "not-a-real-secret"
OK = {"tencent": {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "2019:12345", "Message": "send success"}],
                               "RequestId": "r1"}},
      "aliyun": {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r2"}}


@dataclass
class Received:
    """One request as the stand-in received it."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))


@dataclass
class StandIn:
    """A local HTTP server answering like the provider's SMS API and keeping what it received."""

    url: str
    received: list[Received] = field(default_factory=list)
    answer: tuple[int, dict[str, Any]] | None = None


@contextmanager
def serve_stand_in() -> Iterator[StandIn]:
    """The stand-in, listening on a free local port until the block ends."""
    state = StandIn(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            # Header names are case-insensitive (urllib sends "X-tc-action"): kept in lower case.
            state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            tencent = "x-tc-action" in {k.lower() for k in self.headers}
            status, answer = state.answer or (200, OK["tencent" if tencent else "aliyun"])
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def check_tencent(request: Received) -> None:
    """The stand-in's check: the Authorization header is the TC3 signature of what arrived."""
    expected = sms.tencent_sign(host=request.headers["host"], body=request.body,
                                timestamp=int(request.headers["x-tc-timestamp"]), key_id=KEY_ID, secret=SECRET,
                                content_type=request.headers["content-type"])
    assert request.headers["authorization"] == expected


def check_aliyun(request: Received) -> None:
    """The stand-in's check: the ACS3 Authorization header signs what arrived."""
    authorization = request.headers["authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    expected = sms.aliyun_sign(method="POST", query=request.query, headers={n: request.headers[n] for n in signed},
                               body=request.body, key_id=KEY_ID, secret=SECRET)
    assert authorization == expected


def use_provider(app: Any, stand_in: StandIn, monkeypatch: Any, name: str) -> StandIn:
    """Send SMS through ``name`` ("tencent" or "aliyun") at the stand-in, with the test's keys and sign name."""
    for key, value in {"SMS_GATEWAY": name, "SMS_ENDPOINT": stand_in.url, "SMS_ACCESS_KEY_ID": KEY_ID,
                       "SMS_ACCESS_KEY_SECRET": SECRET, "SMS_SIGN_NAME": "拱墅安委办",
                       "SMS_TENCENT_APP_ID": "1400000000"}.items():
        monkeypatch.setitem(app.config, key, value)
    return stand_in


# --- the delivery rules, with the fake gateway -------------------------------------------------------------

MOBILE = "13900000001"
RULES = """
providers:
  aliyun:
    notice: {template: "SMS_1", params: [title]}
delivery:
  timezone: Asia/Shanghai
  quiet_hours: {start: "21:30", end: "07:30"}
  urgent:
    - {kind: "escalation.*", level: major}
  rate_limit: {per_hour: 3, per_day: 5}
  fold: true
fake_refusals:
  "13900000099": isv.BUSINESS_LIMIT_CONTROL
  "13900000098": isv.MOBILE_NUMBER_ILLEGAL
"""


def texts(mobile: str = MOBILE) -> list[str]:
    """The texts the fake gateway sent to ``mobile``."""
    return [m["text"] for m in FakeSmsGateway.sent if m["mobile"] == mobile]


def tell(parties: Any, title: str, *, kind: str = "hazard.assign", hazard_id: int | None = None) -> Delivery:
    """A notice for the enterprise, whose SMS preference is MOBILE; its SMS delivery row."""
    [notice] = notify([parties.owner.id], kind=kind, title=title, body="请按期整改", hazard_id=hazard_id,
                      dedupe_key=f"test:{title}")
    db.session.commit()
    return db.session.scalar(select(Delivery).where(Delivery.notification_id == notice.id))
