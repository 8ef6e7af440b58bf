"""风险分级管控 in Debian's Chromium against the real server, by clicking only.

1. The enterprise (杭州嘉诚纺织, on a 390×844 phone) opens its site, then 风险分级管控: the site's level
   reads orange with its reason (the 液氨制冷车间 template's default LEC D=270). It assesses 液氨制冷车间 by
   LEC (L=6 相当可能, E=6 逐日暴露, C=15 一人死亡): the form previews D = 540 → 红 before it is sent; the
   assessment then waits for review and the site's level does not move yet.
2. The 区安委办 supervisor opens the console's 风险评估审核 and accepts it: the notice reads the site's new
   level and why (红：液氨制冷车间 LEC D=540).
3. The console's 风险地图 lists the site as red with that reason (分等级 filter 红); the map's GeoJSON
   carries the same reason for the tooltip; the change of level is in the audit chain.

State changes only through the pages; the test reads the API to check. Loading the risk point templates
(`hazardloop risks sync`) is setup, like `hazardloop checklists sync` in the server fixture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import assert_no_csp_violations, log_in

ENTERPRISE = ("13800002001", "Demo@2026")
SUPERVISOR = ("13800000002", "Demo@2026")
SITE = "杭州嘉诚纺织有限公司"


def test_an_enterprise_assessment_reviewed_by_a_supervisor_turns_the_site_red_on_the_map(
        phone_and_desk: dict[str, Any], artifacts: Path) -> None:
    from playwright.sync_api import expect

    phone, desk = phone_and_desk["phone"], phone_and_desk["desk"]
    # --- the enterprise, on its phone -------------------------------------------------------------
    page = log_in(phone, ENTERPRISE)
    expect(page.get_by_test_id("account-link")).to_be_visible()
    site_id = phone.request.get("/api/v1/sites").json()["items"][0]["id"]
    page.goto(f"/sites/{site_id}")
    page.get_by_test_id("site-risk-link").click()
    expect(page.get_by_test_id("risk-page")).to_be_visible()
    expect(page.get_by_test_id("risk-level")).to_have_attribute("data-level", "orange")
    expect(page.get_by_test_id("risk-summary")).to_contain_text("液氨制冷车间 LEC D=270")

    point = page.locator('[data-testid="risk-point"][data-name="液氨制冷车间"]')
    expect(point.get_by_test_id("point-level")).to_have_attribute("data-level", "orange")
    point.get_by_test_id("assess-open").click()
    form = point.get_by_test_id("assess-form")
    form.get_by_test_id("assess-method-lec").click()
    form.get_by_test_id("factor-l").select_option("6")
    form.get_by_test_id("factor-e").select_option("6")
    form.get_by_test_id("factor-c").select_option("15")
    expect(form.get_by_test_id("assess-preview")).to_contain_text("D = 540")
    expect(form.get_by_test_id("assess-preview")).to_have_attribute("data-level", "red")
    form.get_by_test_id("assess-submit").click()  # no reason yet: refused beside the form, nothing sent
    expect(form.get_by_test_id("assess-error")).to_contain_text("请填写评估理由")
    form.get_by_test_id("assess-reason").fill("储氨器位于车间内，氨泄漏报警装置曾失效，每日有人作业")
    page.screenshot(path=str(artifacts / "risk-assess-form.png"), full_page=True)
    form.get_by_test_id("assess-submit").click()
    expect(page.get_by_test_id("risk-notice")).to_contain_text("待监管部门审核")
    expect(point.get_by_test_id("point-state")).to_have_attribute("data-state", "submitted")
    expect(page.get_by_test_id("risk-level")).to_have_attribute("data-level", "orange")  # not counted yet
    expect(point.get_by_test_id("assess-open")).to_have_count(0)  # one assessment waits at a time
    page.screenshot(path=str(artifacts / "risk-assess-submitted.png"), full_page=True)
    assert_no_csp_violations(page)

    # --- the supervisor reviews it in the console ----------------------------------------------------
    console = log_in(desk, SUPERVISOR, "/console")
    expect(console.get_by_test_id("console")).to_be_visible()
    console.get_by_role("link", name="风险评估审核").click()
    row = console.locator(f'[data-testid="review-row"][data-site="{SITE}"]')
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("review-proposed")).to_contain_text("LEC D=540")
    console.screenshot(path=str(artifacts / "risk-review.png"), full_page=True)
    row.get_by_test_id("review-accept").click()
    expect(console.get_by_test_id("review-notice")).to_contain_text("红：液氨制冷车间 LEC D=540")
    expect(row).to_have_count(0)

    # --- the map shows the new colour and why ----------------------------------------------------------
    console.get_by_role("link", name="风险地图").click()
    expect(console.get_by_test_id("riskmap")).to_be_visible()
    console.get_by_test_id("level-filter-red").click()
    listed = console.locator(f'[data-testid="site-level-row"][data-site="{SITE}"]')
    expect(listed).to_have_attribute("data-level", "red")
    expect(listed.get_by_test_id("site-level-reason")).to_contain_text("红：液氨制冷车间 LEC D=540")
    console.screenshot(path=str(artifacts / "risk-map.png"), full_page=True)
    assert_no_csp_violations(console)

    features = desk.request.get("/api/v1/console/riskmap").json()["features"]
    site = next(f["properties"] for f in features if f["properties"].get("site_id") == site_id)
    assert site["risk_level"] == "red" and site["risk_summary"].startswith("红：液氨制冷车间 LEC D=540")
    grid = next(f["properties"] for f in features if f["properties"]["kind"] == "grid"
                and any(SITE in r for r in f["properties"]["risk_reasons"]))
    assert grid["risk_level"] == "red"

    # The enterprise's page reads the accepted assessment and the site's red level.
    page.reload()
    expect(page.get_by_test_id("risk-level")).to_have_attribute("data-level", "red")
    expect(point.get_by_test_id("point-state")).to_have_attribute("data-state", "accepted")
    expect(point.get_by_test_id("point-basis")).to_have_text("LEC D=540")
    page.screenshot(path=str(artifacts / "risk-enterprise-after.png"), full_page=True)
