"""群众举报 not triaged by their deadline climb the report ladder of the policy file, each rung once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from hazardloop.escalation.models import ReportEscalation
from hazardloop.notifications.models import Notification
from tests.support.deadlines import end_of, sweep


def report_in(region, *, due: dt.datetime):
    """A report placed on the map in ``region``, received a day before its triage deadline."""
    from hazardloop.extensions import db
    from hazardloop.public.models import PublicReport

    report = PublicReport(description="楼道里堆满纸箱，堵住了安全出口", text_hash=f"h{region.id}{due:%d}",
                          category="fire", region=region, received_at=(due - dt.timedelta(days=1)).astimezone(dt.UTC),
                          triage_due_at=due.astimezone(dt.UTC), photo_ids=[])
    db.session.add(report)
    db.session.commit()
    return report


def rungs_of(db, report):
    return [(e.rung, e.overdue_working_days) for e in db.session.scalars(
        select(ReportEscalation).where(ReportEscalation.report_id == report.id).order_by(ReportEscalation.id))]


def kinds_for(db, user):
    return [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id)) if n.kind.startswith("report.")]


def test_an_untriaged_report_reminds_its_triagers_then_goes_to_the_district_once_each(db, parties):
    report = report_in(parties.district.grid_a1, due=end_of("2026-12-08"))  # a Tuesday
    assert sweep("2026-12-08 20:00").reports == []  # not yet late
    assert sweep("2026-12-09 09:00").reports == [(report.id, "remind")]
    assert sweep("2026-12-09 15:00").reports == []  # once
    assert sweep("2026-12-10 09:00").reports == [(report.id, "district")]  # 2 working days late
    assert sweep("2026-12-11 09:00").reports == []
    assert sweep("2026-12-21 09:00").reports == []
    assert rungs_of(db, report) == [("remind", 1), ("district", 2)]
    assert kinds_for(db, parties.street) == ["report.remind"]  # the street triages a report in its grid
    assert kinds_for(db, parties.office) == ["report.district"]
    assert kinds_for(db, parties.elsewhere) == [] and kinds_for(db, parties.worker) == []
    [title] = db.session.scalars(select(Notification.title).where(Notification.kind == "report.remind"))
    assert report.public_id in title


def test_a_triaged_report_stops_climbing(db, parties):
    from hazardloop.database import utcnow

    report = report_in(parties.district.grid_a1, due=end_of("2026-12-08"))
    sweep("2026-12-09 09:00")
    report.status, report.triaged_at, report.rejection_reason = "rejected", utcnow(), "重复举报"
    db.session.commit()
    assert sweep("2026-12-15 09:00").reports == []
    assert rungs_of(db, report) == [("remind", 1)]


def test_a_report_outside_any_street_is_triaged_and_reminded_at_the_district(db, parties):
    report = report_in(parties.district.district, due=end_of("2026-12-08"))
    assert sweep("2026-12-09 09:00").reports == [(report.id, "remind")]
    assert kinds_for(db, parties.office) == ["report.remind"]
    assert kinds_for(db, parties.street) == []


def test_the_rung_is_recorded_once_even_when_sweeps_overlap(db, parties):
    """A second sweep that read the report before the first one committed inserts nothing and tells no one."""
    from hazardloop.escalation.ladder import load_ladder
    from hazardloop.escalation.services import SweepResult, _escalate_untriaged_reports
    from hazardloop.extensions import db as database
    from tests.support.deadlines import local

    report = report_in(parties.district.grid_a1, due=end_of("2026-12-08"))
    assert sweep("2026-12-09 09:00").reports == [(report.id, "remind")]
    # The same rows again, as a sweep that bypassed the lock would write them: the constraint skips them.
    from hazardloop.bulk import insert_ignoring_duplicates

    again = insert_ignoring_duplicates(ReportEscalation, [{
        "report_id": report.id, "rung": "remind", "triage_due_at": report.triage_due_at,
        "overdue_working_days": 1, "recipients": [], "fired_at": local("2026-12-09 09:00")}],
        ["report_id", "rung"], [ReportEscalation.id])
    assert again == []
    result = SweepResult()
    _escalate_untriaged_reports(local("2026-12-09 10:00"), load_ladder(), result)
    database.session.commit()
    assert result.reports == []
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "report.remind")) == 1
