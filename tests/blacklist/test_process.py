"""黑名单: candidates from the escalation ladder, every step of the process with who and when, invalid steps,
the district-level decisions, the clean period before 移出, scope, the XLSX ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import assert_problem
from tests.support.exports import read_xlsx


def escalate_to_the_top(client, hazard_id):
    from hazardloop.database import utcnow
    from hazardloop.extensions import db
    from hazardloop.hazards.models import Hazard

    hazard = db.session.get(Hazard, hazard_id)
    if hazard.deadline_at > utcnow():
        hazard.deadline_at = utcnow() - dt.timedelta(days=1)  # let it run late
        db.session.commit()
    for _ in range(3):
        response = client.post("/api/v1/console/bulk", json={"action": "escalate", "hazard_ids": [hazard_id]})
        assert response.get_json()["results"][0]["ok"], response.get_json()


@pytest.fixture
def candidate(world, login):
    """H1 (shop A1) escalated to the top rung: a 黑名单候选 for shop A1, as listed to the district office."""
    office = login(world.people.office)
    escalate_to_the_top(office, world.h1.id)
    body = office.get("/api/v1/blacklist").get_json()
    assert body["total"] == 1
    return body["items"][0]


def year_and_a_day_ago(db, entry_id):
    """Move the entry's publication and the case behind it back a year and a day (config: 365 days)."""
    from hazardloop.blacklist.models import BlacklistEntry
    from hazardloop.escalation.models import EscalationCase

    entry = db.session.get(BlacklistEntry, entry_id)
    entry.published_at -= dt.timedelta(days=366)
    for case in db.session.scalars(select(EscalationCase)):
        case.created_at -= dt.timedelta(days=367)
    db.session.commit()


def step(client, entry_id, name, note=None, **extra):
    return client.post(f"/api/v1/blacklist/{entry_id}/steps", json={"step": name, "note": note, **extra})


def ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_top_rung_case_becomes_a_candidate_with_enterprise_facts_only(world, candidate):
    assert candidate["status"] == "candidate" and candidate["site"]["id"] == world.shop_a1.id
    assert candidate["enterprise_name"] == world.shop_a1.name
    assert world.h1.number in candidate["reason"] and "逾期" in candidate["reason"]
    text = str(candidate)
    assert "张三丰" not in text and "13912345678" not in text  # the contact person never appears
    assert candidate["published_at"] is None and candidate["removable_after"] is None


def test_the_scheduled_job_takes_candidates_in_before_anyone_looks(world, login, db):
    from hazardloop.blacklist.jobs import collect_blacklist_candidates
    from hazardloop.blacklist.models import BlacklistEntry

    escalate_to_the_top(login(world.people.office), world.h1.id)
    assert collect_blacklist_candidates() == {"taken": 1}
    assert collect_blacklist_candidates() == {"taken": 0}  # a case is taken once
    entries = db.session.scalars(select(BlacklistEntry)).all()
    assert [(e.site_id, e.status) for e in entries] == [(world.shop_a1.id, "candidate")]


def test_the_whole_process_is_recorded_step_by_step(world, candidate, login, db):
    from hazardloop.hazards.events import verify_chains
    from hazardloop.hazards.models import AuditEvent

    street, office = login(world.people.street_a), login(world.people.office)
    entry_id = candidate["id"]
    assert ok(street.get(f"/api/v1/blacklist/{entry_id}"))["allowed_steps"] == ["collect", "dismiss"]
    assert ok(step(street, entry_id, "collect"))["status"] == "collected"
    assert_problem(step(street, entry_id, "review"), 409, "guard_failed")  # 会审 needs its opinion
    assert ok(step(street, entry_id, "review", "会审同意列入"))["status"] == "reviewed"
    body = assert_problem(step(street, entry_id, "approve"), 409, "guard_failed")  # a street may not 报批
    assert "区级" in body["detail"]
    assert ok(step(office, entry_id, "approve"))["status"] == "approved"
    published = ok(step(office, entry_id, "publish"))
    assert published["status"] == "published" and published["published_at"]
    assert published["removable_after"] > published["published_at"]
    assert_problem(step(office, entry_id, "remove"), 409, "guard_failed")  # the clean period has not passed
    assert "remove" not in published["allowed_steps"]
    assert ok(step(street, entry_id, "object", "企业提出异议：已整改"))["status"] == "objection"
    assert ok(step(office, entry_id, "reject_objection", "整改发生在逾期之后，异议不成立"))["status"] == "published"
    detail = ok(office.get(f"/api/v1/blacklist/{entry_id}"))
    assert [s["step"] for s in detail["steps"]] == ["collect", "review", "approve", "publish", "object",
                                                    "reject_objection"]
    assert detail["steps"][0]["actor"] == {"id": world.people.street_a.id, "name": world.people.street_a.display_name}
    assert detail["steps"][2]["actor"]["id"] == world.people.office.id and detail["steps"][1]["note"] == "会审同意列入"
    assert all(s["at"] for s in detail["steps"])
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.kind.like("blacklist.%"))
                                                .order_by(AuditEvent.id))]
    assert kinds == [f"blacklist.{s}" for s in ("collect", "review", "approve", "publish", "object",
                                                "reject_objection")]
    assert verify_chains()[1] is None


def test_removal_after_the_clean_period(world, candidate, login, db):
    office = login(world.people.office)
    entry_id = candidate["id"]
    for name, note in (("collect", None), ("review", "同意"), ("approve", None), ("publish", None)):
        ok(step(office, entry_id, name, note))
    year_and_a_day_ago(db, entry_id)
    detail = ok(office.get(f"/api/v1/blacklist/{entry_id}"))
    assert "remove" in detail["allowed_steps"]
    removed = ok(step(office, entry_id, "remove", "满一年无新的失信行为"))
    assert removed["status"] == "removed" and removed["removed_at"]


def test_a_new_candidate_after_publication_restarts_the_clean_period(world, candidate, login, db):
    from hazardloop.database import utcnow

    office = login(world.people.office)
    entry_id = candidate["id"]
    for name, note in (("collect", None), ("review", "同意"), ("approve", None), ("publish", None)):
        ok(step(office, entry_id, name, note))
    year_and_a_day_ago(db, entry_id)
    escalate_to_the_top(office, world.h2.id)  # another hazard of the same enterprise reaches the top rung
    listed = ok(office.get("/api/v1/blacklist"))
    assert listed["total"] == 1 and world.h2.number in listed["items"][0]["reason"]
    detail = ok(office.get(f"/api/v1/blacklist/{entry_id}"))
    assert "remove" not in detail["allowed_steps"]
    assert_problem(step(office, entry_id, "remove"), 409, "guard_failed")
    removable = dt.datetime.fromisoformat(detail["removable_after"])
    assert removable > utcnow() + dt.timedelta(days=364)


def test_an_upheld_objection_removes_at_once(world, candidate, login):
    office = login(world.people.office)
    entry_id = candidate["id"]
    for name, note in (("collect", None), ("review", "同意"), ("approve", None), ("publish", None),
                       ("object", "异议：逾期系行政审批延误")):
        ok(step(office, entry_id, name, note))
    assert_problem(step(office, entry_id, "uphold_objection"), 409, "guard_failed")  # needs the reasons
    assert ok(step(office, entry_id, "uphold_objection", "经核实异议成立"))["status"] == "removed"


@pytest.mark.parametrize(("status_steps", "invalid"), [
    ([], "publish"), ([], "remove"), ([], "object"), (["collect"], "approve"),
    (["collect", ("review", "同意")], "collect"), (["collect", ("review", "同意"), "approve"], "dismiss"),
])
def test_invalid_steps_are_409_naming_the_state_and_the_allowed_steps(world, candidate, login, status_steps,
                                                                      invalid):
    office = login(world.people.office)
    for s in status_steps:
        name, note = s if isinstance(s, tuple) else (s, None)
        ok(step(office, candidate["id"], name, note))
    body = assert_problem(step(office, candidate["id"], invalid, "备注"), 409, "invalid_transition")
    assert body["current_status"] and isinstance(body["allowed_steps"], list)


def test_dismissal_ends_the_entry_and_a_later_case_opens_a_new_one(world, candidate, login):
    office = login(world.people.office)
    assert ok(step(office, candidate["id"], "dismiss", "已整改完毕，不予列入"))["status"] == "dismissed"
    escalate_to_the_top(office, world.h2.id)
    statuses = sorted(e["status"] for e in ok(office.get("/api/v1/blacklist"))["items"])
    assert statuses == ["candidate", "dismissed"]


def test_resending_a_step_with_its_client_event_id_is_a_no_op(world, candidate, login):
    office = login(world.people.office)
    first = ok(step(office, candidate["id"], "collect", client_event_id="blk-0001-collect"))
    again = ok(step(office, candidate["id"], "collect", client_event_id="blk-0001-collect"))
    assert first["status"] == again["status"] == "collected" and len(again["steps"]) == 1


def test_scope_and_roles(world, candidate, login):
    entry_id = candidate["id"]
    assert_problem(login(world.people.street_b).get(f"/api/v1/blacklist/{entry_id}"), 404, "not_found")
    assert_problem(step(login(world.people.street_b), entry_id, "collect"), 404, "not_found")
    assert ok(login(world.people.street_b).get("/api/v1/blacklist"))["total"] == 0
    fire = login(world.people.fire)
    assert ok(fire.get(f"/api/v1/blacklist/{entry_id}"))["allowed_steps"] == []
    assert_problem(step(fire, entry_id, "collect"), 403, "forbidden")
    assert_problem(login(world.people.worker_a1).get("/api/v1/blacklist"), 403, "forbidden")
    assert_problem(login(world.people.owner_a1).get(f"/api/v1/blacklist/{entry_id}"), 404, "not_found")
    assert_problem(login(world.people.office).get("/api/v1/blacklist/999999"), 404, "not_found")


def test_bad_input_is_a_problem(world, candidate, login):
    office = login(world.people.office)
    assert_problem(step(office, candidate["id"], "burn"), 422, "validation_failed")
    assert_problem(office.get("/api/v1/blacklist?status=famous"), 422, "validation_failed")
    assert_problem(office.get("/api/v1/blacklist?cursor=%%%"), 422, "validation_failed")


def test_paging_and_the_status_filter(world, candidate, login):
    office = login(world.people.office)
    escalate_to_the_top(office, world.h6.id)  # the building site: a second enterprise
    first = ok(office.get("/api/v1/blacklist?limit=1"))
    assert first["total"] == 2 and len(first["items"]) == 1 and first["next_cursor"]
    second = ok(office.get(f"/api/v1/blacklist?limit=1&cursor={first['next_cursor']}"))
    assert second["next_cursor"] is None and second["items"][0]["id"] != first["items"][0]["id"]
    ok(step(office, candidate["id"], "collect"))
    assert [e["id"] for e in ok(office.get("/api/v1/blacklist?status=collected"))["items"]] == [candidate["id"]]


def test_blacklist_xlsx(world, candidate, login):
    [rows] = read_xlsx(login(world.people.office), "/api/v1/blacklist.xlsx").values()
    assert rows[0] == ("编号", "单位名称", "统一社会信用代码", "状态", "列入事由", "列为候选时间", "公布时间",
                       "最早可移出时间", "移出时间")
    assert rows[1][1] == world.shop_a1.name and rows[1][3] == "候选"
