"""Request and response shapes of 系统管理."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.accounts.schemas import UserSchema
from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.regions.schemas import RegionDetailSchema
from hazardloop.taxonomy import Role

V = ma.validate


class AdminGrantInputSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=V.OneOf([r.value for r in Role]))
    region_id = ma.fields.Integer(allow_none=True, load_default=None)
    department_id = ma.fields.Integer(allow_none=True, load_default=None)
    site_id = ma.fields.Integer(allow_none=True, load_default=None)


class AdminUserSchema(UserSchema):
    can_manage = ma.fields.Boolean(dump_only=True, metadata={"description": "我能否修改、停用、重置密码、结束会话"})


AdminUserPageSchema = page_schema(AdminUserSchema, "AdminUserPageSchema")


class AdminUserQuerySchema(PaginationArgsSchema):
    q = ma.fields.String(validate=V.Length(max=50))
    role = ma.fields.String(validate=V.OneOf([r.value for r in Role]))


class AdminUserCreateSchema(ma.Schema):
    mobile = ma.fields.String(required=True, validate=V.Length(min=1, max=20))
    display_name = ma.fields.String(required=True, validate=V.Length(min=1, max=50))
    grants = ma.fields.List(ma.fields.Nested(AdminGrantInputSchema), required=True)


class AdminUserEditSchema(ma.Schema):
    display_name = ma.fields.String(validate=V.Length(min=1, max=50))
    grants = ma.fields.List(ma.fields.Nested(AdminGrantInputSchema))
    active = ma.fields.Boolean()


class UserCreatedSchema(ma.Schema):
    user = ma.fields.Nested(AdminUserSchema)
    temporary_password = ma.fields.String(metadata={"description": "临时密码，只显示这一次；用户首次登录须修改"})


class PasswordResetSchema(ma.Schema):
    temporary_password = ma.fields.String(metadata={"description": "临时密码，只显示这一次；用户下次登录须修改"})


class AdminLoginSessionSchema(ma.Schema):
    id = ma.fields.Integer()
    created_at = LocalDateTime()
    last_seen_at = LocalDateTime()
    expires_at = LocalDateTime()
    user_agent = ma.fields.String(allow_none=True)
    ip_address = ma.fields.String(allow_none=True)


class AdminUserDetailSchema(AdminUserSchema):
    sessions = ma.fields.List(ma.fields.Nested(AdminLoginSessionSchema), dump_only=True)


class EndSessionsSchema(ma.Schema):
    session_id = ma.fields.Integer(allow_none=True, load_default=None,
                                   metadata={"description": "只结束这一个会话；不填则结束全部"})


class EndedSchema(ma.Schema):
    ended = ma.fields.Integer()


class CapabilitiesSchema(ma.Schema):
    manage_users = ma.fields.Boolean(metadata={"description": "可管理所有用户和角色（系统管理员）"})
    create_grid_workers = ma.fields.Boolean(metadata={"description": "可新建网格员（管辖范围内）"})
    manage_regions = ma.fields.Boolean(metadata={"description": "可维护整个区域树"})
    manage_grids = ma.fields.Boolean(metadata={"description": "可维护管辖范围内的网格"})
    manage_departments = ma.fields.Boolean()
    roles = ma.fields.List(ma.fields.String(), metadata={"description": "我可以授予的角色"})


class AdminRegionCreateSchema(ma.Schema):
    parent_id = ma.fields.Integer(required=True)
    level = ma.fields.String(required=True, validate=V.Length(max=16))
    name = ma.fields.String(required=True, validate=V.Length(max=200))
    code = ma.fields.String(allow_none=True, load_default=None, validate=V.Length(max=32))


class AdminRegionEditSchema(ma.Schema):
    name = ma.fields.String(validate=V.Length(max=200))
    parent_id = ma.fields.Integer()


class BoundaryFormSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                  "description": "GeoJSON 文件（Polygon / MultiPolygon，WGS-84）"})
    save = ma.fields.Boolean(metadata={"description": "true：检查通过即保存；否则只检查"})


class BoundaryCheckSchema(ma.Schema):
    ok = ma.fields.Boolean()
    saved = ma.fields.Boolean()
    errors = ma.fields.List(ma.fields.String(), metadata={"description": "阻止保存的问题（中文）"})
    warnings = ma.fields.List(ma.fields.String(), metadata={"description": "已保存但需核对的情况，如与同级重叠"})
    region = ma.fields.Nested(RegionDetailSchema, allow_none=True)


class AdminDepartmentCreateSchema(ma.Schema):
    region_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, validate=V.Length(min=1, max=32))
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    domains = ma.fields.List(ma.fields.String(validate=V.Length(max=32)), load_default=list)


class AdminDepartmentEditSchema(ma.Schema):
    name = ma.fields.String(validate=V.Length(min=1, max=100))
    domains = ma.fields.List(ma.fields.String(validate=V.Length(max=32)))

