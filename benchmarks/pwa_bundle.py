"""Figure: the field app's initial JavaScript, gzipped, against the 150 KB budget of issue 7.

"Initial" is what the browser must fetch and run before the first screen: the module scripts and
module preloads that pwa/dist/index.html names (lazily imported chunks are not counted). The
service worker is reported apart: it is installed after the first paint, off the critical path.
Sizes are gzip level 9, as a server or CDN would send them.

Run:  .venv/bin/python benchmarks/pwa_bundle.py [--build]   (--build runs `npm run build` first)
Lighthouse, installability and the 100-item checklist render: benchmarks/pwa_lighthouse.py.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "pwa" / "dist"
BUDGET_BYTES = 150 * 1024
INITIAL = re.compile(
    r'<script[^>]*type="module"[^>]*src="/([^"]+)"|<link[^>]*rel="modulepreload"[^>]*href="/([^"]+)"'
)


def gzipped(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def initial_scripts(index_html: str) -> list[str]:
    return [a or b for a, b in INITIAL.findall(index_html)]


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
    total = 0
    for name in initial_scripts(index.read_text("utf-8")):
        raw, gz = (DIST / name).stat().st_size, gzipped(DIST / name)
        total += gz
        print(f"  {name:40s} {raw / 1024:8.1f} KB raw  {gz / 1024:7.1f} KB gzip")
    css = sorted(DIST.glob("assets/*.css"))
    css_gz = sum(gzipped(p) for p in css)
    sw = DIST / "sw.js"
    print(f"initial JS (gzip): {total / 1024:.1f} KB of {BUDGET_BYTES // 1024} KB budget "
          f"({'within' if total <= BUDGET_BYTES else 'OVER'} budget)")
    print(f"CSS (gzip): {css_gz / 1024:.1f} KB; service worker sw.js (gzip, not initial): "
          f"{(gzipped(sw) if sw.exists() else 0) / 1024:.1f} KB")
    return 0 if total <= BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
