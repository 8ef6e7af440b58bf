"""Security headers on every response, caching rules for API answers, and the trusted proxy hops.

One after-request hook sets, for every page and answer: the Content-Security-Policy (the PWA,
the console, the documents and Swagger UI work under it; ``frame-ancestors 'none'``),
X-Frame-Options, nosniff, Referrer-Policy, Permissions-Policy (camera and geolocation for the app
only) and, over https, HSTS. API answers that set no caching of their own are ``no-store``: the
session answer carries the CSRF token and most answers are personal. Every 429 carries Retry-After.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS = "max-age=31536000"
PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"
# JSON is data for scripts, never a document to render: nothing may load from it.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Pages whose address carries a secret (the site QR token) or a visitor's report: no Referer at all.
NO_REFERRER_PREFIXES = ("/s/", "/r/", "/api/v1/public/", "/api/v1/open311/")
DEFAULT_RETRY_AFTER_S = 60
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def tile_source(template: str | None) -> str | None:
    """The CSP source of the map tile server in TILE_URL_TEMPLATE (``{s}`` subdomains become ``*.``)."""
    if not template:
        return None
    parts = urlsplit(template)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        # A CSP wildcard may only stand for the leftmost labels.
        labels = ["*", *labels[templated[-1] + 1:]]
    port = port if port and "{" not in port else ""
    return f"{parts.scheme}://{'.'.join(labels)}{':' + port if port else ''}"


def content_security_policy(tile_url_template: str | None, script_hashes: tuple[str, ...] = (),
                            photo_origin: str | None = None) -> str:
    """The policy for pages: everything from this origin; images also from data:/blob: and the tile server.

    ``photo_origin``: the object store that signed photo addresses point to (PHOTO_SIGNED_URL_TTL_S), from
    which pages show images and the service worker fetches them.
    """
    images = ["'self'", "data:", "blob:"]
    if tiles := tile_source(tile_url_template):
        images.append(tiles)
    images += [photo_origin] if photo_origin else []
    scripts = ["'self'", *(f"'sha256-{h}'" for h in script_hashes)]
    # 'unsafe-inline' styles: ECharts' tooltips and the documents' <style> need them; scripts stay strict.
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *([photo_origin] if photo_origin else [])],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _inline_script_hashes(response: Response) -> tuple[str, ...]:
    """Hashes of the inline scripts of a generated page (Swagger UI's start-up script)."""
    body = response.get_data()
    return tuple(base64.b64encode(hashlib.sha256(script).digest()).decode() for script in _INLINE_SCRIPT.findall(body))


def _is_json(response: Response) -> bool:
    mimetype = response.mimetype or ""
    return mimetype == "application/json" or (mimetype.endswith("+json") and mimetype != "application/manifest+json")


def _cache_control(response: Response) -> None:
    """API answers are no-store unless the route chose caching on purpose (public/private, ETag)."""
    if not request.path.startswith("/api/v1/"):
        return
    chosen = response.headers.get("Cache-Control", "")
    if "public" in chosen or "private" in chosen or response.status_code == 304:
        return
    response.headers["Cache-Control"] = "no-store"


def _retry_after(response: Response) -> None:
    if response.status_code != 429 or "Retry-After" in response.headers:
        return
    wait = DEFAULT_RETRY_AFTER_S
    if _is_json(response) and not response.direct_passthrough:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            wait = max(1, int(json.loads(response.get_data()).get("retry_after") or wait))
    response.headers["Retry-After"] = str(wait)


def init_app(app: Flask) -> None:
    """Trust TRUSTED_PROXY_HOPS proxies' X-Forwarded-For/-Proto, and add the headers to every response."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0,  # type: ignore[method-assign]
                                x_prefix=0)
    from hazardloop.evidence.delivery import signed_url_origin

    photo_origin = signed_url_origin(app.config)
    page_policy = content_security_policy(app.config.get("TILE_URL_TEMPLATE"), photo_origin=photo_origin)
    docs_path = f"{app.config.get('OPENAPI_URL_PREFIX', '/api').rstrip('/')}{app.config.get('OPENAPI_SWAGGER_UI_PATH')}"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        if _is_json(response):
            headers["Content-Security-Policy"] = DATA_POLICY
        elif request.path == docs_path and response.mimetype == "text/html":
            headers["Content-Security-Policy"] = content_security_policy(
                app.config.get("TILE_URL_TEMPLATE"), _inline_script_hashes(response), photo_origin)
        elif "Content-Security-Policy" not in headers:
            # A route's own stricter policy stays (an original photo is answered with ``sandbox``).
            headers["Content-Security-Policy"] = page_policy
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = ("no-referrer" if request.path.startswith(NO_REFERRER_PREFIXES)
                                      else "strict-origin-when-cross-origin")
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        _cache_control(response)
        _retry_after(response)
        return response
