"""Request and response shapes for sites, field registration, site administration and enterprise registration."""

from __future__ import annotations

from typing import Any

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
    provisional = ma.fields.Boolean(metadata={"description": "现场新增、待审核"})
    merged_into_id = ma.fields.Integer(allow_none=True)
    closure = ma.fields.String(allow_none=True, metadata={"description": "suspended 歇业 / deregistered 注销"})
    closed_on = ma.fields.Date(allow_none=True)
    closure_reason = ma.fields.String(allow_none=True)
    major_hazard_source = ma.fields.Boolean()
    hazardous_chemicals = ma.fields.Boolean()
    created_at = LocalDateTime()
    updated_at = LocalDateTime()


class SiteLicenceSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    number = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    valid_from = ma.fields.Date(allow_none=True, load_default=None)
    valid_until = ma.fields.Date(allow_none=True, load_default=None)


class SiteResponsiblePersonSchema(ma.Schema):
    duty = ma.fields.String(required=True, validate=V.Length(min=1, max=50),
                            metadata={"description": "主要负责人、安全管理员 …"})
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=50))
    mobile = ma.fields.String(allow_none=True, load_default=None, validate=V.Length(max=20))


class SiteDetailSchema(SiteSchema):
    """A site with its QR token, shown to those who may manage it."""

    registered_by_name = ma.fields.String(attribute="registered_by.display_name", allow_none=True)
    licences = ma.fields.List(ma.fields.Nested(SiteLicenceSchema))
    responsible_persons = ma.fields.List(ma.fields.Nested(SiteResponsiblePersonSchema))
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


class FieldSiteCreateSchema(ma.Schema):
    """现场新增场所 from the phone's outbox; ``client_uuid`` is the idempotency key."""

    client_uuid = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    address = ma.fields.String(required=True, validate=V.Length(min=1, max=300))
    grid_id = ma.fields.Integer(required=True)
    category = ma.fields.String(required=True, validate=V.OneOf(CATEGORIES))
    domains = ma.fields.List(ma.fields.String(validate=V.OneOf(DOMAINS)), load_default=list)
    lng = ma.fields.Float(allow_none=True, validate=V.Range(min=-180, max=180))
    lat = ma.fields.Float(allow_none=True, validate=V.Range(min=-90, max=90))
    credit_code = ma.fields.String(allow_none=True, validate=V.Length(max=18))
    credit_code_confirmed = ma.fields.Boolean(load_default=False)
    contact_name = ma.fields.String(allow_none=True, validate=V.Length(max=50))
    contact_mobile = ma.fields.String(allow_none=True, validate=V.Length(max=20))
    notes = ma.fields.String(allow_none=True, validate=V.Length(max=2000))
    photo_ids = ma.fields.List(ma.fields.String(validate=V.Length(max=64)), load_default=list,
                               validate=V.Length(max=6))


class SiteNearbyArgsSchema(ma.Schema):
    name = ma.fields.String(load_default="", validate=V.Length(max=200))
    lat = ma.fields.Float(load_default=None, validate=V.Range(min=-90, max=90))
    lng = ma.fields.Float(load_default=None, validate=V.Range(min=-180, max=180))
    exclude = ma.fields.Integer(load_default=None)


class SiteSuggestionSchema(ma.Schema):
    site = ma.fields.Nested(SiteSchema)
    distance_m = ma.fields.Float(allow_none=True)
    same_name = ma.fields.Boolean()
    reason = ma.fields.String()


class PendingSiteSchema(SiteDetailSchema):
    duplicates = ma.fields.List(ma.fields.Nested(SiteSuggestionSchema))
    photo_ids = ma.fields.List(ma.fields.String())


class SiteMergeSchema(ma.Schema):
    target_id = ma.fields.Integer(required=True, metadata={"description": "保留的场所"})
    reason = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=500))


class SiteCloseSchema(ma.Schema):
    closure = ma.fields.String(required=True, validate=V.OneOf(["suspended", "deregistered"]))
    closed_on = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True, validate=V.Length(min=1, max=500))


class SiteReopenSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=V.Length(min=1, max=500))


class SiteDossierSchema(ma.Schema):
    """一企一档 basics; a list given replaces the stored one."""

    major_hazard_source = ma.fields.Boolean()
    hazardous_chemicals = ma.fields.Boolean()
    licences = ma.fields.List(ma.fields.Nested(SiteLicenceSchema), validate=V.Length(max=30))
    responsible_persons = ma.fields.List(ma.fields.Nested(SiteResponsiblePersonSchema), validate=V.Length(max=30))


# --- 企业注册 ---------------------------------------------------------------------------------------

class RegistrationCodeRequestSchema(ma.Schema):
    purpose = ma.fields.String(load_default="claim", validate=V.OneOf(["claim", "apply"]))
    mobile = ma.fields.String(required=True, validate=V.Length(min=1, max=20))
    credit_code = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=18))


class RegistrationCodeSentSchema(ma.Schema):
    sent = ma.fields.Boolean()
    site_name = ma.fields.String(allow_none=True)
    expires_in = ma.fields.Integer()


class EnterpriseClaimSchema(ma.Schema):
    credit_code = ma.fields.String(required=True, validate=V.Length(min=1, max=18))
    mobile = ma.fields.String(required=True, validate=V.Length(min=1, max=20))
    code = ma.fields.String(required=True, validate=V.Length(min=1, max=10))
    contact_name = ma.fields.String(required=True, validate=V.Length(min=1, max=50))


class EnterpriseReapplySchema(ma.Schema):
    """重新申请 after 不予通过: the corrected details; the phone is the refused application's (no new SMS code)."""

    name = ma.fields.String(required=True, validate=V.Length(min=1, max=200))
    credit_code = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=18))
    address = ma.fields.String(required=True, validate=V.Length(min=1, max=300))
    street_id = ma.fields.Integer(required=True)
    category = ma.fields.String(load_default=None, allow_none=True, validate=V.OneOf(CATEGORIES))
    contact_name = ma.fields.String(required=True, validate=V.Length(min=1, max=50))


class EnterpriseApplySchema(EnterpriseReapplySchema):
    """An application with its licence photo: the details, and the phone proved by its SMS code."""

    mobile = ma.fields.String(required=True, validate=V.Length(min=1, max=20))
    code = ma.fields.String(required=True, validate=V.Length(min=1, max=10))


def _receipt(application: Any) -> str:
    from hazardloop.sites.registration import receipt_token

    return receipt_token(application)


class EnterpriseApplicationReceiptSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    status = ma.fields.String()
    name = ma.fields.String()
    receipt = ma.fields.Function(_receipt, metadata={
        "description": "回执：凭它查看审核结果（含不予通过的理由）并重新申请，页面地址 /enterprise-register/<receipt>"})


APPLICATION_STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "refused": "未通过"}


class EnterpriseApplicationStatusSchema(EnterpriseApplicationReceiptSchema):
    """What the applicant reads with the 回执: the decision and the reason of a 不予通过; the phone masked."""

    status_label = ma.fields.Function(lambda a: APPLICATION_STATUS_LABELS.get(a.status, a.status))
    credit_code = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    region_id = ma.fields.Integer()
    region_name = ma.fields.String(attribute="region.name")
    contact_name = ma.fields.String()
    mobile = ma.fields.Function(lambda a: f"{a.mobile[:3]}****{a.mobile[7:]}")
    refusal_reason = ma.fields.String(allow_none=True)
    has_licence_photo = ma.fields.Function(lambda a: bool(a.licence_photo_id))
    created_at = LocalDateTime()
    decided_at = LocalDateTime(allow_none=True)


class RegistrationStreetSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class EnterpriseApplicationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "claim 认领 / apply 申请"})
    status = ma.fields.String()
    site_id = ma.fields.Integer(allow_none=True)
    site_name = ma.fields.String(attribute="site.name", allow_none=True)
    region_id = ma.fields.Integer()
    region_name = ma.fields.String(attribute="region.name")
    name = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    contact_name = ma.fields.String()
    mobile = ma.fields.String()
    mobile_verified = ma.fields.Boolean()
    licence_photo_id = ma.fields.String(allow_none=True)
    refusal_reason = ma.fields.String(allow_none=True)
    decided_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()
    allowed_actions = ma.fields.List(ma.fields.String())


class EnterpriseApplicationQueryArgsSchema(ma.Schema):
    status = ma.fields.String(load_default="pending", validate=V.OneOf(["pending", "approved", "refused"]))


class EnterpriseApproveSchema(ma.Schema):
    grid_id = ma.fields.Integer(load_default=None, allow_none=True,
                                metadata={"description": "申请（无在册场所）：登记到哪个网格"})
    site_id = ma.fields.Integer(load_default=None, allow_none=True,
                                metadata={"description": "申请：或归入一个已登记的场所"})
    category = ma.fields.String(load_default=None, allow_none=True, validate=V.OneOf(CATEGORIES))


class EnterpriseRefuseSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=V.Length(min=1, max=500))
