"""Screens for records people look up, in Debian's Chromium against a real server (gunicorn, SQLite, Redis).

1. 检查记录: a 网格员 inspects the enterprise's site on his phone (试算得分 before submitting), then opens the record
   from the site's 检查记录 and from the hazard it found (来自检查); the enterprise opens it from its own site page and
   prints its QR poster there; the supervisor opens it from 一企一档 in the console.
2. 一企一档 downloads the site's QR poster: a PDF with the site's name, a PNG whose code is the site's URL.
3. 通报预览: the supervisor looks at this month's circular for a scope without saving a draft.
4. 现场照片: the photo a 网格员 took when registering a shop in the field shows on the approval screen and, after
   approval, in the site's 一企一档.

The journeys change the demo enterprise's site, so they run on a seeded server of their own.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    GRID_WORKER,
    PHONE,
    PWA,
    LiveServer,
    Reader,
    assert_no_csp_violations,
    axe_problems,
    log_in,
    serve_seeded,
    supervisor_desk,
    wait_for_js,
)

ENTERPRISE = ("13800002001", "Demo@2026")
ENTERPRISE_SITE = "杭州嘉诚纺织有限公司"
DESK = {"width": 1366, "height": 900}
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_url: str, pwa_dist: Path) -> Iterator[LiveServer]:
    yield from serve_seeded(tmp_path_factory.mktemp("records"), redis_url)


@pytest.fixture
def desk(browser: Any, server: LiveServer) -> Iterator[Any]:
    """The 区安委办 supervisor on the console, accepting downloads."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    page = supervisor_desk(browser, server, DESK, accept_downloads=True)
    yield page
    page.context.close()


def _phone(browser: Any, server: LiveServer, **options: Any) -> Any:
    context = browser.new_context(base_url=server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _shot(page: Any, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"records-{name}.png"), full_page=full_page)


def _jpeg(tmp: Path, name: str, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    path = tmp / name
    Image.new("RGB", (800, 600), colour).save(path, "JPEG", quality=85)
    return path


# jsQR (the PWA's own QR decoder, pwa/node_modules) reading RGBA pixels from stdin; prints what the code says.
_JSQR = ("const jsQR = require(process.argv[1]); const parts = [];"
         "process.stdin.on('data', (d) => parts.push(d)).on('end', () => { const b = Buffer.concat(parts);"
         "const r = jsQR(new Uint8ClampedArray(b.buffer, b.byteOffset, b.length), +process.argv[2], +process.argv[3]);"
         "process.stdout.write(r ? r.data : ''); });")


def _decoded_qr(image: Any) -> str | None:
    """What a phone's scanner reads from the image (None when node or jsQR is not installed here)."""
    node, jsqr = shutil.which("node"), PWA / "node_modules" / "jsqr"
    if node is None or not jsqr.is_dir():
        return None
    rgba = image.convert("RGBA")
    result = subprocess.run([node, "-e", _JSQR, str(jsqr), str(rgba.width), str(rgba.height)],
                            input=rgba.tobytes(), capture_output=True, check=True, timeout=60)
    return result.stdout.decode()


def _loaded(image: Any) -> None:
    """The picture arrived from the server and decoded (not just its element)."""
    from playwright.sync_api import expect

    expect(image).to_be_visible()
    wait_for_js(image.page, "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                timeout_ms=15_000)


def _open_console_site(desk: Any, name: str) -> None:
    from playwright.sync_api import expect

    desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="场所管理").click()
    desk.fill("#site-admin-q", name)
    desk.get_by_test_id("site-admin-search").get_by_role("link", name=name, exact=True).click()
    expect(desk.get_by_test_id("site-admin").get_by_role("heading", level=1)).to_have_text(name)


def _enterprise_site(reader: Reader) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The demo enterprise's site, a checklist for it, and a 符合/不符合 item of its first section with no open hazard
    at the site (a 不符合 there makes a new hazard, not a repeat observation of an older one)."""
    [site] = [s for s in reader.get(f"/api/v1/sites?q={ENTERPRISE_SITE}")["items"] if s["name"] == ENTERPRISE_SITE]
    hazards = reader.get(f"/api/v1/hazards?site={site['id']}&limit=500")["items"]
    taken = {h["item_code"] for h in hazards if h["status"] != "closed"}
    for summary in reader.get(f"/api/v1/checklists?site={site['id']}"):
        content = reader.get(f"/api/v1/checklists/{summary['id']}/versions/{summary['version']}")["content"]
        for item in content["sections"][0]["items"][:3]:
            if item["answer"]["type"] == "compliance" and item["code"] not in taken:
                return reader.get(f"/api/v1/sites/{site['id']}"), {**summary, "content": content}, item
    pytest.fail("演示企业的场所没有可用于巡查的「符合/不符合」条目。")


# --- 1. 检查记录 ----------------------------------------------------------------------------------------------------

def test_an_inspection_record_opens_from_the_site_the_hazard_and_the_console(
        browser: Any, server: LiveServer, desk: Any, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    reader = Reader(desk.context)
    site, checklist, item = _enterprise_site(reader)
    finding = "原料仓库消防通道堆放纱线包，通道宽度不足"

    # The grid worker inspects the site on his phone.
    phone = _phone(browser, server)
    try:
        page = log_in(phone, GRID_WORKER, f"/sites/{site['id']}")
        expect(page.get_by_test_id("site-name")).to_have_text(ENTERPRISE_SITE)
        page.get_by_test_id("start-inspection").filter(has_text=checklist["title"]).click()
        expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
        client_uuid = page.url.rsplit("/", 1)[-1]
        card = page.locator(f"[data-testid=item][data-code='{item['code']}']")
        card.get_by_role("button", name="不符合", exact=True).click()
        card.get_by_test_id("finding").fill(finding)
        with page.expect_file_chooser() as chooser:
            card.get_by_test_id("camera").click()
        chooser.value.set_files(str(_jpeg(tmp_path, "aisle.jpg", (180, 40, 40))))
        expect(card.get_by_test_id("photo")).to_have_count(1)
        sections = page.get_by_test_id("section")
        expect(sections.first).to_be_visible()  # drawn: counted only once there
        for index in range(sections.count()):
            sections.nth(index).get_by_test_id("section-na").click()
        expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")

        # 试算得分 before submitting: the server scores these answers without storing anything.
        page.get_by_test_id("score-preview-button").click()
        preview = page.get_by_test_id("score-preview-result")
        expect(preview).to_contain_text(re.compile(r"得分 \d+(\.\d)? / \d+"))
        preview.scroll_into_view_if_needed()
        _shot(page, artifacts, "01-score-preview", full_page=False)
        previewed = preview.inner_text()
        page.get_by_test_id("submit").click()
        expect(page).to_have_url(re.compile(r"/outbox$"))
        row = page.locator(f"[data-testid=outbox-item][data-id='{client_uuid}']")
        expect(row).to_have_attribute("data-state", "sent", timeout=45_000)
        [stored] = [i for i in reader.get(f"/api/v1/inspections?site={site['id']}&per_page=100")["items"]
                    if i["client_uuid"] == client_uuid]
        record = reader.get(f"/api/v1/inspections/{stored['id']}")
        total = record["score_total"]
        shown_total = str(int(total)) if total == int(total) else f"{total:.1f}"
        assert f"得分 {shown_total} / " in previewed  # the preview said what the record keeps

        # The site's 检查记录 → the record.
        page.goto(f"/sites/{site['id']}")
        history = page.get_by_test_id("inspection-history")
        history.locator(f"[data-testid=inspection-row][data-id='{stored['id']}'] a").click()
        expect(page).to_have_url(re.compile(rf"/inspections/{stored['id']}$"))
        shown = page.get_by_test_id("inspection-record")
        expect(shown.get_by_test_id("record-site")).to_have_text(ENTERPRISE_SITE)
        expect(shown.get_by_test_id("record-mode")).to_have_text("日常巡查")
        expect(shown.get_by_test_id("record-inspector")).to_contain_text("唐晓东（网格员）")
        expect(shown.get_by_test_id("record-checklist")).to_contain_text(checklist["title"])
        expect(shown.get_by_test_id("record-score")).to_contain_text("不符合 1 项")
        problem = shown.locator(f"[data-testid=record-finding][data-code='{item['code']}']")
        expect(problem).to_contain_text(finding)
        expect(problem).to_contain_text(item["text"])
        _loaded(problem.get_by_test_id("record-photos").locator("img"))
        hazards = shown.get_by_test_id("record-hazards").get_by_role("link")
        expect(hazards).to_have_count(1)
        assert not re.search(r"\d{4}-\d{2}-\d{2}T|UTC|Z\b", shown.inner_text())  # local times, in words
        _shot(page, artifacts, "02-record-phone")
        assert axe_problems(page, "检查记录") == []

        # The hazard it found says where it came from (来自检查), and leads back.
        hazards.click()
        expect(page.get_by_test_id("hazard")).to_be_visible()
        page.get_by_test_id("hazard-inspection").click()
        expect(page).to_have_url(re.compile(rf"/inspections/{stored['id']}$"))
        expect(page.get_by_test_id("inspection-record")).to_be_visible()
        assert_no_csp_violations(page)
    finally:
        phone.close()

    # The enterprise: the record from its own site page, and its door poster.
    phone = _phone(browser, server)
    try:
        page = log_in(phone, ENTERPRISE)
        page.get_by_role("link", name=re.compile(f"{ENTERPRISE_SITE}：开始自查")).click()
        expect(page.get_by_test_id("site-name")).to_have_text(ENTERPRISE_SITE)
        qr = page.get_by_test_id("qr-section")
        expect(qr.get_by_test_id("poster-pdf")).to_be_visible()
        expect(qr.get_by_test_id("qr-rotate")).to_have_count(0)  # printing, not replacing the code
        expect(qr.get_by_test_id("grid-posters")).to_have_count(0)
        qr.scroll_into_view_if_needed()
        _shot(page, artifacts, "03a-enterprise-poster", full_page=False)
        for testid, kind, magic in (("poster-pdf", "application/pdf", b"%PDF-"),
                                    ("poster-png", "image/png", b"\x89PNG\r\n\x1a\n")):
            response = phone.request.get(qr.get_by_test_id(testid).get_attribute("href"))
            assert response.status == 200 and response.headers["content-type"] == kind
            assert response.body().startswith(magic)
        page.get_by_test_id("inspection-history").locator(
            f"[data-testid=inspection-row][data-id='{stored['id']}'] a").click()
        expect(page.get_by_test_id("record-inspector")).to_contain_text("唐晓东")
        expect(page.get_by_test_id("record-finding")).to_contain_text(finding)
        _shot(page, artifacts, "03-record-enterprise")
        # A record out of its scope is, as for the API, one that does not exist — said in words.
        page.goto(f"/inspections/{stored['id'] + 100_000}")
        expect(page.get_by_test_id("record-error")).to_have_text("检查记录不存在，或不在您的查看范围内。")
        assert_no_csp_violations(page)
    finally:
        phone.close()

    # The supervisor: from 一企一档 to the record, in the console's frame.
    _open_console_site(desk, ENTERPRISE_SITE)
    desk.get_by_test_id("inspection-history").locator(
        f"[data-testid=inspection-row][data-id='{stored['id']}'] a").click()
    expect(desk).to_have_url(re.compile(rf"/console/inspections/{stored['id']}$"))
    expect(desk.get_by_test_id("console-inspection").get_by_test_id("record-finding")).to_contain_text(finding)
    _shot(desk, artifacts, "04-record-console")
    assert axe_problems(desk, "监管台 · 检查记录") == []
    assert_no_csp_violations(desk)


# --- 2. the QR poster from 一企一档 ---------------------------------------------------------------------------------

def test_the_dossier_downloads_the_sites_qr_poster_as_pdf_and_image(desk: Any, server: LiveServer,
                                                                    artifacts: Path) -> None:
    import pypdf
    from PIL import Image
    from playwright.sync_api import expect

    from hazardloop.sites import posters

    reader = Reader(desk.context)
    site, _, _ = _enterprise_site(reader)
    _open_console_site(desk, ENTERPRISE_SITE)
    box = desk.get_by_test_id("site-posters")
    expect(box.get_by_test_id("poster-pdf")).to_have_text("下载二维码海报（PDF）")
    _shot(desk, artifacts, "05-dossier-posters", full_page=False)

    with desk.expect_download() as pdf_download:
        box.get_by_test_id("poster-pdf").click()
    assert pdf_download.value.suggested_filename == f"场所二维码_{ENTERPRISE_SITE}.pdf"
    pdf = Path(pdf_download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert ENTERPRISE_SITE in text and "扫码查看整改" in text

    with desk.expect_download() as png_download:
        box.get_by_test_id("poster-png").click()
    assert png_download.value.suggested_filename == f"场所二维码_{ENTERPRISE_SITE}.png"
    image = Image.open(png_download.value.path())
    assert image.format == "PNG" and image.size == posters.PNG_SIZE
    image.save(artifacts / "records-06-poster.png")
    # The code is the site's URL: every module where the poster puts it (no decoder in the project's packages).
    grey = image.convert("L")
    base = os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000"  # the server's setting (serve_seeded's env)
    expected = posters.qr_matrix(f"{base.rstrip('/')}/s/{site['qr_token']}")
    left, top, size = posters.qr_placement(len(expected))
    seen = [[grey.getpixel((left + c * size + size // 2, top + r * size + size // 2)) < 128
             for c in range(len(expected))] for r in range(len(expected))]
    assert seen == expected
    decoded = _decoded_qr(image)
    assert decoded in (None, f"{base.rstrip('/')}/s/{site['qr_token']}"), decoded
    assert_no_csp_violations(desk)


# --- 3. 通报预览 ------------------------------------------------------------------------------------------------------

def test_a_circular_preview_shows_the_months_figures_without_saving_a_draft(desk: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    reader = Reader(desk.context)
    drafts_before = len(reader.get("/api/v1/circulars?status=draft&limit=100")["items"])
    [district] = reader.get("/api/v1/regions?level=district")
    desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="通报").click()
    form = desk.get_by_test_id("new-draft")
    form.get_by_label("范围").select_option(label=f"全区：{district['name']}")
    form.get_by_label("周期").select_option(label="本月")
    form.get_by_test_id("preview-draft").click()
    preview = desk.get_by_test_id("circular-preview")
    expect(preview.get_by_role("heading", level=2)).to_contain_text("安全隐患排查治理情况通报（草稿）")
    expect(preview).to_contain_text(re.compile(r"统计期：\d{4}-\d{2}-01 至 \d{4}-\d{2}-\d{2}"))
    expect(preview.get_by_test_id("preview-figure").first).to_be_visible()
    rate = preview.locator("[data-testid=preview-figure][data-key=on_time_rate]")
    expect(rate).to_contain_text("分母")
    _shot(desk, artifacts, "07-circular-preview")
    assert len(reader.get("/api/v1/circulars?status=draft&limit=100")["items"]) == drafts_before  # nothing saved

    form.get_by_label("周期").select_option(label="自定义")
    expect(form.get_by_test_id("preview-draft")).to_be_disabled()  # a custom period is drafted, not previewed
    assert axe_problems(desk, "通报预览") == []
    assert_no_csp_violations(desk)


# --- 4. 现场照片 ------------------------------------------------------------------------------------------------------

def test_a_field_registered_shops_photo_shows_on_approval_and_in_its_dossier(
        browser: Any, server: LiveServer, desk: Any, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    name = "拱宸桥东惠民五金店"
    anchor = next(s for s in Reader(desk.context).get("/api/v1/sites?per_page=500")["items"]
                  if s.get("lat") and s["name"] == ENTERPRISE_SITE)
    # About 2 km north of the enterprise's site: nothing registered close by, so no duplicate to choose.
    here = {"latitude": anchor["lat"] + 0.018, "longitude": anchor["lng"], "accuracy": 12}
    phone = _phone(browser, server, permissions=["geolocation"], geolocation=here)
    try:
        page = log_in(phone, GRID_WORKER, "/sites")
        page.get_by_test_id("register-site-link").click()
        expect(page.get_by_test_id("ns-position")).to_contain_text("当前位置已记录")
        page.fill("#ns-name", name)
        page.select_option("#ns-category", label="小商店")
        page.fill("#ns-address", "拱宸桥东路 12 号")
        with page.expect_file_chooser() as chooser:
            page.get_by_text("拍摄门头照片").click()
        chooser.value.set_files(str(_jpeg(tmp_path, "door.jpg", (30, 120, 200))))
        expect(page.locator("[data-testid=register-site] .photos figure")).to_have_count(1)
        page.get_by_test_id("ns-submit").click()
        expect(page.get_by_test_id("field-site-open")).to_be_visible(timeout=45_000)  # sent: the server's id
    finally:
        phone.close()

    desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="新增场所审核").click()
    card = desk.get_by_test_id("pending-site").filter(has_text=name)
    _loaded(card.locator("img"))
    large = desk.context.request.get(card.get_by_title("查看大图").get_attribute("href"))
    assert large.status == 200 and large.headers["content-type"] == "image/jpeg"  # the watermarked evidence copy
    _shot(desk, artifacts, "08-approval-photo")
    card.get_by_test_id("approve-site").click()
    expect(desk.get_by_test_id("review-message")).to_contain_text("已审核通过")

    _open_console_site(desk, name)
    photos = desk.get_by_test_id("site-photos")
    expect(photos.get_by_role("heading")).to_have_text("现场照片（1）")
    _loaded(photos.locator("img"))
    photos.scroll_into_view_if_needed()
    _shot(desk, artifacts, "09-dossier-photo", full_page=False)
    assert_no_csp_violations(desk)
