"""The one rule for what a user may do to a hazard now: offered, offered but blocked, or refused.

``available_actions(user, hazard)`` drives the hazard page's buttons (``allowed_actions`` and
``blocked_actions`` of GET /hazards/{id}); ``require()`` is what ``hazards.services.transition()``
and the 曝光台 publication call before doing anything, so nothing is offered that would be refused
for a reason knowable before the payload, and nothing refused that was offered.

The decision, in order: visible to the user at all (else 404) → one of the step's roles in scope
(else 403) → the hazard's state (else 409 ``invalid_transition``) → the step's ``when`` check (not this
role's step on this hazard now: 409 ``guard_failed``, never offered) → its ``requires`` check (offered
as blocked with the prerequisite stated; firing it: 409 ``guard_failed``). The payload is checked
afterwards by ``transition()`` with the table's payload check.

The 曝光台 steps ``publish_exposure`` and ``withdraw_exposure`` are not workflow transitions (the state
does not change): they are offered here by policy ``HAZARD_PUBLISH`` and the current publication, and
fired only through POST /api/v1/hazards/{id}/publish {"public": true|false} (public.routes), which
calls ``require()`` too; GET /api/v1/hazards/{id}/publication shows what the public would see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.errors import ApiError, Conflict, Forbidden, NotFound, RuleViolation
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import STATUS_LABELS, TRANSITIONS, HazardStatus
from hazardloop.policy import Action
from hazardloop.taxonomy import Role

PUBLICATION_LABELS = {"publish_exposure": "发布到曝光台", "withdraw_exposure": "从曝光台撤下"}
# Every action a user may be offered, in the order the page shows them.
ACTIONS: list[str] = [*TRANSITIONS, *PUBLICATION_LABELS]
LABELS: dict[str, str] = {**{a: t.label for a, t in TRANSITIONS.items()}, **PUBLICATION_LABELS}


@dataclass(frozen=True)
class OfferedAction:
    """A step the user may take now; with ``blocked_reason`` it is theirs but waits for a prerequisite."""

    action: str
    label: str
    blocked_reason: str | None = None

    @property
    def ready(self) -> bool:
        """May it be fired now (offered and not waiting for a prerequisite)?"""
        return self.blocked_reason is None


@dataclass(frozen=True)
class Refusal:
    """Why an action is not offered: the HTTP status, a stable code and one sentence naming the action."""

    action: str
    status: int
    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


Verdict = tuple[OfferedAction | Refusal, Role | None]


def _refused(action: str, reason: str, code: str = "guard_failed") -> Refusal:
    return Refusal(action, 409, code, f"不能执行「{LABELS[action]}」：{reason}")


def _judge_transition(user: User, hazard: Hazard, action: str) -> Verdict:
    step = TRANSITIONS[action]
    role = policy.can_fire(user, step, hazard)
    if role is None:
        return Refusal(action, 403, "forbidden", f"您的角色不能执行「{step.label}」。"), None
    current = HazardStatus(hazard.status)
    if current not in step.sources:
        return Refusal(action, 409, "invalid_transition",
                       f"隐患当前为「{STATUS_LABELS[current]}」状态，不能执行「{step.label}」",
                       {"current_status": current.value}), role
    reason = step.when(hazard, role)
    if reason:
        return _refused(action, reason), role
    return OfferedAction(action, step.label, step.requires(hazard, role)), role


def _has_unpublished_photos(hazard: Hazard) -> bool:
    from hazardloop.public.services import hazard_photo_ids, published_ids

    photo_ids = hazard_photo_ids(hazard)
    return len(published_ids(photo_ids)) < len(photo_ids)


def _judge_publication(user: User, hazard: Hazard, action: str) -> Verdict:
    role = policy.acting_role(user, Action.HAZARD_PUBLISH, hazard)
    if role is None:
        return Refusal(action, 403, "forbidden", f"您的角色不能执行「{LABELS[action]}」。"), None
    if action == "withdraw_exposure":
        if not hazard.exposed_publicly:
            return _refused(action, "该隐患没有在曝光台公开。"), role
        return OfferedAction(action, LABELS[action]), role
    if hazard.covert and hazard.status == HazardStatus.FOUND:
        return _refused(action, "暗访发现的隐患在曝光或交办前不能公开。", "covert_not_publishable"), role
    # Publishing again shows the photos added since (e.g. the rectification's after photos).
    if hazard.exposed_publicly and not _has_unpublished_photos(hazard):
        return _refused(action, "该隐患已在曝光台公开，且没有新的照片需要公开。", "already_published"), role
    return OfferedAction(action, LABELS[action]), role


def _judge_seen(user: User, hazard: Hazard, action: str) -> Verdict:
    """The verdict on one action on a hazard ``user`` may see (the view check is the caller's)."""
    if action in PUBLICATION_LABELS:
        return _judge_publication(user, hazard, action)
    return _judge_transition(user, hazard, action)


def judge(user: User, hazard: Hazard, action: str) -> Verdict:
    """The verdict on one action for this user and hazard now, with the role the user would act in."""
    if not policy.can(user, Action.HAZARD_VIEW, hazard):
        return Refusal(action, 404, "not_found", "隐患不存在。"), None
    return _judge_seen(user, hazard, action)


def available_actions(user: User, hazard: Hazard) -> list[OfferedAction]:
    """Every action offered to ``user`` on ``hazard`` now; those with ``blocked_reason`` await a prerequisite."""
    # The view check once for the page, not once per action (the same answer ``judge`` gives each); a
    # transition whose sources lack the current state is refused whatever the role (invalid_transition),
    # so only the others are judged.
    if not policy.can(user, Action.HAZARD_VIEW, hazard):
        return []
    possible = _POSSIBLE_NOW.get(hazard.status, ACTIONS)
    return [verdict for a in possible if isinstance(verdict := _judge_seen(user, hazard, a)[0], OfferedAction)]


# Per state, the actions that may be offered in it at all (the page's order kept): the transitions leaving
# the state and the 曝光台 steps, which do not depend on it here.
_POSSIBLE_NOW: dict[str, list[str]] = {
    state.value: [a for a in ACTIONS if a not in TRANSITIONS or state in TRANSITIONS[a].sources]
    for state in HazardStatus
}


def allowed_names(offered: list[OfferedAction]) -> list[str]:
    """The names of the ``offered`` actions that may be fired now: the page's and the 409's ``allowed_actions``."""
    return [o.action for o in offered if o.ready]


def allowed(user: User, hazard: Hazard) -> list[str]:
    """The actions ``user`` may fire now (offered and not blocked)."""
    return allowed_names(available_actions(user, hazard))


def require(user: User, hazard: Hazard, action: str) -> Role:
    """The role ``user`` fires ``action`` in, or raise the refusal (404, 403, 409) naming the action.

    A blocked step is refused with its prerequisite; a step in the wrong state lists what may be done.
    """
    verdict, role = judge(user, hazard, action)
    if isinstance(verdict, OfferedAction):
        if verdict.blocked_reason:
            raise RuleViolation(f"不能执行「{verdict.label}」：{verdict.blocked_reason}", code="guard_failed")
        assert role is not None
        return role
    raise _error(user, hazard, verdict)


def _error(user: User, hazard: Hazard, refusal: Refusal) -> ApiError:
    if refusal.status == 404:
        return NotFound(refusal.detail)
    if refusal.status == 403:
        return Forbidden(refusal.detail, code=refusal.code)
    if refusal.code == "invalid_transition":
        now = allowed(user, hazard)
        listed = "、".join(LABELS[a] for a in now) or "无"
        return Conflict(f"{refusal.detail}（当前可执行：{listed}）。", code=refusal.code,
                        allowed_actions=now, **refusal.extra)
    return RuleViolation(refusal.detail, code=refusal.code, **refusal.extra)
