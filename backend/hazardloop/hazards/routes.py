"""/api/v1/hazards."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint, row_dumper
from hazardloop.database import local_zone
from hazardloop.hazards import queries, services
from hazardloop.hazards.detail import hazard_detail
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.schemas import (
    LEVEL_INPUT,
    HazardCreateSchema,
    HazardDetailSchema,
    HazardPageSchema,
    HazardQueryArgsSchema,
    HazardSchema,
    TransitionSchema,
    dump_detail,
)
from hazardloop.hazards.states import HazardLevel
from hazardloop.policy import Action

blp = blueprint("hazards", __name__, "/hazards", "隐患与闭环流程")

def _detail(hazard: Hazard) -> Response:
    # Built without marshmallow (the most read answer): HazardDetailSchema documents it, and
    # tests/hazards/test_detail_dump.py keeps dump_detail equal to the schema's dump.
    return jsonify(dump_detail(hazard_detail(current_user(), hazard), local_zone()))


@blp.route("")
class Hazards(MethodView):
    @blp.arguments(HazardQueryArgsSchema, location="query")
    @blp.response(200, HazardPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Hazards in my scope: filters, sorts, cursor pagination and counts by status."""
        result = queries.page(current_user(), args)
        result["items"] = [*map(row_dumper(HazardSchema), result["items"])]
        return jsonify(result)  # already dumped: HazardPageSchema documents it, row_dumper keeps it equal

    @blp.arguments(HazardCreateSchema)
    @blp.response(201, HazardDetailSchema)
    @blp.alt_response(200, schema=HazardDetailSchema, description="同一 client_uuid 重发")
    @blp.alt_response(404, description="场所不存在或不在您的范围内")
    @blp.alt_response(409, description="同一 client_uuid 已用于不同内容")
    def post(self, args: dict[str, Any]) -> Any:
        """随手拍: report a hazard without a checklist item (idempotent by client_uuid)."""
        hazard, created = services.report_hazard(
            current_user(), site_id=args["site_id"], description=args["description"],
            level=HazardLevel(LEVEL_INPUT[args["level"]]), domain=args["domain"], found_at=args["found_at"],
            photo_ids=args["photo_ids"], client_uuid=str(args["client_uuid"]), position=args.get("position"))
        return _detail(hazard), 201 if created else 200


@blp.route("/<int:hazard_id>")
@blp.response(200, HazardDetailSchema)
@blp.alt_response(404, description="隐患不存在或不在您的范围内")
def get_hazard(hazard_id: int) -> Any:
    """One hazard with its timeline, documents, 三标 references and the actions I may take."""
    hazard = services.get_hazard(hazard_id)
    policy.authorize(current_user(), Action.HAZARD_VIEW, hazard)
    return _detail(hazard)


@blp.route("/<int:hazard_id>/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, HazardDetailSchema)
@blp.alt_response(403, description="您的角色不能执行该操作")
@blp.alt_response(404, description="隐患不存在或不在您的范围内")
@blp.alt_response(409, description="当前状态不允许该操作（列出当前状态与可执行操作），或被他人抢先处理")
def fire_transition(args: dict[str, Any], hazard_id: int) -> Any:
    """Fire one workflow action (交办, 签收, 报告整改, 复查, 延期, 挂牌督办, 治理方案 …)."""
    user = current_user()
    hazard = services.get_hazard(hazard_id, lock=True)
    policy.authorize(user, Action.HAZARD_VIEW, hazard)
    action = args.pop("action")
    client_event_id = args.pop("client_event_id", None)
    client_time = args.pop("client_time", None)
    services.transition(hazard, action, actor=user, payload=args, client_event_id=client_event_id,
                        client_time=client_time)
    return _detail(hazard)
