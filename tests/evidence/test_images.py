"""Checking untrusted image bytes and making derivatives (no app, no database)."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from hazardloop.evidence import images
from tests.support import imagefiles as f

ZONE = ZoneInfo("Asia/Shanghai")
LIMIT = 50_000_000


def inspect(data: bytes, max_pixels: int = LIMIT) -> images.ImageFacts:
    return images.inspect(data, max_pixels=max_pixels, zone=ZONE)[1]


@pytest.mark.parametrize(("make", "media_type"), [
    (f.jpeg, "jpeg"), (f.png, "png"), (f.webp, "webp"), (f.heic, "heif"),
])
def test_accepted_formats_are_recognised_from_their_content(make, media_type):
    facts = inspect(make())
    assert (facts.media_type, facts.width, facts.height) == (media_type, 64, 48)


@pytest.mark.parametrize(("name", "make", "code"), [
    ("text file named .jpg", lambda: "巡查记录：消防通道畅通。\n".encode() * 20, "photo_not_an_image"),
    ("GIF (Pillow could open it; we do not)", f.gif, "photo_not_an_image"),
    ("TIFF", lambda: f.encode(f.picture(), "TIFF"), "photo_not_an_image"),
    ("truncated JPEG", f.truncated_jpeg, "photo_truncated"),
    ("JPEG + ZIP (GIFAR-style)", f.jpeg_with_zip_appended, "photo_polyglot"),
    ("JPEG with HTML in a comment", f.jpeg_with_html_comment, "photo_polyglot"),
    ("JPEG + HTML appended", f.jpeg_with_html_appended, "photo_polyglot"),
    ("animated PNG (APNG)", f.apng, "photo_animated"),
    ("animated WebP", f.animated_webp, "photo_animated"),
    ("gigapixel PNG bomb", lambda: f.png_bomb(20000, 20000), "photo_too_many_pixels"),
])
def test_bad_uploads_are_rejected_with_a_stable_code(name, make, code):
    with pytest.raises(images.ImageRejected) as caught:
        inspect(make())
    assert caught.value.code == code, name
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_corrupt_scan_data_is_rejected_when_decoding():
    data = bytearray(f.jpeg(160, 120))
    start = data.index(b"\xff\xda") + 20
    data[start:start + 200] = b"\xff\x00" * 100  # keeps the structure, destroys the entropy code
    data[start + 1] = 0xC8  # an illegal marker inside the scan
    with pytest.raises(images.ImageRejected) as caught:
        images.make_derivatives(bytes(data), max_pixels=LIMIT, zone=ZONE, watermark=lambda im, facts: im.height)
    assert caught.value.code in ("photo_corrupt", "photo_truncated")


def test_own_pixel_limit_applies_below_pillows_limit():
    bomb = f.png_bomb(8000, 7500)  # 60 MP: Pillow would not even warn
    assert len(bomb) < 20_000
    with pytest.raises(images.ImageRejected) as caught:
        inspect(bomb)
    assert caught.value.code == "photo_too_many_pixels"


def test_pillows_bomb_warning_is_an_error_even_where_warnings_are_ignored():
    """Between Pillow's limit and twice it Pillow only warns; the check must not depend on that."""
    bomb = f.png_bomb(10000, 10000)  # 100 MP: in Pillow's "warn only" band
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as a production process might run
        with pytest.raises(images.ImageRejected) as caught:
            inspect(bomb, max_pixels=10**10)  # our own limit set out of the way
    assert caught.value.code == "photo_too_many_pixels"


def test_gigapixel_bomb_is_refused_before_decoding():
    bomb = f.png_bomb(50000, 40000)  # 2 gigapixels in a small file
    assert len(bomb) < 400_000
    with pytest.raises(images.ImageRejected):
        inspect(bomb, max_pixels=10**11)


def test_draft_with_a_square_box_gains_nothing_but_with_own_aspect_halves():
    data = f.jpeg(400, 300)
    naive = Image.open(io.BytesIO(data))
    naive.draft("RGB", (160, 160))  # 400//160 = 2 but 300//160 = 1: no reduction
    naive.load()
    assert naive.size == (400, 300)
    ours = images.decode(Image.open(io.BytesIO(data)), 160)
    assert ours.size == (200, 150)  # decoded at 1/2 scale by libjpeg


ORIENTED_CORNER = {  # where the red top-left marker ends up once the orientation is applied
    1: "tl", 2: "tr", 3: "br", 4: "bl", 5: "tl", 6: "tr", 7: "br", 8: "bl",
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_to_derivatives(orientation):
    data = f.jpeg(80, 40, exif=f.exif_block(orientation=orientation))
    made = images.make_derivatives(data, max_pixels=LIMIT, zone=ZONE, watermark=lambda im, facts: im.height)
    im = Image.open(io.BytesIO(made.public)).convert("RGB")
    assert im.size == ((40, 80) if orientation >= 5 else (80, 40))
    w, h = im.size
    corners = {"tl": (2, 2), "tr": (w - 3, 2), "bl": (2, h - 3), "br": (w - 3, h - 3)}
    red = {name for name, xy in corners.items() if im.getpixel(xy)[0] > 200 and im.getpixel(xy)[1] < 80}
    assert red == {ORIENTED_CORNER[orientation]}


def test_exif_time_and_place_are_read_with_the_offset():
    taken = dt.datetime(2026, 11, 20, 9, 30, 5)
    facts = inspect(f.jpeg(exif=f.exif_block(taken=taken, lat=30.3125, lng=120.15625)))
    assert facts.exif_taken_at == dt.datetime(2026, 11, 20, 1, 30, 5, tzinfo=dt.UTC)
    assert facts.exif_lat == pytest.approx(30.3125, abs=1e-5)
    assert facts.exif_lng == pytest.approx(120.15625, abs=1e-5)


def test_derivative_sizes():
    made = images.make_derivatives(f.jpeg(2400, 1800), max_pixels=LIMIT, zone=ZONE,
                                   watermark=lambda im, facts: im.height)
    assert Image.open(io.BytesIO(made.evidence)).size == (1600, 1200)
    assert Image.open(io.BytesIO(made.thumbnail)).size == (320, 240)


def test_an_mpo_gain_map_after_the_jpeg_is_not_a_polyglot():
    """Phones append further complete JPEGs (MPO gain maps, depth); those are accepted."""
    first, second = f.picture(64, 48), f.picture(32, 24, (10, 10, 10))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert inspect(out.getvalue()).media_type == "jpeg"


@pytest.mark.parametrize(("name", "make"), [
    ("truncated JPEG", f.truncated_jpeg),
    ("illegal marker in the scan", lambda: _with_corrupt_scan(f.jpeg(160, 120))),
])
def test_the_uploads_cheap_decode_alone_refuses_damaged_pixel_data(name, make):
    """Independent of the container walk: the 1/8-scale decode at upload reads every coded block."""
    with pytest.raises(images.ImageRejected) as caught:
        images.check_decodes(Image.open(io.BytesIO(make())))
    assert caught.value.code in ("photo_corrupt", "photo_truncated"), name


def test_a_truncated_photo_is_refused_even_after_weasyprint_is_imported():
    import weasyprint  # noqa: F401  -- sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole process

    with pytest.raises(images.ImageRejected) as caught:
        images.check_decodes(Image.open(io.BytesIO(f.truncated_jpeg())))
    assert caught.value.code == "photo_truncated"


def _with_corrupt_scan(data: bytes) -> bytes:
    damaged = bytearray(data)
    start = damaged.index(b"\xff\xda") + 20
    damaged[start:start + 200] = b"\xff\x00" * 100
    damaged[start + 1] = 0xC8
    return bytes(damaged)


def test_the_upload_check_decodes_a_jpeg_at_one_eighth_scale():
    im, _ = images.inspect(f.jpeg(800, 600), max_pixels=LIMIT, zone=ZONE)
    images.check_decodes(im)
    assert im.size == (100, 75)


def test_the_thumbnail_is_an_exact_box_reduce_of_the_evidence_base():
    made = images.make_derivatives(f.jpeg(1600, 1200), max_pixels=LIMIT, zone=ZONE,
                                   watermark=lambda im, facts: im.height)
    assert Image.open(io.BytesIO(made.thumbnail)).size == (320, 240)
    assert images.fit(Image.new("RGB", (1600, 1200)), 320).size == (320, 240)
    assert images.fit(Image.new("RGB", (2000, 1500)), 1600).size == (1600, 1200)
    assert images.fit(Image.new("RGB", (1599, 1000)), 320).size == (320, 200)


def _scene(width: int, height: int) -> Image.Image:
    return Image.effect_noise((width, height), 40).convert("RGB").resize((width, height))


@pytest.mark.parametrize(("size", "first_row"), [
    ((1600, 1200), 1050), ((1600, 1200), 1056), ((1200, 1600), 1500), ((1599, 1067), 1000), ((320, 240), 5),
    ((1600, 1200), 0), ((1600, 1200), 1200),
])
def test_replacing_the_bottom_rows_gives_exactly_the_whole_encode(size, first_row):
    """The evidence copy reuses the public copy's coded rows above the strip: byte for byte the full encode."""
    from PIL import ImageDraw

    image = _scene(*size)
    public = images.encode_jpeg(image, restarts=True)
    ImageDraw.Draw(image).rectangle((0, first_row, size[0], size[1]), fill=(0, 0, 0))
    spliced = images.with_bottom_replaced(public, image, first_row)
    assert spliced == images.encode_jpeg(image, restarts=True)
    decoded = Image.open(io.BytesIO(spliced))
    decoded.load()
    assert decoded.size == size


def test_the_evidence_copy_is_the_public_copy_with_the_strip_burnt_in():
    from PIL import ImageChops

    def strip(im: Image.Image, facts: images.ImageFacts) -> int:
        im.paste((0, 0, 0), (0, 1100, im.width, im.height))
        return 1100

    made = images.make_derivatives(f.jpeg(2400, 1800), max_pixels=LIMIT, zone=ZONE, watermark=strip)
    evidence, public = (Image.open(io.BytesIO(b)).convert("RGB") for b in (made.evidence, made.public))
    # Identical above the MCU row holding the strip's edge (a decoder blends chroma across one row).
    above = (0, 0, 1600, 1080)
    assert ImageChops.difference(evidence.crop(above), public.crop(above)).getbbox() is None
    assert max(evidence.crop((0, 1104, 1600, 1200)).convert("L").getextrema()) < 20
