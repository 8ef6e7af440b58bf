"""Request and response shapes for photos."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for

from hazardloop.apitools import LocalDateTime


class PhotoLinkSchema(ma.Schema):
    subject_type = ma.fields.String()
    subject_id = ma.fields.Integer()
    role = ma.fields.String()
    answers_photo_id = ma.fields.String(allow_none=True,
                                        metadata={"description": "整改后照片对应的整改前照片"})


def _file_url(kind: str) -> ma.fields.Function:
    def url(photo: Any) -> str | None:
        key = getattr(photo, f"{kind}_key")
        if key is None:
            return None  # a row from before keys were set at upload
        from hazardloop.evidence.services import key_version

        return url_for("photos.photo_file", photo_id=photo.id, kind=kind, v=key_version(key))

    return ma.fields.Function(url, metadata={"description": "带版本号的地址，可长期缓存；为空表示尚未生成"})


EXIF_SHOWN_TO = "手机 EXIF 记录的时间/位置：仅上传者和有权下载原图者可见，其他人（如企业用户）为空"


class PhotoSchema(ma.Schema):
    id = ma.fields.String(metadata={"description": "原图 SHA-256（十六进制）"})
    media_type = ma.fields.String()
    byte_size = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    created_at = LocalDateTime()
    exif_taken_at = LocalDateTime(allow_none=True, metadata={"description": EXIF_SHOWN_TO})
    exif_lat = ma.fields.Float(allow_none=True, metadata={"description": EXIF_SHOWN_TO})
    exif_lng = ma.fields.Float(allow_none=True, metadata={"description": EXIF_SHOWN_TO})
    recorded_at = LocalDateTime(allow_none=True)
    recorded_lat = ma.fields.Float(allow_none=True)
    recorded_lng = ma.fields.Float(allow_none=True)
    site_id = ma.fields.Integer(allow_none=True)
    inspector_id = ma.fields.Integer(allow_none=True)
    hazard_number = ma.fields.String(allow_none=True)
    exif_time_offset_s = ma.fields.Integer(allow_none=True)
    exif_distance_m = ma.fields.Float(allow_none=True)
    exif_mismatch = ma.fields.Boolean(metadata={"description": "照片 EXIF 与检查记录的时间或位置相差过大"})
    derivatives_status = ma.fields.String(metadata={
        "description": "缩略图和副本：pending 后台生成中（此时请求文件会立即生成）、ready 已生成、failed 生成失败"})
    published = ma.fields.Function(lambda p: p.published_at is not None)
    links = ma.fields.List(ma.fields.Nested(PhotoLinkSchema))
    thumbnail_url = _file_url("thumbnail")
    evidence_url = _file_url("evidence")
    original_url = ma.fields.Function(
        lambda p: url_for("photos.photo_file", photo_id=p.id, kind="original"))
    public_url = ma.fields.Function(
        lambda p: url_for("photos.public_copy", photo_id=p.id) if p.published_at else None)


class WithoutExif:
    """A photo's record for someone who may not see its device metadata: EXIF time and place left empty."""

    HIDDEN = frozenset({"exif_taken_at", "exif_lat", "exif_lng", "exif_time_offset_s", "exif_distance_m"})

    def __init__(self, photo: Any) -> None:
        self._photo = photo

    def __getattr__(self, name: str) -> Any:
        return None if name in self.HIDDEN else getattr(self._photo, name)


class PhotoUploadFormSchema(ma.Schema):
    """multipart/form-data: the photo and, optionally, the SHA-256 the client computed."""

    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    sha256 = ma.fields.String(metadata={"description": "客户端计算的原图 SHA-256，用于校验传输完整性"})


class FileArgsSchema(ma.Schema):
    v = ma.fields.String(metadata={"description": "版本号（与当前一致时可永久缓存）"})
