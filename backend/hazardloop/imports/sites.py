"""The site import's columns and rules: one spreadsheet row → a checked site record, matched or new."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select, true

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.accounts.services import normalize_mobile
from hazardloop.errors import ValidationFailed
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.sites.credit_code import validate_credit_code
from hazardloop.sites.models import Site, SiteDomain
from hazardloop.taxonomy import (
    CATEGORY_DOMAINS,
    DOMAIN_LABELS,
    SITE_CATEGORY_LABELS,
    Domain,
    RegionLevel,
    SiteCategory,
)


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    hint: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("场所名称", "name", True, ("名称", "单位名称", "企业名称", "店名"), "营业执照上的名称，或门头招牌名"),
    Column("统一社会信用代码", "credit_code", False, ("信用代码", "社会信用代码"), "18 位；个体户没有可不填"),
    Column("地址", "address", True, ("经营地址", "详细地址"), "街道门牌"),
    Column("所属网格", "grid", True, ("网格",), "网格名称；有同名网格时写完整路径，如 A街道/A社区/A1网格"),
    Column("场所类别", "category", True, ("类别",), "见“填写说明”中的类别名称"),
    Column("监管领域", "domains", False, ("领域",), "可写多个，用顿号隔开；不填按类别默认"),
    Column("经度", "lng", False, (), "WGS-84，如 120.15"),
    Column("纬度", "lat", False, (), "WGS-84，如 30.28"),
    Column("联系人", "contact_name", False, ("负责人",), ""),
    Column("联系电话", "contact_mobile", False, ("手机", "手机号", "联系人手机"), "11 位手机号"),
    Column("备注", "notes", False, (), ""),
)
_BY_TITLE = {name: c for c in COLUMNS for name in (c.title, *c.aliases)}
COMPARED = ("name", "address", "grid_id", "category", "lng", "lat", "contact_name", "contact_mobile", "notes",
            "credit_code")
_CATEGORY = {**{label: c.value for c, label in SITE_CATEGORY_LABELS.items()},
             **{c.value: c.value for c in SiteCategory}}
_DOMAIN = {**{label: d.value for d, label in DOMAIN_LABELS.items()}, **{d.value: d.value for d in Domain}}
_SPLIT = re.compile(r"[、,，;；/\s]+")
_MAX = {"name": 200, "address": 300, "contact_name": 50, "notes": 2000}


class HeaderProblem(Exception):
    """The header lacks required columns; ``str()`` says which, in Chinese."""


def map_headers(headers: list[str], columns: tuple[Column, ...] = COLUMNS) -> tuple[dict[str, int], list[str]]:
    """Column key → index in the row, and the titles that were not recognised (ignored)."""
    by_title = _BY_TITLE if columns is COLUMNS else {name: c for c in columns for name in (c.title, *c.aliases)}
    index: dict[str, int] = {}
    ignored: list[str] = []
    for i, title in enumerate(headers):
        column = by_title.get(title.replace("*", "").replace("＊", "").strip())
        if column is None:
            if title:
                ignored.append(title)
            continue
        if column.key in index:
            raise HeaderProblem(f"表头中「{column.title}」出现了两次，请删去一列。")
        index[column.key] = i
    missing = [c.title for c in columns if c.required and c.key not in index]
    if missing:
        raise HeaderProblem(f"缺少必填列：{'、'.join(missing)}。请使用模板中的列名（第一行）。")
    return index, ignored


@dataclass
class Problem:
    row: int
    column: str | None
    message: str


@dataclass
class SiteRow:
    """One row, checked: the fields it sets and the site it matches (None: a new site)."""

    row: int
    fields: dict[str, Any]
    domains: list[str]
    # An empty 监管领域 cell keeps a matched site's domains (a new site gets its category's).
    domains_given: bool = True
    match_id: int | None = None
    outcome: str = "created"


@dataclass
class RegionPaths:
    """Regions the importing user may name in a cell: by full path (the district's name optional) and by name."""

    by_path: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    ambiguous: ClassVar[str] = "有多个同名网格，请写完整路径（如 A街道/A社区/A1网格）"
    unknown: ClassVar[str] = "找不到该网格，或该网格不在您的管辖范围内"

    def add(self, region_id: int, name: str, path: str, names: dict[int, str]) -> None:
        chain = [names[int(p)] for p in path.strip("/").split("/") if p and int(p) in names]
        # The district's name is optional in a path: "A街道/A社区/A1网格" or "拱墅区/A街道/…".
        self.by_path["/".join(chain)] = region_id
        if len(chain) > 1:
            self.by_path["/".join(chain[1:])] = region_id
        self.by_name.setdefault(name, []).append(region_id)

    def resolve(self, text: str) -> tuple[int | None, str | None]:
        key = "/".join(part.strip() for part in re.split(r"[/／>＞]", text) if part.strip())
        if key in self.by_path:
            return self.by_path[key], None
        ids = self.by_name.get(key, [])
        if len(ids) == 1:
            return ids[0], None
        return None, self.ambiguous if ids else self.unknown


class Grids(RegionPaths):
    """The grids the importing user may register sites in."""

    @classmethod
    def for_user(cls, user: User) -> Grids:
        regions = db.session.execute(select(Region.id, Region.name, Region.path)).all()
        names = {r.id: r.name for r in regions}
        allowed = set(db.session.scalars(select(Region.id).where(
            Region.level == RegionLevel.GRID.value, policy.visible(user, Region, Action.SITE_CREATE))))
        grids = cls()
        for r in regions:
            if r.id in allowed:
                grids.add(r.id, r.name, r.path, names)
        return grids


def cell_text(value: Any) -> str:
    """A cell's text, trimmed ("" for an empty cell)."""
    return "" if value is None else str(value).strip()


def check_row(row: int, values: list[Any], index: dict[str, int], grids: Grids) -> tuple[SiteRow | None, list[Problem]]:
    """Parse and check one row on its own (no database lookups but the grids); problems are per column."""
    problems: list[Problem] = []

    def cell(key: str) -> Any:
        i = index.get(key)
        return values[i] if i is not None and i < len(values) else None

    def bad(key: str, message: str) -> None:
        problems.append(Problem(row, next(c.title for c in COLUMNS if c.key == key), message))

    for key in index:
        value = cell(key)
        if isinstance(value, str) and value.startswith("="):
            bad(key, "是公式，请在 Excel 中复制后“粘贴为数值”再上传")
    fields: dict[str, Any] = {}
    for key in ("name", "address", "contact_name", "notes"):
        text = cell_text(cell(key))
        if key in ("name", "address") and not text:
            bad(key, "必填")
        elif len(text) > _MAX[key]:
            bad(key, f"不能超过 {_MAX[key]} 个字")
        fields[key] = text or None
    grid_text = cell_text(cell("grid"))
    if not grid_text:
        bad("grid", "必填")
    else:
        grid_id, why = grids.resolve(grid_text)
        if why:
            bad("grid", f"「{grid_text}」{why}")
        fields["grid_id"] = grid_id
    category_text = cell_text(cell("category"))
    category = _CATEGORY.get(category_text)
    if not category_text:
        bad("category", "必填")
    elif category is None:
        bad("category", f"「{category_text}」不是已知的场所类别（见模板“填写说明”）")
    fields["category"] = category
    domains: list[str] = []
    for part in _SPLIT.split(cell_text(cell("domains"))):
        if not part:
            continue
        if part not in _DOMAIN:
            bad("domains", f"「{part}」不是已知的监管领域")
        else:
            domains.append(_DOMAIN[part])
    domains_given = bool(domains)
    if not domains and category:
        domains = [d.value for d in CATEGORY_DOMAINS[SiteCategory(category)]]
    code = cell_text(cell("credit_code")).upper()
    fields["credit_code"] = None
    if code:
        check = validate_credit_code(code)
        if check.errors:
            bad("credit_code", "格式错误：" + "".join(check.errors))
        elif check.check_failed:
            bad("credit_code", f"校验位错误（按 GB 32100 应为 {check.expected_check}），请核对营业执照")
        else:
            fields["credit_code"] = check.code
    mobile = cell_text(cell("contact_mobile"))
    fields["contact_mobile"] = None
    if mobile:
        try:
            fields["contact_mobile"] = normalize_mobile(mobile)
        except ValidationFailed:
            bad("contact_mobile", "应为 11 位中国大陆手机号码")
    lng, lat = cell("lng"), cell("lat")
    fields["lng"] = fields["lat"] = None
    if cell_text(lng) or cell_text(lat):
        try:
            x, y = float(cell_text(lng)), float(cell_text(lat))
        except ValueError:
            bad("lng", "经度和纬度须同时填写，且为数字")
        else:
            if not (73 <= x <= 136 and 3 <= y <= 54):
                bad("lng", "经纬度不在中国境内（应为 WGS-84 经度 73–136、纬度 3–54）")
            else:
                fields["lng"], fields["lat"] = x, y
    if problems:
        return None, problems
    return SiteRow(row=row, fields=fields, domains=sorted(set(domains)), domains_given=domains_given), []


# --- matching against the register --------------------------------------------------------------------

@dataclass
class Register:
    """Keys of the sites already registered, loaded once (ids only: constant per site, not per column)."""

    by_code: dict[str, int]
    by_place: dict[tuple[str, str, int], int]
    # In-file duplicates: key → first row that used it.
    seen: dict[Any, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Register:
        by_code: dict[str, int] = {}
        by_place: dict[tuple[str, str, int], int] = {}
        for site_id, code, name, address, grid_id in db.session.execute(
                select(Site.id, Site.credit_code, Site.name, Site.address, Site.grid_id)):
            if code:
                by_code[code] = site_id
            by_place[(name, address, grid_id)] = site_id
        return cls(by_code, by_place)

    def match(self, site: SiteRow) -> list[Problem]:
        """Find the existing site (credit code first, else name + address + grid); refuse duplicates."""
        f = site.fields
        place = (f["name"], f["address"], f["grid_id"])
        problems = []
        for key, label in (((f["credit_code"],), "统一社会信用代码"), (place, None)):
            if key == (None,):
                continue
            first = self.seen.get(key)
            if first is not None:
                column = label or "场所名称"
                what = "统一社会信用代码" if label else "名称、地址和网格"
                problems.append(Problem(site.row, column, f"与第 {first} 行的{what}相同（文件内重复）"))
            else:
                self.seen[key] = site.row
        if problems:
            return problems
        by_code = self.by_code.get(f["credit_code"]) if f["credit_code"] else None
        by_place = self.by_place.get(place)
        if by_code is not None and by_place is not None and by_code != by_place:
            return [Problem(site.row, "统一社会信用代码", "该代码已登记在另一场所（名称、地址与本行不同），请核对")]
        site.match_id = by_code if by_code is not None else by_place
        return []

    def remember(self, site: SiteRow, site_id: int) -> None:
        f = site.fields
        if f["credit_code"]:
            self.by_code[f["credit_code"]] = site_id
        self.by_place[(f["name"], f["address"], f["grid_id"])] = site_id


def compare(rows: list[SiteRow], user: User) -> list[Problem]:
    """Set each matched row's outcome (updated / unchanged) against the site's current record, one query per
    batch; a matched site the user may not change is a problem."""
    ids = [r.match_id for r in rows if r.match_id is not None]
    if not ids:
        return []
    # Plain rows, not ORM objects: a 100,000-row file must not fill the session's identity map.
    current = {row.id: row for row in db.session.execute(
        select(Site.id, *(getattr(Site, key) for key in COMPARED)).where(Site.id.in_(ids)))}
    domains: dict[int, list[str]] = {}
    for site_id, domain in db.session.execute(select(SiteDomain.site_id, SiteDomain.domain)
                                              .where(SiteDomain.site_id.in_(ids))):
        domains.setdefault(site_id, []).append(domain)
    # Which of them the user may change: policy's SQL twin of ``can(user, SITE_UPDATE, site)``.
    scope = policy.visible(user, Site, Action.SITE_UPDATE)
    allowed = set(ids) if scope is true() else set(db.session.scalars(
        select(Site.id).where(Site.id.in_(ids), scope)))
    problems = []
    for r in rows:
        if r.match_id is None:
            continue
        site = current[r.match_id]
        if r.match_id not in allowed:
            problems.append(Problem(r.row, "场所名称", "该场所已登记在您管辖范围以外，请联系区级管理员"))
            r.outcome = "error"
            continue
        changed = any(getattr(site, key) != value for key, value in r.fields.items()
                      if key in COMPARED and value is not None) or (
            r.domains_given and sorted(domains.get(r.match_id, [])) != r.domains)
        r.outcome = "updated" if changed else "unchanged"
    return problems


def domain_rows(site_ids: Iterable[int], domains: Iterable[list[str]]) -> list[dict[str, Any]]:
    return [{"site_id": i, "domain": d} for i, ds in zip(site_ids, domains, strict=True) for d in ds]


SITE_DOMAIN_TABLE = SiteDomain.__table__
