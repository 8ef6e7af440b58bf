"""The workflow's guards as tables: payload checks, the states each step starts from, and the offer per state and role.

The pure checks of ``hazards.states`` are called directly; ``hazards.actions.judge`` is asked about hazards
that ``make_hazard`` brought into each state through the real transitions (no HTTP in between).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hazardloop.hazards.states import (
    GOVERNANCE_PLAN_PARTS,
    TRANSITIONS,
    HazardStatus,
    allowed_from,
    complete_governance_plan,
    on_site_photos,
    rectification_report,
    refusal_reason,
    return_reason,
)
from tests.factories import GOVERNANCE_PLAN

S = HazardStatus
ANY = SimpleNamespace(level="general", source="grid_patrol", covert=False)


@pytest.mark.parametrize(("check", "payload", "answer"), [
    (rectification_report, {}, ("measures", "请填写已采取的整改措施。")),
    (rectification_report, {"measures": "  "}, ("measures", "请填写已采取的整改措施。")),
    (rectification_report, {"measures": "已清理"}, ("photo_ids", "请上传整改后的照片。")),
    (rectification_report, {"measures": "已清理", "photo_ids": []}, ("photo_ids", "请上传整改后的照片。")),
    (rectification_report, {"measures": "已清理", "photo_ids": ["p1"]}, None),
    (refusal_reason, {}, ("note", "请写明不同意延期的理由。")),
    (refusal_reason, {"note": "理由不充分"}, None),
    (return_reason, {"note": ""}, ("note", "请写明退回治理方案的理由。")),
    (return_reason, {"note": "缺少经费来源"}, None),
    (on_site_photos, {}, ("before_photo_ids", "当场整改须有整改前的照片。")),
    (on_site_photos, {"before_photo_ids": ["p1"]}, ("after_photo_ids", "当场整改须有整改后的照片。")),
    (on_site_photos, {"before_photo_ids": ["p1"], "after_photo_ids": ["p2"]}, None),
    (complete_governance_plan, {"plan": GOVERNANCE_PLAN}, None),
], ids=lambda v: getattr(v, "__name__", None))
def test_a_payload_check_names_the_first_missing_field(check, payload, answer):
    assert check(ANY, payload) == answer


@pytest.mark.parametrize("missing", sorted(GOVERNANCE_PLAN_PARTS))
def test_a_governance_plan_lacking_one_of_the_six_parts_names_it(missing):
    plan = {k: v for k, v in GOVERNANCE_PLAN.items() if k != missing}
    answer = ("plan", f"治理方案缺少：{GOVERNANCE_PLAN_PARTS[missing]}。")
    assert complete_governance_plan(ANY, {"plan": plan}) == answer


def test_an_empty_governance_plan_names_all_six_parts_in_order():
    field, message = complete_governance_plan(ANY, {})
    assert field == "plan" and message == f"治理方案缺少：{'、'.join(GOVERNANCE_PLAN_PARTS.values())}。"


@pytest.mark.parametrize(("status", "actions"), [
    (S.FOUND, {"expose", "assign", "list_supervision", "close_on_site", "self_rectify"}),
    (S.EXPOSED, {"assign", "list_supervision"}),
    (S.ASSIGNED, {"acknowledge", "submit_governance_plan", "approve_governance_plan", "return_governance_plan",
                  "request_extension", "approve_extension", "refuse_extension", "list_supervision"}),
    (S.RECTIFYING, {"submit_governance_plan", "approve_governance_plan", "return_governance_plan",
                    "submit_rectification", "request_extension", "approve_extension", "refuse_extension",
                    "list_supervision"}),
    (S.AWAITING_VERIFICATION, {"verify_pass", "verify_fail", "list_supervision"}),
    (S.CLOSED, {"lift_supervision"}),
])
def test_the_steps_that_start_from_each_state(status, actions):
    assert set(allowed_from(status)) == actions
    assert set(allowed_from(status.value)) == actions


def test_every_step_leads_to_a_state_of_the_table_or_stays():
    for action, step in TRANSITIONS.items():
        assert step.target is None or step.target in set(HazardStatus), action
    assert {a for a, t in TRANSITIONS.items() if t.target is None} == {
        "submit_governance_plan", "approve_governance_plan", "return_governance_plan", "request_extension",
        "approve_extension", "refuse_extension", "list_supervision", "lift_supervision"}


# --- the offer per state, level and role, on hazards brought there by the real transitions ----------------------

def offered(make_hazard, hazard, who):
    from hazardloop.hazards.actions import allowed

    return set(allowed(getattr(make_hazard.cast(hazard.site), who), hazard))


@pytest.mark.parametrize(("state", "level", "who", "actions"), [
    ("found", "general", "worker", {"assign", "close_on_site"}),
    ("found", "general", "inspector", {"expose", "assign", "close_on_site"}),
    ("found", "general", "owner", set()),
    ("exposed", "general", "supervisor", {"assign", "publish_exposure"}),
    ("assigned", "general", "owner", {"acknowledge", "request_extension"}),
    ("rectifying", "general", "owner", {"submit_rectification", "request_extension"}),
    ("rectifying", "major", "owner", {"submit_governance_plan", "request_extension"}),
    ("awaiting_verification", "general", "worker", {"verify_pass", "verify_fail"}),
    ("awaiting_verification", "major", "worker", set()),
    ("awaiting_verification", "major", "supervisor", {"verify_pass", "verify_fail", "list_supervision",
                                                      "publish_exposure"}),
    ("closed", "general", "supervisor", {"publish_exposure"}),
    ("closed", "general", "owner", set()),
])
def test_what_each_party_may_do_in_each_state(make_hazard, state, level, who, actions):
    hazard = make_hazard(state, level=level)
    assert hazard.status == state
    assert offered(make_hazard, hazard, who) == actions


def test_a_major_hazard_waits_for_its_plan_before_rectification_is_reported(make_hazard):
    from hazardloop.hazards.actions import available_actions

    hazard = make_hazard("rectifying", level="major", plan="submitted")
    owner = make_hazard.cast(hazard.site).owner
    blocked = {o.action: o.blocked_reason for o in available_actions(owner, hazard)}
    assert blocked["submit_rectification"] == "重大隐患须先有审批通过的治理方案，才能报告整改完成。"
    assert "submit_governance_plan" not in blocked


def test_an_overdue_hazard_reached_through_the_services_carries_its_history(make_hazard, db):
    from sqlalchemy import select

    from hazardloop.database import utcnow
    from hazardloop.hazards.models import AuditEvent
    from hazardloop.hazards.services import is_overdue

    hazard = make_hazard("rectifying", overdue=True, extension="requested")
    assert is_overdue(hazard) and hazard.deadline_at < utcnow()
    assert hazard.extension_state == "requested"
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.hazard_id == hazard.id)
                               .order_by(AuditEvent.id)).all()
    assert kinds == ["found", "assign", "acknowledge", "request_extension"]
