"""/api/v1/sites: 现场新增 (field registration), 新增场所审核, 合并, 歇业/注销 and 一企一档."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.evidence.models import PhotoLink, SubjectType
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.sites import admin, field, services
from hazardloop.sites.models import Site
from hazardloop.sites.schemas import (
    FieldSiteCreateSchema,
    PendingSiteSchema,
    SiteCloseSchema,
    SiteDetailSchema,
    SiteDossierSchema,
    SiteMergeSchema,
    SiteNearbyArgsSchema,
    SiteReopenSchema,
    SiteSuggestionSchema,
)

blp = blueprint("site_admin", __name__, "/sites", "场所管理：现场新增、审核、合并、歇业注销、一企一档")


def _detail(site: Site) -> Site:
    site.allowed_actions = policy.allowed_actions(current_user(), site)  # type: ignore[attr-defined]
    return site


def _site(site_id: int, action: Action) -> Site:
    site = services.get_site(site_id)
    policy.authorize(current_user(), action, site)
    return site


@blp.route("/field", methods=["POST"])
@blp.arguments(FieldSiteCreateSchema)
@blp.response(201, SiteDetailSchema, description="已登记为待审核的现场新增场所")
@blp.alt_response(200, schema=SiteDetailSchema, description="同一 client_uuid 再次提交：原样答复")
@blp.alt_response(404, description="网格不在您的范围内")
@blp.alt_response(409, description="client_uuid 已用于不同内容，或信用代码已登记")
def register_in_field(args: dict[str, Any]) -> Any:
    """现场新增场所: a 网格员 registers a site he found; usable at once, permanent after 审核."""
    user = current_user()
    grid = db.session.get(Region, args["grid_id"])
    if grid is not None:
        policy.authorize(user, Action.SITE_CREATE, grid)
    site, created = field.register_from_field(args, actor=user)
    return _detail(site), 201 if created else 200


@blp.route("/nearby", methods=["GET"])
@blp.arguments(SiteNearbyArgsSchema, location="query")
@blp.response(200, SiteSuggestionSchema(many=True))
def nearby(args: dict[str, Any]) -> Any:
    """Registered sites I can see that may be the same place: within a short distance or of a similar name."""
    return field.possible_duplicates(current_user(), name=args["name"], lat=args["lat"], lng=args["lng"],
                                     exclude_id=args["exclude"])


def _photo_ids(site_id: int) -> list[str]:
    return list(db.session.scalars(select(PhotoLink.photo_id).where(
        PhotoLink.subject_type == SubjectType.SITE.value, PhotoLink.subject_id == site_id).order_by(PhotoLink.id)))


@blp.route("/pending", methods=["GET"])
@blp.response(200, PendingSiteSchema(many=True))
def pending() -> Any:
    """新增场所审核: field-registered sites awaiting a supervisor, each with its possible duplicates."""
    user = current_user()
    sites = db.session.scalars(field.pending_query(user).limit(200)).all()
    for site in sites:
        _detail(site)
        site.duplicates = field.possible_duplicates(  # type: ignore[attr-defined]
            user, name=site.name, lat=site.lat, lng=site.lng, exclude_id=site.id)
        site.photo_ids = _photo_ids(site.id)  # type: ignore[attr-defined]
    return sites


@blp.route("/<int:site_id>/photos", methods=["GET"])
@blp.response(200, description="场所现场照片的 id 列表")
def site_photos(site_id: int) -> Any:
    """The photo ids of a site's 现场照片 (taken when it was registered in the field)."""
    _site(site_id, Action.SITE_VIEW)
    return {"photo_ids": _photo_ids(site_id)}


@blp.route("/<int:site_id>/approve", methods=["POST"])
@blp.response(200, SiteDetailSchema)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
@blp.alt_response(409, description="该场所不是待审核的现场新增场所")
def approve(site_id: int) -> Any:
    """新增场所审核 — 通过: the site becomes permanent."""
    site = field.approve(_site(site_id, Action.SITE_REVIEW), actor=current_user())
    return _detail(site)


@blp.route("/<int:site_id>/merge", methods=["POST"])
@blp.arguments(SiteMergeSchema)
@blp.response(200, SiteDetailSchema, description="保留的场所")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
@blp.alt_response(409, description="该场所已合并")
@blp.alt_response(422, description="目标场所无效")
def merge(args: dict[str, Any], site_id: int) -> Any:
    """合并重复场所: this site's inspections, hazards and photos move to ``target_id``; this one is retired."""
    source = _site(site_id, Action.SITE_MERGE)
    target = _site(args["target_id"], Action.SITE_MERGE)
    kept = admin.merge(source, target, actor=current_user(), reason=args.get("reason"))
    return _detail(kept)


@blp.route("/<int:site_id>/close", methods=["POST"])
@blp.arguments(SiteCloseSchema)
@blp.response(200, SiteDetailSchema)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
@blp.alt_response(409, description="已注销或已合并")
def close(args: dict[str, Any], site_id: int) -> Any:
    """歇业 or 注销 with date and reason: the site leaves the patrol plan."""
    site = admin.close(_site(site_id, Action.SITE_CLOSE), closure=args["closure"], closed_on=args["closed_on"],
                       reason=args["reason"], actor=current_user())
    return _detail(site)


@blp.route("/<int:site_id>/reopen", methods=["POST"])
@blp.arguments(SiteReopenSchema)
@blp.response(200, SiteDetailSchema)
@blp.alt_response(409, description="只有歇业的场所可以恢复营业")
def reopen(args: dict[str, Any], site_id: int) -> Any:
    """恢复营业 of a 歇业 site."""
    site = admin.reopen(_site(site_id, Action.SITE_CLOSE), actor=current_user(), reason=args["reason"])
    return _detail(site)


@blp.route("/<int:site_id>/dossier", methods=["PUT"])
@blp.arguments(SiteDossierSchema)
@blp.response(200, SiteDetailSchema)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def dossier(args: dict[str, Any], site_id: int) -> Any:
    """一企一档: licences with number and validity, responsible persons with phone, 重大危险源/危化品."""
    site = admin.update_dossier(_site(site_id, Action.SITE_DOSSIER), args, actor=current_user())
    return _detail(site)
