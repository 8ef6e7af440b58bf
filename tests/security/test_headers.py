"""Security headers on every kind of page and answer, caching of personal answers, the Secure cookie, HSTS."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from hazardloop.security import content_security_policy, tile_source
from tests.conftest import assert_problem

REFERRER_POLICIES = {"strict-origin-when-cross-origin", "same-origin", "strict-origin", "no-referrer"}


def fetch(app, path: str, **kwargs):
    """GET ``path`` and close the answer (files are streamed)."""
    response = app.test_client().get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, (response.status_code, response.request.path, dict(response.headers))
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_hardened(response) -> dict[str, list[str]]:
    """The headers every response carries, whatever it is."""
    csp = directives(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in REFERRER_POLICIES
    permissions = response.headers["Permissions-Policy"]
    assert "camera=(self)" in permissions and "geolocation=(self)" in permissions
    assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS
    return csp


@pytest.fixture
def dist(app, tmp_path, monkeypatch):
    """A built app shell (what pwa/dist holds) served from a temporary folder."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script type="module" src="/assets/a.js"></script>')
    (tmp_path / "assets" / "a.js").write_text("console.log(1)")
    monkeypatch.setitem(app.config, "PWA_DIST_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/console", "/console/map", "/login", "/s/QRTOKEN123", "/r/ABCD2345",
                                  "/exposure", "/assets/a.js"])
def test_every_page_of_the_app_carries_the_headers(app, dist, path):
    response = fetch(app, path)
    csp = assert_hardened(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline or eval'd script anywhere in the app
    assert csp["object-src"] == ["'none'"]


def test_the_console_cannot_be_framed(app, dist):
    response = fetch(app, "/console")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_qr_page_sends_no_referrer(app, dist):
    # The site's QR token is in the address: no Referer may carry it anywhere.
    assert fetch(app, "/s/QRTOKEN123").headers["Referrer-Policy"] == "no-referrer"
    assert app.test_client().get("/api/v1/public/sites/QRTOKEN123").headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/openapi.json", "/api/v1/no-such-thing",
                                  "/api/v1/auth/session", "/api/v1/public/sites/unknown-token",
                                  "/api/v1/open311/services.json", "/no-such-file.js"])
def test_every_api_answer_carries_the_headers_and_loads_nothing(app, path):
    response = fetch(app, path)
    csp = assert_hardened(response)
    assert csp["default-src"] == ["'none'"]  # JSON is never a document that loads anything


def test_swagger_ui_runs_its_own_start_up_script_and_nothing_else(app):
    response = app.test_client().get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = assert_hardened(response)
    [script] = re.findall(rb"<script>(.*?)</script>", response.data, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    assert csp["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert b'"validatorUrl": null' in response.data  # no badge image from validator.swagger.io
    asset = fetch(app, "/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert_hardened(asset)


def test_the_printable_documents_carry_the_headers(make_hazard, login, db):
    from sqlalchemy import select

    from hazardloop.hazards.models import RectificationOrder

    hazard = make_hazard("assigned")  # 交办 issued its 整改通知书
    (document,) = db.session.scalars(select(RectificationOrder).where(RectificationOrder.hazard_id == hazard.id))
    page = login(make_hazard.cast(hazard.site).owner).get(f"/api/v1/documents/{document.id}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = assert_hardened(page)
    assert "data:" in csp["img-src"]  # the before/after thumbnails are data: URIs
    assert "'unsafe-inline'" in csp["style-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert page.headers["Cache-Control"] == "no-store"


def test_session_login_and_personal_answers_are_never_stored(app, api, make_user, checklists):
    user = make_user("admin")
    login = api.login(user.mobile)
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"
    for path in ("/api/v1/auth/session", "/api/v1/notifications", "/api/v1/users"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    # Answers cached deliberately keep their ETag revalidation (the checklists, the patrol plan).
    first = api.get("/api/v1/checklists")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    again = api.get("/api/v1/checklists", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "private, no-cache"
    assert api.post("/api/v1/auth/logout").headers["Cache-Control"] == "no-store"
    assert_problem(api.get("/api/v1/auth/session"), 401)


def test_the_session_cookie_is_secure_unless_configured_for_plain_http(app, api, make_user, monkeypatch):
    import tempfile
    from pathlib import Path

    from hazardloop.config import from_environment

    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert from_environment(Path(tempfile.mkdtemp()))["SESSION_COOKIE_SECURE"] is True
    user = make_user("admin")
    cookie = api.login(user.mobile).headers["Set-Cookie"]
    assert "hl_session=" in cookie and "; Secure" in cookie and "HttpOnly" in cookie
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", False)  # what `./dev up` and the browser tests set
    assert "Secure" not in api.login(user.mobile).headers["Set-Cookie"]


def test_hsts_only_over_https(app):
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/api/v1/health").headers
    secure = client.get("/api/v1/health", base_url="https://hazardloop.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    # A forwarded "https" from an untrusted client is ignored (no trusted proxy hops by default).
    forwarded = client.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in forwarded.headers


def test_the_tile_server_may_serve_images_and_nothing_else():
    assert tile_source("https://{s}.tiles.example.cn/{z}/{x}/{y}.png") == "https://*.tiles.example.cn"
    assert tile_source("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}") == "https://*.is.autonavi.com"
    assert tile_source("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png") == "http://10.1.2.3:8080"
    assert tile_source("javascript:alert(1)") is None
    policy = content_security_policy("https://{s}.tiles.example.cn/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://*.tiles.example.cn;" in policy
    assert "connect-src 'self';" in policy
