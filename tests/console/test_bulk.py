"""Bulk actions: each hazard through the workflow and policy; a mix of allowed, refused and unseen ids."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import assert_problem


def bulk(client, action, ids, note=None):
    response = client.post("/api/v1/console/bulk", json={"action": action, "hazard_ids": ids,
                                                         **({"note": note} if note else {})})
    assert response.status_code == 200, response.get_json()
    return {r["hazard_id"]: r for r in response.get_json()["results"]}


def test_approving_extensions_mixes_allowed_refused_and_unseen(world, login, db):
    from hazardloop.hazards.models import AuditEvent, Hazard

    results = bulk(login(world.people.office), "approve_extension", [world.h3.id, world.h1.id, 999999])
    assert results[world.h3.id] == {"hazard_id": world.h3.id, "ok": True}
    assert results[world.h1.id]["ok"] is False and results[world.h1.id]["code"] == "guard_failed"
    assert "延期" in results[world.h1.id]["detail"]
    assert results[999999]["code"] == "not_found"
    db.session.expire_all()
    h3 = db.session.get(Hazard, world.h3.id)
    assert h3.extension_state == "approved" and h3.deadline_at.year == 2099
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.hazard_id == h3.id)
                               .order_by(AuditEvent.id.desc())).first()
    assert event.kind == "approve_extension" and event.actor_id == world.people.office.id


def test_out_of_scope_ids_come_back_not_found(world, login):
    results = bulk(login(world.people.street_a), "approve_extension", [world.h3.id])  # H3 is in street B
    assert results[world.h3.id] == {"hazard_id": world.h3.id, "ok": False, "code": "not_found",
                                    "detail": results[world.h3.id]["detail"]}


def test_refusing_needs_a_note_and_goes_through_the_workflow(world, login, db):
    from hazardloop.hazards.models import Hazard

    office = login(world.people.office)
    assert bulk(office, "refuse_extension", [world.h3.id])[world.h3.id]["code"] == "guard_failed"
    assert bulk(office, "refuse_extension", [world.h3.id], note="理由不充分")[world.h3.id]["ok"] is True
    db.session.expire_all()
    assert db.session.get(Hazard, world.h3.id).extension_state == "refused"


def test_an_inspector_may_remind_but_not_decide_extensions(world, login):
    fire = login(world.people.fire)
    assert bulk(fire, "approve_extension", [world.h3.id])[world.h3.id]["code"] == "forbidden"
    assert bulk(fire, "remind", [world.h3.id])[world.h3.id]["ok"] is True


def test_remind_notifies_the_parties_once_a_day(world, login, db):
    from hazardloop.hazards.models import AuditEvent
    from hazardloop.notifications.models import Notification

    office = login(world.people.office)
    results = bulk(office, "remind", [world.h1.id, world.h5.id], note="请本周内完成")
    assert results[world.h1.id] == {"hazard_id": world.h1.id, "ok": True}
    assert results[world.h5.id]["code"] == "not_running"  # only found, nothing to remind of yet
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "console.remind")))
    assert {world.people.owner_a1.id, world.people.worker_a1.id, world.people.fire.id} <= told
    again = bulk(office, "remind", [world.h1.id])
    assert again[world.h1.id]["ok"] is True and "已催办" in again[world.h1.id]["detail"]
    reminded = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "reminded")).all()
    assert len(reminded) == 1 and reminded[0].actor_id == world.people.office.id
    timeline = office.get(f"/api/v1/hazards/{world.h1.id}").get_json()["timeline"]
    assert [e["label"] for e in timeline if e["kind"] == "reminded"] == ["催办"]


def test_escalate_fires_the_next_rung_once_until_the_ladder_ends(world, login, db):
    from hazardloop.escalation.models import Escalation, EscalationCase
    from hazardloop.hazards.events import verify_chains
    from hazardloop.hazards.models import AuditEvent

    office = login(world.people.office)
    rungs = [bulk(office, "escalate", [world.h1.id])[world.h1.id].get("rung") for _ in range(3)]
    assert rungs == ["street", "district", "listed"]
    last = bulk(office, "escalate", [world.h1.id])[world.h1.id]
    assert last["ok"] is False and last["code"] == "ladder_complete"
    assert bulk(office, "escalate", [world.h2.id])[world.h2.id]["code"] == "not_overdue"
    assert sorted(db.session.scalars(select(Escalation.rung).where(Escalation.hazard_id == world.h1.id))) == [
        "district", "listed", "street"]
    assert {c.kind for c in db.session.scalars(select(EscalationCase))} == {"supervision_proposal",
                                                                           "blacklist_candidate"}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "escalated")).all()
    assert len(events) == 3 and {e.actor_id for e in events} == {world.people.office.id}
    assert all(e.payload["manual"] for e in events)
    assert verify_chains()[1] is None
    row = office.get("/api/v1/console/overdue").get_json()["items"][0]
    assert row["escalation_rung"] == "supervision" and "escalate" not in row["allowed_actions"]


def test_the_sweep_does_not_fire_a_rung_a_supervisor_already_fired(world, login, db):
    from hazardloop.escalation.models import Escalation
    from hazardloop.escalation.services import sweep_deadlines

    bulk(login(world.people.office), "escalate", [world.h1.id])
    result = sweep_deadlines()
    db.session.commit()
    assert (world.h1.id, "street") not in result.escalations
    assert len(db.session.scalars(select(Escalation).where(Escalation.hazard_id == world.h1.id,
                                                           Escalation.rung == "street")).all()) == 1


def test_street_supervisor_may_not_escalate_outside_and_grid_worker_has_no_console(world, login):
    assert bulk(login(world.people.street_a), "escalate", [world.h6.id])[world.h6.id]["ok"] is True
    assert_problem(login(world.people.worker_a1).post("/api/v1/console/bulk", json={
        "action": "remind", "hazard_ids": [world.h1.id]}), 403, "forbidden")


def test_bad_bulk_requests_are_problems(world, login):
    office = login(world.people.office)
    assert_problem(office.post("/api/v1/console/bulk", json={"action": "delete", "hazard_ids": [1]}), 422)
    assert_problem(office.post("/api/v1/console/bulk", json={"action": "remind", "hazard_ids": []}), 422)
    assert_problem(office.post("/api/v1/console/bulk", json={"action": "remind"}), 422)
