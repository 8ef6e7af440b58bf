"""Serve pwa/dist: hashed assets cached for good, the shell revalidated, app routes → index.html."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_from_directory
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

blp = Blueprint("web", __name__)

DEFAULT_DIST = Path(__file__).resolve().parents[3] / "pwa" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SHORT = "public, max-age=3600"
# Files whose name does not change between builds: the browser must ask every time.
SHELL_FILES = frozenset({"index.html", "sw.js", "manifest.webmanifest", "registerSW.js"})
MIME_TYPES = {".webmanifest": "application/manifest+json"}
# Text the browser can take gzipped: on a phone's slow line the app's JavaScript shrinks about threefold.
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".html", ".svg", ".json", ".webmanifest", ".txt"})
COMPRESS_MIN_BYTES = 1024

BUILD_HINT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>前端尚未构建</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.6">
<h1>现场端（PWA）尚未构建</h1>
<p>服务器没有找到 <code>{dist}/index.html</code>。请在项目根目录运行：</p>
<pre>./dev up</pre>
<p>或手动构建：</p>
<pre>cd pwa &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p>接口不受影响：API 在 <a href="/api/docs">/api/docs</a>。</p>
</body></html>
"""


class AppPathConverter(PathConverter):
    """Any path except /api and what lies under it, so the API's own 404 and 405 stay untouched."""

    regex = r"(?!api(?:/|$))[^/].*?"


@blp.record_once
def _add_converter(state: object) -> None:
    state.app.url_map.converters["apppath"] = AppPathConverter  # type: ignore[attr-defined]


def dist_dir() -> Path:
    return Path(current_app.config.get("PWA_DIST_DIR") or DEFAULT_DIST)


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime_ns: int, size: int) -> tuple[bytes, str]:
    """The file gzipped once per process and version (build files never change in place)."""
    body = gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)
    return body, hashlib.sha256(body).hexdigest()[:32]


def _accepts_gzip() -> bool:
    return any(part.split(";")[0].strip() == "gzip" and "q=0" not in part.replace(" ", "")
               for part in request.headers.get("Accept-Encoding", "").split(","))


def _send(dist: Path, name: str, cache_control: str) -> Response:
    mimetype = MIME_TYPES.get(Path(name).suffix)
    path = dist / name
    stat = path.stat()
    if Path(name).suffix in COMPRESSIBLE and stat.st_size >= COMPRESS_MIN_BYTES and _accepts_gzip():
        body, etag = _gzipped(str(path), stat.st_mtime_ns, stat.st_size)
        response = current_app.response_class(body, mimetype=mimetype or _guess(name))
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(etag)
        response.last_modified = stat.st_mtime
        response.make_conditional(request)
    else:
        response = send_from_directory(dist, name, mimetype=mimetype, max_age=None)
    # Caches must keep the gzipped and the plain answer apart.
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = cache_control
    return response


def _guess(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def cache_control_for(name: str) -> str:
    if name in SHELL_FILES:
        return REVALIDATE
    # Vite puts every content-hashed file under assets/.
    if name.startswith("assets/"):
        return IMMUTABLE
    return SHORT


@blp.get("/")
@blp.get("/<apppath:path>")
def serve(path: str = "") -> Response:
    """A file from the build, or the app shell for an app route such as /s/<token> or /sites/3."""
    dist = dist_dir()
    if not (dist / "index.html").is_file():
        response = current_app.response_class(
            BUILD_HINT.format(dist=dist), status=503, mimetype="text/html"
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    if path:
        candidate = safe_join(str(dist), path)
        if candidate is not None and Path(candidate).is_file():
            return _send(dist, path, cache_control_for(path))
        # A missing file (a name with an extension) is a 404, not the shell.
        if "." in path.rsplit("/", 1)[-1]:
            abort(404)
    return _send(dist, "index.html", REVALIDATE)
