"""Tapping a pushed notice, and phones without push, on the enterprise's 390×844 phone in Chromium.

A notification click cannot be performed on a headless browser's system notification, and DevTools has no
command for it. So the service worker's ``notificationclick`` handler is driven inside the worker itself
(Playwright's service-worker ``evaluate``): a ``NotificationEvent`` built around the notice the push handler
really showed. Such a synthetic event carries no user activation, so Chromium refuses ``clients.openWindow`` and
``focus`` in it; what is proven is the path with the app open — the handler closes the notice and tells the open
window to go to the notice's page, and the page shows the hazard. Opening a new window on a real tap is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.push import push_to_service_worker
from tests.web.conftest import LiveServer, assert_no_csp_violations, wait_for_js

OWNER = ("13800002001", "Demo@2026")
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000


def _context(browser: Any, live_server: LiveServer) -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = _context(browser, live_server)
    yield context
    context.close()


def _login(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    page.fill("#mobile", OWNER[0])
    page.fill("#password", OWNER[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("bell")).to_be_visible()


def _show_pushed_notice(phone: Any, page: Any, notice: dict[str, Any]) -> None:
    """Deliver a push message to the app's service worker (DevTools) and wait until it shows the notice."""
    push_to_service_worker(phone, page, notice)
    wait_for_js(page, """async (tag) => {
      const found = await (await navigator.serviceWorker.ready).getNotifications({ tag });
      return found.length === 1;
    }""", arg=notice["tag"])


def test_tapping_a_pushed_notice_opens_its_hazard_in_the_open_app(phone: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    phone.grant_permissions(["notifications"])
    page = phone.new_page()
    _login(page)
    wait_for_js(page, "navigator.serviceWorker.controller !== null", timeout_ms=60_000)
    hazard = phone.request.get("/api/v1/hazards?per_page=1").json()["items"][0]
    notice = {"title": f"隐患已交办，请按期整改（{hazard['number']}）", "body": "整改期限：12月10日",
              "url": f"/hazards/{hazard['id']}", "tag": "n-tap"}
    page.get_by_test_id("bell").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    _show_pushed_notice(phone, page, notice)

    [worker] = [w for w in phone.service_workers if w.url.endswith("/sw.js")] or phone.service_workers[:1]
    tapped = worker.evaluate("""async (tag) => {
      const [shown] = await self.registration.getNotifications({ tag });
      const event = new NotificationEvent('notificationclick', { notification: shown });
      self.dispatchEvent(event);  // the handler's waitUntil refuses an untrusted event; its work still runs
      return { title: shown.title, url: shown.data.url };
    }""", "n-tap")
    assert tapped == {"title": notice["title"], "url": notice["url"]}
    expect(page).to_have_url(re.compile(rf"/hazards/{hazard['id']}$"))
    expect(page.get_by_text(hazard["number"]).first).to_be_visible()
    wait_for_js(page, """async (tag) => {
      const left = await (await navigator.serviceWorker.ready).getNotifications({ tag });
      return left.length === 0;
    }""", arg="n-tap")  # the tap closed the notice
    page.screenshot(path=str(artifacts / "notify-push-tap-opened-hazard.png"))
    assert_no_csp_violations(page)


def test_a_phone_without_push_says_so_before_any_tap(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    """Like many Chinese phones' browsers and WeChat: no PushManager. The settings say what still reaches them."""
    from playwright.sync_api import expect

    context = _context(browser, live_server)
    try:
        context.add_init_script("delete window.PushManager;")
        page = context.new_page()
        _login(page)
        page.get_by_test_id("bell").click()
        page.get_by_test_id("inbox-settings").click()
        expect(page.get_by_test_id("push-unavailable")).to_contain_text("无法接收推送")
        expect(page.get_by_test_id("push-unavailable")).to_contain_text("短信")
        expect(page.get_by_test_id("push-on")).to_have_count(0)  # nothing offered that cannot work
        expect(page.get_by_test_id("push-note")).to_contain_text("部分国产手机和微信内打开时收不到推送")
        page.get_by_test_id("push-settings").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "notify-no-push-note.png"), full_page=True)
        assert_no_csp_violations(page)
    finally:
        context.close()
