"""SMS through 阿里云 and 腾讯云: our request signatures equal the providers' official SDKs', and a notice goes
out as the provider's approved template, to a local stand-in that speaks each provider's HTTP API."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hazardloop.notifications import sms

KEY_ID, SECRET = "AKIDhazardloopTEST", "not-a-real-secret"
OK = {"tencent": {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "2019:12345", "Message": "send success"}],
                               "RequestId": "r1"}},
      "aliyun": {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r2"}}


@dataclass
class Received:
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


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
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


def _check_tencent(request: Received) -> None:
    """The stand-in's check: the Authorization header is the TC3 signature of what arrived."""
    expected = sms.tencent_sign(host=request.headers["host"], body=request.body,
                                timestamp=int(request.headers["x-tc-timestamp"]), key_id=KEY_ID, secret=SECRET,
                                content_type=request.headers["content-type"])
    assert request.headers["authorization"] == expected


def _check_aliyun(request: Received) -> None:
    authorization = request.headers["authorization"]
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    expected = sms.aliyun_sign(method="POST", query=request.query, headers={n: request.headers[n] for n in signed},
                               body=request.body, key_id=KEY_ID, secret=SECRET)
    assert authorization == expected


def test_our_tencent_signature_equals_the_official_sdks(stand_in: StandIn) -> None:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    profile = ClientProfile(httpProfile=HttpProfile(endpoint=stand_in.url.removeprefix("http://"), protocol="http"))
    client = sms_client.SmsClient(credential.Credential(KEY_ID, SECRET), "ap-guangzhou", profile)
    request = models.SendSmsRequest()
    request.PhoneNumberSet, request.SmsSdkAppId, request.SignName = ["+8613800138000"], "1400000000", "隐患排查"
    request.TemplateId, request.TemplateParamSet = "123456", ["YH2026000123", "12月10日"]
    client.SendSms(request)
    [received] = stand_in.received
    _check_tencent(received)


def test_our_aliyun_signature_equals_the_official_sdks(stand_in: StandIn) -> None:
    from alibabacloud_dysmsapi20170525 import models
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as openapi

    client = Client(openapi.Config(access_key_id=KEY_ID, access_key_secret=SECRET,
                                   endpoint=stand_in.url.removeprefix("http://"), protocol="http"))
    client.send_sms(models.SendSmsRequest(phone_numbers="13800138000", sign_name="隐患排查",
                                          template_code="SMS_123456", template_param='{"number":"YH1 号 ~*"}'))
    [received] = stand_in.received
    assert received.headers["authorization"].startswith("ACS3-HMAC-SHA256 ")
    _check_aliyun(received)


@pytest.fixture
def provider(app: Any, stand_in: StandIn, monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(name: str) -> StandIn:
        for key, value in {"SMS_GATEWAY": name, "SMS_ENDPOINT": stand_in.url, "SMS_ACCESS_KEY_ID": KEY_ID,
                           "SMS_ACCESS_KEY_SECRET": SECRET, "SMS_SIGN_NAME": "拱墅安委办",
                           "SMS_TENCENT_APP_ID": "1400000000"}.items():
            monkeypatch.setitem(app.config, key, value)
        return stand_in

    return use


def test_an_assignment_goes_out_as_the_tencent_template_signed(provider: Any) -> None:
    stand_in = provider("tencent")
    serial = sms.send_template_sms("13800138000", kind="hazard.assign",
                                   values={"number": "YH2026000123", "deadline": "12月10日"}, key="hazardloop-n7")
    assert serial == "2019:12345"
    [received] = stand_in.received
    _check_tencent(received)
    sent = json.loads(received.body)
    assert sent["PhoneNumberSet"] == ["+8613800138000"] and sent["SignName"] == "拱墅安委办"
    assert sent["TemplateId"] == "ASSIGN_TO_BE_ISSUED" and sent["TemplateParamSet"] == ["YH2026000123", "12月10日"]
    assert sent["SessionContext"] == "hazardloop-n7"
    assert received.headers["x-tc-action"] == "SendSms" and received.headers["x-tc-version"] == "2021-01-11"


def test_a_notice_without_its_own_template_goes_out_as_aliyuns_general_one_signed(provider: Any) -> None:
    stand_in = provider("aliyun")
    long_title = "复查不通过：灭火器压力不足且超过检验有效期，请于三日内更换并重新报告整改完成情况（YH2026000123）"
    assert sms.send_template_sms("13800138000", kind="hazard.verify_fail", values={"title": long_title},
                                 key="hazardloop-n8") == "900619746936498440^0"
    [received] = stand_in.received
    _check_aliyun(received)
    query = received.query
    assert (query["PhoneNumbers"], query["SignName"], query["TemplateCode"]) == (
        "13800138000", "拱墅安委办", "SMS_NOTICE_TO_BE_ISSUED")
    title = json.loads(query["TemplateParam"])["title"]
    assert len(title) == sms.MAX_PARAM_CHARS and title.endswith("…") and long_title.startswith(title[:-1])
    assert query["OutId"] == "hazardloop-n8"


@pytest.mark.parametrize(("name", "answer", "says"), [
    ("aliyun", {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"},
     "isv.BUSINESS_LIMIT_CONTROL"),
    ("tencent", {"Response": {"Error": {"Code": "FailedOperation.TemplateIncorrectOrUnapproved",
                                        "Message": "template is not approved"}}}, "TemplateIncorrectOrUnapproved"),
    ("tencent", {"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "x"}]}},
     "PhoneNumberDailyLimit"),
])
def test_a_providers_refusal_is_kept_with_its_code(provider: Any, name: str, answer: dict[str, Any], says: str) -> None:
    provider(name).answer = (200, answer)
    with pytest.raises(sms.SmsRefused, match=says):
        sms.send_template_sms("13800138000", kind="notice", values={"title": "催办"}, key="k")


def test_an_unavailable_provider_is_worth_a_retry(provider: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    provider("aliyun").answer = (503, {"Code": "ServiceUnavailable"})
    with pytest.raises(sms.SmsUnreachable):
        sms.send_template_sms("13800138000", kind="notice", values={"title": "催办"}, key="k")
    from tests.conftest import free_port

    monkeypatch.setitem(app.config, "SMS_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(sms.SmsUnreachable):
        sms.send_template_sms("13800138000", kind="notice", values={"title": "催办"}, key="k")


def test_an_assignment_reaches_the_enterprise_by_sms_once(db: Any, provider: Any, parties: Any, assigned: Any) -> None:
    """The 交办 notice through the outbox handler: one signed request with the hazard's number and deadline,
    and none more when the job runs again (a retry after success)."""
    import datetime as dt

    from sqlalchemy import func, select

    from hazardloop.database import utcnow
    from hazardloop.notifications.models import Delivery
    from hazardloop.notifications.services import deliver_notification, notify

    stand_in = provider("tencent")
    hazard = assigned(utcnow() + dt.timedelta(days=10))
    [notice] = notify([parties.owner.id], kind="hazard.assign", title=f"已交办（{hazard.number}）", body="请按期整改",
                      hazard_id=hazard.id, dedupe_key=f"test:assign:{hazard.id}")
    db.session.commit()
    for _ in range(2):
        deliver_notification(notice.id, "sms", "13900000001")
        db.session.commit()
    [received] = stand_in.received
    _check_tencent(received)
    local = hazard.deadline_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert json.loads(received.body)["TemplateParamSet"] == [hazard.number, f"{local.month}月{local.day}日"]
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1
