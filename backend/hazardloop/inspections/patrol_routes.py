"""/api/v1/patrols: the patrol plan (巡查计划) of the sites in my scope with their due control measure checks,
for the field app's 今日任务."""

from __future__ import annotations

import hashlib
from typing import Any

import marshmallow as ma
from flask import Response, make_response, request
from flask import json as flask_json

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import LocalDateTime, blueprint
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.inspections import patrols
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.regions.services import grid_ids_under
from hazardloop.sites.models import Site
from hazardloop.sites.schemas import SiteSchema

blp = blueprint("patrols", __name__, "/patrols", "巡查计划（按周期巡查每个场所）")


class PatrolQueryArgsSchema(ma.Schema):
    region = ma.fields.Integer(metadata={"description": "区域 id：只看该区域子树内的场所"})
    include_done = ma.fields.Boolean(load_default=False, metadata={"description": "也列出本期已巡查的场所"})


class MeasuresDueSchema(ma.Schema):
    count = ma.fields.Integer(metadata={"description": "本期未检查的控制措施（管控层级 街道/区）数"})
    overdue = ma.fields.Boolean(metadata={"description": "其中有已逾期的检查"})
    due_at = LocalDateTime(metadata={"description": "最早的检查期限"})
    names = ma.fields.List(ma.fields.String(), metadata={"description": "控制措施内容，期限早者在前"})
    checklist_ids = ma.fields.List(ma.fields.String(), metadata={"description": "措施对应检查条目所在的检查表"})
    reason = ma.fields.String(metadata={"description": "如「管控措施检查到期：疏散通道、安全出口保持畅通」"})


class PatrolStatusSchema(ma.Schema):
    site = ma.fields.Nested(SiteSchema)
    period = ma.fields.String(metadata={"description": "week / month / quarter / half_year / year"})
    period_label = ma.fields.String()
    last_patrolled_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(metadata={"description": "须在此时刻之前完成下一次巡查"})
    overdue = ma.fields.Boolean(metadata={"description": "已有整个周期未巡查"})
    patrolled_this_period = ma.fields.Boolean()
    period_ends_at = LocalDateTime(metadata={"description": "本周期结束时刻（离线时据此重新判断）"})
    patrol_due = ma.fields.Boolean(metadata={"description": "本期巡查尚未完成"})
    measure_checks = ma.fields.Nested(MeasuresDueSchema, allow_none=True,
                                      metadata={"description": "该场所到期的控制措施检查（与巡查同列）；无则为空"})
    reasons = ma.fields.List(ma.fields.String(), metadata={"description": "列入计划的原因"})


class PatrolPlanSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PatrolStatusSchema))
    total = ma.fields.Integer()
    overdue = ma.fields.Integer(metadata={"description": "巡查或控制措施检查已逾期的场所数"})


@blp.route("/due", methods=["GET"])
@blp.arguments(PatrolQueryArgsSchema, location="query")
@blp.response(200, PatrolPlanSchema)
@blp.alt_response(304, description="未变化（If-None-Match 命中）")
@blp.alt_response(404, description="区域不存在或不在您的范围内")
def due(args: dict[str, Any]) -> Response:
    """Sites in my scope not yet patrolled in their current period or owing a 控制措施检查 (管控层级 街道/区),
    each row carrying its due measure checks: overdue first, then by the earliest due time."""
    user = current_user()
    site_filter = policy.visible(user, Site, Action.SITE_PATROL_PLAN)
    if (region_id := args.get("region")) is not None:
        region = db.session.get(Region, region_id)
        if region is None or not policy.can(user, Action.REGION_VIEW, region):
            raise NotFound("区域不存在或不在您的范围内。")
        site_filter = site_filter & Site.grid_id.in_(grid_ids_under(region.path))
    statuses = patrols.patrol_plan(site_filter, include_done=args["include_done"])
    payload = PatrolPlanSchema().dump(
        {"items": statuses, "total": len(statuses), "overdue": sum(s.any_overdue for s in statuses)})
    body = flask_json.dumps(payload, ensure_ascii=False)
    response = make_response(body)
    response.mimetype = "application/json"
    # The plan changes with every patrol and at each period boundary: the ETag is the answer itself.
    response.set_etag(hashlib.sha256(body.encode()).hexdigest())
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)
