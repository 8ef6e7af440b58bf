"""The closed loop through the API: 交办 → 整改 → 复查 → 闭环 → 通报, 延期, 挂牌督办, and its guards."""

from __future__ import annotations

import uuid

from hazardloop.hazards.states import TRANSITIONS, HazardStatus
from tests.conftest import assert_problem
from tests.support.workflow import fire, found_hazards, ok


def test_the_full_loop_with_a_failed_verification_and_an_extension(checklists, shop, people, make_photo, app):
    hazard_id, _ = found_hazards(people, shop, make_photo)
    worker, owner, supervisor = people["worker"], people["owner"], people["supervisor"]

    assigned = ok(fire(worker, hazard_id, "assign"))
    assert assigned["status"] == "assigned" and assigned["deadline_at"]
    assert assigned["documents"][0]["number"].startswith("责改〔")
    assert ok(fire(owner, hazard_id, "acknowledge"))["status"] == "rectifying"

    ok(fire(owner, hazard_id, "request_extension", reason="需要采购防爆灯具", requested_deadline="2099-01-31"))
    assert_problem(fire(owner, hazard_id, "request_extension", reason="再延", requested_deadline="2099-02-28"),
                   409, "guard_failed")
    extended = ok(fire(supervisor, hazard_id, "approve_extension"))
    assert extended["deadline_at"].startswith("2099-01-31")

    after = make_photo(people["users"]["owner"])
    report = {"measures": "清理疏散通道，更换灭火器", "cost": 320.5, "responsible_person": "王建国",
              "photo_ids": [after.id]}
    assert ok(fire(owner, hazard_id, "submit_rectification", **report))["status"] == "awaiting_verification"
    assert_problem(fire(worker, hazard_id, "verify_fail", note="灭火器压力不足"), 409, "guard_failed")  # no deadline
    rejected = ok(fire(worker, hazard_id, "verify_fail", note="灭火器压力不足", deadline="2099-03-31"))
    assert rejected["status"] == "rectifying" and rejected["rejection_count"] == 1
    assert rejected["deadline_at"].startswith("2099-03-31")  # the verifier's date, not a default
    ok(fire(owner, hazard_id, "submit_rectification", **report))
    closed = ok(fire(worker, hazard_id, "verify_pass", note="复查合格"))
    assert closed["status"] == "closed" and closed["closed_at"]

    waiting = supervisor.get("/api/v1/hazards?loop=closed_unreported").get_json()["items"]
    assert [h["id"] for h in waiting] == [hazard_id]
    circular = supervisor.post("/api/v1/circulars", json={"title": "2026年第47周隐患整改通报",
                                                          "hazard_ids": [hazard_id]})
    assert circular.status_code == 201, circular.get_json()
    assert supervisor.get("/api/v1/hazards?loop=closed_unreported").get_json()["items"] == []
    complete = supervisor.get(f"/api/v1/hazards/{hazard_id}").get_json()
    assert complete["reported_at"]
    assert [e["kind"] for e in complete["timeline"]] == [
        "found", "assign", "acknowledge", "request_extension", "approve_extension", "submit_rectification",
        "verify_fail", "submit_rectification", "verify_pass", "reported"]
    assert [d["number"][:2] for d in complete["documents"]] == ["责改", "复查", "复查"]


def test_a_major_hazard_is_listed_needs_a_plan_and_a_supervisor_to_close(checklists, shop, people, make_photo,
                                                                         db):
    from hazardloop.hazards.models import Hazard

    hazard_id, _ = found_hazards(people, shop, make_photo)
    hazard = db.session.get(Hazard, hazard_id)
    hazard.level = "major"
    db.session.commit()
    supervisor, inspector, owner = people["supervisor"], people["inspector"], people["owner"]
    assert_problem(fire(supervisor, hazard_id, "list_supervision"), 409, "guard_failed")  # no authority
    listed = ok(fire(supervisor, hazard_id, "list_supervision", authority="拱墅区安委办", deadline="2099-06-30",
                     requirements="30日内完成治理并书面报告"))
    assert listed["supervised"] is True and listed["supervision"]["authority"] == "拱墅区安委办"
    ok(fire(inspector, hazard_id, "assign"))
    ok(fire(owner, hazard_id, "acknowledge"))
    after = make_photo(people["users"]["owner"])
    report = {"measures": "拆除违规隔间", "photo_ids": [after.id]}
    body = assert_problem(fire(owner, hazard_id, "submit_rectification", **report), 409, "guard_failed")
    assert "治理方案" in body["detail"]
    partial = {"goals": "消除隐患", "methods": "拆除", "funding": "5万元"}
    body = assert_problem(fire(owner, hazard_id, "submit_governance_plan", plan=partial), 409)
    assert "负责治理的机构和人员" in body["detail"]
    plan = partial | {"organization": "安全科 张三", "schedule": "30日内", "safety_measures": "设警戒区"}
    ok(fire(owner, hazard_id, "submit_governance_plan", plan=plan))
    body = assert_problem(fire(owner, hazard_id, "submit_rectification", **report), 409, "guard_failed")
    assert "审批通过的治理方案" in body["detail"]  # submitted is not enough: a supervisor approves it
    ok(fire(supervisor, hazard_id, "approve_governance_plan", note="方案可行"))
    ok(fire(owner, hazard_id, "submit_rectification", **report))
    body = assert_problem(fire(inspector, hazard_id, "verify_pass"), 409, "guard_failed")
    assert "监管人员" in body["detail"]
    assert ok(fire(supervisor, hazard_id, "verify_pass"))["status"] == "closed"
    lifted = ok(fire(supervisor, hazard_id, "lift_supervision", note="督办销号"))
    assert lifted["supervision"]["lifted_at"]


def test_invalid_transition_names_the_state_and_the_allowed_actions(checklists, shop, people, make_photo):
    hazard_id, _ = found_hazards(people, shop, make_photo)
    body = assert_problem(fire(people["supervisor"], hazard_id, "verify_pass"), 409, "invalid_transition")
    assert body["current_status"] == "found"
    # what the same rule offers now: 挂牌督办 is for 重大 only, so it is not among them
    assert set(body["allowed_actions"]) == {"expose", "assign", "close_on_site", "publish_exposure"}
    assert "已发现" in body["detail"] and "复查通过销号" in body["detail"]


def test_the_enterprise_cannot_verify_its_own_rectification(checklists, shop, people, make_photo):
    hazard_id, _ = found_hazards(people, shop, make_photo)
    ok(fire(people["worker"], hazard_id, "assign"))
    assert_problem(fire(people["owner"], hazard_id, "verify_pass"), 403, "forbidden")


def test_out_of_scope_users_get_404_for_hazards(checklists, shop, people, make_photo):
    hazard_id, _ = found_hazards(people, shop, make_photo)
    assert_problem(people["outsider"].get(f"/api/v1/hazards/{hazard_id}"), 404)
    assert_problem(fire(people["outsider"], hazard_id, "assign"), 404)
    assert people["outsider"].get("/api/v1/hazards").get_json()["items"] == []


def test_a_covert_finding_is_hidden_from_the_enterprise_until_exposed(checklists, shop, people, make_photo):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1, mode="covert", actor="inspector")
    owner = people["owner"]
    assert_problem(owner.get(f"/api/v1/hazards/{hazard_id}"), 404)
    assert owner.get("/api/v1/hazards").get_json()["items"] == []
    assert_problem(fire(people["worker"], hazard_id, "assign"), 409, "guard_failed")  # 暗访 needs officials
    ok(fire(people["inspector"], hazard_id, "expose"))
    assert owner.get(f"/api/v1/hazards/{hazard_id}").status_code == 200


def test_replaying_a_transition_with_the_same_client_event_id_is_a_no_op(checklists, shop, people, make_photo):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    event_id = str(uuid.uuid4())
    first = ok(fire(people["worker"], hazard_id, "assign", client_event_id=event_id))
    again = ok(fire(people["worker"], hazard_id, "assign", client_event_id=event_id))
    assert len(again["timeline"]) == len(first["timeline"]) and again["status"] == "assigned"


def test_list_filters_sorts_and_pages_with_a_cursor(checklists, shop, people, make_photo):
    ids = found_hazards(people, shop, make_photo, n=3)
    supervisor = people["supervisor"]
    ok(fire(people["worker"], ids[0], "assign"))
    page1 = supervisor.get("/api/v1/hazards?limit=2&sort=-id").get_json()
    assert [h["id"] for h in page1["items"]] == sorted(ids, reverse=True)[:2]
    page2 = supervisor.get(f"/api/v1/hazards?limit=2&sort=-id&cursor={page1['next_cursor']}").get_json()
    assert [h["id"] for h in page2["items"]] == [min(ids)] and page2["next_cursor"] is None
    assert page2["counts"] is None  # counted once, on the first page
    assert page1["counts"]["found"] == 2 and page1["counts"]["assigned"] == 1
    assigned = supervisor.get("/api/v1/hazards?status=assigned").get_json()["items"]
    assert [h["id"] for h in assigned] == [ids[0]]
    assert supervisor.get("/api/v1/hazards?overdue=true").get_json()["items"] == []
    by_deadline = supervisor.get("/api/v1/hazards?sort=deadline_at").get_json()["items"]
    assert by_deadline[0]["id"] == ids[0]  # the only one with a deadline comes first
    assert_problem(supervisor.get("/api/v1/hazards?cursor=garbage!"), 422)


def test_hazard_detail_carries_the_three_standards_of_its_item(checklists, shop, people, make_photo):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    item = people["worker"].get(f"/api/v1/hazards/{hazard_id}").get_json()["item"]
    assert item["standard"] and item["hazard"] and item["enforcement"]
    assert "basis_verified" in item


def test_every_transition_in_the_table_has_a_label_and_known_states():
    for action, step in TRANSITIONS.items():
        assert step.label and step.sources <= set(HazardStatus), action
