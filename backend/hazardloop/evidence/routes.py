"""/api/v1/photos."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from hazardloop import policy
from hazardloop.accounts.auth import current_user, public
from hazardloop.apitools import blueprint
from hazardloop.downloads import content_disposition
from hazardloop.errors import NotFound, ValidationFailed
from hazardloop.evidence import services
from hazardloop.evidence.delivery import photo_response
from hazardloop.evidence.incoming import IncomingFile, MalformedUpload, UploadTooLarge, receive_multipart
from hazardloop.evidence.models import Photo
from hazardloop.evidence.schemas import PhotoSchema, PhotoUploadFormSchema, WithoutExif
from hazardloop.evidence.storage import storage
from hazardloop.policy import Action

blp = blueprint("photos", __name__, "/photos", "照片证据")

# Room for the multipart envelope and the small form fields around the file.
MULTIPART_SLACK = 64 * 1024
YEAR = 365 * 24 * 3600
FILE_ACTIONS = {"thumbnail": Action.PHOTO_VIEW, "evidence": Action.PHOTO_VIEW,
                "original": Action.PHOTO_ORIGINAL}


def _upload() -> tuple[IncomingFile, str | None]:
    """The file, streamed to a temporary file while hashed; an oversize body is refused as it arrives.

    A declared Content-Length over the limit is refused before anything is read.
    """
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit + MULTIPART_SLACK:
        raise services.too_large(limit)
    request.max_content_length = limit + MULTIPART_SLACK  # also bounds a chunked body
    try:
        form = receive_multipart(request.stream.read, request.headers.get("Content-Type", ""), file_field="file",
                                 directory=storage().incoming_dir(), limit=limit)
    except (RequestEntityTooLarge, UploadTooLarge) as exc:
        raise services.too_large(limit) from exc
    except MalformedUpload as exc:
        raise ValidationFailed.field("file", "上传内容不是有效的 multipart/form-data 表单。", "malformed") from exc
    if form.file is None:
        raise ValidationFailed.field("file", "请选择要上传的照片（表单字段 file）。", "required")
    return form.file, form.fields.get("sha256") or None


@blp.route("", methods=["POST"])
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": PhotoUploadFormSchema}}})
@blp.response(201, PhotoSchema, description="新照片")
@blp.alt_response(200, schema=PhotoSchema, description="同一文件此前已上传：返回同一张照片")
@blp.alt_response(413, description="文件过大")
@blp.alt_response(422, description="不是可接受的照片（空文件、非图片、损坏、截断、夹带内容、动图、像素过多）")
def upload_photo() -> Any:
    """Upload a photo; the id is the SHA-256 of its bytes, so a repeated upload is harmless."""
    incoming, declared = _upload()
    photo, created = services.receive_photo(incoming, uploader=current_user(), declared_sha256=declared)
    return photo, 201 if created else 200


@blp.route("/<photo_id>", methods=["GET"])
@blp.response(200, PhotoSchema)
@blp.alt_response(404, description="照片不存在或不在您的范围内（HEAD 可在上传前按哈希询问）")
def get_photo(photo_id: str) -> Photo | WithoutExif:
    """One photo's record, by the SHA-256 of its original (HEAD answers "already have it")."""
    user = current_user()
    photo = services.get_photo(photo_id.lower())
    policy.authorize(user, Action.PHOTO_VIEW, photo)
    return photo if policy.can_see_photo_metadata(user, photo) else WithoutExif(photo)


@blp.route("/<photo_id>/<any(thumbnail, evidence, original):kind>", methods=["GET"])
@blp.doc(responses={"200": {"description": "图片文件（带 ETag）"}, "304": {"description": "未修改"}})
@blp.alt_response(404, description="照片不存在、不在您的范围内或尚未生成")
def photo_file(photo_id: str, kind: str) -> Response:
    """The thumbnail (~320 px), the watermarked evidence copy (≤1600 px) or the untouched original."""
    photo = services.get_photo(photo_id.lower())
    policy.authorize(current_user(), FILE_ACTIONS[kind], photo)
    etag = services.file_etag(photo, kind)
    immutable = kind == "original" or (etag is not None and request.args.get("v") == etag.rsplit("-", 1)[-1])
    cache = f"private, max-age={YEAR}, immutable" if immutable else "private, no-cache"
    if kind != "original":
        return photo_response(photo, kind, cache)
    # Never rendered inline: the bytes are the uploader's, only checked, never re-encoded.
    ext = {"jpeg": "jpg", "heif": "heic"}.get(photo.media_type, photo.media_type)
    name = f"{photo.id[:16]}.{ext}"
    response = photo_response(photo, kind, cache, download_name=name)
    if response.status_code != 302:  # a signed address fixes the download's name itself
        response.headers["Content-Disposition"] = content_disposition(name)
        response.headers["Content-Security-Policy"] = "sandbox"
    return response


@blp.route("/<photo_id>/public", methods=["GET"])
@blp.doc(responses={"200": {"description": "公开副本（已去除全部元数据，无水印）"}})
@blp.alt_response(404, description="照片不存在或未公开")
@public
def public_copy(photo_id: str) -> Response:
    """The public copy (no metadata, no watermark) of a photo of a hazard made public."""
    photo = services.get_photo(photo_id.lower())
    if photo.published_at is None:
        raise NotFound("照片不存在。")
    # Shared caches may keep it, but only for a day: a hazard can be withdrawn from public view.
    return photo_response(photo, "public", "public, max-age=86400")
