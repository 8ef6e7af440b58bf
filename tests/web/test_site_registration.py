"""New sites and enterprises, by clicking, on the real server:

1. A 网格员 on a phone registers a new shop while offline (name, category, address, position, photo), inspects
   it at once, goes online: the site and then the inspection sync, once each; a street supervisor approves the
   site in 「新增场所审核」.
2. Another field registration duplicates a registered site: the phone suggests that site; registered anyway,
   the supervisor merges it into the existing site from the queue.
3. An enterprise claims its site with the SMS code (the SMS stand-in writes to the server log), the supervisor
   approves it in 「企业注册审核」, the enterprise logs in with the password from the SMS, sets its own and sees
   its site. Before that, the supervisor sets the site's phone on record and its 一企一档 in 「场所管理」.
State changes only through the pages; the API is read to check.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    GRID_WORKER,
    LiveServer,
    assert_no_csp_violations,
    axe_problems,
    pick_region,
    wait_for_js,
)

SUPERVISOR = ("13800000011", "Demo@2026")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 860}
TIMEOUT_MS = 30_000


def _shot(page: Any, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"sites-{name}.png"), full_page=full_page)


def _jpeg(tmp: Path, name: str, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    path = tmp / name
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def _phone(browser: Any, live_server: LiveServer, *, where: dict[str, float] | None = None,
           service_workers: str = "allow") -> Any:
    extra = {"permissions": ["geolocation"], "geolocation": where} if where else {}
    return browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                               service_workers=service_workers, **extra)


def _login(context: Any, who: tuple[str, str], *, offline_ready: bool = True) -> Any:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto("/login")
    page.fill("#mobile", who[0])
    page.fill("#password", who[1])
    page.get_by_role("button", name="登录").click()
    if offline_ready:
        expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
    return page


@pytest.fixture(scope="module")
def reader(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A supervisor's API session, for reading results (never for changing them)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url)
    response = context.request.post("/api/v1/auth/login", data={"mobile": SUPERVISOR[0], "password": SUPERVISOR[1]})
    assert response.status == 200, response.text()
    yield context.request
    context.close()


@pytest.fixture(scope="module")
def desk(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """The street supervisor at the console."""
    context = browser.new_context(base_url=live_server.url, viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = _login(context, SUPERVISOR, offline_ready=False)
    page.wait_for_url(re.compile(r"/$|/console"))
    yield page
    context.close()


@pytest.fixture(scope="module")
def worker_reader(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """The grid worker's API session, for reading his grid's sites."""
    context = browser.new_context(base_url=live_server.url)
    response = context.request.post("/api/v1/auth/login", data={"mobile": GRID_WORKER[0], "password": GRID_WORKER[1]})
    assert response.status == 200, response.text()
    yield context.request
    context.close()


def _worker_grid_point(reader: Any, worker: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """A registered site in the grid worker's grid with a position, and a point ~1 km away from every site."""
    every = [s for s in reader.get("/api/v1/sites?per_page=500").json()["items"] if s.get("lat")]
    mine = [s for s in worker.get("/api/v1/sites?per_page=500").json()["items"] if s.get("lat")
            and not s.get("provisional") and "嘉诚" not in s["name"]]
    assert mine, "演示数据中网格员的网格没有带坐标的场所"
    anchor = mine[0]
    for step in range(1, 30):
        point = {"latitude": anchor["lat"] + 0.009 * step, "longitude": anchor["lng"], "accuracy": 12}
        if all(abs(s["lat"] - point["latitude"]) > 0.002 or abs(s["lng"] - point["longitude"]) > 0.002
               for s in every):
            return anchor, point
    pytest.fail("找不到远离已登记场所的位置")


def _wait_loaded(image: Any, timeout_s: float = 15) -> None:
    """The picture arrived and decoded (not just its element)."""
    deadline = time.monotonic() + timeout_s
    while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        if time.monotonic() > deadline:
            pytest.fail("图片未能加载")
        time.sleep(0.2)


def _fill_new_site(page: Any, *, name: str, category: str, address: str, photo: Path | None) -> None:
    page.fill("#ns-name", name)
    page.select_option("#ns-category", label=category)
    page.fill("#ns-address", address)
    if photo is not None:
        with page.expect_file_chooser() as chooser:
            page.get_by_text("拍摄门头照片").click()
        chooser.value.set_files(str(photo))
        from playwright.sync_api import expect

        expect(page.locator("[data-testid=register-site] .photos figure")).to_have_count(1)


# --- 1. offline registration, inspection, one sync, approval ------------------------------------------------

def test_a_grid_worker_registers_a_new_shop_offline_inspects_it_and_a_supervisor_approves(
        browser: Any, live_server: LiveServer, reader: Any, worker_reader: Any, desk: Any, artifacts: Path,
        tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _, point = _worker_grid_point(reader, worker_reader)
    context = _phone(browser, live_server, where=point)
    try:
        page = _login(context, GRID_WORKER)
        wait_for_js(page, "navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        expect(page.get_by_test_id("net")).to_have_text("离线", timeout=10_000)
        page.goto("/sites")
        page.get_by_test_id("register-site-link").click()
        expect(page.get_by_test_id("ns-position")).to_contain_text("当前位置已记录")
        _fill_new_site(page, name="新开张鑫鑫小卖部", category="小商店", address="幸福路 88 号（新开）",
                       photo=_jpeg(tmp_path, "door.jpg", (30, 120, 200)))
        expect(page.get_by_test_id("duplicate-pick")).to_have_count(0)  # nothing registered near here
        _shot(page, artifacts, "01-register-offline")
        page.get_by_test_id("ns-submit").click()
        expect(page).to_have_url(re.compile(r"/field-sites/[0-9a-f-]{36}$"))
        site_uuid = page.url.rsplit("/", 1)[-1]
        expect(page.get_by_test_id("field-site-state")).to_contain_text("待发送")

        page.get_by_test_id("start-inspection").first.click()
        expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
        inspection_uuid = page.url.rsplit("/", 1)[-1]
        sections = page.get_by_test_id("section")
        expect(sections.first).to_be_visible()  # drawn: counted only once there
        for index in range(sections.count()):
            sections.nth(index).get_by_test_id("section-na").click()
        expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")
        page.get_by_test_id("submit").click()
        expect(page).to_have_url(re.compile(r"/outbox$"))
        site_row = page.locator(f"[data-testid=outbox-item][data-id='{site_uuid}']")
        inspection_row = page.locator(f"[data-testid=outbox-item][data-id='{inspection_uuid}']")
        expect(site_row).to_have_attribute("data-state", "queued")
        expect(inspection_row).to_have_attribute("data-state", "queued")
        _shot(page, artifacts, "02-outbox-offline")

        context.set_offline(False)
        expect(site_row).to_have_attribute("data-state", "sent", timeout=45_000)
        expect(inspection_row).to_have_attribute("data-state", "sent", timeout=45_000)
        expect(site_row.get_by_test_id("outbox-accepted")).to_contain_text("新增场所已登记")
        _shot(page, artifacts, "03-outbox-synced")
        assert_no_csp_violations(page)
    finally:
        context.close()

    found = reader.get("/api/v1/sites?q=新开张鑫鑫小卖部&include_inactive=true").json()["items"]
    assert len(found) == 1  # synced once
    site = reader.get(f"/api/v1/sites/{found[0]['id']}").json()
    assert site["provisional"] is True and site["lat"] == pytest.approx(point["latitude"])
    assert reader.get(f"/api/v1/sites/{site['id']}/photos").json()["photo_ids"]
    inspections = [i for i in reader.get(f"/api/v1/inspections?site={site['id']}&per_page=100").json()["items"]
                   if i["client_uuid"] == inspection_uuid]
    assert len(inspections) == 1  # the inspection names the new site, sent once

    desk.goto("/console/field-sites")
    card = desk.get_by_test_id("pending-site").filter(has_text="新开张鑫鑫小卖部")
    expect(card).to_be_visible()
    expect(card.locator("img")).to_have_count(1)
    [photo_id] = reader.get(f"/api/v1/sites/{site['id']}/photos").json()["photo_ids"]
    assert reader.get(f"/api/v1/photos/{photo_id}/thumbnail").status == 200
    _wait_loaded(card.locator("img"))
    _shot(desk, artifacts, "04-review-queue")
    card.get_by_test_id("approve-site").click()
    expect(desk.get_by_test_id("review-message")).to_contain_text("已审核通过")
    expect(desk.get_by_test_id("pending-site").filter(has_text="新开张鑫鑫小卖部")).to_have_count(0)
    assert reader.get(f"/api/v1/sites/{site['id']}").json()["provisional"] is False
    assert_no_csp_violations(desk)


# --- 2. a duplicate registered in the field is merged into the registered site --------------------------------

def test_a_field_registered_duplicate_is_suggested_and_then_merged_into_the_registered_site(
        browser: Any, live_server: LiveServer, reader: Any, worker_reader: Any, desk: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    anchor, _ = _worker_grid_point(reader, worker_reader)
    here = {"latitude": anchor["lat"] + 0.0002, "longitude": anchor["lng"], "accuracy": 10}  # ~20 m away
    context = _phone(browser, live_server, where=here)
    try:
        page = _login(context, GRID_WORKER)
        page.goto("/sites/new")
        expect(page.get_by_test_id("ns-position")).to_contain_text("当前位置已记录")
        name = anchor["name"] + "（新门头）"
        _fill_new_site(page, name=name, category="小商店", address=anchor["address"], photo=None)
        suggestion = page.get_by_test_id("duplicate-pick").filter(has_text=anchor["name"])
        expect(suggestion).to_be_visible()
        expect(suggestion).to_contain_text("名称相同或相近")
        _shot(page, artifacts, "05-duplicate-suggested")
        page.get_by_test_id("ns-submit").click()
        expect(page.get_by_role("alert").filter(has_text="请先确认不是上面列出的已登记场所")).to_be_visible()
        page.get_by_test_id("not-duplicate").check()
        page.get_by_test_id("ns-submit").click()
        expect(page.get_by_test_id("field-site-state")).to_contain_text("等待街道审核", timeout=45_000)
    finally:
        context.close()

    duplicate = next(s for s in reader.get("/api/v1/sites/pending").json() if s["name"] == name)
    desk.goto("/console/field-sites")
    card = desk.get_by_test_id("pending-site").filter(has_text=name)
    row = card.locator("li").filter(has_text=anchor["address"]).filter(has_text=anchor["name"]).first
    expect(row).to_contain_text("相距约")
    _shot(desk, artifacts, "06-merge-queue")
    row.get_by_test_id("merge-into").click()
    expect(desk.get_by_test_id("review-message")).to_contain_text("已合并到")
    merged = reader.get(f"/api/v1/sites/{duplicate['id']}").json()
    assert merged["merged_into_id"] == anchor["id"] and merged["active"] is False
    assert_no_csp_violations(desk)


# --- 3. an enterprise claims its site --------------------------------------------------------------------------

def _sms(live_server: LiveServer, mobile: str, pattern: str, *, timeout_s: float = 20) -> str:
    """The newest message to ``mobile`` matching ``pattern`` that the SMS stand-in wrote to the server log."""
    deadline = time.monotonic() + timeout_s
    regex = re.compile(rf"SMS stand-in \(not delivered\) to {mobile}: .*?{pattern}")
    while True:
        matches = list(regex.finditer(live_server.log.read_text(encoding="utf-8", errors="replace")))
        if matches:
            return matches[-1].group(1)
        if time.monotonic() > deadline:
            pytest.fail(f"没有发到 {mobile} 的短信（{pattern}）")
        time.sleep(0.2)


def test_an_enterprise_claims_its_site_with_the_sms_code_and_logs_in_after_approval(
        browser: Any, live_server: LiveServer, reader: Any, desk: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    mobile = "13987654321"
    candidates = [s for s in reader.get("/api/v1/sites?per_page=500").json()["items"]
                  if s.get("credit_code") and "嘉诚" not in s["name"] and not s.get("provisional")]
    site = candidates[-1]

    # The supervisor records the enterprise's phone and its 一企一档 in 场所管理.
    desk.goto("/console/sites")
    desk.fill("#site-admin-q", site["credit_code"])
    desk.get_by_role("link", name=site["name"]).click()
    expect(desk.get_by_test_id("site-admin")).to_be_visible()
    desk.fill("#sa-mobile", mobile)
    desk.get_by_test_id("save-site").click()
    expect(desk.get_by_test_id("site-admin-message")).to_contain_text("已保存")
    dossier = desk.get_by_test_id("dossier")
    dossier.get_by_label("重大危险源").check()
    dossier.get_by_role("button", name="＋ 证照").click()
    dossier.get_by_label("证照名称").fill("食品经营许可证")
    dossier.get_by_label("编号").fill("JY13301050012345")
    dossier.get_by_label("有效期止").fill("2029-06-30")
    dossier.get_by_test_id("save-dossier").click()
    expect(desk.get_by_test_id("site-admin-message")).to_contain_text("一企一档已保存")
    _shot(desk, artifacts, "07-site-admin")
    saved = reader.get(f"/api/v1/sites/{site['id']}").json()
    assert saved["contact_mobile"] == mobile and saved["major_hazard_source"] is True
    assert saved["licences"][0]["valid_until"] == "2029-06-30"

    # The enterprise, on its phone, without an account (and without the service worker).
    public = _phone(browser, live_server, service_workers="block")
    try:
        page = public.new_page()
        page.goto("/login")
        page.get_by_test_id("enterprise-register-link").click()
        expect(page.get_by_test_id("claim-form")).to_be_visible()
        page.fill("#cl-code", site["credit_code"])
        page.fill("#cl-mobile", mobile)
        page.get_by_test_id("send-code").click()
        expect(page.get_by_test_id("code-sent")).to_contain_text(site["name"])
        code = _sms(live_server, mobile, r"验证码 (\d{6})")
        page.fill("#cl-sms", code)
        page.fill("#cl-contact", "周经理")
        _shot(page, artifacts, "08-claim")
        page.get_by_test_id("claim-submit").click()
        expect(page.get_by_test_id("registration-done")).to_contain_text("等待街道审核")
        _shot(page, artifacts, "09-claim-sent")
        assert_no_csp_violations(page)
    finally:
        public.close()

    desk.goto("/console/enterprise-applications")
    card = desk.get_by_test_id("application").filter(has_text=site["name"])
    expect(card).to_contain_text("短信验证通过")
    _shot(desk, artifacts, "10-applications")
    card.get_by_test_id("approve-application").click()
    expect(desk.get_by_test_id("application-message")).to_contain_text("已通过")
    password = _sms(live_server, mobile, r"初始密码 (\S+)，")

    enterprise = _phone(browser, live_server)
    try:
        page = enterprise.new_page()
        _log_in(page, mobile, password)
        expect(page.locator("#pw-new")).to_be_visible()  # 设置新密码 before anything else
        _shot(page, artifacts, "11-set-password")
        _set_password(page, password, "Qiye@2026new")
        expect(page.get_by_text(site["name"]).first).to_be_visible(timeout=45_000)
        _shot(page, artifacts, "12-enterprise-home")
        assert_no_csp_violations(page)
    finally:
        enterprise.close()
    assert_no_csp_violations(desk)



def _log_in(page: Any, mobile: str, password: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()


def _set_password(page: Any, current: str, new: str) -> None:
    """The first login's 设置新密码 form (an account the supervisor's approval made)."""
    page.fill("#pw-current", current)
    page.fill("#pw-new", new)
    page.fill("#pw-again", new)
    page.get_by_role("button", name="修改密码").click()

# --- 4. a field site merged while an inspection made on it waits offline -----------------------------------------

def test_an_offline_inspection_of_a_field_site_merged_meanwhile_lands_on_the_surviving_site(
        browser: Any, live_server: LiveServer, reader: Any, worker_reader: Any, desk: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    anchor, _ = _worker_grid_point(reader, worker_reader)
    here = {"latitude": anchor["lat"] + 0.0003, "longitude": anchor["lng"], "accuracy": 10}  # ~30 m away
    name = anchor["name"] + "（二号门）"
    context = _phone(browser, live_server, where=here)
    try:
        page = _login(context, GRID_WORKER)
        wait_for_js(page, "navigator.serviceWorker.controller !== null")
        # Registered offline, then synced.
        context.set_offline(True)
        expect(page.get_by_test_id("net")).to_have_text("离线", timeout=10_000)
        page.goto("/sites/new")
        expect(page.get_by_test_id("ns-position")).to_contain_text("当前位置已记录")
        _fill_new_site(page, name=name, category="小商店", address=anchor["address"], photo=None)
        page.get_by_test_id("not-duplicate").check()
        page.get_by_test_id("ns-submit").click()
        expect(page).to_have_url(re.compile(r"/field-sites/[0-9a-f-]{36}$"))
        site_uuid = page.url.rsplit("/", 1)[-1]
        context.set_offline(False)
        expect(page.get_by_test_id("field-site-state")).to_contain_text("等待街道审核", timeout=45_000)
        expect(page.get_by_test_id("field-site-open")).to_be_visible()

        # Inspected offline on the site the server now knows.
        context.set_offline(True)
        expect(page.get_by_test_id("net")).to_have_text("离线", timeout=10_000)
        page.get_by_test_id("start-inspection").first.click()
        expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
        inspection_uuid = page.url.rsplit("/", 1)[-1]
        sections = page.get_by_test_id("section")
        expect(sections.first).to_be_visible()  # drawn: counted only once there
        for index in range(sections.count()):
            sections.nth(index).get_by_test_id("section-na").click()
        expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")
        page.get_by_test_id("submit").click()
        expect(page).to_have_url(re.compile(r"/outbox$"))
        row = page.locator(f"[data-testid=outbox-item][data-id='{inspection_uuid}']")
        expect(row).to_have_attribute("data-state", "queued")

        # Meanwhile the supervisor merges the new site into the registered one.
        provisional = next(s for s in reader.get("/api/v1/sites/pending").json() if s["name"] == name)
        desk.goto("/console/field-sites")
        card = desk.get_by_test_id("pending-site").filter(has_text=name)
        card.locator("li").filter(has_text=anchor["address"]).filter(has_text=anchor["name"]).first \
            .get_by_test_id("merge-into").click()
        expect(desk.get_by_test_id("review-message")).to_contain_text("已合并到")
        _shot(desk, artifacts, "13-merged-before-the-inspection-synced")

        # Back online: the inspection lands on the surviving site and the phone follows it there.
        context.set_offline(False)
        expect(row).to_have_attribute("data-state", "sent", timeout=45_000)
        expect(row.get_by_test_id("outbox-accepted")).to_contain_text(f"该场所已合并，记入「{anchor['name']}」")
        _shot(page, artifacts, "14-outbox-landed-on-survivor")
        page.goto(f"/field-sites/{site_uuid}")
        expect(page.get_by_test_id("field-site-state")).to_contain_text(f"已合并到已登记场所「{anchor['name']}」")
        page.get_by_test_id("field-site-open").click()
        expect(page).to_have_url(re.compile(rf"/sites/{anchor['id']}$"))
        expect(page.get_by_test_id("site-name")).to_have_text(anchor["name"])
        _shot(page, artifacts, "15-survivor-site-page")
        assert_no_csp_violations(page)
    finally:
        context.close()

    landed = [i for i in reader.get(f"/api/v1/inspections?site={anchor['id']}&per_page=100").json()["items"]
              if i["client_uuid"] == inspection_uuid]
    assert len(landed) == 1
    assert reader.get(f"/api/v1/inspections?site={provisional['id']}&per_page=100").json()["items"] == []


# --- 5. an enterprise without a record applies with its licence photo, is refused, applies again ---------------

def test_an_enterprise_applies_with_its_licence_photo_is_refused_with_a_reason_and_approved_on_a_second_try(
        browser: Any, live_server: LiveServer, reader: Any, desk: Any, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    mobile, name, reason = "13987650002", "鑫源粮油商行", "营业执照照片模糊，看不清统一社会信用代码，请重新拍摄"
    regions = reader.get("/api/v1/regions").json()
    street = next(r for r in regions if r["level"] == "street")
    grid = [r for r in regions if r["level"] == "grid" and r["path"].startswith(street["path"])][-1]

    public = _phone(browser, live_server, service_workers="block")
    try:
        page = public.new_page()
        page.goto("/login")
        page.get_by_test_id("enterprise-register-link").click()
        page.get_by_role("button", name="上传营业执照申请注册").click()
        form = page.get_by_test_id("apply-form")
        expect(form).to_be_visible()
        page.fill("#ap-name", name)
        page.fill("#ap-address", "米市巷 66 号")
        page.select_option("#ap-street", label=street["name"])
        page.fill("#ap-contact", "钱老板")
        page.fill("#ap-mobile", mobile)
        page.get_by_test_id("send-code").click()
        page.fill("#ap-sms", _sms(live_server, mobile, r"验证码 (\d{6})"))
        page.set_input_files("#ap-photo", str(_jpeg(tmp_path, "licence-blurred.jpg", (120, 120, 110))))
        _wait_loaded(page.get_by_test_id("licence-preview"))
        _shot(page, artifacts, "16-apply-with-licence")
        form.get_by_role("button", name="提交申请").click()
        expect(page.get_by_test_id("registration-done")).to_contain_text("等待街道审核")
        page.get_by_test_id("application-status-link").click()
        expect(page.get_by_test_id("application-status-label")).to_have_text("待审核")
        status_url = page.url

        desk.goto("/console/enterprise-applications")
        card = desk.get_by_test_id("application").filter(has_text=name)
        expect(card).to_contain_text("新注册申请")
        _wait_loaded(card.get_by_role("img", name="营业执照照片"))
        _shot(desk, artifacts, "17-supervisor-sees-licence")
        card.get_by_role("button", name="不予通过").click()
        card.get_by_label("不予通过的理由").fill(reason)
        card.get_by_test_id("refuse-application").click()
        expect(desk.get_by_test_id("application-message")).to_contain_text("不予通过")

        page.goto(status_url)
        expect(page.get_by_test_id("application-status-label")).to_have_text("未通过")
        expect(page.get_by_test_id("refusal-reason")).to_have_text(f"不予通过的理由：{reason}")
        assert axe_problems(page, "企业注册审核进度（未通过）") == []
        _shot(page, artifacts, "18-enterprise-sees-refusal")
        assert reason in _sms(live_server, mobile, r"(未通过：.*)")

        page.get_by_test_id("reapply").click()
        expect(form.get_by_role("heading", name="修改后重新申请")).to_be_visible()
        expect(page.locator("#ap-name")).to_have_value(name)
        page.set_input_files("#ap-photo", str(_jpeg(tmp_path, "licence-sharp.jpg", (30, 90, 160))))
        _wait_loaded(page.get_by_test_id("licence-preview"))
        form.get_by_role("button", name="提交申请").click()
        expect(page.get_by_test_id("registration-done")).to_contain_text("等待街道审核")
        _shot(page, artifacts, "19-applied-again")
        assert_no_csp_violations(page)
    finally:
        public.close()

    desk.goto("/console/enterprise-applications")
    card = desk.get_by_test_id("application").filter(has_text=name)
    expect(card).to_have_count(1)
    pick_region(card, "application-grid", grid["name"])
    _shot(desk, artifacts, "20-approve-into-grid")
    card.get_by_test_id("approve-application").click()
    expect(desk.get_by_test_id("application-message")).to_contain_text("已通过")
    password = _sms(live_server, mobile, r"初始密码 (\S+)，")

    enterprise = _phone(browser, live_server)
    try:
        page = enterprise.new_page()
        _log_in(page, mobile, password)
        _set_password(page, password, "Liangyou@2026")
        expect(page.get_by_text(name).first).to_be_visible(timeout=45_000)
        _shot(page, artifacts, "21-enterprise-logged-in")
        assert_no_csp_violations(page)
    finally:
        enterprise.close()
    site = reader.get(f"/api/v1/sites?q={name}").json()["items"]
    assert [s["grid_id"] for s in site] == [grid["id"]]
    assert_no_csp_violations(desk)
