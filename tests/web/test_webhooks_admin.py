"""对接系统（Webhook）, clicked through by the administrator on a real server: add an outside system pointing at a
local HTTP receiver, send it a test delivery (signed with the secret shown once), change the secret, switch it off.
State changes only through the screen; the API is read to check."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hazardloop.notifications.webhooks import verify
from tests.support.receivers import recording_server
from tests.web.conftest import LiveServer, admin_desk, assert_no_csp_violations, axe_problems, serve_seeded

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, redis_url: str, pwa_dist: Path) -> Iterator[LiveServer]:
    """This module's own seeded server, allowed to deliver webhooks to 127.0.0.1 (the test's receiver)."""
    yield from serve_seeded(tmp_path_factory.mktemp("webhooks"), redis_url, {"WEBHOOK_ALLOW_PRIVATE": "true"})


@pytest.fixture
def receiver() -> Iterator[tuple[str, Any]]:
    with recording_server() as server:
        yield server


def _pings(live_server: LiveServer, recorder: Any, path: str, count: int) -> list[dict[str, Any]]:
    """Run the worker until ``count`` pings reached ``path`` on the receiver (the ping goes through the outbox;
    the seeded demo's own hazard events, still queued, may reach the subscriber too)."""
    deadline = time.monotonic() + 30
    while True:
        live_server.cli("worker", "--burst", "--no-cron")
        got = [r for r in recorder.received if r["path"] == path and json.loads(r["body"])["type"] == "ping"]
        if len(got) >= count:
            return got
        assert time.monotonic() < deadline, recorder.received
        time.sleep(0.5)


def _signed_by(request: dict[str, Any], secret: str) -> bool:
    headers = request["headers"]
    return verify([secret], headers["X-Hazardloop-Timestamp"], request["body"], headers["X-Hazardloop-Signature"])


def _hook(context: Any, hook_id: int) -> dict[str, Any]:
    response = context.request.get(f"/api/v1/webhooks/{hook_id}")
    assert response.ok, response.text()
    return response.json()


def _no_codes_on_screen(page: Any) -> None:
    text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    for raw in ("hazard.transitioned", "circular.published", "UTC", "subscriber_disabled", "null", "undefined"):
        assert raw not in text, raw


def test_the_administrator_connects_an_outside_system_tests_it_rotates_its_secret_and_switches_it_off(
        browser: Any, live_server: LiveServer, receiver: tuple[str, Any], artifacts: Path) -> None:
    from playwright.sync_api import expect

    origin, recorder = receiver
    context, page = admin_desk(browser, live_server, TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/console")
    page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="对接系统（Webhook）").click()
    expect(page.get_by_role("heading", name="对接系统（Webhook）")).to_be_visible()
    expect(page.get_by_test_id("webhooks")).to_contain_text("还没有对接系统。")
    kinds = page.get_by_test_id("webhook-kinds")
    expect(kinds).to_contain_text("隐患状态变化")
    expect(kinds).to_contain_text("通报发布")
    page.screenshot(path=str(artifacts / "webhooks-1-empty.png"), full_page=True)

    # Add the 12345 hotline platform, for hazard events only.
    page.get_by_test_id("webhook-name").fill("12345 热线平台")
    page.get_by_test_id("webhook-url").fill(f"{origin}/hotline")
    kinds.get_by_label("隐患状态变化", exact=False).check()
    page.get_by_test_id("webhook-create").click()
    banner = page.get_by_test_id("webhook-secret-banner")
    expect(banner).to_contain_text("只显示这一次")
    secret = page.get_by_test_id("webhook-secret").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret), secret
    page.get_by_test_id("webhook-secret-copy").click()
    expect(page.get_by_test_id("webhook-secret-copied")).to_have_text(re.compile("已复制到剪贴板"))
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    row = page.get_by_test_id("webhook-row").filter(has_text="12345 热线平台")
    expect(row.get_by_test_id("webhook-events")).to_have_text("隐患状态变化（交办、整改、核查、销号等）")
    expect(row.get_by_test_id("webhook-state")).to_contain_text("已启用")
    hook_id = int(row.get_attribute("data-id") or 0)
    listed = _hook(context, hook_id)
    assert listed["url"] == f"{origin}/hotline" and listed["event_kinds"] == ["hazard.transitioned"]
    assert listed["active"] is True and "secret" not in listed
    _no_codes_on_screen(page)
    assert axe_problems(page, "对接系统（新增后）") == []
    page.screenshot(path=str(artifacts / "webhooks-2-created-secret.png"), full_page=True)

    # 发送测试: the receiver gets a signed ping.
    row.get_by_test_id("webhook-ping").click()
    expect(row.get_by_test_id("webhook-message")).to_contain_text("测试消息已发出")
    [ping] = _pings(live_server, recorder, "/hotline", 1)
    assert json.loads(ping["body"]) == {"type": "ping", "subscription_id": hook_id}
    assert _signed_by(ping, secret)
    page.screenshot(path=str(artifacts / "webhooks-3-ping.png"), full_page=True)

    # 更换密钥: asked to confirm, then the new secret once; the next ping is signed with it.
    row.get_by_test_id("webhook-rotate").click()
    row.get_by_test_id("webhook-rotate-confirm").click()
    expect(row.get_by_test_id("webhook-message")).to_contain_text("密钥已更换")
    expect(banner).to_contain_text("新签名密钥")
    expect(banner).to_contain_text("旧密钥仍可用于验签")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(1)  # only the newest secret is on screen
    new_secret = page.get_by_test_id("webhook-secret").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", new_secret) and new_secret != secret
    assert _hook(context, hook_id)["secret_rotated_at"]
    expect(row.get_by_test_id("webhook-state")).to_contain_text("密钥更换于")
    page.screenshot(path=str(artifacts / "webhooks-4-rotated.png"), full_page=True)
    row.get_by_test_id("webhook-ping").click()
    expect(row.get_by_test_id("webhook-message")).to_contain_text("测试消息已发出")
    second = _pings(live_server, recorder, "/hotline", 2)[1]
    assert _signed_by(second, new_secret) and not _signed_by(second, secret)

    # 停用: nothing more is delivered, and a test delivery is no longer offered (the server would refuse it).
    row.get_by_test_id("webhook-toggle").click()
    expect(row.get_by_test_id("webhook-state")).to_contain_text("已停用")
    expect(row.get_by_test_id("webhook-message")).to_contain_text("不再向它推送事件")
    expect(row.get_by_test_id("webhook-ping")).to_have_count(0)
    expect(row.get_by_test_id("webhook-toggle")).to_have_text("启用")
    disabled = _hook(context, hook_id)
    assert disabled["active"] is False and disabled["disabled_at"]
    _no_codes_on_screen(page)
    assert "X-Hazardloop" not in page.inner_text("body")
    assert axe_problems(page, "对接系统（停用后）") == []
    page.screenshot(path=str(artifacts / "webhooks-5-disabled.png"), full_page=True)

    # A wrong address is explained in Chinese before anything is sent.
    page.get_by_test_id("webhook-name").fill("城市运行管理平台")
    page.get_by_test_id("webhook-url").fill("ftp://127.0.0.1/city")
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("create-webhook-error")).to_have_text(re.compile("http:// 或 https://"))
    page.screenshot(path=str(artifacts / "webhooks-6-refused.png"), full_page=True)

    assert_no_csp_violations(page)
    context.close()
