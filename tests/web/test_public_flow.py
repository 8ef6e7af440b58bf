"""群众举报 in Debian's Chromium against a real server (gunicorn, SQLite, Redis): the public pages.

1. An anonymous visitor opens a site's QR URL (the address on its poster): the site's public page,
   not the officials' login. 我要举报 with a real camera JPEG (resized on the phone) and a phone
   number; the tracking code is shown with a link to its progress page, which reads 已提交.
2. A supervisor accepts the report (through the API); the visitor reloads and reads 已立案.
3. Without a QR code: a point on the grid map, or just an address.
4. HTML in a description is text on the progress page, the 曝光台 and the site page (published).
5. The public pages work with service workers blocked, in WeChat's in-app browser, and without
   leaving an IndexedDB database behind; an official with a session still gets the inspection flow.
6. Too many reports from one phone: the 429 reads as a friendly message beside the form.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.web.conftest import GRID_WORKER, LiveServer, assert_no_csp_violations

TIMEOUT_MS = 20_000
SUPERVISOR = ("13800000002", "Demo@2026")  # the demo district's 区安委办 supervisor: every grid in scope
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> 灭火器<b>过期</b>'
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 12; V2055A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
             "Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5235 MMWEBSDK/20230701 MicroMessenger/8.0.40.2420")


@dataclass
class Staff:
    """A logged-in official on the API (cookie session + CSRF header), no page."""

    context: Any
    csrf: str

    def get(self, path: str) -> Any:
        response = self.context.request.get(path)
        assert response.ok, f"{path}: {response.status} {response.text()}"
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.context.request.post(path, data=body, headers={"X-CSRF-Token": self.csrf})
        assert response.ok, f"{path}: {response.status} {response.text()}"
        return response.json()


    def upload_photo(self, jpeg: bytes) -> str:
        response = self.context.request.post("/api/v1/photos", headers={"X-CSRF-Token": self.csrf}, multipart={
            "file": {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": jpeg}})
        assert response.ok, response.text()
        return str(response.json()["id"])


def _login(browser: Any, live_server: LiveServer, account: tuple[str, str]) -> Staff:
    context = browser.new_context(base_url=live_server.url)
    response = context.request.post("/api/v1/auth/login", data={"mobile": account[0], "password": account[1]})
    assert response.ok, response.text()
    return Staff(context, response.json()["csrf_token"])


@pytest.fixture(scope="module")
def supervisor(browser: Any, live_server: LiveServer) -> Iterator[Staff]:
    staff = _login(browser, live_server, SUPERVISOR)
    yield staff
    staff.context.close()


def _site_with_qr(staff: Staff, *, last: bool) -> dict[str, Any]:
    items = staff.get("/api/v1/sites?per_page=100")["items"]
    for site in reversed(items) if last else items:
        detail = staff.get(f"/api/v1/sites/{site['id']}")
        if detail.get("qr_token"):
            return detail
    pytest.fail("演示数据中没有带二维码的场所。")


@pytest.fixture(scope="module")
def qr_site(supervisor: Staff) -> dict[str, Any]:
    """A site with a QR poster, from the end of the list: away from the grid worker's (other e2e tests)."""
    return _site_with_qr(supervisor, last=True)


def _phone(browser: Any, live_server: LiveServer, **options: Any) -> Any:
    """A visitor's phone: a fresh browser profile, no session, no permissions asked for."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai", **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _camera_jpeg(tmp: Path) -> Path:
    """A real 2400×1800 JPEG, larger than the page uploads."""
    image = Image.new("RGB", (2400, 1800), (210, 205, 195))
    draw = ImageDraw.Draw(image)
    draw.rectangle([900, 500, 1500, 1500], fill=(40, 90, 160))  # the gas cylinder
    draw.rectangle([300, 1200, 2100, 1300], fill=(90, 60, 40))  # the stove
    path = tmp / "camera.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


def _jpeg(color: tuple[int, int, int], size: tuple[int, int] = (1200, 900)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (230, 235, 230))
    ImageDraw.Draw(image).rectangle([200, 200, size[0] - 200, size[1] - 200], fill=color)
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"public-{name}.png"), full_page=True)


def _fill_report(page: Any, description: str, category: str = "消防安全") -> None:
    page.get_by_test_id("categories").get_by_role("button", name=category, exact=True).click()
    page.fill("#r-description", description)


def _submit(page: Any) -> str:
    from playwright.sync_api import expect

    page.get_by_test_id("submit-report").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}", code), code
    return code


def _queued(supervisor: Staff, description: str) -> dict[str, Any]:
    items = supervisor.get("/api/v1/reports?status=received&per_page=100")["items"]
    found = [r for r in items if r["description"] == description]
    assert len(found) == 1, [r["description"] for r in items]
    return found[0]


def test_a_visitor_reports_from_the_qr_poster_and_follows_it(
    browser: Any, live_server: LiveServer, supervisor: Staff, qr_site: dict[str, Any], artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    context = _phone(browser, live_server, service_workers="allow")
    page = context.new_page()
    try:
        # 1. The QR URL without a session: the site's public page, not the officials' login.
        page.goto(f"/s/{qr_site['qr_token']}")
        expect(page.get_by_test_id("public-site-name")).to_have_text(qr_site["name"])
        expect(page.locator("#mobile")).to_have_count(0)
        expect(page.get_by_test_id("no-hazards")).to_be_visible()
        _shot(page, artifacts, "01-qr-site")

        page.get_by_test_id("report-here").click()
        expect(page).to_have_url(re.compile(r"/report\?site="))
        expect(page.get_by_test_id("report-site")).to_contain_text(qr_site["name"])
        description = f"后厨液化气罐放在灶台旁边，没有固定 {uuid.uuid4().hex[:6]}"
        _fill_report(page, description)
        page.get_by_test_id("photo-input").set_input_files(str(_camera_jpeg(tmp_path)))
        expect(page.get_by_test_id("report-photos").locator("img")).to_have_count(1)
        page.fill("#r-phone", "138 1234 5678")
        expect(page.get_by_test_id("phone-note")).to_contain_text("绝不公开")
        # The honeypot is there for robots only: out of sight and out of the accessibility tree.
        expect(page.locator("#r-website")).not_to_be_in_viewport()
        assert page.locator(".hp").get_attribute("aria-hidden") == "true"
        _shot(page, artifacts, "02-report-form")

        code = _submit(page)
        expect(page.get_by_test_id("receipt-status")).to_have_text("已提交")
        _shot(page, artifacts, "03-receipt")

        page.get_by_test_id("track-link").click()
        expect(page).to_have_url(re.compile(rf"/r/{re.escape(code)}$"))
        expect(page.get_by_test_id("report-status")).to_have_text("已提交")
        expect(page.get_by_test_id("report-description")).to_have_text(description)
        assert "13812345678" not in page.content() and "138 1234 5678" not in page.content()
        _shot(page, artifacts, "04-progress-received")

        # 2. The supervisor finds it in the triage queue, with the photo resized on the phone, and accepts it.
        report = _queued(supervisor, description)
        assert report["site_id"] == qr_site["id"] and report["phone"] == "13812345678"
        assert len(report["photo_ids"]) == 1
        accepted = supervisor.post(f"/api/v1/reports/{report['id']}/accept", {"level": "一般", "domain": "fire"})
        assert accepted["status"] == "accepted" and accepted["hazard_id"]
        # The photo is the hazard's evidence now (visible to staff like its hazard): 2400 px became 1600.
        photo = supervisor.get(f"/api/v1/photos/{report['photo_ids'][0]}")
        assert max(photo["width"], photo["height"]) == 1600

        page.reload()
        expect(page.get_by_test_id("report-status")).to_have_text("已立案")
        expect(page.locator(".steps .step.current")).to_have_text("已立案")
        _shot(page, artifacts, "05-progress-accepted")

        # A wrong code is a plain "not found", not an error page.
        page.goto(f"/r/{code[:-2]}xx")
        expect(page.get_by_test_id("track-error")).to_contain_text("未找到")
        assert_no_csp_violations(page)
    finally:
        context.close()


def test_a_place_without_a_code_by_map_point_or_address(
    browser: Any, live_server: LiveServer, supervisor: Staff, artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context = _phone(browser, live_server)
    page = context.new_page()
    try:
        page.goto("/report")
        grids = page.locator("[data-testid=map] path.map-grid")
        expect(grids.first).to_be_visible()
        assert grids.count() > 3
        # Drag the map about and zoom, then back to the whole district, then tap a grid.
        box = page.get_by_test_id("map").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 40, steps=5)
        page.mouse.up()
        page.get_by_role("button", name="放大地图").click()
        page.get_by_role("button", name="全图").click()
        expect(page.get_by_test_id("map-pin")).to_have_count(0)  # a drag is not a tap
        target = grids.nth(grids.count() // 2)
        grid_name = target.get_attribute("data-name")
        target.click()
        expect(page.get_by_test_id("map-pin")).to_have_count(1)
        expect(page.get_by_test_id("map-choice")).to_contain_text(grid_name)
        description = f"路边仓库违规存放烟花爆竹 {uuid.uuid4().hex[:6]}"
        _fill_report(page, description)
        _shot(page, artifacts, "06-map-point")
        _submit(page)

        report = _queued(supervisor, description)
        assert report["site_id"] is None and report["region_name"] == grid_name
        assert report["lat"] is not None and report["lng"] is not None and report["phone"] is None

        # Just an address: the report goes to the district.
        page.goto("/report")
        expect(page.get_by_test_id("map")).to_be_visible()
        page.get_by_test_id("submit-report").click()  # nothing filled: told what is missing, nothing sent
        expect(page.get_by_test_id("error-place")).to_be_visible()
        expect(page.get_by_test_id("error-category")).to_be_visible()
        address = f"文一路 {uuid.uuid4().hex[:4]} 号地下室"
        page.fill("#r-address", address)
        description = f"地下室里有电动车在充电 {uuid.uuid4().hex[:6]}"
        _fill_report(page, description, category="城市运行")
        _submit(page)
        report = _queued(supervisor, description)
        assert report["address"] == address and report["lat"] is None and report["category"] == "urban_operation"
    finally:
        context.close()


def test_html_in_a_report_is_text_on_every_public_page(
    browser: Any, live_server: LiveServer, supervisor: Staff, qr_site: dict[str, Any], artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    context = _phone(browser, live_server)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(f"/report?site={qr_site['qr_token']}")
        description = f"{XSS} {uuid.uuid4().hex[:6]}"
        _fill_report(page, description)
        page.get_by_test_id("photo-input").set_input_files(str(_camera_jpeg(tmp_path)))
        expect(page.get_by_test_id("report-photos").locator("img")).to_have_count(1)
        code = _submit(page)
        page.goto(f"/r/{code}")
        expect(page.get_by_test_id("report-description")).to_have_text(description)

        # Accepted and published (曝光): the 曝光台 and the site's page show it, still as text.
        report = _queued(supervisor, description)
        hazard_id = supervisor.post(f"/api/v1/reports/{report['id']}/accept",
                                    {"level": "一般", "domain": "fire"})["hazard_id"]
        supervisor.post(f"/api/v1/hazards/{hazard_id}/publish", {"public": True})
        # 交办 with a deadline: the reporter reads 整改中, the 曝光台 the deadline.
        assigned = supervisor.post(f"/api/v1/hazards/{hazard_id}/transitions",
                                   {"action": "assign", "note": "请立即更换过期灭火器"})
        assert assigned["status"] == "assigned" and assigned["deadline_at"]
        page.reload()
        expect(page.get_by_test_id("report-status")).to_have_text("整改中")
        expect(page.get_by_test_id("progress")).to_contain_text("整改期限")

        page.goto("/exposure")
        card = page.get_by_test_id("public-hazard").filter(has_text=description[-6:])
        expect(card.get_by_test_id("hazard-description")).to_have_text(description)
        expect(card.get_by_test_id("hazard-site")).to_have_text(qr_site["name"])
        expect(card).to_contain_text("整改期限")
        expect(card.locator(".badge")).to_have_text("已交办")
        photo = card.get_by_test_id("hazard-photos").locator("img")
        expect(photo).to_have_count(1)
        photo.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
        assert re.fullmatch(r"/api/v1/photos/[^/]+/public", photo.get_attribute("src"))
        _shot(page, artifacts, "07-exposure")

        page.goto(f"/s/{qr_site['qr_token']}")
        expect(page.get_by_test_id("public-hazard").filter(has_text=description[-6:])).to_have_count(1)
        _shot(page, artifacts, "08-qr-site-with-exposed-hazard")

        assert page.locator("img[src=x]").count() == 0
        assert page.evaluate("window.__xss") is None and dialogs == []
    finally:
        context.close()


def test_a_closed_hazard_shows_before_and_after_and_the_reporter_reads_closed(
    browser: Any, live_server: LiveServer, supervisor: Staff, qr_site: dict[str, Any], artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context = _phone(browser, live_server)
    page = context.new_page()
    try:
        # The report itself was shown in the browser above; here it is sent as the page sends it.
        description = f"安全出口指示灯不亮 {uuid.uuid4().hex[:6]}"
        sent = context.request.post("/api/v1/public/reports", multipart={
            "description": description, "category": "fire", "site_token": qr_site["qr_token"],
            "photos": {"name": "before.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((170, 30, 30))}})
        assert sent.status == 201, sent.text()
        code = sent.json()["tracking_code"]
        report = _queued(supervisor, description)
        hazard_id = supervisor.post(f"/api/v1/reports/{report['id']}/accept",
                                    {"level": "一般", "domain": "fire"})["hazard_id"]
        after = supervisor.upload_photo(_jpeg((30, 150, 60)))
        closed = supervisor.post(f"/api/v1/hazards/{hazard_id}/transitions", {
            "action": "close_on_site", "before_photo_ids": report["photo_ids"], "after_photo_ids": [after]})
        assert closed["status"] == "closed"
        supervisor.post(f"/api/v1/hazards/{hazard_id}/publish", {"public": True})

        page.goto("/exposure")
        card = page.get_by_test_id("public-hazard").filter(has_text=description)
        expect(card).to_have_attribute("data-status", "closed")
        expect(card).to_contain_text("整改完毕")
        pair = card.get_by_test_id("before-after").locator("img")
        expect(pair).to_have_count(2)
        pair.last.scroll_into_view_if_needed()
        for img in pair.element_handles():
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img)
        _shot(page, artifacts, "12-exposure-before-after")

        page.goto(f"/r/{code}")
        expect(page.get_by_test_id("report-status")).to_have_text("已办结")
        expect(page.locator(".steps .step.done")).to_have_count(4)
        _shot(page, artifacts, "13-progress-closed")
    finally:
        context.close()


def test_public_pages_need_no_service_worker_storage_or_real_browser(
    browser: Any, live_server: LiveServer, supervisor: Staff, qr_site: dict[str, Any], artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    # Service workers blocked, and the UA of WeChat's in-app browser (which the field app refuses).
    context = _phone(browser, live_server, service_workers="block", user_agent=WECHAT_UA)
    page = context.new_page()
    try:
        page.goto(f"/s/{qr_site['qr_token']}")
        expect(page.get_by_test_id("public-site-name")).to_have_text(qr_site["name"])
        expect(page.get_by_text("无法在此打开")).to_have_count(0)
        page.get_by_test_id("report-here").click()
        description = f"消防通道被纸箱堵住 {uuid.uuid4().hex[:6]}"
        _fill_report(page, description)
        code = _submit(page)
        page.goto(f"/r/{code}")
        expect(page.get_by_test_id("report-status")).to_have_text("已提交")
        page.goto("/exposure")
        expect(page.get_by_test_id("exposure")).to_be_visible()
        _shot(page, artifacts, "09-no-service-worker")
        # Nothing of the field app was set up: no worker registered, no IndexedDB database created.
        assert page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.getRegistrations()"
                             ".then(r => r.length) : 0") == 0
        assert page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == []
        assert _queued(supervisor, description)["site_id"] == qr_site["id"]

        # The officials' pages in the same browser still say why they cannot work here.
        page.goto("/")
        expect(page.get_by_text("无法在此打开")).to_be_visible()
        expect(page.get_by_role("link", name="我要举报")).to_be_visible()
    finally:
        context.close()


def test_an_official_with_a_session_keeps_the_inspection_flow(
    browser: Any, live_server: LiveServer, artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    worker = _login(browser, live_server, GRID_WORKER)
    site = _site_with_qr(worker, last=False)
    worker.context.close()
    context = _phone(browser, live_server, service_workers="allow")
    page = context.new_page()
    try:
        page.goto("/")
        page.fill("#mobile", GRID_WORKER[0])
        page.fill("#password", GRID_WORKER[1])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="今日任务")).to_be_visible()
        page.goto(f"/s/{site['qr_token']}")
        expect(page.get_by_test_id("site-name")).to_have_text(site["name"])  # the field app's site page
        expect(page.get_by_test_id("public-app")).to_have_count(0)
        _shot(page, artifacts, "10-official-qr")
        # 曝光台 is public for everyone: an official navigating there in the app sees it, not "页面不存在".
        page.evaluate("history.pushState(null, '', '/exposure'); dispatchEvent(new PopStateEvent('popstate'))")
        expect(page.get_by_test_id("public-app")).to_be_visible()
        expect(page.get_by_text("页面不存在")).to_have_count(0)
    finally:
        context.close()


def test_too_many_reports_from_one_phone_get_a_friendly_message(
    browser: Any, live_server: LiveServer, artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    context = _phone(browser, live_server)
    page = context.new_page()
    try:
        page.goto("/report")
        expect(page.get_by_test_id("map")).to_be_visible()
        device = page.evaluate("localStorage.getItem('hazardloop-device')")
        assert device and len(device) == 32
        # Use up this phone's hourly allowance (5) from the same device id.
        for i in range(5):
            response = context.request.post("/api/v1/public/reports", headers={"X-Device-Id": device}, data={
                "description": f"第{i}处：楼道堆放杂物 {uuid.uuid4().hex[:6]}", "category": "fire",
                "address": "某小区 3 幢"})
            assert response.status == 201, response.text()
        page.fill("#r-address", "某小区 5 幢楼道")
        _fill_report(page, f"楼道里堆满了纸箱 {uuid.uuid4().hex[:6]}")
        page.get_by_test_id("submit-report").click()
        error = page.get_by_test_id("report-error")
        expect(error).to_contain_text("提交得有些频繁了")
        expect(error).to_contain_text(re.compile(r"请 \d+ (秒|分钟|小时)后再试"))
        expect(page.locator("#r-address")).to_have_value("某小区 5 幢楼道")  # nothing typed is lost
        _shot(page, artifacts, "11-rate-limited")
    finally:
        context.close()
