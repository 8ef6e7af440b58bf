"""Registering sites, their credit codes, QR tokens and listing them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, or_, select

from hazardloop.accounts.models import User
from hazardloop.accounts.services import normalize_mobile
from hazardloop.database import utcnow
from hazardloop.errors import Conflict, NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.regions.models import Region
from hazardloop.regions.services import grid_ids_under
from hazardloop.sites.credit_code import validate_credit_code
from hazardloop.sites.models import Site, SiteDomain, new_qr_token
from hazardloop.taxonomy import Domain, RegionLevel, SiteCategory

_DOMAINS = {d.value for d in Domain}
_EDITABLE = ("name", "address", "lng", "lat", "category", "risk_level", "contact_name",
             "contact_mobile", "notes", "active")


def get_site(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        raise NotFound("场所不存在。")
    return site


# A merge chain longer than this is a loop or a fault, not a history of duplicates.
_MAX_MERGE_HOPS = 32


def site_for_record(site_id: int) -> tuple[Site, int | None]:
    """The site a record from a phone naming ``site_id`` lands on, and the merged site it named (else None).

    A 现场新增 site may be merged (合并重复场所) into a registered one after the phone synced the site and
    before it synced an inspection, 随手拍 or 自查自报 made offline there: such a record belongs to the
    surviving site, found by following ``merged_into_id`` to its end. A closed (歇业/注销) site is not
    followed anywhere. The named row is read under a key-share lock, which a merge's lock on its source
    (``sites.admin.merge``) excludes: a record arriving during a merge waits for it and lands on the survivor,
    and a merge waits for a record being written on its source, then moves it. Raises NotFound.
    """
    locked = db.session.scalar(select(Site.id).where(Site.id == site_id)
                               .with_for_update(read=True, key_share=True))
    if locked is None:
        raise NotFound("场所不存在。")
    named = db.session.get(Site, site_id, populate_existing=True)
    assert named is not None
    site, seen = named, {named.id}
    while site.merged_into_id is not None and len(seen) <= _MAX_MERGE_HOPS:
        survivor = db.session.get(Site, site.merged_into_id, populate_existing=True)
        if survivor is None or survivor.id in seen:
            break
        site = survivor
        seen.add(site.id)
    return site, (named.id if site.id != named.id else None)


def site_by_qr_token(token: str) -> Site | None:
    return db.session.scalar(select(Site).where(Site.qr_token == token, Site.active.is_(True)))


def get_site_by_qr_token(token: str) -> Site:
    """The active site a printed code names; raises NotFound for an unknown or rotated token."""
    site = site_by_qr_token(token)
    if site is None:
        raise NotFound("二维码无效或已更换，请扫描场所现场张贴的最新二维码。")
    return site


def _apply_credit_code(site: Site, code: str | None, confirm: bool, actor: User | None) -> None:
    """Set the 统一社会信用代码: structure errors are refused; a failed check needs confirmation."""
    if not code:
        site.credit_code = None
        site.credit_code_check_failed = False
        site.credit_code_confirmed_by_id = None
        site.credit_code_confirmed_at = None
        return
    check = validate_credit_code(code)
    if check.errors:
        raise ValidationFailed.field("credit_code", "统一社会信用代码有误：" + "".join(check.errors),
                                     "invalid_credit_code")
    if check.check_failed and not confirm:
        raise ValidationFailed.field(
            "credit_code",
            f"统一社会信用代码校验位不符（按 GB 32100 应为 {check.expected_check}）。部分早期试点代码"
            "无法通过校验；如确认代码与营业执照一致，请勾选确认后重新提交（credit_code_confirmed=true）。",
            "credit_code_check_failed",
        )
    existing = db.session.scalar(select(Site.id).where(Site.credit_code == check.code))
    if existing is not None and existing != site.id:
        raise Conflict("该统一社会信用代码已登记在另一场所。", code="credit_code_taken")
    if check.check_failed and actor is None:
        raise ValidationFailed.field("credit_code", "校验位不符的代码需要由登录用户确认。")
    site.credit_code = check.code
    site.credit_code_check_failed = check.check_failed
    if check.check_failed and actor is not None:
        site.credit_code_confirmed_by_id = actor.id
        site.credit_code_confirmed_at = utcnow()
    else:
        site.credit_code_confirmed_by_id = None
        site.credit_code_confirmed_at = None


def _check_fields(data: dict[str, Any]) -> None:
    if "category" in data and data["category"] not in {c.value for c in SiteCategory}:
        raise ValidationFailed.field("category", "未知的场所类别。")
    if "domains" in data:
        unknown = [d for d in data["domains"] if d not in _DOMAINS]
        if unknown:
            raise ValidationFailed.field("domains", f"未知的监管领域：{'、'.join(unknown)}")
    if data.get("contact_mobile"):
        try:
            data["contact_mobile"] = normalize_mobile(data["contact_mobile"])
        except ValidationFailed as exc:
            message = "联系人手机号应为 11 位中国大陆手机号码。"
            raise ValidationFailed.field("contact_mobile", message) from exc
    if ("lng" in data) != ("lat" in data):
        raise ValidationFailed.field("lat", "经度和纬度需同时提供。")


def _grid(grid_id: int) -> Region:
    grid = db.session.get(Region, grid_id)
    if grid is None or grid.level != RegionLevel.GRID:
        raise ValidationFailed.field("grid_id", "所属网格不存在。")
    return grid


def create_site(data: dict[str, Any], *, actor: User | None) -> Site:
    """Register a 场所 in a grid; raises ValidationFailed/Conflict on bad data."""
    data = dict(data)
    _check_fields(data)
    grid = _grid(data.pop("grid_id"))
    domains = data.pop("domains", [])
    code = data.pop("credit_code", None)
    confirm = data.pop("credit_code_confirmed", False)
    site = Site(grid=grid, **{k: v for k, v in data.items() if k in _EDITABLE})
    site.domains = domains
    _apply_credit_code(site, code, confirm, actor)
    db.session.add(site)
    db.session.flush()
    _attach_risk_points(site, actor, data.get("risk_level"))
    return site


def _attach_risk_points(site: Site, actor: User | None, typed_level: str | None = None) -> None:
    """风险分级管控: a new site, or one whose category changed, gets its category's template risk points; a level
    typed at registration that differs from the computed one is kept as an override, shown as such."""
    from hazardloop.risk.assessment import hand_override
    from hazardloop.risk.catalog import attach_template_points

    if attach_template_points([site.id], actor=actor) and typed_level and actor is not None \
            and typed_level != site.risk_level:
        hand_override(site, actor=actor, level=typed_level)


def update_site(site: Site, data: dict[str, Any], *, actor: User | None) -> Site:
    """Change a site's details; a new grid must exist, a new credit code is checked again."""
    data = dict(data)
    _check_fields(data)
    if "grid_id" in data:
        site.grid = _grid(data.pop("grid_id"))
    if "domains" in data:
        site.domains = data.pop("domains")
    if "credit_code" in data:
        _apply_credit_code(site, data.pop("credit_code"), data.pop("credit_code_confirmed", False), actor)
    if "risk_level" in data and actor is not None:
        # 风险等级 is computed (hazardloop.risk); a hand-typed one is kept as an override, recorded as such.
        from hazardloop.risk.assessment import hand_override

        level = data.pop("risk_level")
        if level != site.risk_level:
            hand_override(site, actor=actor, level=level)
    category = site.category
    for key in _EDITABLE:
        if key in data:
            setattr(site, key, data[key])
    db.session.flush()
    if site.category != category:
        _attach_risk_points(site, actor)
    return site


def rotate_qr_token(site: Site) -> Site:
    """Issue a new QR token; the printed code with the old one stops working at once."""
    site.qr_token = new_qr_token()
    site.qr_rotated_at = utcnow()
    db.session.flush()
    return site


def filter_sites(query: Select[Any], args: dict[str, Any]) -> Select[Any]:
    """Apply the list filters of GET /sites."""
    if region_id := args.get("region"):
        region = db.session.get(Region, region_id)
        if region is None:
            return query.where(Site.id.is_(None))
        query = query.where(Site.grid_id.in_(grid_ids_under(region.path)))
    if category := args.get("category"):
        query = query.where(Site.category == category)
    if risk := args.get("risk_level"):
        query = query.where(Site.risk_level == risk)
    if domain := args.get("domain"):
        query = query.where(
            exists(select(SiteDomain.site_id).where(
                SiteDomain.site_id == Site.id, SiteDomain.domain == domain))
        )
    if q := args.get("q"):
        query = query.where(or_(Site.name.contains(q), Site.address.contains(q),
                                Site.credit_code == q.upper()))
    if not args.get("include_inactive"):
        query = query.where(Site.active.is_(True))
    return query
