"""挂牌督办建议: the ladder's top rung proposes, a supervisor accepts (挂牌督办) or dismisses with a reason — once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import assert_problem
from tests.support.concurrency import run_at_once
from tests.support.deadlines import assign_hazard, end_of, sweep

LISTING = {"authority": "区安全生产委员会办公室", "requirements": "限期完成整改并书面报告整改情况"}


def listing(days: int = 30) -> dict[str, str]:
    return {**LISTING, "deadline": (dt.date.today() + dt.timedelta(days=days)).isoformat()}


@pytest.fixture
def proposed(parties, login):
    """A 重大 hazard past its deadline: the sweep fires every rung up to the top, which proposes 挂牌督办."""
    hazard = assign_hazard(parties, deadline=end_of("2026-11-30"), level="major")
    result = sweep("2026-12-02 10:00")
    assert (hazard.id, "supervision_proposal") in result.cases
    street, office = login(parties.street), login(parties.office)
    (item,) = street.get("/api/v1/supervision-proposals").get_json()["items"]
    return hazard, item, street, office


def timeline(client, hazard_id):
    return client.get(f"/api/v1/hazards/{hazard_id}").get_json()["timeline"]


def test_a_supervisor_in_scope_accepts_and_the_hazard_is_listed_through_the_workflow(proposed, parties, login):
    hazard, item, street, _ = proposed
    assert item["status"] == "proposed" and item["status_label"] == "待决定" and item["can_accept"] is True
    assert item["hazard"]["id"] == hazard.id and item["hazard"]["level_label"] == "重大"
    assert item["hazard"]["site_name"] == parties.shop.name and item["overdue_working_days"] >= 0
    assert login(parties.elsewhere).get("/api/v1/supervision-proposals").get_json()["total"] == 0
    assert login(parties.worker).get("/api/v1/supervision-proposals").get_json()["total"] == 0
    assert_problem(login(parties.elsewhere).post(f"/api/v1/supervision-proposals/{item['id']}/accept",
                                                 json=listing()), 404)

    body = assert_problem(street.post(f"/api/v1/supervision-proposals/{item['id']}/accept",
                                      json={"authority": "区安委办"}), 422)
    assert {e["field"] for e in body["errors"]} >= {"deadline", "requirements"}
    assert_problem(street.post(f"/api/v1/supervision-proposals/{item['id']}/accept",
                               json={**listing(), "deadline": dt.date.today().isoformat()}), 422)

    accepted = street.post(f"/api/v1/supervision-proposals/{item['id']}/accept", json=listing())
    assert accepted.status_code == 200, accepted.get_json()
    decided = accepted.get_json()
    assert decided["status"] == "accepted" and decided["decided_at"] and decided["decided_by"]
    assert decided["can_accept"] is False
    detail = street.get(f"/api/v1/hazards/{hazard.id}").get_json()
    assert detail["supervised"] is True and detail["supervising_authority"] == LISTING["authority"]
    listed = [e for e in timeline(street, hazard.id) if e["kind"] == "list_supervision"]
    assert len(listed) == 1 and listed[0]["label"] == "挂牌督办"
    assert street.get("/api/v1/supervision-proposals?status=proposed").get_json()["total"] == 0


def test_dismissing_needs_a_reason_and_is_recorded_in_the_hazards_chain(proposed, db):
    from hazardloop.hazards.events import verify_chains

    hazard, item, street, office = proposed
    assert_problem(office.post(f"/api/v1/supervision-proposals/{item['id']}/dismiss", json={}), 422)
    assert_problem(office.post(f"/api/v1/supervision-proposals/{item['id']}/dismiss", json={"reason": " "}), 422)
    dismissed = office.post(f"/api/v1/supervision-proposals/{item['id']}/dismiss",
                            json={"reason": "企业已停产整顿，由街道跟踪"})
    assert dismissed.status_code == 200, dismissed.get_json()
    assert dismissed.get_json()["status_label"] == "不予督办"
    assert dismissed.get_json()["decision_note"] == "企业已停产整顿，由街道跟踪"
    (event,) = [e for e in timeline(office, hazard.id) if e["kind"] == "supervision_dismissed"]
    assert event["label"] == "不予挂牌督办" and event["note"] == "企业已停产整顿，由街道跟踪"
    assert office.get(f"/api/v1/hazards/{hazard.id}").get_json()["supervised"] is False
    body = assert_problem(street.post(f"/api/v1/supervision-proposals/{item['id']}/accept", json=listing()),
                          409, "proposal_already_decided")
    assert "不予督办" in body["detail"]
    assert verify_chains()[1] is None


@pytest.mark.parametrize("second", ["accept", "dismiss"])
def test_two_officials_deciding_at_once_have_one_effect_and_the_second_gets_a_clear_409(proposed, db, second):
    from hazardloop.hazards.models import AuditEvent

    hazard, item, street, office = proposed
    url = f"/api/v1/supervision-proposals/{item['id']}"
    other = {"accept": lambda: office.post(f"{url}/accept", json=listing(40)),
             "dismiss": lambda: office.post(f"{url}/dismiss", json={"reason": "已另行处理"})}[second]
    first, late = run_at_once([lambda: street.post(f"{url}/accept", json=listing()), other])
    statuses = sorted([first.status_code, late.status_code])
    assert statuses == [200, 409], (first.get_json(), late.get_json())
    loser = late if late.status_code == 409 else first
    assert_problem(loser, 409, "proposal_already_decided")
    db.session.expire_all()
    kinds = db.session.scalars(select(AuditEvent.kind).where(
        AuditEvent.hazard_id == hazard.id, AuditEvent.kind.in_(["list_supervision", "supervision_dismissed"]))).all()
    assert len(kinds) == 1


def test_the_accept_button_follows_the_workflows_own_rule(parties, login):
    """A 一般 hazard 10 working days overdue is also proposed; whether it can be listed is the workflow's call."""
    hazard = assign_hazard(parties, deadline=end_of("2026-11-13"))
    assert (hazard.id, "supervision_proposal") in sweep("2026-12-02 10:00").cases
    street = login(parties.street)
    (item,) = street.get("/api/v1/supervision-proposals").get_json()["items"]
    answer = street.post(f"/api/v1/supervision-proposals/{item['id']}/accept", json=listing())
    assert (answer.status_code == 200) is item["can_accept"], (item, answer.get_json())
    if not item["can_accept"]:
        assert item["accept_blocked_reason"] and answer.status_code in (403, 409, 422)
        assert street.get(f"/api/v1/supervision-proposals/{item['id']}").get_json()["status"] == "proposed"
