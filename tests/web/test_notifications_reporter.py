"""Reporters hear back, and staff read the 投递记录 — in Chromium against the real server, by clicking only.

1. A citizen on a phone (390 px) reports from a site's QR page. The SMS consent box is offered only once a
   number is typed; a number that is not a mainland mobile is refused beside the field with a Chinese sentence;
   with a valid number and the box ticked the report goes in, and the console's 举报 detail shows the consent.
2. The 区安委办 supervisor (triage_desk) 立案 it. The worker sends the reporter's SMS through a provider that refuses
   it (流控, the fake gateway told so by the SMS configuration the worker reads); the console's 投递记录, filtered
   to 被拒绝, shows it with the number masked and the reason in words; 重试 queues it; the worker sends it.
3. The supervisor closes the hazard on its page (当场整改, before and after photos). The 办结 SMS falls in
   quiet hours (set around the present for this run): 投递记录 lists it 静默时段暂缓 with the time it will go.
   The reporter's tracking page asks 「问题解决了吗？」; 「没有解决」 with a note reopens triage: the console's
   举报 tab lists it 待分拣 again with the answer.

People change state only through the pages; the test reads the API to check. Not a person: the worker (run
in bursts, with a chosen SMS configuration).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.deadlines import SHANGHAI
from tests.web.conftest import (
    ROOT,
    LiveServer,
    Reader,
    assert_no_csp_violations,
    citizen_phone,
    open_report,
    queued_report,
    wait_for_api,
)

TIMEOUT_MS = 20_000
MOBILE = "13955557373"  # a mask (139****7373) no other browser test's number shares
MASKED = "139****7373"


def _sms_config(tmp: Path, name: str, *, refuse: bool = False, quiet: tuple[str, str] | None = None) -> Path:
    """config/sms.yaml with the rate limits off, quiet hours off or ``quiet`` (the real clock is not this test's
    subject: see tests/notifications/test_sms_rules.py) and, if ``refuse``, the provider refusing the number."""
    text = (ROOT / "config" / "sms.yaml").read_text(encoding="utf-8")
    hours = f'{{start: "{quiet[0]}", end: "{quiet[1]}"}}' if quiet else "{}"
    text = text.replace('quiet_hours: {start: "21:30", end: "07:30"}', f"quiet_hours: {hours}")
    text = re.sub(r"rate_limit: \{[^}]*\}", "rate_limit: {per_hour: 0, per_day: 0}", text)
    assert f"quiet_hours: {hours}" in text and "per_hour: 0" in text
    if refuse:
        text += f'\nfake_refusals:\n  "{MOBILE}": isv.BUSINESS_LIMIT_CONTROL\n'
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _run_worker(live_server: LiveServer, config: Path) -> None:
    live_server.cli("jobs", "relay")
    live_server.cli("worker", "--burst", "--no-cron", extra_env={"SMS_TEMPLATES": str(config)})


@pytest.fixture(scope="module")
def qr_site(triage_reader: Reader) -> dict[str, Any]:
    """A site with a QR poster from the last third of the list: away from the other browser tests' sites."""
    items = triage_reader.get("/api/v1/sites?per_page=100")["items"]
    for site in reversed(items[len(items) * 2 // 3:]):
        detail = triage_reader.get(f"/api/v1/sites/{site['id']}")
        if detail.get("qr_token"):
            return detail
    pytest.fail("演示数据中没有带二维码的场所。")


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"notify-{name}.png"), full_page=True)


def _jpeg(tmp: Path, name: str, color: tuple[int, int, int]) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (215, 210, 200))
    ImageDraw.Draw(image).rectangle([400, 300, 1200, 1000], fill=color)
    path = tmp / name
    image.save(path, "JPEG", quality=90)
    return path


def _close_on_site(triage_desk: Any, triage_reader: Reader, hazard_id: int, tmp: Path) -> None:
    """当场整改 on the console's hazard page: before and after photos, then the hazard is closed."""
    from playwright.sync_api import expect

    triage_desk.goto(f"/console/hazards/{hazard_id}")
    triage_desk.get_by_test_id("action-close_on_site").click()
    form = triage_desk.get_by_test_id("form-close_on_site")
    for field, color in (("before_photo_ids", (150, 90, 40)), ("after_photo_ids", (40, 150, 90))):
        form.locator(f"input[data-field={field}]").set_input_files(str(_jpeg(tmp, f"{field}.jpg", color)))
        expect(form.get_by_test_id(f"photos-{field}").locator("img")).to_have_count(1)
    form.get_by_test_id("action-submit").click()
    wait_for_api(triage_reader, f"/api/v1/hazards/{hazard_id}", lambda h: h["status"] == "closed")


def _deliveries_page(triage_desk: Any, status_filter: str) -> Any:
    from playwright.sync_api import expect

    triage_desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name="投递记录").click()
    expect(triage_desk.get_by_test_id("deliveries")).to_be_visible()
    triage_desk.get_by_test_id(f"delivery-filter-{status_filter}").click()
    return triage_desk.get_by_test_id("delivery-row").filter(has_text=MASKED)


def test_a_consenting_reporter_is_told_a_refused_sms_is_retried_and_a_no_reopens_triage(
        browser: Any, live_server: LiveServer, triage_desk: Any, triage_reader: Reader, qr_site: dict[str, Any],
        artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    description = f"楼梯间堆放纸箱，堵住了安全出口（{uuid.uuid4().hex[:4]}）"
    phone = citizen_phone(browser, live_server)
    try:
        # 1. The form: consent only with a number; a non-mainland number refused in words; then accepted.
        page = phone.new_page()
        page.goto(f"/s/{qr_site['qr_token']}")
        page.get_by_test_id("report-here").click()
        page.get_by_test_id("categories").get_by_role("button", name="消防安全", exact=True).click()
        page.fill("#r-description", description)
        consent = page.get_by_test_id("sms-consent")
        expect(consent).to_be_disabled()
        page.fill("#r-phone", "12345678901")
        expect(consent).to_be_enabled()
        consent.check()
        page.get_by_test_id("submit-report").click()
        expect(page.get_by_test_id("error-phone")).to_have_text("手机号应为 11 位中国大陆手机号码；不想留可以不填。")
        expect(page.get_by_test_id("report-error")).to_contain_text("请按提示修改")
        _shot(page, artifacts, "01-form-bad-phone")
        listed = triage_reader.get("/api/v1/reports?per_page=100")["items"]
        assert not [r for r in listed if r["description"] == description]
        page.fill("#r-phone", MOBILE)
        expect(consent).to_be_checked()
        page.get_by_test_id("submit-report").click()
        expect(page.get_by_test_id("receipt-status")).to_have_text("已提交")
        page.get_by_test_id("track-link").click()
        expect(page.get_by_test_id("report-status")).to_have_text("已提交")
        tracking = page

        report = queued_report(triage_reader, description)
        detail = triage_reader.get(f"/api/v1/reports/{report['id']}")
        assert (detail["phone"], detail["sms_consent"]) == (MOBILE, True)

        # 2. 立案 in the console; the consent is shown on the report.
        open_report(triage_desk, description)
        expect(triage_desk.locator("dd").filter(has_text=MOBILE)).to_contain_text("同意短信告知结果")
        triage_desk.get_by_test_id("choose-accept").click()
        triage_desk.get_by_test_id("confirm-accept").click()
        expect(triage_desk.get_by_test_id("report-status")).to_have_text("已立案")
        hazard_id = queued_report(triage_reader, description)["hazard_id"]

        # The provider refuses the 受理 SMS (流控): 投递记录 shows it in words, masked, with 重试.
        _run_worker(live_server, _sms_config(tmp_path, "refusing.yaml", refuse=True))
        row = _deliveries_page(triage_desk, "refused")
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("delivery-status")).to_have_text("被拒绝")
        expect(row.get_by_test_id("delivery-reason")).to_have_text("触发服务商的发送频次限制（配额），稍后可重试")
        expect(row).to_contain_text("您举报的问题已受理立案")
        expect(row).not_to_contain_text(MOBILE)
        assert MOBILE not in triage_desk.get_by_test_id("deliveries").inner_text()
        _shot(triage_desk, artifacts, "02-deliveries-refused")
        row.get_by_test_id("delivery-retry").click()
        expect(triage_desk.get_by_test_id("delivery-message")).to_have_text(f"已重新排队发送给 {MASKED}。")
        expect(row).to_have_count(0)  # no longer refused
        _run_worker(live_server, _sms_config(tmp_path, "normal.yaml", refuse=False))
        sent = _deliveries_page(triage_desk, "sent").filter(has_text="您举报的问题已受理立案")
        expect(sent).to_have_count(1)
        expect(sent.get_by_test_id("delivery-status")).to_have_text("已发送")
        expect(sent.get_by_test_id("delivery-retry")).to_have_count(0)
        _shot(triage_desk, artifacts, "03-deliveries-sent-after-retry")
        listed = triage_reader.get("/api/v1/notifications/deliveries?per_page=100")["items"]
        assert [d["status"] for d in listed if d["report_id"] == report["id"]] == ["sent"]

        # 3. Closed on the pages; the reporter answers 「没有解决」 with a note: triage again, with the answer.
        _close_on_site(triage_desk, triage_reader, hazard_id, tmp_path)
        # The 办结 SMS falls in quiet hours (set around now): 投递记录 reads 静默时段暂缓 and when it will go.
        now = dt.datetime.now(SHANGHAI)
        quiet = ((now - dt.timedelta(hours=1)).strftime("%H:%M"), (now + dt.timedelta(hours=2)).strftime("%H:%M"))
        _run_worker(live_server, _sms_config(tmp_path, "quiet.yaml", quiet=quiet))
        held = _deliveries_page(triage_desk, "quiet_hold")
        expect(held).to_have_count(1)
        expect(held).to_contain_text("您举报的问题已整改销号")
        expect(held.get_by_test_id("delivery-status")).to_have_text("静默时段暂缓")
        expect(held.get_by_test_id("delivery-reason")).to_have_text(re.compile(rf"^将于 \d+月\d+日 {quiet[1]} 发送$"))
        expect(held.get_by_test_id("delivery-retry")).to_have_count(0)
        _shot(triage_desk, artifacts, "03b-deliveries-quiet-hold")
        tracking.reload()
        expect(tracking.get_by_test_id("report-status")).to_have_text("已办结")
        feedback = tracking.get_by_test_id("feedback")
        expect(feedback).to_contain_text("问题解决了吗？")
        _shot(tracking, artifacts, "04-tracking-asks")
        feedback.get_by_test_id("feedback-no").click()
        note = "纸箱搬走两天又堆回来了"
        tracking.fill("#fb-note", note)
        feedback.get_by_test_id("feedback-send").click()
        expect(tracking.get_by_test_id("reopened-note")).to_be_visible()
        _shot(tracking, artifacts, "05-tracking-reopened")

        triage_desk.goto("/console")
        open_report(triage_desk, description)  # listed under 待分拣 again
        expect(triage_desk.get_by_test_id("report-feedback")).to_contain_text(f"问题没有解决，已重新受理。“{note}”")
        _shot(triage_desk, artifacts, "06-console-reopened")
        again = triage_reader.get(f"/api/v1/reports/{report['id']}")
        assert again["status"] == "received"
        assert [(f["solved"], f["note"]) for f in again["feedback"]] == [(False, note)]
        told = [d for d in triage_reader.get("/api/v1/notifications/deliveries?per_page=100")["items"]
                      if d["report_id"] == report["id"]]
        assert sorted(d["title"] for d in told) == [
            "您举报的问题已受理立案", "您举报的问题已整改销号，问题解决了吗？"]
        assert sorted(d["status"] for d in told) == ["quiet_hold", "sent"]
        assert_no_csp_violations(tracking)
        assert_no_csp_violations(triage_desk)
    finally:
        phone.close()
