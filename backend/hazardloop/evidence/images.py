"""Untrusted image bytes in, a checked still and its derivatives out (Pillow only, no Flask).

Every upload is hostile until proven otherwise. The order of the checks is the point:
size, then the format from the magic bytes (never the name or the declared type), then
the structure of the container (truncation, foreign data appended: polyglots), then the
header's pixel count *before* anything is decoded, and only then a decode, with Pillow
restricted to the one format detected and its bomb warning turned into an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageCms, ImageFile

# Pillow hands freed image memory back to the OS by default, so each photo's ~30 MB of buffers
# (the 2000 px decode, the 1600 px base) are page-faulted in afresh: ≈10 ms of kernel time per
# derivative set. Keeping a few freed 16 MB blocks for the next photo avoids that.
Image.core.set_blocks_max(max(Image.core.get_blocks_max(), 4))

EVIDENCE_LONG_SIDE = 1600
THUMB_LONG_SIDE = 320
JPEG_QUALITY = 82

# (stored media type, Pillow format name, MIME type)
JPEG, PNG, WEBP, HEIF = "jpeg", "png", "webp", "heif"
PIL_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIF: "HEIF"}
MIME = {JPEG: "image/jpeg", PNG: "image/png", WEBP: "image/webp", HEIF: "image/heic"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
# Markup a browser could be talked into running, found anywhere in the file.
_MARKUP = re.compile(rb"<(?:script|html|\?php|svg|iframe|body|object|embed|!doctype)[\s>/]", re.IGNORECASE)


class ImageRejected(Exception):
    """The bytes are not an acceptable still photo; ``code`` is stable, ``message`` is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass(frozen=True)
class ImageFacts:
    """What the checks learned from the original, without its pixels."""

    media_type: str
    width: int  # as displayed, orientation applied
    height: int
    orientation: int
    exif_taken_at: dt.datetime | None
    exif_lat: float | None
    exif_lng: float | None


@dataclasses.dataclass
class Derivatives:
    """Encoded derivative files (JPEG bytes) and the facts found on the way."""

    facts: ImageFacts
    evidence: bytes
    thumbnail: bytes
    public: bytes


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        # Thumbnails and depth images inside the container are never read.
        pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _heif_registered = True


# --- format and container structure -----------------------------------------------------

def sniff(data: bytes) -> str:
    """The format from the content's magic bytes; raises ImageRejected for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp":
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, min(_be32(data, 0), 64), 4)}
        if brands & _HEIF_BRANDS and b"avif" not in brands and b"avis" not in brands:
            return HEIF
    raise ImageRejected("photo_not_an_image", "文件不是可接受的照片（仅支持 JPEG、PNG、WebP、HEIC/HEIF），"
                        "请勿上传改了扩展名的其他文件。")


def _be32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset:offset + 4], "big") if len(data) >= offset + 4 else 0


# The end of entropy-coded data: a 0xFF (then fill bytes) followed by a real marker, not a stuffed
# 0xFF00 or a restart marker. Written with a literal leading 0xFF so the regex engine can skip to
# each 0xFF at memchr speed; `\xff+…` has no literal prefix and tries every byte (≈25× slower).
_SCAN_END = re.compile(rb"\xff\xff*[^\x00\xd0-\xd7\xff]")


def _truncated() -> ImageRejected:
    return ImageRejected("photo_truncated", "照片文件不完整（可能上传中断或文件已损坏），请重新上传。")


def _jpeg_end(data: bytes, start: int) -> int:
    """Offset just past the EOI of the JPEG starting at ``start``; raises on truncation."""
    i, n = start + 2, len(data)
    while True:
        while i < n and data[i] == 0xFF and i + 1 < n and data[i + 1] == 0xFF:
            i += 1  # fill bytes
        if i + 2 > n:
            raise _truncated()
        if data[i] != 0xFF:
            raise ImageRejected("photo_corrupt", "照片文件已损坏，无法识别。")
        marker = data[i + 1]
        if marker == 0xD9:
            return i + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        if i + 4 > n:
            raise _truncated()
        length = int.from_bytes(data[i + 2:i + 4], "big")
        i += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data runs until a marker that is not
            m = _SCAN_END.search(data, i)  # a stuffed 0xFF00, a restart marker or fill
            if m is None:
                raise _truncated()
            i = m.end() - 2
        if i > n:
            raise _truncated()


def _png_end(data: bytes) -> int:
    i, n = 8, len(data)
    while True:
        if i + 12 > n:
            raise _truncated()
        length = _be32(data, i)
        kind = data[i + 4:i + 8]
        i += 12 + length
        if i > n:
            raise _truncated()
        if kind == b"IEND":
            return i


def _webp_end(data: bytes) -> int:
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data):
        raise _truncated()
    return end


def _isobmff_end(data: bytes) -> int:
    """Walk the top-level boxes; a box that does not parse is foreign data."""
    i, n = 0, len(data)
    while i < n:
        if i + 8 > n:
            raise ImageRejected("photo_polyglot", _POLYGLOT_MESSAGE)
        size, kind = _be32(data, i), data[i + 4:i + 8]
        if size == 1:
            size = int.from_bytes(data[i + 8:i + 16], "big")
        elif size == 0:
            size = n - i
        if size < 8 or not all(0x20 <= c < 0x7F for c in kind):
            raise ImageRejected("photo_polyglot", _POLYGLOT_MESSAGE)
        if i + size > n:
            raise _truncated()
        i += size
    return n


_POLYGLOT_MESSAGE = ("照片文件中夹带了其他内容（如压缩包、网页或程序），出于安全原因拒收。"
                     "请上传相机直接拍摄的照片。")


def check_structure(data: bytes, media_type: str) -> None:
    """Refuse truncated containers and any bytes that are not part of the image (polyglots).

    A JPEG may be followed by further complete JPEGs: phones store MPO gain maps and
    depth images that way. Anything else after the image's end is refused.
    """
    if media_type == JPEG:
        end = _jpeg_end(data, 0)
        while end < len(data) and data[end:end + 3] == b"\xff\xd8\xff":
            end = _jpeg_end(data, end)
    elif media_type == PNG:
        end = _png_end(data)
    elif media_type == WEBP:
        end = _webp_end(data)
    else:
        end = _isobmff_end(data)
    trailer = data[end:].rstrip(b"\x00")
    if trailer or _MARKUP.search(data) or _is_zip(data):
        raise ImageRejected("photo_polyglot", _POLYGLOT_MESSAGE)


def _is_zip(data: bytes) -> bool:
    # A ZIP is read from its end, so one can hide inside an image's metadata too.
    try:
        return zipfile.is_zipfile(io.BytesIO(data))
    except Exception:
        return False


# --- opening and decoding --------------------------------------------------------------

def _bomb(pixels: int, limit: int) -> ImageRejected:
    return ImageRejected(
        "photo_too_many_pixels",
        f"照片像素过多（{pixels / 1e6:.0f} 百万像素，上限 {limit / 1e6:.0f} 百万像素），"
        "可能是解压炸弹，已拒收。",
    )


def open_checked(data: bytes, media_type: str, max_pixels: int) -> Image.Image:
    """Open (header only) with Pillow limited to ``media_type``; refuses bombs and multi-frame files."""
    if media_type == HEIF:
        _register_heif()
    # Pillow only *warns* between its limit and twice it; make that an error here, deliberately.
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    try:
        im = Image.open(io.BytesIO(data), formats=[PIL_FORMAT[media_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(_declared_pixels(exc), max_pixels) from exc
    except Exception as exc:
        raise ImageRejected("photo_corrupt", "照片文件已损坏或格式有误，无法读取。") from exc
    width, height = im.size
    if width * height > max_pixels:
        raise _bomb(width * height, max_pixels)
    if width < 1 or height < 1:
        raise ImageRejected("photo_corrupt", "照片尺寸无效。")
    # MPO extra images (gain maps, depth) are not frames of a moving picture.
    frames = 1 if im.format == "MPO" else getattr(im, "n_frames", 1)
    if frames > 1 or (getattr(im, "is_animated", False) and im.format != "MPO"):
        raise ImageRejected("photo_animated", "不接受动图或多帧图片，请上传单张静态照片。")
    return im


def _declared_pixels(exc: Exception) -> int:
    m = re.search(r"\((\d+) pixels\)", str(exc))
    return int(m.group(1)) if m else 0


def decode(im: Image.Image, long_side: int | None, *, draft: bool = True) -> Image.Image:
    """Decode, for JPEG at the smallest libjpeg scale (1/2, 1/4, 1/8) still ≥ ``long_side``.

    Pillow's draft() keeps a scale only if it fits *both* requested dimensions, so the box
    asked for must have the image's own aspect: a square box would forbid any reduction.
    Raises ImageRejected for truncated or corrupt pixel data.
    """
    if draft and long_side and im.format in ("JPEG", "MPO"):
        w, h = im.size
        scale = long_side / max(w, h)
        if scale < 1:
            im.draft("RGB", (max(1, round(w * scale)), max(1, round(h * scale))))
    _feed_whole(im)
    # WeasyPrint sets this process-wide on import ("don't crash on truncated images"); evidence must.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im.load()
    except Exception as exc:
        if "truncated" in str(exc):
            raise _truncated() from exc
        raise ImageRejected("photo_corrupt", "照片文件已损坏，无法解码。") from exc
    return im


def _feed_whole(im: Image.Image) -> None:
    # The bytes are in memory: hand them to the decoder in one piece rather than Pillow's 64 KiB
    # reads, each of which makes libjpeg suspend and resume (≈5 % of a 12 MP decode).
    fp = getattr(im, "fp", None)
    if isinstance(fp, io.BytesIO):
        im.decodermaxblock = max(im.decodermaxblock, len(fp.getbuffer()))


def check_decodes(im: Image.Image) -> None:
    """Decode the pixels as cheaply as the format allows, to refuse corrupt data at upload.

    A JPEG is decoded at 1/8 scale: libjpeg still reads every entropy-coded block (where
    corruption shows) but skips the inverse DCT and colour work. Other formats have no
    reduced decode; their pixel count is bounded by the limit already checked.
    """
    if im.format in ("JPEG", "MPO"):
        w, h = im.size
        im.draft(None, (max(1, w // 8), max(1, h // 8)))
    decode(im, None, draft=False)


def to_rgb(im: Image.Image) -> Image.Image:
    """Plain RGB: alpha flattened on white, palettes, greys and CMYK expanded."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im if im.mode == "RGB" else im.convert("RGB")


def to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert from the original's embedded ICC profile (Display P3 on iPhones) to sRGB.

    Done on the reduced image: a colour transform costs per pixel.
    """
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            im = ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB") or im
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: keep the pixels as they are
    return im


_SRGB = ImageCms.createProfile("sRGB")


def fit(im: Image.Image, long_side: int) -> Image.Image:
    """Shrink so the long side is at most ``long_side``.

    An integer factor (the 1600 px base to the 320 px thumbnail) is an exact box reduce, the
    area average and the cheapest step. After draft() the remaining factor is below 2 (4000 →
    2000 → 1600 is 1.25): there a triangle filter sized to the factor (Pillow's BILINEAR when
    shrinking) is as sharp as LANCZOS to the eye (40.0 dB vs 41.7 dB against LANCZOS from the
    full-size decode, benchmarks/photo_derivatives.py's photo) at 60 % of its cost; BOX would save
    another 9 ms but aliases the sensor noise (34.6 dB).
    """
    w, h = im.size
    scale = long_side / max(w, h)
    if scale >= 1:
        return im
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    factor = max(w, h) // long_side
    if factor > 1 and w % factor == 0 and h % factor == 0 and (w // factor, h // factor) == size:
        return im.reduce(factor)
    return im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def orient(im: Image.Image, orientation: int) -> Image.Image:
    """Apply an EXIF orientation to the (already small) image: rotating the full size costs far more."""
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}.get(orientation)
    return im.transpose(method) if method is not None else im


def encode_jpeg(im: Image.Image, *, restarts: bool = False) -> bytes:
    """JPEG with no metadata block at all: no EXIF, XMP, ICC or comment.

    4:2:0 chroma (MCU rows of 16 pixel rows). ``restarts`` puts a restart marker after every
    MCU row, which makes each row's coded data independent: see with_bottom_replaced().
    """
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=2, optimize=False, progressive=False,
            restart_marker_rows=1 if restarts else 0)
    return out.getvalue()


MCU_ROWS = 16  # pixel rows per MCU row at 4:2:0
_RST = re.compile(rb"\xff[\xd0-\xd7]")


def _scan_rows(jpeg: bytes) -> tuple[bytes, list[bytes]]:
    """(everything up to the scan data, the coded data of each MCU row) of a JPEG from encode_jpeg(restarts=True)."""
    sos = jpeg.index(b"\xff\xda")
    start = sos + 2 + int.from_bytes(jpeg[sos + 2:sos + 4], "big")
    end = jpeg.rindex(b"\xff\xd9")
    rows, pos = [], start
    for marker in _RST.finditer(jpeg, start, end):  # in coded data a 0xFF is always followed by 0x00
        rows.append(jpeg[pos:marker.start()])
        pos = marker.end()
    rows.append(jpeg[pos:end])
    return jpeg[:start], rows


def _tables(header: bytes) -> list[bytes]:
    """The quantisation, Huffman and restart-interval segments of a JPEG header."""
    found, i = [], 2
    while i + 4 <= len(header) and header[i] == 0xFF:
        length = int.from_bytes(header[i + 2:i + 4], "big")
        if header[i + 1] in (0xDB, 0xC4, 0xDD):
            found.append(header[i:i + 2 + length])
        i += 2 + length
    return found


def with_bottom_replaced(whole: bytes, image: Image.Image, first_row: int) -> bytes:
    """``whole`` (encode_jpeg(restarts=True) of an earlier state of ``image``) re-encoded where
    ``image`` changed, from ``first_row`` down; the rows above are reused as coded.

    The evidence copy is the public copy plus the strip at the bottom: instead of encoding all
    1600×1200 pixels a second time, only the MCU rows holding the strip are encoded, with the
    same tables, and spliced in. The result is byte for byte what encoding ``image`` whole with
    encode_jpeg(restarts=True) gives (tested); when anything does not line up it is exactly that.
    """
    width, height = image.size
    first = (max(0, first_row) // MCU_ROWS) * MCU_ROWS
    if first == 0 or image.mode != "RGB":
        return encode_jpeg(image, restarts=True)
    if first >= height:
        return whole
    head, rows = _scan_rows(whole)
    bottom_head, bottom_rows = _scan_rows(encode_jpeg(image.crop((0, first, width, height)), restarts=True))
    kept = first // MCU_ROWS
    if _tables(head) != _tables(bottom_head) or kept + len(bottom_rows) != len(rows):
        return encode_jpeg(image, restarts=True)
    out = bytearray(head)
    for k, row in enumerate(rows[:kept] + bottom_rows):
        if k:
            out += bytes((0xFF, 0xD0 + (k - 1) % 8))  # RST0…RST7 in turn
        out += row
    out += b"\xff\xd9"
    return bytes(out)


# --- EXIF facts ----------------------------------------------------------------------------

def _exif_facts(im: Image.Image, zone: dt.tzinfo) -> tuple[int, dt.datetime | None, float | None,
                                                           float | None]:
    try:
        exif = im.getexif()
    except Exception:
        return 1, None, None, None
    orientation = exif.get(0x0112, 1)
    orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1
    taken_at = lat = lng = None
    try:
        sub = exif.get_ifd(0x8769)
        raw = sub.get(0x9003) or exif.get(0x0132)
        if isinstance(raw, str) and raw.strip():
            taken_at = dt.datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S")
            offset = sub.get(0x9011)  # OffsetTimeOriginal, e.g. "+08:00"
            tz = _offset(offset) or zone
            taken_at = taken_at.replace(tzinfo=tz).astimezone(dt.UTC)
        gps = exif.get_ifd(0x8825)
        if gps.get(2) and gps.get(4):
            lat = _dms(gps[2]) * (-1 if gps.get(1) == "S" else 1)
            lng = _dms(gps[4]) * (-1 if gps.get(3) == "W" else 1)
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                lat = lng = None
    except (ValueError, TypeError, ZeroDivisionError, KeyError):
        pass
    return orientation, taken_at, lat, lng


def _offset(value: Any) -> dt.tzinfo | None:
    if isinstance(value, str) and re.fullmatch(r"[+-]\d\d:\d\d", value.strip()):
        sign = -1 if value.strip()[0] == "-" else 1
        hours, minutes = int(value[1:3]), int(value[4:6])
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return None


def _dms(value: Any) -> float:
    d, m, s = (float(x) for x in value)
    return d + m / 60 + s / 3600


# --- the whole pipeline ------------------------------------------------------------------

def inspect(data: bytes, *, max_pixels: int, zone: dt.tzinfo,
            structure_checked: bool = False) -> tuple[Image.Image, ImageFacts]:
    """Run every check that needs no decode; returns the opened (not yet decoded) image and its facts.

    ``structure_checked``: the bytes passed check_structure() before (a stored original), so the
    walk over the container is not repeated; the format, pixel limit and frame checks always run.
    """
    media_type = sniff(data)
    if not structure_checked:
        check_structure(data, media_type)
    im = open_checked(data, media_type, max_pixels)
    orientation, taken_at, lat, lng = _exif_facts(im, zone)
    w, h = im.size
    if orientation >= 5:
        w, h = h, w
    return im, ImageFacts(media_type, w, h, orientation, taken_at, lat, lng)


def check_upload(data: bytes, *, max_pixels: int, zone: dt.tzinfo) -> ImageFacts:
    """Everything an upload must pass before its original is kept, without making derivatives.

    The structural checks and the header's pixel count, then a cheap decode (JPEG at 1/8
    scale) that refuses truncated or corrupt pixel data. Raises ImageRejected.
    """
    im, facts = inspect(data, max_pixels=max_pixels, zone=zone)
    check_decodes(im)
    return facts


def make_derivatives(
    data: bytes,
    *,
    max_pixels: int,
    zone: dt.tzinfo,
    watermark: Callable[[Image.Image, ImageFacts], int],
    draft: bool = True,
    structure_checked: bool = False,
) -> Derivatives:
    """Check the original and make the evidence copy (watermarked), thumbnail and public copy.

    ``watermark`` burns the strip into the image it is given, in place, and returns the first
    pixel row it changed (the image's height: none).

    One decode, at reduced scale where the format allows (a 12 MP JPEG at 1/2: 2000 px), one
    resize to the 1600 px base; the thumbnail is reduced from the base, never from the original,
    and the orientation and colour transform are applied to the base. The public copy is
    encoded, then the strip is burnt into the same pixels and only its rows are encoded again
    for the evidence copy: nothing is copied, nothing is encoded twice. Raises ImageRejected.
    """
    im, facts = inspect(data, max_pixels=max_pixels, zone=zone, structure_checked=structure_checked)
    icc = im.info.get("icc_profile")
    decoded = to_rgb(decode(im, EVIDENCE_LONG_SIDE, draft=draft))
    base = orient(to_srgb(fit(decoded, EVIDENCE_LONG_SIDE), icc), facts.orientation)
    thumbnail = encode_jpeg(fit(base, THUMB_LONG_SIDE))
    public = encode_jpeg(base, restarts=True)
    first_changed_row = watermark(base, facts)
    return Derivatives(facts=facts, evidence=with_bottom_replaced(public, base, first_changed_row),
                       thumbnail=thumbnail, public=public)
