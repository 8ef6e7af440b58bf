"""Request and response shapes for inspections."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.inspections.models import MODE_LABELS, InspectionMode
from hazardloop.taxonomy import ROLE_LABELS

V = ma.validate
SHA256 = V.Regexp(r"^[0-9a-f]{64}$", error="应为照片的 SHA-256 编号（64 位十六进制）。")


class PositionSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=V.Range(min=-90, max=90))
    lng = ma.fields.Float(required=True, validate=V.Range(min=-180, max=180))
    accuracy_m = ma.fields.Float(load_default=None, allow_none=True, validate=V.Range(min=0))


class QrScanSchema(ma.Schema):
    token = ma.fields.String(required=True, validate=V.Length(min=1, max=64))
    scanned_at = LocalDateTime(required=True)


class AnswerSchema(ma.Schema):
    item_code = ma.fields.String(required=True, validate=V.Length(min=1, max=40))
    result = ma.fields.String(validate=V.OneOf(["符合", "不符合", "不涉及"]))
    value = ma.fields.Float(allow_none=True)
    choice = ma.fields.String(allow_none=True)
    count = ma.fields.Integer(load_default=None, allow_none=True, validate=V.Range(min=1, max=1000))
    finding = ma.fields.String(load_default="", validate=V.Length(max=2000))
    photo_ids = ma.fields.List(ma.fields.String(validate=SHA256), load_default=list)
    fixed_on_site = ma.fields.Boolean(load_default=False)
    after_photo_ids = ma.fields.List(ma.fields.String(validate=SHA256), load_default=list)
    # No load default: an answer without it hashes as before, so a resend from an older phone is not a conflict.
    level = ma.fields.String(allow_none=True, validate=V.OneOf(["一般", "重大"]), metadata={
        "description": "检查人员对「可能构成重大隐患」条目的判定（对照判定条件）；不填为一般隐患"})


class InspectionCreateSchema(ma.Schema):
    client_uuid = ma.fields.UUID(required=True, metadata={"description": "手机端生成的 UUID，重发不重复"})
    site_id = ma.fields.Integer(required=True)
    checklist_id = ma.fields.String(required=True, validate=V.Length(min=1, max=64))
    checklist_version = ma.fields.String(required=True, validate=V.Length(min=1, max=32))
    mode = ma.fields.String(required=True, validate=V.OneOf([m.value for m in InspectionMode]))
    started_at = LocalDateTime(required=True)
    finished_at = LocalDateTime(required=True)
    saved_at = LocalDateTime(load_default=None, allow_none=True)
    position = ma.fields.Nested(PositionSchema, load_default=None, allow_none=True)
    qr_scan = ma.fields.Nested(QrScanSchema, load_default=None, allow_none=True)
    answers = ma.fields.List(ma.fields.Nested(AnswerSchema), required=True, validate=V.Length(min=1, max=500))
    notes = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=5000))
    signature_photo_id = ma.fields.String(load_default=None, allow_none=True, validate=SHA256)
    replaces_client_uuid = ma.fields.UUID(load_default=None, allow_none=True,
                                          metadata={"description": "修改后重发时：被替代的旧版本的 client_uuid"})

    @ma.validates_schema
    def finished_after_started(self, data: dict, **kwargs: object) -> None:
        if data["finished_at"] < data["started_at"]:
            raise ma.ValidationError("结束时间不能早于开始时间。", "finished_at")


class InspectionHazardSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    level = ma.fields.String()
    item_code = ma.fields.String(allow_none=True)
    how = ma.fields.String(metadata={"description": "found（新发现）或 observed_again（再次发现）"})


def _own(obj: Any) -> Any:
    """The inspection itself, whether dumped alone or inside an ``InspectionDetail``."""
    return getattr(obj, "inspection", obj)


class InspectionSchema(ma.Schema):
    id = ma.fields.Integer()
    client_uuid = ma.fields.String()
    site_id = ma.fields.Integer()
    site_name = ma.fields.String(attribute="site.name")
    checklist_id = ma.fields.String(attribute="checklist_version.checklist_id")
    checklist_version = ma.fields.String(attribute="checklist_version.version")
    checklist_title = ma.fields.String(attribute="checklist_version.title")
    mode = ma.fields.String()
    mode_label = ma.fields.Function(lambda i: MODE_LABELS.get(_own(i).mode, _own(i).mode),
                                    metadata={"description": "检查方式的中文名称"})
    inspector_id = ma.fields.Integer()
    inspector_role = ma.fields.String()
    inspector_role_label = ma.fields.Function(lambda i: ROLE_LABELS.get(_own(i).inspector_role, ""),
                                              metadata={"description": "检查人角色的中文名称"})
    started_at = LocalDateTime()
    finished_at = LocalDateTime()
    saved_at = LocalDateTime(allow_none=True)
    received_at = LocalDateTime()
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    accuracy_m = ma.fields.Float(allow_none=True)
    distance_m = ma.fields.Float(allow_none=True)
    far_from_site = ma.fields.Boolean()
    qr_scanned_at = LocalDateTime(allow_none=True)
    qr_token_current = ma.fields.Boolean(allow_none=True)
    score_total = ma.fields.Float()
    score_max = ma.fields.Float()
    finding_count = ma.fields.Integer()
    notes = ma.fields.String(allow_none=True)


class InspectionDetailSchema(InspectionSchema):
    """Dumps an ``inspections.services.InspectionDetail``; the inspection's own columns come from ``inspection``."""

    answers = ma.fields.List(ma.fields.Dict())
    # The record page names who inspected (one row: no N+1 as it would be in the list).
    inspector_name = ma.fields.String(attribute="inspector.display_name", allow_none=True)
    signature_photo_id = ma.fields.String(allow_none=True)
    replaces_client_uuid = ma.fields.String(allow_none=True)
    hazards = ma.fields.List(ma.fields.Nested(InspectionHazardSchema))
    merged_from_site_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "提交时所填场所已合并（合并重复场所）：该场所的编号；检查记入 site_id 所示的存续场所"})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if hasattr(obj, "inspection") and attr not in ("replaces_client_uuid", "hazards", "merged_from_site_id"):
            obj = obj.inspection
        return super().get_attribute(obj, attr, default)


InspectionPageSchema = page_schema(InspectionSchema, "InspectionPageSchema")


class InspectionQueryArgsSchema(PaginationArgsSchema):
    site = ma.fields.Integer()
    mode = ma.fields.String(validate=V.OneOf([m.value for m in InspectionMode]))
