"""The staff workbench, end to end by clicking, in Debian's Chromium against the real server.

A street of its own (one grid, two sites, a grid worker, a street supervisor and each site's 企业用户) is
added to the demo district through the backend's services; from then on every state change is a click:

1. a patrol finding (随手拍 by the grid worker) → 曝光 → 交办 (the deadline pre-filled from the item) → the
   enterprise (phone 390×844) signs, asks for an extension the supervisor approves seeing the request, and
   reports rectification with a photo → 复查不通过 with a new deadline the
   grid worker chooses → rectified again → 复查通过 → 发布到曝光台 after its preview → the public board shows it;
2. a 重大 hazard → 治理方案 submitted, returned with a reason, resubmitted, approved → 挂牌督办 (督办单位,
   期限, 督办要求) → rectified → verified by the supervisor → 摘牌;
3. every PDF and XLSX link on those pages (整改通知书, 复查意见书, 隐患台账, the site's QR poster and the grid's
   poster sheet) downloads with status 200 and the right type; the QR code is rotated after a confirmation.

Screenshots go to tests/web/artifacts/workbench-*.png.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw

from tests.factories import LiveData
from tests.web.conftest import LiveServer, assert_no_csp_violations

TIMEOUT_MS = 20_000
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "Gongzuo@2026"
WORKER = "13755550001"
SUPERVISOR = "13755550002"
OWNER_A = "13755550003"
OWNER_B = "13755550004"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class World:
    grid_id: int
    restaurant_id: int
    warehouse_id: int


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    """A street, community and grid of the demo district with two sites and the people who work on them."""
    from hazardloop.taxonomy import Role

    with LiveData(live_server) as data:
        street = data.region("工作台测试街道", "street", data.demo_district())
        grid = data.region("工作台测试一网格", "grid", data.region("工作台测试社区", "community", street))
        restaurant = data.site("工作台测试饭店", grid, "工作台路1号", risk_level="orange", contact_name="李店长",
                               contact_mobile=OWNER_A, lng=120.15, lat=30.30)
        warehouse = data.site("工作台测试仓库", grid, "工作台路2号", risk_level="orange", contact_name="赵经理",
                              contact_mobile=OWNER_B, lng=120.15, lat=30.30)
        data.person(WORKER, "网格员钱工", Role.GRID_WORKER, password=PASSWORD, region=grid)
        data.person(SUPERVISOR, "街道监管孙科长", Role.SUPERVISOR, password=PASSWORD, region=street)
        data.person(OWNER_A, "李店长", Role.ENTERPRISE_USER, password=PASSWORD, site=restaurant)
        data.person(OWNER_B, "赵经理", Role.ENTERPRISE_USER, password=PASSWORD, site=warehouse)
        return World(grid_id=grid.id, restaurant_id=restaurant.id, warehouse_id=warehouse.id)


@pytest.fixture(scope="module", autouse=True)
def _patient_expectations() -> Iterator[None]:
    """Each step goes through the outbox and a refetch: on a busy CI machine that can take more than 5 s."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Camera pictures: the finding, and two different 'after' scenes."""
    folder = tmp_path_factory.mktemp("workbench-photos")
    out = {}
    for name, colour, box in (("before", (150, 60, 40), (200, 200, 1000, 700)),
                              ("after1", (230, 235, 230), (300, 300, 900, 800)),
                              ("after2", (220, 240, 250), (100, 400, 1100, 900))):
        image = Image.new("RGB", (1280, 960), colour)
        ImageDraw.Draw(image).rectangle(box, outline=(20, 90, 160), width=30)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=88)
        out[name] = folder / f"{name}.jpg"
        out[name].write_bytes(buffer.getvalue())
    return out


class Person:
    """One person's browser: a logged-in page, and the API read with the same session."""

    def __init__(self, browser: Any, live_server: LiveServer, mobile: str, viewport: dict[str, int]) -> None:
        from playwright.sync_api import expect

        self.context = browser.new_context(
            base_url=live_server.url, viewport=viewport, device_scale_factor=2 if viewport == PHONE else 1,
            is_mobile=viewport == PHONE, has_touch=viewport == PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
            service_workers="block", accept_downloads=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.page.goto("/")
        self.page.fill("#mobile", mobile)
        self.page.fill("#password", PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.locator("#password")).to_have_count(0)

    def get(self, path: str) -> Any:
        response = self.context.request.get(path)
        assert response.status == 200, (path, response.status, response.text()[:300])
        return response.json()

    def wait_for(self, path: str, check: Callable[[Any], bool], timeout: float = 30) -> Any:
        """Poll the API until the answer passes ``check`` (the outbox sends steps in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get(path)
            if check(answer):
                return answer
            assert time.monotonic() < deadline, f"{path} 未达到预期：{str(answer)[:500]}"
            time.sleep(0.3)

    def close(self) -> None:
        assert_no_csp_violations(self.context)
        self.context.close()


def _shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"workbench-{name}.png"), full_page=True)


def _open_hazard(person: Person, hazard_id: int, status: str) -> None:
    from playwright.sync_api import expect

    person.page.goto(f"/hazards/{hazard_id}")
    expect(person.page.get_by_test_id("hazard")).to_have_attribute("data-status", status)


def _fire(person: Person, action: str, fill: dict[str, str] | None = None, photo: Path | None = None) -> Any:
    """Open the step's form from its button (offered by the server), fill it, submit; returns the form."""
    from playwright.sync_api import expect

    page = person.page
    page.get_by_test_id(f"action-{action}").click()
    form = page.get_by_test_id(f"form-{action}")
    expect(form).to_be_visible()
    for name, value in (fill or {}).items():
        form.locator(f"[name='{name}']").fill(value)
    if photo is not None:
        form.locator("input[type=file]").first.set_input_files(str(photo))
        expect(form.locator("figure img")).to_have_count(1)
    form.get_by_test_id("action-submit").click()
    try:
        # Queued: the form gives way to the page (the step is then sent by the outbox).
        expect(form).to_have_count(0)
    except AssertionError:
        failed = Path(__file__).parent / "artifacts" / f"workbench-failed-{action}.png"
        page.screenshot(path=str(failed), full_page=True)
        raise
    return form


def _snap(person: Person, site_id: int, description: str, photo: Path, *, major: bool = False) -> int:
    """随手拍 from the site page; returns the new hazard's id once the outbox has sent it."""
    from playwright.sync_api import expect

    page = person.page
    page.goto(f"/sites/{site_id}")
    expect(page.get_by_test_id("site-name")).to_be_visible()
    page.get_by_role("link", name="随手拍（不按检查表）").click()
    page.locator("input[type=file]").set_input_files(str(photo))
    expect(page.locator(".photos img")).to_have_count(1)
    page.fill("#snap-desc", description)
    if major:
        page.get_by_role("button", name="重大隐患").click()
    page.get_by_role("button", name="提交（无网络时自动排队发送）").click()
    found = person.wait_for(f"/api/v1/hazards?site={site_id}&limit=100",
                            lambda a: any(h["description"] == description for h in a["items"]))
    return next(h["id"] for h in found["items"] if h["description"] == description)


def _local_date(iso: str) -> dt.date:
    return dt.datetime.fromisoformat(iso).astimezone(SHANGHAI).date()


def _check_download(person: Person, href: str, content_type: str) -> bytes:
    response = person.context.request.get(href)
    assert response.status == 200, (href, response.status, response.text()[:300])
    assert response.headers["content-type"].startswith(content_type), (href, response.headers["content-type"])
    disposition = response.headers.get("content-disposition", "")
    assert "filename*=UTF-8''" in disposition, (href, disposition)
    return response.body()


def test_patrol_finding_to_the_exposure_board(
    browser: Any, live_server: LiveServer, world: World, photos: dict[str, Path], artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    description = "后厨疏散通道堆放纸箱和油桶"
    worker = Person(browser, live_server, WORKER, PHONE)
    supervisor = Person(browser, live_server, SUPERVISOR, DESK)
    owner = Person(browser, live_server, OWNER_A, PHONE)
    try:
        # 发现: the grid worker's 随手拍 at the restaurant.
        hazard_id = _snap(worker, world.restaurant_id, description, photos["before"])
        path = f"/api/v1/hazards/{hazard_id}"
        _open_hazard(worker, hazard_id, "found")
        # 曝光 is not a grid worker's step: the server does not offer it, so neither does the page.
        expect(worker.page.get_by_test_id("action-expose")).to_have_count(0)
        _shot(worker.page, artifacts, "a01-found-grid-worker")

        # 曝光, then 交办 by the street supervisor; the deadline is pre-filled with the item's default.
        _open_hazard(supervisor, hazard_id, "found")
        expect(supervisor.page.get_by_test_id("action-expose")).to_be_visible()
        _fire(supervisor, "expose", {"note": "疏散通道被占用，责令立即整改"})
        expect(supervisor.page.get_by_test_id("hazard")).to_have_attribute("data-status", "exposed")
        _shot(supervisor.page, artifacts, "a02-exposed")
        default = supervisor.get(path)["default_deadline"]
        supervisor.page.get_by_test_id("action-assign").click()
        expect(supervisor.page.locator("#f-assign-deadline")).to_have_value(default)
        _shot(supervisor.page, artifacts, "a03-assign-form")
        supervisor.page.get_by_test_id("form-assign").get_by_test_id("action-submit").click()
        expect(supervisor.page.get_by_test_id("hazard")).to_have_attribute("data-status", "assigned")
        assigned = supervisor.get(path)
        assert _local_date(assigned["deadline_at"]).isoformat() == default
        expect(supervisor.page.get_by_test_id("document-link").filter(has_text="整改通知书")).to_have_count(1)

        # The enterprise, on its phone: signs the order and reports rectification with a photo.
        _open_hazard(owner, hazard_id, "assigned")
        expect(owner.page.get_by_test_id("action-expose")).to_have_count(0)
        _fire(owner, "acknowledge")
        expect(owner.page.get_by_test_id("hazard")).to_have_attribute("data-status", "rectifying")
        # 申请延期 by the enterprise; the supervisor decides seeing the date, the reason and when it was asked.
        asked = _local_date(assigned["deadline_at"]) + dt.timedelta(days=5)
        _fire(owner, "request_extension",
              {"reason": "油桶需等回收公司上门清运", "requested_deadline": asked.isoformat()})
        expect(owner.page.get_by_test_id("extension")).to_have_attribute("data-state", "requested")
        _open_hazard(supervisor, hazard_id, "rectifying")
        supervisor.page.get_by_test_id("action-approve_extension").click()
        decision = supervisor.page.get_by_test_id("form-approve_extension")
        expect(decision.get_by_test_id("extension-requested-deadline")).to_have_text(asked.isoformat())
        expect(decision.get_by_test_id("extension-request")).to_contain_text("油桶需等回收公司上门清运")
        expect(decision.get_by_test_id("extension-late")).to_have_count(0)
        expect(decision.locator("[name='deadline']")).to_have_value(asked.isoformat())
        _shot(supervisor.page, artifacts, "a04-extension-decision")
        decision.get_by_test_id("action-submit").click()
        expect(supervisor.page.get_by_test_id("extension")).to_have_attribute("data-state", "approved")
        assert _local_date(supervisor.get(path)["deadline_at"]) == asked

        _open_hazard(owner, hazard_id, "rectifying")
        expect(owner.page.get_by_test_id("action-request_extension")).to_have_count(0)
        _fire(owner, "submit_rectification",
              {"measures": "已清走纸箱，油桶移至专用储存间", "responsible_person": "李店长"}, photos["after1"])
        expect(owner.page.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification")
        _shot(owner.page, artifacts, "a05-enterprise-reported")

        # 复查不通过: the grid worker must choose the new deadline (pre-filled, never silent); a date in the past
        # is refused next to the field, and what was typed stays.
        _open_hazard(worker, hazard_id, "awaiting_verification")
        expect(worker.page.get_by_test_id("photo-pairs").locator("img")).to_have_count(2)
        worker.page.get_by_test_id("action-verify_fail").click()
        form = worker.page.get_by_test_id("form-verify_fail")
        expect(form.locator("[name='deadline']")).to_have_value(worker.get(path)["default_deadline"])
        form.locator("[name='note']").fill("油桶仍在通道拐角处")
        today = dt.datetime.now(SHANGHAI).date()
        form.locator("[name='deadline']").fill(today.isoformat())
        form.get_by_test_id("action-submit").click()
        expect(form.get_by_test_id("error-deadline")).to_have_text("重新整改期限须晚于今天。")
        expect(form.locator("[name='note']")).to_have_value("油桶仍在通道拐角处")
        chosen = today + dt.timedelta(days=9)
        form.locator("[name='deadline']").fill(chosen.isoformat())
        _shot(worker.page, artifacts, "a06-verify-fail-form")
        form.get_by_test_id("action-submit").click()
        expect(worker.page.get_by_test_id("hazard")).to_have_attribute("data-status", "rectifying")
        failed = worker.get(path)
        assert _local_date(failed["deadline_at"]) == chosen
        assert failed["rejection_count"] == 1

        # Rectified again, then 复查通过.
        _open_hazard(owner, hazard_id, "rectifying")
        _fire(owner, "submit_rectification", {"measures": "油桶全部移出，通道划线并张贴禁止堆放标识"}, photos["after2"])
        expect(owner.page.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification")
        _open_hazard(worker, hazard_id, "awaiting_verification")
        _fire(worker, "verify_pass", {"note": "现场复查，通道畅通"})
        expect(worker.page.get_by_test_id("hazard")).to_have_attribute("data-status", "closed")
        _shot(worker.page, artifacts, "a07-closed")

        # 发布到曝光台: the preview shows exactly the public card, then the supervisor confirms.
        _open_hazard(supervisor, hazard_id, "closed")
        supervisor.page.get_by_test_id("action-publish_exposure").click()
        preview = supervisor.page.get_by_test_id("publication-preview")
        expect(preview.get_by_test_id("hazard-description")).to_have_text(description)
        expect(preview).to_contain_text("工作台测试饭店")
        expect(preview).not_to_contain_text("钱工")
        _shot(supervisor.page, artifacts, "a08-publication-preview")
        supervisor.page.get_by_test_id("form-publish_exposure").get_by_test_id("action-submit").click()
        expect(supervisor.page.get_by_test_id("published")).to_be_visible()
        expect(supervisor.page.get_by_test_id("action-withdraw_exposure")).to_be_visible()
        assert supervisor.get(path)["published"] is True

        # The public 曝光台, for anyone.
        public = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN",
                                     timezone_id="Asia/Shanghai", service_workers="block")
        try:
            board = public.new_page()
            board.goto("/exposure")
            card = board.get_by_test_id("public-hazard").filter(has_text=description)
            expect(card).to_have_count(1)
            expect(card).to_contain_text("工作台测试饭店")
            _shot(board, artifacts, "a09-public-board")
        finally:
            public.close()

        # 文书: 整改通知书 and 复查意见书 (two 复查, one per verification) as PDFs.
        links = supervisor.page.get_by_test_id("document-link")
        kinds = links.evaluate_all("(els) => els.map((e) => e.dataset.kind)")
        assert kinds.count("order") >= 1 and kinds.count("verification") >= 1, kinds
        for href in links.evaluate_all("(els) => els.map((e) => e.getAttribute('href'))"):
            assert _check_download(supervisor, href, "application/pdf").startswith(b"%PDF")
        _shot(supervisor.page, artifacts, "a10-documents")
        events = [e["kind"] for e in supervisor.get(path)["timeline"]]
        for kind in ("expose", "assign", "acknowledge", "request_extension", "approve_extension", "verify_fail",
                     "verify_pass", "publish_exposure"):
            assert kind in events, events
    finally:
        for person in (worker, supervisor, owner):
            person.close()


def test_major_hazard_plan_supervision_and_lifting(
    browser: Any, live_server: LiveServer, world: World, photos: dict[str, Path], artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    description = "液化气钢瓶与配电箱同处一室，无通风"
    worker = Person(browser, live_server, WORKER, PHONE)
    supervisor = Person(browser, live_server, SUPERVISOR, DESK)
    owner = Person(browser, live_server, OWNER_B, PHONE)
    plan = {"goals": "两周内完成气瓶间改造", "methods": "气瓶移出，设独立通风气瓶间", "funding": "自筹 3 万元",
            "organization": "赵经理负责，电工王师傅配合", "schedule": "第一周改造，第二周验收",
            "safety_measures": "改造期间停用液化气，配灭火器两具"}
    try:
        hazard_id = _snap(worker, world.warehouse_id, description, photos["before"], major=True)
        path = f"/api/v1/hazards/{hazard_id}"
        _open_hazard(supervisor, hazard_id, "found")
        _fire(supervisor, "assign")
        expect(supervisor.page.get_by_test_id("hazard")).to_have_attribute("data-status", "assigned")

        # The enterprise signs; 报告整改完成 waits for an approved plan and says so.
        _open_hazard(owner, hazard_id, "assigned")
        _fire(owner, "acknowledge")
        expect(owner.page.get_by_test_id("hazard")).to_have_attribute("data-status", "rectifying")
        blocked = owner.page.get_by_test_id("blocked-submit_rectification")
        expect(blocked).to_contain_text("治理方案")
        expect(blocked.get_by_role("button")).to_be_disabled()
        _shot(owner.page, artifacts, "b01-blocked-until-plan")
        _fire(owner, "submit_governance_plan", {f"plan.{k}": v for k, v in plan.items()})
        expect(owner.page.get_by_test_id("plan-state")).to_have_text("待审批")

        # The supervisor reads the plan inside the review form and returns it with a reason.
        _open_hazard(supervisor, hazard_id, "rectifying")
        supervisor.page.get_by_test_id("action-return_governance_plan").click()
        review = supervisor.page.get_by_test_id("form-return_governance_plan")
        expect(review.get_by_test_id("governance-plan")).to_contain_text("设独立通风气瓶间")
        review.get_by_test_id("action-submit").click()
        expect(review.get_by_test_id("error-note")).to_be_visible()
        review.locator("[name='note']").fill("缺少改造期间的临时用气方案")
        _shot(supervisor.page, artifacts, "b02-return-plan")
        review.get_by_test_id("action-submit").click()
        expect(review).to_have_count(0)
        expect(supervisor.page.get_by_test_id("plan-state")).to_have_text("已退回")

        # Resubmitted with the missing part, then approved.
        _open_hazard(owner, hazard_id, "rectifying")
        expect(owner.page.get_by_test_id("plan-note")).to_contain_text("缺少改造期间的临时用气方案")
        _fire(owner, "submit_governance_plan", {f"plan.{k}": v for k, v in plan.items()}
              | {"plan.safety_measures": "改造期间改用电磁炉，停用液化气，配灭火器两具"})
        expect(owner.page.get_by_test_id("plan-state")).to_have_text("待审批")
        _open_hazard(supervisor, hazard_id, "rectifying")
        _fire(supervisor, "approve_governance_plan", {"note": "同意，按期实施"})
        expect(supervisor.page.get_by_test_id("plan-state")).to_have_text("已批准")

        # 挂牌督办: 督办单位, 期限 and 督办要求; all three are required.
        deadline = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=20)
        _fire(supervisor, "list_supervision", {"authority": "工作台测试街道安全生产委员会办公室",
                                               "deadline": deadline.isoformat(),
                                               "requirements": "每周报送治理进度，完成后申请验收"})
        expect(supervisor.page.get_by_test_id("supervision-state")).to_have_text("督办中")
        _shot(supervisor.page, artifacts, "b03-supervised")
        listed = supervisor.get(path)
        assert listed["supervision"]["authority"] == "工作台测试街道安全生产委员会办公室"
        assert _local_date(listed["supervision"]["deadline"]) == deadline

        # Rectified, verified by the supervisor (a 重大 hazard's 复查 is not the grid worker's), 摘牌.
        _open_hazard(owner, hazard_id, "rectifying")
        _fire(owner, "submit_rectification", {"measures": "气瓶间已改造，安装可燃气体报警器"}, photos["after1"])
        expect(owner.page.get_by_test_id("hazard")).to_have_attribute("data-status", "awaiting_verification")
        _open_hazard(worker, hazard_id, "awaiting_verification")
        expect(worker.page.get_by_test_id("action-verify_pass")).to_have_count(0)
        expect(worker.page.get_by_test_id("action-verify_fail")).to_have_count(0)
        # Not offered because the server would refuse it: the same rule answers a direct request.
        csrf = worker.get("/api/v1/auth/session")["csrf_token"]
        refused = worker.context.request.post(f"{path}/transitions", data={"action": "verify_pass"},
                                              headers={"X-CSRF-Token": csrf})
        assert refused.status == 409 and refused.json()["code"] == "guard_failed", refused.text()
        assert "监管人员" in refused.json()["detail"]
        _open_hazard(supervisor, hazard_id, "awaiting_verification")
        _fire(supervisor, "verify_pass", {"note": "改造完成，通风良好"})
        expect(supervisor.page.get_by_test_id("hazard")).to_have_attribute("data-status", "closed")
        _fire(supervisor, "lift_supervision", {"note": "隐患已消除，督办销号"})
        expect(supervisor.page.get_by_test_id("supervision-state")).to_have_text("已摘牌")
        _shot(supervisor.page, artifacts, "b04-lifted")
        final = supervisor.get(path)
        assert final["supervision"]["lifted_at"] is not None
        events = [e["kind"] for e in final["timeline"]]
        assert events.count("submit_governance_plan") == 2 and "return_governance_plan" in events, events
        for kind in ("approve_governance_plan", "list_supervision", "verify_pass", "lift_supervision"):
            assert kind in events, events
    finally:
        for person in (worker, supervisor, owner):
            person.close()


def test_files_within_reach_and_qr_rotation(
    browser: Any, live_server: LiveServer, world: World, artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    worker = Person(browser, live_server, WORKER, PHONE)
    try:
        page = worker.page
        # 隐患台账 from the list, carrying its filter.
        page.goto("/hazards")
        page.get_by_role("button", name="待复查").click()
        export = page.get_by_test_id("ledger-export")
        href = export.get_attribute("href")
        assert href is not None and "status=awaiting_verification" in href
        assert _check_download(worker, href, XLSX).startswith(b"PK")
        _shot(page, artifacts, "c01-hazard-list-export")

        # The site's QR poster (PDF and PNG) and the grid's poster sheet.
        page.goto(f"/sites/{world.restaurant_id}")
        section = page.get_by_test_id("qr-section")
        expect(section).to_be_visible()
        for testid, kind in (("poster-pdf", "application/pdf"), ("poster-png", "image/png"),
                             ("grid-posters", "application/pdf")):
            _check_download(worker, section.get_by_test_id(testid).get_attribute("href") or "", kind)

        # 更换二维码: only after the confirmation; the old code then stops working.
        old = worker.get(f"/api/v1/sites/{world.restaurant_id}")["qr_token"]
        section.get_by_test_id("qr-rotate").click()
        expect(section.get_by_test_id("qr-confirm")).to_be_visible()
        _shot(page, artifacts, "c02-qr-confirm")
        page.get_by_role("button", name="取消").click()
        assert worker.get(f"/api/v1/sites/{world.restaurant_id}")["qr_token"] == old
        section.get_by_test_id("qr-rotate").click()
        section.get_by_test_id("qr-rotate-confirm").click()
        expect(section.get_by_test_id("qr-message")).to_contain_text("旧二维码已失效")
        new = worker.get(f"/api/v1/sites/{world.restaurant_id}")["qr_token"]
        assert new and new != old
        assert worker.context.request.get(f"/api/v1/public/sites/{old}").status == 404
        _shot(page, artifacts, "c03-qr-rotated")
    finally:
        worker.close()
