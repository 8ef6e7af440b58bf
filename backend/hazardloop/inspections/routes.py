"""/api/v1/inspections."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint, paginate
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.inspections import services
from hazardloop.inspections.models import Inspection
from hazardloop.inspections.schemas import (
    InspectionCreateSchema,
    InspectionDetailSchema,
    InspectionPageSchema,
    InspectionQueryArgsSchema,
)
from hazardloop.policy import Action

blp = blueprint("inspections", __name__, "/inspections", "检查记录（离线提交、幂等）")


def _detail(inspection: Inspection) -> services.InspectionDetail:
    return services.inspection_detail(current_user(), inspection)


@blp.route("")
class Inspections(MethodView):
    @blp.arguments(InspectionQueryArgsSchema, location="query")
    @blp.response(200, InspectionPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Inspections in my scope, newest first."""
        query = select(Inspection).where(policy.visible(current_user(), Inspection))
        if site := args.get("site"):
            query = query.where(Inspection.site_id == site)
        if mode := args.get("mode"):
            query = query.where(Inspection.mode == mode)
        return paginate(query.order_by(Inspection.id.desc()), args["page"], args["per_page"])

    @blp.arguments(InspectionCreateSchema)
    @blp.response(201, InspectionDetailSchema)
    @blp.alt_response(200, schema=InspectionDetailSchema, description="同一 client_uuid 重发：返回已存结果")
    @blp.alt_response(404, description="场所不存在或不在您的范围内")
    @blp.alt_response(409, description="同一 client_uuid 已提交过不同内容")
    def post(self, args: dict[str, Any]) -> Any:
        """Submit a complete inspection (idempotent by client_uuid); 不符合 answers become hazards."""
        inspection, created = services.submit_inspection(args, actor=current_user())
        # Commit before building the answer: the site's row lock and the hazard-number counter (held
        # until commit) are released a few queries sooner, which is what other phones queue for. The
        # answer is what this transaction wrote (the numbers too, see hazards.services._number_hazards):
        # the session keeps its objects' values instead of reading the inspection, its hazards and the
        # user's grants back (7 statements of ~50).
        session = db.session()
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
        return _detail(inspection), 201 if created else 200


@blp.route("/<int:inspection_id>")
@blp.response(200, InspectionDetailSchema)
@blp.alt_response(404, description="检查记录不存在或不在您的范围内")
def get_inspection(inspection_id: int) -> Any:
    """One inspection with its answers and the hazards it found."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound("检查记录不存在。")
    policy.authorize(current_user(), Action.INSPECTION_VIEW, inspection)
    return _detail(inspection)
