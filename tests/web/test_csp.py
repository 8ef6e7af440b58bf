"""The Content-Security-Policy in a real browser: Swagger UI and the printable documents work under it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import LiveServer, assert_no_csp_violations

SUPERVISOR = ("13800000011", "Demo@2026")
TIMEOUT_MS = 30_000


def _desk(browser: Any, live_server: LiveServer) -> Any:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.fill("#mobile", SUPERVISOR[0])
    page.fill("#password", SUPERVISOR[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible(timeout=TIMEOUT_MS)
    return page


def test_swagger_ui_works_under_the_policy(browser: Any, live_server: LiveServer, artifacts: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/api/docs")
        # Swagger UI's bundle and its inline start-up script (allowed by its hash) ran and drew the page.
        expect(page.locator("#swagger-ui-container .swagger-ui").first).to_be_visible()
        # It read the OpenAPI 3.1 document (Swagger UI 4 could not: "Unable to render this definition").
        expect(page.locator(".opblock-tag").first).to_be_visible()
        expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
        assert page.locator(".opblock").count() > 50
        page.screenshot(path=str(artifacts / "csp-01-api-docs.png"))
        assert_no_csp_violations(page)
    finally:
        context.close()


def test_the_printable_documents_open_under_the_policy(browser: Any, live_server: LiveServer,
                                                       artifacts: Path) -> None:
    from playwright.sync_api import expect

    page = _desk(browser, live_server)
    try:
        hazards = page.request.get("/api/v1/hazards?limit=100").json()["items"]
        details = [page.request.get(f"/api/v1/hazards/{h['id']}").json() for h in hazards[:40]]
        documents = [d for detail in details for d in detail["documents"]]
        # Both kinds when the demo has them: the 复查意见书 carries before/after photos as data: images.
        kinds = {d.get("kind"): d for d in documents}
        assert kinds, "the demo district has issued documents"
        for kind, document in kinds.items():
            page.goto(f"/api/v1/documents/{document['id']}")
            expect(page.locator("body")).to_contain_text(document["number"])
            page.screenshot(path=str(artifacts / f"csp-02-document-{kind}.png"), full_page=True)
        assert_no_csp_violations(page)
    finally:
        page.context.close()
