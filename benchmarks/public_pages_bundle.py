"""Figure: what a visitor's phone downloads to open the public pages (QR poster page, 我要举报, progress,
曝光台) — gzipped JS and CSS — and a check that none of the field app comes with it.

The public pages boot from the same entry module as the field app (pwa/dist/index.html names it), then
import their own chunk (src/features/public/PublicApp.tsx). Counted: the entry and the public chunk, each
with every chunk it imports statically (from Vite's build manifest, dist/.vite/manifest.json), and their
CSS. On /s/<token>, in a browser that already holds an IndexedDB database for this site, the entry also
fetches the small IndexedDB chunks to look for an official's session; those are listed apart.
Sizes are gzip level 9, as a server or CDN would send them.

Run:  .venv/bin/python benchmarks/public_pages_bundle.py   (after `cd pwa && npm run build`)
"""

from __future__ import annotations

import gzip
import json
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "pwa" / "dist"
MANIFEST = DIST / ".vite" / "manifest.json"
PUBLIC = "src/features/public/PublicApp.tsx"
# Chunks of the field app that must never come with the public pages: the app, its state and outbox, HTTP
# with the session's CSRF token. (Named chunks are keyed "_<name>-<hash>.js" in the manifest.)
FIELD_ONLY = {"src/App.tsx", "app-state", "http", "data", "auth"}
SESSION_LOOKUP = {"schema", "meta"}  # IndexedDB: read on /s/<token> only, to find an official's session
ENTRY_SCRIPT = re.compile(r'<script[^>]*type="module"[^>]*src="/([^"]+)"')


def gzipped(name: str) -> int:
    return len(gzip.compress((DIST / name).read_bytes(), compresslevel=9))


def closure(manifest: dict[str, dict], *keys: str) -> tuple[set[str], set[str], set[str]]:
    """JS files, CSS files and manifest keys of chunks ``keys`` and every chunk they import statically."""
    js: set[str] = set()
    css: set[str] = set()
    stack, seen = list(keys), set()
    while stack:
        k = stack.pop()
        if k in seen or k not in manifest:
            continue
        seen.add(k)
        js.add(manifest[k]["file"])
        css.update(manifest[k].get("css", []))
        stack.extend(manifest[k].get("imports", []))
    return js, css, seen


def named(manifest: dict[str, dict], names: set[str]) -> list[str]:
    return [k for k, c in manifest.items() if k in names or (k.startswith("_") and c.get("name") in names)]


def show(label: str, files: set[str]) -> int:
    total = 0
    for name in sorted(files):
        gz = gzipped(name)
        total += gz
        print(f"  {name:48s} {(DIST / name).stat().st_size / 1024:7.1f} KB raw {gz / 1024:6.1f} KB gzip")
    print(f"{label}: {total / 1024:.1f} KB")
    return total


def main() -> int:
    if not MANIFEST.is_file():
        print("pwa/dist/.vite/manifest.json 不存在：先运行 `cd pwa && npm run build`。", file=sys.stderr)
        return 2
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    manifest: dict[str, dict] = json.loads(MANIFEST.read_text("utf-8"))
    entry = ENTRY_SCRIPT.findall((DIST / "index.html").read_text("utf-8"))
    entry_key = next(k for k, c in manifest.items() if c.get("isEntry") and c["file"] in entry)
    public_js, public_css, public_keys = closure(manifest, entry_key, PUBLIC)
    js = show("public pages JS (gzip, entry + public chunk)", public_js)
    css = show("public pages CSS (gzip)", public_css)
    lookup_js = closure(manifest, *named(manifest, SESSION_LOOKUP))[0] - public_js
    extra = show("  + on /s/<token> where IndexedDB holds data: session look-up chunks (gzip)", lookup_js)
    print(f"public pages total (gzip): {(js + css) / 1024:.1f} KB; "
          f"at most {(js + css + extra) / 1024:.1f} KB on a QR URL")
    leaked = sorted(manifest[k]["file"] for k in set(named(manifest, FIELD_ONLY)) & public_keys)
    print(f"field-app chunks loaded by the public pages: {len(leaked)}" + (f" {leaked}" if leaked else ""))
    return 1 if leaked else 0


if __name__ == "__main__":
    sys.exit(main())
