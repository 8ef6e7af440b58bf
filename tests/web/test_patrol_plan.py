"""The field app's patrol plan (待巡查) and server photos kept for offline work, in Debian's Chromium.

1. A grid worker logs in: 今日任务 lists the sites of the patrol plan in the server's order (overdue first).
2. A hazard of the worker's grid with a photo another phone took: the app keeps its thumbnail while online.
3. Offline, after a reload: the patrol plan is still there with its freshness, the hazard's thumbnail
   shows (from the service worker's photo cache), and 开始巡查 opens an inspection of the first site.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from tests.web.conftest import GRID_WORKER, LiveServer, wait_for_js

TIMEOUT_MS = 30_000


def _jpeg() -> bytes:
    image = Image.new("RGB", (1200, 900), (210, 205, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle([300, 200, 900, 700], fill=(170, 40, 30))
    draw.text((20, 20), uuid.uuid4().hex, fill=(0, 0, 0))  # a new photo (new hash) each run
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _hazard_with_server_photo(request: Any, csrf: str, site_id: int) -> tuple[int, str]:
    """随手拍 through the API, as another phone of the same worker would have sent it."""
    upload = request.post("/api/v1/photos", headers={"X-CSRF-Token": csrf},
                          multipart={"file": {"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}})
    assert upload.ok, upload.text()
    photo_id = upload.json()["id"]
    created = request.post("/api/v1/hazards", headers={"X-CSRF-Token": csrf}, data={
        "client_uuid": str(uuid.uuid4()), "site_id": site_id, "description": "疏散通道堆放杂物",
        "domain": "fire", "level": "一般", "photo_ids": [photo_id], "found_at": "2026-11-20T10:00:00+08:00"})
    assert created.status == 201, created.text()
    return created.json()["id"], photo_id


def test_patrol_plan_and_hazard_photos_work_offline(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow",
        permissions=["geolocation"], geolocation={"latitude": 30.2936, "longitude": 120.1614, "accuracy": 12},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/")
        page.fill("#mobile", GRID_WORKER[0])
        page.fill("#password", GRID_WORKER[1])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="今日任务")).to_be_visible()
        csrf = context.request.get("/api/v1/auth/session").json()["csrf_token"]

        # 1. The plan on screen is the server's, overdue first.
        plan = context.request.get("/api/v1/patrols/due").json()
        assert plan["items"], "演示数据的网格员应有待巡查场所"
        assert [i["overdue"] for i in plan["items"]] == sorted((i["overdue"] for i in plan["items"]), reverse=True)
        rows = page.get_by_test_id("patrol-due")
        expect(rows.first).to_have_attribute("data-site", str(plan["items"][0]["site"]["id"]))
        expect(page.get_by_test_id("patrol-freshness")).to_contain_text("巡查计划更新于")

        # 2. A hazard with a photo this phone never had; the offline refresh keeps its thumbnail.
        site_id = plan["items"][-1]["site"]["id"]
        hazard_id, photo_id = _hazard_with_server_photo(context.request, csrf, site_id)
        page.reload()
        expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
        wait_for_js(page, "navigator.serviceWorker.controller !== null")
        wait_for_js(page,
            """async (id) => {
                 const cache = await caches.open('hazard-photos-thumbnail');
                 return (await cache.keys()).some((r) => r.url.includes(`/api/v1/photos/${id}/thumbnail`));
               }""", arg=photo_id, timeout_ms=60_000)

        # 3. Offline: the plan, the photo and 开始巡查 still work.
        context.set_offline(True)
        page.reload()
        expect(page.get_by_test_id("net")).to_have_text("离线")
        expect(page.get_by_test_id("patrol-freshness")).to_be_visible()
        expect(rows.first).to_have_attribute("data-site", str(plan["items"][0]["site"]["id"]))
        page.screenshot(path=str(artifacts / "patrol-01-today-offline.png"), full_page=True)

        page.goto(f"/hazards/{hazard_id}")
        photo = page.get_by_test_id("photo-pairs").locator("img[data-size=thumbnail]").first
        expect(photo).to_be_visible()
        wait_for_js(page, "(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
        page.screenshot(path=str(artifacts / "patrol-02-hazard-photo-offline.png"), full_page=True)

        page.goto("/")
        rows.first.get_by_test_id("start-patrol").click()
        expect(page).to_have_url(re.compile(r"/(drafts/[0-9a-f-]{36}|sites/\d+)$"))
        page.screenshot(path=str(artifacts / "patrol-03-started-offline.png"), full_page=True)
    finally:
        context.close()
