"""The supervisor console on a phone, read-only, in Debian's Chromium against the real server.

At 360 and 390 px wide every console page fits the screen (no sideways panning), tables are cards, the header
and navigation take at most 15 % of the height, every tap target is at least 44 px, and no internal code (a
risk colour's `red`, a grid's `grid-30`) reaches the screen. The overview shows its numbers before the chart
library arrives. A street supervisor sees the enterprises' contact numbers in full; an inspector sees them
masked. Screenshots go to tests/web/artifacts/workbench-console-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import LiveServer, assert_no_csp_violations

TIMEOUT_MS = 20_000
PASSWORD = "Demo@2026"
STREET_SUPERVISOR = "13800000011"
INSPECTOR = "13800000021"
PAGES = ["/console", "/console/overdue", "/console/supervised", "/console/map", "/console/blacklist"]

# Visible controls smaller than 44 × 44 CSS px (a link inside running text is exempt, as in WCAG 2.5.8).
SMALL_TARGETS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.console a[href], .console button, .console select, .console summary,'
      + ' .console input:not([type=hidden]):not([type=file]), .console textarea')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden') continue;
    if (el.closest('label.camera') || el.closest('p, li small, .muted')) continue;
    const name = (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 20);
    const size = `${Math.round(r.width)}×${Math.round(r.height)}`;
    if (r.width < 43.5 || r.height < 43.5) out.push(`${el.tagName} ${name} ${size}`);
  }
  return out;
}"""

WIDE = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > innerWidth + 1).slice(0, 5)
  .map((el) => `${el.tagName}.${el.className}`)"""


def _phone(browser: Any, live_server: LiveServer, mobile: str, width: int) -> Any:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#password")).to_have_count(0)
    return page


@pytest.mark.parametrize("width", [360, 390])
def test_console_fits_a_phone(browser: Any, live_server: LiveServer, artifacts: Path, width: int) -> None:
    from playwright.sync_api import expect

    page = _phone(browser, live_server, STREET_SUPERVISOR, width)
    try:
        for path in PAGES:
            page.goto(path)
            expect(page.get_by_test_id("console")).to_be_visible()
            page.wait_for_load_state("networkidle")
            expect(page.get_by_text("正在加载")).to_have_count(0)
            if path == "/console/map":
                expect(page.get_by_test_id("chart-riskmap").locator("canvas")).to_have_count(1)
            # Screenshot once the fonts are in and the settled layout is painted (two frames), not after a guess.
            page.evaluate("async () => { await document.fonts.ready;"
                          " await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))); }")
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=str(artifacts / f"workbench-console-{width}-{name}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, page.evaluate(WIDE))
            head = page.evaluate("""() => document.querySelector('.console-top').getBoundingClientRect().height
                + document.querySelector('.console-nav').getBoundingClientRect().height""")
            assert head <= 0.15 * 844, (path, head)
            assert page.evaluate(SMALL_TARGETS) == [], path
            text = page.locator(".console-main").inner_text()
            assert not re.search(r"\b(red|orange|yellow|blue)\b|grid-\d+", text), (path, text[:500])
        # A grid's poster sheet, printable from the overview's coverage table.
        page.goto("/console")
        details = page.get_by_test_id("coverage-grid").locator("details")
        details.locator("summary").click()
        sheet = details.get_by_test_id("grid-posters").first.get_attribute("href") or ""
        response = page.context.request.get(sheet)
        assert response.status == 200 and response.headers["content-type"] == "application/pdf", sheet
        assert "filename*=UTF-8''" in response.headers["content-disposition"]
        # Tables are cards: no header row, each cell names its column.
        page.goto("/console/overdue")
        rows = page.get_by_test_id("overdue-row")
        expect(rows.first).to_be_visible()
        assert page.locator("[data-testid=overdue-table] thead").is_hidden()
        label = rows.first.locator("td[data-label='整改期限']")
        assert label.evaluate("(el) => getComputedStyle(el, '::before').content") == '"整改期限"'
        assert_no_csp_violations(page)
    finally:
        page.context.close()


def test_overview_numbers_come_before_the_chart_library(browser: Any, live_server: LiveServer,
                                                        artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = _phone(browser, live_server, STREET_SUPERVISOR, 390)
    held: list[Any] = []
    try:
        page.route(re.compile(r"/assets/console-charts-[^/]+\.js$"), lambda route: held.append(route))
        page.goto("/console")
        card = page.get_by_test_id("card-open_total-value")
        expect(card).to_have_text(re.compile(r"^\d+$"))
        expect(page.get_by_test_id("chart-trend-pending")).to_be_visible()
        assert held, "图表库应在数字显示之后才开始加载"
        page.screenshot(path=str(artifacts / "workbench-console-numbers-first.png"))
        for route in held:
            route.continue_()
        expect(page.get_by_test_id("chart-trend").locator("canvas")).to_have_count(1)
    finally:
        page.context.close()


def test_supervisor_sees_contacts_in_full_and_an_inspector_masked(browser: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    for mobile, full in ((STREET_SUPERVISOR, True), (INSPECTOR, False)):
        page = _phone(browser, live_server, mobile, 390)
        try:
            page.goto("/console/overdue?window=all_open")
            contacts = page.get_by_test_id("enterprise-contact")
            expect(contacts.first).to_be_visible()
            shown = " ".join(contacts.all_inner_texts())
            if full:
                assert re.search(r"1\d{10}", shown), shown
                assert page.locator("[data-testid=enterprise-contact] a[href^='tel:']").count() > 0
            else:
                assert not re.search(r"1\d{10}", shown) and "****" in shown, shown
        finally:
            page.context.close()
