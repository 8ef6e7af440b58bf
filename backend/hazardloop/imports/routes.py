"""/api/v1/imports: upload a site file, follow its check, confirm it, download the template and the result."""

from __future__ import annotations

from typing import Any

from flask import request, send_file

from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.console.exports import XLSX
from hazardloop.downloads import content_disposition
from hazardloop.errors import Conflict, NotFound
from hazardloop.imports import services
from hazardloop.imports.schemas import (
    ImportJobDetailSchema,
    ImportJobListSchema,
    ImportJobSchema,
    ImportUploadFormSchema,
)
from hazardloop.policy import Action, holds

blp = blueprint("imports", __name__, "/imports", "批量导入（场所、用户、网格）")


def _detail(job: Any) -> Any:
    job.problems = services.problems_of(job)
    return job


def _xlsx(file: Any, name: str) -> Any:
    response = send_file(file, mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


@blp.route("", methods=["GET"])
@blp.response(200, ImportJobListSchema)
def list_imports() -> Any:
    """My latest imports (an administrator sees everyone's)."""
    return {"items": services.list_jobs(current_user())}


@blp.route("", methods=["POST"])
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": ImportUploadFormSchema}}})
@blp.response(201, ImportJobSchema, description="文件已收到，正在检查（试导入）")
@blp.alt_response(422, description="没有文件、文件类型不对或文件为空")
def upload_import() -> Any:
    """Upload a file of sites, users or grids (``kind``); a worker checks every row (nothing is written until
    confirmed)."""
    return services.start_import(user=current_user(), upload=request.files.get("file"),
                                 kind=request.form.get("kind") or "sites"), 201


@blp.route("/<int:import_id>", methods=["GET"])
@blp.response(200, ImportJobDetailSchema)
@blp.alt_response(404, description="导入任务不存在")
def get_import(import_id: int) -> Any:
    """One import: its status, progress, planned and applied counts, and the problems found."""
    return _detail(services.get_job(import_id, current_user()))


@blp.route("/<int:import_id>/confirm", methods=["POST"])
@blp.response(202, ImportJobSchema, description="已确认，正在导入")
@blp.alt_response(404, description="导入任务不存在")
@blp.alt_response(409, description="尚未检查完成、仍有问题，或已确认过")
def confirm_import(import_id: int) -> Any:
    """Apply a checked file that has no problem (a worker imports it in batches)."""
    user = current_user()
    return services.confirm_import(services.get_job(import_id, user, lock=True), user), 202


@blp.route("/<int:import_id>/result.xlsx", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX, description="每行的导入结果")
@blp.alt_response(404, description="导入任务不存在")
@blp.alt_response(409, description="尚未导入完成")
def import_result(import_id: int) -> Any:
    """Each row's outcome (新建 / 更新 / 未变 / 未导入) as a spreadsheet."""
    job = services.get_job(import_id, current_user())
    if job.status != "done":
        raise Conflict("导入尚未完成，完成后可下载结果。", code="import_not_done")
    return _xlsx(services.result_xlsx(job), f"{services.KIND_TITLES[job.kind]}导入结果_{job.id}.xlsx")


@blp.route("/templates/sites.xlsx", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX, description="场所导入模板")
@blp.alt_response(404, description="您的角色不能批量导入")
def site_template() -> Any:
    """The site template with the columns, an example row and the values allowed."""
    user = current_user()
    if not holds(user, Action.IMPORT_SITES):
        raise NotFound("请求的资源不存在。")
    return _xlsx(services.template_xlsx(user), "场所导入模板.xlsx")


@blp.route("/templates/<any(users, grids):kind>.xlsx", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX, description="用户或网格导入模板")
@blp.alt_response(404, description="您的角色不能批量导入")
def kind_template(kind: str) -> Any:
    """The users or grids template with the columns, an example row and what I may fill in."""
    user = current_user()
    if not holds(user, Action.IMPORT_SITES):
        raise NotFound("请求的资源不存在。")
    return _xlsx(services.kind_template_xlsx(user, kind), f"{services.KIND_TITLES[kind]}导入模板.xlsx")
