"""/api/v1/circulars/…: stored 通报 — list, drafts, review, publish, archive, and the HTML/PDF/XLSX files.

The routes live on the circulars blueprint of hazards.routes (which also keeps the ad-hoc
POST /circulars); ``add_routes`` is called there once.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from hazardloop.accounts.auth import current_user
from hazardloop.policy import Action
from hazardloop.reports import circular_files, circulars
from hazardloop.reports.schemas import (
    CircularDetailSchema,
    CircularDraftCreateSchema,
    CircularListArgsSchema,
    CircularPageSchema,
    CircularPublishSchema,
    CircularUpdateSchema,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_routes(blp: Blueprint) -> None:
    @blp.route("", methods=["GET"])
    @blp.arguments(CircularListArgsSchema, location="query")
    @blp.response(200, CircularPageSchema)
    def list_circulars(args: dict[str, Any]) -> Any:
        """通报 I may see, newest first (``status``: draft / published / archived)."""
        result = circulars.page(current_user(), status=args.get("status"), cursor=args.get("cursor"),
                                limit=args["limit"])
        return {**result, "items": [circulars.summary(c) for c in result["items"]]}

    @blp.route("/drafts", methods=["POST"])
    @blp.arguments(CircularDraftCreateSchema)
    @blp.response(201, CircularDetailSchema)
    @blp.alt_response(404, description="街道、区或部门不在您的范围内")
    def create_circular_draft(args: dict[str, Any]) -> Any:
        """Draft a 通报 now for a street, department or the district and a week, month or custom period."""
        user = current_user()
        circular = circulars.create_draft(user, **args)
        return circulars.detail(circular, user), 201

    @blp.route("/<int:circular_id>", methods=["GET"])
    @blp.response(200, CircularDetailSchema)
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    def get_circular(circular_id: int) -> Any:
        """The whole circular: totals, overdue list with responsible units, 重大/挂牌督办, grids, commentary."""
        user = current_user()
        return circulars.detail(circulars.get_circular(circular_id, user), user)

    @blp.route("/<int:circular_id>", methods=["PATCH"])
    @blp.arguments(CircularUpdateSchema)
    @blp.response(200, CircularDetailSchema)
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    @blp.alt_response(409, description="已发布（circular_not_draft）或已被他人修改（stale_version）")
    def update_circular(args: dict[str, Any], circular_id: int) -> Any:
        """Review a draft: its title and commentary, with the version last read."""
        user = current_user()
        circular = circulars.get_circular(circular_id, user, Action.CIRCULAR_MANAGE)
        circulars.update_draft(circular, user, version=args["version"], title=args.get("title"),
                               commentary=args.get("commentary"), commentary_given="commentary" in args)
        return circulars.detail(circular, user)

    @blp.route("/<int:circular_id>/publish", methods=["POST"])
    @blp.arguments(CircularPublishSchema, required=False)
    @blp.response(200, CircularDetailSchema)
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    @blp.alt_response(409, description="已发布或已归档，或已被他人修改")
    def publish_circular_draft(args: dict[str, Any], circular_id: int) -> Any:
        """Publish a draft; every hazard it names gets its ``reported`` event."""
        user = current_user()
        circular = circulars.get_circular(circular_id, user, Action.CIRCULAR_MANAGE, lock=True)
        circulars.publish(circular, user, version=(args or {}).get("version"))
        return circulars.detail(circular, user)

    @blp.route("/<int:circular_id>/archive", methods=["POST"])
    @blp.response(200, CircularDetailSchema)
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    @blp.alt_response(409, description="只有已发布的通报可以归档")
    def archive_circular(circular_id: int) -> Any:
        """Archive a published circular."""
        user = current_user()
        circular = circulars.get_circular(circular_id, user, Action.CIRCULAR_MANAGE, lock=True)
        return circulars.detail(circulars.archive(circular, user), user)

    @blp.route("/<int:circular_id>.html", methods=["GET"])
    @blp.response(200, {"type": "string"}, content_type="text/html")
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    def circular_page(circular_id: int) -> Any:
        """The circular as a printable page."""
        circular = circulars.get_circular(circular_id, current_user())
        return Response(circular_files.render_html(circular), mimetype="text/html")

    @blp.route("/<int:circular_id>.pdf", methods=["GET"])
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    @blp.alt_response(503, description="服务器未安装 PDF 生成组件")
    def circular_pdf(circular_id: int) -> Any:
        """The circular as a PDF with a Chinese font."""
        circular = circulars.get_circular(circular_id, current_user())
        response = Response(circular_files.render_pdf(circular), mimetype="application/pdf")
        response.headers.set("Content-Disposition", "inline", filename=f"circular-{circular.id}.pdf")
        return response

    @blp.route("/<int:circular_id>.xlsx", methods=["GET"])
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    @blp.alt_response(404, description="通报不存在或不在您的范围内")
    def circular_xlsx(circular_id: int) -> Any:
        """附件: the circular's lists as an XLSX workbook."""
        circular = circulars.get_circular(circular_id, current_user())
        response = Response(circular_files.render_xlsx(circular), mimetype=XLSX)
        response.headers.set("Content-Disposition", "attachment", filename=f"circular-{circular.id}.xlsx")
        return response
