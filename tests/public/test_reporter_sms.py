"""Reporters hear back: a consenting reporter's phone gets an SMS on acceptance, rejection (with the reason) and
closing, each once and through the outbox; 「问题解决了吗？」 'no' reopens triage with the answer attached."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hazardloop.notifications.channels import FakeSmsGateway
from hazardloop.public.models import PublicReport, ReportFeedback
from tests.conftest import assert_problem
from tests.support.outbox import run_outbox
from tests.support.public_reports import fire, progress, queue, submitted
from tests.support.sms import check_tencent

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fake_sms():
    FakeSmsGateway.sent = []


def texts_to(mobile: str) -> list[str]:
    return [m["text"] for m in FakeSmsGateway.sent if m["mobile"] == mobile]


def accept(supervisor) -> int:
    report_id = queue(supervisor)["items"][0]["id"]
    accepted = supervisor.post(f"/api/v1/reports/{report_id}/accept", json={"level": "general", "domain": "fire"})
    assert accepted.status_code == 200, accepted.get_json()
    return accepted.get_json()["hazard_id"]


def close(staff, make_photo, hazard_id: int) -> None:
    worker = staff["users"]["worker"]
    fire(staff["worker"], hazard_id, "close_on_site", before_photo_ids=[make_photo(worker).id],
         after_photo_ids=[make_photo(worker).id])


def test_acceptance_and_closing_reach_a_consenting_reporter_once_each(visitor, shop, staff, make_photo, db):
    code = submitted(visitor, site_token=shop.qr_token, phone=PHONE, sms_consent=True)
    hazard_id = accept(staff["supervisor"])
    run_outbox()
    run_outbox()  # a second worker pass sends nothing again
    [accepted] = texts_to(PHONE)
    assert "已受理立案" in accepted and f"/r/{code}" in accepted

    close(staff, make_photo, hazard_id)
    run_outbox()
    assert len(texts_to(PHONE)) == 2
    assert "已整改销号，问题解决了吗？" in texts_to(PHONE)[1] and f"/r/{code}" in texts_to(PHONE)[1]


def test_a_rejection_tells_the_reason(visitor, shop, staff, db):
    code = submitted(visitor, site_token=shop.qr_token, phone=PHONE, sms_consent=True)
    report_id = queue(staff["supervisor"])["items"][0]["id"]
    staff["supervisor"].post(f"/api/v1/reports/{report_id}/reject", json={"reason": "经核实，气瓶已按规定固定存放"})
    run_outbox()
    [text] = texts_to(PHONE)
    assert "不予立案" in text and "理由：经核实，气瓶已按规定固定存放" in text and code in text


def test_no_sms_without_consent(visitor, shop, staff, db):
    submitted(visitor, site_token=shop.qr_token, phone=PHONE)
    accept(staff["supervisor"])
    run_outbox()
    assert texts_to(PHONE) == []


def test_a_phone_outside_the_mainland_format_is_refused(visitor, shop):
    body = assert_problem(visitor.report(site_token=shop.qr_token, phone="12345", sms_consent=True), 422)
    assert body["errors"][0]["field"] == "phone"


def test_the_reporters_sms_goes_out_as_the_providers_signed_template(visitor, shop, staff, db, provider):
    sms_stand_in = provider("tencent")
    code = submitted(visitor, site_token=shop.qr_token, phone=PHONE, sms_consent=True)
    accept(staff["supervisor"])
    run_outbox()
    [received] = sms_stand_in.received
    check_tencent(received)
    sent = json.loads(received.body)
    assert sent["PhoneNumberSet"] == [f"+86{PHONE}"] and sent["TemplateId"] == "REPORT_ACCEPTED_TO_BE_ISSUED"
    assert sent["TemplateParamSet"] == [code]


def test_not_solved_reopens_triage_with_the_answer_attached(visitor, shop, staff, make_photo, db):
    code = submitted(visitor, site_token=shop.qr_token, phone=PHONE, sms_consent=True)
    assert_problem(visitor.client.post(f"/api/v1/public/reports/{code}/feedback", json={"solved": False}),
                   409, "feedback_not_open")
    hazard_id = accept(staff["supervisor"])
    close(staff, make_photo, hazard_id)
    run_outbox()
    assert progress(visitor, code)["feedback_asked"] is True

    answered = visitor.client.post(f"/api/v1/public/reports/{code}/feedback",
                                   json={"solved": False, "note": "气瓶又放回灶台旁了"})
    assert answered.status_code == 201, answered.get_json()
    assert_problem(visitor.client.post(f"/api/v1/public/reports/{code}/feedback", json={"solved": True}),
                   409, "feedback_not_open")  # back in triage: nothing to answer until it closes again
    seen = progress(visitor, code)
    assert seen["status"] == "received" and seen["reopened"] is True and seen["feedback_asked"] is False
    report = db.session.scalar(select(PublicReport).where(PublicReport.phone == PHONE))
    [feedback] = db.session.scalars(select(ReportFeedback).where(ReportFeedback.report_id == report.id)).all()
    assert (feedback.solved, feedback.note, feedback.hazard_id) == (False, "气瓶又放回灶台旁了", hazard_id)
    [reopened] = queue(staff["supervisor"], status="received")["items"]
    assert reopened["id"] == report.id and reopened["reopen_count"] == 1
    assert [(f["solved"], f["note"]) for f in reopened["feedback"]] == [(False, "气瓶又放回灶台旁了")]

    accept(staff["supervisor"])  # triaged again: a new round, so a new acceptance SMS
    run_outbox()
    assert [("已受理立案" in t) for t in texts_to(PHONE)] == [True, False, True]


def test_solved_is_recorded_once_and_leaves_the_report_closed(visitor, shop, staff, make_photo, db):
    code = submitted(visitor, site_token=shop.qr_token)
    close(staff, make_photo, accept(staff["supervisor"]))
    assert visitor.client.post(f"/api/v1/public/reports/{code}/feedback", json={"solved": True}).status_code == 201
    assert_problem(visitor.client.post(f"/api/v1/public/reports/{code}/feedback", json={"solved": False}),
                   409, "feedback_already_given")
    seen = progress(visitor, code)
    assert seen["status"] == "closed" and seen["feedback_asked"] is False and seen["reopened"] is False
