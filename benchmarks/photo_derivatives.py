"""Figure: time to make a photo's derivative set, against libjpeg-turbo's own half-scale decode.

On one generated, realistic 12-megapixel JPEG (gradients, noise and edges; 3–5 MB) it
times, interleaved round by round so machine load hits every contender alike, both the wall
clock and the CPU time spent (the latter barely moved by other processes on a shared machine):

- ``djpeg -scale 1/2`` (libjpeg-turbo alone, decode to /dev/null; includes process start),
- naive Pillow: full-size decode, LANCZOS to 1600 px and to 320 px,
- hazardloop's derivative set as the background job makes it from a stored original (format,
  pixel-limit and frame checks, one decode, evidence copy with watermark, thumbnail, public copy,
  all encoded) with draft mode, and the same with draft mode off,
- the same set with the container walk of the upload checks repeated (``hazardloop photos rebuild``),
- the upload request's checks alone (container walk, header, a 1/8-scale decode for corrupt data),
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
import re
import resource
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


def pipeline(data: bytes, draft: bool, font: str, structure_checked: bool = True) -> None:
    text = watermark.WatermarkText(LINES)
    images.make_derivatives(data, max_pixels=50_000_000, zone=ZONE, draft=draft, structure_checked=structure_checked,
                            watermark=lambda im, facts: watermark.burn(im, text, font))


def upload_checks(data: bytes) -> None:
    images.check_upload(data, max_pixels=50_000_000, zone=ZONE)


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
        "hazardloop, draft on + container walk": lambda: pipeline(data, True, font, structure_checked=False),
        "upload checks (walk, header, 1/8 decode)": lambda: upload_checks(data),
        "rotate 90° full size (4000×3000)": lambda: full.transpose(Image.Transpose.ROTATE_270),
        "rotate 90° result (1600×1200)": lambda: small.transpose(Image.Transpose.ROTATE_270),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for run in contenders.values():
        run()  # warm-up: page cache, font cache, lazy imports
    for _ in range(args.rounds):
        for name, run in contenders.items():
            cpu_start, start = cpu_seconds(), time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(cpu_seconds() - cpu_start)
    os.unlink(tmp.name)

    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; Pillow {Image.__version__} "
          f"(libjpeg-turbo {features.version('libjpeg_turbo')}); djpeg {djpeg_version()}; "
          f"{args.rounds} rounds, one core")
    print(f"input: {full.width}×{full.height} JPEG, {len(data) / 1e6:.2f} MB")
    med = {name: statistics.median(t) * 1000 for name, t in times.items()}
    med_cpu = {name: statistics.median(t) * 1000 for name, t in cpu.items()}
    for name in contenders:
        print(f"  {name:42s} median {med[name]:7.1f} ms   min {min(times[name]) * 1000:7.1f} ms   "
              f"CPU {med_cpu[name]:7.1f} ms")
    on, off, base = med["hazardloop, draft on"], med["hazardloop, draft off"], med["djpeg -scale 1/2"]
    print(f"derivative sets per second per core: draft on {1000 / on:.1f}, draft off {1000 / off:.1f} "
          f"→ draft mode speed-up ×{off / on:.2f}")
    print(f"full derivative set vs djpeg -scale 1/2: ×{on / base:.2f} wall-clock medians, "
          f"×{med_cpu['hazardloop, draft on'] / med_cpu['djpeg -scale 1/2']:.2f} CPU-time medians (goal ≤ ×2.00); "
          f"vs naive Pillow: ×{med['naive Pillow (full decode + LANCZOS)'] / on:.2f} faster")
    print(f"  with the container walk repeated (photos rebuild): ×"
          f"{med['hazardloop, draft on + container walk'] / base:.2f}; best rounds (min/min): ×"
          f"{min(times['hazardloop, draft on']) / min(times['djpeg -scale 1/2']):.2f}")
    print(f"rotating the result instead of the full image: ×"
          f"{med['rotate 90° full size (4000×3000)'] / med['rotate 90° result (1600×1200)']:.1f} cheaper")


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (djpeg): what other load does not inflate."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def djpeg_version() -> str:
    exe = shutil.which("djpeg")
    if exe is None:
        return "?"
    out = subprocess.run([exe, "-version"], capture_output=True, text=True)
    found = re.search(r"version (\S+)", out.stderr + out.stdout)
    return found.group(1) if found else "?"

if __name__ == "__main__":
    main()
