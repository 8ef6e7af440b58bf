"""Reporters hear back: an SMS to a consenting 群众举报 reporter when the report is accepted, rejected or closed."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import or_, select

from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.notifications.channels import CHANNELS
from hazardloop.outbox.services import enqueue_after_commit
from hazardloop.public.models import PublicReport, ReportStatus, format_tracking_code

REPORTER_NOTICES = {
    "accepted": "您举报的问题已受理立案",
    "rejected": "您举报的问题经核查不予立案",
    "closed": "您举报的问题已整改销号，问题解决了吗？",
}


def tell_reporter(report: PublicReport, outcome: str) -> None:
    """Queue the reporter's SMS for ``outcome`` (accepted / rejected / closed) after commit, if they left a
    phone and agreed; once per report, outcome and triage round (the outbox's dedupe key)."""
    if not report.phone or not report.sms_consent:
        return
    enqueue_after_commit("reporter.sms", {"report_id": report.id, "outcome": outcome},
                         dedupe_key=f"reporter:{report.id}:{outcome}:{report.reopen_count}")


def tell_reporters_of_closed_hazard(hazard: Hazard) -> None:
    """Every consenting reporter whose report became ``hazard`` or was merged into it hears it closed."""
    reports = db.session.scalars(select(PublicReport).where(or_(
        (PublicReport.hazard_id == hazard.id) & (PublicReport.status == ReportStatus.ACCEPTED.value),
        (PublicReport.duplicate_of_hazard_id == hazard.id) & (PublicReport.status == ReportStatus.MERGED.value)))
        .order_by(PublicReport.id))
    for report in reports:
        tell_reporter(report, "closed")


def tracking_link(report: PublicReport) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/r/{format_tracking_code(report.tracking_code)}"


def send_reporter_sms(report_id: int, outcome: str) -> None:
    """Outbox handler for ``reporter.sms``: one SMS through the configured gateway (retried by the outbox on
    DeliveryFailed; the provider's refusal is then listed by ``hazardloop jobs failed``)."""
    report = db.session.get(PublicReport, report_id)
    if report is None or not report.phone or not report.sms_consent:
        return
    code, link = format_tracking_code(report.tracking_code), tracking_link(report)
    title = REPORTER_NOTICES[outcome]
    body = f"{title}（查询码 {code}）。"
    if outcome == "rejected" and report.rejection_reason:
        body += f"理由：{report.rejection_reason}。"
    CHANNELS["sms"].send(report.phone, title=f"{body}详情：{link}", body=body,
                         key=f"hazardloop-r{report.id}-{outcome}-{report.reopen_count}", kind=f"reporter.{outcome}",
                         values={"code": code, "link": link, "reason": report.rejection_reason or ""})
