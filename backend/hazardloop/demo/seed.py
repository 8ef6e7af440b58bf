"""Seeding the demo district through the service functions, idempotently.

Each planned row is looked up by its natural key first and created only when missing;
rows that exist are left exactly as they are, even if someone edited them since. The seed
only flushes: the caller commits (or rolls back) the whole district at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from hazardloop.accounts.models import User
from hazardloop.accounts.services import (
    GrantSpec,
    find_user_by_mobile,
    hash_password,
    normalize_mobile,
    replace_grants,
)
from hazardloop.demo.hazards import seed_demo_hazards
from hazardloop.demo.plan import (
    ADDRESS_PREFIX,
    DISTRICT_CODE,
    DemoPlan,
    DepartmentPlan,
    RegionPlan,
    SitePlan,
    UserPlan,
    build_plan,
)
from hazardloop.extensions import db
from hazardloop.regions.models import Department, Region
from hazardloop.regions.services import create_department, create_region
from hazardloop.sites.models import Site
from hazardloop.sites.services import create_site
from hazardloop.taxonomy import REGION_LEVEL_LABELS, ROLE_LABELS, RegionLevel, Role

DEMO_PASSWORD = "Demo@2026"

RegionKey = tuple[str, ...]


class DemoSeedError(RuntimeError):
    """Existing data contradicts the demo district (e.g. a same-named region of another level)."""


@dataclass
class Tally:
    created: int = 0
    existing: int = 0


@dataclass(frozen=True)
class DemoLogin:
    """One demo account to print: who it is, how to log in and what it may see."""

    role: str  # the role's Chinese label
    display_name: str
    mobile: str
    password: str
    scope: str
    new: bool  # created by this run; an older account keeps whatever password it has


@dataclass
class DemoSummary:
    """What a seed run created and found, per kind of row, and the logins worth trying."""

    districts: Tally = field(default_factory=Tally)
    streets: Tally = field(default_factory=Tally)  # 街道 and 园区
    communities: Tally = field(default_factory=Tally)
    grids: Tally = field(default_factory=Tally)
    departments: Tally = field(default_factory=Tally)
    sites: Tally = field(default_factory=Tally)
    users: Tally = field(default_factory=Tally)
    hazards: Tally = field(default_factory=Tally)
    logins: list[DemoLogin] = field(default_factory=list)

    def tallies(self) -> list[tuple[str, Tally]]:
        """(Chinese label, tally) for each kind, in tree order."""
        return [
            (REGION_LEVEL_LABELS[RegionLevel.DISTRICT], self.districts),
            ("街道/园区", self.streets),
            (REGION_LEVEL_LABELS[RegionLevel.COMMUNITY], self.communities),
            (REGION_LEVEL_LABELS[RegionLevel.GRID], self.grids),
            ("行业监管部门", self.departments),
            ("场所", self.sites),
            ("用户", self.users),
            ("隐患（驾驶舱演示）", self.hazards),
        ]

    @property
    def created(self) -> int:
        return sum(t.created for _, t in self.tallies())

    @property
    def existing(self) -> int:
        return sum(t.existing for _, t in self.tallies())

    def describe(self) -> str:
        """A plain-text report for the console."""
        lines = [f"演示辖区：{ADDRESS_PREFIX}（{DISTRICT_CODE}）：新建 {self.created} 条，"
                 f"已存在 {self.existing} 条。"]
        lines += [f"  {label}：新建 {t.created}，已存在 {t.existing}"
                  for label, t in self.tallies()]
        lines.append("演示账号（节选；每个网格另有一名网格员，手机号 13800001001 起）：")
        for login in self.logins:
            password = login.password if login.new else "账号此前已存在，密码未改动"
            lines.append(f"  {login.role}｜{login.display_name}｜{login.mobile}｜{password}｜"
                         f"{login.scope}")
        return "\n".join(lines)

    def tally_for_level(self, level: RegionLevel) -> Tally:
        return {
            RegionLevel.DISTRICT: self.districts,
            RegionLevel.STREET: self.streets,
            RegionLevel.PARK: self.streets,
            RegionLevel.COMMUNITY: self.communities,
            RegionLevel.GRID: self.grids,
        }[level]


def seed_demo(*, password: str = DEMO_PASSWORD) -> DemoSummary:
    """Build the demo 拱墅区 (regions, departments, sites, users, hazards for the console) where it is missing.

    Running it again creates nothing and changes nothing. Only flushes; the caller commits.
    Raises ValidationFailed for a password too short and DemoSeedError when existing
    data contradicts the plan.
    """
    # Hashed once for every new user (see _ensure_users); first, so a too-short
    # password is refused before any row is written.
    password_hash = hash_password(password)
    plan: DemoPlan = build_plan()
    summary = DemoSummary()
    regions = _ensure_regions(plan.regions, summary)
    district = regions[plan.regions[0].key]
    departments = _ensure_departments(district, plan.departments, summary)
    site_ids = _ensure_sites(plan.sites, regions, summary)
    _ensure_users(plan.users, password, password_hash, regions, departments, site_ids, summary)
    enterprise = next(u for u in plan.users if u.role == Role.ENTERPRISE_USER and u.featured)
    _ensure_patrol_of(plan, enterprise, regions)
    summary.hazards.created, summary.hazards.existing = seed_demo_hazards(site_ids, enterprise.site,
                                                                        enterprise.mobile)
    extra = regions[plan.sites[enterprise.site].grid].name if enterprise.site is not None else None
    for login in summary.logins:
        if extra and login.role == ROLE_LABELS[Role.GRID_WORKER] and extra not in login.scope:
            login_index = summary.logins.index(login)
            summary.logins[login_index] = DemoLogin(
                role=login.role, display_name=login.display_name, mobile=login.mobile, password=login.password,
                scope=f"{login.scope}、{extra}（企业用户的场所）", new=login.new)
    return summary


def _ensure_patrol_of(plan: DemoPlan, enterprise: UserPlan, regions: dict[RegionKey, Region]) -> None:
    """The printed 网格员 also covers the printed 企业用户's grid, so the demo logins make one story."""
    worker_plan = next(u for u in plan.users if u.role == Role.GRID_WORKER and u.featured)
    worker = find_user_by_mobile(normalize_mobile(worker_plan.mobile))
    assert enterprise.site is not None
    grid = regions[plan.sites[enterprise.site].grid]
    if worker is None or any(g.role == Role.GRID_WORKER and g.region_id == grid.id for g in worker.grants):
        return
    replace_grants(worker, [*(GrantSpec(role=Role(g.role), region_id=g.region_id, department_id=g.department_id,
                                        site_id=g.site_id) for g in worker.grants),
                            GrantSpec(role=Role.GRID_WORKER, region_id=grid.id)])


def _find_region(plan: RegionPlan, parent: Region | None) -> Region | None:
    same_parent = Region.parent_id.is_(None) if parent is None else Region.parent_id == parent.id
    region = db.session.scalar(
        select(Region).where(same_parent, Region.name == plan.name).order_by(Region.id)
    )
    if region is None and plan.code is not None:
        # The code is unique: a district registered under another name is still ours,
        # and creating a second one would fail on the constraint anyway.
        region = db.session.scalar(select(Region).where(Region.code == plan.code))
    return region


def _ensure_regions(plans: tuple[RegionPlan, ...], summary: DemoSummary) -> dict[RegionKey, Region]:
    regions: dict[RegionKey, Region] = {}
    for plan in plans:
        parent = regions[plan.parent_key] if plan.parent_key else None
        tally = summary.tally_for_level(plan.level)
        region = _find_region(plan, parent)
        if region is None:
            region = create_region(name=plan.name, level=plan.level, parent=parent,
                                   code=plan.code, boundary=plan.boundary)
            tally.created += 1
        elif region.level != plan.level:
            raise DemoSeedError(
                f"已有区域“{region.name}”的层级是 {region.level}，演示数据需要 {plan.level.value}。"
            )
        else:
            tally.existing += 1
        regions[plan.key] = region
    return regions


def _ensure_departments(district: Region, plans: tuple[DepartmentPlan, ...],
                        summary: DemoSummary) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for plan in plans:
        department = db.session.scalar(select(Department).where(
            Department.region_id == district.id, Department.code == plan.code))
        if department is None:
            department = create_department(region=district, code=plan.code, name=plan.name,
                                           domains=[d.value for d in plan.domains])
            summary.departments.created += 1
        else:
            summary.departments.existing += 1
        departments[plan.code] = department
    return departments


def _ensure_sites(plans: tuple[SitePlan, ...], regions: dict[RegionKey, Region],
                  summary: DemoSummary) -> list[int]:
    """Create the missing sites; returns the site id of each plan entry, in plan order.

    A site counts as present when its credit code is registered, or when a site of the
    same name exists in its grid (codeless sites, and coded ones whose code was edited).
    Both lookups are loaded up front: two queries instead of one or two per site.
    """
    grid_ids = {key: regions[key].id for key in {p.grid for p in plans}}
    codes = [p.credit_code for p in plans if p.credit_code]
    by_code: dict[str, int] = {
        code: site_id for code, site_id in db.session.execute(
            select(Site.credit_code, Site.id).where(Site.credit_code.in_(codes)))
    }
    by_place: dict[tuple[str, int], int] = {
        (name, grid_id): site_id for name, grid_id, site_id in db.session.execute(
            select(Site.name, Site.grid_id, Site.id).where(Site.grid_id.in_(grid_ids.values())))
    }
    site_ids: list[int] = []
    for plan in plans:
        grid_id = grid_ids[plan.grid]
        site_id = by_code.get(plan.credit_code or "") or by_place.get((plan.name, grid_id))
        if site_id is None:
            site_id = create_site(plan.as_data(grid_id), actor=None).id
            summary.sites.created += 1
        else:
            summary.sites.existing += 1
        site_ids.append(site_id)
    return site_ids


def _ensure_users(plans: tuple[UserPlan, ...], password: str, password_hash: str,
                  regions: dict[RegionKey, Region], departments: dict[str, Department],
                  site_ids: list[int], summary: DemoSummary) -> None:
    """Create the missing demo users, all with one shared password hash.

    ``create_user`` hashes the password for every user, and argon2 with the production
    parameters is slow by design (50–300 ms a hash depending on the machine): 41 hashes
    would be most of the seed's time. A shared salted hash among accounts that share a
    published demo password reveals nothing, so it is computed once by the caller. The
    rest of ``create_user``'s work is kept: the mobile is normalised, a taken one skipped,
    and the grant goes through ``replace_grants`` for its scope checks.
    """
    for plan in plans:
        mobile = normalize_mobile(plan.mobile)
        user = find_user_by_mobile(mobile)
        new = user is None
        if user is None:
            user = User(mobile=mobile, display_name=plan.display_name, password_hash=password_hash)
            db.session.add(user)
            replace_grants(user, [GrantSpec(
                role=plan.role,
                region_id=regions[plan.region].id if plan.region else None,
                department_id=departments[plan.department].id if plan.department else None,
                site_id=site_ids[plan.site] if plan.site is not None else None,
            )])
            summary.users.created += 1
        else:
            summary.users.existing += 1
        if plan.featured:
            summary.logins.append(DemoLogin(
                role=ROLE_LABELS[plan.role], display_name=user.display_name, mobile=mobile,
                password=password, scope=plan.scope, new=new,
            ))
