"""Request and response shapes for sites."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.taxonomy import Domain, RiskLevel, SiteCategory

V = ma.validate
CATEGORIES = [c.value for c in SiteCategory]
DOMAINS = [d.value for d in Domain]
RISKS = [r.value for r in RiskLevel]


class SiteSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)
    credit_code_check_failed = ma.fields.Boolean()
    credit_code_confirmed_by_id = ma.fields.Integer(allow_none=True)
    credit_code_confirmed_at = LocalDateTime(allow_none=True)
    address = ma.fields.String()
    grid_id = ma.fields.Integer()
    grid_name = ma.fields.String(attribute="grid.name")
    lng = ma.fields.Float(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    category = ma.fields.String()
    domains = ma.fields.List(ma.fields.String())
    risk_level = ma.fields.String()
    contact_name = ma.fields.String(allow_none=True)
    contact_mobile = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class SiteDetailSchema(SiteSchema):
    """A site with its QR token, shown to those who may manage it."""

    qr_token = ma.fields.String(allow_none=True)
    qr_rotated_at = LocalDateTime(allow_none=True)
    allowed_actions = ma.fields.List(ma.fields.String())


SitePageSchema = page_schema(SiteSchema, "SitePageSchema")


class SiteWriteFields(ma.Schema):
    name = ma.fields.String(validate=V.Length(min=1, max=200))
    credit_code = ma.fields.String(allow_none=True, validate=V.Length(max=18))
    credit_code_confirmed = ma.fields.Boolean(
        metadata={"description": "确认校验位不符的代码与营业执照一致（早期试点代码）"}
    )
    address = ma.fields.String(validate=V.Length(min=1, max=300))
    grid_id = ma.fields.Integer()
    lng = ma.fields.Float(validate=V.Range(min=-180, max=180), metadata={"description": "WGS-84 经度"})
    lat = ma.fields.Float(validate=V.Range(min=-90, max=90), metadata={"description": "WGS-84 纬度"})
    category = ma.fields.String(validate=V.OneOf(CATEGORIES))
    domains = ma.fields.List(ma.fields.String(validate=V.OneOf(DOMAINS)))
    risk_level = ma.fields.String(validate=V.OneOf(RISKS))
    contact_name = ma.fields.String(allow_none=True, validate=V.Length(max=50))
    contact_mobile = ma.fields.String(allow_none=True, validate=V.Length(max=20))
    notes = ma.fields.String(allow_none=True, validate=V.Length(max=2000))


class SiteCreateSchema(SiteWriteFields):
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    address = ma.fields.String(required=True, validate=V.Length(min=1, max=300))
    grid_id = ma.fields.Integer(required=True)
    category = ma.fields.String(required=True, validate=V.OneOf(CATEGORIES))


class SiteUpdateSchema(SiteWriteFields):
    active = ma.fields.Boolean()


class SiteQueryArgsSchema(PaginationArgsSchema):
    region = ma.fields.Integer(metadata={"description": "区域 id：该区域子树内的场所"})
    category = ma.fields.String(validate=V.OneOf(CATEGORIES))
    domain = ma.fields.String(validate=V.OneOf(DOMAINS))
    risk_level = ma.fields.String(validate=V.OneOf(RISKS))
    q = ma.fields.String(validate=V.Length(max=100), metadata={"description": "名称、地址或信用代码"})
    include_inactive = ma.fields.Boolean(load_default=False)
