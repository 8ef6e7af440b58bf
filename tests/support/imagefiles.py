"""Real image files made on the spot: good photos, and every kind of bad upload."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
SERIAL = "SN-7731-PHONE-0042"


def picture(width: int = 64, height: int = 48, color: tuple[int, int, int] = (90, 140, 60)) -> Image.Image:
    """A small scene: a coloured field with a gradient and a red marker in the top-left corner."""
    im = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(im)
    for x in range(0, width, 4):
        draw.line((x, 0, x, height), fill=(color[0], (color[1] + x) % 256, color[2]))
    draw.rectangle((0, 0, max(1, width // 4), max(1, height // 4)), fill=(255, 0, 0))
    return im


def exif_block(*, orientation: int | None = None, taken: dt.datetime | None = None,
               offset: str | None = "+08:00", lat: float | None = None,
               lng: float | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ACME"  # Make
    exif[0x0110] = "Phone X"  # Model
    if orientation:
        exif[0x0112] = orientation
    sub = exif.get_ifd(EXIF_IFD)
    sub[0xA431] = SERIAL  # BodySerialNumber
    if taken is not None:
        sub[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            sub[0x9011] = offset
    if lat is not None and lng is not None:
        gps = exif.get_ifd(GPS_IFD)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        gps[3], gps[4] = ("E" if lng >= 0 else "W"), _dms(abs(lng))
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return (float(d), float(m), round((value - d - m / 60) * 3600, 4))


def encode(im: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, *, color: tuple[int, int, int] = (90, 140, 60),
         exif: Image.Exif | None = None, icc: bytes | None = None) -> bytes:
    params: dict[str, object] = {"quality": 90}
    if exif is not None:
        params["exif"] = exif.tobytes()
    if icc is not None:
        params["icc_profile"] = icc
    return encode(picture(width, height, color), "JPEG", **params)


def png(width: int = 64, height: int = 48) -> bytes:
    return encode(picture(width, height).convert("RGBA"), "PNG")


def webp(width: int = 64, height: int = 48) -> bytes:
    return encode(picture(width, height), "WEBP", quality=80)


def heic(width: int = 64, height: int = 48) -> bytes:
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(picture(width, height)).save(out, format="HEIF", quality=60)
    return out.getvalue()


def gif(width: int = 16, height: int = 16) -> bytes:
    return encode(picture(width, height), "GIF")


def apng(frames: int = 3) -> bytes:
    """An animated PNG (APNG): several frames, acTL chunk."""
    images = [picture(32, 24, (40 * i, 100, 100)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "PNG", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def animated_webp(frames: int = 3) -> bytes:
    images = [picture(32, 24, (40 * i, 100, 100)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "WEBP", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def jpeg_with_zip_appended() -> bytes:
    """A polyglot: a valid JPEG that is also a valid ZIP (GIFAR-style: the ZIP is read from the end)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload/Exploit.class", b"\xca\xfe\xba\xbe" + b"\x00" * 64)
    return jpeg() + archive.getvalue()


def jpeg_with_html_comment() -> bytes:
    """A polyglot: a JPEG whose COM segment carries an HTML page with a script."""
    data = jpeg()
    payload = b"<html><body><script>alert(document.cookie)</script></body></html>"
    segment = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + segment + data[2:]


def jpeg_with_html_appended() -> bytes:
    return jpeg() + b"<!DOCTYPE html><html><script>fetch('/api/v1/auth/me')</script></html>"


def truncated_jpeg() -> bytes:
    data = jpeg(160, 120)
    return data[: len(data) * 2 // 3]


def png_bomb(width: int, height: int) -> bytes:
    """A real decompression bomb: a complete, valid 1-bit PNG of width × height white pixels.

    Zeros compress ~1000:1, so a file of kilobytes declares (and would decode to) gigapixels.
    """
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, (1 << 20) // len(row))
    block = row * rows_per_block
    parts = []
    remaining = height
    while remaining:
        n = min(rows_per_block, remaining)
        parts.append(compressor.compress(block if n == rows_per_block else row * n))
        remaining -= n
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))
