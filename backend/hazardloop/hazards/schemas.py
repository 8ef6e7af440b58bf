"""Request and response shapes for hazards, transitions and circulars."""

from __future__ import annotations

import marshmallow as ma
from webargs.fields import DelimitedList

from hazardloop.apitools import LocalDateTime
from hazardloop.hazards.states import TRANSITIONS, HazardLevel, HazardSource, HazardStatus
from hazardloop.inspections.schemas import SHA256, PositionSchema
from hazardloop.taxonomy import Domain

V = ma.validate
LEVEL_INPUT = {"一般": "general", "重大": "major", "general": "general", "major": "major"}


class HazardCreateSchema(ma.Schema):
    """随手拍: a hazard without a checklist item."""

    client_uuid = ma.fields.UUID(required=True)
    site_id = ma.fields.Integer(required=True)
    description = ma.fields.String(required=True, validate=V.Length(min=2, max=2000))
    domain = ma.fields.String(required=True, validate=V.OneOf([d.value for d in Domain]))
    level = ma.fields.String(required=True, validate=V.OneOf(list(LEVEL_INPUT)))
    photo_ids = ma.fields.List(ma.fields.String(validate=SHA256), required=True, validate=V.Length(min=1))
    position = ma.fields.Nested(PositionSchema, load_default=None, allow_none=True)
    found_at = LocalDateTime(required=True)


class EventSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    label = ma.fields.String()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_name = ma.fields.String(attribute="actor.display_name", allow_none=True)
    actor_role = ma.fields.String(allow_none=True)
    occurred_at = LocalDateTime()
    client_time = LocalDateTime(allow_none=True)
    note = ma.fields.String(allow_none=True)
    payload = ma.fields.Dict()
    photo_hashes = ma.fields.List(ma.fields.String())
    hash = ma.fields.String()


class HazardSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    site_id = ma.fields.Integer()
    site_name = ma.fields.String(attribute="site.name")
    source = ma.fields.String()
    covert = ma.fields.Boolean()
    item_code = ma.fields.String(allow_none=True)
    description = ma.fields.String()
    level = ma.fields.String()
    domain = ma.fields.String()
    status = ma.fields.String()
    found_at = LocalDateTime()
    deadline_at = LocalDateTime(allow_none=True)
    deadline_estimated = ma.fields.Boolean()
    overdue = ma.fields.Boolean()
    department_id = ma.fields.Integer(allow_none=True)
    rejection_count = ma.fields.Integer()
    repeat_count = ma.fields.Integer()
    recurrence_of_id = ma.fields.Integer(allow_none=True)
    recurrence_count = ma.fields.Integer()
    extension_state = ma.fields.String(allow_none=True)
    supervised = ma.fields.Boolean()
    supervising_authority = ma.fields.String(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    reported_at = LocalDateTime(allow_none=True)
    photo_ids = ma.fields.List(ma.fields.String())
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)


class HazardDetailSchema(HazardSchema):
    item = ma.fields.Dict(allow_none=True, metadata={"description": "检查条目及其三标依据"})
    governance_plan = ma.fields.Dict(allow_none=True)
    rectification = ma.fields.Dict(allow_none=True)
    extension_reason = ma.fields.String(allow_none=True)
    extension_requested_deadline = LocalDateTime(allow_none=True)
    allowed_actions = ma.fields.List(ma.fields.String())
    documents = ma.fields.List(ma.fields.Dict())
    timeline = ma.fields.List(ma.fields.Nested(EventSchema))


class HazardPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(HazardSchema))
    next_cursor = ma.fields.String(allow_none=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), allow_none=True,
                            metadata={"description": "本范围内（同一筛选条件）各状态数量；只在第一页（无 cursor）给出，"
                                                     "后续页为 null"})


SORTS = ["-found_at", "found_at", "deadline_at", "-deadline_at", "-id", "id"]


class HazardQueryArgsSchema(ma.Schema):
    status = DelimitedList(ma.fields.String(validate=V.OneOf([s.value for s in HazardStatus])))
    level = ma.fields.String(validate=V.OneOf([lv.value for lv in HazardLevel]))
    domain = ma.fields.String(validate=V.OneOf([d.value for d in Domain]))
    source = ma.fields.String(validate=V.OneOf([s.value for s in HazardSource]))
    region = ma.fields.Integer(metadata={"description": "区域 id（含其下所有网格）"})
    site = ma.fields.Integer()
    department = ma.fields.Integer()
    overdue = ma.fields.Boolean()
    supervised = ma.fields.Boolean()
    due_before = LocalDateTime()
    found_from = LocalDateTime()
    found_to = LocalDateTime()
    loop = ma.fields.String(validate=V.OneOf(["closed_unreported", "complete"]),
                            metadata={"description": "closed_unreported：已闭环未通报；complete：闭环且已通报"})
    q = ma.fields.String(validate=V.Length(max=100))
    sort = ma.fields.String(load_default="-found_at", validate=V.OneOf(SORTS))
    cursor = ma.fields.String(validate=V.Length(max=200))
    limit = ma.fields.Integer(load_default=50, validate=V.Range(min=1, max=500))


class TransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=V.OneOf(list(TRANSITIONS)))
    client_event_id = ma.fields.String(validate=V.Length(min=8, max=64),
                                       metadata={"description": "客户端生成的操作编号，重发不重复"})
    client_time = LocalDateTime()
    note = ma.fields.String(validate=V.Length(max=2000))
    reason = ma.fields.String(validate=V.Length(max=2000))
    deadline = ma.fields.Date(metadata={"description": "交办/复查不通过/同意延期时指定的期限（默认按条目计算）"})
    requested_deadline = ma.fields.Date()
    department_id = ma.fields.Integer()
    measures = ma.fields.String(validate=V.Length(max=5000))
    cost = ma.fields.Float(validate=V.Range(min=0))
    responsible_person = ma.fields.String(validate=V.Length(max=50))
    photo_ids = ma.fields.List(ma.fields.String(validate=SHA256))
    before_photo_ids = ma.fields.List(ma.fields.String(validate=SHA256))
    after_photo_ids = ma.fields.List(ma.fields.String(validate=SHA256))
    authority = ma.fields.String(validate=V.Length(max=100))
    plan = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class CircularCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=V.Length(min=2, max=200))
    commentary = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=20000))
    hazard_ids = ma.fields.List(ma.fields.Integer(), required=True, validate=V.Length(min=1, max=10000))


class CircularSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    commentary = ma.fields.String(allow_none=True)
    published_by_id = ma.fields.Integer()
    published_at = LocalDateTime()
    hazard_ids = ma.fields.List(ma.fields.Integer())
