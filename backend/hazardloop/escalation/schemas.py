"""Request and response shapes of the 挂牌督办建议 queue (the escalation ladder's top-rung proposals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from marshmallow import validate as V

from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.database import local_zone
from hazardloop.hazards.schemas import HazardBriefSchema

PROPOSAL_LABELS = {"proposed": "待决定", "accepted": "已采纳", "dismissed": "不予督办"}


def _future(day: dt.date) -> None:
    if day <= dt.datetime.now(local_zone()).date():
        raise ma.ValidationError("督办期限须晚于今天。")


class ProposalHazardSchema(HazardBriefSchema):
    site_name = ma.fields.Function(lambda h: h.site.name)
    deadline_at = LocalDateTime(allow_none=True)
    supervised = ma.fields.Boolean()


class ProposalSchema(ma.Schema):
    """挂牌督办建议: opened by the ladder's top rung; a supervisor accepts (挂牌督办) or dismisses it with a reason."""

    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "proposed / accepted / dismissed"})
    status_label = ma.fields.Function(lambda c: PROPOSAL_LABELS[c.status])
    created_at = LocalDateTime()
    overdue_working_days = ma.fields.Function(lambda c: (c.details or {}).get("overdue_working_days"),
                                              allow_none=True)
    hazard = ma.fields.Nested(ProposalHazardSchema)
    decided_at = LocalDateTime(allow_none=True)
    decided_by = ma.fields.Function(lambda c: c.decided_by.display_name if c.decided_by else None, allow_none=True)
    decision_note = ma.fields.String(allow_none=True, metadata={"description": "不予督办的理由"})
    can_accept = ma.fields.Boolean(metadata={"description": "当前用户现在能否采纳（挂牌督办）"})
    accept_blocked_reason = ma.fields.String(allow_none=True, metadata={"description": "不能采纳的原因"})


ProposalPageSchema = page_schema(ProposalSchema, "ProposalPageSchema")


class ProposalQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(load_default=None, validate=V.OneOf(list(PROPOSAL_LABELS)))


class ProposalAcceptSchema(ma.Schema):
    """采纳: the 挂牌督办 particulars (督办单位, 期限, 督办要求)."""

    authority = ma.fields.String(required=True, validate=V.Length(min=2, max=100),
                                 metadata={"description": "督办单位"})
    deadline = ma.fields.Date(required=True, validate=_future, metadata={"description": "督办期限（晚于今天）"})
    requirements = ma.fields.String(required=True, validate=V.Length(min=2, max=1000),
                                    metadata={"description": "督办要求"})

    @ma.pre_load
    def _strip(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


class ProposalDismissSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=V.Length(min=2, max=500),
                              metadata={"description": "不予督办的理由"})
