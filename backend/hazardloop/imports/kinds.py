"""批量导入 of users and grids: the columns, row checks and batch writes of the kinds beyond sites.

Same machinery as the site import (``services``): a check that writes nothing and lists problems by row and
column, then batches that each commit their rows' outcomes with the resume point. Users are matched by mobile,
grids by parent + name, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.wkt
from shapely.geometry import mapping
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import RoleGrant, User
from hazardloop.accounts.services import normalize_mobile
from hazardloop.administration.boundaries import check_boundary
from hazardloop.administration.services import invite
from hazardloop.database import utcnow
from hazardloop.errors import ValidationFailed
from hazardloop.extensions import db
from hazardloop.imports.sites import Column, Problem, RegionPaths, cell_text
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.regions.services import create_region
from hazardloop.taxonomy import REGION_CHILD_LEVELS, RegionLevel, Role

# A password hash no password matches: an invited user can log in only with the password the SMS brings.
INVITED_HASH = "!invited"


@dataclass
class Checked:
    """One row, checked: what it would write and the existing record it matches (None: a new one)."""

    row: int
    label: str
    data: dict[str, Any]
    match_id: int | None = None
    outcome: str = "created"


class Places(RegionPaths):
    """Regions of the given levels the importing user may name."""

    ambiguous = "有多个同名区域，请写完整路径（如 A街道/A社区）"
    unknown = "找不到该区域，或不在您的管辖范围内"

    @classmethod
    def load(cls, user: User, action: Action, levels: set[RegionLevel]) -> Places:
        names = dict(db.session.execute(select(Region.id, Region.name)).all())
        places = cls()
        for r in db.session.scalars(select(Region).where(
                policy.visible(user, Region), Region.level.in_([lv.value for lv in levels]))):
            if policy.can(user, action, r):
                places.add(r.id, r.name, r.path, names)
        return places


@dataclass
class Kind:
    """One import kind: its columns, how a row is checked and how a batch of checked rows is written."""

    name: str
    title: str  # 用户 / 网格
    columns: tuple[Column, ...]
    event_kind: str
    id_title: str  # the result file's column of the created or matched record's number
    prepare: Callable[[User], Any]
    check: Callable[[int, Callable[[str], Any], Any, User], tuple[Checked | None, list[Problem]]]
    apply: Callable[[list[Checked], User, Any], None]
    example: list[Any] = field(default_factory=list)
    help_lines: Callable[[User, Any], list[list[Any]]] = lambda user, ctx: []


# --- users -----------------------------------------------------------------------------------------------

USER_ROLES = {"网格员": Role.GRID_WORKER, "监管人员": Role.SUPERVISOR, "执法人员": Role.INSPECTOR,
              "检查人员": Role.INSPECTOR, "执法/检查人员": Role.INSPECTOR,
              **{r.value: r for r in (Role.GRID_WORKER, Role.SUPERVISOR, Role.INSPECTOR)}}
USER_COLUMNS = (
    Column("手机号", "mobile", True, ("手机", "手机号码"), "11 位手机号，账号即手机号；已有账号按手机号对应"),
    Column("姓名", "display_name", True, ("名字",), ""),
    Column("角色", "role", True, (), "网格员、监管人员或执法人员"),
    Column("负责区域", "region", True, ("网格", "所属网格", "区域"),
           "网格员写网格，监管人员、执法人员写街道或区；同名时写完整路径，如 A街道/A社区/A1网格"),
    Column("所属部门", "department", False, ("部门",), "执法人员必填，写部门名称"),
)


@dataclass
class UserContext:
    grids: Places
    areas: Places
    departments: dict[str, int]
    admin: bool
    existing: dict[str, int] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)


def _prepare_users(user: User) -> UserContext:
    admin = policy.can_anywhere(user, Action.USER_MANAGE)
    grids = Places.load(user, Action.GRID_MANAGE if not admin else Action.REGION_VIEW, {RegionLevel.GRID})
    areas = Places.load(user, Action.REGION_MANAGE, {RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.PARK}) \
        if admin else Places()
    departments = {d.name: d.id for d in db.session.scalars(select(Department))}
    existing = dict(db.session.execute(select(User.mobile, User.id)).all())
    return UserContext(grids, areas, departments, admin, existing)


def _check_user(row: int, cell: Callable[[str], Any], ctx: UserContext, user: User) -> tuple[Checked | None,
                                                                                              list[Problem]]:
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(row, next(c.title for c in USER_COLUMNS if c.key == key), message))

    mobile = cell_text(cell("mobile"))
    try:
        mobile = normalize_mobile(mobile) if mobile else ""
    except ValidationFailed:
        bad("mobile", "应为 11 位中国大陆手机号码")
    if not cell_text(cell("mobile")):
        bad("mobile", "必填")
    name = cell_text(cell("display_name"))
    if not name:
        bad("display_name", "必填")
    elif len(name) > 50:
        bad("display_name", "不能超过 50 个字")
    role_text = cell_text(cell("role"))
    role = USER_ROLES.get(role_text)
    if not role_text:
        bad("role", "必填")
    elif role is None:
        bad("role", f"「{role_text}」不是可导入的角色（网格员、监管人员、执法人员）")
    elif role != Role.GRID_WORKER and not ctx.admin:
        bad("role", f"您只能导入网格员，不能导入「{role_text}」")
        role = None
    region_id = department_id = None
    region_text = cell_text(cell("region"))
    if not region_text:
        bad("region", "必填")
    elif role is not None:
        places = ctx.grids if role == Role.GRID_WORKER else ctx.areas
        region_id, why = places.resolve(region_text)
        if why:
            what = "网格" if role == Role.GRID_WORKER else "街道或区"
            bad("region", f"「{region_text}」{why.replace('该区域', '该' + what)}")
    if role == Role.INSPECTOR:
        dept_text = cell_text(cell("department"))
        department_id = ctx.departments.get(dept_text)
        if not dept_text:
            bad("department", "执法人员须填写所属部门")
        elif department_id is None:
            bad("department", f"找不到部门「{dept_text}」")
    if mobile and not problems:
        first = ctx.seen.get(mobile)
        if first is not None:
            bad("mobile", f"与第 {first} 行的手机号相同（文件内重复）")
        else:
            ctx.seen[mobile] = row
    if problems:
        return None, problems
    assert role is not None
    checked = Checked(row=row, label=name, data={"mobile": mobile, "display_name": name, "role": role.value,
                                                 "region_id": region_id, "department_id": department_id},
                      match_id=ctx.existing.get(mobile))
    if checked.match_id is not None:
        other = db.session.get(User, checked.match_id)
        assert other is not None
        if not (policy.can(user, Action.USER_MANAGE, other) or policy.can(user, Action.USER_STAFF, other)):
            return None, [Problem(row, "手机号", "该手机号已有账号，且不在您的管理范围内，请联系区级系统管理员")]
        has_grant = any(g.role == role.value and g.region_id == region_id and g.department_id == department_id
                        for g in other.grants)
        checked.outcome = "unchanged" if has_grant and other.display_name == name else "updated"
    return checked, []


def _apply_users(rows: list[Checked], user: User, ctx: UserContext) -> None:
    for r in rows:
        d = r.data
        grant = RoleGrant(role=d["role"], region_id=d["region_id"], department_id=d["department_id"])
        if r.match_id is None:
            created = User(mobile=d["mobile"], display_name=d["display_name"], password_hash=INVITED_HASH,
                           must_change_password=True, password_changed_at=utcnow())
            created.grants = [grant]
            db.session.add(created)
            db.session.flush()
            r.match_id = ctx.existing[d["mobile"]] = created.id
            invite(created)
        elif r.outcome == "updated":
            other = db.session.get(User, r.match_id)
            assert other is not None
            other.display_name = d["display_name"]
            if not any(g.role == d["role"] and g.region_id == d["region_id"]
                       and g.department_id == d["department_id"] for g in other.grants):
                other.grants.append(grant)
    db.session.flush()


def _user_help(user: User, ctx: UserContext) -> list[list[Any]]:
    roles = ("网格员", "监管人员", "执法人员") if ctx.admin else ("网格员",)
    grids = sorted(p for p in ctx.grids.by_path if p.count("/") >= 2)
    lines: list[list[Any]] = [["可导入的角色"], *[[label] for label in roles]]
    lines += [[], ["您可分配的网格（完整路径）"], *[[p] for p in grids]]
    if ctx.admin:
        lines += [[], ["部门名称"], *[[name] for name in sorted(ctx.departments)]]
    lines += [[], ["导入后，系统向每位新用户发送短信邀请（含初始密码），首次登录须修改密码。"]]
    return lines


# --- grids -------------------------------------------------------------------------------------------------

GRID_COLUMNS = (
    Column("网格名称", "name", True, ("名称", "网格"), ""),
    Column("上级区域", "parent", True, ("所属社区", "社区", "上级"), "社区或园区；同名时写完整路径，如 A街道/A社区"),
    Column("边界", "boundary", False, ("边界WKT", "边界GeoJSON", "范围"),
           "可不填；WKT（如 POLYGON((120.1 30.3, …))）或 GeoJSON 文本，WGS-84 经纬度"),
    Column("网格编码", "code", False, ("编码",), "可不填"),
)


@dataclass
class GridContext:
    parents: Places
    existing: dict[tuple[int, str], int]
    codes: dict[str, int] = field(default_factory=dict)  # region code → region id, or -row for this file's rows
    seen: dict[tuple[int, str], int] = field(default_factory=dict)


def _prepare_grids(user: User) -> GridContext:
    parents = Places.load(user, Action.GRID_MANAGE, {RegionLevel.COMMUNITY, RegionLevel.PARK})
    existing = {(p, n): i for i, p, n in db.session.execute(
        select(Region.id, Region.parent_id, Region.name).where(Region.level == RegionLevel.GRID.value))}
    codes = dict(db.session.execute(select(Region.code, Region.id).where(Region.code.is_not(None))).all())
    return GridContext(parents, existing, codes)


def _geometry(text: str) -> tuple[dict[str, Any] | None, str | None]:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text), None
        except ValueError:
            return None, "不是有效的 GeoJSON 文本"
    try:
        return mapping(shapely.wkt.loads(text)), None  # type: ignore[return-value]
    except (shapely.errors.ShapelyError, ValueError, TypeError):
        return None, "不是有效的 WKT（如 POLYGON((120.1 30.3, 120.2 30.3, 120.2 30.4, 120.1 30.3))）或 GeoJSON"


def _plain(geometry: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(geometry))  # tuples from shapely → lists, as stored


def _check_grid(row: int, cell: Callable[[str], Any], ctx: GridContext, user: User) -> tuple[Checked | None,
                                                                                              list[Problem]]:
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(row, next(c.title for c in GRID_COLUMNS if c.key == key), message))

    name, parent_text = cell_text(cell("name")), cell_text(cell("parent"))
    if not name:
        bad("name", "必填")
    elif len(name) > 100:
        bad("name", "不能超过 100 个字")
    parent_id = None
    if not parent_text:
        bad("parent", "必填")
    else:
        parent_id, why = ctx.parents.resolve(parent_text)
        if why:
            bad("parent", f"「{parent_text}」{why}")
    boundary = None
    boundary_text = cell_text(cell("boundary"))
    if boundary_text and parent_id is not None:
        geometry, why = _geometry(boundary_text)
        if why:
            bad("boundary", why)
        else:
            parent = db.session.get(Region, parent_id)
            match = ctx.existing.get((parent_id, name))
            checked = check_boundary(geometry or {}, parent=parent,
                                     region=db.session.get(Region, match) if match else None)
            for error in checked.errors:
                bad("boundary", error)
            boundary = _plain(checked.geometry) if checked.ok and checked.geometry else None
    code = cell_text(cell("code"))
    if code:
        holder = ctx.codes.get(code)
        if len(code) > 32:
            bad("code", "不能超过 32 个字符")
        elif holder is not None and holder != ctx.existing.get((parent_id, name)):  # type: ignore[arg-type]
            bad("code", f"第 {-holder} 行已用了该编码" if holder < 0 else "该编码已被其他区域使用")
    if parent_id is not None and name and not problems:
        if code:
            ctx.codes.setdefault(code, ctx.existing.get((parent_id, name)) or -row)
        first = ctx.seen.get((parent_id, name))
        if first is not None:
            bad("name", f"与第 {first} 行的网格名称和上级区域相同（文件内重复）")
        else:
            ctx.seen[(parent_id, name)] = row
    if problems:
        return None, problems
    checked_row = Checked(row=row, label=name, data={"name": name, "parent_id": parent_id, "boundary": boundary,
                                                     "code": code or None},
                          match_id=ctx.existing.get((parent_id, name)))  # type: ignore[arg-type]
    if checked_row.match_id is not None:
        current = db.session.get(Region, checked_row.match_id)
        assert current is not None
        changed = boundary is not None and _plain(current.boundary or {}) != boundary
        checked_row.outcome = "updated" if changed else "unchanged"
    return checked_row, []


def _apply_grids(rows: list[Checked], user: User, ctx: GridContext) -> None:
    for r in rows:
        d = r.data
        if r.match_id is None:
            parent = db.session.get(Region, d["parent_id"])
            if RegionLevel.GRID not in REGION_CHILD_LEVELS[RegionLevel(parent.level)]:  # type: ignore[union-attr]
                continue
            region = create_region(name=d["name"], level=RegionLevel.GRID, parent=parent, code=d["code"],
                                   boundary=d["boundary"])
            r.match_id = ctx.existing[(d["parent_id"], d["name"])] = region.id
        elif r.outcome == "updated":
            region = db.session.get(Region, r.match_id)
            assert region is not None
            region.boundary = d["boundary"]
    db.session.flush()


def _grid_help(user: User, ctx: GridContext) -> list[list[Any]]:
    return [["您可在其下建网格的社区、园区（完整路径）"],
            *[[p] for p in sorted(p for p in ctx.parents.by_path if p.count("/") >= 1)]]


KINDS: dict[str, Kind] = {
    "users": Kind("users", "用户", USER_COLUMNS, "users_imported", "用户编号", _prepare_users, _check_user,
                  _apply_users, ["13900000000", "张三", "网格员", "A街道/A社区/A1网格", ""], _user_help),
    "grids": Kind("grids", "网格", GRID_COLUMNS, "grids_imported", "网格编号", _prepare_grids, _check_grid,
                  _apply_grids, ["A9网格", "A街道/A社区",
                                 "POLYGON((120.10 30.30, 120.11 30.30, 120.11 30.31, 120.10 30.31, 120.10 30.30))", ""],
                  _grid_help),
}
