"""Reminders and the escalation ladder, swept from the database at chosen instants (time travel)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hazardloop.escalation.ladder import PolicyError, load_ladder, parse_ladder
from hazardloop.escalation.models import DeadlineReminder, Escalation, EscalationCase
from hazardloop.hazards.models import AuditEvent
from hazardloop.notifications.models import Notification
from tests.support.deadlines import end_of, sweep


def rungs(db, hazard):
    return [(e.rung, e.overdue_working_days) for e in
            db.session.scalars(select(Escalation).where(Escalation.hazard_id == hazard.id).order_by(Escalation.id))]


def inbox_of(db, user):
    return [n.kind for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                               .order_by(Notification.id))]


def test_the_policy_file_is_the_ladder():
    ladder = load_ladder()
    assert [r.rung for r in ladder.rungs] == ["street", "district", "listed"]
    assert [r.kind for r in ladder.reminders] == ["day_before", "due_day"]
    listed = ladder.rungs[-1]
    assert listed.due("major", 0) and not listed.due("general", 9) and listed.due("general", 10)


@pytest.mark.parametrize("bad, message", [
    ({"rungs": [{"rung": "x", "when": [{"overdue_working_days": -1}]}]}, "overdue_working_days"),
    ({"rungs": [{"rung": "x", "when": [{"overdue_working_days": 1}], "notify": ["mayor"]}]}, "mayor"),
    ({"rungs": [{"rung": "x", "when": [{"overdue_working_days": 1}], "open_cases": ["jail"]}]}, "open_cases"),
    ({"reminders": [{"kind": "r"}]}, "working_days_before"),
])
def test_a_malformed_policy_is_refused_naming_the_entry(bad, message):
    with pytest.raises(PolicyError, match=message):
        parse_ladder(bad)


def test_reminders_one_working_day_before_and_on_the_day(db, parties, assigned):
    hazard = assigned(end_of("2026-12-08"))  # a Tuesday
    assert sweep("2026-12-04 09:00").reminders == []  # Friday: too early
    assert sweep("2026-12-07 09:00").reminders == [(hazard.id, "day_before")]  # Monday
    assert sweep("2026-12-07 15:00").reminders == []  # once
    assert sweep("2026-12-08 09:00").reminders == [(hazard.id, "due_day")]
    assert sweep("2026-12-08 18:00").reminders == []
    kinds = sorted(r.kind for r in db.session.scalars(select(DeadlineReminder)))
    assert kinds == ["day_before", "due_day"]
    for user in (parties.owner, parties.worker):
        assert [k for k in inbox_of(db, user) if k.startswith("reminder.")] == ["reminder.day_before",
                                                                                 "reminder.due_day"]
    assert inbox_of(db, parties.street) == []


def test_the_ladder_fires_each_rung_once_with_an_escalated_event(db, parties, assigned):
    hazard = assigned(end_of("2026-12-08"))
    assert sweep("2026-12-08 23:00").escalations == []
    assert sweep("2026-12-09 09:00").escalations == [(hazard.id, "street")]
    assert sweep("2026-12-10 09:00").escalations == []  # 2 working days overdue
    assert sweep("2026-12-11 09:00").escalations == [(hazard.id, "district")]
    for day in ("2026-12-14", "2026-12-21"):
        assert sweep(f"{day} 09:00").escalations == []
    result = sweep("2026-12-22 09:00")  # 10 working days overdue
    assert result.escalations == [(hazard.id, "listed")]
    assert sorted(result.cases) == [(hazard.id, "blacklist_candidate"), (hazard.id, "supervision_proposal")]
    assert sweep("2027-01-30 09:00").as_dict()["escalations"] == 0
    assert rungs(db, hazard) == [("street", 1), ("district", 3), ("listed", 10)]

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.hazard_id == hazard.id,
                                                         AuditEvent.kind == "escalated").order_by(AuditEvent.id))
    assert [(e.payload["rung"], e.actor_role) for e in events] == [
        ("street", "system"), ("district", "system"), ("listed", "system")]
    assert "escalation.street" in inbox_of(db, parties.street)
    assert {"escalation.district", "escalation.listed"} <= set(inbox_of(db, parties.office))
    assert "escalation.district" in inbox_of(db, parties.fire)
    assert inbox_of(db, parties.elsewhere) == []


def test_escalated_events_keep_the_hash_chains_intact(db, parties, assigned):
    from hazardloop.hazards.events import verify_chains
    from hazardloop.hazards.services import transition

    first = assigned(end_of("2026-12-08"))
    assigned(end_of("2026-12-08"), level="major")
    sweep("2026-12-09 09:00")
    transition(first, "acknowledge", actor=parties.owner)  # a user's event between two sweeps
    db.session.commit()
    sweep("2026-12-11 09:00")
    first_id = first.id
    checked, broken = verify_chains()
    assert broken is None, broken
    hazard_events = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.hazard_id.is_not(None))).all()
    assert len(hazard_events) == 2 * 2 + 1 + 4  # found and assign each, acknowledge, street+listed and street+district
    others = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.hazard_id.is_(None))).all()
    assert set(others) <= {"risk_level_changed"}  # the site's colour follows its hazards (风险分级管控)
    assert checked == len(hazard_events) + len(others)  # every event is in a chain, and every chain holds
    assert [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.hazard_id == first_id)
                                               .order_by(AuditEvent.id))] == [
        "found", "assign", "escalated", "acknowledge", "escalated"]


def test_an_overdue_major_hazard_goes_straight_to_listed_supervision(db, parties, assigned):
    hazard = assigned(end_of("2026-12-08"), level="major")
    result = sweep("2026-12-09 09:00")
    assert sorted(result.escalations) == [(hazard.id, "listed"), (hazard.id, "street")]
    assert {c.kind for c in db.session.scalars(select(EscalationCase))} == {
        "supervision_proposal", "blacklist_candidate"}


def test_a_closed_or_unassigned_hazard_is_never_escalated(db, parties, assigned):
    hazard = assigned(end_of("2026-12-08"))
    hazard.status = "awaiting_verification"
    db.session.commit()
    assert sweep("2026-12-30 09:00").examined == 0


def test_the_calendar_skips_the_national_day_holiday(db, parties, assigned):
    hazard = assigned(end_of("2026-09-30"))  # the day before 国庆 (1–7 October 2026)
    assert sweep("2026-10-07 09:00").escalations == [(hazard.id, "street")]  # 7 days late, 0 working days
    assert sweep("2026-10-09 09:00").escalations == []  # 8th and 9th are working days: 2
    assert sweep("2026-10-10 09:00").escalations == [(hazard.id, "district")]  # Saturday 10th is a 调休 workday
    reminded = assigned(end_of("2026-10-08"))  # first working day after the holiday
    assert (reminded.id, "day_before") not in sweep("2026-09-29 09:00").reminders
    assert (reminded.id, "day_before") in sweep("2026-09-30 09:00").reminders  # last working day before it


def test_the_timeline_shows_each_rung(db, parties, assigned, login):
    hazard = assigned(end_of("2026-12-08"))
    sweep("2026-12-09 09:00")
    sweep("2026-12-09 10:00")
    detail = login(parties.street).get(f"/api/v1/hazards/{hazard.id}").get_json()
    escalated = [e for e in detail["timeline"] if e["kind"] == "escalated"]
    assert len(escalated) == 1 and escalated[0]["label"] == "逾期升级"
