"""/api/v1/checklist-publishing: 检查表发布 in the console — check an upload, publish it, download the current YAML."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint, local_isoformat
from hazardloop.checklists import publishing, services
from hazardloop.checklists.schemas import ChecklistSummarySchema
from hazardloop.database import local_zone
from hazardloop.downloads import content_disposition
from hazardloop.errors import NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.policy import Action

blp = blueprint("checklist_publishing", __name__, "/checklist-publishing", "检查表发布（管理员）")


def _admin() -> Any:
    user = current_user()
    if not policy.can_anywhere(user, Action.CHECKLIST_PUBLISH):
        raise NotFound("请求的资源不存在。")
    return user


def _upload() -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed.field("file", "请选择要上传的检查表文件（.yaml）。", "required")
    try:
        return upload.filename, upload.stream.read(publishing.MAX_BYTES + 1)
    finally:
        upload.close()


def _check_payload(check: publishing.Check) -> dict[str, Any]:
    doc = check.document
    return {
        "filename": check.filename,
        "ok": check.publishable,
        "unchanged": check.unchanged,
        "problems": [{"file": p.file, "line": p.line, "reason": p.reason, "text": str(p)} for p in check.problems],
        "checklist_id": doc.id if doc else None,
        "version": doc.version if doc else None,
        "title": doc.title if doc else None,
        "item_count": len(doc.items) if doc else None,
        "previous_version": check.previous.version if check.previous else None,
        "diff": check.diff,
        "content": dict(doc.data) if doc and not check.problems else None,
    }


@blp.route("", methods=["GET"])
@blp.response(200)
def list_current() -> Any:
    """The checklists in use, with their current version (for the publishing page)."""
    _admin()
    rows = []
    for version in services.current_versions():
        row = ChecklistSummarySchema().dump(version)
        row["published_at"] = local_isoformat(version.synced_at, local_zone())
        row["source_file"] = version.source_file
        rows.append(row)
    return rows


@blp.route("/check", methods=["POST"])
@blp.response(200)
def check() -> Any:
    """Check an uploaded file: its problems (file:line), or its preview and difference from the current version."""
    _admin()
    filename, raw = _upload()
    return _check_payload(publishing.check_upload(filename, raw))


@blp.route("/publish", methods=["POST"])
@blp.response(201)
def publish() -> Any:
    """Publish an uploaded file as a new immutable version (refused with its problems if it has any)."""
    user = _admin()
    filename, raw = _upload()
    version, check = publishing.publish_upload(user, filename, raw)
    db.session.commit()
    payload = _check_payload(check)
    payload.update(ok=True, published=ChecklistSummarySchema().dump(version))
    return payload


@blp.route("/<string:checklist_id>/source.yaml", methods=["GET"])
def download(checklist_id: str) -> Response:
    """The current version as a YAML file (re-uploading it publishes nothing new)."""
    _admin()
    filename, text = publishing.source_yaml(checklist_id)
    return Response(text.encode("utf-8"), mimetype="application/yaml",
                    headers={"Content-Disposition": content_disposition(filename)})
