"""/api/v1/risk: a site's 风险点 and level with reasons, 风险评价, review, overrides, region levels and the scales."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import and_, select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.console.exports import XLSX, Sheet, xlsx_response
from hazardloop.console.services import console_scope, scope_site_filter
from hazardloop.downloads import content_disposition
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.regions.services import grid_ids_under, in_subtree
from hazardloop.replica import reads_replica
from hazardloop.risk import assessment, detail, documents, levels, measures
from hazardloop.risk import rules as R
from hazardloop.risk.schemas import (
    AssessSchema,
    MeasureDueArgsSchema,
    MeasureDueSchema,
    OverrideInSchema,
    OverviewArgsSchema,
    PointCreateSchema,
    RegionRiskSchema,
    ReviewArgsSchema,
    ReviewListSchema,
    ReviewSchema,
    RiskOverviewSchema,
    RulesSchema,
    SiteRiskSchema,
)
from hazardloop.sites.models import Site
from hazardloop.sites.services import get_site

blp = blueprint("risk", __name__, "/risk", "风险分级管控")


def _site(site_id: int, action: Action = Action.SITE_VIEW) -> Any:
    site = get_site(site_id)
    policy.authorize(current_user(), action, site)
    return site


@blp.route("/rules")
@blp.response(200, RulesSchema)
def rules_view() -> Any:
    """The scales, bands and 重大 conditions of config/risk.yaml, for the assessment forms."""
    rules = R.load_rules()
    raw = rules.raw
    return {
        "lec": {f: raw["lec"][f] for f in R.FACTORS["lec"]},
        "matrix": {f: raw["matrix"][f] for f in R.FACTORS["matrix"]},
        "bands": {m: raw[m]["bands"] for m in R.METHODS},
        "major_conditions": list(raw.get("major_conditions") or []),
        "levels": list(raw.get("levels") or []),
    }


@blp.route("/sites/<int:site_id>")
@blp.response(200, SiteRiskSchema)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def site_risk(site_id: int) -> Any:
    """The site's level with its reasons (and an assessor's override, shown as such) and its 风险点."""
    site = _site(site_id)
    return detail.site_risk(site, current_user())


@blp.route("/sites/<int:site_id>/points", methods=["POST"])
@blp.arguments(PointCreateSchema)
@blp.response(201, SiteRiskSchema)
@blp.alt_response(403, description="无权为该场所添加风险点")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def add_point(args: dict[str, Any], site_id: int) -> Any:
    """Add a risk point of the site's own (it counts once assessed and accepted)."""
    site = _site(site_id, Action.SITE_RISK_ASSESS)
    assessment.add_point(site, actor=current_user(), data=args)
    return detail.site_risk(site, current_user())


@blp.route("/points/<int:point_id>/assessments", methods=["POST"])
@blp.arguments(AssessSchema)
@blp.response(201, SiteRiskSchema)
@blp.alt_response(403, description="无权评估该风险点")
@blp.alt_response(404, description="风险点不存在或不在您的范围内")
@blp.alt_response(409, description="已有待审核的评估")
def assess(args: dict[str, Any], point_id: int) -> Any:
    """Assess a risk point by LEC (l, e, c) or the matrix (l, s), with the reason and any 重大 condition."""
    user = current_user()
    point = assessment.get_point(point_id, user, Action.SITE_RISK_ASSESS)
    inputs = {k: args[k] for k in ("l", "e", "c", "s") if k in args}
    assessment.assess(point, actor=user, method=args["method"], inputs=inputs, reason=args.get("reason"),
                    major_condition=args.get("major_condition"))
    return detail.site_risk(point.site, user)


@blp.route("/assessments/<int:assessment_id>/review", methods=["POST"])
@blp.arguments(ReviewSchema)
@blp.response(200, SiteRiskSchema)
@blp.alt_response(403, description="无权审核")
@blp.alt_response(404, description="评估不存在或不在您的范围内")
@blp.alt_response(409, description="该评估已审核")
def review(args: dict[str, Any], assessment_id: int) -> Any:
    """Accept an assessment (it then counts toward the site's level) or return it with a reason."""
    user = current_user()
    submitted = assessment.get_assessment(assessment_id, user, Action.SITE_RISK_REVIEW)
    assessment.review(submitted, actor=user, decision=args["decision"], note=args.get("note"))
    return detail.site_risk(submitted.point.site, user)


@blp.route("/reviews")
@blp.arguments(ReviewArgsSchema, location="query")
@blp.response(200, ReviewListSchema)
def reviews(args: dict[str, Any]) -> Any:
    """Assessments waiting for review in my scope (optionally within a region), oldest first."""
    return {"items": detail.pending_reviews(current_user(), args.get("region_id"))}


@blp.route("/sites/<int:site_id>/override", methods=["PUT"])
@blp.arguments(OverrideInSchema)
@blp.response(200, SiteRiskSchema)
@blp.alt_response(403, description="无权调整风险等级")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def override(args: dict[str, Any], site_id: int) -> Any:
    """Set (with a reason) or clear an assessor's override of the computed level."""
    site = _site(site_id, Action.SITE_RISK_OVERRIDE)
    assessment.set_override(site, actor=current_user(), level=args.get("level"), reason=args.get("reason"))
    return detail.site_risk(site, current_user())


@blp.route("/overview")
@blp.arguments(OverviewArgsSchema, location="query")
@blp.response(200, RiskOverviewSchema)
@blp.alt_response(404, description="区域或部门不存在，或不在您的范围内")
@reads_replica
def risk_overview(args: dict[str, Any]) -> Any:
    """Sites in my scope by level, and the changes of level over the last ``days`` days (for the console);
    ``region_id``/``department_id`` narrow it as they narrow the console's overview."""
    user = current_user()
    sites = None
    if args.get("region_id") is not None or args.get("department_id") is not None:
        sites = scope_site_filter(console_scope(user, args.get("region_id"), args.get("department_id")))
    return levels.overview(user, days=args["days"], site_filter=sites)


@blp.route("/measures/due")
@blp.arguments(MeasureDueArgsSchema, location="query")
@blp.response(200, MeasureDueSchema)
@blp.alt_response(404, description="区域不存在或不在您的范围内")
def measures_due(args: dict[str, Any]) -> Any:
    """控制措施检查 due in my scope (the enterprise: its own 自查 tiers; officials: 街道/区 tiers), overdue first."""
    user = current_user()
    site_filter = policy.visible(user, Site, Action.SITE_INSPECT)
    if (region_id := args.get("region")) is not None:
        region = db.session.get(Region, region_id)
        if region is None or not policy.can(user, Action.REGION_VIEW, region):
            raise NotFound("区域不存在或不在您的范围内。")
        site_filter = site_filter & Site.grid_id.in_(grid_ids_under(region.path))
    checks = measures.measure_checks(site_filter, checker=measures.checker_of(user),
                                     include_done=args["include_done"])
    return {"items": checks, "total": len(checks), "overdue": sum(c.overdue for c in checks)}


@blp.route("/regions/<int:region_id>")
@blp.response(200, RegionRiskSchema)
@blp.alt_response(404, description="区域不存在或不在您的范围内")
@reads_replica
def region_risk(region_id: int) -> Any:
    """A grid's, community's or street's level by the rule of config/risk.yaml, with its reasons."""
    region = db.session.get(Region, region_id)
    if region is None or not policy.can(current_user(), Action.REGION_VIEW, region):
        raise NotFound("区域不存在。")
    level = levels.region_levels([region])[region.id]
    return {"region_id": region.id, "name": region.name, **level.as_dict()}


BINARY = {"type": "string", "format": "binary"}


@blp.route("/sites/<int:site_id>/inventory.xlsx")
@blp.response(200, BINARY, content_type=XLSX, description="风险分级管控清单（一个场所）")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
@reads_replica
def site_inventory(site_id: int) -> Any:
    """The site's 风险分级管控清单: each risk point, its assessment, level and control measures."""
    site = _site(site_id)
    sheet = Sheet("风险分级管控清单", documents.INVENTORY_HEADERS, documents.INVENTORY_WIDTHS,
                  documents.inventory_rows(Site.id == site.id))
    return xlsx_response([sheet], f"风险分级管控清单_{site.name}")


@blp.route("/regions/<int:region_id>/inventory.xlsx")
@blp.response(200, BINARY, content_type=XLSX, description="风险分级管控清单（街道、社区或网格内全部场所）")
@blp.alt_response(404, description="区域不存在或不在您的范围内")
@reads_replica
def region_inventory(region_id: int) -> Any:
    """The 风险分级管控清单 of every site I may see in a street, community or grid."""
    user = current_user()
    region = db.session.get(Region, region_id)
    if region is None or not policy.can(user, Action.REGION_VIEW, region):
        raise NotFound("区域不存在。")
    where = and_(policy.visible(user, Site), Site.active.is_(True),
                 Site.grid_id.in_(select(Region.id).where(in_subtree(Region.path, region.path))))
    rows = documents.inventory_rows(where)
    sheet = Sheet("风险分级管控清单", documents.INVENTORY_HEADERS, documents.INVENTORY_WIDTHS, rows)
    return xlsx_response([sheet], f"风险分级管控清单_{region.name}")


@blp.route("/points/<int:point_id>/card.pdf")
@blp.response(200, BINARY, content_type="application/pdf", description="岗位风险告知卡（A5，含场所二维码）")
@blp.alt_response(404, description="风险点不存在或不在您的范围内")
def risk_card(point_id: int) -> Any:
    """The 岗位风险告知卡 of one risk point, to print and post at the place."""
    point = assessment.get_point(point_id, current_user())
    response = Response(documents.risk_card_pdf(point), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(f"岗位风险告知卡_{point.name}.pdf", inline=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
