"""/api/v1/auth and /api/v1/users."""

from __future__ import annotations

from typing import Any

from flask import make_response, request
from flask.views import MethodView
from sqlalchemy import or_, select

from hazardloop import policy
from hazardloop.accounts import services
from hazardloop.accounts.auth import (
    clear_session_cookie,
    current_session,
    current_user,
    public,
    set_session_cookie,
)
from hazardloop.accounts.models import RoleGrant, User
from hazardloop.accounts.ratelimit import login_throttle
from hazardloop.accounts.schemas import (
    LoginSchema,
    PasswordChangeSchema,
    SessionSchema,
    SessionsRevokedSchema,
    UserCreateSchema,
    UserPageSchema,
    UserQueryArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from hazardloop.apitools import blueprint, paginate
from hazardloop.errors import ApiError, Forbidden, Unauthorized, ValidationFailed
from hazardloop.policy import Action
from hazardloop.taxonomy import Role

auth_blp = blueprint("auth", __name__, "/auth", "登录、会话与密码")
users_blp = blueprint("users", __name__, "/users", "用户与角色授权")


def _session_payload() -> dict[str, Any]:
    session = current_session()
    assert session is not None
    return {"user": session.user, "csrf_token": session.csrf_token, "expires_at": session.expires_at}


@auth_blp.route("/login", methods=["POST"])
@auth_blp.arguments(LoginSchema)
@auth_blp.response(200, SessionSchema)
@auth_blp.alt_response(401, description="手机号或密码不正确")
@auth_blp.alt_response(429, description="失败次数过多，请稍后再试")
@public
def login(args: dict[str, Any]) -> Any:
    """Log in with mobile and password; sets an HttpOnly session cookie and returns the CSRF token."""
    throttle = login_throttle()
    try:
        account = services.normalize_mobile(args["mobile"])
    except ValidationFailed:
        account = args["mobile"][:20]
    address = request.remote_addr or "unknown"
    if (wait := throttle.retry_after(account, address)) is not None:
        raise ApiError(
            f"登录失败次数过多，请 {wait} 秒后再试。", status=429, code="login_rate_limited",
            retry_after=wait, headers={"Retry-After": str(wait)},
        )
    try:
        user = services.authenticate(args["mobile"], args["password"])
    except Unauthorized:
        throttle.record_failure(account, address)
        raise
    throttle.record_success(account, address)
    token, session = services.start_session(
        user, user_agent=request.user_agent.string, ip_address=request.remote_addr
    )
    response = make_response(
        SessionSchema().dump(
            {"user": user, "csrf_token": session.csrf_token, "expires_at": session.expires_at}
        )
    )
    set_session_cookie(response, token)
    return response


@auth_blp.route("/session", methods=["GET"])
@auth_blp.response(200, SessionSchema)
@auth_blp.alt_response(401, description="未登录")
def get_session() -> Any:
    """The current user and CSRF token (the app calls this on start)."""
    return _session_payload()


@auth_blp.route("/logout", methods=["POST"])
@auth_blp.response(204)
@auth_blp.alt_response(401, description="未登录")
def logout() -> Any:
    """End this session."""
    session = current_session()
    assert session is not None
    services.revoke_session(session, "logout")
    response = make_response("", 204)
    clear_session_cookie(response)
    return response


@auth_blp.route("/password", methods=["POST"])
@auth_blp.arguments(PasswordChangeSchema)
@auth_blp.response(204)
@auth_blp.alt_response(401, description="当前密码不正确")
@auth_blp.alt_response(422, description="新密码不合要求（过短，或与当前密码相同）")
def change_password(args: dict[str, Any]) -> Any:
    """Change my password; every other session of mine ends."""
    user = current_user()
    if not services.verify_password(user, args["current_password"]):
        raise Unauthorized("当前密码不正确。", code="invalid_credentials")
    services.change_password(user, args["new_password"], keep=current_session())
    return "", 204


@auth_blp.route("/logout-others", methods=["POST"])
@auth_blp.response(200, SessionsRevokedSchema)
@auth_blp.alt_response(401, description="未登录")
def logout_others() -> Any:
    """退出其他设备: end every session of mine but this one (a lost or shared phone)."""
    return {"revoked": services.revoke_sessions(current_user(), reason="logout_others",
                                                except_session=current_session())}


def _grant_specs(grants: list[dict[str, Any]]) -> list[services.GrantSpec]:
    return [
        services.GrantSpec(
            role=Role(g["role"]), region_id=g.get("region_id"),
            department_id=g.get("department_id"), site_id=g.get("site_id"),
        )
        for g in grants
    ]


@users_blp.route("")
class Users(MethodView):
    @users_blp.arguments(UserQueryArgsSchema, location="query")
    @users_blp.response(200, UserPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Users I may see (supervisors: users with grants in their region)."""
        query = select(User).where(policy.visible(current_user(), User)).order_by(User.id)
        if q := args.get("q"):
            query = query.where(or_(User.display_name.contains(q), User.mobile.contains(q)))
        if role := args.get("role"):
            query = query.where(User.grants.any(RoleGrant.role == role))
        return paginate(query, args["page"], args["per_page"])

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    @users_blp.alt_response(403, description="无权创建用户")
    @users_blp.alt_response(409, description="手机号已注册")
    def post(self, args: dict[str, Any]) -> Any:
        """Create a user with role grants (admin)."""
        actor = current_user()
        if not policy.can_anywhere(actor, Action.USER_MANAGE):
            raise Forbidden("只有系统管理员可以创建用户。")
        return services.create_user(
            mobile=args["mobile"], display_name=args["display_name"],
            password=args["password"], grants=_grant_specs(args["grants"]), must_change_password=True,
        )


@users_blp.route("/<int:user_id>")
class UserById(MethodView):
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(404, description="用户不存在或不在您的范围内")
    def get(self, user_id: int) -> Any:
        """One user."""
        user = services.get_user(user_id)
        policy.authorize(current_user(), Action.USER_VIEW, user)
        return user

    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    @users_blp.alt_response(403, description="无权修改用户")
    @users_blp.alt_response(404, description="用户不存在或不在您的范围内")
    @users_blp.alt_response(409, description="不能停用最后一位系统管理员或取消其管理员角色（last_admin）")
    def patch(self, args: dict[str, Any], user_id: int) -> Any:
        """Enable/disable a user or replace the user's grants (admin); disabling ends the user's sessions."""
        user = services.get_user(user_id)
        policy.authorize(current_user(), Action.USER_MANAGE, user)
        if "grants" in args:
            services.replace_grants(user, _grant_specs(args["grants"]))
        if "active" in args:
            services.set_active(user, args["active"])
        return user
