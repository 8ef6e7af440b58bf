"""Reporters hear back: an SMS to a consenting 群众举报 reporter when the report is accepted, rejected or closed."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import or_, select

from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.notifications import deliveries
from hazardloop.notifications.channels import DeliveryRefused
from hazardloop.notifications.models import Delivery
from hazardloop.outbox.services import enqueue_after_commit
from hazardloop.public.models import PublicReport, ReportStatus, format_tracking_code

REPORTER_NOTICES = {
    "accepted": "您举报的问题已受理立案",
    "rejected": "您举报的问题经核查不予立案",
    "closed": "您举报的问题已整改销号，问题解决了吗？",
}


def _key(report: PublicReport, outcome: str) -> str:
    return f"hazardloop-r{report.id}-{outcome}-{report.reopen_count}"


def _delivery(report: PublicReport, outcome: str, key: str) -> Delivery:
    return deliveries.keyed(key, report_id=report.id, channel="sms", address=report.phone, kind=f"reporter.{outcome}",
                            title=REPORTER_NOTICES[outcome])


def tell_reporter(report: PublicReport, outcome: str) -> None:
    """Queue the reporter's SMS for ``outcome`` (accepted / rejected / closed) after commit, if they left a
    phone and agreed; once per report, outcome and triage round (the outbox's dedupe key and the delivery row,
    which reads 待发送 in the delivery list from now on)."""
    if not report.phone or not report.sms_consent:
        return
    key = _key(report, outcome)
    _delivery(report, outcome, key)
    enqueue_after_commit("reporter.sms", {"report_id": report.id, "outcome": outcome, "key": key},
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


def reporter_message(report_id: int, outcome: str) -> tuple[str, str, dict[str, str]]:
    """The reporter's SMS for ``outcome``: (title, body, template values), each with the tracking link."""
    report = db.session.get(PublicReport, report_id)
    if report is None:
        raise DeliveryRefused("举报已删除", code="gone")
    code, link = format_tracking_code(report.tracking_code), tracking_link(report)
    title = REPORTER_NOTICES[outcome]
    body = f"{title}（查询码 {code}）。"
    if outcome == "rejected" and report.rejection_reason:
        body += f"理由：{report.rejection_reason}。"
    return f"{body}详情：{link}", body, {"code": code, "link": link, "reason": report.rejection_reason or ""}


def send_reporter_sms(report_id: int, outcome: str, key: str | None = None) -> None:
    """Outbox handler for ``reporter.sms``: one SMS through the configured gateway, subject to quiet hours and
    the rate limits (``deliveries.send``); retried by the outbox while the provider is unreachable."""
    report = db.session.get(PublicReport, report_id)
    if report is None or not report.phone or not report.sms_consent:
        return
    key = key or _key(report, outcome)
    deliveries.send(_delivery(report, outcome, key))
