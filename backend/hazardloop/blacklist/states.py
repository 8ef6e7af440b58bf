"""The 黑名单 process as one table: states, steps, which permission each step needs, and its guards.

The steps follow the process named in the 拱墅区 three-year plan's evaluation rules
(附件4 of that plan: "黑名单企业情况采集、报送、会审、
报批、推送、成效反馈、异议处理到移出的全过程工作机制"). ``take_step()`` in ``blacklist.services`` is
the only code that changes ``BlacklistEntry.status``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class BlacklistStatus(enum.StrEnum):
    CANDIDATE = "candidate"  # 候选: opened by the escalation ladder's top rung
    COLLECTED = "collected"  # 已采集: the facts are gathered and reported (采集、报送)
    REVIEWED = "reviewed"  # 已会审: the joint review proposes listing
    APPROVED = "approved"  # 已报批: approved for listing
    PUBLISHED = "published"  # 已公布: on the published blacklist
    OBJECTION = "objection"  # 异议处理中: the enterprise objected; still listed until decided
    REMOVED = "removed"  # 已移出
    DISMISSED = "dismissed"  # 不予列入


STATUS_LABELS = {
    BlacklistStatus.CANDIDATE: "候选", BlacklistStatus.COLLECTED: "已采集", BlacklistStatus.REVIEWED: "已会审",
    BlacklistStatus.APPROVED: "已报批", BlacklistStatus.PUBLISHED: "已公布", BlacklistStatus.OBJECTION: "异议处理中",
    BlacklistStatus.REMOVED: "已移出", BlacklistStatus.DISMISSED: "不予列入",
}
# One active entry per site: every state but the two ends.
ACTIVE_STATUSES = frozenset(set(BlacklistStatus) - {BlacklistStatus.REMOVED, BlacklistStatus.DISMISSED})


# --- guards: pure functions of the entry and the step's context; a string is the refusal ----------

Guard = Callable[[Any, dict[str, Any]], str | None]


def always(entry: Any, ctx: dict[str, Any]) -> str | None:
    return None


def district_level(entry: Any, ctx: dict[str, Any]) -> str | None:
    """报批、公布 and deciding objections and removal are the district's (区安委办) decisions."""
    return None if ctx.get("district_level") else "该步骤须由区级监管人员（区安委办）办理。"


def clean_period_over(entry: Any, ctx: dict[str, Any]) -> str | None:
    refusal = district_level(entry, ctx)
    if refusal:
        return refusal
    removable_after: dt.datetime | None = ctx.get("removable_after")
    now: dt.datetime = ctx["now"]
    if removable_after is None or now < removable_after:
        local = ctx.get("removable_after_label") or "—"
        return f"公布后须连续 {ctx.get('clean_period_days')} 天无新的失信行为才能移出（最早 {local}）。"
    return None


@dataclass(frozen=True)
class Step:
    step: str
    label: str
    sources: frozenset[BlacklistStatus]
    target: BlacklistStatus
    permission: str  # a policy.Action value (kept as text: policy imports this package's models)
    guard: Guard = always
    needs_note: bool = False


B = BlacklistStatus
REVIEW, APPROVE = "blacklist.review", "blacklist.approve"


def _s(step: str, label: str, sources: set[BlacklistStatus], target: BlacklistStatus, permission: str,
       guard: Guard = always, needs_note: bool = False) -> Step:
    return Step(step, label, frozenset(sources), target, permission, guard, needs_note)


STEPS: dict[str, Step] = {s.step: s for s in [
    #  step                label       from                                   to            permission
    _s("collect",          "采集报送",  {B.CANDIDATE},                         B.COLLECTED,  REVIEW),
    _s("review",           "会审",      {B.COLLECTED},                         B.REVIEWED,   REVIEW, needs_note=True),
    _s("approve",          "报批",      {B.REVIEWED},                          B.APPROVED,   APPROVE, district_level),
    _s("publish",          "公布",      {B.APPROVED},                          B.PUBLISHED,  APPROVE, district_level),
    _s("object",           "收到异议",  {B.PUBLISHED},                         B.OBJECTION,  REVIEW, needs_note=True),
    _s("uphold_objection", "异议成立",  {B.OBJECTION},                         B.REMOVED,    APPROVE, district_level,
       needs_note=True),
    _s("reject_objection", "异议不成立", {B.OBJECTION},                        B.PUBLISHED,  APPROVE, district_level,
       needs_note=True),
    _s("remove",           "移出",      {B.PUBLISHED},                         B.REMOVED,    APPROVE,
       clean_period_over),
    _s("dismiss",          "不予列入",  {B.CANDIDATE, B.COLLECTED, B.REVIEWED}, B.DISMISSED, REVIEW, needs_note=True),
]}


def steps_from(status: BlacklistStatus | str) -> list[str]:
    """The steps whose sources include ``status``."""
    return [name for name, s in STEPS.items() if BlacklistStatus(status) in s.sources]
