"""SMS through 阿里云 and 腾讯云: our request signatures equal the providers' official SDKs', and a notice goes
out as the provider's approved template, to a local stand-in that speaks each provider's HTTP API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hazardloop.notifications import sms
from tests.support.sms import KEY_ID, SECRET, StandIn, check_aliyun, check_tencent


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
    check_tencent(received)


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
    check_aliyun(received)




def test_an_assignment_goes_out_as_the_tencent_template_signed(provider: Any) -> None:
    stand_in = provider("tencent")
    serial = sms.send_template_sms("13800138000", kind="hazard.assign",
                                   values={"number": "YH2026000123", "deadline": "12月10日"}, key="hazardloop-n7")
    assert serial == "2019:12345"
    [received] = stand_in.received
    check_tencent(received)
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
    check_aliyun(received)
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
    check_tencent(received)
    local = hazard.deadline_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert json.loads(received.body)["TemplateParamSet"] == [hazard.number, f"{local.month}月{local.day}日"]
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1
