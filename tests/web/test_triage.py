"""群众举报 triage and 挂牌督办建议 in Debian's Chromium against the real server, by clicking only.

1. Three citizens report from one site's QR page on their phones (390 px), one with a photo. Each
   tracking page reads 已提交 until a person acts.
2. The 区安委办 supervisor opens the console's 举报 tab (desktop; badge with the untriaged count):
   the first report, photo and all, is 立案 into a hazard; the reporter's page reads 已立案. The second
   is 不予立案 (an empty reason is refused beside the field); its reporter reads the reason. The third
   is merged (并案) into the first one's hazard; its reporter's page says so and follows that hazard.
   The hazard then goes round the loop on the pages (交办 by the supervisor, 签收 and 整改 with a photo by
   the site's enterprise on its phone, 复查通过 by the supervisor): both reporters' pages read 已办结, and
   the overview's 群众举报 card shows 办结率 and 按时分拣率 with their numerators and denominators.
3. The same queue on a phone (390 px): no sideways panning.
4. A fourth report is 立案 as 重大 and 交办 with a deadline; the escalation sweep (the system, as the
   worker runs it) finds it overdue and proposes 挂牌督办; the supervisor accepts the proposal in
   督办建议, filling 督办单位/期限/要求 (an empty form is refused field by field); the hazard is listed.

People change state only through the pages; the test reads the API to check what the pages did. Two
things are not people: the enterprise's account is made with `hazardloop create-user` (as at setup),
and the deadline sweep runs as the worker runs it, at a chosen time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tests.support.deadlines import SHANGHAI
from tests.web.conftest import (
    TRIAGE_TIMEOUT_MS,
    LiveServer,
    Reader,
    citizen_phone,
    open_report,
    queued_report,
    supervisor_desk,
    wait_for_api,
)

TIMEOUT_MS = TRIAGE_TIMEOUT_MS
# The innermost elements reaching past the right edge of the screen (what makes a phone pan sideways).
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > 391
    && ![...e.children].some((c) => c.getBoundingClientRect().right > 391))
  .slice(0, 8).map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


# --- the people and their screens ---------------------------------------------------------------

@pytest.fixture(scope="module")
def qr_site(triage_reader: Reader) -> dict[str, Any]:
    """A site with a QR poster from the middle of the list: away from the other browser tests' sites."""
    items = triage_reader.get("/api/v1/sites?per_page=100")["items"]
    for site in items[len(items) // 2:]:
        detail = triage_reader.get(f"/api/v1/sites/{site['id']}")
        if detail.get("qr_token"):
            return detail
    pytest.fail("演示数据中没有带二维码的场所。")


def _photo(tmp: Path) -> Path:
    image = Image.new("RGB", (1600, 1200), (215, 210, 200))
    ImageDraw.Draw(image).rectangle([500, 300, 1100, 1000], fill=(40, 90, 160))
    path = tmp / "citizen.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue())
    return path


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"triage-{name}.png"), full_page=True)


def _report(phone: Any, site: dict[str, Any], description: str, photo: Path | None = None) -> tuple[Any, str]:
    """A citizen reports from the site's QR page and lands on the tracking page; returns (page, code)."""
    from playwright.sync_api import expect

    page = phone.new_page()
    page.goto(f"/s/{site['qr_token']}")
    page.get_by_test_id("report-here").click()
    page.get_by_test_id("categories").get_by_role("button", name="消防安全", exact=True).click()
    page.fill("#r-description", description)
    if photo is not None:
        page.get_by_test_id("photo-input").set_input_files(str(photo))
        expect(page.get_by_test_id("report-photos").locator("img")).to_have_count(1)
    page.get_by_test_id("submit-report").click()
    expect(page.get_by_test_id("receipt-status")).to_have_text("已提交")
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}", code), code
    page.get_by_test_id("track-link").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已提交")
    return page, code


# --- 1–3: triage --------------------------------------------------------------------------------

def test_reports_are_accepted_rejected_and_merged_in_the_console_and_reporters_see_it(
    browser: Any, live_server: LiveServer, triage_desk: Any, triage_reader: Reader, qr_site: dict[str, Any],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    tag = uuid.uuid4().hex[:4]
    first = f"后厨液化气罐紧挨灶台且未固定（{tag}）"
    second = f"门口灭火器好像过期了（{tag}）"
    third = f"厨房煤气罐没有固定，靠着灶台放（{tag}）"
    phone = citizen_phone(browser, live_server)
    try:
        # 1. Three citizens report; their pages read 已提交.
        page_a, _ = _report(phone, qr_site, first, _photo(tmp_path))
        _shot(page_a, artifacts, "01-reporter-submitted")
        page_b, _ = _report(phone, qr_site, second)
        page_c, _ = _report(phone, qr_site, third)

        # 2a. The console's 举报 tab carries the untriaged count; the first report opens with its photo.
        triage_desk.goto("/console")
        badge = triage_desk.get_by_test_id("reports-badge")
        expect(badge).to_be_visible()
        assert int(badge.inner_text()) >= 3
        open_report(triage_desk, first)
        photo = triage_desk.get_by_test_id("report-photo")
        expect(photo).to_have_count(1)
        triage_desk.wait_for_function("() => { const i = document.querySelector('[data-testid=report-photo]');"
                               " return i && i.complete && i.naturalWidth > 0; }")
        _shot(triage_desk, artifacts, "02-console-report-detail")

        # 立案: into a hazard at the site, routed to its department.
        triage_desk.get_by_test_id("choose-accept").click()
        triage_desk.get_by_test_id("confirm-accept").click()
        expect(triage_desk.get_by_test_id("triage-notice")).to_contain_text("已立案")
        expect(triage_desk.get_by_test_id("report-status")).to_have_text("已立案")
        hazard_link = triage_desk.get_by_test_id("report-hazard")
        expect(hazard_link).to_have_text(re.compile(r"^YH\d+"))
        accepted = queued_report(triage_reader, first)
        hazard = triage_reader.get(f"/api/v1/hazards/{accepted['hazard_id']}")
        assert hazard["source"] == "public_report" and hazard["site_id"] == qr_site["id"]
        assert hazard["description"] == first and len(hazard["photo_ids"]) == 1
        _shot(triage_desk, artifacts, "03-console-accepted")

        page_a.reload()
        expect(page_a.get_by_test_id("report-status")).to_have_text("已立案")
        _shot(page_a, artifacts, "04-reporter-accepted")

        # 2b. 不予立案: an empty reason is refused beside the field; the reporter reads the reason.
        open_report(triage_desk, second)
        triage_desk.get_by_test_id("choose-reject").click()
        triage_desk.get_by_test_id("confirm-reject").click()
        expect(triage_desk.get_by_test_id("reject-form").locator(".field-error")).to_contain_text("理由")
        reason = "经现场核实，灭火器在有效期内，压力正常。"
        triage_desk.fill("#r-reason", reason)
        triage_desk.get_by_test_id("confirm-reject").click()
        expect(triage_desk.get_by_test_id("report-status")).to_have_text("不予立案")
        page_b.reload()
        expect(page_b.get_by_test_id("report-status")).to_have_text("不予立案")
        expect(page_b.get_by_test_id("rejection-reason")).to_contain_text(reason)
        _shot(page_b, artifacts, "05-reporter-rejected")

        # 2c. 并案: the third report is the first one's problem; merged into its hazard.
        open_report(triage_desk, third)
        triage_desk.get_by_test_id("choose-merge").click()
        choice = triage_desk.get_by_test_id("merge-choice").filter(has_text=hazard["number"])
        expect(choice).to_have_count(1)
        choice.locator("input").check()
        _shot(triage_desk, artifacts, "06-console-merge")
        triage_desk.get_by_test_id("confirm-merge").click()
        expect(triage_desk.get_by_test_id("report-status")).to_have_text("已并案")
        expect(triage_desk.get_by_test_id("merged-into")).to_have_text(hazard["number"])
        page_c.reload()
        expect(page_c.get_by_test_id("merged-note")).to_contain_text("合并办理")
        expect(page_c.get_by_test_id("report-status")).to_have_text("已立案")
        _shot(page_c, artifacts, "07-reporter-merged")
        assert queued_report(triage_reader, third)["duplicate_of_hazard_id"] == hazard["id"]

        # 2d. The loop closes on the pages: 交办 by the supervisor, 签收 and 整改 by the site's enterprise
        # on a phone, 复查通过 by the supervisor; both reporters' pages read 已办结.
        _close_hazard(browser, live_server, triage_desk, triage_reader, hazard["id"], qr_site, tmp_path, artifacts)
        for page in (page_a, page_c):
            page.reload()
            expect(page.get_by_test_id("report-status")).to_have_text("已办结")
        _shot(page_a, artifacts, "08-reporter-closed")

        # The overview carries the month's 群众举报 figures, each with its numerator and denominator.
        triage_desk.goto("/console")
        figures = triage_desk.get_by_test_id("report-figures")
        closed_share = figures.get_by_test_id("reports-closed-share-value")
        expect(closed_share).to_have_text(re.compile(r"^\d+ / \d+（\d+\.\d%）$"))
        expect(figures.get_by_test_id("reports-on-time-value")).to_have_text(re.compile(r"^\d+ / \d+（"))
        figures.scroll_into_view_if_needed()
        _shot(triage_desk, artifacts, "08b-console-overview-report-figures")
    finally:
        phone.close()

    # 3. The queue on a phone: cards, no sideways panning, the 举报 tab reachable.
    small = supervisor_desk(browser, live_server, {"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        small.goto("/console/reports?status=merged")
        expect(small.get_by_test_id("report-row").filter(has_text=third)).to_have_count(1)
        _shot(small, artifacts, "09-console-phone-queue")
        wide = small.evaluate(WIDER_THAN_SCREEN)
        assert small.evaluate("document.documentElement.scrollWidth") <= 391, wide
    finally:
        small.context.close()


def _fire(page: Any, action: str, fill: dict[str, str] | None = None, photo: Path | None = None) -> None:
    """On the hazard page: open the step's form, fill it, send it."""
    from playwright.sync_api import expect

    page.get_by_test_id(f"action-{action}").click()
    form = page.get_by_test_id(f"form-{action}")
    expect(form).to_be_visible()
    for field, value in (fill or {}).items():
        form.locator(f"#f-{action}-{field}").fill(value)
    if photo is not None:
        form.locator("input[type=file]").set_input_files(str(photo))
        expect(form.locator("figure img")).to_have_count(1)
    form.get_by_test_id("action-submit").click()


def _close_hazard(browser: Any, live_server: LiveServer, triage_desk: Any, triage_reader: Reader, hazard_id: int,
                  site: dict[str, Any], tmp: Path, artifacts: Path) -> None:
    from playwright.sync_api import expect

    path = f"/api/v1/hazards/{hazard_id}"
    triage_desk.goto(f"/console/hazards/{hazard_id}")
    _fire(triage_desk, "assign")
    wait_for_api(triage_reader, path, lambda h: h["status"] == "assigned")

    owner = (f"139{uuid.uuid4().int % 10**8:08d}", "Qiye@2026")
    live_server.cli("create-user", "--mobile", owner[0], "--name", "店主", "--role", "enterprise_user",
                    "--site-id", str(site["id"]), extra_env={"HAZARDLOOP_PASSWORD": owner[1]})
    context = citizen_phone(browser, live_server)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#mobile", owner[0])
        page.fill("#password", owner[1])
        page.get_by_role("button", name="登录").click()
        expect(page.locator("#mobile")).to_have_count(0)
        page.goto(f"/hazards/{hazard_id}")
        _fire(page, "acknowledge")
        wait_for_api(triage_reader, path, lambda h: h["status"] == "rectifying")
        page.reload()
        _fire(page, "submit_rectification", {"measures": "液化气罐已移至专用气瓶间并用链条固定"}, _photo(tmp))
        wait_for_api(triage_reader, path, lambda h: h["status"] == "awaiting_verification")
        _shot(page, artifacts, "07b-enterprise-rectified")
    finally:
        context.close()

    triage_desk.goto(f"/console/hazards/{hazard_id}")
    _fire(triage_desk, "verify_pass", {"note": "现场复查，气罐已固定"})
    wait_for_api(triage_reader, path, lambda h: h["status"] == "closed")


# --- 4: 挂牌督办建议 ----------------------------------------------------------------------------

def _sweep(live_server: LiveServer, at: dt.datetime) -> dict[str, Any]:
    """The escalation sweep exactly as the worker runs it (escalation.jobs), at ``at``, on the server's database."""
    script = textwrap.dedent(f"""
        from hazardloop import create_app
        app = create_app()
        with app.app_context():
            from hazardloop.escalation.jobs import escalate_overdue_hazards
            import json
            print(json.dumps(escalate_overdue_hazards({at.isoformat()!r})))
    """)
    result = subprocess.run([sys.executable, "-c", script], env=live_server.env, cwd=live_server.cwd,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_supervision_proposal_is_accepted_in_the_console(
    browser: Any, live_server: LiveServer, triage_desk: Any, triage_reader: Reader, qr_site: dict[str, Any],
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    description = f"液化气瓶间无可燃气体报警装置（{uuid.uuid4().hex[:4]}）"
    phone = citizen_phone(browser, live_server)
    try:
        _report(phone, qr_site, description)
    finally:
        phone.close()

    # 立案 as 重大, then 交办 on the hazard page with a deadline of tomorrow.
    open_report(triage_desk, description)
    triage_desk.get_by_test_id("choose-accept").click()
    triage_desk.get_by_test_id("level-major").check()
    triage_desk.get_by_test_id("confirm-accept").click()
    expect(triage_desk.get_by_test_id("report-status")).to_have_text("已立案")
    hazard_id = queued_report(triage_reader, description)["hazard_id"]
    triage_desk.get_by_test_id("report-hazard").click()
    expect(triage_desk.get_by_test_id("console-hazard")).to_be_visible()
    triage_desk.get_by_test_id("action-assign").click()
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    triage_desk.fill("#f-assign-deadline", tomorrow.isoformat())
    triage_desk.get_by_test_id("action-submit").click()
    wait_for_api(triage_reader, f"/api/v1/hazards/{hazard_id}", lambda h: h["status"] == "assigned")

    # The system: the sweep the worker runs, on the day after the deadline; the top rung proposes 挂牌督办.
    at = dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(10), tzinfo=SHANGHAI)
    assert _sweep(live_server, at)["cases"] >= 1

    triage_desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="督办建议").click()
    card = triage_desk.locator(f"[data-testid=proposal][data-hazard='{hazard_id}']")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("proposal-status")).to_have_text("待决定")
    _shot(triage_desk, artifacts, "10-console-proposals")
    card.get_by_test_id("proposal-accept").click()
    card.locator("input[type=text]").fill("")
    card.locator("input[type=date]").fill("")
    card.get_by_test_id("confirm-proposal-accept").click()
    errors = card.locator(".field-error")
    expect(errors).to_have_count(3)
    card.locator("input[type=text]").fill("区安全生产委员会办公室")
    card.locator("input[type=date]").fill((dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=30)).isoformat())
    card.locator("textarea").fill("30日内完成报警装置安装并书面报告整改情况")
    card.get_by_test_id("confirm-proposal-accept").click()
    expect(triage_desk.get_by_test_id("proposal-notice")).to_contain_text("已挂牌督办")
    listed = wait_for_api(triage_reader, f"/api/v1/hazards/{hazard_id}", lambda h: h["supervised"])
    assert listed["supervising_authority"] == "区安全生产委员会办公室"
    assert [e["label"] for e in listed["timeline"] if e["kind"] == "list_supervision"] == ["挂牌督办"]
    _shot(triage_desk, artifacts, "11-console-proposal-accepted")

    triage_desk.get_by_test_id("proposals-accepted").click()
    expect(triage_desk.locator(f"[data-testid=proposal][data-hazard='{hazard_id}']")
           .get_by_test_id("proposal-decision")).to_contain_text("已挂牌督办")
    triage_desk.goto(f"/console/hazards/{hazard_id}")
    expect(triage_desk.get_by_test_id("timeline")).to_contain_text("挂牌督办")
    _shot(triage_desk, artifacts, "12-console-hazard-supervised")
