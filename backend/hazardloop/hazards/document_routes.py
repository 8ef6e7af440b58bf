"""/api/v1/documents (整改通知书, 复查意见书 as HTML and PDF) and /api/v1/hazards/export.xlsx (隐患台账)."""

from __future__ import annotations

from typing import Any

from flask import Response, send_file

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.downloads import content_disposition
from hazardloop.hazards import documents, ledger
from hazardloop.hazards.schemas import HazardQueryArgsSchema
from hazardloop.policy import Action
from hazardloop.replica import reads_replica

documents_blp = blueprint("documents", __name__, "/documents", "执法文书（整改通知书、复查意见书）")
documents_blp.template_folder = "templates"
ledger_blp = blueprint("hazard_ledger", __name__, "/hazards", "隐患台账")

HTML_DOC = {"type": "string", "description": "可打印的 HTML 页面"}
PDF_DOC = {"type": "string", "format": "binary", "description": "PDF（中文字体）"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_NAMES = {"order": "整改通知书", "verification": "复查意见书"}


class HazardExportArgsSchema(HazardQueryArgsSchema):
    """The list's filters and sort; the whole result, so no cursor or page size."""

    class Meta:
        exclude = ("cursor", "limit")


def _visible_document(document_id: int) -> Any:
    document = documents.get_document(document_id)
    policy.authorize(current_user(), Action.HAZARD_VIEW, document.hazard)
    return document


@documents_blp.route("/<int:document_id>")
@documents_blp.response(200, HTML_DOC, content_type="text/html")
@documents_blp.alt_response(404, description="文书不存在或其隐患不在您的范围内")
def document_page(document_id: int) -> Any:
    """整改通知书 / 复查意见书 as a printable page."""
    document = _visible_document(document_id)
    return Response(documents.render_html(document), mimetype="text/html")


@documents_blp.route("/<int:document_id>.pdf")
@documents_blp.response(200, PDF_DOC, content_type="application/pdf")
@documents_blp.alt_response(404, description="文书不存在或其隐患不在您的范围内")
@documents_blp.alt_response(503, description="服务器未安装 PDF 生成组件")
def document_pdf(document_id: int) -> Any:
    """整改通知书 / 复查意见书 as a PDF with a Chinese font."""
    document = _visible_document(document_id)
    response = Response(documents.render_pdf(document), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(_pdf_name(document), inline=True)
    return response


def _pdf_name(document: Any) -> str:
    """整改通知书_<文书编号>.pdf: what the file is, readable in a downloads folder."""
    return f"{PDF_NAMES.get(document.kind, '执法文书')}_{document.number}.pdf"


@ledger_blp.route("/export.xlsx")
@ledger_blp.arguments(HazardExportArgsSchema, location="query")
@ledger_blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
                     description="隐患台账（Excel），筛选条件与隐患列表相同，时间为本地时间")
@reads_replica
def export_ledger(args: dict[str, Any]) -> Any:
    """隐患台账: every hazard in my scope matching the list's filters, as an XLSX file."""
    response = send_file(ledger.write_xlsx(current_user(), args), mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition(ledger.filename())
    return response
