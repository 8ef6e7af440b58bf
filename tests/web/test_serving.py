"""The field app is served at / : hashed assets cached for good, the shell revalidated, /api untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse as Response

from tests.conftest import assert_problem, make_test_config


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A stand-in for pwa/dist with the files a Vite + vite-plugin-pwa build writes."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "icons").mkdir()
    (root / "index.html").write_text('<!doctype html><title>隐患排查</title><div id="app"></div>', "utf-8")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (root / "manifest.webmanifest").write_text('{"name": "隐患排查"}', "utf-8")
    (root / "assets" / "index-Ab12Cd34.js").write_text("console.log(1);")
    (root / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


def _app(tmp_path: Path, redis_url: str, dist: Path) -> Flask:
    from hazardloop import create_app

    config = make_test_config(f"sqlite:///{tmp_path / 'web.db'}", redis_url, tmp_path)
    return create_app({**config, "SCHEMA_CHECK": False, "PWA_DIST_DIR": str(dist)})


def fetch(app: Flask, path: str, method: str = "GET") -> Response:
    """Make a request and read the body, closing the file a static response streams from."""
    response = app.test_client().open(path, method=method)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def web(tmp_path: Path, redis_url: str, dist: Path) -> Iterator[Flask]:
    app = _app(tmp_path, redis_url, dist)
    with app.app_context():
        yield app


def test_root_serves_the_shell_revalidated(web: Flask) -> None:
    response = fetch(web, "/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "隐患排查" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/s/Qr7token-x", "/sites", "/sites/12", "/drafts/3f2a", "/outbox", "/snap"])
def test_app_routes_fall_back_to_the_shell(web: Flask, path: str) -> None:
    response = fetch(web, path)
    assert response.status_code == 200
    assert 'id="app"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_for_good(web: Flask) -> None:
    response = fetch(web, "/assets/index-Ab12Cd34.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(("path", "mimetype"), [
    ("/sw.js", "text/javascript"),
    ("/manifest.webmanifest", "application/manifest+json"),
])
def test_worker_and_manifest_are_revalidated(web: Flask, path: str, mimetype: str) -> None:
    response = fetch(web, path)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == "no-cache"


def test_other_static_files_get_a_short_cache(web: Flask) -> None:
    response = fetch(web, "/icons/icon-192.png")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def test_a_missing_file_is_404_not_the_shell(web: Flask) -> None:
    assert fetch(web, "/assets/gone-1234.js").status_code == 404


def test_paths_outside_dist_are_refused(web: Flask) -> None:
    assert fetch(web, "/../secret.txt").status_code == 404
    assert fetch(web, "/assets/..%2f..%2fweb.db").status_code == 404


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/no-such-thing", 404),
    ("POST", "/api/v1/no-such-thing", 404),
    ("GET", "/api/nothing", 404),
    ("GET", "/api", 404),
    ("DELETE", "/api/v1/sites", 405),
])
def test_api_errors_stay_problem_json(web: Flask, method: str, path: str, status: int) -> None:
    assert_problem(fetch(web, path, method), status)


def test_api_still_answers(web: Flask) -> None:
    response = fetch(web, "/api/openapi.json")
    assert response.status_code == 200
    assert response.is_json


def test_without_a_build_a_page_says_how_to_build(tmp_path: Path, redis_url: str) -> None:
    app = _app(tmp_path, redis_url, tmp_path / "no-dist")
    response = fetch(app, "/sites/1")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "npm ci" in body and "npm run build" in body
    assert "./dev up" in body


def test_text_assets_go_gzipped_to_browsers_that_accept_it(tmp_path: Path, redis_url: str, dist: Path) -> None:
    import gzip

    script = "console.log('隐患排查治理');\n" * 200
    (dist / "assets" / "big-Zz99Yy88.js").write_text(script, "utf-8")
    app = _app(tmp_path, redis_url, dist)
    client = app.test_client()

    packed = client.get("/assets/big-Zz99Yy88.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(packed.data).decode("utf-8") == script
    assert len(packed.data) < len(script.encode("utf-8")) / 3
    again = client.get("/assets/big-Zz99Yy88.js", headers={
        "Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304

    plain = client.get("/assets/big-Zz99Yy88.js")
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True) == script
    plain.close()
    refused = client.get("/assets/big-Zz99Yy88.js", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    refused.close()
    # Images are compressed already; tiny files are not worth it.
    assert "Content-Encoding" not in fetch(app, "/icons/icon-192.png").headers
