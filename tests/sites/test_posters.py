"""Site QR posters: the PNG carries the site's URL in its code, the PDFs carry the Chinese text."""

from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image

from tests.conftest import assert_problem


@pytest.fixture
def shop(district, make_site):
    return make_site(district.grid_a1, name="湖墅南路兴旺便利店", address="杭州市拱墅区湖墅南路128号")


@pytest.fixture
def worker(district, make_user):
    return make_user("grid_worker", region=district.grid_a1)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def test_png_poster_encodes_the_site_url_with_its_current_token(app, shop, worker, login):
    from hazardloop.sites import posters

    app.config["PUBLIC_BASE_URL"] = "https://yh.example.gov.cn/"
    try:
        response = login(worker).get(f"/api/v1/sites/{shop.id}/poster.png")
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:8000"
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data)).convert("L")
    assert image.size == posters.PNG_SIZE

    expected = posters.qr_matrix(f"https://yh.example.gov.cn/s/{shop.qr_token}")
    left, top, size = posters.qr_placement(len(expected))
    seen = [[image.getpixel((left + c * size + size // 2, top + r * size + size // 2)) < 128
             for c in range(len(expected))] for r in range(len(expected))]
    assert seen == expected
    # A quiet zone of at least four modules around the code, as scanners need.
    for dx in range(1, 4 * size):
        assert image.getpixel((left - dx, top + size // 2)) > 200
        assert image.getpixel((left + len(expected) * size + dx - 1, top + size // 2)) > 200


def test_pdf_poster_has_the_words_site_grid_and_inspector(shop, worker, login):
    response = login(worker).get(f"/api/v1/sites/{shop.id}/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("扫码巡查", "扫码查看整改", "湖墅南路兴旺便利店", "A社区 A1网格", worker.display_name,
                  worker.mobile):
        assert words in text, (words, text)
    assert f"http://127.0.0.1:8000/s/{shop.qr_token}" in text.replace("\n", "")


def test_grid_sheet_lists_every_active_site_of_the_grid(district, shop, worker, make_site, login):
    make_site(district.grid_a1, name="米市巷早餐店")
    make_site(district.grid_a1, name="已歇业的小店", active=False)
    make_site(district.grid_a2, name="隔壁网格的店")
    response = login(worker).get(f"/api/v1/regions/{district.grid_a1.id}/posters.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "湖墅南路兴旺便利店" in text and "米市巷早餐店" in text
    assert "已歇业的小店" not in text and "隔壁网格的店" not in text
    assert "扫码巡查" in text


def test_posters_outside_my_scope_are_not_found(district, shop, make_site, make_user, login):
    client = login(make_user("grid_worker", region=district.grid_b1))
    assert_problem(client.get(f"/api/v1/sites/{shop.id}/poster.png"), 404)
    assert_problem(client.get(f"/api/v1/sites/{shop.id}/poster.pdf"), 404)
    assert_problem(client.get(f"/api/v1/regions/{district.grid_a1.id}/posters.pdf"), 404)
    assert_problem(client.get(f"/api/v1/regions/{district.community_b.id}/posters.pdf"), 404)


def test_enterprise_user_may_print_their_own_sites_poster(shop, make_user, login):
    client = login(make_user("enterprise_user", site=shop))
    assert client.get(f"/api/v1/sites/{shop.id}/poster.png").status_code == 200
    assert_problem(client.get(f"/api/v1/regions/{shop.grid_id}/posters.pdf"), 404)
