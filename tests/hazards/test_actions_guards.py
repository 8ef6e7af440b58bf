"""The workflow's pure checks: what hides a step, what blocks it, what its payload must carry."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from hazardloop.hazards.states import (
    TRANSITIONS,
    HazardStatus,
    extension_request,
    failed_verification,
    fixable_on_site,
    found_by_the_enterprise,
    liftable,
    listable,
    no_extension_yet,
    plan_approved_if_major,
    plan_awaiting_review,
    plan_open_for_submission,
    routine_or_official,
    supervision_order,
    verifier_fits_level,
)
from hazardloop.taxonomy import Role

G, IN, SV, E, AD = Role.GRID_WORKER, Role.INSPECTOR, Role.SUPERVISOR, Role.ENTERPRISE_USER, Role.ADMIN


def hazard(level: str = "general", source: str = "grid_patrol", **fields: object) -> Any:
    """A stand-in with a hazard's fields: the checks are pure functions of them."""
    defaults = {"id": 1, "status": "found", "supervised": False, "supervision_lifted_at": None,
                "extension_state": None, "governance_plan_state": None}
    return SimpleNamespace(**{**defaults, "level": level, "source": source, "covert": source == "covert", **fields})


@pytest.mark.parametrize(("role", "refused"), [(G, True), (IN, True), (SV, False), (AD, False)])
def test_a_major_hazard_is_verified_by_a_supervisor(role, refused):
    assert bool(verifier_fits_level(hazard("major"), role)) is refused
    assert verifier_fits_level(hazard("general"), role) is None


def test_the_verification_refusal_never_speaks_of_closing():
    reason = verifier_fits_level(hazard("major"), G)
    assert reason == "重大隐患须由监管人员（街道或区安委办）复查。" and "销号" not in reason


def test_a_covert_finding_is_not_a_grid_workers_to_handle():
    assert routine_or_official(hazard(source="covert"), G)
    assert routine_or_official(hazard(source="covert"), IN) is None
    assert routine_or_official(hazard(), G) is None


@pytest.mark.parametrize(("state", "offered"), [(None, True), ("requested", False), ("approved", False),
                                                ("refused", False)])
def test_one_extension_per_hazard(state, offered):
    assert (no_extension_yet(hazard(extension_state=state), E) is None) is offered


def test_an_approved_extension_says_so_instead_of_offering_another():
    assert "已获同意" in no_extension_yet(hazard(extension_state="approved"), E)


@pytest.mark.parametrize(("plan_state", "submit", "review", "rectify"), [
    (None, True, False, False), ("submitted", False, True, False), ("returned", True, False, False),
    ("approved", False, False, True)])
def test_the_governance_plan_review_cycle(plan_state, submit, review, rectify):
    major = hazard("major", governance_plan_state=plan_state)
    assert (plan_open_for_submission(major, E) is None) is submit
    assert (plan_awaiting_review(major, SV) is None) is review
    assert (plan_approved_if_major(major, E) is None) is rectify


def test_a_general_hazard_needs_no_plan_and_is_not_listed():
    general = hazard("general")
    assert plan_open_for_submission(general, E) and plan_awaiting_review(general, SV)
    assert plan_approved_if_major(general, E) is None
    assert listable(general, SV) == "只有重大隐患实行挂牌督办。"


def test_listing_and_lifting_supervision():
    assert listable(hazard("major"), SV) is None
    assert listable(hazard("major", supervised=True), SV) == "该隐患已挂牌督办。"
    assert liftable(hazard("major"), SV) == "该隐患没有挂牌督办。"
    assert liftable(hazard("major", supervised=True), SV) is None


@pytest.mark.parametrize(("level", "source", "role", "offered"), [
    ("general", "self_check", E, True), ("general", "grid_patrol", E, False), ("major", "self_check", E, False),
    ("general", "grid_patrol", G, True), ("general", "covert", G, False), ("general", "covert", IN, True),
    ("major", "grid_patrol", SV, False)])
def test_close_on_site(level, source, role, offered):
    assert (fixable_on_site(hazard(level, source), role) is None) is offered


@pytest.mark.parametrize(("level", "source", "offered"), [
    ("general", "self_check", True), ("major", "self_check", False), ("general", "grid_patrol", False)])
def test_self_rectification_is_for_the_enterprises_own_general_findings(level, source, offered):
    assert (found_by_the_enterprise(hazard(level, source), E) is None) is offered


def test_payload_checks_name_the_missing_field():
    h = hazard()
    assert failed_verification(h, {"note": "不合格"}) == ("deadline", "请确定重新整改的期限。")
    assert failed_verification(h, {"note": " ", "deadline": "2099-01-01"})[0] == "note"
    assert failed_verification(h, {"note": "不合格", "deadline": "2099-01-01"}) is None
    assert extension_request(h, {"reason": "采购"}) == ("requested_deadline", "请给出申请延至的日期。")
    assert supervision_order(h, {"authority": "区安委办", "deadline": "2099-01-01"})[0] == "requirements"


def test_the_table_reads_as_one_page():
    for action, step in TRANSITIONS.items():
        assert step.label and step.sources <= set(HazardStatus), action
        assert step.roles, action
    assert TRANSITIONS["self_rectify"].alternate == HazardStatus.AWAITING_VERIFICATION
    assert {TRANSITIONS[a].target for a in ("lift_supervision", "approve_governance_plan")} == {None}


def test_the_spot_check_draw_is_reproducible_and_follows_the_share(app):
    from hazardloop.hazards.services import spot_check_draw

    draws = [spot_check_draw(hazard(id=i)) for i in range(1, 401)]
    assert draws == [spot_check_draw(hazard(id=i)) for i in range(1, 401)]
    assert all(0 <= d < 1 for d in draws)
    assert 0.1 < sum(d < 0.2 for d in draws) / len(draws) < 0.3  # about the configured share of 20 %
    app.config["SELF_RECTIFY_SPOT_CHECK_SEED"] = "another-seed"
    try:
        assert [spot_check_draw(hazard(id=i)) for i in range(1, 401)] != draws
    finally:
        app.config["SELF_RECTIFY_SPOT_CHECK_SEED"] = "hazardloop-spot-check"
