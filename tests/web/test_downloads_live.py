"""Files with Chinese names download through the real server (gunicorn), not only the Flask test client.

A header gunicorn cannot encode as Latin-1 answered 500 for the 整改通知书 PDF; RFC 6266 names
(an ASCII fallback plus ``filename*=UTF-8''…``) reach the browser intact. Read-only: the shared
live server's data is not changed.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import unquote

import pytest

ADMIN = ("13800000001", "Demo@2026")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Session:
    """A logged-in API session over real HTTP (cookie and CSRF header by hand, like a browser)."""

    def __init__(self, base: str, mobile: str, password: str) -> None:
        self.base = base
        request = urllib.request.Request(
            f"{base}/api/v1/auth/login", data=json.dumps({"mobile": mobile, "password": password}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            self.csrf = json.load(response)["csrf_token"]
            cookie = response.headers["Set-Cookie"]
        self.cookie = cookie.split(";", 1)[0]

    def get(self, path: str) -> tuple[int, Any, bytes]:
        request = urllib.request.Request(f"{self.base}{path}", headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers, response.read()

    def json(self, path: str) -> Any:
        status, _, body = self.get(path)
        assert status == 200
        return json.loads(body)


def utf8_name(header: str) -> str:
    parts = [p.strip() for p in header.split(";")]
    star = [p for p in parts if p.startswith("filename*=UTF-8''")]
    assert star, header
    assert any(p.startswith('filename="') for p in parts), header  # the ASCII fallback
    return unquote(star[0].removeprefix("filename*=UTF-8''"))


@pytest.fixture(scope="module")
def admin(live_server: Any) -> Session:
    return Session(live_server.url, *ADMIN)


def test_the_rectification_order_pdf_downloads_with_its_chinese_name(admin: Session) -> None:
    hazards = admin.json("/api/v1/hazards?status=assigned,rectifying&limit=20")["items"]
    documents = [d for h in hazards for d in admin.json(f"/api/v1/hazards/{h['id']}")["documents"]
                 if d["kind"] == "order"]
    assert documents, "the demo has assigned hazards with their 整改通知书"
    document = documents[0]
    status, headers, body = admin.get(f"/api/v1/documents/{document['id']}.pdf")
    assert status == 200
    assert headers.get_content_type() == "application/pdf"
    assert body.startswith(b"%PDF")
    assert headers["Content-Disposition"].startswith("inline;")
    assert utf8_name(headers["Content-Disposition"]) == f"整改通知书_{document['number']}.pdf"


def test_the_hazard_ledger_downloads_with_its_chinese_name(admin: Session) -> None:
    status, headers, body = admin.get("/api/v1/hazards/export.xlsx?status=assigned")
    assert status == 200
    assert headers.get_content_type() == XLSX
    assert body.startswith(b"PK")  # a zip container, as every XLSX is
    assert headers["Content-Disposition"].startswith("attachment;")
    name = utf8_name(headers["Content-Disposition"])
    assert name.startswith("隐患台账_") and name.endswith(".xlsx")


def test_a_site_poster_downloads_with_the_site_name(admin: Session) -> None:
    site = admin.json("/api/v1/sites?per_page=1")["items"][0]
    status, headers, body = admin.get(f"/api/v1/sites/{site['id']}/poster.png")
    assert status == 200 and headers.get_content_type() == "image/png"
    assert body.startswith(b"\x89PNG")
    assert utf8_name(headers["Content-Disposition"]) == f"场所二维码_{site['name']}.png"


def test_the_app_shell_and_scripts_reach_the_phone_gzipped(live_server: Any) -> None:
    """Through gunicorn: the app's scripts go gzipped (a third of the bytes on a slow line)."""
    import gzip
    import re

    def get(path: str, encoding: str) -> tuple[Any, bytes]:
        request = urllib.request.Request(f"{live_server.url}{path}", headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.headers, response.read()

    headers, body = get("/", "gzip")  # the shell is under 1 KiB: sent as it is
    shell = (gzip.decompress(body) if headers["Content-Encoding"] == "gzip" else body).decode("utf-8")
    script = re.search(r'src="(/assets/[^"]+\.js)"', shell)
    assert script, shell[:500]
    packed_headers, packed = get(script.group(1), "gzip")
    _, plain = get(script.group(1), "identity")
    assert packed_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
