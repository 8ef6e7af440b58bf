"""The hazard workflow as one table: states, transitions, who may fire each, and their guards.

Read it as a page. ``transition()`` in ``hazards.services`` is the only code that changes
``Hazard.status``; it asks ``hazards.actions`` whether the step is offered to the actor now (role
in scope, state, and the pre-payload checks below), checks the payload, then appends the event.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hazardloop.taxonomy import Role

if TYPE_CHECKING:
    from hazardloop.hazards.models import Hazard


class HazardStatus(enum.StrEnum):
    FOUND = "found"  # 发现/暗访: recorded; a covert finding is hidden from the enterprise
    EXPOSED = "exposed"  # 曝光: shown to the responsible department, listed for exposure
    ASSIGNED = "assigned"  # 交办: rectification order issued with a deadline
    RECTIFYING = "rectifying"  # 整改中: the enterprise has taken the order
    AWAITING_VERIFICATION = "awaiting_verification"  # 待复查: rectification reported
    CLOSED = "closed"  # 闭环/销号: verified


OPEN_STATUSES = frozenset(set(HazardStatus) - {HazardStatus.CLOSED})
# States in which a deadline runs.
DEADLINE_STATUSES = frozenset({HazardStatus.ASSIGNED, HazardStatus.RECTIFYING})

STATUS_LABELS = {
    HazardStatus.FOUND: "已发现", HazardStatus.EXPOSED: "已曝光", HazardStatus.ASSIGNED: "已交办",
    HazardStatus.RECTIFYING: "整改中", HazardStatus.AWAITING_VERIFICATION: "待复查",
    HazardStatus.CLOSED: "已闭环",
}


class HazardLevel(enum.StrEnum):
    GENERAL = "general"  # 一般事故隐患
    MAJOR = "major"  # 重大事故隐患


LEVEL_LABELS = {HazardLevel.GENERAL: "一般", HazardLevel.MAJOR: "重大"}
LEVEL_FROM_LABEL = {v: k for k, v in LEVEL_LABELS.items()}


class HazardSource(enum.StrEnum):
    GRID_PATROL = "grid_patrol"  # 网格巡查
    COVERT = "covert"  # 暗访
    SELF_CHECK = "self_check"  # 企业自查
    DEPARTMENT = "department"  # 部门检查/执法
    PUBLIC_REPORT = "public_report"  # 群众举报
    ASSIGNED_BY_SUPERIOR = "assigned_by_superior"  # 上级交办


SOURCE_LABELS = {
    HazardSource.GRID_PATROL: "网格巡查", HazardSource.COVERT: "暗访", HazardSource.SELF_CHECK: "企业自查",
    HazardSource.DEPARTMENT: "部门检查", HazardSource.PUBLIC_REPORT: "群众举报",
    HazardSource.ASSIGNED_BY_SUPERIOR: "上级交办",
}


# --- guards: pure functions; None means "fine", otherwise the reason as one Chinese sentence ----------
#
# Two kinds, so that what a user is offered and what the server accepts come from the same code:
# pre-payload checks see only the hazard and the acting role (hazards.actions uses them to decide
# what to offer); payload checks see the request and answer (field, message).
#   when      hides the step: it is not this role's step on this hazard now (not offered at all)
#   requires  the step's prerequisite: the step is offered as blocked, with the reason stated

Check = Callable[["Hazard", Role], str | None]
PayloadCheck = Callable[["Hazard", dict[str, Any]], tuple[str, str] | None]


def always(hazard: Hazard, role: Role) -> str | None:
    return None


def no_payload(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return None


def _major(hazard: Hazard) -> bool:
    return hazard.level == HazardLevel.MAJOR


def routine_or_official(hazard: Hazard, role: Role) -> str | None:
    if hazard.covert and role == Role.GRID_WORKER:
        return "暗访发现的隐患须由监管或执法人员处理。"
    return None


def plan_open_for_submission(hazard: Hazard, role: Role) -> str | None:
    if not _major(hazard):
        return "只有重大隐患需要制定治理方案。"
    if hazard.governance_plan_state == "submitted":
        return "治理方案已提交，正在审批。"
    if hazard.governance_plan_state == "approved":
        return "治理方案已审批通过。"
    return None


def plan_awaiting_review(hazard: Hazard, role: Role) -> str | None:
    if not _major(hazard):
        return "只有重大隐患需要制定治理方案。"
    return None if hazard.governance_plan_state == "submitted" else "没有待审批的治理方案。"


def plan_approved_if_major(hazard: Hazard, role: Role) -> str | None:
    if _major(hazard) and hazard.governance_plan_state != "approved":
        return "重大隐患须先有审批通过的治理方案，才能报告整改完成。"
    return None


def verifier_fits_level(hazard: Hazard, role: Role) -> str | None:
    if _major(hazard) and role not in (Role.SUPERVISOR, Role.ADMIN):
        return "重大隐患须由监管人员（街道或区安委办）复查。"
    return None


def no_extension_yet(hazard: Hazard, role: Role) -> str | None:
    return {None: None, "requested": "延期申请正在审批。",
            "approved": "延期申请已获同意，每项隐患只能申请一次延期。"}.get(
        hazard.extension_state, "每项隐患只能申请一次延期。")


def extension_pending(hazard: Hazard, role: Role) -> str | None:
    return None if hazard.extension_state == "requested" else "没有待审批的延期申请。"


def listable(hazard: Hazard, role: Role) -> str | None:
    if not _major(hazard):
        return "只有重大隐患实行挂牌督办。"
    return "该隐患已挂牌督办。" if hazard.supervised else None


def liftable(hazard: Hazard, role: Role) -> str | None:
    if not hazard.supervised:
        return "该隐患没有挂牌督办。"
    return "该隐患已摘牌。" if hazard.supervision_lifted_at is not None else None


def fixable_on_site(hazard: Hazard, role: Role) -> str | None:
    if _major(hazard):
        return "重大隐患不能当场整改，须交办并制定治理方案。"
    if role == Role.ENTERPRISE_USER and hazard.source != HazardSource.SELF_CHECK:
        return "企业只能对本单位自查发现的隐患当场整改。"
    return routine_or_official(hazard, role)


def found_by_the_enterprise(hazard: Hazard, role: Role) -> str | None:
    if hazard.source != HazardSource.SELF_CHECK:
        return "只有企业自查发现的隐患可以自查自改。"
    return "企业自查发现的重大隐患须报监管部门，进入交办整改流程。" if _major(hazard) else None


def _text(payload: dict[str, Any], field: str, message: str) -> tuple[str, str] | None:
    return None if str(payload.get(field) or "").strip() else (field, message)


def _photos(payload: dict[str, Any], field: str, message: str) -> tuple[str, str] | None:
    return None if payload.get(field) else (field, message)


def _date(payload: dict[str, Any], field: str, message: str) -> tuple[str, str] | None:
    return None if payload.get(field) else (field, message)


def rectification_report(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return (_text(payload, "measures", "请填写已采取的整改措施。")
            or _photos(payload, "photo_ids", "请上传整改后的照片。"))


def failed_verification(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    # The verifier sets the new deadline; the form pre-fills the item's default (never a silent one).
    return (_text(payload, "note", "请写明复查不通过的原因。")
            or _date(payload, "deadline", "请确定重新整改的期限。"))


def extension_request(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return (_text(payload, "reason", "请写明延期理由。")
            or _date(payload, "requested_deadline", "请给出申请延至的日期。"))


def refusal_reason(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return _text(payload, "note", "请写明不同意延期的理由。")


def return_reason(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return _text(payload, "note", "请写明退回治理方案的理由。")


def supervision_order(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return (_text(payload, "authority", "请写明督办单位。")
            or _date(payload, "deadline", "请确定督办期限。")
            or _text(payload, "requirements", "请写明督办要求。"))


# 16号令 第十五条第二款 (article number unverified against the regulation's text):
# 重大事故隐患治理方案应当包括以下六项内容.
GOVERNANCE_PLAN_PARTS = {
    "goals": "治理的目标和任务",
    "methods": "采取的方法和措施",
    "funding": "经费和物资的落实",
    "organization": "负责治理的机构和人员",
    "schedule": "治理的时限和要求",
    "safety_measures": "安全措施和应急预案",
}


def complete_governance_plan(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    plan = payload.get("plan") or {}
    missing = [label for key, label in GOVERNANCE_PLAN_PARTS.items() if not str(plan.get(key) or "").strip()]
    return ("plan", f"治理方案缺少：{'、'.join(missing)}。") if missing else None


def on_site_photos(hazard: Hazard, payload: dict[str, Any]) -> tuple[str, str] | None:
    return (_photos(payload, "before_photo_ids", "当场整改须有整改前的照片。")
            or _photos(payload, "after_photo_ids", "当场整改须有整改后的照片。"))


# --- the table -----------------------------------------------------------------------------------

S = HazardStatus
G, IN, SV, E, AD = Role.GRID_WORKER, Role.INSPECTOR, Role.SUPERVISOR, Role.ENTERPRISE_USER, Role.ADMIN
OFFICIALS = frozenset({G, IN, SV, AD})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[HazardStatus]
    target: HazardStatus | None  # None: the state stays (a recorded step, e.g. 延期, 挂牌督办)
    roles: frozenset[Role]  # any of these, with the hazard in the grant's scope
    when: Check = always  # not offered at all when it answers a reason
    requires: Check = always  # offered as blocked, with the reason, when it answers one
    payload: PayloadCheck = no_payload
    alternate: HazardStatus | None = None  # the other state the step may lead to (self_rectify's spot check)


def _t(action: str, label: str, sources: set[HazardStatus], target: HazardStatus | None, roles: set[Role],
       when: Check = always, requires: Check = always, payload: PayloadCheck = no_payload,
       alternate: HazardStatus | None = None) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), when, requires, payload,
                      alternate)


OPEN = set(OPEN_STATUSES)
RUNNING = {S.ASSIGNED, S.RECTIFYING}
TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    #  action                    label           from              to                        who
    _t("expose",                 "曝光",          {S.FOUND},        S.EXPOSED,                {IN, SV, AD}),
    _t("assign",                 "交办",          {S.FOUND, S.EXPOSED}, S.ASSIGNED,           {G, IN, SV, AD},
       when=routine_or_official),
    _t("acknowledge",            "签收整改通知",   {S.ASSIGNED},     S.RECTIFYING,             {E, G, AD}),
    _t("submit_governance_plan", "提交治理方案",   RUNNING,          None,                     {E, AD},
       when=plan_open_for_submission, payload=complete_governance_plan),
    _t("approve_governance_plan", "批准治理方案",  RUNNING,          None,                     {SV, AD},
       when=plan_awaiting_review),
    _t("return_governance_plan", "退回治理方案",   RUNNING,          None,                     {SV, AD},
       when=plan_awaiting_review, payload=return_reason),
    _t("submit_rectification",   "报告整改完成",   {S.RECTIFYING},   S.AWAITING_VERIFICATION,  {E, G, AD},
       requires=plan_approved_if_major, payload=rectification_report),
    _t("verify_pass",            "复查通过销号",   {S.AWAITING_VERIFICATION}, S.CLOSED,         {G, IN, SV, AD},
       when=verifier_fits_level),
    _t("verify_fail",            "复查不通过",     {S.AWAITING_VERIFICATION}, S.RECTIFYING,     {G, IN, SV, AD},
       when=verifier_fits_level, payload=failed_verification),
    _t("request_extension",      "申请延期",       RUNNING,          None,                     {E, G, AD},
       when=no_extension_yet, payload=extension_request),
    _t("approve_extension",      "同意延期",       RUNNING,          None,                     {SV, AD},
       when=extension_pending),
    _t("refuse_extension",       "不同意延期",     RUNNING,          None,                     {SV, AD},
       when=extension_pending, payload=refusal_reason),
    _t("list_supervision",       "挂牌督办",       OPEN,             None,                     {SV, AD},
       when=listable, payload=supervision_order),
    _t("lift_supervision",       "摘牌",          {S.CLOSED},       None,                     {SV, AD},
       when=liftable),
    _t("close_on_site",          "当场整改",       {S.FOUND},        S.CLOSED,                 {E, G, IN, SV, AD},
       when=fixable_on_site, payload=on_site_photos),
    # 企业自查自改: closed, or 待复查 when the recorded draw picks it for a grid worker's spot check.
    _t("self_rectify",           "自查自改",       {S.FOUND},        S.CLOSED,                 {E, AD},
       when=found_by_the_enterprise, payload=rectification_report, alternate=S.AWAITING_VERIFICATION),
]}

# Steps the system records itself (never fired through the API).
SYSTEM_EVENTS = {
    "found": "发现", "observed_again": "再次发现", "reported": "通报", "level_raised": "隐患升级",
    "order_issued": "出具整改通知书", "escalated": "逾期升级", "reminded": "催办",
    "publish_exposure": "发布到曝光台", "withdraw_exposure": "从曝光台撤下",
    "supervision_dismissed": "不予挂牌督办",  # a supervisor dismissed the ladder's 挂牌督办 proposal
}
# The steps that record a hazard as found by an inspection or a report (发现, 再次发现): their photos show
# the hazard as found; every other step that links photos is a transition.
FINDING_KINDS = frozenset({"found", "observed_again"})


def allowed_from(status: HazardStatus | str) -> list[str]:
    """The actions whose source states include ``status``."""
    return [a for a, t in TRANSITIONS.items() if HazardStatus(status) in t.sources]
