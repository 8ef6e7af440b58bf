"""Fixtures for the field app's browser tests: a real server on a free port and Debian's Chromium."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
GRID_WORKER = ("13800001001", "Demo@2026")


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    cwd: Path

    def cli(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        """Run a `hazardloop` command against the server's database (e.g. create-user)."""
        result = subprocess.run([*_cli(), *args], env={**self.env, **(extra_env or {})}, cwd=self.cwd,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("hazardloop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hazardloop.cli"]


@pytest.fixture(scope="session")
def pwa_dist() -> Path:
    """The built app; `./dev test` builds it first, a bare pytest run builds it here."""
    dist = PWA / "dist"
    if not (dist / "index.html").is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("缺少 npm，无法构建前端：请运行 ./dev test（或 apt-get install nodejs npm）。")
        if not (PWA / "node_modules").is_dir():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PWA, check=True)
        subprocess.run([npm, "run", "build"], cwd=PWA, check=True)
    return dist


_SERVERS_STARTED = itertools.count(1)


def _own_redis_database(redis_url: str) -> str:
    """The test process's Redis with a database of the server's own (1–15; 0 is the in-process tests'), so that
    one server's worker never runs another's queued jobs against its own database, and a test's FLUSHDB never
    empties a server's queues."""
    if not re.fullmatch(r"redis://[^/]+/\d+", redis_url):
        return redis_url  # e.g. a Sentinel URL named by TEST_REDIS_URL: shared as before
    number = next(_SERVERS_STARTED)
    if number > 15:
        pytest.fail("一个测试进程最多启动 15 个演示服务器（Redis 只有 16 个库）。")
    return f"{redis_url.rsplit('/', 1)[0]}/{number}"


def serve_seeded(tmp: Path, redis_url: str, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """`hazardloop run` (gunicorn) on a migrated, seeded SQLite database of its own in ``tmp`` and a Redis database
    of its own; ``extra_env`` for a module that needs its own settings (e.g. every 自查自改 drawn for a spot check)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'live.db'}",
        "REDIS_URL": _own_redis_database(redis_url),
        "HAZARDLOOP_INSTANCE_PATH": str(tmp / "instance"),
        "STORAGE_DIR": str(tmp / "storage"),
        "RATELIMIT_KEY_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        # Cheap password hashing: the demo seeds dozens of users.
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "PASSWORD_HASH_TIME_COST": "1",
        # Plain http on 127.0.0.1: the session cookie may not be Secure (it is by default).
        "SESSION_COOKIE_SECURE": "false",
        **(extra_env or {}),
    }
    for command in (["db", "upgrade"], ["checklists", "sync"], ["seed-demo"]):
        subprocess.run([*_cli(), *command], env=env, check=True, capture_output=True, cwd=tmp)
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*_cli(), "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "8"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"服务器未能启动：\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    yield LiveServer(url=url, process=process, log=log, env=env, cwd=tmp)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, pwa_dist: Path,
) -> Iterator[LiveServer]:
    """The shared seeded server of the browser tests."""
    yield from serve_seeded(tmp_path_factory.mktemp("live"), redis_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"缺少 {CHROMIUM}：请运行 ./dev test（它会安装 Debian 的 chromium），"
                    "或 apt-get install chromium。")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def new_watched_context(*args: Any, **kwargs: Any) -> Any:
            context = new_context(*args, **kwargs)
            _watch_csp(context)
            return context

        browser.new_context = new_watched_context  # every context records CSP violations (see csp_violations)
        yield browser
        browser.close()


# --- Content-Security-Policy violations ------------------------------------------------------------

_CSP_BINDING = "__hazardloopCspViolation"
_CSP_LISTENER = """(() => {
  document.addEventListener('securitypolicyviolation', (e) => {
    try {
      window.__hazardloopCspViolation({directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
                 source: e.sourceFile, line: e.lineNumber, sample: e.sample, page: location.href});
    } catch (_) { /* the page is going away */ }
  }, true);
})();"""
_CSP_SEEN: dict[int, list[dict[str, Any]]] = {}


def _watch_csp(context: Any) -> None:
    """Record every CSP violation of the context's pages: the DOM event, and Chromium's console message."""
    violations = _CSP_SEEN.setdefault(id(context), [])

    def record(violation: dict[str, Any]) -> None:
        violations.append(violation)

    context.expose_function(_CSP_BINDING, record)
    context.add_init_script(_CSP_LISTENER)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append({"console": message.text, "page": (message.location or {}).get("url")})

    context.on("console", on_console)
    context.on("close", lambda _: _CSP_SEEN.pop(id(context), None))


def csp_violations(page_or_context: Any) -> list[dict[str, Any]]:
    """The CSP violations seen so far in this page's browser context (every context from `browser` records them)."""
    context = getattr(page_or_context, "context", page_or_context)
    for page in context.pages:
        # A round trip through each page, so reports still on their way arrive first.
        with contextlib.suppress(Exception):  # closed or navigating: nothing more comes from that document
            page.evaluate("0")
    return list(_CSP_SEEN.get(id(context), []))


def assert_no_csp_violations(page_or_context: Any) -> None:
    """The app worked under its Content-Security-Policy: nothing was blocked in this context."""
    violations = csp_violations(page_or_context)
    assert not violations, f"内容安全策略（CSP）拦截了：{violations}"


def wait_for_js(page: Any, expression: str, *, arg: Any = None, timeout_ms: int = 30_000) -> None:
    """Wait until a JavaScript expression (or a one-argument function with ``arg``) is truthy in the page.

    Polled from the test: Playwright's ``wait_for_function`` re-evaluates a string predicate with eval
    inside the page, which the app's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while not (page.evaluate(expression, arg) if arg is not None else page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise AssertionError(f"等待超时（{timeout_ms} ms）：{expression}")
        page.wait_for_timeout(100)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


AXE = Path(__file__).resolve().parents[2] / "pwa" / "node_modules" / "axe-core" / "axe.min.js"


def axe_problems(page: Any, where: str) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now (axe injected from npm's package)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ['violations']});
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    }""")
    return [f"{where}: {line}" for line in result]


@pytest.fixture(scope="module")
def risk_server(live_server: LiveServer) -> LiveServer:
    """The shared server with the 风险点 templates loaded (`hazardloop risks sync` is set-up, not a journey)."""
    live_server.cli("risks", "sync")
    return live_server


@pytest.fixture
def phone_and_desk(browser: Any, risk_server: LiveServer) -> Iterator[dict[str, Any]]:
    """A 390×844 phone and a 1366×900 desk, both in Shanghai time and Chinese."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    phone = browser.new_context(base_url=risk_server.url, viewport={"width": 390, "height": 844},
                                device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
                                timezone_id="Asia/Shanghai")
    desk = browser.new_context(base_url=risk_server.url, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                               timezone_id="Asia/Shanghai")
    yield {"phone": phone, "desk": desk}
    phone.close()
    desk.close()


def pick_region(scope: Any, testid: str, name: str, path: str | None = None) -> None:
    """Choose a region in the console's 区域选择 (``RegionPicker``) as a person does: type its name, click the match
    (the one showing ``path`` 街道 / 社区 / 网格 when names repeat)."""
    from playwright.sync_api import expect

    picker = scope.get_by_test_id(testid)
    field = picker.get_by_role("combobox")
    field.click()
    field.fill(name)
    picker.get_by_role("option").filter(has_text=path or name).first.click()
    expect(field).to_have_value(re.compile(re.escape(path or name) + "$"))


def log_in(context: Any, who: tuple[str, str], next_path: str = "/") -> Any:
    """A new page of ``context`` logged in as ``who`` (mobile, password), then at ``next_path``."""
    page = context.new_page()
    page.goto(f"/login?next={next_path}")
    page.fill("#mobile", who[0])
    page.fill("#password", who[1])
    page.get_by_role("button", name="登录").click()
    return page


def admin_desk(browser: Any, live_server: LiveServer, timeout_ms: int) -> tuple[Any, Any]:
    """(context, page): the administrator logged in on a 1280×860 desk that accepts downloads."""
    from playwright.sync_api import expect

    expect.set_options(timeout=timeout_ms)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.goto("/login")
    page.fill("#mobile", "13800000001")
    page.fill("#password", "Demo@2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    return context, page

# --- the 区安委办 supervisor's desk and the citizens' phones (群众举报 journeys) ---------------------------------

TRIAGE_TIMEOUT_MS = 20_000
SUPERVISOR = ("13800000002", "Demo@2026")  # 区安委办: every grid in scope


class Reader:
    """The supervisor's session on the API, for reading results only (never to change state)."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def get(self, path: str) -> Any:
        response = self.context.request.get(path)
        assert response.ok, f"{path}: {response.status} {response.text()}"
        return response.json()


def supervisor_desk(browser: Any, live_server: LiveServer, viewport: dict[str, int], **options: Any) -> Any:
    """A page of a new context logged in through the login page as the 区安委办 supervisor, on the console."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(TRIAGE_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login?next=/console")
    page.fill("#mobile", SUPERVISOR[0])
    page.fill("#password", SUPERVISOR[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("console")).to_be_visible()
    return page


def citizen_phone(browser: Any, live_server: LiveServer) -> Any:
    """A new 390×844 touch phone context in Beijing time (a citizen's, no login)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(TRIAGE_TIMEOUT_MS)
    return context


def open_report(desk: Any, description: str) -> None:
    """From the console's 举报 tab (待分拣), open the report with this text."""
    from playwright.sync_api import expect

    desk.get_by_role("navigation", name="监管台导航").get_by_role("link", name=re.compile("^举报")).click()
    expect(desk.get_by_test_id("reports")).to_be_visible()
    desk.get_by_test_id("status-received").click()
    row = desk.get_by_test_id("report-row").filter(has_text=description)
    expect(row).to_have_count(1)
    row.click()
    expect(desk.get_by_test_id("report-description")).to_have_text(description)
    expect(desk.get_by_test_id("report-status")).to_have_text("待分拣")


def queued_report(reader: Reader, description: str) -> dict[str, Any]:
    """The one 群众举报 with this text, as the API lists it."""
    items = reader.get("/api/v1/reports?per_page=100")["items"]
    found = [r for r in items if r["description"] == description]
    assert len(found) == 1, [r["description"] for r in items]
    return found[0]


def wait_for_api(reader: Reader, path: str, check: Any, timeout: float = 20) -> Any:
    """Poll ``path`` until its answer passes ``check`` (work done in the background: the outbox, the worker)."""
    deadline = time.monotonic() + timeout
    while True:
        body = reader.get(path)
        if check(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.3)


@pytest.fixture(scope="module")
def triage_desk(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """The 区安委办 supervisor at a desk (1280×800), logged in through the login page, on the console."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TRIAGE_TIMEOUT_MS)
    page = supervisor_desk(browser, live_server, {"width": 1280, "height": 800})
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def triage_reader(triage_desk: Any) -> Reader:
    """The supervisor's session on the API, to read what the pages did."""
    return Reader(triage_desk.context)


# --- the grid worker's phone (field journeys) ----------------------------------------------------------------

PHONE = {"width": 390, "height": 844}


def log_in_offline_ready(context: Any, who: tuple[str, str]) -> Any:
    """A new page of ``context`` logged in as ``who`` from the home page, once the app is ready offline."""
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto("/")
    page.fill("#mobile", who[0])
    page.fill("#password", who[1])
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("offline-ready")).to_be_visible(timeout=60_000)
    return page


def patrol_site(api: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A site of the grid worker (from the end of the list: other journeys take the first) with a QR code whose
    first checklist opens with a compliance item."""
    for site in reversed(api.get("/api/v1/sites?per_page=500").json()["items"]):
        detail = api.get(f"/api/v1/sites/{site['id']}").json()
        for summary in api.get(f"/api/v1/checklists?site={site['id']}").json()[:1]:
            version = api.get(f"/api/v1/checklists/{summary['id']}/versions/{summary['version']}").json()
            sections = version["content"]["sections"]
            if detail.get("qr_token") and sections[0]["items"][0]["answer"]["type"] == "compliance" \
                    and len(sections) >= 2 and site["name"] != "杭州嘉诚纺织有限公司":
                return detail, {**summary, "content": version["content"]}
    pytest.fail("演示数据中没有可用于巡查的场所。")
