"""The remaining field journeys, on a 390×844 phone against the real server, driving the UI only.

1. Accounts on the phone: an account an administrator created must choose its own password at first login;
   on a second phone the same person logs in; 退出其他设备 on the first ends the second's session (and only
   it); 修改密码 from 我的; 退出登录 ends the first — each checked by reading the API with that phone's cookies.
2. Two identical copies of one inspection at the same instant (the network sends the phone's one request
   twice, as a retry after a timeout does while the first is still being written): both answer with the
   stored result, never 409, and one row exists.

The administrator's creation of the account is set up through the admin API (the console has no form for it
on a phone); everything the person does is a click. The API is otherwise only read, to check results.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    GRID_WORKER,
    PHONE,
    LiveServer,
    assert_no_csp_violations,
    log_in_offline_ready,
    patrol_site,
)

ADMIN = ("13800000001", "Demo@2026")
TIMEOUT_MS = 30_000


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"field-{name}.png"), full_page=True)


def _phone(browser: Any, live_server: LiveServer) -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow")


@pytest.fixture
def phones(browser: Any, live_server: LiveServer) -> Iterator[Callable[[], Any]]:
    """phones() → a new phone (browser context); all are closed after the test."""
    made: list[Any] = []

    def new() -> Any:
        made.append(_phone(browser, live_server))
        return made[-1]

    yield new
    for context in made:
        context.close()


def _session_status(context: Any) -> int:
    return int(context.request.get("/api/v1/auth/session").status)


def _created_by_the_administrator(browser: Any, live_server: LiveServer, mobile: str, password: str) -> None:
    """Set-up: the administrator creates a 网格员 account in the printed grid worker's grid, with a password."""
    admin = browser.new_context(base_url=live_server.url)
    try:
        login = admin.request.post("/api/v1/auth/login", data={"mobile": ADMIN[0], "password": ADMIN[1]})
        assert login.status == 200, login.text()
        (worker,) = admin.request.get(f"/api/v1/users?q={GRID_WORKER[0]}").json()["items"]
        grid = next(g["region_id"] for g in worker["grants"] if g["role"] == "grid_worker")
        created = admin.request.post("/api/v1/users", headers={"X-CSRF-Token": login.json()["csrf_token"]}, data={
            "mobile": mobile, "display_name": "新网格员李娜", "password": password,
            "grants": [{"role": "grid_worker", "region_id": grid}]})
        assert created.status == 201, created.text()
        assert created.json()["must_change_password"] is True
    finally:
        admin.close()


def _log_in(context: Any, mobile: str, password: str) -> Any:
    page = context.new_page()
    page.goto("/")
    page.fill("#mobile", mobile)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    return page


def test_accounts_on_the_phone_first_password_other_devices_and_logout(
        browser: Any, live_server: LiveServer, phones: Callable[[], Any], artifacts: Path) -> None:
    from playwright.sync_api import expect

    mobile, initial, chosen, later = "13812340001", "Chushi@2026", "Wode#Mima2026", "Xin#Mima2027"
    _created_by_the_administrator(browser, live_server, mobile, initial)

    # First login on phone A: its own password first, nothing else.
    first = phones()
    page = _log_in(first, mobile, initial)
    form = page.get_by_test_id("password-form")
    expect(form).to_contain_text("初始密码")
    expect(page.get_by_test_id("forced-logout")).to_be_visible()  # a person can always leave this screen
    _shot(page, artifacts, "d01-first-password")
    form.get_by_label("初始密码（管理员告知或短信收到的）").fill(initial)
    form.get_by_label("新密码（至少 8 位）").fill(chosen)
    form.get_by_label("再次输入新密码").fill(chosen)
    form.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("heading", name="今日任务")).to_be_visible()
    assert first.request.get("/api/v1/auth/session").json()["user"]["must_change_password"] is False

    # Phone B logs in with the chosen password.
    second = phones()
    other = _log_in(second, mobile, chosen)
    expect(other.get_by_role("heading", name="今日任务")).to_be_visible()
    assert _session_status(second) == 200

    # 退出其他设备 on phone A: B's session ends, A's stays.
    page.get_by_test_id("account-link").click()
    page.get_by_role("button", name="退出其他设备").click()
    dialog = page.get_by_test_id("others-dialog")
    expect(dialog).to_contain_text("本机保持登录")
    dialog.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("account-message")).to_contain_text("已退出其他 1 台设备")
    _shot(page, artifacts, "d02-other-devices-ended")
    assert _session_status(second) == 401 and _session_status(first) == 200
    other.reload()  # the ended phone is told so, and keeps its unsent data
    expect(other.get_by_text("登录已过期，数据仍安全保存在本机")).to_be_visible()
    _shot(other, artifacts, "d02b-ended-phone")

    # 修改密码 from 我的: the old password no longer opens the account, the new one does.
    page.get_by_role("button", name="修改密码").click()
    form = page.get_by_test_id("password-form")
    form.get_by_label("当前密码").fill(chosen)
    form.get_by_label("新密码（至少 8 位）").fill(later)
    form.get_by_label("再次输入新密码").fill(later)
    form.get_by_role("button", name="修改密码").click()
    expect(page.get_by_test_id("account-message")).to_contain_text("密码已修改")
    assert _session_status(first) == 200

    # 退出登录: back to the login page, the session is gone on the server.
    page.get_by_role("button", name="退出登录").click()
    page.get_by_test_id("logout-dialog").get_by_test_id("confirm").click()
    expect(page.locator("#password")).to_be_visible()
    _shot(page, artifacts, "d03-logged-out")
    assert _session_status(first) == 401
    page.fill("#mobile", mobile)
    page.fill("#password", chosen)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()  # the old password is refused
    page.fill("#password", later)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="今日任务")).to_be_visible()
    assert_no_csp_violations(page)


# --- two identical inspections at the same instant ------------------------------------------------------------

def _send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_two_identical_inspections_at_the_same_instant_answer_the_stored_result(
        phones: Callable[[], Any], live_server: LiveServer, artifacts: Path) -> None:
    from playwright.sync_api import Route, expect

    context = phones()
    page = log_in_offline_ready(context, GRID_WORKER)
    site, checklist = patrol_site(context.request)
    answers: list[tuple[int, bytes, dict[str, str]]] = []

    def twice_at_once(route: Route) -> None:
        """The phone's one request arrives at the server twice, at the same instant."""
        if route.request.method != "POST" or answers:
            route.continue_()
            return
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies(live_server.url))
        headers = {k: v for k, v in route.request.all_headers().items()
                   if k.lower() not in ("host", "content-length", "connection", "accept-encoding", "cookie")
                   and not k.startswith(":")}
        headers["Cookie"] = cookies
        body = route.request.post_data_buffer or b""
        start = threading.Barrier(2)
        results: list[Any] = [None, None]

        def one(i: int) -> None:
            start.wait()
            results[i] = _send(route.request.url, body, headers)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        answers.extend(results)
        status, data, got = results[0]
        route.fulfill(status=status, body=data, content_type=got.get("Content-Type", "application/json"))

    page.route("**/api/v1/inspections", twice_at_once)
    page.goto(f"/sites/{site['id']}")
    page.get_by_test_id("start-inspection").filter(has_text=checklist["title"]).click()
    expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
    client_uuid = page.url.rsplit("/", 1)[-1]
    assert uuid.UUID(client_uuid)
    sections = page.get_by_test_id("section")
    expect(sections.first).to_be_visible()  # count the sections once the form has rendered them
    for index in range(sections.count()):
        sections.nth(index).get_by_test_id("section-na").click()
    expect(page.get_by_text(re.compile(r"未检查 0 项"))).to_be_visible()
    expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")
    page.get_by_test_id("submit").click()
    row = page.locator(f"[data-testid=outbox-item][data-id='{client_uuid}']")
    expect(row).to_have_attribute("data-state", "sent", timeout=45_000)
    _shot(page, artifacts, "d04-duplicate-sent-once")

    statuses = sorted(status for status, _, _ in answers)
    # Both succeed with the stored inspection: the writer 201 (created), the copy 200 (the stored result).
    assert len(statuses) == 2 and all(s in (200, 201) for s in statuses), [(s, b[:300]) for s, b, _ in answers]
    ids = {json.loads(body)["id"] for _, body, _ in answers}
    assert len(ids) == 1
    stored = [i for i in context.request.get(f"/api/v1/inspections?site={site['id']}&per_page=200").json()["items"]
              if i["client_uuid"] == client_uuid]
    assert len(stored) == 1
    assert_no_csp_violations(page)
