"""What the demo district contains, computed without touching the database.

Everything comes from one ``random.Random(SEED)`` consumed in a fixed order, so every run
yields the same plan; the seed then only has to compare the plan with what exists.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from hazardloop.demo import names
from hazardloop.demo.layout import Cell, Lattice, make_lattice, polygon
from hazardloop.sites.credit_code import CHARSET, make_credit_code
from hazardloop.taxonomy import (
    CATEGORY_DOMAINS,
    DOMAIN_LABELS,
    Domain,
    RegionLevel,
    RiskLevel,
    Role,
    SiteCategory,
)

SEED = 20261123
CITY = "杭州市"
DISTRICT_NAME = "拱墅区"
DISTRICT_CODE = "330105"  # GB/T 2260
ADDRESS_PREFIX = CITY + DISTRICT_NAME
D = Domain
# Demo logins live in 138-0000-xxxx, a block that reads as made up at a glance.
DEMO_MOBILE_PREFIX = "1380000"

# 5 × 6 cells of ≈ 0.96 km × 1.1 km over the southern part of the district.
BOX = {"west": 120.13, "south": 30.28, "east": 120.18, "north": 30.34}
COLS, ROWS = 5, 6


@dataclass(frozen=True)
class AreaSpec:
    """A 街道 or 园区 with its 社区 (each a list of lattice cells) and grids held directly."""

    name: str
    level: RegionLevel
    communities: tuple[tuple[str, tuple[Cell, ...]], ...]
    direct_grids: tuple[Cell, ...] = ()


# Which lattice cells each grid takes; every cell of the 5 × 6 lattice is used once.
AREAS: tuple[AreaSpec, ...] = (
    AreaSpec("米市巷街道", RegionLevel.STREET, (
        ("左家新村社区", ((2, 0), (2, 1))),
        ("大兜路社区", ((3, 0), (3, 1))),
        ("珠儿潭社区", ((4, 0), (4, 1))),
    )),
    AreaSpec("湖墅街道", RegionLevel.STREET, (
        ("卖鱼桥社区", ((0, 0), (1, 0))),
        ("信义坊社区", ((0, 1), (1, 1))),
        ("仓基新村社区", ((0, 2), (1, 2))),
    )),
    AreaSpec("小河街道", RegionLevel.STREET, (
        ("长乐社区", ((0, 3), (1, 3), (2, 3))),
        ("红石板社区", ((0, 4), (1, 4), (2, 4))),
        ("小河社区", ((0, 5), (1, 5), (2, 5))),
    )),
    # A park holds one residential 社区 and, for its factories, grids of its own.
    AreaSpec("运河智慧产业园", RegionLevel.PARK, (
        ("运河湾社区", ((2, 2), (3, 2), (4, 2))),
    ), direct_grids=((3, 3), (4, 3), (3, 4), (4, 4), (3, 5), (4, 5))),
)

# Where sites of a category tend to be: (residential 社区, the park's 社区, the park's own grids).
_HOMES, _MIXED, _WORKS = 0, 1, 2

# How many sites of each category: 九小场所 dominate, as in any old urban district.
CATEGORY_MIX: tuple[tuple[SiteCategory, int], ...] = (
    (SiteCategory.SMALL_SHOP, 60),
    (SiteCategory.SMALL_RESTAURANT, 50),
    (SiteCategory.SMALL_HOTEL, 10),
    (SiteCategory.SMALL_ENTERTAINMENT, 6),
    (SiteCategory.SMALL_INTERNET_CAFE, 5),
    (SiteCategory.SMALL_BEAUTY_BATH, 18),
    (SiteCategory.SMALL_WORKSHOP, 12),
    (SiteCategory.SMALL_CLINIC, 6),
    (SiteCategory.SMALL_SCHOOL, 6),
    (SiteCategory.RESTAURANT, 20),
    (SiteCategory.RENTAL_HOUSING, 35),
    (SiteCategory.INDUSTRY_TRADE, 18),
    (SiteCategory.CONSTRUCTION_SITE, 8),
    (SiteCategory.HAZCHEM_UNIT, 3),
    (SiteCategory.CROWDED_PLACE, 12),
    (SiteCategory.EBIKE_CHARGING, 12),
    (SiteCategory.ELEVATOR_USER, 12),
    (SiteCategory.WAREHOUSE, 7),
)

_RESIDENTIAL = (3.0, 2.0, 0.3)
_INDUSTRIAL = (0.4, 1.5, 5.0)
_EVERYWHERE = (1.0, 1.0, 0.6)
ZONE_WEIGHTS: dict[SiteCategory, tuple[float, float, float]] = {
    SiteCategory.SMALL_SHOP: _EVERYWHERE,
    SiteCategory.SMALL_RESTAURANT: _EVERYWHERE,
    SiteCategory.SMALL_HOTEL: _RESIDENTIAL,
    SiteCategory.SMALL_ENTERTAINMENT: _EVERYWHERE,
    SiteCategory.SMALL_INTERNET_CAFE: _EVERYWHERE,
    SiteCategory.SMALL_BEAUTY_BATH: _RESIDENTIAL,
    SiteCategory.SMALL_WORKSHOP: (1.0, 1.5, 3.0),
    SiteCategory.SMALL_CLINIC: _RESIDENTIAL,
    SiteCategory.SMALL_SCHOOL: _RESIDENTIAL,
    SiteCategory.RESTAURANT: _EVERYWHERE,
    SiteCategory.RENTAL_HOUSING: _RESIDENTIAL,
    SiteCategory.INDUSTRY_TRADE: _INDUSTRIAL,
    SiteCategory.CONSTRUCTION_SITE: (1.0, 1.0, 1.5),
    SiteCategory.HAZCHEM_UNIT: _INDUSTRIAL,
    SiteCategory.CROWDED_PLACE: _EVERYWHERE,
    SiteCategory.EBIKE_CHARGING: _RESIDENTIAL,
    SiteCategory.ELEVATOR_USER: _RESIDENTIAL,
    SiteCategory.WAREHOUSE: _INDUSTRIAL,
}

# 风险等级 weights (red, orange, yellow, blue): mostly 黄/蓝; 危化 and some 工贸 红/橙.
RISK_WEIGHTS: dict[SiteCategory, tuple[int, int, int, int]] = {
    SiteCategory.HAZCHEM_UNIT: (3, 1, 0, 0),
    SiteCategory.INDUSTRY_TRADE: (2, 5, 7, 4),
    SiteCategory.CONSTRUCTION_SITE: (1, 3, 4, 0),
    SiteCategory.WAREHOUSE: (1, 2, 4, 3),
    SiteCategory.CROWDED_PLACE: (1, 3, 6, 3),
    SiteCategory.SMALL_ENTERTAINMENT: (0, 1, 5, 4),
    SiteCategory.SMALL_HOTEL: (0, 1, 5, 4),
    SiteCategory.SMALL_INTERNET_CAFE: (0, 1, 5, 4),
    SiteCategory.SMALL_WORKSHOP: (0, 2, 6, 4),
    SiteCategory.RESTAURANT: (0, 1, 5, 5),
    SiteCategory.RENTAL_HOUSING: (0, 1, 4, 6),
    SiteCategory.EBIKE_CHARGING: (0, 2, 5, 3),
    SiteCategory.SMALL_RESTAURANT: (0, 1, 4, 7),
}
_DEFAULT_RISK = (0, 0, 3, 8)
_RISK_ORDER = (RiskLevel.RED, RiskLevel.ORANGE, RiskLevel.YELLOW, RiskLevel.BLUE)

@dataclass(frozen=True)
class DepartmentPlan:
    code: str
    name: str
    domains: tuple[Domain, ...]


DEPARTMENTS: tuple[DepartmentPlan, ...] = (
    DepartmentPlan("emergency", "应急管理局", (D.INDUSTRY_TRADE, D.HAZCHEM)),
    DepartmentPlan("housing", "住房和城乡建设局", (D.CONSTRUCTION, D.URBAN_OPERATION)),
    DepartmentPlan("fire_rescue", "消防救援大队", (D.FIRE, D.NINE_SMALL)),
    DepartmentPlan("market", "市场监督管理局", (D.SPECIAL_EQUIPMENT, D.NINE_SMALL)),
    DepartmentPlan("urban_management", "城市管理局", (D.URBAN_OPERATION,)),
    DepartmentPlan("commerce", "商务局", (D.COMMERCE_TOURISM,)),
    DepartmentPlan("transport", "交通运输局", (D.ROAD_TRAFFIC,)),
)


@dataclass(frozen=True)
class RegionPlan:
    """A region-tree node, keyed by the names from the district down to it."""

    key: tuple[str, ...]
    level: RegionLevel
    code: str | None = None
    boundary: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.key[-1]

    @property
    def parent_key(self) -> tuple[str, ...] | None:
        return self.key[:-1] or None


@dataclass(frozen=True)
class SitePlan:
    name: str
    grid: tuple[str, ...]
    category: SiteCategory
    domains: tuple[Domain, ...]
    risk_level: RiskLevel
    credit_code: str | None
    address: str
    lng: float
    lat: float
    contact_name: str
    contact_mobile: str

    def as_data(self, grid_id: int) -> dict[str, Any]:
        """The ``create_site`` payload for this site in the grid with ``grid_id``."""
        return {
            "name": self.name,
            "credit_code": self.credit_code,
            "address": self.address,
            "grid_id": grid_id,
            "lng": self.lng,
            "lat": self.lat,
            "category": self.category.value,
            "domains": [d.value for d in self.domains],
            "risk_level": self.risk_level.value,
            "contact_name": self.contact_name,
            "contact_mobile": self.contact_mobile,
        }


@dataclass(frozen=True)
class UserPlan:
    """A demo user with one role grant; the scope is named by plan keys, not ids."""

    mobile: str
    display_name: str
    role: Role
    scope: str  # what the grant covers, in words, for the printed login list
    region: tuple[str, ...] | None = None
    department: str | None = None  # DepartmentPlan.code
    site: int | None = None  # index into DemoPlan.sites
    featured: bool = False  # listed among the demo logins


@dataclass(frozen=True)
class DemoPlan:
    regions: tuple[RegionPlan, ...]  # parents before children
    departments: tuple[DepartmentPlan, ...]
    sites: tuple[SitePlan, ...]
    users: tuple[UserPlan, ...]


@dataclass(frozen=True)
class _GridSlot:
    key: tuple[str, ...]
    cell: Cell
    zone: int
    roads: tuple[str, ...]
    compounds: tuple[str, ...]


def build_plan(seed: int = SEED) -> DemoPlan:
    """The whole demo district; the same ``seed`` always gives the same plan."""
    rng = random.Random(seed)
    lattice = make_lattice(rng, cols=COLS, rows=ROWS, **BOX)
    regions, slots = _plan_regions(lattice)
    sites = _plan_sites(rng, lattice, slots)
    users = _plan_users(rng, regions, sites)
    return DemoPlan(tuple(regions), DEPARTMENTS, tuple(sites), tuple(users))


def _plan_regions(lattice: Lattice) -> tuple[list[RegionPlan], list[_GridSlot]]:
    district = (DISTRICT_NAME,)
    all_cells = [(c, r) for c in range(COLS) for r in range(ROWS)]
    regions = [RegionPlan(district, RegionLevel.DISTRICT, DISTRICT_CODE,
                          polygon(lattice.outline(all_cells)))]
    slots: list[_GridSlot] = []

    def add_grids(parent: tuple[str, ...], prefix: str, cells: tuple[Cell, ...], zone: int,
                  roads: tuple[str, ...]) -> None:
        for number, cell in enumerate(cells, start=1):
            key = (*parent, f"{prefix}第{number}网格")
            regions.append(RegionPlan(key, RegionLevel.GRID,
                                      boundary=polygon(lattice.cell_ring(cell))))
            slots.append(_GridSlot(key, cell, zone, roads, names.COMPOUNDS[prefix]))

    for area in AREAS:
        area_key = (*district, area.name)
        area_cells = [c for _, cells in area.communities for c in cells] + list(area.direct_grids)
        regions.append(RegionPlan(area_key, area.level,
                                  boundary=polygon(lattice.outline(area_cells))))
        roads = names.AREA_ROADS[area.name]
        for community, cells in area.communities:
            community_key = (*area_key, community)
            regions.append(RegionPlan(community_key, RegionLevel.COMMUNITY,
                                      boundary=polygon(lattice.outline(cells))))
            zone = _HOMES if area.level == RegionLevel.STREET else _MIXED
            add_grids(community_key, community, cells, zone, roads)
        add_grids(area_key, area.name, area.direct_grids, _WORKS, roads)
    return regions, slots


def _person(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES) + rng.choice(names.GIVEN_NAMES)


def _mobile(rng: random.Random) -> str:
    while True:
        number = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if not number.startswith(DEMO_MOBILE_PREFIX):  # keep clear of the demo logins
            return number


def org_body(serial: int) -> str:
    """A unique 8-character 组织机构代码 body for the ``serial``-th demo credit code.

    Post-2015 codes start with "MA"; the rest is ``serial`` scrambled by an affine map
    that is a bijection modulo 31⁵ (the multiplier is prime to 31), so bodies never repeat,
    and large enough that neighbouring serials look unrelated.
    """
    n = (serial * 11_234_567 + 123_457) % 31**5
    tail = ""
    for _ in range(5):
        n, digit = divmod(n, 31)
        tail = CHARSET[digit] + tail
    return "MA2" + tail


def _address(style: names.NameStyle, words: dict[str, Any], rng: random.Random) -> str:
    road, number = words["road"], rng.randint(1, 399)
    if style.address == "upstairs":
        return f"{ADDRESS_PREFIX}{road}{number}号{rng.randint(2, 4)}楼"
    if style.address == "flat":
        return (f"{ADDRESS_PREFIX}{words['compound']}{words['building']}幢"
                f"{words['unit']}单元{words['room']}室")
    if style.address == "compound":
        return f"{ADDRESS_PREFIX}{road}{number}号{words['compound']}"
    if style.address == "crossing":
        other = rng.choice([r for r in words["roads"] if r != road])
        corner = rng.choice(("东北", "西北", "东南", "西南"))
        return f"{ADDRESS_PREFIX}{road}与{other}交叉口{corner}侧"
    return f"{ADDRESS_PREFIX}{road}{number}号"


T = TypeVar("T")


def _deck(rng: random.Random, items: Sequence[T], weights: Sequence[float], size: int) -> list[T]:
    """``size`` items in exactly the weights' proportions (largest remainder), shuffled.

    Drawing each site independently leaves rare categories to luck: three 危化 units could
    all come out orange. A dealt deck keeps every category's mix as the table says.
    """
    total = sum(weights)
    shares = [w * size / total for w in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(items)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: size - sum(counts)]:
        counts[i] += 1
    deck = [item for item, count in zip(items, counts, strict=True) for _ in range(count)]
    rng.shuffle(deck)
    return deck


def _plan_sites(rng: random.Random, lattice: Lattice, slots: list[_GridSlot]) -> list[SitePlan]:
    categories = [category for category, count in CATEGORY_MIX for _ in range(count)]
    rng.shuffle(categories)  # registries fill up in no particular order
    risks = {c: _deck(rng, _RISK_ORDER, RISK_WEIGHTS.get(c, _DEFAULT_RISK), n)
             for c, n in CATEGORY_MIX}
    styles = {c: _deck(rng, names.CATEGORY_STYLES[c],
                       [s.weight for s in names.CATEGORY_STYLES[c]], n)
              for c, n in CATEGORY_MIX}
    load = dict.fromkeys((s.key for s in slots), 0)
    taken: set[str] = set()
    sites: list[SitePlan] = []
    credit_serial = 0
    for category in categories:
        weights = ZONE_WEIGHTS[category]
        # Of two grids drawn by weight, take the emptier: grids stay where their category
        # belongs yet no grid worker is left with a near-empty grid.
        slot = min(rng.choices(slots, weights=[weights[s.zone] for s in slots], k=2),
                   key=lambda s: load[s.key])
        load[slot.key] += 1
        style = styles[category].pop()
        for attempt in range(50):
            words: dict[str, Any] = {
                "road": rng.choice(slot.roads),
                "roads": slot.roads,
                "compound": rng.choice(slot.compounds),
                "core": rng.choice(style.cores) if style.cores else "",
                "kind": rng.choice(style.kinds) if style.kinds else "",
                "surname": rng.choice(names.SURNAMES),
                "local": rng.choice(names.LOCAL_NAMES),
                "building": rng.randint(1, 36),
                "unit": rng.randint(1, 4),
                "room": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}",
            }
            name = style.template.format(**words)
            if attempt == 49:  # pools are large; this only guards against an endless loop
                name = f"{name}（{len(sites) + 1}）"
            if name not in taken:
                break
        taken.add(name)
        credit_code = None
        if style.credit:
            credit_serial += 1
            credit_code = make_credit_code(style.credit + DISTRICT_CODE, org_body(credit_serial))
        risk = risks[category].pop()
        lng, lat = lattice.point_in_cell(slot.cell, rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9))
        domains = tuple(sorted(set(CATEGORY_DOMAINS[category]) | set(style.extra_domains)))
        sites.append(SitePlan(
            name=name, grid=slot.key, category=category, domains=domains, risk_level=risk,
            credit_code=credit_code, address=_address(style, words, rng), lng=lng, lat=lat,
            contact_name=_person(rng), contact_mobile=_mobile(rng),
        ))
    return sites


def _pick_site(sites: list[SitePlan], category: SiteCategory,
               risks: tuple[RiskLevel, ...] = tuple(RiskLevel)) -> int:
    """The first planned site of a category with a credit code (an enterprise has one)."""
    for index, site in enumerate(sites):
        if site.category == category and site.credit_code and site.risk_level in risks:
            return index
    raise LookupError(f"the demo plan has no {category.value} site with a credit code")


def _plan_users(rng: random.Random, regions: list[RegionPlan],
                sites: list[SitePlan]) -> list[UserPlan]:
    district = (DISTRICT_NAME,)
    by_name = {d.code: d for d in DEPARTMENTS}

    def department_scope(code: str, where: str) -> str:
        department = by_name[code]
        domains = "、".join(DOMAIN_LABELS[d] for d in department.domains)
        return f"{where} · {department.name}（{domains}）"

    first_street = (*district, AREAS[0].name)
    users = [
        UserPlan("13800000001", "系统管理员", Role.ADMIN, "全系统", featured=True),
        UserPlan("13800000002", "周建华", Role.SUPERVISOR, f"{DISTRICT_NAME}（区安委办）",
                 region=district, featured=True),
    ]
    street_heads = ("沈丽萍", "钱志刚", "陆海燕", "金晓东")
    for number, (area, head) in enumerate(zip(AREAS, street_heads, strict=True), start=11):
        users.append(UserPlan(f"138000000{number}", head, Role.SUPERVISOR, area.name,
                              region=(*district, area.name), featured=number == 11))
    users += [
        UserPlan("13800000021", "徐国平", Role.INSPECTOR,
                 department_scope("emergency", DISTRICT_NAME),
                 region=district, department="emergency", featured=True),
        UserPlan("13800000022", "韩磊", Role.INSPECTOR,
                 department_scope("fire_rescue", AREAS[0].name),
                 region=first_street, department="fire_rescue", featured=True),
    ]
    grids = [r for r in regions if r.level == RegionLevel.GRID]
    for number, grid in enumerate(grids, start=1):
        users.append(UserPlan(f"13800001{number:03d}", _person(rng), Role.GRID_WORKER, grid.name,
                              region=grid.key, featured=number == 1))
    enterprise_sites = (
        _pick_site(sites, SiteCategory.INDUSTRY_TRADE, (RiskLevel.RED, RiskLevel.ORANGE)),
        _pick_site(sites, SiteCategory.SMALL_RESTAURANT),
        _pick_site(sites, SiteCategory.CONSTRUCTION_SITE),
    )
    for number, index in enumerate(enterprise_sites, start=1):
        site = sites[index]
        users.append(UserPlan(f"13800002{number:03d}", site.contact_name, Role.ENTERPRISE_USER,
                              site.name, site=index, featured=number == 1))
    return users
