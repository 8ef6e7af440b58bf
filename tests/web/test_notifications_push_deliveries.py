"""投递记录 on the desktop console: a Web Push delivery the push service refused, with its reason in Chinese.

Which part is UI and which is seeded: headless Chromium has no push service to subscribe with, so the enterprise's
browser subscription cannot be made by clicking. The subscription (pointing at a local push service stand-in that
checks the VAPID signature, decrypts the message, then answers 403) and the sending of one of the enterprise's
existing notices are seeded with the server's own code in a separate process; the worker sends it as in
production. What the browser proves is the staff's side: the 区安委办 supervisor at a desk filters the list by
浏览器推送 and reads 被拒绝 with the push service's answer in words, 重试 offered. The rules themselves (sent, refused,
404/410 removed, 待发送 while the outbox retries) are specified in tests/notifications/test_push.py.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.push import PushService, serve_push_service
from tests.web.conftest import LiveServer, Reader, assert_no_csp_violations, supervisor_desk

TIMEOUT_MS = 20_000
REASON = "推送服务不认可本站的 VAPID 身份（密钥已更换或配置有误，请该用户在设备上重新开启推送）"


@pytest.fixture(scope="module")
def refusing_push_service() -> Iterator[PushService]:
    """A push service that verifies and decrypts what it gets, then refuses it (403)."""
    with serve_push_service(status=403) as state:
        yield state


SEED = textwrap.dedent("""
    import sys
    from sqlalchemy import select
    from hazardloop import create_app
    from hazardloop.accounts.models import User
    from hazardloop.extensions import db
    from hazardloop.notifications import push
    from hazardloop.notifications.models import Notification

    endpoint, p256dh, auth = sys.argv[1:4]
    app = create_app({"SCHEMA_CHECK": False})
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.mobile == "13800002001"))
        notice = db.session.scalar(select(Notification).where(Notification.user_id == owner.id,
                                   Notification.hazard_id.is_not(None)).order_by(Notification.id.desc()))
        push.subscribe(owner, endpoint=endpoint, p256dh=p256dh, auth=auth, device_label="测试手机")
        push.queue_push([notice])
        db.session.commit()
        print(notice.id, notice.title)
""")


def test_the_desk_reads_a_refused_push_delivery_in_words(browser: Any, live_server: LiveServer,
                                                         refusing_push_service: PushService, artifacts: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    live_server.cli("jobs", "relay")  # the demo's notices are written by the outbox
    live_server.cli("worker", "--burst", "--no-cron")
    keys = refusing_push_service.keys()
    seeded = subprocess.run([sys.executable, "-c", SEED, refusing_push_service.url + "/push/desk-test",
                             keys["p256dh"], keys["auth"]], env=live_server.env, cwd=live_server.cwd,
                            capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr
    notice_id, _, title = seeded.stdout.strip().partition(" ")
    live_server.cli("jobs", "relay")
    live_server.cli("worker", "--burst", "--no-cron")
    [received] = refusing_push_service.received  # it reached the push service, signed and encrypted
    assert received["payload"]["id"] == int(notice_id)

    desk = supervisor_desk(browser, live_server, {"width": 1280, "height": 800})
    try:
        desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="投递记录").click()
        expect(desk.get_by_test_id("deliveries")).to_be_visible()
        desk.get_by_test_id("delivery-channel").select_option(label="浏览器推送")
        desk.get_by_test_id("delivery-filter-refused").click()
        row = desk.get_by_test_id("delivery-row").filter(has_text=title)
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("delivery-status")).to_have_text("被拒绝")
        expect(row.get_by_test_id("delivery-reason")).to_have_text(REASON)
        expect(row.get_by_test_id("delivery-recipient")).to_have_text("浏览器推送（127.0.0.1）")
        expect(row.get_by_test_id("delivery-retry")).to_be_visible()
        assert "/push/desk-test" not in desk.get_by_test_id("deliveries").inner_text()  # the endpoint is not shown
        desk.screenshot(path=str(artifacts / "push-delivery-refused.png"), full_page=True)
        listed = Reader(desk.context).get("/api/v1/notifications/deliveries?channel=push&per_page=100")["items"]
        assert [r["status"] for r in listed if r["title"] == title] == ["refused"]
        assert_no_csp_violations(desk)
    finally:
        desk.context.close()
