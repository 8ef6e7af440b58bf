"""The enterprise's inbox on a 390×844 phone: the bell shows the unread count, the inbox lists the notices by day,
a tap opens the hazard and the count drops; 全部标为已读 clears it. State changes only by clicking; the API is read."""

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


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context
    context.close()


def _unread(context: Any) -> int:
    return int(context.request.get("/api/v1/notifications/unread-count").json()["unread"])


def test_the_enterprise_bell_counts_unread_notices_and_a_tap_opens_the_hazard(
        phone: Any, artifacts: Path, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    # The worker writes the demo story's notices (交办, 复查结果 …) from the outbox, as in production.
    live_server.cli("jobs", "relay")
    live_server.cli("worker", "--burst", "--no-cron")
    page = phone.new_page()
    page.goto("/")
    page.fill("#mobile", OWNER[0])
    page.fill("#password", OWNER[1])
    page.get_by_role("button", name="登录").click()
    bell = page.get_by_test_id("bell")
    expect(bell).to_be_visible()
    unread = _unread(phone)
    assert unread >= 2, "演示企业应有未读消息（交办、复查结果等）"
    expect(page.get_by_test_id("bell-count")).to_have_text(str(unread) if unread < 100 else "99+")
    expect(bell).to_have_attribute("aria-label", f"消息，{unread} 条未读")
    page.screenshot(path=str(artifacts / "inbox-bell.png"))

    bell.click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    items = page.get_by_test_id("inbox-item")
    expect(items.first).to_be_visible()
    listed = phone.request.get("/api/v1/notifications?per_page=100").json()["items"]
    expect(items).to_have_count(len(listed))
    expect(page.locator(".inbox-day").first).to_have_text(re.compile(r"^(今天|昨天|\d+月\d+日周.)$"))
    expect(page.get_by_test_id("inbox-unread")).to_have_text(f"未读 {unread} 条")
    page.screenshot(path=str(artifacts / "inbox-list.png"), full_page=True)

    target = next(n for n in listed if n["read_at"] is None and n["hazard_id"] is not None)
    # The app shows a notice read at once and tells the server in the background: the API is read after that.
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/notifications/{target['id']}/read")) as marked:
        items.filter(has_text=target["title"]).first.click()
    assert marked.value.ok
    expect(page).to_have_url(re.compile(rf"/hazards/{target['hazard_id']}$"))
    expect(page.get_by_test_id("bell-count")).to_have_text(str(unread - 1))
    assert _unread(phone) == unread - 1
    page.screenshot(path=str(artifacts / "inbox-opened-hazard.png"))

    page.get_by_test_id("bell").click()
    expect(items.filter(has_text=target["title"]).first).to_have_attribute("data-read", "true")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/notifications/read-all")) as marked:
        page.get_by_test_id("inbox-read-all").click()
    assert marked.value.ok
    expect(page.get_by_test_id("inbox-unread")).to_have_text("没有未读消息")
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    assert _unread(phone) == 0

    page.get_by_test_id("inbox-settings").click()
    expect(page.get_by_role("checkbox", name="交办（新的整改任务）")).to_be_checked()  # the enterprise's default
    # Push after a tap; where the browser has no push service (like many phones in China) the app says so.
    phone.grant_permissions(["notifications"])
    page.get_by_test_id("push-on").click()
    expect(page.get_by_test_id("push-message")).to_contain_text(re.compile(r"已开启|无法接收推送"))
    page.screenshot(path=str(artifacts / "inbox-settings.png"), full_page=True)
    assert_no_csp_violations(page)


def test_the_service_worker_shows_a_pushed_notice(phone: Any, artifacts: Path) -> None:
    """The push handler, driven through the DevTools protocol (ServiceWorker.deliverPushMessage)."""
    from playwright.sync_api import expect

    phone.grant_permissions(["notifications"])
    page = phone.new_page()
    page.goto("/")
    page.fill("#mobile", OWNER[0])
    page.fill("#password", OWNER[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("bell")).to_be_visible()
    wait_for_js(page, "navigator.serviceWorker.controller !== null", timeout_ms=60_000)
    notice = {"title": "隐患已交办，请按期整改（YH推送测试）", "body": "整改期限：12月10日", "url": "/inbox",
              "tag": "n-test"}
    push_to_service_worker(phone, page, notice)
    wait_for_js(page, """async (tag) => {
      const found = await (await navigator.serviceWorker.ready).getNotifications({ tag });
      return found.length === 1;
    }""", arg=notice["tag"])
    shown = page.evaluate("""async () => {
      const [n] = await (await navigator.serviceWorker.ready).getNotifications({ tag: 'n-test' });
      return { title: n.title, body: n.body, url: n.data.url };
    }""")
    assert shown == {"title": notice["title"], "body": notice["body"], "url": "/inbox"}
