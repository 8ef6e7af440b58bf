"""Request and response shapes for hazards and transitions."""

from __future__ import annotations

import dataclasses
from typing import Any

import marshmallow as ma
from webargs.fields import DelimitedList

from hazardloop.apitools import LocalDateTime
from hazardloop.hazards.detail import HazardDetail
from hazardloop.hazards.states import (
    LEVEL_LABELS,
    STATUS_LABELS,
    SYSTEM_EVENTS,
    TRANSITIONS,
    HazardLevel,
    HazardSource,
    HazardStatus,
)
from hazardloop.inspections.schemas import SHA256, PositionSchema
from hazardloop.taxonomy import Domain

V = ma.validate
LEVEL_INPUT = {"一般": "general", "重大": "major", "general": "general", "major": "major"}
_DETAIL_FIELDS = {f.name for f in dataclasses.fields(HazardDetail)} - {"hazard"}


def event_label(event: Any) -> str:
    """The Chinese name of an event's step (a workflow action or a step the system records)."""
    return TRANSITIONS[event.kind].label if event.kind in TRANSITIONS else SYSTEM_EVENTS.get(event.kind, event.kind)


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
    label = ma.fields.Function(event_label, metadata={"description": "该步骤的中文名称"})
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


class BlockedActionSchema(ma.Schema):
    action = ma.fields.String()
    label = ma.fields.String()
    reason = ma.fields.String(metadata={"description": "缺少的前提，例如重大隐患须先有审批通过的治理方案"})


class OfferedActionSchema(ma.Schema):
    action = ma.fields.String()
    label = ma.fields.String()


class ExtensionSchema(ma.Schema):
    """延期: the hazard's one extension request and its decision."""

    state = ma.fields.String(metadata={"description": "requested / approved / refused"})
    reason = ma.fields.String(allow_none=True)
    requested_deadline = LocalDateTime(allow_none=True)
    requested_at = LocalDateTime(allow_none=True)
    after_deadline = ma.fields.Boolean(metadata={"description": "是否在整改期限届满后才申请"})
    decided_at = LocalDateTime(allow_none=True)
    decision_note = ma.fields.String(allow_none=True)


class SupervisionSchema(ma.Schema):
    """挂牌督办: 督办单位, 期限, 督办要求, when listed and when lifted (摘牌)."""

    authority = ma.fields.String(allow_none=True)
    deadline = LocalDateTime(allow_none=True)
    requirements = ma.fields.String(allow_none=True)
    listed_at = LocalDateTime(allow_none=True)
    lifted_at = LocalDateTime(allow_none=True)


class PhotoFlagSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "taken_before_order / same_as_found / other_hazard"})
    message = ma.fields.String(metadata={"description": "给复查人员看的一句话"})


class AfterPhotoCheckSchema(ma.Schema):
    photo_id = ma.fields.String()
    taken_at = LocalDateTime(allow_none=True)
    flags = ma.fields.List(ma.fields.Nested(PhotoFlagSchema))


class VisitSchema(ma.Schema):
    """The last 复查 visit as recorded in its event."""

    kind = ma.fields.String(metadata={"description": "verify_pass / verify_fail"})
    occurred_at = LocalDateTime()
    distance_m = ma.fields.Float(allow_none=True, metadata={"description": "复查位置距场所（米）；未定位为 null"})
    far_from_site = ma.fields.Boolean()
    located = ma.fields.Boolean(metadata={"description": "复查时是否取得手机定位"})
    message = ma.fields.String(allow_none=True, metadata={"description": "距离过远时给出的一句话"})


class PresenceSchema(ma.Schema):
    """复查 presence: the site's point and allowance, the after-photos' flags, the last visit."""

    site_lat = ma.fields.Float(allow_none=True)
    site_lng = ma.fields.Float(allow_none=True)
    max_distance_m = ma.fields.Float(metadata={"description": "距场所超过此距离（加定位精度）即提示可能不在现场"})
    after_photos = ma.fields.List(ma.fields.Nested(AfterPhotoCheckSchema))
    last_visit = ma.fields.Nested(VisitSchema, allow_none=True)


class HazardDetailSchema(HazardSchema):
    """One hazard with what the page needs: timeline, documents, 三标, and this user's actions now.

    Dumps a ``hazards.detail.HazardDetail``; the hazard's own columns are read from its ``hazard``.
    """

    item = ma.fields.Dict(allow_none=True, metadata={"description": "检查条目及其三标依据"})
    inspection_id = ma.fields.Integer(allow_none=True, metadata={"description": "发现该隐患的检查记录（来自检查）"})
    governance_plan = ma.fields.Dict(allow_none=True)
    governance_plan_state = ma.fields.String(allow_none=True, metadata={
        "description": "治理方案审批：null 未提交 / submitted 待审批 / approved 已批准 / returned 已退回"})
    governance_plan_note = ma.fields.String(allow_none=True, metadata={"description": "审批意见或退回理由"})
    rectification = ma.fields.Dict(allow_none=True)
    extension_reason = ma.fields.String(allow_none=True)
    extension_requested_deadline = LocalDateTime(allow_none=True)
    extension = ma.fields.Nested(ExtensionSchema, allow_none=True)
    supervision = ma.fields.Nested(SupervisionSchema, allow_none=True)
    default_deadline = ma.fields.Date(metadata={
        "description": "交办、复查不通过未指定期限时将采用的日期（YYYY-MM-DD），供表单预填"})
    published = ma.fields.Boolean(metadata={"description": "是否在曝光台公开"})
    allowed_actions = ma.fields.List(ma.fields.String(), metadata={"description": "现在可执行的操作"})
    offered_actions = ma.fields.List(ma.fields.Nested(OfferedActionSchema), metadata={
        "description": "现在可执行的操作及其中文名称（与 allowed_actions 同序）"})
    blocked_actions = ma.fields.List(ma.fields.Nested(BlockedActionSchema), metadata={
        "description": "本角色的步骤，但缺少前提（说明原因）"})
    documents = ma.fields.List(ma.fields.Dict())
    presence = ma.fields.Nested(PresenceSchema, metadata={
        "description": "复查：场所位置与允许距离、整改后照片的疑点、最近一次复查的位置"})
    timeline = ma.fields.List(ma.fields.Nested(EventSchema))

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        # A HazardDetail carries the page's extras; everything else is the hazard's own.
        if hasattr(obj, "hazard") and attr.split(".")[0] not in _DETAIL_FIELDS:
            obj = obj.hazard
        return super().get_attribute(obj, attr, default)


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


class GovernancePlanSchema(ma.Schema):
    """重大隐患治理方案: exactly its six parts (GOVERNANCE_PLAN_PARTS), each a bounded text; no other keys."""

    class Meta:
        unknown = ma.RAISE

    goals = ma.fields.String(validate=V.Length(max=5000), metadata={"description": "治理的目标和任务"})
    methods = ma.fields.String(validate=V.Length(max=5000), metadata={"description": "采取的方法和措施"})
    funding = ma.fields.String(validate=V.Length(max=5000), metadata={"description": "经费和物资的落实"})
    organization = ma.fields.String(validate=V.Length(max=5000), metadata={"description": "负责治理的机构和人员"})
    schedule = ma.fields.String(validate=V.Length(max=5000), metadata={"description": "治理的时限和要求"})
    safety_measures = ma.fields.String(validate=V.Length(max=5000), metadata={"description": "安全措施和应急预案"})


class TransitionSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=V.OneOf(list(TRANSITIONS)))
    client_event_id = ma.fields.String(validate=V.Length(min=8, max=64),
                                       metadata={"description": "客户端生成的操作编号，重发不重复"})
    client_time = LocalDateTime()
    note = ma.fields.String(validate=V.Length(max=2000))
    reason = ma.fields.String(validate=V.Length(max=2000))
    deadline = ma.fields.Date(metadata={"description": "交办、同意延期时可指定的期限（默认按条目计算）；复查不通过、"
                                                       "挂牌督办时必填（表单预填 default_deadline）"})
    requested_deadline = ma.fields.Date()
    department_id = ma.fields.Integer()
    measures = ma.fields.String(validate=V.Length(max=5000))
    cost = ma.fields.Float(validate=V.Range(min=0))
    responsible_person = ma.fields.String(validate=V.Length(max=50))
    photo_ids = ma.fields.List(ma.fields.String(validate=SHA256))
    before_photo_ids = ma.fields.List(ma.fields.String(validate=SHA256))
    after_photo_ids = ma.fields.List(ma.fields.String(validate=SHA256))
    authority = ma.fields.String(validate=V.Length(max=100), metadata={"description": "挂牌督办：督办单位"})
    requirements = ma.fields.String(validate=V.Length(max=2000), metadata={"description": "挂牌督办：督办要求"})
    position = ma.fields.Nested(PositionSchema, metadata={
        "description": "复查时手机所在位置（WGS-84，含精度）；记入复查事件，并计算与场所的距离；未定位时省略"})
    plan = ma.fields.Nested(GovernancePlanSchema)


class HazardBriefSchema(ma.Schema):
    """A hazard as another feature lists it: number, description, level and status with their Chinese labels."""

    id = ma.fields.Integer()
    number = ma.fields.String()
    description = ma.fields.String()
    level = ma.fields.String()
    level_label = ma.fields.Function(lambda h: LEVEL_LABELS[HazardLevel(h.level)])
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda h: STATUS_LABELS[HazardStatus(h.status)])


# --- the hazard page's answer without marshmallow's per-field machinery --------------------------------
# HazardDetailSchema stays the documentation of the shape (OpenAPI); dump_detail builds the same dict by
# hand because the page is the most read answer and the schema's dump cost more than its queries.
# tests/hazards/test_detail_dump.py compares the two on hazards in every step.


def _hazard_columns(schema: ma.Schema) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    """The schema's fields read from the hazard itself, by how they are dumped (a new field type fails here)."""
    plain, times, floats, lists, mappings = [], [], [], [], []
    for name, f in schema.dump_fields.items():
        if name in _DETAIL_FIELDS or name in ("site_name", "overdue") or (f.attribute or name) != name:
            continue
        if isinstance(f, LocalDateTime):
            times.append(name)
        elif isinstance(f, ma.fields.Float):
            floats.append(name)
        elif isinstance(f, ma.fields.List) and isinstance(f.inner, ma.fields.String):
            lists.append(name)
        elif isinstance(f, ma.fields.Dict) and f.key_field is None and f.value_field is None:
            mappings.append(name)
        elif isinstance(f, (ma.fields.String, ma.fields.Integer, ma.fields.Boolean)):
            plain.append(name)
        else:
            raise TypeError(f"dump_detail cannot dump {type(f).__name__} field {name!r}")
    return plain, times, floats, lists, mappings


_PLAIN, _TIMES, _FLOATS, _LISTS, _MAPPINGS = _hazard_columns(HazardDetailSchema())


def _time(value: Any, zone: Any) -> str | None:
    return None if value is None else value.astimezone(zone).isoformat()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _event(event: Any, zone: Any) -> dict[str, Any]:
    actor = event.actor
    return {"id": event.id, "kind": event.kind, "label": event_label(event), "from_status": event.from_status,
            "to_status": event.to_status, "actor_id": event.actor_id,
            "actor_name": actor.display_name if actor is not None else None, "actor_role": event.actor_role,
            "occurred_at": _time(event.occurred_at, zone), "client_time": _time(event.client_time, zone),
            "note": event.note, "payload": None if event.payload is None else dict(event.payload),
            "photo_hashes": None if event.photo_hashes is None else [str(p) for p in event.photo_hashes],
            "hash": event.hash}


def _presence(presence: dict[str, Any], zone: Any) -> dict[str, Any]:
    visit = presence["last_visit"]
    return {
        "site_lat": _float(presence["site_lat"]), "site_lng": _float(presence["site_lng"]),
        "max_distance_m": _float(presence["max_distance_m"]),
        "after_photos": [{"photo_id": c["photo_id"], "taken_at": _time(c["taken_at"], zone),
                          "flags": [{"code": f["code"], "message": f["message"]} for f in c["flags"]]}
                         for c in presence["after_photos"]],
        "last_visit": None if visit is None else {
            "kind": visit["kind"], "occurred_at": _time(visit["occurred_at"], zone),
            "distance_m": _float(visit["distance_m"]), "far_from_site": bool(visit["far_from_site"]),
            "located": bool(visit["located"]), "message": visit["message"]},
    }


def dump_detail(detail: HazardDetail, zone: Any) -> dict[str, Any]:
    """``HazardDetailSchema().dump(detail)``, built directly (times in ``zone``, the configured local zone)."""
    hazard = detail.hazard
    out: dict[str, Any] = {name: getattr(hazard, name) for name in _PLAIN}
    for name in _TIMES:
        out[name] = _time(getattr(hazard, name), zone)
    for name in _FLOATS:
        out[name] = _float(getattr(hazard, name))
    for name in _LISTS:
        value = getattr(hazard, name)
        out[name] = None if value is None else [str(v) for v in value]
    for name in _MAPPINGS:
        value = getattr(hazard, name)
        out[name] = None if value is None else dict(value)
    out["site_name"] = hazard.site.name if hazard.site is not None else None
    out["overdue"] = detail.overdue
    extension, supervision = detail.extension, detail.supervision
    out["extension"] = None if extension is None else {
        "state": extension["state"], "reason": extension["reason"],
        "requested_deadline": _time(extension["requested_deadline"], zone),
        "requested_at": _time(extension["requested_at"], zone), "after_deadline": bool(extension["after_deadline"]),
        "decided_at": _time(extension["decided_at"], zone), "decision_note": extension["decision_note"]}
    out["supervision"] = None if supervision is None else {
        "authority": supervision["authority"], "deadline": _time(supervision["deadline"], zone),
        "requirements": supervision["requirements"], "listed_at": _time(supervision["listed_at"], zone),
        "lifted_at": _time(supervision["lifted_at"], zone)}
    out["item"] = None if detail.item is None else dict(detail.item)
    out["default_deadline"] = detail.default_deadline.isoformat()
    out["published"] = bool(detail.published)
    out["allowed_actions"] = list(detail.allowed_actions)
    out["offered_actions"] = [{"action": a["action"], "label": a["label"]} for a in detail.offered_actions]
    out["blocked_actions"] = [{"action": a["action"], "label": a["label"], "reason": a["reason"]}
                              for a in detail.blocked_actions]
    out["documents"] = [dict(d) for d in detail.documents]
    out["presence"] = _presence(detail.presence, zone)
    out["timeline"] = [_event(e, zone) for e in detail.timeline]
    return out
