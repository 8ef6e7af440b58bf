"""Figure: time to make a photo's derivative set, against libjpeg-turbo's own half-scale decode.

On one generated, realistic 12-megapixel JPEG (gradients, noise and edges; 3–5 MB) it
times, interleaved round by round so machine load hits every contender alike:

- ``djpeg -scale 1/2`` (libjpeg-turbo alone, decode to /dev/null; includes process start),
- naive Pillow: full-size decode, LANCZOS to 1600 px and to 320 px,
- hazardloop's pipeline (checks + decode + evidence copy with watermark + thumbnail + public
  copy, all encoded) with draft mode, and the same with draft mode off,
- the orientation pitfall: rotating the full-size image versus rotating the 1600 px result.

Requires Debian's libjpeg-turbo-progs (djpeg) and the watermark font (fonts-wqy-zenhei).
Run:  .venv/bin/python benchmarks/photo_derivatives.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, features

from hazardloop.evidence import images, watermark

ZONE = ZoneInfo("Asia/Shanghai")
LINES = ("拍摄时间：2026-11-23 14:05:33（检查记录）", "位置：30.312345°N 120.156789°E 湖墅南路兴旺便利店",
         "检查人：张三　隐患编号：YH-2026-00042", "照片编号：0123456789abcdef")


def realistic_jpeg(width: int = 4000, height: int = 3000, seed: int = 1) -> bytes:
    """A phone-like 12 MP photo: smooth gradients, sensor-like noise and hard edges, quality 90."""
    rnd = random.Random(seed)
    gx = Image.linear_gradient("L").resize((width, height))
    gy = Image.linear_gradient("L").rotate(90).resize((width, height))
    noise = Image.effect_noise((width, height), 60)
    r = Image.blend(gx, noise, 0.22)
    g = Image.blend(gy, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 0.22)
    b = Image.blend(Image.blend(gx, gy, 0.5), noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM), 0.22)
    im = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(im)
    for _ in range(60):
        x, y = rnd.randrange(width), rnd.randrange(height)
        draw.rectangle((x, y, x + rnd.randrange(50, 600), y + rnd.randrange(50, 400)),
                       outline=(rnd.randrange(256),) * 3, width=6)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def naive(data: bytes) -> None:
    im = Image.open(io.BytesIO(data))
    im.load()
    evidence = im.resize((1600, 1200), Image.Resampling.LANCZOS)
    evidence.resize((320, 240), Image.Resampling.LANCZOS)


def pipeline(data: bytes, draft: bool, font: str) -> None:
    text = watermark.WatermarkText(LINES)
    images.make_derivatives(data, max_pixels=50_000_000, zone=ZONE, draft=draft,
                            watermark=lambda im, facts: watermark.burn(im, text, font))


def djpeg(path: str) -> Callable[[], None]:
    exe = shutil.which("djpeg")
    if exe is None:
        raise SystemExit("djpeg not found: apt-get install libjpeg-turbo-progs")
    return lambda: subprocess.run([exe, "-scale", "1/2", "-outfile", os.devnull, path], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    font = watermark.find_font(None)
    data = realistic_jpeg()
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as tmp:
        tmp.write(data)
    full = Image.open(io.BytesIO(data))
    full.load()
    small = full.resize((1600, 1200), Image.Resampling.BILINEAR)
    contenders: dict[str, Callable[[], object]] = {
        "djpeg -scale 1/2": djpeg(tmp.name),
        "naive Pillow (full decode + LANCZOS)": lambda: naive(data),
        "hazardloop, draft on": lambda: pipeline(data, True, font),
        "hazardloop, draft off": lambda: pipeline(data, False, font),
        "rotate 90° full size (4000×3000)": lambda: full.transpose(Image.Transpose.ROTATE_270),
        "rotate 90° result (1600×1200)": lambda: small.transpose(Image.Transpose.ROTATE_270),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for run in contenders.values():
        run()  # warm-up: page cache, font cache, lazy imports
    for _ in range(args.rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    os.unlink(tmp.name)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; Pillow {Image.__version__} "
          f"(libjpeg-turbo {features.version('libjpeg_turbo')}); {args.rounds} rounds, one core")
    print(f"input: {full.width}×{full.height} JPEG, {len(data) / 1e6:.2f} MB")
    med = {name: statistics.median(t) * 1000 for name, t in times.items()}
    for name in contenders:
        print(f"  {name:40s} median {med[name]:7.1f} ms   min {min(times[name]) * 1000:7.1f} ms")
    on, off, base = med["hazardloop, draft on"], med["hazardloop, draft off"], med["djpeg -scale 1/2"]
    print(f"derivative sets per second per core: draft on {1000 / on:.1f}, draft off {1000 / off:.1f} "
          f"→ draft mode speed-up ×{off / on:.2f}")
    print(f"full derivative set vs djpeg -scale 1/2: ×{on / base:.2f} (goal ≤ ×2.00); "
          f"vs naive Pillow: ×{med['naive Pillow (full decode + LANCZOS)'] / on:.2f} faster")
    print(f"rotating the result instead of the full image: ×"
          f"{med['rotate 90° full size (4000×3000)'] / med['rotate 90° result (1600×1200)']:.1f} cheaper")


if __name__ == "__main__":
    main()
