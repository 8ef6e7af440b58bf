"""Every download names its file in Chinese the RFC 6266 way, and no site name breaks a poster.

A header value must be Latin-1 under gunicorn: a raw Chinese file name answered 500 there (the
Flask test client hides it), so the test reads each header as a WSGI server would.
"""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from PIL import Image

UNUSUAL_NAMES = [
    "🔥兴旺便利店👨‍👩‍👧",  # emoji, with a zero-width-joiner family
    "兴旺便利店\uffff\ufffe",  # non-characters
    "Cafe\u0301\u0301\u0301 兴旺",  # stacked combining marks
    "\u202eمتجر\u202c 兴旺 \u05d7\u05e0\u05d5\u05ea",  # right-to-left override, Arabic and Hebrew
    "=HYPERLINK(\"http://x\",\"y\")/..\\\"便利店\"",  # quotes, slashes and a formula
    "兴旺" * 100,  # as long as a name may be (200)
]


def utf8_name(header: str) -> str:
    """The file name a browser shows: the ``filename*`` part, percent-decoded."""
    assert header.encode("latin-1")  # what gunicorn requires of every header value
    star = [p.strip() for p in header.split(";") if p.strip().startswith("filename*=")]
    assert star, header
    assert star[0].startswith("filename*=UTF-8''")
    return unquote(star[0].removeprefix("filename*=UTF-8''"))


@pytest.fixture
def worker(district, make_user):
    return make_user("grid_worker", region=district.grid_a1)


@pytest.mark.parametrize("name", UNUSUAL_NAMES, ids=["emoji", "nonchar", "combining", "rtl", "quotes", "long"])
def test_a_poster_with_unusual_code_points_in_the_site_name_is_served(district, make_site, worker, login, name):
    site = make_site(district.grid_a1, name=name)
    client = login(worker)

    png = client.get(f"/api/v1/sites/{site.id}/poster.png")
    assert png.status_code == 200, png.get_data(as_text=True)[:300]
    Image.open(io.BytesIO(png.data)).verify()
    assert utf8_name(png.headers["Content-Disposition"]).startswith("场所二维码_")
    assert png.headers["Content-Disposition"].startswith("inline;")

    pdf = client.get(f"/api/v1/sites/{site.id}/poster.pdf")
    assert pdf.status_code == 200, pdf.get_data(as_text=True)[:300]
    assert pdf.data.startswith(b"%PDF")
    assert utf8_name(pdf.headers["Content-Disposition"]).endswith(".pdf")

    sheet = client.get(f"/api/v1/regions/{district.grid_a1.id}/posters.pdf")
    assert sheet.status_code == 200, sheet.get_data(as_text=True)[:300]
    assert utf8_name(sheet.headers["Content-Disposition"]) == "场所二维码_A1网格.pdf"


def test_the_poster_is_named_after_its_site(district, make_site, worker, login):
    site = make_site(district.grid_a1, name="湖墅南路兴旺便利店")
    response = login(worker).get(f"/api/v1/sites/{site.id}/poster.png")
    header = response.headers["Content-Disposition"]
    assert utf8_name(header) == "场所二维码_湖墅南路兴旺便利店.png"
    assert 'filename="' in header  # the ASCII fallback for old clients


@pytest.mark.parametrize("path, stem", [("/api/v1/hazards/export.xlsx", "隐患台账_"),
                                        ("/api/v1/console/overdue.xlsx", "逾期隐患_"),
                                        ("/api/v1/console/supervised.xlsx", "挂牌督办_"),
                                        ("/api/v1/console/overview.xlsx", "整改率统计_"),
                                        ("/api/v1/blacklist.xlsx", "黑名单_")])
def test_every_spreadsheet_download_carries_its_chinese_name(district, make_user, login, path, stem):
    client = login(make_user("supervisor", region=district.district))
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response.close()
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    name = utf8_name(header)
    assert name.startswith(stem) and name.endswith(".xlsx")
