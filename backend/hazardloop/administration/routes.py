"""/api/v1/admin: 系统管理 of users, sessions, regions and grids (with boundary upload) and departments."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import or_, select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.accounts.models import RoleGrant, User
from hazardloop.accounts.services import get_user
from hazardloop.administration import services
from hazardloop.administration.boundaries import MAX_BOUNDARY_BYTES
from hazardloop.administration.schemas import (
    AdminDepartmentCreateSchema,
    AdminDepartmentEditSchema,
    AdminRegionCreateSchema,
    AdminRegionEditSchema,
    AdminUserCreateSchema,
    AdminUserDetailSchema,
    AdminUserEditSchema,
    AdminUserPageSchema,
    AdminUserQuerySchema,
    AdminUserSchema,
    BoundaryCheckSchema,
    BoundaryFormSchema,
    CapabilitiesSchema,
    EndedSchema,
    EndSessionsSchema,
    PasswordResetSchema,
    UserCreatedSchema,
)
from hazardloop.apitools import blueprint, paginate
from hazardloop.errors import ValidationFailed
from hazardloop.policy import Action
from hazardloop.regions.schemas import DepartmentSchema, RegionDetailSchema
from hazardloop.regions.services import get_region
from hazardloop.taxonomy import Role

blp = blueprint("administration", __name__, "/admin", "系统管理：用户、会话、区域与网格边界、部门")


def _can_manage(actor: User, user: User) -> bool:
    return policy.can(actor, Action.USER_MANAGE, user) or policy.can(actor, Action.USER_STAFF, user)


def _with_flags(actor: User, user: User) -> User:
    user.can_manage = _can_manage(actor, user)  # type: ignore[attr-defined]
    return user


def _grants(args: dict[str, Any]) -> list[services.GrantInput]:
    return [services.GrantInput(**g) for g in args]


def _user(user_id: int) -> User:
    actor = current_user()
    user = get_user(user_id)
    policy.authorize(actor, Action.USER_VIEW, user)
    return user


@blp.route("/capabilities", methods=["GET"])
@blp.response(200, CapabilitiesSchema)
def capabilities() -> Any:
    """What I may administer (the console shows only those screens and buttons)."""
    actor = current_user()
    admin = policy.can_anywhere(actor, Action.USER_MANAGE)
    return {"manage_users": admin, "create_grid_workers": services.may_create_users(actor),
            "manage_regions": policy.can_anywhere(actor, Action.REGION_MANAGE),
            "manage_grids": policy.holds(actor, Action.GRID_MANAGE),
            "manage_departments": policy.can_anywhere(actor, Action.DEPARTMENT_MANAGE),
            "roles": [r.value for r in Role] if admin else
            ([Role.GRID_WORKER.value] if services.may_create_users(actor) else [])}


@blp.route("/users", methods=["GET"])
@blp.arguments(AdminUserQuerySchema, location="query")
@blp.response(200, AdminUserPageSchema)
def list_users(args: dict[str, Any]) -> Any:
    """Users I may see, newest first, with whether I may manage each."""
    actor = current_user()
    query = select(User).where(policy.visible(actor, User)).order_by(User.id.desc())
    if q := (args.get("q") or "").strip():
        query = query.where(or_(User.display_name.contains(q), User.mobile.contains(q)))
    if role := args.get("role"):
        query = query.where(User.grants.any(RoleGrant.role == role))
    page = paginate(query, args["page"], args["per_page"])
    page["items"] = [_with_flags(actor, u) for u in page["items"]]
    return page


@blp.route("/users", methods=["POST"])
@blp.arguments(AdminUserCreateSchema)
@blp.response(201, UserCreatedSchema)
@blp.alt_response(409, description="手机号已有账号")
@blp.alt_response(422, description="手机号、姓名或角色范围不对")
def create_user(args: dict[str, Any]) -> Any:
    """New user with a temporary password shown once; they must change it at first login."""
    actor = current_user()
    user, password = services.create_user(actor, mobile=args["mobile"], display_name=args["display_name"],
                                          grants=_grants(args["grants"]))
    return {"user": _with_flags(actor, user), "temporary_password": password}, 201


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, AdminUserDetailSchema)
@blp.alt_response(404, description="用户不存在或不在您的范围内")
def user_detail(user_id: int) -> Any:
    """One user with live sessions (when I may manage the user)."""
    actor = current_user()
    user = _with_flags(actor, _user(user_id))
    user.sessions = services.live_sessions(actor, user) if user.can_manage else []  # type: ignore[attr-defined]
    return user


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(AdminUserEditSchema)
@blp.response(200, AdminUserSchema)
@blp.alt_response(404, description="用户不存在或不在您的范围内")
@blp.alt_response(409, description="不能停用自己或最后一位系统管理员")
def edit_user(args: dict[str, Any], user_id: int) -> Any:
    """Rename, change roles and scopes, or disable / enable (disabling ends every session)."""
    actor = current_user()
    user = _user(user_id)
    if "display_name" in args or "grants" in args:
        services.update_user(actor, user, display_name=args.get("display_name"),
                             grants=_grants(args["grants"]) if "grants" in args else None)
    if "active" in args:
        services.set_active(actor, user, args["active"])
    return _with_flags(actor, user)


@blp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@blp.response(200, PasswordResetSchema)
@blp.alt_response(404, description="用户不存在或不在您的范围内")
def reset_password(user_id: int) -> Any:
    """重置密码: a temporary password shown once; the user must change it at next login; sessions end."""
    return {"temporary_password": services.reset_password(current_user(), _user(user_id))}


@blp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@blp.arguments(EndSessionsSchema)
@blp.response(200, EndedSchema)
@blp.alt_response(404, description="用户或会话不存在")
def end_sessions(args: dict[str, Any], user_id: int) -> Any:
    """End one login session of the user, or all of them (a lost phone)."""
    return {"ended": services.end_sessions(current_user(), _user(user_id), args.get("session_id"))}


def _region(region_id: int) -> Any:
    region = get_region(region_id)
    policy.authorize(current_user(), Action.REGION_VIEW, region)
    return region


@blp.route("/regions", methods=["POST"])
@blp.arguments(AdminRegionCreateSchema)
@blp.response(201, RegionDetailSchema)
@blp.alt_response(409, description="同一上级下已有同名区域")
@blp.alt_response(422, description="层级不能放在该上级之下")
def create_region(args: dict[str, Any]) -> Any:
    """A new street, community or grid (a supervisor: grids in his subtree)."""
    return services.create_region(current_user(), parent=_region(args["parent_id"]), level=args["level"],
                                  name=args["name"], code=args.get("code")), 201


@blp.route("/regions/<int:region_id>", methods=["PATCH"])
@blp.arguments(AdminRegionEditSchema)
@blp.response(200, RegionDetailSchema)
@blp.alt_response(404, description="区域不存在或不在您的范围内")
def edit_region(args: dict[str, Any], region_id: int) -> Any:
    """Rename a region or move it under another parent."""
    actor, region = current_user(), _region(region_id)
    if "name" in args:
        services.rename_region(actor, region, args["name"])
    if "parent_id" in args:
        services.move_region(actor, region, _region(args["parent_id"]))
    return region


@blp.route("/regions/<int:region_id>/boundary", methods=["POST"])
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": BoundaryFormSchema}}})
@blp.response(200, BoundaryCheckSchema)
@blp.alt_response(404, description="区域不存在或不在您的范围内")
@blp.alt_response(422, description="没有文件")
def upload_boundary(region_id: int) -> Any:
    """Check an uploaded GeoJSON boundary (valid polygon, inside the parent, overlaps with siblings); with
    ``save=true`` and no error, save it."""
    actor, region = current_user(), _region(region_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed.field("file", "请选择 GeoJSON 文件。", "file_missing")
    raw = upload.stream.read(MAX_BOUNDARY_BYTES + 1)
    save = (request.form.get("save") or "").lower() in ("1", "true", "yes")
    checked = services.check_region_boundary(actor, region, raw)
    saved = False
    if save and checked.ok:
        checked = services.set_boundary(actor, region, raw)
        saved = True
    return {"ok": checked.ok, "saved": saved, "errors": checked.errors, "warnings": checked.warnings,
            "region": region if saved else None}


@blp.route("/departments", methods=["POST"])
@blp.arguments(AdminDepartmentCreateSchema)
@blp.response(201, DepartmentSchema)
@blp.alt_response(409, description="该区域已有同代码的部门")
def create_department(args: dict[str, Any]) -> Any:
    """A new 行业监管部门 with the domains it supervises (administrators)."""
    return services.create_department(current_user(), region=_region(args["region_id"]), code=args["code"],
                                      name=args["name"], domains=args["domains"]), 201


@blp.route("/departments/<int:department_id>", methods=["PATCH"])
@blp.arguments(AdminDepartmentEditSchema)
@blp.response(200, DepartmentSchema)
@blp.alt_response(404, description="部门不存在")
def edit_department(args: dict[str, Any], department_id: int) -> Any:
    """Rename a department or change its domains (administrators)."""
    department = services.get_department(department_id)
    policy.authorize(current_user(), Action.DEPARTMENT_VIEW, department)
    return services.update_department(current_user(), department, name=args.get("name"),
                                      domains=args.get("domains"))

