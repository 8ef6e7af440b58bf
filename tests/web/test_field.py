"""Field and enterprise journeys without dead ends, on a 390×844 phone, driving the UI only.

1. A grid worker patrols offline: one finding with a wrong photo deleted, 本节不涉及 for the rest; queued,
   synced once when back in reach; the server holds one inspection with exactly that content.
2. The enterprise's two 申请延期 refused by the server (the date is not after the current deadline): one is
   corrected in 待发送 and resent, the other discarded after a confirmation naming what is lost.
3. The enterprise sees its approved extension on its home page; the grid worker's 复查 of its 一般 hazard passes,
   the doubtful after-photo flagged before 销号 and the phone's position recorded with the step.
4. axe-core finds no serious or critical violation on the field, enterprise and public pages, in normal and
   large-text modes.
The API is only read, to check results.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.deadlines import local_today
from tests.web.conftest import (
    GRID_WORKER,
    PHONE,
    LiveServer,
    assert_no_csp_violations,
    axe_problems,
    log_in_offline_ready,
    patrol_site,
    wait_for_js,
)

OWNER = ("13800002001", "Demo@2026")
TIMEOUT_MS = 30_000


def _jpeg(tmp: Path, name: str, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    path = tmp / name
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def _shot(page: Any, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"field-{name}.png"), full_page=full_page)


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="allow")
    yield context
    context.close()


# --- 1. an offline patrol with 本节不涉及 and a deleted photo -------------------------------------------------

def test_an_offline_patrol_with_not_applicable_sections_and_a_deleted_photo_syncs_once(
        phone: Any, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = log_in_offline_ready(phone, GRID_WORKER)
    wait_for_js(page, "navigator.serviceWorker.controller !== null")
    site, checklist = patrol_site(phone.request)
    first = checklist["content"]["sections"][0]["items"][0]

    phone.set_offline(True)
    expect(page.get_by_test_id("net")).to_have_text("离线", timeout=10_000)  # the badge follows reachability
    page.goto(f"/s/{site['qr_token']}")
    page.get_by_test_id("start-inspection").filter(has_text=checklist["title"]).click()
    expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
    client_uuid = page.url.rsplit("/", 1)[-1]

    card = page.locator(f"[data-testid=item][data-code='{first['code']}']")
    card.get_by_role("button", name="不符合", exact=True).click()
    for name, colour in (("wrong.jpg", (10, 10, 200)), ("right.jpg", (200, 60, 20))):
        with page.expect_file_chooser() as chooser:
            card.get_by_test_id("camera").click()
        assert chooser.value.element.get_attribute("capture") is None  # the gallery and files are offered too
        chooser.value.set_files(str(_jpeg(tmp_path, name, colour)))
        expect(card.get_by_test_id("photo")).to_have_count(1 if name == "wrong.jpg" else 2)
    card.get_by_role("button", name="删除照片 1").click()
    expect(card.get_by_test_id("photo")).to_have_count(1)

    sections = page.get_by_test_id("section")
    expect(sections.first).to_be_visible()  # drawn: counted only once there
    for index in range(sections.count()):
        sections.nth(index).get_by_test_id("section-na").click()
    expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")
    card.scroll_into_view_if_needed()
    _shot(page, artifacts, "01-patrol-offline", full_page=False)  # off-screen cards are not painted
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/outbox$"))  # everything answered: nothing to confirm
    row = page.locator(f"[data-testid=outbox-item][data-id='{client_uuid}']")
    expect(row).to_have_attribute("data-state", "queued")
    expect(page.get_by_role("navigation").get_by_role("link", name=re.compile("待发送"))).to_contain_text("待发送 1")

    phone.set_offline(False)
    expect(page.get_by_test_id("net")).to_have_text(re.compile("在线|同步中"), timeout=15_000)
    expect(row).to_have_attribute("data-state", "sent", timeout=45_000)
    expect(row.get_by_test_id("outbox-accepted")).to_contain_text("检查记录已保存")
    _shot(page, artifacts, "02-patrol-synced")

    stored = [i for i in phone.request.get(f"/api/v1/inspections?site={site['id']}&per_page=100").json()["items"]
              if i["client_uuid"] == client_uuid]
    assert len(stored) == 1  # synced once
    detail = phone.request.get(f"/api/v1/inspections/{stored[0]['id']}").json()
    answers = {a["item_code"]: a for a in detail["answers"]}
    every = [i["code"] for s in checklist["content"]["sections"] for i in s["items"]]
    assert set(answers) == set(every)
    assert answers[first["code"]]["result"] == "不符合" and len(answers[first["code"]]["photo_ids"]) == 1
    assert {a["result"] for code, a in answers.items() if code != first["code"]} == {"不涉及"}
    assert_no_csp_violations(page)


# --- 2. refused steps: one corrected and resent, one discarded --------------------------------------------

def _hazard_id(request: Any, description: str) -> int:
    items = request.get("/api/v1/hazards?per_page=200").json()["items"]
    return next(h["id"] for h in items if h["description"].startswith(description))


def _request_extension(page: Any, hazard_id: int, day: dt.date, reason: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"/hazards/{hazard_id}")
    page.get_by_test_id("action-request_extension").click()
    form = page.get_by_test_id("form-request_extension")
    form.locator("[name='reason']").fill(reason)
    form.locator("[name='requested_deadline']").fill(day.isoformat())
    form.get_by_test_id("action-submit").click()
    expect(form).to_have_count(0)


def test_refused_steps_are_corrected_and_resent_or_discarded(phone: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = log_in_offline_ready(phone, OWNER)
    tomorrow = local_today() + dt.timedelta(days=1)
    fixing = _hazard_id(phone.request, "染整车间灭火器过期")
    dropping = _hazard_id(phone.request, "车间配电箱箱门缺失")
    deadline = phone.request.get(f"/api/v1/hazards/{fixing}").json()["deadline_at"]
    later = (dt.date.fromisoformat(deadline[:10]) + dt.timedelta(days=14)).isoformat()

    # Tomorrow is before the current deadline: the server refuses both (422).
    _request_extension(page, fixing, tomorrow, "灭火器供应商缺货")
    _request_extension(page, dropping, tomorrow, "配电箱需整体更换")
    page.get_by_role("navigation").get_by_role("link", name=re.compile("待发送")).click()
    refused = page.locator("[data-testid=outbox-item][data-state=needs_attention]")
    expect(refused).to_have_count(2, timeout=45_000)
    tab = page.get_by_role("navigation").get_by_role("link", name=re.compile("待发送"))
    expect(tab).to_contain_text("待发送 2")
    first = refused.filter(has_text="申请延期").first
    expect(first.get_by_test_id("outbox-error")).to_contain_text("原样重发不会成功")
    expect(first.get_by_role("button", name="原样重发")).to_have_count(0)
    _shot(page, artifacts, "03-outbox-refused")

    # Corrected: the form opens with its data; a later date, resent as a new item that replaces the refused one.
    number = phone.request.get(f"/api/v1/hazards/{fixing}").json()["number"]
    fix_row = refused.filter(has_text=number)
    fix_row.get_by_role("button", name="修改后重发").click()
    correction = fix_row.get_by_test_id("outbox-correction")
    expect(correction.get_by_label("延期理由")).to_have_value("灭火器供应商缺货")
    correction.get_by_label("申请延至").fill(later)
    _shot(page, artifacts, "04-outbox-correcting")
    correction.get_by_role("button", name="重新发送").click()
    expect(tab).to_contain_text("待发送 1", timeout=45_000)

    # Discarded: the confirmation names what is lost; the count drops to none.
    drop_row = page.locator("[data-testid=outbox-item][data-state=needs_attention]")
    expect(drop_row).to_have_count(1)
    drop_row.get_by_role("button", name="放弃").click()
    dialog = page.get_by_test_id("discard-dialog")
    expect(dialog.get_by_test_id("discard-loss")).to_contain_text("将放弃隐患处理")
    expect(dialog).to_contain_text("导出")
    _shot(page, artifacts, "05-outbox-discard-confirm")
    dialog.get_by_role("button", name="确认放弃").click()
    expect(tab).to_have_text("待发送")
    _shot(page, artifacts, "06-outbox-after")

    corrected = phone.request.get(f"/api/v1/hazards/{fixing}").json()
    assert corrected["extension"]["state"] == "requested"
    assert corrected["extension"]["requested_deadline"].startswith(later)
    assert phone.request.get(f"/api/v1/hazards/{dropping}").json()["extension"] is None


# --- 3. the enterprise sees its approved extension; the grid worker's 复查 passes -----------------------------

def test_the_enterprise_sees_its_approved_extension(phone: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = log_in_offline_ready(phone, OWNER)
    row = page.get_by_test_id("extensions").locator("li").filter(has_text="烘干机排风管道")
    expect(row.get_by_test_id("extension-state")).to_contain_text("延期申请已批准")
    expect(row.get_by_test_id("extension-state")).to_contain_text("年")
    _shot(page, artifacts, "07-enterprise-extension")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("hazard")).to_be_visible()
    card = page.get_by_test_id("extension")  # on the hazard page too: the outcome and the date granted
    expect(card).to_have_attribute("data-state", "approved")
    expect(card).to_contain_text("已同意")
    expect(card).to_contain_text(re.compile(r"申请延至 \d{4}-\d{2}-\d{2}"))
    expect(page.get_by_test_id("action-request_extension")).to_have_count(0)  # not offered a second time


def test_a_grid_workers_reinspection_of_a_general_hazard_passes(browser: Any, live_server: LiveServer,
                                                               artifacts: Path) -> None:
    """复查 on site: the doubtful after-photo is flagged before 销号, the phone's position goes with the step, the
    stored event holds where and how far, and the page shows the distance."""
    from playwright.sync_api import expect

    hazard_id = 0
    probe = browser.new_context(base_url=live_server.url)
    try:
        _login_api(probe.request, GRID_WORKER)
        hazard_id = _hazard_id(probe.request, "员工更衣室插线板串接使用")
        hazard = probe.request.get(f"/api/v1/hazards/{hazard_id}").json()
        site = probe.request.get(f"/api/v1/sites/{hazard['site_id']}").json()
    finally:
        probe.close()
    # Standing some 35 m north of the site's registered point.
    here = {"latitude": site["lat"] + 0.0003, "longitude": site["lng"], "accuracy": 10}
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  permissions=["geolocation"], geolocation=here)
    try:
        page = log_in_offline_ready(context, GRID_WORKER)
        page.goto(f"/hazards/{hazard_id}")
        expect(page.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification")
        # The demo's after-photo is also the after-photo of the site's closed 应急照明 hazard: flagged, named.
        flag = page.get_by_test_id("photo-flags").locator("[data-testid=photo-flag][data-code=other_hazard]")
        expect(flag).to_contain_text("也是隐患")
        page.get_by_test_id("action-verify_pass").click()
        form = page.get_by_test_id("form-verify_pass")
        expect(form.get_by_test_id("photo-flag").first).to_be_visible()  # inside the form, before 销号
        presence = form.get_by_test_id("visit-presence")
        expect(presence).to_have_attribute("data-state", "near")
        expect(presence).to_contain_text(re.compile(r"距场所约 \d+ 米"))
        form.locator("[name='note']").fill("现场查看，插线板已拆除，固定插座安装规范")
        _shot(page, artifacts, "08-reinspection")
        form.get_by_test_id("action-submit").click()
        expect(page.get_by_test_id("hazard")).to_have_attribute("data-status", "closed", timeout=45_000)
        expect(page.get_by_test_id("last-visit")).to_contain_text(re.compile(r"复查位置：距场所约 \d+ 米"))
        _shot(page, artifacts, "08b-reinspection-recorded")

        closed = context.request.get(f"/api/v1/hazards/{hazard_id}").json()
        assert closed["status"] == "closed"
        (event,) = [e for e in closed["timeline"] if e["kind"] == "verify_pass"]
        where = event["payload"]["position"]
        assert (where["lat"], where["lng"]) == (pytest.approx(here["latitude"]), pytest.approx(here["longitude"]))
        assert 20 < event["payload"]["distance_m"] < 60 and event["payload"]["far_from_site"] is False
        assert any("other_hazard" in codes for codes in event["payload"]["after_photo_flags"].values())
        assert event["client_time"]  # when, as the phone saw it; occurred_at is the server's
        assert_no_csp_violations(page)
    finally:
        context.close()


def _login_api(request: Any, who: tuple[str, str]) -> None:
    """A session for reading the API (no state changes)."""
    response = request.post("/api/v1/auth/login", data={"mobile": who[0], "password": who[1]})
    assert response.status == 200, response.text()


# --- 4. accessibility, normal and large text ---------------------------------------------------------------

def _large_text(page: Any, on: bool) -> None:
    from playwright.sync_api import expect

    page.goto("/account")
    switch = page.get_by_test_id("large-text").get_by_role("checkbox")
    if switch.is_checked() != on:
        switch.click()
    expect(page.locator("html")).to_have_class(re.compile("large-text") if on else re.compile("^(?!.*large-text)"))


def test_axe_finds_nothing_serious_on_field_enterprise_and_public_pages(phone: Any, browser: Any,
                                                                        live_server: LiveServer,
                                                                        artifacts: Path) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    worker = log_in_offline_ready(phone, GRID_WORKER)
    site, checklist = patrol_site(phone.request)
    for large in (False, True):
        mode = "大字" if large else "常规"
        _large_text(worker, large)
        reinspected = _hazard_id(phone.request, "员工更衣室插线板串接使用")
        for path in ("/", "/outbox", "/account", "/sites", "/snap", f"/hazards/{reinspected}"):
            worker.goto(path)
            worker.wait_for_load_state("networkidle")
            problems += axe_problems(worker, f"网格员 {path}（{mode}）")
        worker.goto(f"/sites/{site['id']}")
        worker.get_by_test_id("start-inspection").filter(has_text=checklist["title"]).click()
        expect(worker).to_have_url(re.compile(r"/drafts/"))
        worker.locator("[data-testid=item]").first.get_by_role("button", name="不符合", exact=True).click()
        problems += axe_problems(worker, f"网格员 检查表（{mode}）")
        if large:
            size = worker.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
            assert size >= 18 * 1.3
            heights = worker.evaluate("""() => [...document.querySelectorAll('.btn, .seg button, .tabbar a')]
              .filter((e) => e.offsetParent !== null).map((e) => e.getBoundingClientRect().height)""")
            assert heights and min(heights) >= 60, min(heights)
            _shot(worker, artifacts, "09-large-text-form", full_page=False)
    _large_text(worker, False)

    owner_context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    try:
        owner = log_in_offline_ready(owner_context, OWNER)
        hazard_id = _hazard_id(owner_context.request, "烘干机排风管道")
        for large in (False, True):
            mode = "大字" if large else "常规"
            _large_text(owner, large)
            for path in ("/", f"/hazards/{hazard_id}", "/hazards"):
                owner.goto(path)
                owner.wait_for_load_state("networkidle")
                problems += axe_problems(owner, f"企业 {path}（{mode}）")
        _shot(owner, artifacts, "10-enterprise-large-text")
    finally:
        owner_context.close()

    visitor_context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
    try:
        visitor = visitor_context.new_page()
        for large in (False, True):
            mode = "大字" if large else "常规"
            visitor.goto("/report")
            visitor.evaluate("(on) => on ? localStorage.setItem('hazardloop-large-text', '1')"
                             " : localStorage.removeItem('hazardloop-large-text')", large)
            for path in ("/report", "/exposure", "/r"):
                visitor.goto(path)
                visitor.wait_for_load_state("networkidle")
                problems += axe_problems(visitor, f"公众 {path}（{mode}）")
        _shot(visitor, artifacts, "11-public-large-text")
    finally:
        visitor_context.close()
    assert problems == [], "\n".join(problems)
