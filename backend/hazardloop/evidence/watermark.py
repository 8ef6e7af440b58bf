"""证据水印: the strip burnt into the evidence copy, and the Chinese font it needs."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Debian's packages, smallest first: fonts-wqy-zenhei, fonts-noto-cjk, fonts-wqy-microhei.
DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
STRIP_TEXT = (255, 255, 255)
STRIP_OPACITY = 0.72  # of the black strip over the scene
_DARKEN = [round(v * (1 - STRIP_OPACITY)) for v in range(256)]


class FontMissing(RuntimeError):
    """No Chinese font is installed where the configuration looks."""


@dataclasses.dataclass(frozen=True)
class WatermarkText:
    """The lines of the strip: capture time, place, inspector, hazard number, photo id."""

    lines: tuple[str, ...]


def find_font(configured: str | None) -> str:
    """The font file to use: the configured path, else the first Debian default that exists."""
    candidates = (configured,) if configured else DEFAULT_FONT_PATHS
    for path in candidates:
        if path and Path(path).is_file():
            return path
    raise FontMissing(
        "找不到中文字体，无法生成证据水印：" + ("、".join(c for c in candidates if c))
        + "。请运行 ./dev up（会安装 fonts-wqy-zenhei），或设置 PHOTO_FONT_PATH 指向一个中文字体文件。"
    )


@functools.lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def strip_height(width: int, height: int, line_count: int) -> int:
    """The strip's height in pixels for an image of this size (same rule as burn())."""
    return _line_height(width, height) * line_count + 2 * _padding(width, height)


def _font_size(width: int, height: int) -> int:
    # Legible on a phone and on paper: about 1/50 of the short side, never below 12 px.
    return max(12, min(width, height) // 50)


def _line_height(width: int, height: int) -> int:
    return round(_font_size(width, height) * 1.35)


def _padding(width: int, height: int) -> int:
    return max(4, _font_size(width, height) // 2)


def burn(image: Image.Image, text: WatermarkText, font_path: str) -> int:
    """Draw the strip at the bottom of ``image``, in place; returns the strip's top row."""
    width, height = image.size
    size = _font_size(width, height)
    strip = strip_height(width, height, len(text.lines))
    top = height - strip
    # A translucent black strip keeps the scene under it faintly visible; the text stays opaque.
    # Blending with black is a scaling of every value: one lookup table, no overlay image.
    region = image.crop((0, top, width, height))
    image.paste(region.point(_DARKEN * len(region.getbands())), (0, top))
    draw = ImageDraw.Draw(image)
    font = _font(font_path, size)
    pad, line = _padding(width, height), _line_height(width, height)
    for i, value in enumerate(text.lines):
        draw.text((pad, top + pad + i * line), _fit(draw, value, font, width - 2 * pad), font=font,
                  fill=STRIP_TEXT)
    return top


def _fit(draw: ImageDraw.ImageDraw, value: str, font: ImageFont.FreeTypeFont, room: int) -> str:
    """Cut a line that would run past the edge, marking the cut with an ellipsis."""
    if draw.textlength(value, font=font) <= room:
        return value
    while value and draw.textlength(value + "…", font=font) > room:
        value = value[:-1]
    return value + "…"
