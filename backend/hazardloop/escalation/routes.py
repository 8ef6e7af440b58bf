"""/api/v1/supervision-proposals: the escalation ladder's 挂牌督办建议, accepted or dismissed in the console."""

from __future__ import annotations

from typing import Any

from hazardloop.accounts.auth import current_user
from hazardloop.accounts.models import User
from hazardloop.apitools import blueprint, paginate
from hazardloop.escalation import services
from hazardloop.escalation.models import EscalationCase
from hazardloop.escalation.schemas import (
    ProposalAcceptSchema,
    ProposalDismissSchema,
    ProposalPageSchema,
    ProposalQueryArgsSchema,
    ProposalSchema,
)

blp = blueprint("supervision_proposals", __name__, "/supervision-proposals",
                "挂牌督办建议：逾期升级到最高一级时提出，由监管人员采纳或不予督办")


def _annotate(case: EscalationCase, user: User) -> EscalationCase:
    case.can_accept, case.accept_blocked_reason = services.acceptable(case, user)  # type: ignore[attr-defined]
    return case


@blp.route("", methods=["GET"])
@blp.arguments(ProposalQueryArgsSchema, location="query")
@blp.response(200, ProposalPageSchema)
def list_proposals(args: dict[str, Any]) -> Any:
    """The proposals of my scope, undecided first; filter by status."""
    user = current_user()
    result = paginate(services.proposal_query(user, args["status"]), args["page"], args["per_page"])
    result["items"] = [_annotate(c, user) for c in result["items"]]
    return result


@blp.route("/<int:case_id>", methods=["GET"])
@blp.response(200, ProposalSchema)
@blp.alt_response(404, description="不存在或不在您的范围内")
def get_proposal(case_id: int) -> Any:
    user = current_user()
    return _annotate(services.get_proposal(case_id, user), user)


@blp.route("/<int:case_id>/accept", methods=["POST"])
@blp.arguments(ProposalAcceptSchema)
@blp.response(200, ProposalSchema)
@blp.alt_response(404, description="不存在或不在您的范围内")
@blp.alt_response(409, description="已由他人处理（proposal_already_decided），或隐患当前不能挂牌督办")
def accept_proposal(args: dict[str, Any], case_id: int) -> Any:
    """采纳: the hazard is listed for 挂牌督办 (workflow step 挂牌督办, recorded in its chain)."""
    user = current_user()
    case = services.get_proposal(case_id, user)
    services.accept_proposal(case, actor=user, authority=args["authority"], deadline=args["deadline"],
                             requirements=args["requirements"])
    return _annotate(case, user)


@blp.route("/<int:case_id>/dismiss", methods=["POST"])
@blp.arguments(ProposalDismissSchema)
@blp.response(200, ProposalSchema)
@blp.alt_response(404, description="不存在或不在您的范围内")
@blp.alt_response(409, description="已由他人处理（proposal_already_decided）")
def dismiss_proposal(args: dict[str, Any], case_id: int) -> Any:
    """不予督办, with the reason, recorded in the hazard's chain."""
    user = current_user()
    case = services.get_proposal(case_id, user)
    return _annotate(services.dismiss_proposal(case, actor=user, reason=args["reason"]), user)
