"""/api/v1/circulars…: 通报 — list, drafts, review, publish, archive, the HTML/PDF/XLSX files, the ad-hoc
circular naming hazards; and /api/v1/circular-drafts, an unsaved draft to look at."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.circulars import files, services
from hazardloop.circulars.schemas import (
    CircularCreateSchema,
    CircularDetailSchema,
    CircularDraftArgsSchema,
    CircularDraftCreateSchema,
    CircularDraftSchema,
    CircularListArgsSchema,
    CircularPageSchema,
    CircularPublishSchema,
    CircularSchema,
    CircularUpdateSchema,
)
from hazardloop.downloads import content_disposition
from hazardloop.errors import Forbidden
from hazardloop.hazards.services import get_hazard
from hazardloop.policy import Action
from hazardloop.replica import reads_replica
from hazardloop.taxonomy import Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = blueprint("circulars", __name__, "/circulars", "通报")
blp.template_folder = "templates"  # circulars/circular.html (circulars.files)
drafts_blp = blueprint("circular_drafts", __name__, "/circular-drafts", "通报草稿")


@blp.route("", methods=["POST"])
@blp.arguments(CircularCreateSchema)
@blp.response(201, CircularSchema)
@blp.alt_response(404, description="点名的隐患不存在或不在您的范围内")
def publish_circular(args: dict[str, Any]) -> Any:
    """通报: publish a circular naming hazards at once; each gets a reported event."""
    user = current_user()
    hazards = [get_hazard(i) for i in dict.fromkeys(args["hazard_ids"])]
    for hazard in hazards:
        policy.authorize(user, Action.HAZARD_PUBLISH_CIRCULAR, hazard)
    return services.publish_circular(title=args["title"], hazards=hazards, actor=user,
                                     commentary=args.get("commentary")), 201


@blp.route("", methods=["GET"])
@blp.arguments(CircularListArgsSchema, location="query")
@blp.response(200, CircularPageSchema)
@reads_replica
def list_circulars(args: dict[str, Any]) -> Any:
    """通报 I may see, newest first (``status``: draft / published / archived)."""
    result = services.page(current_user(), status=args.get("status"), cursor=args.get("cursor"),
                            limit=args["limit"])
    return {**result, "items": [services.summary(c) for c in result["items"]]}

@blp.route("/drafts", methods=["POST"])
@blp.arguments(CircularDraftCreateSchema)
@blp.response(201, CircularDetailSchema)
@blp.alt_response(404, description="街道、区或部门不在您的范围内")
def create_circular_draft(args: dict[str, Any]) -> Any:
    """Draft a 通报 now for a street, department or the district and a week, month or custom period."""
    user = current_user()
    circular = services.create_draft(user, **args)
    return services.detail(circular, user), 201

@blp.route("/<int:circular_id>", methods=["GET"])
@blp.response(200, CircularDetailSchema)
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@reads_replica
def get_circular(circular_id: int) -> Any:
    """The whole circular: totals, overdue list with responsible units, 重大/挂牌督办, grids, commentary."""
    user = current_user()
    return services.detail(services.get_circular(circular_id, user), user)

@blp.route("/<int:circular_id>", methods=["PATCH"])
@blp.arguments(CircularUpdateSchema)
@blp.response(200, CircularDetailSchema)
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@blp.alt_response(409, description="已发布（circular_not_draft）或已被他人修改（stale_version）")
def update_circular(args: dict[str, Any], circular_id: int) -> Any:
    """Review a draft: its title and commentary, with the version last read."""
    user = current_user()
    circular = services.get_circular(circular_id, user, Action.CIRCULAR_MANAGE)
    services.update_draft(circular, user, version=args["version"], title=args.get("title"),
                           commentary=args.get("commentary"), commentary_given="commentary" in args)
    return services.detail(circular, user)

@blp.route("/<int:circular_id>/publish", methods=["POST"])
@blp.arguments(CircularPublishSchema, required=False)
@blp.response(200, CircularDetailSchema)
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@blp.alt_response(409, description="已发布或已归档，或已被他人修改")
def publish_circular_draft(args: dict[str, Any], circular_id: int) -> Any:
    """Publish a draft; every hazard it names gets its ``reported`` event."""
    user = current_user()
    circular = services.get_circular(circular_id, user, Action.CIRCULAR_MANAGE, lock=True)
    services.publish(circular, user, version=(args or {}).get("version"))
    return services.detail(circular, user)

@blp.route("/<int:circular_id>/archive", methods=["POST"])
@blp.response(200, CircularDetailSchema)
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@blp.alt_response(409, description="只有已发布的通报可以归档")
def archive_circular(circular_id: int) -> Any:
    """Archive a published circular."""
    user = current_user()
    circular = services.get_circular(circular_id, user, Action.CIRCULAR_MANAGE, lock=True)
    return services.detail(services.archive(circular, user), user)

@blp.route("/<int:circular_id>.html", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="text/html")
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@reads_replica
def circular_page(circular_id: int) -> Any:
    """The circular as a printable page."""
    circular = services.get_circular(circular_id, current_user())
    return Response(files.render_html(circular), mimetype="text/html")

@blp.route("/<int:circular_id>.pdf", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@blp.alt_response(503, description="服务器未安装 PDF 生成组件")
@reads_replica
def circular_pdf(circular_id: int) -> Any:
    """The circular as a PDF with a Chinese font."""
    circular = services.get_circular(circular_id, current_user())
    response = Response(files.render_pdf(circular), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(files.file_name(circular, "pdf"), inline=True)
    return response

@blp.route("/<int:circular_id>.xlsx", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
@blp.alt_response(404, description="通报不存在或不在您的范围内")
@reads_replica
def circular_xlsx(circular_id: int) -> Any:
    """附件: the circular's lists as an XLSX workbook."""
    circular = services.get_circular(circular_id, current_user())
    response = Response(files.render_xlsx(circular), mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition(files.file_name(circular, "xlsx"))
    return response


@drafts_blp.route("")
class CircularDrafts(MethodView):
    @drafts_blp.arguments(CircularDraftArgsSchema, location="query")
    @drafts_blp.response(200, CircularDraftSchema)
    @reads_replica
    def get(self, args: dict[str, Any]) -> Any:
        """Weekly or monthly 通报 draft for my scope, narrowed to a street/region or a department (not stored)."""
        user = current_user()
        if not (user.has_role(Role.SUPERVISOR) or policy.can_anywhere(user, Action.HAZARD_PUBLISH_CIRCULAR)):
            raise Forbidden("只有监管人员可以生成通报。")
        draft = services.preview_draft(user, period=args["period"], day=args["date"], region_id=args.get("region"),
                                       department_id=args.get("department"))
        return {**services.draft_view(draft), "html": files.render_html(draft)}
