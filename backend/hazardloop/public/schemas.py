"""Request and response shapes of the public channel, the triage queue and the 曝光台."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate as V

from hazardloop.accounts.services import normalize_mobile
from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.errors import ValidationFailed
from hazardloop.hazards.schemas import LEVEL_INPUT
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
    tracking_code = ma.fields.String(metadata={"description": "查询码：凭此查询办理进度，请妥善保存"})
    status = ma.fields.String()
    status_label = ma.fields.String()
    received_at = LocalDateTime()


class ReportProgressSchema(ReceiptSchema):
    """What the reporter sees: received / accepted / rectifying / closed / rejected (+ reason), and times."""

    description = ma.fields.String()
    category = ma.fields.String()
    category_label = ma.fields.String()
    rejection_reason = ma.fields.String(allow_none=True)
    triaged_at = LocalDateTime(allow_none=True)
    deadline_at = LocalDateTime(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)


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

class ReportSchema(ma.Schema):
    """群众举报 as the supervisors in scope see it, with the phone for follow-up and reward."""

    id = ma.fields.Integer()
    status = ma.fields.String()
    public_status = ma.fields.String()
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
    reward_amount = ma.fields.Decimal(places=2, as_string=True, allow_none=True)
    reward_status = ma.fields.String(allow_none=True)


ReportPageSchema = page_schema(ReportSchema, "ReportPageSchema")


class ReportQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(load_default=None, validate=V.OneOf([s.value for s in ReportStatus]))


class ReportAcceptSchema(ma.Schema):
    level = ma.fields.String(required=True, validate=V.OneOf(list(LEVEL_INPUT)))
    domain = ma.fields.String(required=True, validate=V.OneOf(DOMAINS))
    description = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(min=2, max=2000))
    site_id = ma.fields.Integer(load_default=None, allow_none=True,
                                metadata={"description": "举报未关联场所时必填"})


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
