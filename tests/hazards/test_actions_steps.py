"""The workflow's steps through the API: 治理方案 review, 挂牌督办 and 摘牌, 复查不通过 with a chosen deadline,
延期 asked late and decided, 企业当场整改 and 自查自改 with its spot-check draw, and the 曝光台."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hazardloop.hazards.states import HazardLevel, HazardSource
from hazardloop.taxonomy import Role
from tests.conftest import assert_problem

PLAN = {"goals": "消除隐患", "methods": "更换设备", "funding": "5万元", "organization": "安全科 张三",
        "schedule": "30日内", "safety_measures": "设置警戒区"}


@pytest.fixture
def world(district, make_site, make_user, make_photo, login):
    site = make_site(district.grid_a1, domains=["fire", "nine_small"])
    users = {
        "worker": make_user("grid_worker", region=district.grid_a1),
        "inspector": make_user("inspector", region=district.street_a, department=district.fire_dept),
        "supervisor": make_user("supervisor", region=district.street_a),
        "owner": make_user("enterprise_user", site=site),
    }
    clients = {name: login(user) for name, user in users.items()}
    photos = {name: make_photo(user).id for name, user in users.items()}
    return {"site": site, "users": users, "clients": clients, "photos": photos}


def found(world: dict[str, Any], db: Any, *, level: str = "general", source: str = "grid_patrol") -> int:
    """A hazard just found (by the enterprise when ``source`` is 企业自查, else by the grid worker)."""
    from hazardloop.database import utcnow
    from hazardloop.hazards.services import create_hazard

    self_found = source == "self_check"
    finder = world["users"]["owner" if self_found else "worker"]
    hazard = create_hazard(site=world["site"], source=HazardSource(source), description="疏散通道堵塞",
                           level=HazardLevel(level), domain="fire", actor=finder, found_at=utcnow(),
                           actor_role=Role.ENTERPRISE_USER if self_found else Role.GRID_WORKER)
    db.session.commit()
    return hazard.id


def fire(world: dict[str, Any], who: str, hazard_id: int, action: str, **payload: Any) -> Any:
    return world["clients"][who].post(f"/api/v1/hazards/{hazard_id}/transitions", json={"action": action, **payload})


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def detail(world: dict[str, Any], who: str, hazard_id: int) -> dict[str, Any]:
    return ok(world["clients"][who].get(f"/api/v1/hazards/{hazard_id}"))


def rectifying(world: dict[str, Any], db: Any, **kw: Any) -> int:
    hazard_id = found(world, db, **kw)
    ok(fire(world, "supervisor", hazard_id, "assign"))
    ok(fire(world, "owner", hazard_id, "acknowledge"))
    return hazard_id


def test_a_governance_plan_is_returned_with_reasons_resubmitted_and_approved(world, db):
    hazard_id = rectifying(world, db, level="major")
    owner_view = detail(world, "owner", hazard_id)
    assert owner_view["governance_plan_state"] is None and "submit_governance_plan" in owner_view["allowed_actions"]
    assert [b["action"] for b in owner_view["blocked_actions"]] == ["submit_rectification"]
    ok(fire(world, "owner", hazard_id, "submit_governance_plan", plan=PLAN))
    assert "submit_governance_plan" not in detail(world, "owner", hazard_id)["allowed_actions"]
    body = assert_problem(fire(world, "supervisor", hazard_id, "return_governance_plan"), 409, "guard_failed")
    assert body["detail"] == "不能执行「退回治理方案」：请写明退回治理方案的理由。"
    assert body["errors"][0]["field"] == "note"
    returned = ok(fire(world, "supervisor", hazard_id, "return_governance_plan", note="经费来源不明确"))
    assert returned["governance_plan_state"] == "returned" and returned["governance_plan_note"] == "经费来源不明确"
    assert_problem(fire(world, "supervisor", hazard_id, "approve_governance_plan"), 409, "guard_failed")
    ok(fire(world, "owner", hazard_id, "submit_governance_plan", plan=PLAN | {"funding": "企业自筹5万元"}))
    approved = ok(fire(world, "supervisor", hazard_id, "approve_governance_plan", note="同意"))
    assert approved["governance_plan_state"] == "approved" and approved["governance_plan"]["funding"] == "企业自筹5万元"
    owner_view = detail(world, "owner", hazard_id)
    assert owner_view["blocked_actions"] == [] and "submit_rectification" in owner_view["allowed_actions"]
    kinds = [e["kind"] for e in approved["timeline"]]
    assert kinds[-4:] == ["submit_governance_plan", "return_governance_plan", "submit_governance_plan",
                          "approve_governance_plan"]


def test_a_supervisor_lists_a_major_hazard_and_lifts_it_once_closed(world, db):
    hazard_id = found(world, db, level="major")
    body = assert_problem(fire(world, "supervisor", hazard_id, "list_supervision", authority="区安委办",
                               deadline="2099-06-30"), 409, "guard_failed")
    assert body["errors"][0]["field"] == "requirements"
    listed = ok(fire(world, "supervisor", hazard_id, "list_supervision", authority="区安委办",
                     deadline="2099-06-30", requirements="限期30日完成治理"))
    supervision = listed["supervision"]
    assert supervision["authority"] == "区安委办" and supervision["requirements"] == "限期30日完成治理"
    assert supervision["deadline"].startswith("2099-06-30") and supervision["listed_at"]
    assert supervision["lifted_at"] is None
    assert "list_supervision" not in listed["allowed_actions"] and "lift_supervision" not in listed["allowed_actions"]
    assert_problem(fire(world, "supervisor", hazard_id, "lift_supervision"), 409, "invalid_transition")
    assert_problem(fire(world, "owner", found(world, db), "list_supervision", authority="区安委办",
                        deadline="2099-06-30", requirements="限期"), 403, "forbidden")

    for who, action, payload in [("supervisor", "assign", {}), ("owner", "acknowledge", {}),
                                 ("owner", "submit_governance_plan", {"plan": PLAN}),
                                 ("supervisor", "approve_governance_plan", {}),
                                 ("owner", "submit_rectification", {"measures": "已治理",
                                                                    "photo_ids": [world["photos"]["owner"]]})]:
        ok(fire(world, who, hazard_id, action, **payload))  # the loop's middle, each step by its party
    closed = ok(fire(world, "supervisor", hazard_id, "verify_pass", note="复查合格"))
    assert "lift_supervision" in closed["allowed_actions"]
    lifted = ok(fire(world, "supervisor", hazard_id, "lift_supervision", note="督办销号"))
    assert lifted["supervision"]["lifted_at"] and lifted["supervised"] is True
    body = assert_problem(fire(world, "supervisor", hazard_id, "lift_supervision"), 409, "guard_failed")
    assert body["detail"] == "不能执行「摘牌」：该隐患已摘牌。"


def test_a_failed_verification_takes_the_verifiers_deadline(world, db):
    hazard_id = rectifying(world, db)
    ok(fire(world, "owner", hazard_id, "submit_rectification", measures="已清理",
            photo_ids=[world["photos"]["owner"]]))
    view = detail(world, "worker", hazard_id)
    default = dt.date.fromisoformat(view["default_deadline"])
    assert default > dt.date.today()
    body = assert_problem(fire(world, "worker", hazard_id, "verify_fail", note="仍有杂物"), 409, "guard_failed")
    assert "复查不通过" in body["detail"] and "销号" not in body["detail"] and body["errors"][0]["field"] == "deadline"
    failed = ok(fire(world, "worker", hazard_id, "verify_fail", note="仍有杂物", deadline="2099-02-28"))
    assert failed["status"] == "rectifying" and failed["deadline_at"].startswith("2099-02-28")
    assert failed["timeline"][-1]["payload"]["deadline"].startswith("2099-02-28")


def test_a_grid_worker_is_not_offered_the_verification_of_a_major_hazard(world, make_hazard):
    hazard_id = make_hazard("awaiting_verification", level="major", site=world["site"]).id
    view = detail(world, "worker", hazard_id)
    assert view["allowed_actions"] == [] and view["blocked_actions"] == []
    body = assert_problem(fire(world, "worker", hazard_id, "verify_fail", note="不合格", deadline="2099-01-31"),
                          409, "guard_failed")
    assert body["detail"] == "不能执行「复查不通过」：重大隐患须由监管人员（街道或区安委办）复查。"
    assert {"verify_pass", "verify_fail"} <= set(detail(world, "supervisor", hazard_id)["allowed_actions"])


def test_an_extension_asked_after_the_deadline_is_flagged_and_decided_with_a_note(world, db):
    from hazardloop.database import utcnow
    from hazardloop.hazards.models import Hazard

    hazard_id = rectifying(world, db)
    db.session.get(Hazard, hazard_id).deadline_at = utcnow() - dt.timedelta(days=2)
    db.session.commit()
    asked = ok(fire(world, "owner", hazard_id, "request_extension", reason="配件未到货",
                    requested_deadline="2099-03-31"))
    extension = asked["extension"]
    assert extension["state"] == "requested" and extension["after_deadline"] is True
    assert extension["requested_at"] and extension["requested_deadline"].startswith("2099-03-31")
    assert asked["timeline"][-1]["payload"]["after_deadline"] is True
    assert "request_extension" not in asked["allowed_actions"]
    supervisor_view = detail(world, "supervisor", hazard_id)
    assert {"approve_extension", "refuse_extension"} <= set(supervisor_view["allowed_actions"])
    approved = ok(fire(world, "supervisor", hazard_id, "approve_extension", note="同意延至3月底"))
    assert approved["extension"]["state"] == "approved" and approved["extension"]["decided_at"]
    assert approved["extension"]["decision_note"] == "同意延至3月底"
    assert approved["deadline_at"].startswith("2099-03-31")
    owner_view = detail(world, "owner", hazard_id)
    assert owner_view["extension"]["state"] == "approved" and "request_extension" not in owner_view["allowed_actions"]
    body = assert_problem(fire(world, "owner", hazard_id, "request_extension", reason="再延",
                               requested_deadline="2099-05-31"), 409, "guard_failed")
    assert body["detail"] == "不能执行「申请延期」：延期申请已获同意，每项隐患只能申请一次延期。"


def test_an_extension_refused_with_a_reason(world, db):
    hazard_id = rectifying(world, db)
    asked = ok(fire(world, "owner", hazard_id, "request_extension", reason="人手不足", requested_deadline="2099-03-31"))
    assert asked["extension"]["after_deadline"] is False
    assert_problem(fire(world, "supervisor", hazard_id, "refuse_extension"), 409, "guard_failed")
    refused = ok(fire(world, "supervisor", hazard_id, "refuse_extension", note="整改难度不大"))
    assert refused["extension"]["state"] == "refused" and refused["extension"]["decision_note"] == "整改难度不大"


def test_the_enterprise_closes_its_own_self_check_finding_on_site(world, db):
    own = found(world, db, source="self_check")
    photo = world["photos"]["owner"]
    assert {"close_on_site", "self_rectify"} <= set(detail(world, "owner", own)["allowed_actions"])
    closed = ok(fire(world, "owner", own, "close_on_site", before_photo_ids=[photo], after_photo_ids=[photo]))
    assert closed["status"] == "closed" and closed["timeline"][-1]["actor_role"] == "enterprise_user"
    official = found(world, db)
    assert detail(world, "owner", official)["allowed_actions"] == []
    body = assert_problem(fire(world, "owner", official, "close_on_site", before_photo_ids=[photo],
                               after_photo_ids=[photo]), 409, "guard_failed")
    assert body["detail"] == "不能执行「当场整改」：企业只能对本单位自查发现的隐患当场整改。"


@pytest.mark.parametrize(("share", "status"), [(0.0, "closed"), (1.0, "awaiting_verification")])
def test_self_rectification_closes_or_goes_to_a_recorded_spot_check(world, db, app, share, status):
    app.config["SELF_RECTIFY_SPOT_CHECK_SHARE"] = share
    try:
        hazard_id = found(world, db, source="self_check")
        done = ok(fire(world, "owner", hazard_id, "self_rectify", measures="已清理通道",
                       photo_ids=[world["photos"]["owner"]]))
    finally:
        app.config["SELF_RECTIFY_SPOT_CHECK_SHARE"] = 0.2
    assert done["status"] == status
    event = done["timeline"][-1]
    assert event["kind"] == "self_rectify" and event["payload"]["share"] == share
    assert event["payload"]["spot_check"] is (status == "awaiting_verification")
    assert 0 <= event["payload"]["draw"] < 1
    if status == "awaiting_verification":
        assert "verify_pass" in detail(world, "worker", hazard_id)["allowed_actions"]
        assert ok(fire(world, "worker", hazard_id, "verify_pass", note="抽查合格"))["status"] == "closed"
    else:
        assert done["closed_at"]


def test_a_major_self_check_finding_is_reported_not_self_rectified(world, db):
    hazard_id = found(world, db, level="major", source="self_check")
    assert detail(world, "owner", hazard_id)["allowed_actions"] == []
    assert "assign" in detail(world, "supervisor", hazard_id)["allowed_actions"]


def test_the_exposure_board_preview_publish_and_withdraw_follow_the_rule(world, db, login):
    hazard_id = found(world, db)
    supervisor = world["clients"]["supervisor"]
    view = detail(world, "supervisor", hazard_id)
    assert view["published"] is False and "publish_exposure" in view["allowed_actions"]
    assert "publish_exposure" not in detail(world, "worker", hazard_id)["allowed_actions"]
    preview = ok(supervisor.get(f"/api/v1/hazards/{hazard_id}/publication"))
    assert preview["public"] is False and preview["preview"]["site_name"] == world["site"].name
    assert preview["preview"]["status_label"] == "已发现"
    assert_problem(world["clients"]["worker"].get(f"/api/v1/hazards/{hazard_id}/publication"), 403)

    published = supervisor.post(f"/api/v1/hazards/{hazard_id}/publish", json={"public": True})
    assert published.status_code == 200, published.get_json()
    board = world["clients"]["worker"].get("/api/v1/public/exposure").get_json()["items"]
    shown = ok(supervisor.get(f"/api/v1/hazards/{hazard_id}/publication"))
    assert shown["public"] is True and board == [shown["preview"]]  # the preview is the board's own card
    view = detail(world, "supervisor", hazard_id)
    assert view["published"] is True and "withdraw_exposure" in view["allowed_actions"]
    assert "publish_exposure" not in view["allowed_actions"]  # nothing new to show
    assert_problem(supervisor.post(f"/api/v1/hazards/{hazard_id}/publish", json={"public": True}), 409,
                   "already_published")
    withdrawn = supervisor.post(f"/api/v1/hazards/{hazard_id}/publish", json={"public": False})
    assert withdrawn.get_json()["public"] is False
    assert_problem(supervisor.post(f"/api/v1/hazards/{hazard_id}/publish", json={"public": False}), 409,
                   "guard_failed")
    kinds = [e["kind"] for e in detail(world, "supervisor", hazard_id)["timeline"]]
    assert kinds == ["found", "publish_exposure", "withdraw_exposure"]
