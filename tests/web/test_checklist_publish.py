"""检查表发布 by clicking, on the desk console: the administrator uploads a checklist file with a mistake, reads
the problem with its line, uploads the corrected file, reads the preview and the difference, publishes; a
网格员's phone then starts a new inspection with the new version.

The file is the current version downloaded from the console's own link (read through the API here) with one
item added and one deduction changed: state changes only through the pages; the API is read to check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.web.conftest import GRID_WORKER, LiveServer, assert_no_csp_violations

ADMIN = ("13800000001", "Demo@2026")
TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
NEW_CODE = "PUB-NEW-001"


def _shot(page: Any, artifacts: Path, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"checklist-publish-{name}.png"), full_page=full_page)


def _login(context: Any, who: tuple[str, str]) -> Any:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto("/login")
    page.fill("#mobile", who[0])
    page.fill("#password", who[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    return page


def _worker_site_and_checklist(request: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A site of the 网格员 and the first checklist offered for it (read as the 网格员)."""
    for site in request.get("/api/v1/sites?per_page=500").json()["items"]:
        offered = request.get(f"/api/v1/checklists?site={site['id']}").json()
        if offered and site["name"] != "杭州嘉诚纺织有限公司":
            return site, offered[0]
    pytest.fail("演示数据中没有网格员可检查的场所。")


def _edited(source: str, version: str, deduction: Any) -> tuple[str, str]:
    """The downloaded file with a new version, a new item after the first and the first item's deduction changed."""
    data = yaml.safe_load(source)
    data["version"] = version
    items = data["sections"][0]["items"]
    first = items[0]
    new = {**first, "code": NEW_CODE}
    items.insert(1, new)
    first["deduction"] = deduction
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200), first["code"]


@pytest.fixture(scope="module")
def desk(browser: Any, live_server: LiveServer) -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def _upload(page: Any, name: str, text: str) -> None:
    page.get_by_test_id("checklist-file").set_input_files(
        {"name": name, "mimeType": "application/yaml", "buffer": text.encode("utf-8")})
    page.get_by_test_id("checklist-check").click()


def test_an_administrator_publishes_a_corrected_checklist_and_the_phone_uses_it(
        desk: Any, browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    from playwright.sync_api import expect

    worker_context = browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2,
                                         is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    worker_context.set_default_timeout(TIMEOUT_MS)
    worker = _login(worker_context, GRID_WORKER)
    site, offered = _worker_site_and_checklist(worker_context.request)
    checklist_id, old_version = offered["id"], offered["version"]
    year, number = old_version.split(".")
    new_version = f"{year}.{int(number) + 1}"

    page = _login(desk, ADMIN)
    page.goto("/console")
    page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="检查表发布").click()
    row = page.locator(f"[data-testid=checklist-row][data-id='{checklist_id}']")
    expect(row).to_have_attribute("data-version", old_version)
    href = row.get_by_test_id("checklist-download").get_attribute("href")
    source = desk.request.get(href)
    assert source.ok and "attachment" in source.headers["content-disposition"]

    # 1. a mistake: the deduction is words, not a number
    wrong, first_code = _edited(source.text(), new_version, "很多")
    wrong_line = next(i for i, line in enumerate(wrong.splitlines(), 1) if "很多" in line)
    _upload(page, f"{checklist_id}.yaml", wrong)
    problem = page.get_by_test_id("checklist-problem").first
    expect(problem).to_have_attribute("data-line", str(wrong_line))
    expect(problem).to_contain_text(f"第 {wrong_line} 行")
    expect(problem).to_contain_text("应为数字")
    expect(page.get_by_test_id("checklist-publish")).to_have_count(0)
    _shot(page, artifacts, "01-problem")

    # 2. the corrected file: the preview as the inspector sees it, and the difference from the current version
    right, _ = _edited(source.text(), new_version, 4)
    _upload(page, f"{checklist_id}.yaml", right)
    expect(page.get_by_test_id("checklist-problem")).to_have_count(0)
    diff = page.get_by_test_id("checklist-diff")
    expect(diff).to_contain_text(f"与当前版本 {old_version} 相比：新增 1 项")
    expect(diff.locator(".diff-added")).to_contain_text(NEW_CODE)
    expect(diff.locator(".diff-changed")).to_contain_text(f"{first_code}")
    expect(diff.locator(".diff-changed")).to_contain_text("每处扣分")
    preview = page.get_by_test_id("checklist-preview")
    expect(preview.locator(f"[data-testid=item][data-code='{NEW_CODE}']")).to_be_visible()
    expect(preview.get_by_role("button", name="不符合").first).to_be_disabled()  # a preview: nothing to answer
    _shot(page, artifacts, "02-preview-diff", full_page=False)
    page.get_by_test_id("checklist-ready").screenshot(path=str(artifacts / "checklist-publish-03-ready.png"))

    page.get_by_test_id("checklist-publish").click()
    expect(page.get_by_test_id("checklist-published")).to_contain_text(f"版本 {new_version}")
    expect(row).to_have_attribute("data-version", new_version)
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, artifacts, "04-published", full_page=False)
    detail = desk.request.get(f"/api/v1/checklists/{checklist_id}").json()
    assert detail["current"]["version"] == new_version
    assert [v["version"] for v in detail["versions"]][-2:] == [old_version, new_version]
    assert_no_csp_violations(page)

    # 3. the 网格员's phone: a new inspection of the site is filled with the new version
    worker.goto(f"/sites/{site['id']}")
    worker.get_by_test_id("start-inspection").filter(has_text=offered["title"]).click()
    expect(worker).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
    card = worker.locator(f"[data-testid=item][data-code='{NEW_CODE}']")
    card.scroll_into_view_if_needed()
    expect(card).to_be_visible()
    _shot(worker, artifacts, "05-phone-new-version", full_page=False)
    assert_no_csp_violations(worker)
    worker_context.close()
