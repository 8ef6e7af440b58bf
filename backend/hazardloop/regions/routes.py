"""/api/v1/regions, /api/v1/departments and /api/v1/taxonomy."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from hazardloop import policy, taxonomy
from hazardloop.accounts.auth import current_user, public
from hazardloop.apitools import blueprint
from hazardloop.errors import Forbidden
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.regions import services
from hazardloop.regions.models import Department, Region
from hazardloop.regions.schemas import (
    DepartmentSchema,
    RegionCreateSchema,
    RegionDetailSchema,
    RegionQueryArgsSchema,
    RegionSchema,
    TaxonomySchema,
)
from hazardloop.taxonomy import RegionLevel

blp = blueprint("regions", __name__, "/regions", "区域树：区 → 街道/园区 → 社区 → 网格")
departments_blp = blueprint("departments", __name__, "/departments", "行业监管部门")
taxonomy_blp = blueprint("taxonomy", __name__, "/taxonomy", "领域、场所类别等字典")


@blp.route("")
class Regions(MethodView):
    @blp.arguments(RegionQueryArgsSchema, location="query")
    @blp.response(200, RegionDetailSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Regions in my scope, in tree order (by path)."""
        query = select(Region).where(policy.visible(current_user(), Region)).order_by(Region.path)
        if level := args.get("level"):
            query = query.where(Region.level == level)
        if within := args.get("within"):
            root = services.get_region(within)
            policy.authorize(current_user(), Action.REGION_VIEW, root)
            query = query.where(services.in_subtree(Region.path, root.path))
        regions = db.session.scalars(query).all()
        if args["with_boundary"]:
            return regions
        # Boundaries are large; the tree view does not need them.
        fields = RegionSchema().fields
        return [{name: getattr(r, name) for name in fields} for r in regions]

    @blp.arguments(RegionCreateSchema)
    @blp.response(201, RegionDetailSchema)
    @blp.alt_response(403, description="无权维护区域")
    def post(self, args: dict[str, Any]) -> Any:
        """Add a region-tree node (admin)."""
        if not policy.can_anywhere(current_user(), Action.REGION_MANAGE):
            raise Forbidden("只有系统管理员可以维护区域树。")
        parent = services.get_region(args["parent_id"]) if args.get("parent_id") else None
        return services.create_region(
            name=args["name"], level=RegionLevel(args["level"]), parent=parent,
            code=args.get("code"), boundary=args.get("boundary"),
        )


@blp.route("/<int:region_id>")
@blp.response(200, RegionDetailSchema)
@blp.alt_response(404, description="区域不存在或不在您的范围内")
def get_region(region_id: int) -> Any:
    """One region with its boundary."""
    region = services.get_region(region_id)
    policy.authorize(current_user(), Action.REGION_VIEW, region)
    return region


@departments_blp.route("")
@departments_blp.response(200, DepartmentSchema(many=True))
def list_departments() -> Any:
    """All supervising departments."""
    query = select(Department).where(policy.visible(current_user(), Department)).order_by(Department.id)
    return db.session.scalars(query).all()


@taxonomy_blp.route("")
@taxonomy_blp.response(200, TaxonomySchema)
@public
def get_taxonomy() -> Any:
    """The fixed vocabularies with their Chinese labels."""
    def pairs(labels: dict[Any, str]) -> list[dict[str, str]]:
        return [{"code": k.value, "label": v} for k, v in labels.items()]

    return {
        "domains": pairs(taxonomy.DOMAIN_LABELS),
        "site_categories": pairs(taxonomy.SITE_CATEGORY_LABELS),
        "risk_levels": pairs(taxonomy.RISK_LEVEL_LABELS),
        "region_levels": pairs(taxonomy.REGION_LEVEL_LABELS),
        "roles": pairs(taxonomy.ROLE_LABELS),
    }
