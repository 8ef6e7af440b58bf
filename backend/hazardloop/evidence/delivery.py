"""Photo files to the browser (照片下发): through the app, streamed, or by a short-lived signed address.

The bucket is never public. By default every photo file passes through the app, read from storage while
it is sent (a 15 MB original is never held whole in a web process). With ``PHOTO_SIGNED_URL_TTL_S`` > 0
and S3 storage, the app answers an authorized request with a redirect to a presigned GET of that one
object, valid that many seconds: the bytes then flow from the object store, not through the web nodes.
Either way the permission check is the app's, made on every request before anything is sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, redirect, request

from hazardloop.evidence import services
from hazardloop.evidence.models import Photo
from hazardloop.evidence.storage import S3Storage, build_storage, storage


def photo_response(photo: Photo, kind: str, cache_control: str, *, download_name: str | None = None) -> Response:
    """The answer to an authorized request for ``photo``'s ``kind`` file; raises NotFound when it cannot be had.

    A request whose If-None-Match names the current file is answered 304 before storage is touched.
    """
    etag = services.file_etag(photo, kind)
    if etag is not None and etag in request.if_none_match:
        response = Response(status=304)
        response.set_etag(etag)
        response.headers["Cache-Control"] = cache_control
        return response
    store = storage()
    ttl = int(current_app.config.get("PHOTO_SIGNED_URL_TTL_S") or 0)
    if ttl > 0 and isinstance(store, S3Storage):
        key, mime, etag = services.stored_file(photo, kind)
        response = redirect(store.signed_url(key, ttl, content_type=mime, download_name=download_name), 302)
        # The browser may reuse the redirect while the address it points to is still valid.
        response.headers["Cache-Control"] = f"private, max-age={max(0, ttl // 2)}"
        return response
    chunks, size, mime, etag = services.open_file(photo, kind)
    response = Response(chunks, mimetype=mime, direct_passthrough=True)
    response.content_length = size
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def signed_url_origin(config: Any) -> str | None:
    """The origin of the signed photo addresses (for the pages' CSP), or None when photos pass through the app."""
    if int(config.get("PHOTO_SIGNED_URL_TTL_S") or 0) <= 0 or config.get("PHOTO_STORAGE") != "s3":
        return None
    store = build_storage(config)
    assert isinstance(store, S3Storage)
    # Signing is local (no request): the address boto3 makes is the one browsers will be sent to.
    parts = urlsplit(store.signed_url("origin-probe", 60, content_type="image/jpeg"))
    return f"{parts.scheme}://{parts.netloc}"
