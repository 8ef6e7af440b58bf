"""Request and response shapes for accounts and sessions."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime, PaginationArgsSchema, page_schema
from hazardloop.taxonomy import Role

V = ma.validate


class LoginSchema(ma.Schema):
    mobile = ma.fields.String(required=True, validate=V.Length(min=1, max=20))
    password = ma.fields.String(required=True, validate=V.Length(min=1, max=200), load_only=True)


class RoleGrantSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    role = ma.fields.String(required=True, validate=V.OneOf([r.value for r in Role]))
    region_id = ma.fields.Integer(allow_none=True, load_default=None)
    department_id = ma.fields.Integer(allow_none=True, load_default=None)
    site_id = ma.fields.Integer(allow_none=True, load_default=None)
    region_name = ma.fields.String(attribute="region.name", dump_only=True, allow_none=True)
    department_name = ma.fields.String(attribute="department.name", dump_only=True, allow_none=True)
    site_name = ma.fields.String(attribute="site.name", dump_only=True, allow_none=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    mobile = ma.fields.String(dump_only=True)
    display_name = ma.fields.String(dump_only=True)
    active = ma.fields.Boolean(dump_only=True)
    created_at = LocalDateTime(dump_only=True)
    grants = ma.fields.List(ma.fields.Nested(RoleGrantSchema), dump_only=True)
    must_change_password = ma.fields.Boolean(dump_only=True, metadata={
        "description": "账号由管理员创建、尚未由本人改过密码：改密码之前其他接口一律拒绝（password_change_required）"})


UserPageSchema = page_schema(UserSchema, "UserPageSchema")


class UserCreateSchema(ma.Schema):
    mobile = ma.fields.String(required=True, validate=V.Length(min=11, max=20))
    display_name = ma.fields.String(required=True, validate=V.Length(min=1, max=50))
    password = ma.fields.String(required=True, validate=V.Length(min=8, max=200), load_only=True)
    grants = ma.fields.List(ma.fields.Nested(RoleGrantSchema), required=True)


class UserUpdateSchema(ma.Schema):
    active = ma.fields.Boolean()
    grants = ma.fields.List(ma.fields.Nested(RoleGrantSchema))


class UserQueryArgsSchema(PaginationArgsSchema):
    q = ma.fields.String(validate=V.Length(max=50))
    role = ma.fields.String(validate=V.OneOf([r.value for r in Role]))


class SessionSchema(ma.Schema):
    """The caller's session: who they are and the CSRF token to send on changes."""

    user = ma.fields.Nested(UserSchema)
    csrf_token = ma.fields.String()
    expires_at = LocalDateTime()


class SessionsRevokedSchema(ma.Schema):
    revoked = ma.fields.Integer(metadata={"description": "结束的其他设备会话数"})


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True)
    new_password = ma.fields.String(required=True, validate=V.Length(min=8, max=200), load_only=True)
