"""Uploading photo files through the API, the way the PWA sends them."""

from __future__ import annotations

import io
from typing import Any


def upload(client: Any, data: bytes, filename: str = "IMG_0001.jpg", **fields: str) -> Any:
    """POST /api/v1/photos as multipart, the way the PWA sends a photo."""
    form = {"file": (io.BytesIO(data), filename), **fields}
    return client.post("/api/v1/photos", data=form, content_type="multipart/form-data")
