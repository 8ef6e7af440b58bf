"""企业隐患自查自改自报 on a 390×844 phone and the console, driving the UI only (the API is only read, to check).

1. The enterprise self-inspects: one item 当场整改 with an after-photo, one 一般 finding; it rectifies that finding
   itself (自查自改, measures and after-photo); the draw (share 1 on this server, so it is drawn) sends it to a
   spot check, which the enterprise sees and the grid worker finds among his 待复查; the enterprise then submits
   the month's 自查自报.
2. A second enterprise reports 「本月未发现隐患」 after a confirmation.
3. The 区安委办's console shows each enterprise's 自查次数, 自查发现数, 自改率 and 按期率 with their denominators,
   and the enterprise that has not reported.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import (
    GRID_WORKER,
    LiveServer,
    assert_no_csp_violations,
    axe_problems,
    log_in_offline_ready,
    serve_seeded,
)

OWNER = ("13800002001", "Demo@2026")  # 杭州嘉诚纺织有限公司
SECOND_OWNER = ("13800002002", "Demo@2026")
OFFICE = ("13800000002", "Demo@2026")  # 区安委办
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, redis_url: str, pwa_dist: Path) -> Iterator[LiveServer]:
    """This module's own seeded server, configured so every 自查自改 is drawn for a spot check (share 1)."""
    yield from serve_seeded(tmp_path_factory.mktemp("selfcheck"), redis_url,
                            {"SELF_RECTIFY_SPOT_CHECK_SHARE": "1"})


def _jpeg(tmp: Path, name: str, colour: tuple[int, int, int]) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), colour).save(buffer, "JPEG", quality=90)
    path = tmp / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def _shot(page: Any, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"selfcheck-{name}.png"), full_page=full_page)


def _context(browser: Any, live_server: LiveServer, viewport: dict[str, int] = PHONE) -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    phone = viewport is PHONE
    return browser.new_context(base_url=live_server.url, viewport=viewport, device_scale_factor=2 if phone else 1,
                               is_mobile=phone, has_touch=phone, locale="zh-CN", timezone_id="Asia/Shanghai",
                               service_workers="allow")


def _pick_photo(page: Any, trigger: Any, path: str) -> None:
    with page.expect_file_chooser() as chooser:
        trigger.click()
    chooser.value.set_files(path)


def _two_items(request: Any, site_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The site's first checklist and two compliance items of its first section (read from the API)."""
    summary = request.get(f"/api/v1/checklists?site={site_id}").json()[0]
    version = request.get(f"/api/v1/checklists/{summary['id']}/versions/{summary['version']}").json()
    items = [i for i in version["content"]["sections"][0]["items"] if i["answer"]["type"] == "compliance"]
    assert len(items) >= 2, "第一节至少要有两项符合性条目"
    return summary, items[:2]


def test_self_inspection_self_rectification_spot_check_monthly_reports_and_the_console(
        browser: Any, live_server: LiveServer, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    # --- 1. the enterprise's self-inspection: one item fixed on the spot, one 一般 finding ------------------
    owner_context = _context(browser, live_server)
    page = log_in_offline_ready(owner_context, OWNER)
    api = owner_context.request
    entry = page.get_by_test_id("selfcheck-entry")
    expect(entry).to_have_attribute("data-state", "not_reported")
    expect(entry).to_contain_text("未报（本月已自查 0 次，发现隐患 0 项）")
    _shot(page, artifacts, "01-home-not-reported")

    site_id = api.get("/api/v1/auth/session").json()["user"]["grants"][0]["site_id"]
    checklist, (fixed_item, found_item) = _two_items(api, site_id)
    page.get_by_role("link", name=re.compile("开始自查")).click()
    page.get_by_test_id("start-inspection").filter(has_text=checklist["title"]).click()
    expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
    expect(page.locator("#mode")).to_have_value("self")

    fixed = page.locator(f"[data-testid=item][data-code='{fixed_item['code']}']")
    fixed.get_by_role("button", name="不符合", exact=True).click()
    fixed.get_by_test_id("finding").fill("配电箱前堆放纸箱")
    _pick_photo(page, fixed.get_by_test_id("camera"), _jpeg(tmp_path, "before.jpg", (180, 40, 40)))
    expect(fixed.get_by_test_id("photo")).to_have_count(1)
    fixed.get_by_label("当场整改").check()
    _pick_photo(page, fixed.get_by_text("拍整改后照片或选择图片"), _jpeg(tmp_path, "after.jpg", (40, 160, 60)))
    expect(fixed.get_by_test_id("photo")).to_have_count(2)

    found = page.locator(f"[data-testid=item][data-code='{found_item['code']}']")
    found.get_by_role("button", name="不符合", exact=True).click()
    found.get_by_test_id("finding").fill("疏散指示标志不亮")
    _pick_photo(page, found.get_by_test_id("camera"), _jpeg(tmp_path, "found.jpg", (30, 30, 160)))
    expect(found.get_by_test_id("photo")).to_have_count(1)
    sections = page.get_by_test_id("section")
    expect(sections.first).to_be_visible()  # drawn: counted only once there
    for index in range(sections.count()):
        sections.nth(index).get_by_test_id("section-na").click()
    fixed.scroll_into_view_if_needed()
    _shot(page, artifacts, "02-self-inspection", full_page=False)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/outbox$"))
    sent = page.locator("[data-testid=outbox-item][data-state=sent]")
    expect(sent).to_have_count(1, timeout=45_000)
    expect(sent.get_by_test_id("outbox-accepted")).to_contain_text("检查记录已保存，发现隐患")

    (inspection,) = api.get(f"/api/v1/inspections?site={site_id}&mode=self").json()["items"]
    hazards = {h["item_code"]: h for h in api.get(f"/api/v1/inspections/{inspection['id']}").json()["hazards"]}
    assert hazards[fixed_item["code"]]["status"] == "closed"  # 当场整改: closed at once, not refused
    assert hazards[found_item["code"]]["status"] == "found"
    finding_id = hazards[found_item["code"]]["id"]

    # --- 2. 自查自改 of the 一般 finding: measures and an after-photo; the draw sends it to a spot check ------
    page.goto(f"/hazards/{finding_id}")
    expect(page.get_by_test_id("hazard")).to_have_attribute("data-status", "found")
    page.get_by_test_id("action-self_rectify").click()
    form = page.get_by_test_id("form-self_rectify")
    form.locator("[name='measures']").fill("更换疏散指示标志灯，已通电测试")
    _pick_photo(page, form.get_by_test_id("camera"), _jpeg(tmp_path, "fixed.jpg", (60, 180, 200)))
    expect(form.get_by_test_id("photos-photo_ids").locator("figure")).to_have_count(1)
    _shot(page, artifacts, "03-self-rectify-form")
    form.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification", timeout=45_000)
    note = page.get_by_test_id("spot-check")
    expect(note).to_have_attribute("data-drawn", "true")
    expect(note).to_contain_text("被抽中抽查")
    expect(note).to_contain_text("等待网格员现场复查")
    _shot(page, artifacts, "04-spot-check-drawn")
    detail = api.get(f"/api/v1/hazards/{finding_id}").json()
    (event,) = [e for e in detail["timeline"] if e["kind"] == "self_rectify"]
    assert event["payload"]["spot_check"] is True and event["payload"]["share"] == 1.0
    assert event["actor_role"] == "enterprise_user"
    assert_no_csp_violations(page)

    # The grid worker finds the spot check among his 待复查.
    worker_context = _context(browser, live_server)
    try:
        worker = log_in_offline_ready(worker_context, GRID_WORKER)
        to_verify = worker.get_by_test_id("to-verify")
        expect(to_verify).to_contain_text(detail["number"])
        to_verify.get_by_role("link").filter(has_text=detail["number"]).first.scroll_into_view_if_needed()
        _shot(worker, artifacts, "05-grid-worker-to-verify", full_page=False)
        to_verify.get_by_role("link").filter(has_text=detail["number"]).first.click()
        expect(worker.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification")
        expect(worker.get_by_test_id("action-verify_pass")).to_be_visible()  # the spot check is his to do
        assert_no_csp_violations(worker)
    finally:
        worker_context.close()

    # --- 3. the month's 自查自报, linked to the self-inspection (nothing typed again) -----------------------
    page.goto("/")
    assert axe_problems(page, "企业 /") == []
    page.get_by_test_id("selfcheck-entry").click()
    month = page.get_by_test_id("selfcheck-month")
    expect(month.get_by_test_id("selfcheck-state")).to_have_text("未报（本月已自查 1 次，发现隐患 2 项）")
    expect(month.get_by_test_id("selfcheck-inspections").locator("li")).to_have_count(1)
    expect(month.get_by_test_id("selfcheck-findings").locator("li")).to_have_count(2)
    expect(month.get_by_test_id("selfcheck-findings")).to_contain_text("待复查")
    expect(month.get_by_test_id("selfcheck-zero")).to_have_count(0)  # findings: no 「本月未发现隐患」
    _shot(page, artifacts, "06-month-before-report")
    assert axe_problems(page, "企业 /selfcheck") == []
    month.get_by_test_id("selfcheck-submit").click()
    dialog = page.get_by_test_id("selfcheck-confirm")
    expect(dialog).to_contain_text("自查 1 次，发现隐患 2 项")
    _shot(page, artifacts, "07-month-confirm", full_page=False)
    dialog.get_by_test_id("confirm").click()
    expect(month).to_have_attribute("data-state", "reported", timeout=45_000)
    expect(month.get_by_test_id("selfcheck-state")).to_have_text("已报：自查 1 次，发现隐患 2 项")
    expect(month.get_by_test_id("selfcheck-report")).to_contain_text("（按期）")
    _shot(page, artifacts, "08-month-reported")
    assert_no_csp_violations(page)
    owner_context.close()

    # --- 4. a second enterprise: 「本月未发现隐患」 after a confirmation ----------------------------------------
    second_context = _context(browser, live_server)
    try:
        second = log_in_offline_ready(second_context, SECOND_OWNER)
        second.get_by_test_id("selfcheck-entry").click()
        month = second.get_by_test_id("selfcheck-month")
        expect(month.get_by_test_id("selfcheck-submit")).to_have_count(0)
        second_context.set_offline(True)  # in a basement canteen: saved on the phone, sent once back in reach
        month.get_by_test_id("selfcheck-zero").click()
        dialog = second.get_by_test_id("selfcheck-confirm")
        expect(dialog).to_contain_text("未发现隐患")
        expect(dialog).to_contain_text("每个场所每月只报一次")
        dialog.get_by_test_id("confirm").click()
        expect(month).to_have_attribute("data-state", "pending")
        expect(month.get_by_test_id("selfcheck-zero")).to_have_count(0)  # never twice
        _shot(second, artifacts, "09a-zero-report-offline", full_page=False)
        second_context.set_offline(False)
        state = month.get_by_test_id("selfcheck-state")
        expect(state).to_have_text("已报：本月未发现隐患（自查 0 次）", timeout=45_000)
        _shot(second, artifacts, "09-zero-report")
        second.goto("/")
        expect(second.get_by_test_id("selfcheck-entry")).to_have_attribute("data-state", "reported")
        assert_no_csp_violations(second)
    finally:
        second_context.close()

    # --- 5. the console: the figures per enterprise, with their denominators, and who has not reported ------
    desk_context = _context(browser, live_server, DESK)
    try:
        desk = log_in_offline_ready(desk_context, OFFICE)
        desk.goto("/console")
        desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="企业自查自报").click()
        table = desk.get_by_test_id("selfcheck-table")
        expect(table.locator("thead")).to_contain_text("自改率（÷ 其中一般隐患）")
        expect(table.locator("thead")).to_contain_text("按期率（÷ 应报月数）")
        rows = desk.get_by_test_id("selfcheck-row")
        expect(rows).to_have_count(3)  # the demo's three sites with an enterprise account
        textile = rows.filter(has_text="嘉诚纺织")

        def cells(row: Any) -> dict[str, str]:
            return {k: row.locator(f"td[data-key={k}]").inner_text()
                    for k in ("inspections", "findings", "self_rectified_rate", "on_time_rate")}

        expect(textile.locator("td[data-key=inspections]")).to_have_text("1 次")
        assert cells(textile) == {"inspections": "1 次", "findings": "2 项", "self_rectified_rate": "100.0%（2/2）",
                                  "on_time_rate": "100.0%（1/1）"}
        zero = rows.filter(has_text="本月未发现隐患")
        assert cells(zero) == {"inspections": "0 次", "findings": "0 项", "self_rectified_rate": "—（0/0）",
                               "on_time_rate": "100.0%（1/1）"}
        missing = desk.get_by_test_id("selfcheck-not-reported").locator("li")
        expect(missing).to_have_count(1)
        expect(desk.get_by_test_id("selfcheck-missing")).to_have_attribute("data-value", "1")
        expect(desk.get_by_test_id("selfcheck-definitions")).to_contain_text("分母：其中一般隐患")
        assert axe_problems(desk, "监管台 /console/selfchecks") == []
        _shot(desk, artifacts, "10-console")
        figures = desk_context.request.get("/api/v1/self-checks/figures").json()
        assert [s["site_name"] for s in figures["not_reported"]] == [missing.first.inner_text().split(" ")[0]]
        assert_no_csp_violations(desk)
    finally:
        desk_context.close()
