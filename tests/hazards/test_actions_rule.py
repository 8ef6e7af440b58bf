"""The one action rule, proved over every combination: what is offered succeeds, what is not is refused.

For every role (grid worker, inspector and supervisor in scope, the site's enterprise, admin) × state ×
level × source (routine, 暗访, 企业自查) × extension (none / requested) × 治理方案 (none / submitted /
approved / returned) × 挂牌督办, each action is fired with a valid payload: an action that
``available_actions`` offers without a blocked reason is never refused; any other is refused
(403/404/409/422) and leaves the hazard as it was.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from hazardloop.errors import ApiError
from hazardloop.hazards.states import HazardLevel, HazardSource, HazardStatus
from hazardloop.taxonomy import Role

PLAN = {"goals": "消除隐患", "methods": "更换设备", "funding": "5万元", "organization": "安全科 张三",
        "schedule": "30日内", "safety_measures": "设置警戒区"}
ROLES = ["grid_worker", "inspector", "supervisor", "enterprise_user", "admin"]
SOURCES = [HazardSource.GRID_PATROL, HazardSource.COVERT, HazardSource.SELF_CHECK]


@dataclass(frozen=True)
class Case:
    """One combination of the hazard's flags that matter to the rule."""

    status: HazardStatus
    level: HazardLevel
    source: HazardSource
    extension: str | None  # None / "requested"
    plan: str | None  # None / submitted / approved / returned (重大 only)
    supervised: bool  # 重大 only

    @property
    def name(self) -> str:
        return "-".join(str(x) for x in (self.status.value, self.level.value, self.source.value,
                                          self.extension or "no_ext", self.plan or "no_plan",
                                          "listed" if self.supervised else "unlisted"))


def cases_for(status: HazardStatus) -> list[Case]:
    """Every consistent combination in ``status`` (a plan or an extension exists only once assigned)."""
    assigned_or_later = status not in (HazardStatus.FOUND, HazardStatus.EXPOSED)
    levels: list[tuple[HazardLevel, str | None, bool]] = [(HazardLevel.GENERAL, None, False)]
    plans = [None, "submitted", "approved", "returned"] if assigned_or_later else [None]
    levels += [(HazardLevel.MAJOR, plan, listed) for plan in plans for listed in (False, True)]
    extensions = [None, "requested"] if assigned_or_later else [None]
    return [Case(status, level, source, extension, plan, listed)
            for (level, plan, listed), source, extension in itertools.product(levels, SOURCES, extensions)]


@pytest.fixture
def world(district, make_site, make_user, make_photo):
    """One shop and a user of every role around it, each with a photo of their own to cite."""
    site = make_site(district.grid_a1, domains=["fire", "nine_small"])
    users = {
        "grid_worker": make_user("grid_worker", region=district.grid_a1),
        "inspector": make_user("inspector", region=district.street_a, department=district.fire_dept),
        "supervisor": make_user("supervisor", region=district.street_a),
        "enterprise_user": make_user("enterprise_user", site=site),
        "admin": make_user("admin"),
    }
    photos = {role: make_photo(user).id for role, user in users.items()}
    return site, users, photos


def make_hazard(case: Case, site: Any, users: dict[str, Any]) -> Any:
    """A hazard standing in ``case`` (its history is not replayed: the rule reads only the hazard)."""
    from hazardloop.database import utcnow
    from hazardloop.hazards.services import create_hazard

    self_found = case.source == HazardSource.SELF_CHECK
    finder = users["enterprise_user" if self_found else "inspector"]
    now = utcnow()
    hazard = create_hazard(site=site, source=case.source, description=f"测试隐患 {case.name}", level=case.level,
                           domain="fire", actor=finder, found_at=now, covert=case.source == HazardSource.COVERT,
                           actor_role=Role.ENTERPRISE_USER if self_found else Role.INSPECTOR)
    hazard.status = case.status.value
    if case.status not in (HazardStatus.FOUND, HazardStatus.EXPOSED):
        hazard.deadline_at = now + dt.timedelta(days=10)
    if case.status == HazardStatus.CLOSED:
        hazard.closed_at = now
    if case.extension:
        hazard.extension_state, hazard.extension_reason = case.extension, "需采购设备"
        hazard.extension_requested_deadline = now + dt.timedelta(days=40)
        hazard.extension_requested_at, hazard.extension_after_deadline = now, False
    if case.plan:
        hazard.governance_plan, hazard.governance_plan_state = PLAN, case.plan
    if case.supervised:
        hazard.supervised, hazard.supervising_authority = True, "区安委办"
        hazard.supervision_listed_at = now
    return hazard


def valid_payload(action: str, photo_id: str) -> dict[str, Any]:
    """A payload the action accepts whenever the action itself may be taken."""
    return {
        "assign": {"note": "请按期整改"},
        "submit_governance_plan": {"plan": PLAN},
        "approve_governance_plan": {"note": "方案可行"},
        "return_governance_plan": {"note": "缺少经费来源"},
        "submit_rectification": {"measures": "已更换灭火器", "photo_ids": [photo_id]},
        "verify_pass": {"note": "复查合格"},
        "verify_fail": {"note": "灭火器压力不足", "deadline": "2099-01-31"},
        "request_extension": {"reason": "需采购设备", "requested_deadline": "2099-12-31"},
        "refuse_extension": {"note": "理由不充分"},
        "list_supervision": {"authority": "区安委办", "deadline": "2099-06-30", "requirements": "限期完成治理"},
        "close_on_site": {"before_photo_ids": [photo_id], "after_photo_ids": [photo_id]},
        "self_rectify": {"measures": "已清理通道", "photo_ids": [photo_id]},
    }.get(action, {})


def fire(hazard: Any, action: str, user: Any, photo_id: str) -> Any:
    """Fire ``action`` the way the API does: a transition, or the 曝光台 publication."""
    from hazardloop.hazards.services import transition
    from hazardloop.public.services import publish_hazard

    if action in ("publish_exposure", "withdraw_exposure"):
        return publish_hazard(hazard, actor=user, public=action == "publish_exposure")
    return transition(hazard, action, actor=user, payload=valid_payload(action, photo_id))


def event_count(db: Any, hazard_id: int) -> int:
    from hazardloop.hazards.models import AuditEvent

    return db.session.scalar(select(func.count()).where(AuditEvent.hazard_id == hazard_id))


# The rule and the refusals are Python over the loaded hazard, alike on both databases; ~5,000 steps fired per
# status, so the exhaustive run is made on the production database (the workflow tests run on both).
@pytest.mark.postgresql_only
@pytest.mark.parametrize("status", list(HazardStatus), ids=[s.value for s in HazardStatus])
def test_offered_actions_succeed_and_all_others_are_refused(status, world, db):
    from hazardloop.hazards.actions import ACTIONS, available_actions
    from hazardloop.hazards.models import Hazard
    from hazardloop.hazards.states import TRANSITIONS

    site, users, photos = world
    cases = cases_for(status)
    ids = {case: make_hazard(case, site, users).id for case in cases}
    db.session.commit()
    problems: list[str] = []
    fired = 0
    for case, role in itertools.product(cases, ROLES):
        hazard, user = db.session.get(Hazard, ids[case]), users[role]
        offered = available_actions(user, hazard)
        allowed = {o.action for o in offered if o.blocked_reason is None}
        assert all(o.label and (o.blocked_reason is None or o.blocked_reason.endswith("。")) for o in offered)
        for action in ACTIONS:
            where = f"{role} {action} on {case.name}"
            hazard = db.session.get(Hazard, ids[case])
            before = (hazard.status, event_count(db, hazard.id))
            try:
                fire(hazard, action, user, photos[role])
            except ApiError as refusal:
                if action in allowed:
                    problems.append(f"{where}: offered but refused ({refusal.code}: {refusal.detail})")
                elif refusal.status not in (403, 404, 409, 422):
                    problems.append(f"{where}: refused with HTTP {refusal.status}")
                elif (hazard.status, event_count(db, hazard.id)) != before:
                    problems.append(f"{where}: refused, yet the hazard changed")
                if db.session.new or db.session.dirty or db.session.deleted:
                    db.session.rollback()  # only then: a rollback reloads everything, and this loop is long
                continue
            fired += 1
            if action not in allowed:
                problems.append(f"{where}: not offered, yet it went through")
            step = TRANSITIONS.get(action)
            if step is not None and step.target is not None:
                assert hazard.status in {step.target.value, getattr(step.alternate, "value", None)}, where
            assert event_count(db, hazard.id) == before[1] + 1, where  # every step one event
            db.session.rollback()
    assert not problems, "\n".join(problems[:40])
    assert fired > 0


@pytest.mark.parametrize("status", list(HazardStatus), ids=[s.value for s in HazardStatus])
def test_each_role_is_offered_only_its_own_steps(status, world, db):
    """Officials never see the enterprise's steps and the enterprise never an official's."""
    from hazardloop.hazards.actions import available_actions
    from hazardloop.hazards.models import Hazard

    site, users, _ = world
    cases = cases_for(status)
    hazards = [make_hazard(case, site, users) for case in cases]
    db.session.commit()
    enterprise_steps = {"acknowledge", "submit_governance_plan", "submit_rectification", "request_extension",
                        "self_rectify"}
    official_steps = {"expose", "assign", "approve_governance_plan", "return_governance_plan", "verify_pass",
                      "verify_fail", "approve_extension", "refuse_extension", "list_supervision",
                      "lift_supervision", "publish_exposure", "withdraw_exposure"}
    for hazard in hazards:
        hazard = db.session.get(Hazard, hazard.id)
        for role in ("inspector", "supervisor"):
            offered = {o.action for o in available_actions(users[role], hazard)}
            assert not offered & enterprise_steps, (role, hazard.description, offered)
        offered = {o.action for o in available_actions(users["enterprise_user"], hazard)}
        assert not offered & official_steps, (hazard.description, offered)


def test_the_api_offers_what_the_rule_offers_and_states_what_is_missing(world, db, login):
    """GET /hazards/{id}: allowed_actions and blocked_actions are the rule's answer for the caller."""
    from hazardloop.hazards.actions import allowed

    site, users, _ = world
    case = Case(HazardStatus.RECTIFYING, HazardLevel.MAJOR, HazardSource.GRID_PATROL, None, "submitted", True)
    hazard = make_hazard(case, site, users)
    db.session.commit()
    for role, user in users.items():
        body = login(user).get(f"/api/v1/hazards/{hazard.id}").get_json()
        assert body["allowed_actions"] == allowed(user, hazard), role
        assert [o["action"] for o in body["offered_actions"]] == body["allowed_actions"]
    owner = login(users["enterprise_user"]).get(f"/api/v1/hazards/{hazard.id}").get_json()
    assert owner["blocked_actions"] == [{"action": "submit_rectification", "label": "报告整改完成",
                                         "reason": "重大隐患须先有审批通过的治理方案，才能报告整改完成。"}]
    assert "request_extension" in owner["allowed_actions"]
    supervisor = login(users["supervisor"]).get(f"/api/v1/hazards/{hazard.id}").get_json()
    assert {"approve_governance_plan", "return_governance_plan"} <= set(supervisor["allowed_actions"])
    assert supervisor["blocked_actions"] == [] and supervisor["governance_plan_state"] == "submitted"
