"""/api/v1/sites."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint, paginate
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.sites import admin, services
from hazardloop.sites.audit import record_site_event
from hazardloop.sites.models import Site
from hazardloop.sites.schemas import (
    SiteCreateSchema,
    SiteDetailSchema,
    SitePageSchema,
    SiteQueryArgsSchema,
    SiteUpdateSchema,
)

blp = blueprint("sites", __name__, "/sites", "场所（生产经营单位）")


def _detail(site: Site) -> Site:
    site.allowed_actions = policy.allowed_actions(current_user(), site)  # type: ignore[attr-defined]
    return site


@blp.route("")
class Sites(MethodView):
    @blp.arguments(SiteQueryArgsSchema, location="query")
    @blp.response(200, SitePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Sites in my scope, filtered."""
        query = select(Site).where(policy.visible(current_user(), Site)).order_by(Site.id)
        return paginate(services.filter_sites(query, args), args["page"], args["per_page"])

    @blp.arguments(SiteCreateSchema)
    @blp.response(201, SiteDetailSchema)
    @blp.alt_response(403, description="无权在该网格登记场所")
    @blp.alt_response(409, description="统一社会信用代码已登记")
    def post(self, args: dict[str, Any]) -> Any:
        """Register a site in a grid I cover."""
        user = current_user()
        grid = db.session.get(Region, args["grid_id"])
        if grid is not None:
            policy.authorize(user, Action.SITE_CREATE, grid)
        site = services.create_site(args, actor=user)
        record_site_event("site_created", site, user, Action.SITE_CREATE, site.grid, note=f"登记场所：{site.name}")
        return _detail(site)


@blp.route("/<int:site_id>")
class SiteById(MethodView):
    @blp.response(200, SiteDetailSchema)
    @blp.alt_response(404, description="场所不存在或不在您的范围内")
    def get(self, site_id: int) -> Any:
        """One site."""
        site = services.get_site(site_id)
        policy.authorize(current_user(), Action.SITE_VIEW, site)
        return _detail(site)

    @blp.arguments(SiteUpdateSchema)
    @blp.response(200, SiteDetailSchema)
    @blp.alt_response(403, description="无权修改该场所")
    @blp.alt_response(404, description="场所不存在或不在您的范围内")
    def patch(self, args: dict[str, Any], site_id: int) -> Any:
        """Change a site's details."""
        user = current_user()
        site = services.get_site(site_id)
        policy.authorize(user, Action.SITE_UPDATE, site)
        if "grid_id" in args:
            grid = db.session.get(Region, args["grid_id"])
            if grid is not None:
                policy.authorize(user, Action.SITE_CREATE, grid)
        return _detail(admin.update_site(site, args, actor=user))


@blp.route("/by-qr/<string:token>", methods=["GET"])
@blp.response(200, SiteDetailSchema)
@blp.alt_response(404, description="二维码无效、已更换，或场所不在您的范围内")
def by_qr(token: str) -> Any:
    """The site a printed QR code names (the app opens /s/<token>)."""
    site = services.get_site_by_qr_token(token)
    policy.authorize(current_user(), Action.SITE_VIEW, site)
    return _detail(site)


@blp.route("/<int:site_id>/qr-token", methods=["POST"])
@blp.response(200, SiteDetailSchema)
@blp.alt_response(403, description="无权更换二维码")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def rotate_qr(site_id: int) -> Any:
    """Rotate the site's QR token; the old printed code stops working."""
    site = services.get_site(site_id)
    policy.authorize(current_user(), Action.SITE_ROTATE_QR, site)
    return _detail(services.rotate_qr_token(site))
