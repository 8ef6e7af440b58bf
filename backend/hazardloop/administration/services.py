"""系统管理 rules: users (create, grants, disable, reset password, sessions), regions and grids, departments.

Every change is one event in the audit chain (执法全过程记录) with who made it, under which role, and when.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from hazardloop import policy
from hazardloop.accounts import services as accounts
from hazardloop.accounts.models import User, UserSession
from hazardloop.administration.boundaries import BoundaryCheck, check_boundary
from hazardloop.database import utcnow
from hazardloop.errors import Conflict, NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.outbox.services import enqueue_after_commit
from hazardloop.policy import Action
from hazardloop.regions import services as regions
from hazardloop.regions.models import Department, Region
from hazardloop.taxonomy import (
    DOMAIN_LABELS,
    REGION_CHILD_LEVELS,
    REGION_LEVEL_LABELS,
    ROLE_LABELS,
    Domain,
    RegionLevel,
    Role,
)

# Letters and digits that cannot be mistaken for one another when read aloud or from an SMS.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def temporary_password() -> str:
    """A one-time password (10 characters) the user must replace at first login."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def record(actor: User | None, action: Action, obj: Any, kind: str, note: str, payload: dict[str, Any]) -> None:
    """One audit-chain event for an administration change: who (and as which role), what, when."""
    role = policy.acting_role(actor, action, obj) if actor is not None else None
    append_event(kind=kind, actor=actor, actor_role=role.value if role else ("system" if actor is None else None),
                 note=note, payload=payload)


# --- users --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GrantInput:
    role: str
    region_id: int | None = None
    department_id: int | None = None
    site_id: int | None = None


def _checked_grants(actor: User, grants: list[GrantInput]) -> list[accounts.GrantSpec]:
    """Grants in Chinese terms: the scope each role needs, and only what ``actor`` may hand out."""
    if not grants:
        raise ValidationFailed.field("grants", "请至少选择一个角色。")
    specs = []
    admin = policy.can_anywhere(actor, Action.USER_MANAGE)
    for i, g in enumerate(grants):
        try:
            role = Role(g.role)
        except ValueError:
            raise ValidationFailed.field(f"grants.{i}.role", "未知的角色。") from None
        label = ROLE_LABELS[role]
        if not admin and role != Role.GRID_WORKER:
            raise ValidationFailed.field(f"grants.{i}.role", f"您只能设置网格员，不能授予「{label}」角色。",
                                         "grant_not_allowed")
        region = db.session.get(Region, g.region_id) if g.region_id else None
        department = db.session.get(Department, g.department_id) if g.department_id else None
        if role in (Role.GRID_WORKER, Role.SUPERVISOR, Role.INSPECTOR):
            if region is None or not policy.can(actor, Action.REGION_VIEW, region):
                raise ValidationFailed.field(f"grants.{i}.region_id", f"请为「{label}」选择负责的区域。")
            if role == Role.GRID_WORKER and region.level != RegionLevel.GRID:
                raise ValidationFailed.field(f"grants.{i}.region_id", "网格员负责的区域必须是一个网格。")
            if not admin and not policy.can(actor, Action.GRID_MANAGE, region):
                raise ValidationFailed.field(f"grants.{i}.region_id", "该网格不在您的管辖范围内。", "grant_not_allowed")
        if role == Role.INSPECTOR and department is None:
            raise ValidationFailed.field(f"grants.{i}.department_id", "执法/检查人员须选择所属部门。")
        if role == Role.ENTERPRISE_USER and not g.site_id:
            raise ValidationFailed.field(f"grants.{i}.site_id", "企业用户须选择所属场所。")
        specs.append(accounts.GrantSpec(
            role=role, region_id=region.id if role in (Role.GRID_WORKER, Role.SUPERVISOR, Role.INSPECTOR) else None,
            department_id=department.id if role == Role.INSPECTOR and department else None,
            site_id=g.site_id if role == Role.ENTERPRISE_USER else None))
    return specs


def may_create_users(actor: User) -> bool:
    """Administrators create any user; a street supervisor creates 网格员 of the grids below him."""
    return policy.holds(actor, Action.USER_STAFF)


def _authorize_user(actor: User, user: User) -> None:
    """Admins manage everyone; a supervisor only his own 网格员 (else 404/403 as policy.authorize says)."""
    if policy.can(actor, Action.USER_MANAGE, user):
        return
    policy.authorize(actor, Action.USER_STAFF, user)


def _grant_summary(user: User) -> list[dict[str, Any]]:
    return [{"role": g.role, "region_id": g.region_id, "department_id": g.department_id, "site_id": g.site_id}
            for g in user.grants]


def create_user(actor: User, *, mobile: str, display_name: str, grants: list[GrantInput]) -> tuple[User, str]:
    """Create a user with a temporary password (returned once) they must change at first login."""
    if not may_create_users(actor):
        raise NotFound("请求的资源不存在。")
    specs = _checked_grants(actor, grants)
    try:
        normalized = accounts.normalize_mobile(mobile)
    except ValidationFailed:
        raise ValidationFailed.field("mobile", "手机号应为 11 位中国大陆手机号码。", "invalid_mobile") from None
    if accounts.find_user_by_mobile(normalized) is not None:
        raise Conflict("该手机号已有账号，请在用户列表中搜索该手机号。", code="mobile_taken")
    password = temporary_password()
    user = accounts.create_user(mobile=normalized, display_name=display_name, password=password, grants=specs,
                                must_change_password=True)
    record(actor, Action.USER_STAFF, user, "user_created", f"新建用户：{user.display_name}",
           {"user_id": user.id, "grants": _grant_summary(user)})
    return user, password


def update_user(actor: User, user: User, *, display_name: str | None = None,
                grants: list[GrantInput] | None = None) -> User:
    """Rename a user or replace the user's roles; refuses to leave the system without an administrator."""
    _authorize_user(actor, user)
    changes: dict[str, Any] = {}
    if display_name is not None and display_name.strip() and display_name.strip() != user.display_name:
        changes["display_name"] = [user.display_name, display_name.strip()]
        user.display_name = display_name.strip()[:50]
    if grants is not None:
        before = _grant_summary(user)
        accounts.replace_grants(user, _checked_grants(actor, grants))
        db.session.refresh(user, ["grants"])
        if _grant_summary(user) != before:
            changes["grants"] = [before, _grant_summary(user)]
    if changes:
        record(actor, Action.USER_STAFF, user, "user_updated", f"修改用户：{user.display_name}",
               {"user_id": user.id, **changes})
    db.session.flush()
    return user


def set_active(actor: User, user: User, active: bool) -> User:
    """停用/启用; disabling ends every session of the user at once."""
    _authorize_user(actor, user)
    if user.id == actor.id and not active:
        raise Conflict("不能停用自己的账号。", code="disable_self")
    if user.active == active:
        return user
    accounts.set_active(user, active)
    record(actor, Action.USER_STAFF, user, "user_enabled" if active else "user_disabled",
           f"{'启用' if active else '停用'}用户：{user.display_name}", {"user_id": user.id})
    return user


def reset_password(actor: User, user: User) -> str:
    """重置密码: a temporary password (returned once), forced change at next login, every session ended."""
    _authorize_user(actor, user)
    if user.id == actor.id:
        raise Conflict("不能重置自己的密码，请在“我的账号”中修改密码。", code="reset_self")
    password = temporary_password()
    user.password_hash = accounts.hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    ended = accounts.revoke_sessions(user, reason="password_reset")
    record(actor, Action.USER_STAFF, user, "password_reset", f"重置密码：{user.display_name}",
           {"user_id": user.id, "sessions_ended": ended})
    db.session.flush()
    return password


def live_sessions(actor: User, user: User) -> list[UserSession]:
    _authorize_user(actor, user)
    return list(db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc())))


def end_sessions(actor: User, user: User, session_id: int | None = None) -> int:
    """End one session of the user (``session_id``) or all of them; returns how many ended."""
    _authorize_user(actor, user)
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if session_id is not None:
        query = query.where(UserSession.id == session_id)
    ended = db.session.execute(query.values(revoked_at=utcnow(), revoked_reason="ended_by_admin")
                               .execution_options(synchronize_session=False)).rowcount or 0
    if session_id is not None and not ended:
        raise NotFound("该会话不存在或已结束。")
    if ended:
        record(actor, Action.USER_STAFF, user, "sessions_ended", f"结束登录会话：{user.display_name}",
               {"user_id": user.id, "session_id": session_id, "ended": ended})
    return ended


def invite(user: User) -> None:
    """Queue the SMS invitation (account opened, temporary password, change it at first login)."""
    enqueue_after_commit("accounts.invite", {"user_id": user.id}, dedupe_key=f"invite:{user.id}")


def send_invitation(user_id: int) -> None:
    """Outbox handler for ``accounts.invite``: a fresh temporary password, sent by SMS through the notification
    gateway; only while the user has not yet chosen a password (a late retry never overwrites theirs)."""
    from hazardloop.notifications.channels import CHANNELS

    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.must_change_password:
        return
    password = temporary_password()
    user.password_hash = accounts.hash_password(password)
    user.password_changed_at = utcnow()
    text = f"您的隐患排查治理系统账号已开通，初始密码{password}，首次登录须修改密码。"
    CHANNELS["sms"].send(user.mobile, title=text, body=text, key=f"hazardloop-invite-{user.id}",
                         kind="account.invite", values={"password": password, "mobile": user.mobile})
    db.session.flush()


# --- regions and grids ----------------------------------------------------------------------------------

def _label(region: Region) -> str:
    return f"{REGION_LEVEL_LABELS[RegionLevel(region.level)]}「{region.name}」"


def _authorize_region(actor: User, region: Region, level: RegionLevel) -> Action:
    """Admins maintain the whole tree; a supervisor only grids (and only within his subtree)."""
    if policy.can(actor, Action.REGION_MANAGE, region):
        return Action.REGION_MANAGE
    if level != RegionLevel.GRID:
        policy.authorize(actor, Action.REGION_VIEW, region)
        if policy.holds(actor, Action.GRID_MANAGE):
            raise ValidationFailed.field("level", "您只能维护网格；街道、社区请联系区级系统管理员。",
                                         "level_not_allowed")
    policy.authorize(actor, Action.GRID_MANAGE, region)
    return Action.GRID_MANAGE


def _sibling_named(parent: Region | None, name: str, exclude: int | None = None) -> bool:
    query = select(Region.id).where(Region.name == name, Region.parent_id == (parent.id if parent else None))
    if parent is None:
        query = select(Region.id).where(Region.name == name, Region.parent_id.is_(None))
    if exclude is not None:
        query = query.where(Region.id != exclude)
    return db.session.scalar(query) is not None


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.field("name", "名称不能为空。")
    if len(name) > 100:
        raise ValidationFailed.field("name", "名称不能超过 100 个字。")
    return name


def create_region(actor: User, *, parent: Region, level: str, name: str, code: str | None = None) -> Region:
    """A new street, community or grid under ``parent`` (a grid's boundary comes separately, by upload)."""
    try:
        lv = RegionLevel(level)
    except ValueError:
        raise ValidationFailed.field("level", "未知的区域层级。") from None
    action = _authorize_region(actor, parent, lv)
    name = _clean_name(name)
    if lv not in REGION_CHILD_LEVELS[RegionLevel(parent.level)]:
        raise ValidationFailed.field("level", f"{_label(parent)}之下不能直接设{REGION_LEVEL_LABELS[lv]}。")
    if _sibling_named(parent, name):
        raise Conflict(f"{_label(parent)}之下已有同名的「{name}」。", code="region_name_taken")
    code = (code or "").strip() or None
    if code is not None and db.session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise Conflict(f"区域代码 {code} 已被使用。", code="region_code_taken")
    region = regions.create_region(name=name, level=lv, parent=parent, code=code)
    record(actor, action, region, "region_created", f"新建{_label(region)}（上级：{parent.name}）",
           {"region_id": region.id, "parent_id": parent.id, "level": lv.value, "name": name})
    return region


def rename_region(actor: User, region: Region, name: str) -> Region:
    action = _authorize_region(actor, region, RegionLevel(region.level))
    name = _clean_name(name)
    if name == region.name:
        return region
    if _sibling_named(region.parent, name, exclude=region.id):
        raise Conflict(f"同一上级下已有「{name}」。", code="region_name_taken")
    before = region.name
    region.name = name
    db.session.flush()
    record(actor, action, region, "region_renamed", f"{_label(region)}改名（原名「{before}」）",
           {"region_id": region.id, "name": [before, name]})
    return region


def move_region(actor: User, region: Region, new_parent: Region) -> Region:
    """Move a node (and its subtree) under another parent of a level that may hold it."""
    level = RegionLevel(region.level)
    action = _authorize_region(actor, region, level)
    _authorize_region(actor, new_parent, level)
    if new_parent.id == region.id or regions.is_within(new_parent.path, region.path):
        raise ValidationFailed.field("parent_id", "不能移到它自己或它的下级之下。")
    if level not in REGION_CHILD_LEVELS[RegionLevel(new_parent.level)]:
        raise ValidationFailed.field("parent_id", f"{_label(new_parent)}之下不能直接设{REGION_LEVEL_LABELS[level]}。")
    if region.parent_id == new_parent.id:
        return region
    if _sibling_named(new_parent, region.name, exclude=region.id):
        raise Conflict(f"{_label(new_parent)}之下已有同名的「{region.name}」。", code="region_name_taken")
    old_parent, old_path, new_path = region.parent, region.path, f"{new_parent.path}{region.id}/"
    for node in db.session.scalars(regions.subtree_query(region)):
        node.path = new_path + node.path[len(old_path):]
    region.parent_id = new_parent.id
    region.parent = new_parent
    db.session.flush()
    record(actor, action, region, "region_moved",
           f"{_label(region)}由「{old_parent.name if old_parent else '顶层'}」移到「{new_parent.name}」",
           {"region_id": region.id, "parent_id": [old_parent.id if old_parent else None, new_parent.id]})
    return region


def check_region_boundary(actor: User, region: Region, raw: bytes | str | dict[str, Any]) -> BoundaryCheck:
    _authorize_region(actor, region, RegionLevel(region.level))
    return check_boundary(raw, parent=region.parent, region=region)


def set_boundary(actor: User, region: Region, raw: bytes | str | dict[str, Any]) -> BoundaryCheck:
    """Check and, when there is no error, save a boundary; overlaps with siblings are saved and reported."""
    action = _authorize_region(actor, region, RegionLevel(region.level))
    checked = check_boundary(raw, parent=region.parent, region=region)
    if not checked.ok:
        raise ValidationFailed([{"field": "boundary", "message": m, "code": "boundary_invalid"}
                                for m in checked.errors], detail="边界有问题，未保存：" + checked.errors[0])
    region.boundary = checked.geometry
    db.session.flush()
    record(actor, action, region, "boundary_set", f"更新{_label(region)}的边界",
           {"region_id": region.id, "warnings": checked.warnings})
    return checked


# --- departments ------------------------------------------------------------------------------------------

def _domains(values: list[str]) -> list[str]:
    by_label = {label: d.value for d, label in DOMAIN_LABELS.items()}
    out = []
    for value in values:
        code = value if value in {d.value for d in Domain} else by_label.get(value)
        if code is None:
            raise ValidationFailed.field("domains", f"「{value}」不是已知的监管领域。")
        out.append(code)
    return sorted(set(out))


def create_department(actor: User, *, region: Region, code: str, name: str, domains: list[str]) -> Department:
    policy.authorize(actor, Action.REGION_VIEW, region)
    if not policy.can_anywhere(actor, Action.DEPARTMENT_MANAGE):
        raise NotFound("请求的资源不存在。")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise ValidationFailed.field("name" if not name else "code", "部门名称和代码都要填写。")
    taken = db.session.scalar(select(Department.id).where(Department.region_id == region.id, Department.code == code))
    if taken is not None:
        raise Conflict(f"「{region.name}」已有代码为 {code} 的部门。", code="department_code_taken")
    department = regions.create_department(region=region, code=code, name=name, domains=_domains(domains))
    record(actor, Action.DEPARTMENT_MANAGE, department, "department_created", f"新建部门：{name}",
           {"department_id": department.id, "region_id": region.id, "domains": department.domains})
    return department


def update_department(actor: User, department: Department, *, name: str | None = None,
                      domains: list[str] | None = None) -> Department:
    policy.authorize(actor, Action.DEPARTMENT_MANAGE, department)
    changes: dict[str, Any] = {}
    if name is not None and name.strip() and name.strip() != department.name:
        changes["name"] = [department.name, name.strip()]
        department.name = name.strip()[:100]
    if domains is not None:
        new = _domains(domains)
        if new != department.domains:
            changes["domains"] = [department.domains, new]
            department.domains = new
    if changes:
        db.session.flush()
        record(actor, Action.DEPARTMENT_MANAGE, department, "department_updated", f"修改部门：{department.name}",
               {"department_id": department.id, **changes})
    return department


def get_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound("部门不存在。")
    return department
