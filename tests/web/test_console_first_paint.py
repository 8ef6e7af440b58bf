"""The console opens at once: the overview's figures paint before the chart library arrives.

On a phone (390×844), the demo district's 区安委办 supervisor logs in and taps 监管:
1. with the chart chunk (ECharts) held back by the browser's request routing, the status cards show the
   same figures the API gives and each chart keeps its place with "正在加载图表…"; once the chunk is let
   through, the charts are drawn in those places;
2. with the console's own chunk held back, the overview's figures are already being fetched (they travel
   beside the chunk instead of waiting for it), and the page asks for them once, not twice.

Screenshots: tests/web/artifacts/console-first-paint-*.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import LiveServer, assert_no_csp_violations, wait_for_js

TIMEOUT_MS = 20_000
DISTRICT_SUPERVISOR = ("13800000002", "Demo@2026")
CHART_CHUNK = "**/assets/console-charts-*.js"
CONSOLE_CHUNK = "**/assets/console-ConsoleApp-*.js"
CARDS = ("open_total", "overdue_now", "due_this_week", "major_open", "supervised_open")
CANVAS_PAINTED = """(testid) => {
  const canvas = document.querySelector(`[data-testid=${testid}] canvas`);
  if (!canvas || !canvas.width) return false;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted > 500;
}"""


@pytest.fixture(scope="module")
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """The supervisor's phone, logged in on the field app. No service worker, so every chunk passes the routing."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.fill("#mobile", DISTRICT_SUPERVISOR[0])
    page.fill("#password", DISTRICT_SUPERVISOR[1])
    page.get_by_role("button", name="登录").click()
    expect(console_tab(page)).to_be_visible()
    yield page
    context.close()


def console_tab(page: Any) -> Any:
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管")


def test_figures_paint_while_the_chart_library_is_still_on_its_way(phone: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = phone
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)  # neither answered nor failed: the chunk stays "on its way"

    page.route(CHART_CHUNK, hold)
    try:
        page.goto("/")
        with page.expect_request(lambda r: "/assets/console-charts-" in r.url):
            console_tab(page).click()
        figures = page.context.request.get("/api/v1/console/overview").json()
        for key in CARDS:
            expect(page.get_by_test_id(f"card-{key}-value")).to_have_text(str(figures[key]))
        for status, count in figures["by_status"].items():
            expect(page.get_by_test_id(f"status-{status}-value")).to_have_text(str(count))
        expect(page.get_by_test_id("table-by_street").locator("tbody tr").first).to_be_visible()
        # The chart library has been asked for and has not arrived: the figures did not wait for it.
        assert held, "图表代码块应已请求"
        pending = page.get_by_test_id("chart-trend-pending")
        expect(pending).to_be_visible()
        expect(pending).to_have_text("正在加载图表…")
        expect(page.get_by_test_id("chart-trend")).to_have_count(0)
        assert page.locator("[data-testid=overview] canvas").count() == 0
        page.screenshot(path=str(artifacts / "console-first-paint-1-figures-before-charts.png"))

        for route in held:
            route.continue_()
        page.unroute(CHART_CHUNK)
        expect(page.get_by_test_id("chart-trend-pending")).to_have_count(0)
        expect(page.get_by_test_id("chart-trend").locator("canvas")).to_be_attached()
        wait_for_js(page, CANVAS_PAINTED, arg="chart-trend")
        # The figures did not move or change while the charts were drawn.
        for key in CARDS:
            expect(page.get_by_test_id(f"card-{key}-value")).to_have_text(str(figures[key]))
        page.get_by_test_id("trend").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "console-first-paint-2-charts-drawn.png"))
    finally:
        page.unroute(CHART_CHUNK)
    assert_no_csp_violations(page)


def test_figures_are_fetched_beside_the_console_chunk_and_once(phone: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = phone
    asked: list[str] = []

    def record(request: Any) -> None:
        if "/api/v1/console/overview" in request.url or "/api/v1/reports/stats" in request.url:
            asked.append(request.url)

    page.on("request", record)
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route(CONSOLE_CHUNK, hold)
    try:
        page.goto("/")
        with page.expect_request(lambda r: "/api/v1/console/overview" in r.url):
            console_tab(page).click()
        # The console's code has not arrived, and its figures are already on their way.
        expect(page.get_by_test_id("console-loading")).to_be_visible()
        # ... and its frame is already drawn: the header a person recognises, with the way back.
        frame = page.get_by_test_id("console-frame-loading")
        expect(frame.get_by_role("banner")).to_contain_text("隐患排查治理 · 监管台")
        expect(frame.get_by_role("link", name="返回现场端")).to_be_visible()
        # The chunk's request reaches the route once Playwright hands it over (after the figures' on a loaded
        # machine): wait for it, letting Playwright dispatch.
        deadline = time.monotonic() + 15
        while not held and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert held, "监管台代码块应已请求"
        page.screenshot(path=str(artifacts / "console-first-paint-0-opening.png"))
        for route in held:
            route.continue_()
        page.unroute(CONSOLE_CHUNK)
        figures = page.context.request.get("/api/v1/console/overview").json()
        for key in CARDS:
            expect(page.get_by_test_id(f"card-{key}-value")).to_have_text(str(figures[key]))
        expect(page.get_by_test_id("report-figures")).to_be_visible()
    finally:
        page.unroute(CONSOLE_CHUNK)
        page.remove_listener("request", record)
    # The page took the early answers rather than asking again (the test's own API read is not the page's).
    assert len([u for u in asked if "/console/overview" in u]) == 1, asked
    assert len([u for u in asked if "/reports/stats" in u]) == 1, asked
    assert_no_csp_violations(page)
