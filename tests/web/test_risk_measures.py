"""控制措施检查 and 人工调整 in Debian's Chromium against the real server, by clicking only.

1. The enterprise (杭州嘉诚纺织, on a 390×844 phone) finds on its home screen the control measure 「辨识有限空间，
   建立台账并设置明显的安全警示标志」 (管控层级 企业, checked by its 自查) due this period. 「开始检查」 opens the
   自查 of the 工贸 checklist; it answers the measure's item IT-D-001 不符合 with a photo and submits (the other
   items stay 未检查). The hazard arrives through the normal loop; the site's risk view shows the measure checked
   this period with the open hazard; the home screen no longer lists the measure.
2. The grid worker (唐晓东, on the phone) finds the 街道-tier control measure checks of his grids' sites in the one
   list of 待巡查场所 (no separate block): each row carries 「管控措施检查到期：…」 beside or instead of the periodic
   patrol, and tapping 开始巡查/开始检查 opens the inspection of that site.
3. The 区安委办 supervisor (desk) opens a site from the console's 风险地图, sets its level to 红 with a reason
   (「人工调整」, refused without a reason); the site's risk view and the map's row show 人工调整 with the reason,
   the map's filters (分行业 / 分等级) find it, and the 风险点 layer is drawn.

State changes only through the pages; the test reads the API to check. `hazardloop risks sync` is setup.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from tests.web.conftest import GRID_WORKER, assert_no_csp_violations, log_in, wait_for_js

ENTERPRISE = ("13800002001", "Demo@2026")
SUPERVISOR = ("13800000002", "Demo@2026")
PLANT = "杭州嘉诚纺织有限公司"
MEASURE_ITEM = "IT-D-001"


def _jpeg(tmp: Path) -> Path:
    from PIL import Image

    path = tmp / "no-sign.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (180, 40, 40)).save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def test_an_enterprise_checks_a_due_measure_and_the_failed_item_becomes_a_hazard_on_the_measure(
        phone_and_desk: dict[str, Any], artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    phone = phone_and_desk["phone"]
    page = log_in(phone, ENTERPRISE)
    expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)  # checklists on the phone
    site_id = next(s["id"] for s in phone.request.get("/api/v1/sites").json()["items"] if s["name"] == PLANT)

    expect(page.get_by_test_id("measures-due")).to_be_visible()
    page.get_by_test_id("measures-all").click()  # the first five are shown, then all on request
    row = page.locator(f'[data-testid="measure-due"][data-items="{MEASURE_ITEM}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("辨识有限空间")
    expect(row).to_contain_text("管控层级：企业")
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "risk-measures-today.png"), full_page=True)
    row.get_by_test_id("start-measure-check").click()
    expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f-]{36}$"))
    client_uuid = page.url.rsplit("/", 1)[-1]

    card = page.locator(f"[data-testid=item][data-code='{MEASURE_ITEM}']")
    card.scroll_into_view_if_needed()
    card.get_by_role("button", name="不符合", exact=True).click()
    with page.expect_file_chooser() as chooser:
        card.get_by_test_id("camera").click()
    chooser.value.set_files(str(_jpeg(tmp_path)))
    expect(card.get_by_test_id("photo")).to_have_count(1)
    card.get_by_test_id("finding").fill("有限空间未建台账，入口无警示标志")
    expect(page.get_by_test_id("saved-at")).to_contain_text("已保存")
    page.get_by_test_id("submit").click()
    dialog = page.get_by_test_id("unanswered-dialog")
    expect(dialog).to_be_visible()  # only the measure's item was checked
    dialog.get_by_role("button", name="仍然提交").click()
    expect(page).to_have_url(re.compile(r"/outbox$"))
    sent = page.locator(f"[data-testid=outbox-item][data-id='{client_uuid}']")
    expect(sent).to_have_attribute("data-state", "sent", timeout=45_000)

    inspections = phone.request.get(f"/api/v1/inspections?site={site_id}&per_page=100").json()["items"]
    stored = next(i for i in inspections if i["client_uuid"] == client_uuid)
    detail = phone.request.get(f"/api/v1/inspections/{stored['id']}").json()
    assert detail["mode"] == "self" and [a["item_code"] for a in detail["answers"]] == [MEASURE_ITEM]
    [hazard] = detail["hazards"]

    # The site's risk view: the measure checked this period, its failed item an open hazard.
    page.goto(f"/sites/{site_id}/risk")
    point = page.locator('[data-testid="risk-point"][data-name="有限空间作业"]')
    point.locator("summary").click()
    expect(point.get_by_test_id("measure-failing")).to_contain_text(hazard["number"])
    expect(point.get_by_test_id("measure-check").first).to_have_attribute("data-checked", "true")
    point.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "risk-measure-failed.png"), full_page=True)

    # Home: the measure is done for this period.
    page.goto("/")
    expect(page.get_by_test_id("measures-due")).to_be_visible()
    page.get_by_test_id("measures-all").click()
    expect(page.get_by_test_id("measure-due").first).to_be_visible()
    expect(page.locator(f'[data-testid="measure-due"][data-items="{MEASURE_ITEM}"]')).to_have_count(0)
    assert_no_csp_violations(page)

    view = phone.request.get(f"/api/v1/risk/sites/{site_id}").json()
    measure = next(p for p in view["points"] if p["name"] == "有限空间作业")["measures"][0]
    assert [h["id"] for h in measure["open_hazards"]] == [hazard["id"]]
    assert measure["check"]["checked_this_period"] is True


def test_a_grid_worker_sees_due_measure_checks_in_the_one_patrol_list(
        phone_and_desk: dict[str, Any], artifacts: Path) -> None:
    from playwright.sync_api import expect

    phone = phone_and_desk["phone"]
    page = log_in(phone, GRID_WORKER)
    expect(page.get_by_role("heading", name="今日任务")).to_be_visible()
    plan = phone.request.get("/api/v1/patrols/due").json()["items"]
    with_measures = [r for r in plan if r["measure_checks"]]
    assert with_measures, "演示网格员的场所应有到期的控制措施检查（管控层级 街道）"
    # A site patrolled this period whose measures are due, when the demo has one; else one owing both.
    target = next((r for r in with_measures if not r["patrol_due"]), with_measures[0])

    expect(page.get_by_test_id("patrols-due")).to_be_visible()
    expect(page.get_by_test_id("measures-due")).to_have_count(0)  # no separate block beside the plan
    more = page.get_by_role("button", name=re.compile("显示全部"))
    if more.count():
        more.click()
    row = page.locator(f'[data-testid="patrol-due"][data-site="{target["site"]["id"]}"]')
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-measures", str(target["measure_checks"]["count"]))
    expect(row).to_have_attribute("data-patrol", "due" if target["patrol_due"] else "done")
    expect(row.get_by_test_id("patrol-measures")).to_have_text(target["measure_checks"]["reason"])
    expect(row.get_by_test_id("patrol-measures")).to_contain_text("管控措施检查")
    expect(row.get_by_test_id("start-patrol")).to_have_text("开始巡查" if target["patrol_due"] else "开始检查")
    # The rows are in the server's order: overdue (patrol or measure check) first.
    ids = [int(v) for v in page.get_by_test_id("patrol-due").evaluate_all("(rows) => rows.map((r) => r.dataset.site)")]
    assert ids == [r["site"]["id"] for r in plan][:len(ids)]
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "risk-measures-in-patrol-plan.png"), full_page=True)

    row.get_by_test_id("start-patrol").click()
    expect(page).to_have_url(re.compile(rf"/(drafts/[0-9a-f-]{{36}}|sites/{target['site']['id']})$"))
    assert_no_csp_violations(page)


def test_a_supervisor_overrides_a_sites_level_with_a_reason_and_the_map_shows_it(
        phone_and_desk: dict[str, Any], artifacts: Path) -> None:
    from playwright.sync_api import expect

    desk = phone_and_desk["desk"]
    console = log_in(desk, SUPERVISOR, "/console")
    expect(console.get_by_test_id("console")).to_be_visible()
    features = desk.request.get("/api/v1/console/riskmap").json()["features"]
    target = next(f["properties"] for f in features if f["properties"]["kind"] == "site"
                  and f["properties"]["name"] != PLANT and f["properties"]["risk_level"] != "red"
                  and f["properties"].get("risk_points"))
    name = target["name"]

    console.get_by_role("link", name="风险地图").click()
    expect(console.get_by_test_id("riskmap")).to_be_visible()
    console.get_by_test_id("filter-category").select_option(target["category"])
    row = console.locator(f'[data-testid="site-level-row"][data-site="{name}"]')
    expect(row).to_have_count(1)
    row.get_by_role("link", name=name).click()

    expect(console.get_by_test_id("risk-page")).to_be_visible()
    console.get_by_test_id("override-open").click()
    form = console.get_by_test_id("override-form")
    form.get_by_test_id("override-level").select_option("red")
    form.get_by_test_id("override-submit").click()  # no reason: refused beside the form
    expect(form.get_by_test_id("override-error")).to_contain_text("请填写调整理由")
    form.get_by_test_id("override-reason").fill("节假日人员聚集，周边为居民密集区")
    form.get_by_test_id("override-submit").click()
    override = console.get_by_test_id("risk-override")
    expect(override).to_contain_text("人工调整")
    expect(override).to_contain_text("节假日人员聚集，周边为居民密集区")
    expect(override).to_contain_text("周建华")  # who
    expect(console.get_by_test_id("risk-level")).to_have_attribute("data-level", "red")
    console.screenshot(path=str(artifacts / "risk-override.png"), full_page=True)

    console.goto("/console/map")
    expect(console.get_by_test_id("riskmap")).to_be_visible()
    console.get_by_test_id("level-filter-red").click()
    row = console.locator(f'[data-testid="site-level-row"][data-site="{name}"]')
    expect(row).to_have_attribute("data-override", "true")
    expect(row.get_by_test_id("site-level-override")).to_have_text("人工调整")
    expect(row.get_by_test_id("site-level-reason")).to_contain_text("红（人工调整）：节假日人员聚集")
    console.get_by_test_id("layer-points").check()
    expect(console.get_by_test_id("riskmap")).to_have_attribute("data-points", "on")
    wait_for_js(console, "document.querySelector('[data-testid=chart-riskmap] canvas') !== null")
    console.screenshot(path=str(artifacts / "risk-map-override.png"), full_page=True)
    assert_no_csp_violations(console)

    features = desk.request.get("/api/v1/console/riskmap").json()["features"]
    site = next(f["properties"] for f in features if f["properties"].get("site_id") == target["site_id"])
    assert site["risk_level"] == "red" and site["override"] is True

    # The overview: sites by level, and this change among the last period's (loaded after the overview's figures).
    console.get_by_role("link", name="总览").click()
    card = console.get_by_test_id("risk-levels-card")
    change = card.locator(f'[data-testid="risk-change"][data-site="{name}"]')
    expect(change).to_have_attribute("data-direction", "up")
    expect(change).to_contain_text("人工调整")
    red = desk.request.get("/api/v1/risk/overview").json()["counts"]["red"]
    expect(card.get_by_test_id("risk-count-red")).to_have_attribute("data-value", str(red))
    card.scroll_into_view_if_needed()
    console.screenshot(path=str(artifacts / "risk-overview-card.png"), full_page=True)
    assert_no_csp_violations(console)
