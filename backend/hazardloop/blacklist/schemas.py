"""Request and response shapes for the 黑名单 process."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime
from hazardloop.blacklist.states import STEPS, BlacklistStatus

V = ma.validate


class BlacklistQueryArgsSchema(ma.Schema):
    status = ma.fields.String(validate=V.OneOf([s.value for s in BlacklistStatus]))
    cursor = ma.fields.String(validate=V.Length(max=200))
    limit = ma.fields.Integer(load_default=50, validate=V.Range(min=1, max=200))


class BlacklistExportArgsSchema(ma.Schema):
    status = ma.fields.String(validate=V.OneOf([s.value for s in BlacklistStatus]))


class SiteRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class BlacklistEntrySchema(ma.Schema):
    """An entry as listed: enterprise information only (a published entry is public)."""

    id = ma.fields.Integer()
    site = ma.fields.Nested(SiteRefSchema)
    enterprise_name = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True, metadata={"description": "统一社会信用代码"})
    status = ma.fields.String()
    reason = ma.fields.String()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()
    published_at = LocalDateTime(allow_none=True)
    removed_at = LocalDateTime(allow_none=True)
    removable_after = LocalDateTime(allow_none=True, metadata={"description": "最早可移出时间（公布后清白期满）"})


class ActorSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class BlacklistStepRecordSchema(ma.Schema):
    step = ma.fields.String()
    label = ma.fields.String()
    from_status = ma.fields.String()
    to_status = ma.fields.String()
    actor = ma.fields.Nested(ActorSchema)
    actor_role = ma.fields.String()
    at = LocalDateTime()
    note = ma.fields.String(allow_none=True)


class BlacklistDetailSchema(BlacklistEntrySchema):
    steps = ma.fields.List(ma.fields.Nested(BlacklistStepRecordSchema), attribute="step_rows")
    allowed_steps = ma.fields.List(ma.fields.String())


class BlacklistPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BlacklistEntrySchema))
    next_cursor = ma.fields.String(allow_none=True)
    total = ma.fields.Integer()


class BlacklistStepSchema(ma.Schema):
    step = ma.fields.String(required=True, validate=V.OneOf(list(STEPS)))
    note = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=2000))
    client_event_id = ma.fields.String(validate=V.Length(min=8, max=64),
                                       metadata={"description": "客户端生成的操作编号，重发不重复"})
