"""Users, passwords (argon2id) and revocable server-side login sessions."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import joinedload

from hazardloop.accounts import session_cache
from hazardloop.accounts.models import RoleGrant, User, UserSession
from hazardloop.database import utcnow
from hazardloop.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from hazardloop.extensions import db
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site
from hazardloop.taxonomy import RegionLevel, Role

# Mainland mobile numbers: 11 digits, 1 then 3–9 (MIIT numbering plan).
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD_LENGTH = 8


def normalize_mobile(mobile: str) -> str:
    """Strip spaces, dashes and a +86/0086 prefix; raise ValidationFailed if not a mainland mobile."""
    cleaned = re.sub(r"[\s-]", "", mobile or "")
    for prefix in ("+86", "0086"):
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix):]
    if not MOBILE_PATTERN.match(cleaned):
        raise ValidationFailed.field("mobile", "手机号应为 11 位中国大陆手机号码。", "invalid_mobile")
    return cleaned


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"],
        memory_cost=config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=1,
    )


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field(
            "password", f"密码至少 {MIN_PASSWORD_LENGTH} 位。", "password_too_short"
        )
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password; rehash transparently when the cost parameters were raised."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


# A precomputed hash to verify against when the account does not exist, so the
# answer takes as long as for a real account.
_DUMMY_HASH: dict[tuple[int, int], str] = {}


def _burn_time(password: str) -> None:
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hasher.hash(secrets.token_hex(8))
    with contextlib.suppress(VerificationError):
        hasher.verify(_DUMMY_HASH[key], password)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在。")
    return user


def find_user_by_mobile(mobile: str) -> User | None:
    return db.session.scalar(select(User).where(User.mobile == mobile))


@dataclass(frozen=True)
class GrantSpec:
    """A role grant to create: the role and the id of its scope object."""

    role: Role
    region_id: int | None = None
    department_id: int | None = None
    site_id: int | None = None


def _check_grant(spec: GrantSpec) -> RoleGrant:
    """Validate that the scope objects exist and fit the role; raise ValidationFailed if not."""
    region = db.session.get(Region, spec.region_id) if spec.region_id else None
    department = db.session.get(Department, spec.department_id) if spec.department_id else None
    site = db.session.get(Site, spec.site_id) if spec.site_id else None
    for given, found, name in (
        (spec.region_id, region, "region_id"),
        (spec.department_id, department, "department_id"),
        (spec.site_id, site, "site_id"),
    ):
        if given is not None and found is None:
            raise ValidationFailed.field(f"grants.{name}", "授权范围对象不存在。")
    needs = {
        Role.GRID_WORKER: ("region_id",),
        Role.INSPECTOR: ("region_id", "department_id"),
        Role.SUPERVISOR: ("region_id",),
        Role.ENTERPRISE_USER: ("site_id",),
        Role.ADMIN: (),
    }[spec.role]
    for name in ("region_id", "department_id", "site_id"):
        present = getattr(spec, name) is not None
        if present != (name in needs):
            verb = "需要" if name in needs else "不应有"
            raise ValidationFailed.field(f"grants.{name}", f"角色 {spec.role.value} {verb} {name}。")
    if spec.role == Role.GRID_WORKER and region is not None and region.level != RegionLevel.GRID:
        raise ValidationFailed.field("grants.region_id", "网格员的授权范围必须是网格。")
    return RoleGrant(
        role=spec.role.value,
        region_id=spec.region_id,
        department_id=spec.department_id,
        site_id=spec.site_id,
    )


def create_user(
    *, mobile: str, display_name: str, password: str, grants: list[GrantSpec], must_change_password: bool = False
) -> User:
    """Create a user with role grants; raises Conflict if the mobile is taken.

    ``must_change_password``: the password was chosen by someone else (an administrator), so the
    user must pick their own before doing anything else.
    """
    mobile = normalize_mobile(mobile)
    if find_user_by_mobile(mobile) is not None:
        raise Conflict("该手机号已注册。", code="mobile_taken")
    if not display_name.strip():
        raise ValidationFailed.field("display_name", "姓名不能为空。")
    user = User(mobile=mobile, display_name=display_name.strip(), password_hash=hash_password(password),
                must_change_password=must_change_password)
    user.grants = [_check_grant(g) for g in grants]
    db.session.add(user)
    db.session.flush()
    return user


def _keep_an_administrator(user: User, *, active: bool, admin: bool) -> None:
    """Refuse (Conflict ``last_admin``) a change that would leave no active 系统管理员.

    The other administrators' rows are locked (PostgreSQL), so two administrators disabling
    each other at the same moment cannot both succeed.
    """
    is_admin_now = user.active and any(g.role == Role.ADMIN for g in user.grants)
    if not is_admin_now or (active and admin):
        return
    others = db.session.scalars(
        select(User.id).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id)
        .with_for_update(of=User)).all()
    if not others:
        raise Conflict("该用户是系统中最后一位启用中的系统管理员，不能停用或取消其管理员角色；"
                       "请先为另一名用户授予系统管理员角色。", code="last_admin")


def replace_grants(user: User, grants: list[GrantSpec]) -> None:
    """Replace the user's role grants; raises Conflict ``last_admin`` rather than leave no administrator."""
    checked = [_check_grant(g) for g in grants]
    _keep_an_administrator(user, active=user.active, admin=any(g.role == Role.ADMIN for g in checked))
    user.grants = checked
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    """Enable or disable a user; disabling ends all of the user's sessions at once.

    Raises Conflict ``last_admin`` for the last active 系统管理员.
    """
    _keep_an_administrator(user, active=active, admin=any(g.role == Role.ADMIN for g in user.grants))
    user.active = active
    if not active:
        revoke_sessions(user, reason="user_disabled")
    db.session.flush()


def change_password(user: User, new_password: str, *, keep: UserSession | None = None) -> None:
    """Set a new password and end every other session of the user.

    Raises ValidationFailed when the new password is the current one (a forced change must change it).
    """
    if verify_password(user, new_password):
        raise ValidationFailed.field("new_password", "新密码不能与当前密码相同。", "password_unchanged")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    revoke_sessions(user, reason="password_changed", except_session=keep)
    db.session.flush()


# --- sessions -------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(mobile: str, password: str) -> User:
    """Return the active user with these credentials; raise Unauthorized (one message for all)."""
    try:
        mobile = normalize_mobile(mobile)
    except ValidationFailed:
        mobile = ""
    user = find_user_by_mobile(mobile) if mobile else None
    if user is None:
        _burn_time(password)
    elif verify_password(user, password) and user.active:
        return user
    raise Unauthorized("手机号或密码不正确，或账号已停用。", code="invalid_credentials")


def start_session(user: User, *, user_agent: str | None, ip_address: str | None) -> tuple[str, UserSession]:
    """Open a session; returns the cookie token (kept only as a hash here) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session = UserSession(
        user=user,
        token_hash=_token_hash(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + session_lifetime(),
        user_agent=(user_agent or "")[:300] or None,
        ip_address=ip_address,
    )
    db.session.add(session)
    db.session.flush()
    return token, session


def session_lifetime() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])


@functools.cache
def _session_query() -> Select[tuple[UserSession]]:
    """One round trip for the session, its user and the grants every request's policy checks read.

    Built once (every request runs it; its loader options cost more to build than the query to run). A
    grant's region is read without its boundary and a grant's site (an enterprise user's) with only what
    the policy and the session answer read, its id, grid and name: every request pays for each column
    read (the driver describes it, the ORM maps it); anything else loads if ever touched.
    """
    grants = joinedload(UserSession.user).joinedload(User.grants)
    return (select(UserSession).where(UserSession.token_hash == bindparam("token_hash"))
            .options(grants.joinedload(RoleGrant.region).defer(Region.boundary),
                     grants.joinedload(RoleGrant.site).load_only(Site.id, Site.grid_id, Site.name)
                     .lazyload(Site.registered_by)))


def resolve_session(token: str) -> UserSession | None:
    """The live session for a cookie token, sliding its expiry; None if unknown, expired or revoked."""
    token_hash = _token_hash(token)
    session = session_cache.resolve(token_hash, db.session(), lambda: db.session.scalars(
        _session_query(), {"token_hash": token_hash}).unique().one_or_none())
    now = utcnow()
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return None
    if not session.user.active:
        return None
    # Touch at most once an hour so reads do not write on every request.
    if now - session.last_seen_at > dt.timedelta(hours=1):
        session.last_seen_at = now
        session.expires_at = now + session_lifetime()
        session.touched = True  # type: ignore[attr-defined]
    return session


def was_touched(session: UserSession) -> bool:
    """Did this request slide the session's expiry (so the cookie should slide too)?"""
    return bool(getattr(session, "touched", False))


def csrf_matches(session: UserSession, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented or "")


def revoke_session(session: UserSession, reason: str = "logout") -> None:
    if session.revoked_at is None:
        session.revoked_at = utcnow()
        session.revoked_reason = reason
    db.session.flush()


def revoke_sessions(user: User, *, reason: str, except_session: UserSession | None = None) -> int:
    """End every live session of a user (but ``except_session``); returns how many."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if except_session is not None:
        query = query.where(UserSession.id != except_session.id)
    result = db.session.execute(
        query.values(revoked_at=utcnow(), revoked_reason=reason).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount or 0
