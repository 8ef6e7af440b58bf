"""Figure: the supervisor console's first paint (LCP of /console, the overview) on a throttled phone, cold and warm.

Lighthouse is not installed here (not in pwa/node_modules), so Debian's Chromium (/usr/bin/chromium) is driven
through Playwright with Lighthouse's mobile settings applied through the DevTools protocol: 4× CPU slowdown
(`Emulation.setCPUThrottlingRate`) and Lighthouse's "Slow 4G" as DevTools throttling
(`Network.emulateNetworkConditions`: 562.5 ms request latency, 1,474.56 kbit/s down, 675 kbit/s up — the
values Lighthouse itself uses for `--throttling-method=devtools`), on a 412×823 phone screen. LCP is read from
a `PerformanceObserver('largest-contentful-paint')` in the page, with the element it names.

The real server (gunicorn, 2 workers × 8 threads, the app factory) serves a snapshot of pwa/dist taken when the
run starts (another build replacing pwa/dist mid-run cannot disturb it) on a fresh seeded SQLite database.
A district supervisor (区安委办) logs in once; then each run opens /console in the same browser profile:
- cold: the HTTP cache emptied first (`Network.clearBrowserCache`) and no service worker, so every script,
  the console's chunks included, comes over the throttled network — a supervisor's first open;
- warm: the hashed assets from the HTTP cache (the page, the session check and the API still go to the server).
Cold and warm runs alternate, so the machine's load falls on both alike. Printed per mode: the median and
spread (min–max) of LCP, of the moment the overview's numbers (status cards) are in the DOM, of the chart
chunk's request start and end, and of the first chart canvas; the load average before and after; the initial
JS of the field app and what /console adds (gzip as a CDN would send it, and raw as this server sends it).

Run:  .venv/bin/python benchmarks/console_lcp.py [--runs 5] [--dist pwa/dist] [--no-throttle]
Goal: LCP ≤ 2.5 s; the field app's initial JS ≤ 150 KB gzip.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hazard_list import machine
from photo_upload import start_redis, stop
from pwa_bundle import CONSOLE, FIELD_APP, closure, gzipped, initial_scripts
from read_concurrency import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SUPERVISOR = ("13800000002", "Demo@2026")  # 区安委办: the district's overview
LCP_GOAL_MS = 2500
FIELD_BUDGET = 150 * 1024
# Lighthouse's mobile defaults (lighthouse-core/config/constants.js: mobileSlow4G, DevTools-throttling values).
CPU_SLOWDOWN = 4
LATENCY_MS = 150 * 3.75
DOWN_KBPS = 1.6 * 1024 * 0.9
UP_KBPS = 750 * 0.9
SCREEN = {"width": 412, "height": 823}

# Installed before any page script: LCP entries, and when the numbers and the first chart appear.
OBSERVE = """(() => {
  const t = (window.__firstPaint = { lcp: [], numbers: null, chart: null });
  const name = (el) => !el ? null : (el.dataset?.testid || el.tagName.toLowerCase()) + ': '
    + (el.textContent || '').trim().slice(0, 24);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) t.lcp.push({ time: e.startTime, size: e.size, element: name(e.element) });
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  new MutationObserver(() => {
    const numbers = document.querySelector('[data-testid=card-open_total-value]');
    if (t.numbers === null && numbers) t.numbers = performance.now();
    if (t.chart === null && document.querySelector('[data-testid=chart-trend] canvas')) t.chart = performance.now();
  }).observe(document, { childList: true, subtree: true });
})();"""

READ = """() => {
  const t = window.__firstPaint;
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const chunk = performance.getEntriesByType('resource').find((r) => r.name.includes('/assets/console-charts-'));
  const last = t.lcp[t.lcp.length - 1] || null;
  return { lcp: last && last.time, element: last && last.element, candidates: t.lcp.length,
           numbers: t.numbers, chart: t.chart, fcp: fcp ? fcp.startTime : null,
           chunkStart: chunk ? chunk.startTime : null, chunkEnd: chunk ? chunk.responseEnd : null,
           waterfall: performance.getEntriesByType('resource').map((r) => [
             Math.round(r.startTime), Math.round(r.responseEnd), r.transferSize,
             r.name.replace(location.origin, '')]) };
}"""


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def bundle_sizes(dist: Path) -> None:
    """The field app's initial JS and what /console adds on top (see benchmarks/pwa_bundle.py)."""
    manifest = json.loads((dist / ".vite" / "manifest.json").read_text("utf-8"))
    field = set(initial_scripts((dist / "index.html").read_text("utf-8")))
    for key, chunk in manifest.items():
        if chunk.get("isEntry"):
            field |= closure(manifest, key)
    field |= closure(manifest, FIELD_APP)
    console = closure(manifest, CONSOLE) - field
    charts = {manifest[k]["file"] for k in manifest if k.endswith("console/charts.tsx")}

    def size(files: set[str]) -> str:
        gz = sum(gzipped(dist / f) for f in files)
        raw = sum((dist / f).stat().st_size for f in files)
        return f"{gz / 1024:.1f} KB gzip ({raw / 1024:.1f} KB raw)"

    field_gz = sum(gzipped(dist / f) for f in field)
    print(f"field app initial JS: {size(field)} — {'within' if field_gz <= FIELD_BUDGET else 'OVER'} the 150 KB budget")
    print(f"/console adds before the overview's numbers: {size(console)} in {len(console)} file(s)")
    print(f"chart chunk, loaded after the numbers: {size(charts)} ({', '.join(sorted(charts)) or 'none'})")


def start_server(tmp: Path, dist: Path, redis_url: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "REDIS_URL": redis_url,
           "HAZARDLOOP_INSTANCE_PATH": str(tmp / "instance"), "STORAGE_DIR": str(tmp / "storage"),
           "RATELIMIT_KEY_PREFIX": f"lcp{uuid.uuid4().hex[:8]}", "PASSWORD_HASH_MEMORY_KIB": "1024",
           "PASSWORD_HASH_TIME_COST": "1", "SESSION_COOKIE_SECURE": "false"}
    cli = Path(sys.executable).with_name("hazardloop")
    for command in (["db", "upgrade"], ["checklists", "sync"], ["seed-demo"]):
        subprocess.run([str(cli), *command], env=env, check=True, capture_output=True, cwd=tmp)
    port = free_port()
    factory = f"hazardloop:create_app({{'PWA_DIST_DIR': {str(dist)!r}}})"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-k", "gthread", "-w", "2", "--threads", "8", "-b",
                                f"127.0.0.1:{port}", factory], env=env, cwd=tmp,
                               stdout=(tmp / "server.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("服务器未能启动：" + (tmp / "server.log").read_text(errors="replace")[-2000:])


def measure(url: str, runs: int, throttle: bool, waterfall: bool) -> dict[str, list[dict[str, Any]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        context = browser.new_context(viewport=SCREEN, device_scale_factor=1.75, is_mobile=True, has_touch=True,
                                      locale="zh-CN", service_workers="block")
        context.add_init_script(OBSERVE)
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url + "/login")
        page.fill("#mobile", SUPERVISOR[0])
        page.fill("#password", SUPERVISOR[1])
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda u: not u.endswith("/login") and "/login?" not in u)
        page.get_by_role("link", name="监管").first.wait_for()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        if throttle:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            cdp.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": LATENCY_MS, "downloadThroughput": DOWN_KBPS * 1024 / 8,
                "uploadThroughput": UP_KBPS * 1024 / 8})
        for i in range(runs * 2):
            mode = "cold" if i % 2 == 0 else "warm"
            page.goto("about:blank")
            if mode == "cold":
                cdp.send("Network.clearBrowserCache")
            page.goto(url + "/console")
            page.get_by_test_id("chart-trend").locator("canvas").wait_for()
            page.wait_for_timeout(500)  # a later, larger element would still report its LCP entry
            result = page.evaluate(READ)
            result["load"] = os.getloadavg()[0]
            results[mode].append(result)
            print(f"  {mode} run {i // 2 + 1}: LCP {result['lcp']:.0f} ms ({result['element']}), numbers "
                  f"{result['numbers']:.0f} ms, chart chunk {result['chunkStart'] or 0:.0f}–"
                  f"{result['chunkEnd'] or 0:.0f} ms, chart {result['chart']:.0f} ms, load {result['load']:.1f}",
                  flush=True)
            if waterfall and i < 2:
                for start, end, size, name in result["waterfall"]:
                    print(f"      {start:6d}–{end:6d} ms {size / 1024:7.1f} KB  {name[:90]}")
        context.close()
        browser.close()
    return results


def spread(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "—"
    return f"median {statistics.median(present):.0f} ms (min {min(present):.0f}, max {max(present):.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (cold and warm alternate)")
    parser.add_argument("--dist", type=Path, default=ROOT / "pwa" / "dist", help="the build to serve (copied first)")
    parser.add_argument("--waterfall", action="store_true", help="print the requests of the first cold and warm run")
    parser.add_argument("--no-throttle", action="store_true", help="no CPU or network throttling (for debugging)")
    args = parser.parse_args()
    if not (args.dist / "index.html").is_file():
        print(f"{args.dist} 中没有构建：先运行 `cd pwa && npm run build`。", file=sys.stderr)
        return 2
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {machine()}; {chromium}")
    print(f"load before: {load()}")
    throttling = "none" if args.no_throttle else (
        f"{CPU_SLOWDOWN}× CPU, {LATENCY_MS} ms latency, {DOWN_KBPS:.0f}/{UP_KBPS:.0f} kbit/s (Lighthouse Slow 4G)")
    print(f"throttling: {throttling}; screen {SCREEN['width']}×{SCREEN['height']} @1.75")
    redis_proc, redis_url = start_redis()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            dist = tmp / "dist"
            shutil.copytree(args.dist, dist)
            bundle_sizes(dist)
            server, url = start_server(tmp, dist, redis_url)
            try:
                probe = urllib.request.Request(url + "/", headers={"Accept-Encoding": "gzip"})
                with urllib.request.urlopen(probe) as r:
                    print(f"server compression of the app's files: {r.headers.get('Content-Encoding') or 'none'}")
                results = measure(url, args.runs, not args.no_throttle, args.waterfall)
            finally:
                stop(server)
    finally:
        stop(redis_proc)
    print(f"load after: {load()}")
    ok = True
    for mode, rows in results.items():
        lcps = [r["lcp"] for r in rows]
        met = statistics.median(lcps) <= LCP_GOAL_MS
        ok = ok and met
        print(f"{mode} ({len(rows)} runs, load avg {statistics.mean(r['load'] for r in rows):.1f} during them):")
        print(f"  LCP            {spread(lcps)} — goal ≤ {LCP_GOAL_MS} ms: {'met' if met else 'NOT met'}")
        print(f"  LCP elements   {sorted({r['element'] for r in rows})}")
        print(f"  FCP            {spread([r['fcp'] for r in rows])}")
        print(f"  numbers in DOM {spread([r['numbers'] for r in rows])}")
        print(f"  chart chunk    start {spread([r['chunkStart'] for r in rows])}; "
              f"end {spread([r['chunkEnd'] for r in rows])}")
        print(f"  first chart    {spread([r['chart'] for r in rows])}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
