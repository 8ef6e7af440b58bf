"""系统管理 by clicking, on the desk console: an administrator creates a 网格员 with his grid and resets his password;
the worker, on a phone, must set his own password and then sees his grid's sites; a grid boundary uploaded outside
its parent is refused in Chinese and a valid one saved; a users file with one mistake is fixed and imported.

State changes only through the pages; the API is read to choose demo objects and to check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tests.web.conftest import LiveServer, admin_desk, assert_no_csp_violations, axe_problems, pick_region

DEMO_WORKER = "13800001001"
TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
NEW_WORKER = "13912300001"
OWN_PASSWORD = "Mein-Netz-2026"


@pytest.fixture(scope="module")
def desk(browser: Any, live_server: LiveServer) -> Any:
    context, page = admin_desk(browser, live_server, TIMEOUT_MS)
    yield page
    assert_no_csp_violations(page)
    context.close()


def _regions(page: Any) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    regions = page.context.request.get("/api/v1/regions?with_boundary=true").json()
    return regions, {r["id"]: r for r in regions}


def _label(region: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> str:
    """The region as the console's selects show it: 「A街道 / A社区 / A1网格」 (without the district)."""
    chain = [by_id[int(i)] for i in region["path"].strip("/").split("/") if int(i) in by_id]
    return " / ".join(r["name"] for r in chain if r["level"] != "district" or r["id"] == region["id"])


def _grid_with_sites(page: Any) -> tuple[dict[str, Any], list[str]]:
    """A grid with sites that is not the demo grid worker's (other journeys count on his grid's people)."""
    api = page.context.request
    demo = api.get(f"/api/v1/users?q={DEMO_WORKER}").json()["items"][0]
    taken = {g["region_id"] for g in demo["grants"]}
    regions, _ = _regions(page)
    for grid in (r for r in regions if r["level"] == "grid" and r["id"] not in taken):
        sites = api.get(f"/api/v1/sites?region={grid['id']}&per_page=500").json()["items"]
        names = [s["name"] for s in sites if s.get("grid_id", grid["id"]) == grid["id"]]
        if names:
            return grid, names
    pytest.fail("演示数据中没有带场所的网格。")


def test_an_administrator_creates_a_grid_worker_who_sets_his_password_on_the_phone_and_sees_his_sites(
        desk: Any, browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    grid, site_names = _grid_with_sites(page)
    _, by_id = _regions(page)
    page.goto("/console")
    page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="用户").click()
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    form = page.get_by_test_id("create-user")
    form.get_by_test_id("new-mobile").fill(NEW_WORKER)
    form.get_by_test_id("new-name").fill("测试网格员")
    form.get_by_test_id("grant-role").select_option("grid_worker")
    pick_region(form, "grant-region", grid["name"], _label(grid, by_id))
    form.get_by_test_id("new-grant-submit").click()
    expect(page.get_by_test_id("temporary-password")).to_have_text(re.compile(r"^[A-Za-z0-9]{10}$"))
    page.screenshot(path=str(artifacts / "admin-1-user-created.png"), full_page=True)

    page.get_by_test_id("created-user-link").click()
    expect(page.get_by_test_id("user-grant")).to_contain_text(f"网格员（{grid['name']}）")
    page.get_by_test_id("reset-password").click()
    page.get_by_test_id("confirm-reset").click()
    expect(page.get_by_test_id("user-message")).to_contain_text("密码已重置")
    temporary = page.get_by_test_id("temporary-password").inner_text().strip()
    expect(page.get_by_test_id("user-status")).to_contain_text("下次登录须修改密码")
    page.screenshot(path=str(artifacts / "admin-2-password-reset.png"), full_page=True)

    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone.set_default_timeout(TIMEOUT_MS)
    worker = phone.new_page()
    worker.goto("/")
    worker.fill("#mobile", NEW_WORKER)
    worker.fill("#password", temporary)
    worker.get_by_role("button", name="登录").click()
    expect(worker.get_by_test_id("password-form")).to_be_visible()
    worker.screenshot(path=str(artifacts / "admin-3-phone-forced-change.png"), full_page=True)
    worker.fill("#pw-current", temporary)
    worker.fill("#pw-new", OWN_PASSWORD)
    worker.fill("#pw-again", OWN_PASSWORD)
    worker.get_by_role("button", name="修改密码").click()
    expect(worker.get_by_role("navigation", name="主导航")).to_be_visible()
    worker.goto("/sites")
    expect(worker.get_by_test_id("site-list")).to_contain_text(site_names[0])
    worker.screenshot(path=str(artifacts / "admin-4-phone-sites.png"), full_page=True)
    listed = worker.context.request.get("/api/v1/sites?per_page=500").json()["items"]
    assert {s["name"] for s in listed} == set(site_names)
    assert_no_csp_violations(worker)
    phone.close()

    # The administrator sees the worker's phone among his sessions and ends it.
    page.reload()
    expect(page.get_by_test_id("session-row")).to_have_count(1)
    page.get_by_test_id("end-all").click()
    expect(page.get_by_test_id("user-message")).to_contain_text("已结束")
    expect(page.get_by_test_id("session-row")).to_have_count(0)


def _polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_a_grid_boundary_outside_its_parent_is_refused_in_chinese_then_a_valid_one_is_saved(
        desk: Any, tmp_path: Path, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    regions, by_id = _regions(page)
    grid = next(r for r in regions if r["level"] == "grid" and r.get("boundary")
                and by_id[r["parent_id"]].get("boundary"))
    parent = by_id[grid["parent_id"]]
    ring = grid["boundary"]["coordinates"][0] if grid["boundary"]["type"] == "Polygon" \
        else grid["boundary"]["coordinates"][0][0]
    far = [[x + 0.3, y] for x, y, *_ in ring]
    (tmp_path / "越界.geojson").write_text(json.dumps(_polygon(far)), encoding="utf-8")
    (tmp_path / "网格.geojson").write_text(json.dumps(_polygon(ring)), encoding="utf-8")

    page.goto("/console")
    expect(page.get_by_role("heading", name="总览", level=1)).to_be_visible()  # the console is there, then the menu
    page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="区域网格").click()
    expect(page.get_by_role("heading", name="区域与网格")).to_be_visible()
    page.get_by_test_id("region-filter").fill(grid["name"])
    page.locator(f"[data-testid='region-item'][data-name='{grid['name']}']").first.click()
    panel = page.get_by_test_id("region-panel")
    expect(panel).to_have_attribute("data-region", grid["name"])

    panel.get_by_test_id("boundary-file").set_input_files(str(tmp_path / "越界.geojson"))
    panel.get_by_test_id("boundary-upload").click()
    expect(panel.get_by_test_id("boundary-problems")).to_contain_text(f"超出了上级「{parent['name']}」的边界")
    expect(panel.get_by_test_id("boundary-saved")).to_have_count(0)
    page.screenshot(path=str(artifacts / "admin-5-boundary-outside.png"), full_page=True)
    assert page.context.request.get(f"/api/v1/regions/{grid['id']}").json()["boundary"] == grid["boundary"]

    panel.get_by_test_id("boundary-file").set_input_files(str(tmp_path / "网格.geojson"))
    panel.get_by_test_id("boundary-upload").click()
    expect(panel.get_by_test_id("boundary-saved")).to_have_text("边界已保存。")
    expect(panel.get_by_test_id("boundary-problems")).to_have_count(0)
    page.screenshot(path=str(artifacts / "admin-6-boundary-saved.png"), full_page=True)


def _users_file(path: Path, grid_label: str, *, mistake: bool) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["手机号*", "姓名*", "角色*", "负责区域*", "所属部门"])
    sheet.append(["13912300101", "导入网格员甲", "网格员", grid_label, ""])
    sheet.append(["13912300102", "导入网格员乙", "厨师" if mistake else "网格员", grid_label, ""])
    book.save(path)
    return path


def test_an_administrator_imports_a_users_file_fixes_the_mistake_and_imports_it(
        desk: Any, live_server: LiveServer, tmp_path: Path, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    grid, _ = _grid_with_sites(page)
    _, by_id = _regions(page)
    grid_label = _label(grid, by_id).replace(" / ", "/")
    page.goto("/console")
    page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="批量导入").click()
    page.get_by_test_id("import-kind-users").check()
    expect(page.get_by_role("heading", name="批量导入用户")).to_be_visible()
    with page.expect_download() as template:
        page.get_by_test_id("import-template").click()
    assert template.value.suggested_filename == "用户导入模板.xlsx"

    page.get_by_test_id("import-file").set_input_files(str(_users_file(tmp_path / "用户（有误）.xlsx", grid_label,
                                                                       mistake=True)))
    page.get_by_test_id("import-upload").click()
    live_server.cli("worker", "--burst", "--no-cron")
    expect(page.get_by_test_id("problem-count")).to_have_text("1")
    row = page.get_by_test_id("import-problems").locator("tr[data-row='3']")
    expect(row).to_contain_text("角色")
    expect(row).to_contain_text("「厨师」不是可导入的角色")
    page.screenshot(path=str(artifacts / "admin-7-users-problem.png"), full_page=True)

    page.get_by_test_id("import-file").set_input_files(str(_users_file(tmp_path / "用户.xlsx", grid_label,
                                                                       mistake=False)))
    page.get_by_test_id("import-upload").click()
    live_server.cli("worker", "--burst", "--no-cron")
    expect(page.get_by_test_id("import-planned").get_by_test_id("count-created")).to_have_text("2")
    page.get_by_test_id("import-confirm").click()
    live_server.cli("worker", "--burst", "--no-cron")
    expect(page.get_by_test_id("import-status")).to_have_text("导入完成")
    expect(page.get_by_test_id("import-applied").get_by_test_id("count-created")).to_have_text("2")
    page.screenshot(path=str(artifacts / "admin-8-users-imported.png"), full_page=True)
    found = page.context.request.get("/api/v1/admin/users?q=导入网格员").json()["items"]
    assert sorted(u["mobile"] for u in found) == ["13912300101", "13912300102"]
    assert all(u["must_change_password"] and u["grants"][0]["region_id"] == grid["id"] for u in found)


def test_the_administration_pages_fit_a_phone(desk: Any, artifacts: Path) -> None:
    """Desk screens first, but a supervisor on the road can still use them: nothing wider than the phone."""
    from playwright.sync_api import expect

    page = desk
    page.set_viewport_size(PHONE)
    try:
        for path, heading, name in (("/console/admin/users", "用户管理", "users"),
                                    ("/console/admin/regions", "区域与网格", "regions"),
                                    ("/console/admin/departments", "部门与监管领域", "departments")):
            page.goto(path)
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            expect(page.locator(".panel").first).to_be_visible()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1, path
            page.screenshot(path=str(artifacts / f"admin-phone-{name}.png"))
        expect(page.get_by_test_id("department-row").first).to_be_visible()
    finally:
        page.set_viewport_size({"width": 1280, "height": 860})


def test_a_street_supervisor_creates_a_grid_worker_only_for_the_grids_of_his_street(
        browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("#mobile", "13800000011")  # 街道监管, 米市巷街道
    page.fill("#password", "Demo@2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    regions = page.context.request.get("/api/v1/regions").json()
    by_id = {r["id"]: r for r in regions}
    street = next(r for r in regions if r["level"] == "street")
    grids = [r for r in regions if r["level"] == "grid"]
    assert grids and all(r["path"].startswith(street["path"]) for r in grids)

    page.goto("/console")
    nav = page.get_by_role("navigation", name="监管台导航")
    expect(nav.get_by_role("link", name="部门")).to_have_count(0)
    nav.get_by_role("link", name="用户").click()
    form = page.get_by_test_id("create-user")
    expect(form.get_by_role("heading", name="新建网格员")).to_be_visible()
    expect(form.get_by_test_id("grant-role").locator("option")).to_have_count(1)
    # 区域选择: the street's grids only, each with its path; found by typing, chosen with the keyboard.
    picker = form.get_by_test_id("grant-region")
    field = picker.get_by_role("combobox")
    field.focus()
    expect(picker.get_by_role("option")).to_have_count(min(len(grids), 50))
    assert axe_problems(page, "用户管理（区域选择展开）") == []
    page.screenshot(path=str(artifacts / "admin-8-region-picker-open.png"), full_page=True)
    form.get_by_test_id("new-mobile").fill("13912300201")
    form.get_by_test_id("new-name").fill("街道新网格员")
    field.fill(grids[-1]["name"])
    expect(picker.get_by_role("option").first).to_contain_text(_label(grids[-1], by_id))
    field.press("ArrowDown")
    field.press("ArrowUp")
    field.press("Enter")
    expect(field).to_have_value(_label(grids[-1], by_id))
    expect(picker.get_by_role("listbox")).to_be_hidden()
    form.get_by_test_id("new-grant-submit").click()
    expect(page.get_by_test_id("temporary-password")).to_be_visible()
    page.screenshot(path=str(artifacts / "admin-9-supervisor-creates-worker.png"), full_page=True)

    # 场所管理 → 新增场所: the grid is found by typing part of its path.
    page.goto("/console/sites")
    page.get_by_test_id("create-site-open").click()
    create = page.get_by_test_id("create-site")
    create.locator("#cs-name").fill("街道新登记的茶叶店")
    create.locator("#cs-address").fill("米市巷 101 号")
    create.locator("#cs-category").select_option(label="小商店")
    pick_region(create, "cs-grid", grids[0]["name"], _label(grids[0], by_id))
    create.get_by_test_id("create-site-submit").click()
    expect(page.get_by_test_id("site-admin")).to_contain_text(grids[0]["name"])
    page.screenshot(path=str(artifacts / "admin-10-site-created-in-grid.png"), full_page=True)
    created = page.context.request.get("/api/v1/sites?q=街道新登记的茶叶店").json()["items"]
    assert [s["grid_id"] for s in created] == [grids[0]["id"]]

    nav.get_by_role("link", name="区域网格").click()
    community = next(r for r in regions if r["level"] == "community")
    page.locator(f"[data-testid='region-item'][data-name='{community['name']}']").click()
    panel = page.get_by_test_id("region-panel")
    expect(panel.get_by_test_id("add-child")).to_contain_text("网格")
    expect(panel.get_by_test_id("region-name")).to_have_count(0)  # a community is the district's to rename
    expect(panel.get_by_test_id("boundary")).to_have_count(0)
    assert_no_csp_violations(page)
    context.close()
