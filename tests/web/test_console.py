"""The supervisor console (监管台), end to end, in Debian's Chromium against a real server.

A district of its own is seeded through the backend's services (not the demo seed): two streets, three grids
with GeoJSON boundaries, a fire department, sites with coordinates and risk levels, and hazards in every
interesting state — overdue, due this week, major and 挂牌督办, an extension request, one closed with
photos. Its district supervisor then, on a desk-sized screen:

1. opens the console from the field app's 监管 tab and sees the overview with the charts drawn (the ECharts
   canvases hold painted pixels) and the same figures the API gives for that scope;
2. filters the overdue table (重大 only; then only extension requests), sends a bulk 催办 with an answer per
   row, and approves an extension — the hazard's extension is approved on the server;
3. reviews a 通报 draft, edits its commentary and publishes it — every hazard it names gets its
   `reported` event; the archive offers PDF and XLSX;
4. views the four-colour risk map (no tile server configured: polygons and points only) and its density view;
5. opens a hazard's detail (timeline with actors and times) and the 黑名单 case opened by the escalation
   ladder, taking its first step.

With a tile layer configured (a second server on the same database with TILE_URL_TEMPLATE; the tiles are
served by the browser's request routing), the map asks for GCJ-02 coordinates and lays tiles under the grids.
A grid worker's phone never sees the 监管 tab nor fetches the console's chunks (ECharts).

Screenshots go to tests/web/artifacts/console-*.png.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from tests.factories import LiveData
from tests.support.deadlines import local_today
from tests.web.conftest import LiveServer, assert_no_csp_violations, wait_for_js

TIMEOUT_MS = 20_000
SUPERVISOR = ("13766660001", "Jianguan@2026")
PASSWORD = "Seed@2026"

# Painted pixels an ECharts canvas must hold to count as drawn (an empty one holds none).
DRAWN_PIXELS = 500
CANVAS_PAINT = """(el) => {
  const canvas = el.querySelector('canvas');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""

# Pixels in the trend chart's plot area (below the legend) in one of its three series colours.
SERIES_PIXELS = """(el) => {
  const canvas = el.querySelector('canvas');
  const ratio = canvas.width / canvas.clientWidth;
  const colours = [[11, 61, 145], [10, 107, 42], [176, 0, 32]];
  const top = Math.round(40 * ratio);
  const data = canvas.getContext('2d').getImageData(0, top, canvas.width, canvas.height - top).data;
  let hits = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 200) continue;
    const near = ([r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60;
    if (colours.some(near)) hits++;
  }
  return hits;
}"""


@dataclass
class Seeded:
    district_id: int
    street_ids: dict[str, int]
    hazards: dict[str, int] = field(default_factory=dict)


def _square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Seeded:
    """The test's own district — 东湖 and 西湖 streets, three grids, four 场所 — with a month of patrols, 隐患 in
    every state the console counts, and the daily figures its trend charts read, in the live server's database."""
    from hazardloop.blacklist.services import sync_candidates
    from hazardloop.checklists.services import applicable_versions
    from hazardloop.console.snapshots import snapshot_metrics
    from hazardloop.escalation.services import sweep_deadlines
    from hazardloop.extensions import db
    from hazardloop.inspections.services import submit_inspection
    from hazardloop.taxonomy import Role

    with LiveData(live_server) as data:
        district = data.region("监管台测试区", "district", code="339901")
        east = data.region("东湖街道", "street", district)
        west = data.region("西湖街道", "street", district)
        east_c, west_c = data.region("东湖社区", "community", east), data.region("西湖社区", "community", west)
        grids = {"e1": data.region("东湖一网格", "grid", east_c, boundary=_square(120.10, 30.30)),
                 "e2": data.region("东湖二网格", "grid", east_c, boundary=_square(120.11, 30.30)),
                 "w1": data.region("西湖一网格", "grid", west_c, boundary=_square(120.10, 30.31))}
        fire = data.department(district, "fire339901", "测试区消防救援大队", ["fire", "nine_small"])
        supervisor = data.person(SUPERVISOR[0], "区安委办张科长", Role.SUPERVISOR, password=SUPERVISOR[1],
                                 region=district)
        workers = {k: data.person(f"1376666010{i}", f"网格员{g.name[:3]}", Role.GRID_WORKER, password=PASSWORD,
                                  region=g) for i, (k, g) in enumerate(grids.items())}
        sites: dict[str, Any] = {}
        owners: dict[str, Any] = {}
        finder: dict[str, Any] = {}
        for i, (grid, name, risk, lng, lat) in enumerate([
                ("e1", "红星饭店", "red", 120.103, 30.303), ("e1", "东湖便利店", "blue", 120.107, 30.306),
                ("e2", "东湖电动车棚", "orange", 120.114, 30.304), ("w1", "西湖小旅馆", "yellow", 120.104, 30.314)]):
            sites[name] = data.site(name, grids[grid], f"测试路{i + 1}号", risk_level=risk, lng=lng, lat=lat)
            owners[name] = data.person(f"1376666020{i}", f"{name}负责人", Role.ENTERPRISE_USER, password=PASSWORD,
                                       site=sites[name])
            finder[name] = workers[grid]
        db.session.commit()
        now = data.now
        # 巡查: the grid worker of 东湖一网格 patrols one of its two sites this month.
        version = applicable_versions(sites["红星饭店"])[0]
        item = next(i for s in version.content["sections"] for i in s["items"] if i["answer"]["type"] == "compliance")
        submit_inspection({"client_uuid": uuid.uuid4(), "site_id": sites["红星饭店"].id,
                           "checklist_id": version.checklist_id, "checklist_version": version.version,
                           "mode": "routine", "started_at": now - dt.timedelta(minutes=30),
                           "finished_at": now - dt.timedelta(minutes=5),
                           "answers": [{"item_code": item["code"], "result": "符合"}]}, actor=workers["e1"])
        db.session.commit()

        def hazard(site: str, description: str, *, days_ago: int = 12, deadline_in_days: float | None = None,
                   level: str = "general") -> Any:
            return data.hazard(sites[site], description, finder=finder[site], level=level, days_ago=days_ago,
                               assign_to=fire if deadline_in_days is not None else None,
                               deadline_in_days=deadline_in_days)

        today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
        made = {"overdue": hazard("红星饭店", "厨房燃气管道未设置泄漏报警装置", deadline_in_days=-9),
                "major": hazard("东湖电动车棚", "电动自行车在楼道内集中充电", level="major", deadline_in_days=-4)}
        # The daily metrics snapshots the trend charts read, taken as the district's history unfolds.
        snapshot_metrics(today - dt.timedelta(days=36))
        db.session.commit()
        made |= {"extension": hazard("西湖小旅馆", "疏散指示标志损坏", deadline_in_days=-2),
                 "due_soon": hazard("东湖便利店", "灭火器压力不足", deadline_in_days=3),
                 "found": hazard("东湖便利店", "货物堵塞安全出口", days_ago=1),
                 "closed": hazard("西湖小旅馆", "配电箱前堆放可燃物", deadline_in_days=5)}
        # 延期: the enterprise took the order and asks for more time.
        inn = owners["西湖小旅馆"]
        data.step(made["extension"], "acknowledge", by=inn)
        data.step(made["extension"], "request_extension", by=inn, reason="需等待消防设施供应商上门更换",
                  requested_deadline=(now + dt.timedelta(days=20)).date().isoformat())
        # 挂牌督办 of the major hazard.
        data.step(made["major"], "list_supervision", by=supervisor, authority="测试区安全生产委员会办公室",
                  requirements="限期完成治理", deadline=(now + dt.timedelta(days=30)).date().isoformat())
        # 闭环 with an after photo.
        data.step(made["closed"], "acknowledge", by=inn)
        data.step(made["closed"], "submit_rectification", by=inn, measures="已清理配电箱前的可燃物并张贴警示",
                  photo_ids=[data.photo(inn, (30, 160, 60)).id])
        snapshot_metrics(today - dt.timedelta(days=15))
        data.step(made["closed"], "verify_pass", by=workers["w1"], note="现场复查合格")
        db.session.commit()
        for days_ago in (8, 1, 0):
            snapshot_metrics(today - dt.timedelta(days=days_ago))
        db.session.commit()
        # The escalation ladder runs as the scheduler would; the major overdue hazard opens a 黑名单 candidate.
        sweep_deadlines(now)
        sync_candidates()
        return Seeded(district_id=district.id, street_ids={"东湖街道": east.id, "西湖街道": west.id},
                      hazards={k: h.id for k, h in made.items()})


@pytest.fixture(scope="module")
def desk(browser: Any, live_server: LiveServer, seeded: Seeded) -> Iterator[Any]:
    """The supervisor's desk screen, logged in, on the field app's home."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow",
                                  accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.fill("#mobile", SUPERVISOR[0])
    page.fill("#password", SUPERVISOR[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管")).to_be_visible()
    yield page
    context.close()


def _csrf(page: Any) -> dict[str, str]:
    session = page.context.request.get("/api/v1/auth/session").json()
    return {"X-CSRF-Token": session["csrf_token"]}


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"console-{name}.png"), full_page=True)


def _painted(page: Any, testid: str) -> int:
    locator = page.get_by_test_id(testid)
    locator.locator("canvas").wait_for()
    # ECharts paints on the next animation frame after setOption.
    wait_for_js(page, f"(() => {{ const el = document.querySelector('[data-testid={testid}]');"
                           f" return el && ({CANVAS_PAINT})(el) > {DRAWN_PIXELS}; }})()")
    return int(locator.evaluate(CANVAS_PAINT))


def test_overview_draws_charts_and_matches_the_api(desk: Any, seeded: Seeded, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="监管").click()
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.get_by_test_id("status-cards")).to_be_visible()
    api = page.context.request.get("/api/v1/console/overview").json()
    for key in ("open_total", "overdue_now", "due_this_week", "major_open", "supervised_open"):
        expect(page.get_by_test_id(f"card-{key}-value")).to_have_text(str(api[key]))
    # The seeded district: 5 open (1 closed), 3 overdue, 1 major and supervised.
    assert (api["open_total"], api["overdue_now"]) == (5, 3)
    assert (api["major_open"], api["supervised_open"]) == (1, 1)
    for status, count in api["by_status"].items():
        expect(page.get_by_test_id(f"status-{status}-value")).to_have_text(str(count))
    # The same figures the hazard list gives for this scope.
    listed = page.context.request.get("/api/v1/hazards?limit=500").json()
    open_listed = [h for h in listed["items"] if h["status"] != "closed"]
    assert len(open_listed) == api["open_total"]
    assert len(page.context.request.get("/api/v1/hazards?overdue=true&limit=500").json()["items"]) == api["overdue_now"]
    supervised = page.context.request.get("/api/v1/hazards?supervised=true&limit=500").json()["items"]
    assert len([h for h in supervised if h["status"] != "closed"]) == api["supervised_open"]

    table = page.get_by_test_id("table-by_street")
    for row in api["rates"]["by_street"]:
        line = table.locator(f"tr[data-key='{row['region_id']}']")
        expect(line.locator("[data-col=found]")).to_have_text(str(row["found"]))
        expect(line.locator("[data-col=closed]")).to_have_text(str(row["closed"]))
        expect(line.locator("[data-col=overdue]")).to_have_text(str(row["overdue"]))
    assert {r["name"] for r in api["rates"]["by_street"]} == {"东湖街道", "西湖街道"}
    # Patrol coverage: 东湖一网格 had one of its two sites patrolled.
    coverage = {g["name"]: g for g in api["patrol_coverage"]["by_grid"]}
    assert (coverage["东湖一网格"]["sites"], coverage["东湖一网格"]["patrolled"]) == (2, 1)
    page.get_by_test_id("coverage-grid").locator("summary").click()
    for grid in api["patrol_coverage"]["by_grid"]:
        line = page.get_by_test_id("table-coverage-grid").locator(f"tr[data-key='{grid['region_id']}']")
        expect(line.locator("[data-col=sites]")).to_have_text(str(grid["sites"]))
        expect(line.locator("[data-col=patrolled]")).to_have_text(str(grid["patrolled"]))

    assert _painted(page, "chart-trend") > DRAWN_PIXELS
    assert _painted(page, "chart-coverage-grid") > DRAWN_PIXELS
    assert _painted(page, "chart-found") > DRAWN_PIXELS
    # The trend lines themselves (not just axes and legend): pixels of the series' colours below the legend.
    assert any(p["found"] is not None for p in api["trend"]["weeks"]), api["trend"]["weeks"]
    assert page.get_by_test_id("chart-trend").evaluate(SERIES_PIXELS) > 150
    _shot(page, artifacts, "01-overview")
    page.get_by_role("button", name="按月").click()
    assert _painted(page, "chart-trend") > DRAWN_PIXELS
    # A tablet: the navigation folds into a strip above the page, the charts resize with it.
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(page.get_by_role("navigation", name="监管台导航").get_by_role("link", name="超期督办")).to_be_in_viewport()
    assert _painted(page, "chart-trend") > DRAWN_PIXELS
    _shot(page, artifacts, "01b-overview-tablet")
    page.set_viewport_size({"width": 1440, "height": 900})
    # The export link answers with a workbook.
    href = page.get_by_test_id("rates-street").get_by_test_id("export").get_attribute("href")
    response = page.context.request.get(href)
    assert response.ok and "spreadsheetml" in response.headers["content-type"]


def test_overdue_table_filters_and_approves_an_extension(desk: Any, seeded: Seeded, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    page.goto("/console/overdue")
    rows = page.get_by_test_id("overdue-row")
    api = page.context.request.get("/api/v1/console/overdue?window=overdue").json()
    expect(rows).to_have_count(len(api["items"]))
    assert {r["hazard_id"] for r in api["items"]} == {seeded.hazards[k] for k in ("overdue", "major", "extension")}
    # Sorted by days overdue, most first (the server's default).
    days = [int(x) for x in rows.locator("[data-col=days_overdue]").all_inner_texts()]
    assert days == sorted(days, reverse=True) and days[0] > 0

    href = page.get_by_test_id("export").get_attribute("href")
    assert "window=overdue" in href
    export = page.context.request.get(href)
    assert export.ok and "spreadsheetml" in export.headers["content-type"]

    # Filter: 重大 only.
    page.get_by_test_id("filter-level").select_option("major")
    expect(page).to_have_url(re.compile(r"level=major"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", str(seeded.hazards["major"]))
    page.get_by_test_id("filter-level").select_option("")
    expect(rows).to_have_count(3)

    # Bulk 催办 on everything listed: one answer per row.
    page.get_by_test_id("select-all").check()
    expect(page.get_by_test_id("selected-count")).to_have_text("3")
    page.get_by_test_id("bulk-remind").click()
    results = page.get_by_test_id("bulk-results").locator("li")
    expect(results).to_have_count(3)
    _shot(page, artifacts, "02-overdue-bulk-remind")

    # Only the extension requests; approve the one from its row.
    page.get_by_test_id("filter-extension").check()
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-id", str(seeded.hazards["extension"]))
    row.get_by_test_id("row-approve").click()
    expect(page.get_by_test_id("bulk-results").locator(f"li[data-id='{seeded.hazards['extension']}']")) \
        .to_have_attribute("data-ok", "true")
    _shot(page, artifacts, "03-overdue-extension-approved")
    hazard = page.context.request.get(f"/api/v1/hazards/{seeded.hazards['extension']}").json()
    assert hazard["extension_state"] == "approved"
    assert "approve_extension" in [e["kind"] for e in hazard["timeline"]]
    assert hazard["overdue"] is False


def test_supervisor_reviews_and_publishes_a_circular(desk: Any, seeded: Seeded, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    today = local_today()
    # The weekly job's draft, made here through the same API for a period that holds the seeded hazards.
    draft = page.context.request.post("/api/v1/circulars/drafts", headers=_csrf(page), data={
        "scope_kind": "district", "region_id": seeded.district_id, "period_kind": "custom",
        "start": (today - dt.timedelta(days=30)).isoformat(), "end": today.isoformat()})
    assert draft.status == 201, draft.text()
    draft_id = draft.json()["id"]

    page.goto("/console/circulars")
    row = page.locator(f"[data-testid=circular-row][data-id='{draft_id}']")
    expect(row).to_be_visible()
    row.get_by_role("link").click()
    expect(page.get_by_test_id("circular")).to_have_attribute("data-status", "draft")
    commentary = "东湖街道逾期隐患较多，请街道督促企业于本周内完成整改。"
    page.get_by_test_id("commentary").fill(commentary)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("circular-message")).to_contain_text("已保存")
    _shot(page, artifacts, "04-circular-draft")
    page.get_by_test_id("publish").click()
    page.get_by_test_id("confirm-publish").click()
    expect(page.get_by_test_id("circular")).to_have_attribute("data-status", "published")
    expect(page.get_by_test_id("download-pdf")).to_be_visible()
    _shot(page, artifacts, "05-circular-published")

    published = page.context.request.get(f"/api/v1/circulars/{draft_id}").json()
    assert published["status"] == "published" and published["commentary"] == commentary
    assert published["hazard_ids"], "the draft names no hazard"
    for hazard_id in published["hazard_ids"]:
        timeline = page.context.request.get(f"/api/v1/hazards/{hazard_id}").json()["timeline"]
        assert [e["kind"] for e in timeline].count("reported") >= 1, hazard_id
    page.goto("/console/circulars?status=published")
    archived = page.locator(f"[data-testid=circular-row][data-id='{draft_id}']")
    for kind, mime in (("pdf", "application/pdf"), ("xlsx", "spreadsheetml")):
        href = archived.get_by_test_id(f"download-{kind}").get_attribute("href")
        response = page.context.request.get(href)
        assert response.ok and mime in response.headers["content-type"], (kind, response.status)


def test_risk_map_draws_grids_and_sites_without_tiles(desk: Any, seeded: Seeded, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    page.goto("/console/map")
    api = page.context.request.get("/api/v1/console/riskmap").json()
    assert api["tiles"] is None
    grids = [f for f in api["features"] if f["properties"]["kind"] == "grid"]
    sites = [f for f in api["features"] if f["properties"]["kind"] == "site"]
    assert len(grids) == 3 and len(sites) == 4
    counts = page.get_by_test_id("map-counts")
    expect(counts).to_have_attribute("data-grids", "3")
    expect(counts).to_have_attribute("data-sites", "4")
    expect(page.get_by_test_id("riskmap")).to_have_attribute("data-tiles", "off")
    expect(page.get_by_test_id("tile-layer")).to_have_count(0)
    assert _painted(page, "chart-riskmap") > DRAWN_PIXELS
    # The four colours are on the canvas: the grids' and sites' risk levels.
    painted = page.get_by_test_id("chart-riskmap").evaluate("""(el) => {
      const c = el.querySelector('canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4) seen.add(((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4));
      return [...seen];
    }""")
    assert len(painted) > 4
    _shot(page, artifacts, "06-riskmap")
    page.get_by_test_id("mode-density").click()
    expect(page.get_by_test_id("riskmap")).to_have_attribute("data-mode", "density")
    assert _painted(page, "chart-riskmap") > DRAWN_PIXELS
    _shot(page, artifacts, "07-riskmap-density")


def test_hazard_detail_supervised_list_and_blacklist(desk: Any, seeded: Seeded, artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = desk
    page.goto("/console/supervised")
    row = page.locator(f"[data-testid=supervised-row][data-id='{seeded.hazards['major']}']")
    expect(row).to_contain_text("测试区安全生产委员会办公室")
    _shot(page, artifacts, "08-supervised")
    row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/console/hazards/{seeded.hazards['major']}$"))
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li").first).to_be_visible()
    expect(timeline).to_contain_text("挂牌督办")
    expect(timeline).to_contain_text("区安委办张科长")
    _shot(page, artifacts, "09-hazard-detail")

    page.goto("/console/blacklist")
    entry = page.get_by_test_id("blacklist-row").filter(has_text="东湖电动车棚")
    expect(entry).to_have_count(1)
    _shot(page, artifacts, "10-blacklist")
    entry.get_by_role("link").first.click()
    case = page.get_by_test_id("blacklist-case")
    expect(case).to_have_attribute("data-status", "candidate")
    page.locator("#bl-note").fill("已采集该单位逾期未整改情况，报送会审。")
    page.get_by_test_id("step-collect").click()
    expect(case).to_have_attribute("data-status", "collected")
    expect(page.get_by_test_id("case-steps")).to_contain_text("区安委办张科长")
    _shot(page, artifacts, "11-blacklist-case")
    assert_no_csp_violations(page)  # every console page this module's desk opened


@pytest.fixture(scope="module")
def tiled_server(live_server: LiveServer, seeded: Seeded) -> Iterator[str]:
    """A second server on the same database, configured with a map tile layer (TILE_URL_TEMPLATE)."""
    import subprocess
    import time
    import urllib.request

    from tests.web.conftest import _cli, _free_port

    port = _free_port()
    env = {**live_server.env, "TILE_URL_TEMPLATE": TILES, "TILE_ATTRIBUTION": "测试底图"}
    log = live_server.cwd / "tiled.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*_cli(), "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                    "--threads", "4"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=live_server.cwd)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"带底图配置的服务器未能启动：\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


TILES = "https://tiles.invalid/{z}/{x}/{y}.png"


def _tile_png() -> bytes:
    image = Image.new("RGB", (256, 256), (226, 236, 220))
    for i in range(0, 256, 32):
        for j in range(256):
            image.putpixel((i, j), (190, 200, 185))
            image.putpixel((j, i), (190, 200, 185))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_risk_map_lays_tiles_under_gcj02_data_when_configured(
    browser: Any, tiled_server: str, seeded: Seeded, artifacts: Path,
) -> None:
    from playwright.sync_api import Route, expect

    context = browser.new_context(base_url=tiled_server, viewport={"width": 1280, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    tile = _tile_png()
    fetched: list[str] = []

    def serve_tile(route: Route) -> None:
        fetched.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=tile)

    context.route("https://tiles.invalid/**", serve_tile)
    try:
        page = context.new_page()
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "/console/riskmap" in r.url else None)
        page.goto("/login?next=/console/map")
        page.fill("#mobile", SUPERVISOR[0])
        page.fill("#password", SUPERVISOR[1])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_test_id("riskmap")).to_have_attribute("data-tiles", "on")
        expect(page.get_by_test_id("tile-layer").locator("img").first).to_be_visible()
        assert _painted(page, "chart-riskmap") > DRAWN_PIXELS
        wait_for_js(page, "[...document.querySelectorAll('[data-testid=tile-layer] img')]"
                               ".some((img) => img.complete && img.naturalWidth === 256)")
        assert any("crs=gcj02" in u for u in asked), asked
        assert fetched and all(re.fullmatch(r"https://tiles\.invalid/\d+/\d+/\d+\.png", u) for u in fetched)
        expect(page.get_by_test_id("tile-layer")).to_contain_text("测试底图")
        # The data were converted: the same site lies elsewhere in GCJ-02 than in WGS-84.
        wgs = context.request.get("/api/v1/console/riskmap?crs=wgs84").json()
        gcj = context.request.get("/api/v1/console/riskmap?crs=gcj02").json()
        point = next(f for f in wgs["features"] if f["properties"]["kind"] == "site")
        moved = next(f for f in gcj["features"] if f["properties"].get("site_id") == point["properties"]["site_id"])
        assert moved["geometry"]["coordinates"] != point["geometry"]["coordinates"]
        _shot(page, artifacts, "12-riskmap-tiles")
        assert_no_csp_violations(page)  # the tile server's host is allowed for images
    finally:
        context.close()


def test_field_phones_never_fetch_the_console(browser: Any, live_server: LiveServer) -> None:
    """A grid worker's phone: no 监管 tab, no console chunk (ECharts) fetched, none in the service worker's precache."""
    from playwright.sync_api import expect

    from tests.web.conftest import GRID_WORKER

    sw = urllib_get(f"{live_server.url}/sw.js")
    assert "console-" not in sw, "the service worker precaches the console"
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="zh-CN", service_workers="allow")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        fetched: list[str] = []
        context.on("request", lambda r: fetched.append(r.url))
        page.goto("/")
        page.fill("#mobile", GRID_WORKER[0])
        page.fill("#password", GRID_WORKER[1])
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
        wait_for_js(page, "navigator.serviceWorker.controller !== null")
        nav = page.get_by_role("navigation", name="主导航")
        expect(nav.get_by_role("link", name="隐患")).to_be_visible()
        expect(nav.get_by_role("link", name="监管")).to_have_count(0)
        assert not [u for u in fetched if "/assets/console-" in u], fetched
    finally:
        context.close()


def urllib_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")
