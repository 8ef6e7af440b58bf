"""Request and response shapes of the public channel, the triage queue and the 曝光台."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate as V

from hazardloop.accounts.services import normalize_mobile
from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.errors import ValidationFailed
from hazardloop.hazards.schemas import LEVEL_INPUT
from hazardloop.hazards.states import STATUS_LABELS, HazardStatus
from hazardloop.public.models import ReportStatus, RewardStatus
from hazardloop.taxonomy import Domain

HONEYPOT = "website"  # hidden in the form; people leave it empty, form-filling robots do not
DOMAINS = [d.value for d in Domain]


# --- public ---------------------------------------------------------------------------------------

class PublicReportCreateSchema(ma.Schema):
    """群众举报 as posted (JSON or multipart form fields; photos are the multipart files ``photos``)."""

    description = ma.fields.String(required=True, validate=V.Length(min=5, max=2000))
    category = ma.fields.String(required=True, validate=V.OneOf(DOMAINS),
                                metadata={"description": "监管领域代码（/api/v1/open311/services.json）"})
    phone = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=20),
                             metadata={"description": "可选；仅用于回访和奖励，绝不公开"})
    sms_consent = ma.fields.Boolean(load_default=False, metadata={
        "description": "留了手机号且同意：受理、不予立案（含理由）和整改销号时发短信告知（含查询链接）"})
    site_token = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=64),
                                  metadata={"description": "场所二维码中的令牌"})
    lat = ma.fields.Float(load_default=None, allow_none=True, validate=V.Range(-90, 90))
    lng = ma.fields.Float(load_default=None, allow_none=True, validate=V.Range(-180, 180))
    address = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=300))
    website = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=2000),
                               metadata={"description": "留空（防机器人字段）"})

    @ma.pre_load
    def _blank_is_missing(self, data: Any, **kwargs: Any) -> Any:
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @ma.post_load
    def _normalise(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data.get("phone") and not data.get(HONEYPOT):
            try:
                data["phone"] = normalize_mobile(data["phone"])
            except ValidationFailed:
                raise ma.ValidationError({"phone": ["手机号应为 11 位中国大陆手机号码。"]}) from None
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise ma.ValidationError({"lng": ["经度和纬度需同时提供。"]})
        return data


class ReceiptSchema(ma.Schema):
    tracking_code = ma.fields.String(metadata={
        "description": "查询码（如 ABCD-EFGH-JKMNP）：凭此查询办理进度；不区分大小写，可不带连字符"})
    status = ma.fields.String()
    status_label = ma.fields.String()
    received_at = LocalDateTime()


class ReportProgressSchema(ReceiptSchema):
    """What the reporter sees: received / accepted / rectifying / closed / rejected (+ reason), and times."""

    description = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.String()
    rejection_reason = ma.fields.String(allow_none=True)
    merged = ma.fields.Boolean(metadata={"description": "已与反映同一问题的举报或隐患合并办理（进度随之）"})
    merged_note = ma.fields.String(allow_none=True)
    triaged_at = LocalDateTime(allow_none=True)
    deadline_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    feedback_asked = ma.fields.Boolean(metadata={"description": "已整改销号，请举报人反馈「问题解决了吗？」"})
    reopened = ma.fields.Boolean(metadata={"description": "举报人反馈未解决后已重新受理"})


class ReportFeedbackCreateSchema(ma.Schema):
    """「问题解决了吗？」的回答：否 则重新受理。"""

    solved = ma.fields.Boolean(required=True)
    note = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=500))


class ReportFeedbackSchema(ma.Schema):
    solved = ma.fields.Boolean()
    note = ma.fields.String(allow_none=True)
    answered_at = LocalDateTime()


class BeforeAfterSchema(ma.Schema):
    before = ma.fields.String()
    after = ma.fields.String()


class PublicHazardSchema(ma.Schema):
    """A hazard on the 曝光台: no people, no internal ids; photos are public copies only."""

    code = ma.fields.String(allow_none=True, metadata={"description": "公开编号（非数据库编号）"})
    site_name = ma.fields.String()
    description = ma.fields.String()
    level = ma.fields.String()
    level_label = ma.fields.String()
    domain = ma.fields.String()
    domain_label = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    deadline_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    published_at = LocalDateTime(allow_none=True)
    photos = ma.fields.List(ma.fields.String())
    before_after = ma.fields.List(ma.fields.Nested(BeforeAfterSchema))


class PublicSiteSchema(ma.Schema):
    name = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.String()
    hazards = ma.fields.List(ma.fields.Nested(PublicHazardSchema))


ExposurePageSchema = page_schema(PublicHazardSchema, "ExposurePageSchema")


class MapAreaSchema(ma.Schema):
    name = ma.fields.String()
    boundary = ma.fields.Dict(metadata={"description": "GeoJSON Polygon / MultiPolygon（WGS-84，[经度, 纬度]）"})


class PublicMapSchema(ma.Schema):
    """The district and its grids' outlines, for picking a place on the report form: shapes and names only."""

    district = ma.fields.Nested(MapAreaSchema, allow_none=True)
    grids = ma.fields.List(ma.fields.Nested(MapAreaSchema))


class Open311RequestsArgsSchema(ma.Schema):
    service_code = ma.fields.String(load_default=None, validate=V.OneOf(DOMAINS))
    status = ma.fields.String(load_default=None, validate=V.OneOf(["open", "closed"]))
    start_date = LocalDateTime(load_default=None)
    end_date = LocalDateTime(load_default=None)


# --- triage (supervisors) ---------------------------------------------------------------------------

TRIAGE_LABELS = {"received": "待分拣", "accepted": "已立案", "rejected": "不予立案", "merged": "已并案"}


class ReportSchema(ma.Schema):
    """群众举报 as the supervisors in scope see it, with the phone for follow-up and reward."""

    id = ma.fields.Integer()
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda r: TRIAGE_LABELS[r.status])
    public_status = ma.fields.String()
    public_status_label = ma.fields.String(metadata={"description": "举报人在查询页看到的状态"})
    description = ma.fields.String()
    category = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    site_id = ma.fields.Integer(allow_none=True)
    site_name = ma.fields.Function(lambda r: r.site.name if r.site is not None else None)
    region_id = ma.fields.Integer()
    region_name = ma.fields.Function(lambda r: r.region.name)
    lat = ma.fields.Float(allow_none=True)
    lng = ma.fields.Float(allow_none=True)
    address = ma.fields.String(allow_none=True)
    photo_ids = ma.fields.List(ma.fields.String())
    received_at = LocalDateTime()
    triage_due_at = LocalDateTime()
    triage_overdue = ma.fields.Boolean()
    triaged_at = LocalDateTime(allow_none=True)
    rejection_reason = ma.fields.String(allow_none=True)
    hazard_id = ma.fields.Integer(allow_none=True)
    hazard_number = ma.fields.Function(lambda r: r.hazard.number if r.hazard is not None else None, allow_none=True)
    duplicate_of_report_id = ma.fields.Integer(allow_none=True)
    duplicate_of_hazard_id = ma.fields.Integer(allow_none=True)
    duplicate_of_hazard_number = ma.fields.Function(
        lambda r: r.duplicate_of_hazard.number if r.duplicate_of_hazard is not None else None, allow_none=True)
    reward_amount = ma.fields.Decimal(places=2, as_string=True, allow_none=True)
    reward_status = ma.fields.String(allow_none=True)
    sms_consent = ma.fields.Boolean(metadata={"description": "举报人同意短信告知办理结果"})
    reopen_count = ma.fields.Integer(metadata={"description": "举报人反馈未解决而重新受理的次数"})
    feedback = ma.fields.List(ma.fields.Nested(lambda: ReportFeedbackSchema()),
                              metadata={"description": "举报人对「问题解决了吗？」的回答"})


ReportPageSchema = page_schema(ReportSchema, "ReportPageSchema")


class ReportQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(load_default=None, validate=V.OneOf([s.value for s in ReportStatus]))
    region_id = ma.fields.Integer(load_default=None, validate=V.Range(1, 2**31 - 1),
                                  metadata={"description": "只看该区域（含下级）的举报"})
    start = ma.fields.Date(data_key="from", load_default=None, metadata={"description": "收到日期起（含）"})
    end = ma.fields.Date(data_key="to", load_default=None, metadata={"description": "收到日期止（含当日）"})


class ReportCountSchema(ma.Schema):
    untriaged = ma.fields.Integer(metadata={"description": "待分拣的举报数（监管台「举报」角标）"})


class ReportAcceptSchema(ma.Schema):
    level = ma.fields.String(required=True, validate=V.OneOf(list(LEVEL_INPUT)))
    domain = ma.fields.String(required=True, validate=V.OneOf(DOMAINS))
    description = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(min=2, max=2000))
    site_id = ma.fields.Integer(load_default=None, allow_none=True, validate=V.Range(1, 2**31 - 1),
                                metadata={"description": "举报未关联场所时必填"})
    department_id = ma.fields.Integer(load_default=None, allow_none=True, validate=V.Range(1, 2**31 - 1),
                                      metadata={"description": "责任部门；不填时按监管领域自动确定"})


class ReportMergeSchema(ma.Schema):
    """并案: exactly one of the two."""

    report_id = ma.fields.Integer(load_default=None, allow_none=True, validate=V.Range(1, 2**31 - 1),
                                  metadata={"description": "并入的举报"})
    hazard_id = ma.fields.Integer(load_default=None, allow_none=True, validate=V.Range(1, 2**31 - 1),
                                  metadata={"description": "并入的隐患"})


class CandidateReportSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda r: TRIAGE_LABELS[r.status])
    description = ma.fields.String()
    received_at = LocalDateTime()


class CandidateHazardSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    description = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.Function(lambda h: STATUS_LABELS[HazardStatus(h.status)])
    found_at = LocalDateTime()


class DuplicateCandidatesSchema(ma.Schema):
    """What a report may be merged into (same place, last 30 days; open hazards of its site)."""

    reports = ma.fields.List(ma.fields.Nested(CandidateReportSchema))
    hazards = ma.fields.List(ma.fields.Nested(CandidateHazardSchema))


class ReportRejectSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=V.Length(min=2, max=500))


def _reward_amount(value: Any) -> None:
    # A function, not V.Range: apispec would render a Decimal bound as a string, which OpenAPI refuses.
    if not 0 <= value <= 1_000_000:
        raise ma.ValidationError("奖励金额应在 0 到 1000000 元之间。")


class ReportRewardSchema(ma.Schema):
    """举报奖励."""

    amount = ma.fields.Decimal(required=True, places=2, validate=_reward_amount,
                               metadata={"description": "金额（元），0–1000000"})
    status = ma.fields.String(required=True, validate=V.OneOf([s.value for s in RewardStatus]))


class ReportStatsArgsSchema(ma.Schema):
    start = ma.fields.Date(data_key="from", load_default=None)
    end = ma.fields.Date(data_key="to", load_default=None, metadata={"description": "含当日"})


class FiguresSchema(ma.Schema):
    received = ma.fields.Integer()
    triaged = ma.fields.Integer()
    untriaged = ma.fields.Integer()
    accepted = ma.fields.Integer()
    rejected = ma.fields.Integer()
    merged = ma.fields.Integer()
    triaged_on_time = ma.fields.Integer(metadata={"description": "在受理期限内分拣的件数"})
    on_time_share = ma.fields.Float(allow_none=True, metadata={"description": "按时分拣率：期限内分拣 ÷ 已分拣"})
    median_triage_hours = ma.fields.Float(allow_none=True)
    accepted_share = ma.fields.Float(allow_none=True)
    closed = ma.fields.Integer()
    closed_share = ma.fields.Float(allow_none=True, metadata={"description": "办结率：已立案中已闭环的比例"})


class RegionFiguresSchema(FiguresSchema):
    region_id = ma.fields.Integer()
    region_name = ma.fields.String()
    region_level = ma.fields.String()


class ReportStatsSchema(ma.Schema):
    start = LocalDateTime(data_key="from")
    end = LocalDateTime(data_key="to")
    total = ma.fields.Nested(FiguresSchema)
    by_region = ma.fields.List(ma.fields.Nested(RegionFiguresSchema))


class PublishSchema(ma.Schema):
    public = ma.fields.Boolean(required=True)


class PublicationSchema(ma.Schema):
    public = ma.fields.Boolean()
    code = ma.fields.String(metadata={"description": "曝光台公开编号"})
    published_at = LocalDateTime(allow_none=True)
    withdrawn_at = LocalDateTime(allow_none=True)


class PublicationPreviewSchema(ma.Schema):
    """曝光台预览: exactly the card the public board would show for the hazard once published now."""

    public = ma.fields.Boolean(metadata={"description": "现在是否已在曝光台公开"})
    preview = ma.fields.Nested(PublicHazardSchema, metadata={
        "description": "公开后公众看到的内容；尚未公开的照片没有公开副本，"
                       "界面可用 /api/v1/photos/{id}/thumbnail 显示同一张照片"})
