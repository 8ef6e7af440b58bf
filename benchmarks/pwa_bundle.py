"""Figure: the field app's initial JavaScript, gzipped, against its 150 KB budget; and, apart,
the supervisor console's lazily loaded chunks, which field phones never download.

"Initial" is what the browser must fetch and run before an official's first screen: the entry module that
pwa/dist/index.html names, plus the field app's chunk (src/App.tsx, which the entry imports once it knows
an official is logged in), each with every chunk it imports statically — read from Vite's build manifest
(dist/.vite/manifest.json). Lazily imported chunks (the QR decoder, the public pages, the console) are not
counted. The console line is the chunks /console adds on top of the field app (ECharts among them); the risk
map's geo code is a further chunk. The service worker is reported apart: it is installed after the first
paint, off the critical path. Sizes are gzip level 9, as a server or CDN would send them.

Run:  .venv/bin/python benchmarks/pwa_bundle.py [--build]   (--build runs `npm run build` first)
Lighthouse, installability and the 100-item checklist render: benchmarks/pwa_lighthouse.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "pwa" / "dist"
MANIFEST = DIST / ".vite" / "manifest.json"
BUDGET_BYTES = 150 * 1024
FIELD_APP = "src/App.tsx"
CONSOLE = "src/features/console/ConsoleApp.tsx"
RISK_MAP = "src/features/console/RiskMapPage.tsx"
INITIAL = re.compile(
    r'<script[^>]*type="module"[^>]*src="/([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="/([^"]+)"'
)


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def initial_scripts(index_html: str) -> list[str]:
    return [a or b for a, b in INITIAL.findall(index_html)]


def closure(manifest: dict[str, dict], key: str) -> set[str]:
    """The files of chunk ``key`` and of every chunk it imports statically (what loading it costs)."""
    files: set[str] = set()
    stack, seen = [key], set()
    while stack:
        k = stack.pop()
        if k in seen or k not in manifest:
            continue
        seen.add(k)
        files.add(manifest[k]["file"])
        stack.extend(manifest[k].get("imports", []))
    return files


def css_of(manifest: dict[str, dict], key: str) -> set[str]:
    return set(manifest.get(key, {}).get("css", []))


def report(label: str, files: set[str]) -> int:
    total = 0
    for name in sorted(files):
        raw, gz = (DIST / name).stat().st_size, gzipped(DIST / name)
        total += gz
        print(f"  {name:44s} {raw / 1024:8.1f} KB raw  {gz / 1024:7.1f} KB gzip")
    print(f"{label}: {total / 1024:.1f} KB")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="run `npm run build` in pwa/ first")
    args = parser.parse_args()
    if args.build:
        subprocess.run(["npm", "run", "build"], cwd=ROOT / "pwa", check=True)
    index = DIST / "index.html"
    if not index.is_file():
        print("pwa/dist 不存在：先运行 `cd pwa && npm ci && npm run build`，或加 --build。", file=sys.stderr)
        return 2
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    entry_files = set(initial_scripts(index.read_text("utf-8")))
    manifest: dict[str, dict] = json.loads(MANIFEST.read_text("utf-8")) if MANIFEST.is_file() else {}
    field = set(entry_files)
    for key, chunk in manifest.items():
        if chunk.get("isEntry"):
            field |= closure(manifest, key)
    field |= closure(manifest, FIELD_APP)
    total = report("field app, initial (sum)", field)
    print(f"initial JS (gzip): {total / 1024:.1f} KB of {BUDGET_BYTES // 1024} KB budget "
          f"({'within' if total <= BUDGET_BYTES else 'OVER'} budget)")

    console = closure(manifest, CONSOLE) - field
    risk_map = closure(manifest, RISK_MAP) - field - console
    if console:
        print("supervisor console, lazy (not in the service worker's precache):")
        console_js = report("console chunk JS (gzip, loaded on /console)", console)
        map_js = report("console risk-map chunk JS (gzip, loaded on /console/map)", risk_map) if risk_map else 0
        console_css = sum(gzipped(DIST / n) for n in css_of(manifest, CONSOLE))
        print(f"console chunk JS (gzip): {console_js / 1024:.1f} KB + risk map {map_js / 1024:.1f} KB; "
              f"console CSS (gzip): {console_css / 1024:.1f} KB")
        sw = (DIST / "sw.js").read_text("utf-8") if (DIST / "sw.js").exists() else ""
        leaked = sorted(n for n in console | risk_map if n in sw)
        print(f"console files in the service worker precache: {len(leaked)}" + (f" {leaked}" if leaked else ""))
    css = sorted(DIST.glob("assets/*.css"))
    css_gz = sum(gzipped(p) for p in css if not p.name.startswith("console-"))
    sw_path = DIST / "sw.js"
    print(f"CSS (gzip, without the console's): {css_gz / 1024:.1f} KB; service worker sw.js (gzip, not initial): "
          f"{(gzipped(sw_path) if sw_path.exists() else 0) / 1024:.1f} KB")
    return 0 if total <= BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
