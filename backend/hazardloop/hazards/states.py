"""The hazard workflow as one table: states, transitions, who may fire each, and their guards.

Read it as a page. ``transition()`` in ``hazards.services`` is the only code that changes
``Hazard.status``; it looks the action up here, asks ``policy.can_fire`` whether the actor
holds one of the roles in scope, checks the guard, then appends the event.
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


# --- guards: pure functions of the hazard and the request payload; a string is the refusal --------

Guard = Callable[["Hazard", dict[str, Any]], str | None]


def always(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    return None


def routine_or_supervised(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    if hazard.covert and payload.get("_actor_role") == Role.GRID_WORKER:
        return "暗访发现的隐患须由监管或执法人员交办。"
    return None


def has_rectification_report(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    if not (payload.get("measures") or "").strip():
        return "请填写已采取的整改措施。"
    if not payload.get("photo_ids"):
        return "请上传整改后的照片。"
    if hazard.level == HazardLevel.MAJOR and not hazard.governance_plan:
        return "重大隐患须先提交治理方案，再报告整改完成。"
    return None


def verifier_fits_level(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    role = payload.get("_actor_role")
    if hazard.level == HazardLevel.MAJOR and role not in (Role.SUPERVISOR, Role.ADMIN):
        return "重大隐患的复查销号须由监管人员（街道/区安委办）进行。"
    return None


def failed_verification_has_reason(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    return verifier_fits_level(hazard, payload) or (
        None if (payload.get("note") or "").strip() else "复查不通过须写明原因。")


def no_extension_yet(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    if hazard.extension_state is not None:
        return "每项隐患只能申请一次延期。"
    if not (payload.get("reason") or "").strip():
        return "请写明延期理由。"
    if not payload.get("requested_deadline"):
        return "请给出申请延至的日期。"
    return None


def extension_pending(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    return None if hazard.extension_state == "requested" else "没有待审批的延期申请。"


def refusal_has_reason(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    return extension_pending(hazard, payload) or (
        None if (payload.get("note") or "").strip() else "不同意延期须写明理由。")


def major_not_yet_listed(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    if hazard.level != HazardLevel.MAJOR:
        return "只有重大隐患实行挂牌督办。"
    if hazard.supervised:
        return "该隐患已挂牌督办。"
    if not (payload.get("authority") or "").strip():
        return "请写明督办单位。"
    return None


# 16号令 第十五条第二款 (article number unverified, see ../shared/reference/regulations.md):
# 重大事故隐患治理方案应当包括以下六项内容.
GOVERNANCE_PLAN_PARTS = {
    "goals": "治理的目标和任务",
    "methods": "采取的方法和措施",
    "funding": "经费和物资的落实",
    "organization": "负责治理的机构和人员",
    "schedule": "治理的时限和要求",
    "safety_measures": "安全措施和应急预案",
}


def complete_governance_plan(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    if hazard.level != HazardLevel.MAJOR:
        return "只有重大隐患需要提交治理方案。"
    plan = payload.get("plan") or {}
    missing = [label for key, label in GOVERNANCE_PLAN_PARTS.items() if not str(plan.get(key) or "").strip()]
    return f"治理方案缺少：{'、'.join(missing)}。" if missing else None


def fixable_on_site(hazard: Hazard, payload: dict[str, Any]) -> str | None:
    if hazard.level == HazardLevel.MAJOR:
        return "重大隐患不能当场整改销号，须交办并制定治理方案。"
    if not payload.get("before_photo_ids") or not payload.get("after_photo_ids"):
        return "当场整改须有整改前和整改后的照片。"
    return None


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
    guard: Guard = always


def _t(action: str, label: str, sources: set[HazardStatus], target: HazardStatus | None,
       roles: set[Role], guard: Guard = always) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), guard)


OPEN = set(OPEN_STATUSES)
TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    #  action                  label         from                            to                        who
    _t("expose",               "曝光",        {S.FOUND},                      S.EXPOSED,                {IN, SV, AD}),
    _t("assign",               "交办",        {S.FOUND, S.EXPOSED},           S.ASSIGNED,               {G, IN, SV, AD},
       routine_or_supervised),
    _t("acknowledge",          "签收整改通知", {S.ASSIGNED},                   S.RECTIFYING,             {E, G, IN, SV, AD}),
    _t("submit_rectification", "报告整改完成", {S.RECTIFYING},                 S.AWAITING_VERIFICATION,  {E, G, AD},
       has_rectification_report),
    _t("verify_pass",          "复查通过销号", {S.AWAITING_VERIFICATION},      S.CLOSED,                 {G, IN, SV, AD},
       verifier_fits_level),
    _t("verify_fail",          "复查不通过",   {S.AWAITING_VERIFICATION},      S.RECTIFYING,             {G, IN, SV, AD},
       failed_verification_has_reason),
    _t("request_extension",    "申请延期",     {S.ASSIGNED, S.RECTIFYING},     None,                     {E, G, AD},
       no_extension_yet),
    _t("approve_extension",    "同意延期",     {S.ASSIGNED, S.RECTIFYING},     None,                     {SV, AD},
       extension_pending),
    _t("refuse_extension",     "不同意延期",   {S.ASSIGNED, S.RECTIFYING},     None,                     {SV, AD},
       refusal_has_reason),
    _t("list_supervision",     "挂牌督办",     OPEN,                           None,                     {SV, AD},
       major_not_yet_listed),
    _t("submit_governance_plan", "提交治理方案", {S.ASSIGNED, S.RECTIFYING},   None,                     {E, SV, AD},
       complete_governance_plan),
    _t("close_on_site",        "当场整改",     {S.FOUND},                      S.CLOSED,                 {G, IN, SV, AD},
       fixable_on_site),
]}

# Steps the system records itself (never fired through the API).
SYSTEM_EVENTS = {
    "found": "发现", "observed_again": "再次发现", "reported": "通报", "level_raised": "隐患升级",
    "order_issued": "出具整改通知书", "escalated": "逾期升级", "reminded": "催办",
}


def allowed_from(status: HazardStatus | str) -> list[str]:
    """The actions whose source states include ``status``."""
    return [a for a, t in TRANSITIONS.items() if HazardStatus(status) in t.sources]
