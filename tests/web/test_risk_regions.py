"""A street's risk in the console, in Debian's Chromium against the real server (gunicorn), by clicking only.

1. The 区安委办 supervisor (周建华, desk) opens 总览: the 场所风险等级 card counts his whole district; he clicks a
   street in 整改率 · 按街道 and the card follows the overview's region filter like the other cards (its counts
   equal ``/api/v1/risk/overview?region_id=…``, fewer than the district's).
2. On 风险地图 he chooses the street in 分区域: the street's level shows with its reasons (as
   ``/api/v1/risk/regions/{id}``), and 「下载风险分级管控清单（XLSX）」 downloads the street's 风险分级管控清单
   through gunicorn; openpyxl opens it: one row per risk point of the street's sites, the level in words.

Read-only: nothing is changed. `hazardloop risks sync` is setup (the ``risk_server`` fixture).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import assert_no_csp_violations, log_in

SUPERVISOR = ("13800000002", "Demo@2026")
STREET = "米市巷街道"
HEADERS = ["场所", "风险点", "类型", "危险源", "可能导致的事故类型", "评价依据", "风险等级",
           "控制措施（类别·管控层级）", "对应检查条目", "管控责任人", "评估人", "评估时间", "应重新评估日期"]
LEVEL_WORDS = {"red": "重大风险（红）", "orange": "较大风险（橙）", "yellow": "一般风险（黄）", "blue": "低风险（蓝）",
               None: "未评估"}


def test_the_overview_card_follows_the_region_and_a_street_shows_its_level_and_inventory(
        phone_and_desk: dict[str, Any], artifacts: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    desk = phone_and_desk["desk"]
    console = log_in(desk, SUPERVISOR, "/console")
    expect(console.get_by_test_id("overview")).to_be_visible()

    # 1. The card: the whole district, then the street chosen in the overview.
    whole = desk.request.get("/api/v1/risk/overview").json()
    card = console.get_by_test_id("risk-levels-card")
    expect(card.get_by_test_id("risk-changes-summary")).to_have_attribute("data-total", str(whole["total"]))
    console.get_by_test_id("table-by_street").get_by_role("link", name=STREET).click()
    expect(console.get_by_test_id("scope")).to_contain_text(STREET)
    street_id = int(console.evaluate("new URLSearchParams(location.search).get('region_id')"))
    street = desk.request.get(f"/api/v1/risk/overview?region_id={street_id}").json()
    assert 0 < street["total"] < whole["total"]
    expect(card.get_by_test_id("risk-changes-summary")).to_have_attribute("data-total", str(street["total"]))
    for level, count in street["counts"].items():
        expect(card.get_by_test_id(f"risk-count-{level}")).to_have_attribute("data-value", str(count))
    card.scroll_into_view_if_needed()
    console.screenshot(path=str(artifacts / "risk-overview-card-street.png"), full_page=True)

    # 2. The map: the street's level, its reasons and its 风险分级管控清单.
    console.goto("/console/map")
    expect(console.get_by_test_id("riskmap")).to_be_visible()
    expect(console.get_by_test_id("region-risk")).to_have_attribute("data-region", "")
    console.get_by_test_id("filter-street").select_option(str(street_id))
    panel = console.get_by_test_id("region-risk")
    expect(panel).to_have_attribute("data-region", str(street_id))
    level = desk.request.get(f"/api/v1/risk/regions/{street_id}").json()
    expect(panel.get_by_test_id("region-level")).to_have_attribute("data-level", level["level"])
    expect(panel.get_by_test_id("region-reasons").locator("li")).to_have_text(level["reasons"])
    panel.scroll_into_view_if_needed()
    console.screenshot(path=str(artifacts / "risk-region-panel.png"), full_page=True)

    with console.expect_download() as waiting:
        panel.get_by_test_id("region-inventory").click()
    download = waiting.value
    name = download.suggested_filename  # 风险分级管控清单_米市巷街道_20261204_0007.xlsx: the time it was made
    assert name.startswith(f"风险分级管控清单_{STREET}_") and name.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved, read_only=True)  # read-only keeps the file open until closed
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    assert rows[0] == HEADERS

    # Every risk point of the street's active sites, as the site's risk view lists them.
    sites = [s for s in desk.request.get(f"/api/v1/sites?region={street_id}&per_page=500").json()["items"]
             if s.get("active", True)]
    expected = []
    for site in sites:
        view = desk.request.get(f"/api/v1/risk/sites/{site['id']}").json()
        expected += [(site["name"], p["name"], LEVEL_WORDS[p["level"]]) for p in view["points"]]
    assert expected, "演示街道的场所应有风险点"
    assert sorted((r[0], r[1], r[6]) for r in rows[1:]) == sorted(expected)
    assert_no_csp_violations(console)
