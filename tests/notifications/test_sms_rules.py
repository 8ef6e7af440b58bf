"""SMS 静默时段 and 频次限制 with a hand-set clock, and the staff's 投递记录 with its 重试.

Rules (a configuration file like config/sms.yaml): quiet 21:30–07:30 Beijing time, urgent = a 重大 hazard's
escalation rungs, at most 3 SMS an hour and 5 a day per number, several held for one number folded into one
digest. Everything goes through the outbox handlers as the worker runs them; the fake gateway is the provider.
"""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import select

from hazardloop.extensions import db as _db
from hazardloop.notifications import deliveries
from hazardloop.notifications.channels import DeliveryFailed
from hazardloop.notifications.models import Delivery
from hazardloop.notifications.services import set_preference
from hazardloop.outbox.models import OutboxMessage
from hazardloop.outbox.services import run_message
from tests.conftest import assert_problem
from tests.support.deadlines import local
from tests.support.outbox import run_outbox
from tests.support.sms import MOBILE, RULES, tell, texts


def test_a_notice_in_quiet_hours_waits_and_goes_once_when_they_end(clock, enterprise_sms):
    clock.now = local("2026-12-08 23:10")
    delivery = tell(enterprise_sms, "隐患已交办（YH1）")
    assert delivery.status == "pending"  # 待发送 in the list from the moment it is queued
    run_outbox()
    _db.session.refresh(delivery)
    assert (delivery.status, delivery.hold_until) == ("quiet_hold", local("2026-12-09 07:30"))
    assert texts() == []

    clock.now = local("2026-12-09 07:29")
    assert deliveries.release_held(clock.now) == 0
    clock.now = local("2026-12-09 07:30")
    assert deliveries.release_held(clock.now) == 1
    assert deliveries.release_held(clock.now) == 0  # a second scheduler tick queues nothing more
    run_outbox()
    run_outbox()
    _db.session.refresh(delivery)
    assert delivery.status == "sent" and delivery.sent_at == local("2026-12-09 07:30")
    assert texts() == ["【安全隐患排查】隐患已交办（YH1）"]


def test_a_major_hazards_escalation_passes_quiet_hours_a_general_ones_does_not(clock, enterprise_sms, assigned):
    clock.now = local("2026-12-08 02:00")
    major = assigned(local("2026-12-20 18:00"), level="major")
    general = assigned(local("2026-12-20 18:00"))
    urgent = tell(enterprise_sms, "重大隐患逾期升级（YH2）", kind="escalation.street", hazard_id=major.id)
    held = tell(enterprise_sms, "一般隐患逾期升级（YH3）", kind="escalation.street", hazard_id=general.id)
    run_outbox()
    _db.session.refresh(urgent)
    _db.session.refresh(held)
    assert (urgent.status, held.status) == ("sent", "quiet_hold")
    assert texts() == ["【安全隐患排查】重大隐患逾期升级（YH2）"]


def test_over_the_hourly_limit_is_held_and_then_folded_into_one_digest(clock, enterprise_sms):
    sent_times = ["10:00", "10:20", "10:40"]
    for i, at in enumerate(sent_times):
        clock.now = local(f"2026-12-08 {at}")
        tell(enterprise_sms, f"催办{i}")
        run_outbox()
    clock.now = local("2026-12-08 10:50")
    over = [tell(enterprise_sms, f"超出{i}") for i in range(3)]
    run_outbox()
    for d in over:
        _db.session.refresh(d)
    # The hour since the first (10:00) has room again at 11:00.
    assert {(d.status, d.hold_until) for d in over} == {("rate_hold", local("2026-12-08 11:00"))}
    assert len(texts()) == 3

    clock.now = local("2026-12-08 11:00")
    assert deliveries.release_held(clock.now) == 3
    run_outbox()
    for d in over:
        _db.session.refresh(d)
    assert {d.status for d in over} == {"folded"}
    digest = _db.session.get(Delivery, over[0].folded_into_id)
    assert {d.folded_into_id for d in over} == {digest.id}
    assert (digest.status, digest.kind) == ("sent", "digest")
    assert texts()[3:] == ["【安全隐患排查】您有3条隐患排查治理通知，请登录系统查看"]
    assert deliveries.release_held(local("2026-12-08 12:00")) == 0
    run_outbox()
    assert len(texts()) == 4  # nothing twice


def test_the_daily_limit_holds_until_the_next_morning_after_quiet_hours(clock, enterprise_sms):
    for i, at in enumerate(["08:00", "09:30", "11:00", "12:30", "14:00"]):
        clock.now = local(f"2026-12-08 {at}")
        tell(enterprise_sms, f"第{i}条")
        run_outbox()
    clock.now = local("2026-12-08 16:00")
    sixth = tell(enterprise_sms, "第6条")
    run_outbox()
    _db.session.refresh(sixth)
    # Tomorrow's allowance starts at local midnight, inside the quiet hours: it goes at 07:30.
    assert (sixth.status, sixth.hold_until) == ("rate_hold", local("2026-12-09 07:30"))
    assert len(texts()) == 5


def test_reporters_sms_counts_against_the_same_number(clock, db, enterprise_sms):
    """The limit is per phone number, whoever the message is for: reporters' SMS are rows of the same list."""
    for i in range(3):
        clock.now = local(f"2026-12-08 10:{i:02d}")
        tell(enterprise_sms, f"催办{i}")
        run_outbox()
    assert deliveries.rate_free_at(deliveries.rules(), MOBILE, local("2026-12-08 10:30")) == local("2026-12-08 11:00")
    assert deliveries.rate_free_at(deliveries.rules(), "13900000002", local("2026-12-08 10:30")) is None


# --- the delivery list and retry ---------------------------------------------------------------------

def test_a_refusal_is_listed_in_words_with_the_number_masked_and_a_retry_sends_it(
        clock, db, parties, assigned, login, app, tmp_path):
    hazard = assigned(local("2026-12-20 18:00"))
    set_preference(parties.owner, channel="sms", address="13900000099")
    db.session.commit()
    delivery = tell(parties, "隐患已交办（YH4）", hazard_id=hazard.id)
    run_outbox()
    _db.session.refresh(delivery)
    assert (delivery.status, delivery.reason_code) == ("refused", "isv.BUSINESS_LIMIT_CONTROL")

    street = login(parties.street)
    listed = street.get("/api/v1/notifications/deliveries?status=refused").get_json()
    [row] = [r for r in listed["items"] if r["id"] == delivery.id]
    assert row["recipient"] == "139****0099"
    assert (row["status_label"], row["channel_label"]) == ("被拒绝", "短信")
    assert row["reason"] == "触发服务商的发送频次限制（配额），稍后可重试"
    assert row["can_retry"] is True and row["hazard_number"] == hazard.number
    assert listed["counts"]["refused"] >= 1
    assert all(r["status"] == "refused" for r in listed["items"])
    assert_problem(street.get("/api/v1/notifications/deliveries?status=lost"), 422)

    # Another street's supervisor does not see it; the enterprise has no delivery list at all.
    elsewhere = login(parties.elsewhere)
    assert delivery.id not in [r["id"] for r in elsewhere.get("/api/v1/notifications/deliveries").get_json()["items"]]
    assert_problem(elsewhere.post(f"/api/v1/notifications/deliveries/{delivery.id}/retry"), 404)
    assert_problem(login(parties.owner).get("/api/v1/notifications/deliveries"), 403)

    # The provider's quota is back (the number is no longer refused): 重试 sends it, once, recorded in the audit chain.
    (tmp_path / "sms.yaml").write_text(textwrap.dedent(RULES).replace('"13900000099"', '"13900000097"'),
                                       encoding="utf-8")
    retried = street.post(f"/api/v1/notifications/deliveries/{delivery.id}/retry")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status_label"] == "待发送"
    assert_problem(street.post(f"/api/v1/notifications/deliveries/{delivery.id}/retry"), 409, "delivery_not_refused")
    run_outbox()
    _db.session.refresh(delivery)
    assert delivery.status == "sent"
    assert texts("13900000099") == ["【安全隐患排查】隐患已交办（YH4）"]
    from hazardloop.hazards.models import AuditEvent

    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "delivery_retried"))
    assert event.actor_id == parties.street.id and event.payload["delivery_id"] == delivery.id


def test_an_invalid_number_is_not_offered_a_retry(clock, db, parties, assigned, login):
    hazard = assigned(local("2026-12-20 18:00"))
    set_preference(parties.owner, channel="sms", address="13900000098")
    db.session.commit()
    delivery = tell(parties, "隐患已交办（YH5）", hazard_id=hazard.id)
    run_outbox()
    street = login(parties.street)
    [row] = [r for r in street.get("/api/v1/notifications/deliveries").get_json()["items"] if r["id"] == delivery.id]
    assert (row["reason"], row["can_retry"]) == ("手机号码无效", False)
    assert_problem(street.post(f"/api/v1/notifications/deliveries/{delivery.id}/retry"), 409,
                   "delivery_not_retryable")


def test_an_unreachable_provider_is_retried_by_the_outbox_then_listed(clock, db, enterprise_sms, app, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setitem(app.config, "SMS_GATEWAY", "aliyun")
    monkeypatch.setitem(app.config, "SMS_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    delivery = tell(enterprise_sms, "隐患已交办（YH6）")
    [message] = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notification.deliver"))
    from hazardloop.outbox.services import max_attempts

    for _ in range(max_attempts()):  # as RQ runs it again after each backoff
        _db.session.refresh(delivery)
        assert delivery.status == "pending"  # still 待发送 between the attempts
        with pytest.raises(DeliveryFailed, match="无法连接短信服务"):
            run_message(message.id)
    _db.session.refresh(message)
    _db.session.refresh(delivery)
    assert message.status == "failed"
    assert (delivery.status, delivery.reason_code) == ("refused", "unreachable")
    assert deliveries.refusal_words(delivery.reason_code) == ("多次重试仍无法连接发送服务", True)


TEMPLATE_WORDS = "短信模板未审核通过或与内容不符（请管理员核对 config/sms.yaml 中的模板）"


@pytest.mark.parametrize(("code", "words", "retryable"), [
    ("isv.SMS_TEMPLATE_ILLEGAL", TEMPLATE_WORDS, True),
    ("FailedOperation.TemplateIncorrectOrUnapproved", TEMPLATE_WORDS, True),
    ("isv.AMOUNT_NOT_ENOUGH", "短信余额不足或服务已停用（请充值后重试）", True),
    ("LimitExceeded.PhoneNumberDailyLimit", "触发服务商的发送频次限制（配额），稍后可重试", True),
    ("InvalidParameterValue.IncorrectPhoneNumber", "手机号码无效", False),
    ("FailedOperation.PhoneNumberInBlacklist", "该号码已退订或在黑名单中，服务商不再向其发送", False),
    ("something.New", "服务商拒绝发送（原因未归类）", True),
])
def test_provider_codes_in_words(code: str, words: str, retryable: bool) -> None:
    assert deliveries.refusal_words(code) == (words, retryable)


@pytest.mark.parametrize(("channel", "address", "shown"), [
    ("sms", "13800000001", "138****0001"), ("email", "zhang@example.com", "z***@example.com"),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret", "企业微信群机器人"),
])
def test_recipients_are_masked(channel: str, address: str, shown: str) -> None:
    assert deliveries.mask(channel, address) == shown


def test_quiet_hours_across_midnight_and_the_rules_switch(clock, app, monkeypatch) -> None:
    r = deliveries.rules()
    assert deliveries.quiet_until(r, local("2026-12-08 21:29")) is None
    assert deliveries.quiet_until(r, local("2026-12-08 21:30")) == local("2026-12-09 07:30")
    assert deliveries.quiet_until(r, local("2026-12-09 03:00")) == local("2026-12-09 07:30")
    assert deliveries.quiet_until(r, local("2026-12-09 07:30")) is None
    monkeypatch.setitem(app.config, "SMS_DELIVERY_RULES", False)
    assert deliveries.quiet_until(deliveries.rules(), local("2026-12-09 03:00")) is None
