"""批量导入 by clicking: an administrator imports a 500-row site file with mistakes, fixes them from the
problem list, imports, imports the same file again (nothing changes) and downloads each row's result.

The check and the import run in the worker (`hazardloop worker --burst` here, as the background worker
would); the page only polls. State changes only through the page; the API is read to check.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from hazardloop.sites.credit_code import make_credit_code
from tests.web.conftest import LiveServer, admin_desk, assert_no_csp_violations

TIMEOUT_MS = 30_000
HEADER = ["场所名称*", "统一社会信用代码", "地址*", "所属网格*", "场所类别*", "监管领域", "经度", "纬度", "联系人",
          "联系电话", "备注"]
ROWS = 500


def _file(path: Path, grid: str, *, mistakes: bool) -> Path:
    """500 shops in one grid; with mistakes, five rows carry one error each."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for n in range(1, ROWS + 1):
        code = make_credit_code("92330105", f"MP{n:06d}")
        row = [f"导入测试商店{n}", code, f"测试大道{n}号", grid, "小商店", "", 120.15, 30.28, "店主", "13912345678", ""]
        if mistakes:
            if n == 36:
                row[1] = code[:-1] + ("1" if code[-1] != "1" else "2")  # 第 37 行: check character
            elif n == 100:
                row[0] = ""
            elif n == 200:
                row[4] = "游乐园"
            elif n == 300:
                row[1] = make_credit_code("92330105", "MP000001")  # same as 第 2 行
            elif n == 400:
                row[9] = "123"
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def desk(browser: Any, live_server: LiveServer) -> Any:
    context, page = admin_desk(browser, live_server, TIMEOUT_MS)
    yield page
    context.close()


def _grid_path(page: Any) -> str:
    """A grid's full path as the template lists it (read from the API)."""
    regions = page.context.request.get("/api/v1/regions").json()
    by_id = {r["id"]: r for r in regions}
    grid = next(r for r in regions if r["level"] == "grid")
    chain = [grid["name"]]
    parent = by_id.get(grid.get("parent_id"))
    while parent is not None and parent["level"] != "district":
        chain.insert(0, parent["name"])
        parent = by_id.get(parent.get("parent_id"))
    return "/".join(chain)


def _work(live_server: LiveServer) -> None:
    live_server.cli("worker", "--burst", "--no-cron")


def _sites_named(page: Any, prefix: str) -> int:
    return int(page.context.request.get(f"/api/v1/sites?q={prefix}&per_page=1").json()["total"])


def test_an_administrator_imports_a_site_file_fixes_it_and_imports_it_again(
        desk: Any, live_server: LiveServer, tmp_path: Path, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    page.goto("/console")
    page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="批量导入").click()
    expect(page.get_by_role("heading", name="批量导入场所")).to_be_visible()

    with page.expect_download() as template:
        page.get_by_test_id("import-template").click()
    assert template.value.suggested_filename == "场所导入模板.xlsx"
    book = load_workbook(io.BytesIO(Path(template.value.path()).read_bytes()))
    grid = _grid_path(page)
    assert grid in [r[0] for r in book["填写说明"].iter_rows(values_only=True)]

    # 1. The file with mistakes: every problem by row and column, nothing written.
    page.get_by_test_id("import-file").set_input_files(str(_file(tmp_path / "场所（有误）.xlsx", grid, mistakes=True)))
    page.get_by_test_id("import-upload").click()
    expect(page.get_by_test_id("import-status")).to_have_text("正在检查")
    _work(live_server)
    expect(page.get_by_test_id("problem-count")).to_have_text("5")
    problems = page.get_by_test_id("import-problems")
    for row, column in ((37, "统一社会信用代码"), (101, "场所名称"), (201, "场所类别"), (301, "统一社会信用代码"),
                        (401, "联系电话")):
        expect(problems.locator(f"tr[data-row='{row}']")).to_contain_text(column)
    expect(problems.locator("tr[data-row='37']")).to_contain_text("校验位错误")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    page.screenshot(path=str(artifacts / "import-1-problems.png"), full_page=True)
    assert _sites_named(page, "导入测试商店") == 0

    # 2. The corrected file: 500 to create; confirm; the progress survives a reload.
    fixed = _file(tmp_path / "场所.xlsx", grid, mistakes=False)
    page.get_by_test_id("import-file").set_input_files(str(fixed))
    page.get_by_test_id("import-upload").click()
    _work(live_server)
    expect(page.get_by_test_id("import-planned").get_by_test_id("count-created")).to_have_text("500")
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-status")).to_have_text("正在导入")
    page.reload()
    expect(page.get_by_test_id("import-status")).to_have_text("正在导入")
    _work(live_server)
    expect(page.get_by_test_id("import-status")).to_have_text("导入完成")
    expect(page.get_by_test_id("import-applied").get_by_test_id("count-created")).to_have_text("500")
    page.screenshot(path=str(artifacts / "import-2-done.png"), full_page=True)
    assert _sites_named(page, "导入测试商店") == ROWS
    with page.expect_download() as result:
        page.get_by_test_id("import-result").click()
    sheet = load_workbook(io.BytesIO(Path(result.value.path()).read_bytes())).active
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["新建"] * ROWS

    # 3. The same file again: all 500 unchanged, nothing new.
    page.get_by_test_id("import-file").set_input_files(str(fixed))
    page.get_by_test_id("import-upload").click()
    _work(live_server)
    expect(page.get_by_test_id("import-planned").get_by_test_id("count-unchanged")).to_have_text("500")
    expect(page.get_by_test_id("import-planned").get_by_test_id("count-created")).to_have_text("0")
    page.get_by_test_id("import-confirm").click()
    _work(live_server)
    expect(page.get_by_test_id("import-applied").get_by_test_id("count-unchanged")).to_have_text("500")
    assert _sites_named(page, "导入测试商店") == ROWS
    page.screenshot(path=str(artifacts / "import-3-again.png"), full_page=True)
    assert_no_csp_violations(page)
