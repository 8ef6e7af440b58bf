"""Who is calling: the session cookie, CSRF on state changes, and public endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

from hazardloop.accounts import services
from hazardloop.accounts.models import User, UserSession
from hazardloop.errors import ApiError, Forbidden, Unauthorized, handle_api_error

SESSION_COOKIE = "hl_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark an API view as reachable without a login (and without a CSRF token)."""
    view._hazardloop_public = True  # type: ignore[attr-defined]
    return view


def current_user() -> User:
    """The logged-in user; only call from views that are not public."""
    user: User | None = g.get("user")
    if user is None:
        raise Unauthorized("请先登录。")
    return user


def current_session() -> UserSession | None:
    return g.get("user_session")


def _is_public(view: Any) -> bool:
    view = getattr(view, "view_class", view)
    return bool(getattr(view, "_hazardloop_public", False))


def _load_user() -> Response | None:
    g.user = None
    g.user_session = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        session = services.resolve_session(token)
        if session is not None:
            g.user, g.user_session = session.user, session
            g.session_token = token
    if not request.path.startswith("/api/v1/"):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or _is_public(view):
        return None
    try:
        if g.user is None:
            raise Unauthorized("请先登录。")
        if request.method not in SAFE_METHODS and not services.csrf_matches(
            g.user_session, request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden("缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token）。", code="csrf_failed")
        # A password an administrator chose is known to someone else: nothing but the auth endpoints
        # (session, password, logout) until the user has picked their own.
        if g.user.must_change_password and request.blueprint != "auth":
            raise Forbidden("您正在使用初始密码，请先修改密码（设置自己的新密码）再继续使用。",
                            code="password_change_required")
    except ApiError as error:
        return handle_api_error(error)
    return None


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(services.session_lifetime().total_seconds()),
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def _refresh_cookie(response: Response) -> Response:
    """Slide the cookie's expiry along with the session's, so an app in daily use never logs out."""
    session, token = g.get("user_session"), g.get("session_token")
    # The touched flag is a plain attribute: checking it first avoids reloading the expired row.
    if session is not None and token and services.was_touched(session) and session.revoked_at is None:
        set_session_cookie(response, token)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
    app.after_request(_refresh_cookie)
