"""The field app, end to end, in Debian's Chromium against a real server (gunicorn, SQLite, Redis).

The offline scenario, as far as the backend goes today:

1. The grid worker logs in while online; the app caches sites and checklists for offline use.
2. Offline: the site opens from its QR URL (from the offline copy), an inspection is filled with a
   failed item and a photo from the camera (a file chooser with a real JPEG).
3. Reloading while offline brings the draft back intact (answer, finding text, photo).
4. Submitting while offline queues it in the outbox.
5. Back online it syncs by itself — exactly once, even though the first request is cut off after
   the server stored it (the retry with the same client UUID gets the same answer, no duplicate).

6. The closed loop in the browser: the grid worker assigns the hazard (交办); the site's enterprise
   user (created with `hazardloop create-user`) signs for it and, offline, reports the rectification
   with an after-photo — queued, then sent when back online; the grid worker finds it under
   待复查 on 今日任务, compares before/after side by side and passes it (复查通过). The server
   records each step exactly once.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.web.conftest import GRID_WORKER, LiveServer, assert_no_csp_violations, wait_for_js

TIMEOUT_MS = 20_000


@dataclass
class OfflineRun:
    """What the offline half left behind, for the online half to continue from."""

    page: Any
    context: Any
    site_id: int
    client_uuid: str
    item_code: str
    finding: str
    shots: list[str] = field(default_factory=list)


def _camera_jpeg(tmp: Path) -> Path:
    """A real 2400×1800 JPEG, as a phone camera would hand over (larger than the app keeps)."""
    image = Image.new("RGB", (2400, 1800), (200, 200, 190))
    draw = ImageDraw.Draw(image)
    for i in range(0, 2400, 120):
        draw.rectangle([i, 600, i + 60, 1400], fill=(150 + i % 100, 60, 40))
    path = tmp / "camera.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


def _pick_site(api: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A site of mine whose first applicable checklist starts with a compliance item."""
    sites = api.get("/api/v1/sites?per_page=500").json()["items"]
    for site in sites:
        detail = api.get(f"/api/v1/sites/{site['id']}").json()
        for summary in api.get(f"/api/v1/checklists?site={site['id']}").json()[:1]:
            version = api.get(f"/api/v1/checklists/{summary['id']}/versions/{summary['version']}").json()
            first = version["content"]["sections"][0]["items"][0]
            if first["answer"]["type"] == "compliance" and detail.get("qr_token"):
                return detail, summary, first
    pytest.fail("演示数据中没有可用于测试的场所（需有二维码且首个检查项为符合性判断）。")


def _shot(page: Any, artifacts: Path, name: str, run: OfflineRun | None = None) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    if run is not None:
        run.shots.append(name)


@pytest.fixture(scope="module")
def offline_run(browser: Any, live_server: LiveServer, artifacts: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineRun]:
    """Steps 1–4, once per test process; the tests below check and continue from them."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
        permissions=["geolocation"], geolocation={"latitude": 30.2936, "longitude": 120.1614, "accuracy": 12},
        service_workers="allow",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    # 1. Log in online; wait until the offline copy is complete and the worker controls the page.
    page.goto("/")
    page.fill("#mobile", GRID_WORKER[0])
    page.fill("#password", GRID_WORKER[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="今日任务")).to_be_visible()
    expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
    wait_for_js(page, "navigator.serviceWorker.controller !== null")
    site, checklist, item = _pick_site(context.request)
    _shot(page, artifacts, "01-today")

    # 2. Offline from here on: the site list comes from IndexedDB, the site from its QR URL.
    context.set_offline(True)
    page.get_by_role("navigation").get_by_role("link", name="场所", exact=True).click()
    page.fill("#site-q", site["name"])
    expect(page.get_by_test_id("site-list").get_by_role("link").first).to_contain_text(site["name"])
    _shot(page, artifacts, "02-sites-offline")
    page.goto(f"/s/{site['qr_token']}")
    expect(page.get_by_test_id("site-name")).to_have_text(site["name"])
    expect(page.get_by_test_id("net")).to_have_text("离线")
    page.get_by_test_id("start-inspection").filter(has_text=checklist["title"]).click()
    expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
    client_uuid = page.url.rsplit("/", 1)[-1]

    card = page.locator(f"[data-testid=item][data-code='{item['code']}']")
    card.get_by_role("button", name="不符合", exact=True).click()
    finding = card.get_by_test_id("finding")
    expected_finding = (item.get("hazard") or {}).get("description") or item["text"]
    expect(finding).to_have_value(expected_finding)
    with page.expect_file_chooser() as chooser:
        card.get_by_test_id("camera").click()
    chooser.value.set_files(str(_camera_jpeg(tmp_path_factory.mktemp("camera"))))
    expect(card.locator("[data-testid=photos] img")).to_have_count(1)
    expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")
    _shot(page, artifacts, "03-inspection-offline")

    # 3. Reload while offline: the service worker serves the shell, IndexedDB the draft.
    page.reload()
    card = page.locator(f"[data-testid=item][data-code='{item['code']}']")
    expect(card.get_by_role("button", name="不符合", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(card.get_by_test_id("finding")).to_have_value(expected_finding)
    expect(card.locator("[data-testid=photos] img")).to_have_count(1)
    _shot(page, artifacts, "04-draft-after-offline-reload")

    # 4. Submit offline: queued in the outbox.
    page.get_by_test_id("submit").click()
    # The other items are unanswered: the form lists them and asks before queueing.
    dialog = page.get_by_test_id("unanswered-dialog")
    expect(dialog.get_by_test_id("unanswered-list")).not_to_contain_text(item["code"])
    dialog.get_by_role("button", name="仍然提交").click()
    expect(page).to_have_url(re.compile(r"/outbox$"))
    row = page.locator(f"[data-testid=outbox-item][data-id='{client_uuid}']")
    expect(row).to_have_attribute("data-state", "queued")
    _shot(page, artifacts, "05-outbox-queued-offline")

    yield OfflineRun(page=page, context=context, site_id=site["id"], client_uuid=client_uuid,
                     item_code=item["code"], finding=expected_finding)
    context.close()


def test_offline_inspection_survives_reload_and_is_queued(offline_run: OfflineRun) -> None:
    from playwright.sync_api import expect

    row = offline_run.page.locator(f"[data-testid=outbox-item][data-id='{offline_run.client_uuid}']")
    expect(row).to_have_attribute("data-state", "queued")
    expect(row.get_by_test_id("outbox-state")).to_contain_text("排队等待发送")
    stored = offline_run.page.evaluate(
        """(id) => new Promise((resolve, reject) => {
            const open = indexedDB.open('hazardloop');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('outbox').objectStore('outbox').get(id);
              get.onsuccess = () => resolve(get.result);
            };
        })""",
        offline_run.client_uuid,
    )
    answer = next(a for a in stored["payload"]["answers"] if a["item_code"] == offline_run.item_code)
    assert answer["result"] == "不符合"
    assert answer["finding"] == offline_run.finding
    assert len(answer["photo_ids"]) == 1 and re.fullmatch(r"[0-9a-f]{64}", answer["photo_ids"][0])
    assert stored["payload"]["position"]["accuracy_m"] == 12
    assert stored["payload"]["qr_scan"]["token"]
    assert re.search(r"[+-]\d\d:\d\d$", stored["payload"]["saved_at"])
    assert stored["frozen"] is False


def test_queued_inspection_syncs_exactly_once_when_cut_off_mid_sync(
    offline_run: OfflineRun, live_server: LiveServer, artifacts: Path,
) -> None:
    from playwright.sync_api import Route, expect

    openapi = offline_run.context.request.get("/api/openapi.json").json()
    assert "post" in openapi["paths"].get("/api/v1/inspections", {}), "服务器没有 POST /api/v1/inspections"

    page, context = offline_run.page, offline_run.context
    posts: list[int] = []

    def cut_off_first(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        if not posts:
            # The server stores it, then the connection drops before the phone hears back.
            posts.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            posts.append(0)
            route.continue_()

    page.route("**/api/v1/inspections", cut_off_first)
    context.set_offline(False)
    row = page.locator(f"[data-testid=outbox-item][data-id='{offline_run.client_uuid}']")
    expect(row).to_have_attribute("data-state", "sent", timeout=45_000)
    expect(row).to_contain_text("已送达")
    _shot(page, artifacts, "06-outbox-sent")

    assert posts[0] == 201, posts
    assert len(posts) >= 2, "the cut-off request was never retried"
    api = context.request
    mine = [i for i in api.get(f"/api/v1/inspections?site={offline_run.site_id}&per_page=500").json()["items"]
            if i["client_uuid"] == offline_run.client_uuid]
    assert len(mine) == 1
    detail = api.get(f"/api/v1/inspections/{mine[0]['id']}").json()
    hazards = [h for h in detail["hazards"] if h.get("item_code") == offline_run.item_code]
    assert len(hazards) == 1
    listed = api.get(f"/api/v1/hazards?site={offline_run.site_id}&limit=500").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [h["number"] for h in items].count(hazards[0]["number"]) == 1
    answer = next(a for a in detail["answers"] if a.get("item_code") == offline_run.item_code)
    photo_id = (answer.get("photo_ids") or [None])[0]
    assert photo_id, json.dumps(answer, ensure_ascii=False)
    photo = api.get(f"/api/v1/photos/{photo_id}").json()
    assert max(photo["width"], photo["height"]) <= 1600


ENTERPRISE = ("13900009001", "Qiye@2026")


def _camera_after_jpeg(tmp: Path) -> Path:
    """The 'after' photo: a clear, tidy scene (a different picture from the finding's)."""
    image = Image.new("RGB", (1600, 1200), (235, 240, 235))
    ImageDraw.Draw(image).rectangle([300, 300, 1300, 900], outline=(20, 120, 40), width=40)
    path = tmp / "after.jpg"
    image.save(path, "JPEG", quality=90)
    return path


def _new_phone(browser: Any, live_server: LiveServer) -> Any:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
        permissions=["geolocation"], geolocation={"latitude": 30.2936, "longitude": 120.1614, "accuracy": 15},
        service_workers="allow",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _fire(page: Any, action: str, fill: dict[str, str] | None = None) -> None:
    """Open an action's form on the hazard page, fill it and submit (it goes through the outbox)."""
    from playwright.sync_api import expect

    page.get_by_test_id(f"action-{action}").click()
    form = page.get_by_test_id(f"form-{action}")
    for name, value in (fill or {}).items():
        form.locator(f"[name='{name}']").fill(value)
    form.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("action-message")).to_be_visible()


def test_enterprise_rectifies_and_grid_worker_verifies(
    offline_run: OfflineRun, browser: Any, live_server: LiveServer, artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from playwright.sync_api import expect

    worker, worker_api = offline_run.page, offline_run.context.request
    offline_run.context.set_offline(False)
    row = worker.locator(f"[data-testid=outbox-item][data-id='{offline_run.client_uuid}']")
    expect(row).to_have_attribute("data-state", "sent", timeout=45_000)
    inspection = next(i for i in worker_api.get(
        f"/api/v1/inspections?site={offline_run.site_id}&per_page=500").json()["items"]
        if i["client_uuid"] == offline_run.client_uuid)
    detail = worker_api.get(f"/api/v1/inspections/{inspection['id']}").json()
    hazard_id = next(h["id"] for h in detail["hazards"] if h["item_code"] == offline_run.item_code)
    hazard = worker_api.get(f"/api/v1/hazards/{hazard_id}").json()

    # 交办 by the grid worker, in the app (a found hazard; a repeat of an earlier one may be further on).
    worker.goto(f"/hazards/{hazard_id}")
    expect(worker.get_by_test_id("hazard")).to_be_visible()
    if hazard["status"] in ("found", "exposed"):
        _fire(worker, "assign", {"note": "请立即清理疏散通道"})
        expect(worker.get_by_test_id("hazard")).to_have_attribute("data-status", "assigned")
    expect(worker.get_by_test_id("references")).to_be_visible()
    _shot(worker, artifacts, "07-hazard-assigned")

    # The site's enterprise user, on their own phone.
    live_server.cli("create-user", "--mobile", ENTERPRISE[0], "--name", "店主王建国", "--role", "enterprise_user",
                    "--site-id", str(offline_run.site_id), extra_env={"HAZARDLOOP_PASSWORD": ENTERPRISE[1]})
    context = _new_phone(browser, live_server)
    try:
        owner = context.new_page()
        owner.goto("/")
        owner.fill("#mobile", ENTERPRISE[0])
        owner.fill("#password", ENTERPRISE[1])
        owner.get_by_role("button", name="登录").click()
        expect(owner.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
        mine = owner.get_by_test_id("my-hazards").locator(f"[data-testid=hazard-row][data-id='{hazard_id}']")
        expect(mine.get_by_test_id("countdown")).to_be_visible()
        expect(owner.get_by_test_id("orders").get_by_role("link").first).to_be_visible()
        _shot(owner, artifacts, "08-enterprise-home")
        mine.click()
        if worker_api.get(f"/api/v1/hazards/{hazard_id}").json()["status"] == "assigned":
            _fire(owner, "acknowledge")
            expect(owner.get_by_test_id("hazard")).to_have_attribute("data-status", "rectifying")

        # 报告整改完成 while offline: queued in the outbox, sent when the phone is back in reach.
        context.set_offline(True)
        owner.get_by_test_id("action-submit_rectification").click()
        form = owner.get_by_test_id("form-submit_rectification")
        form.locator("[name='measures']").fill("已清理疏散通道内堆放的杂物，并安排专人每日检查")
        form.locator("[name='cost']").fill("200")
        form.locator("[name='responsible_person']").fill("王建国")
        with owner.expect_file_chooser() as chooser:
            form.get_by_test_id("camera").click()
        chooser.value.set_files(str(_camera_after_jpeg(tmp_path_factory.mktemp("after"))))
        expect(form.get_by_test_id("photos-photo_ids").locator("img")).to_have_count(1)
        form.get_by_test_id("action-submit").click()
        expect(owner.get_by_test_id("pending-step")).to_contain_text("排队等待发送")
        _shot(owner, artifacts, "09-rectification-queued-offline")
        context.set_offline(False)
        expect(owner.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification",
                                                                  timeout=45_000)
        expect(owner.get_by_test_id("rectification")).to_contain_text("已清理疏散通道")
        _shot(owner, artifacts, "10-rectification-sent")
        assert_no_csp_violations(owner)
    finally:
        context.close()

    # 复查: from 今日任务 to the hazard, before/after side by side, pass.
    worker.goto("/")
    waiting = worker.get_by_test_id("to-verify").locator(f"[data-testid=hazard-row][data-id='{hazard_id}']")
    expect(waiting).to_be_visible()
    _shot(worker, artifacts, "11-today-to-verify")
    waiting.click()
    pairs = worker.get_by_test_id("photo-pairs")
    expect(pairs.locator("img")).to_have_count(2)
    _shot(worker, artifacts, "12-verify-before-after")
    _fire(worker, "verify_pass", {"note": "现场复查，疏散通道已畅通"})
    expect(worker.get_by_test_id("hazard")).to_have_attribute("data-status", "closed", timeout=45_000)
    _shot(worker, artifacts, "13-hazard-closed")

    final = worker_api.get(f"/api/v1/hazards/{hazard_id}").json()
    assert final["status"] == "closed"
    kinds = [e["kind"] for e in final["timeline"]]
    assert kinds.count("submit_rectification") == 1 and kinds.count("verify_pass") == 1, kinds
    assert final["rectification"]["cost"] == 200 and len(final["rectification"]["photo_ids"]) == 1
    assert_no_csp_violations(worker)
