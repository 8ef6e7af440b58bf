"""Uploading photos and reading them back through /api/v1/photos."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from hazardloop.evidence import services
from hazardloop.evidence.models import Photo, PhotoUpload
from hazardloop.evidence.services import CaptureRecord
from tests.conftest import assert_problem
from tests.support import imagefiles as f
from tests.support.uploads import upload


def files_under(app) -> set[Path]:
    return {p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()}


def test_upload_returns_the_photo_named_by_its_sha256(inspector_client):
    data = f.jpeg(640, 480)
    response = upload(inspector_client, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == hashlib.sha256(data).hexdigest()
    assert (body["media_type"], body["width"], body["height"]) == ("jpeg", 640, 480)
    assert body["thumbnail_url"].startswith(f"/api/v1/photos/{body['id']}/thumbnail?v=")


@pytest.mark.parametrize(("make", "name", "media_type"), [
    (f.png, "screenshot.png", "png"), (f.webp, "photo.webp", "webp"), (f.heic, "IMG_4821.HEIC", "heif"),
])
def test_png_webp_and_heic_are_accepted(inspector_client, make, name, media_type):
    response = upload(inspector_client, make(), name)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["media_type"] == media_type
    thumb = inspector_client.get(response.get_json()["thumbnail_url"])
    assert thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size == (64, 48)


def test_reupload_after_a_dropped_connection_returns_the_same_photo_and_stores_nothing_twice(
    app, db, inspector_client
):
    data = f.jpeg(320, 240, color=(10, 200, 30))
    first = upload(inspector_client, data)
    stored = files_under(app)
    second = upload(inspector_client, data, "IMG_0001 (1).jpg")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert files_under(app) == stored
    assert db.session.query(Photo).count() == 1
    assert db.session.query(PhotoUpload).count() == 1


def test_client_may_ask_by_hash_before_sending_the_body(inspector_client):
    data = f.jpeg(color=(1, 2, 3))
    digest = hashlib.sha256(data).hexdigest()
    assert inspector_client.client.head(f"/api/v1/photos/{digest}").status_code == 404
    upload(inspector_client, data)
    assert inspector_client.client.head(f"/api/v1/photos/{digest}").status_code == 200


def test_client_hash_that_does_not_match_the_bytes_is_refused(inspector_client):
    body = assert_problem(upload(inspector_client, f.jpeg(), sha256="0" * 64), 422, "validation_failed")
    assert body["errors"][0]["code"] == "hash_mismatch"


REJECTS = [
    ("zero-byte file", lambda: b"", "photo_empty"),
    ("text renamed to .jpg", lambda: "现场检查记录\n".encode() * 50, "photo_not_an_image"),
    ("truncated JPEG", f.truncated_jpeg, "photo_truncated"),
    ("decompression bomb", lambda: f.png_bomb(20000, 20000), "photo_too_many_pixels"),
    ("JPEG + ZIP polyglot", f.jpeg_with_zip_appended, "photo_polyglot"),
    ("JPEG + HTML polyglot", f.jpeg_with_html_comment, "photo_polyglot"),
    ("APNG", f.apng, "photo_animated"),
    ("animated WebP", f.animated_webp, "photo_animated"),
]


@pytest.mark.parametrize(("name", "make", "code"), REJECTS, ids=[r[0] for r in REJECTS])
def test_bad_uploads_are_problems_with_a_chinese_detail(app, db, inspector_client, name, make, code):
    before = files_under(app)
    assert_problem(upload(inspector_client, make(), "IMG_0002.jpg"), 422, code)
    assert db.session.query(Photo).count() == 0
    assert files_under(app) == before  # nothing of a rejected upload is kept


def test_file_over_the_default_limit_is_413(inspector_client):
    too_big = f.jpeg() + b"\x00" * (15 * 1024 * 1024)
    # Encoded here, in memory: the test client would spool a body this size to an unclosed temp file.
    boundary = "----hazardloop-test"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode() + too_big + f"\r\n--{boundary}--\r\n".encode()
    response = inspector_client.post("/api/v1/photos", data=body,
                                     content_type=f"multipart/form-data; boundary={boundary}")
    problem = assert_problem(response, 413, "photo_too_large")
    assert "15 MB" in problem["detail"]


def test_limit_is_configurable(app, inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 2000)
    data = f.jpeg(200, 150)
    assert len(data) > 2000
    assert_problem(upload(inspector_client, data), 413, "photo_too_large")


def test_original_is_kept_byte_for_byte(inspector_client):
    data = f.jpeg(exif=f.exif_block(lat=30.3, lng=120.1))
    photo = upload(inspector_client, data).get_json()
    original = inspector_client.get(photo["original_url"])
    assert original.data == data
    assert hashlib.sha256(original.data).hexdigest() == photo["id"]
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.headers["X-Content-Type-Options"] == "nosniff"


def test_public_copy_carries_no_metadata(db, inspector_client):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = f.jpeg(exif=f.exif_block(taken=dt.datetime(2026, 11, 20, 9, 30), lat=30.31, lng=120.15),
                  icc=profile)
    photo_id = upload(inspector_client, data).get_json()["id"]
    photo = db.session.get(Photo, photo_id)
    services.set_published(photo, True)
    db.session.commit()
    response = inspector_client.client.get(f"/api/v1/photos/{photo_id}/public")  # no login needed
    assert response.status_code == 200
    copy = Image.open(io.BytesIO(response.data))
    assert not copy.getexif()
    assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(copy.info)
    assert f.SERIAL.encode() not in response.data and b"Exif" not in response.data
    assert response.headers["Cache-Control"].startswith("public")


def test_public_copy_is_served_only_once_published(db, api, inspector_client):
    photo_id = upload(inspector_client, f.jpeg()).get_json()["id"]
    assert_problem(api.get(f"/api/v1/photos/{photo_id}/public"), 404)
    services.set_published(db.session.get(Photo, photo_id), True)
    db.session.commit()
    assert api.get(f"/api/v1/photos/{photo_id}/public").status_code == 200


def _strip(image_bytes: bytes, lines: int = 4) -> tuple[Image.Image, Image.Image, int]:
    from hazardloop.evidence.watermark import strip_height

    im = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    top = im.height - strip_height(im.width, im.height, lines)
    return im.crop((0, top, im.width, im.height)), im.crop((0, 0, im.width, top)), top


def test_evidence_copy_carries_a_legible_watermark_strip(db, inspector_client):
    data = f.encode(Image.new("RGB", (800, 600), (128, 128, 128)), "JPEG", quality=95)
    photo = upload(inspector_client, data).get_json()
    evidence = inspector_client.get(photo["evidence_url"]).data
    public, _, _ = services.read_file(db.session.get(Photo, photo["id"]), "public")  # same pixels, no strip
    strip, above, _ = _strip(evidence)
    public_strip, public_above, _ = _strip(public)
    assert ImageStat.Stat(ImageChops.difference(above, public_above)).mean[0] < 2  # untouched above
    assert ImageStat.Stat(ImageChops.difference(strip, public_strip)).mean[0] > 30  # burnt in
    grey = strip.convert("L")
    assert ImageStat.Stat(grey).mean[0] < 100  # a dark strip …
    assert grey.point(lambda v: 255 if v > 200 else 0).histogram()[255] > 300  # … with white text on it


def test_capture_record_rewrites_the_watermark_and_flags_an_exif_mismatch(
    db, district, make_site, inspector, inspector_client
):
    exif = f.exif_block(taken=dt.datetime(2026, 11, 1, 9, 0), lat=31.23, lng=121.47)  # Shanghai, 3 weeks ago
    data = f.jpeg(800, 600, color=(128, 128, 128), exif=exif)
    photo_json = upload(inspector_client, data).get_json()
    photo = db.session.get(Photo, photo_json["id"])
    old_strip = _strip(inspector_client.get(photo_json["evidence_url"]).data)[0]
    site = make_site(district.grid_a1, lat=30.31, lng=120.15)
    services.apply_capture_record(photo, CaptureRecord(
        captured_at=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), site=site, inspector=inspector,
        hazard_number="YH-2026-00042"))
    db.session.commit()
    body = inspector_client.get(f"/api/v1/photos/{photo.id}").get_json()
    assert body["exif_mismatch"] is True
    assert body["exif_time_offset_s"] < -86400
    assert body["exif_distance_m"] > 100_000
    assert body["recorded_lat"] == 30.31 and body["site_id"] == site.id
    assert body["evidence_url"] != photo_json["evidence_url"]  # a new immutable version
    new_strip = _strip(inspector_client.get(body["evidence_url"]).data)[0]
    assert ImageChops.difference(old_strip, new_strip).getbbox() is not None


def test_matching_exif_is_not_flagged(db, inspector_client):
    exif = f.exif_block(taken=dt.datetime(2026, 11, 20, 18, 5), lat=30.31, lng=120.15)  # +08:00
    photo = db.session.get(Photo, upload(inspector_client, f.jpeg(exif=exif)).get_json()["id"])
    services.apply_capture_record(photo, CaptureRecord(
        captured_at=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), lat=30.3105, lng=120.1502))
    assert photo.exif_mismatch is False
    assert photo.exif_time_offset_s == 300


def test_thumbnail_is_upright(inspector_client):
    photo = upload(inspector_client, f.jpeg(400, 300, exif=f.exif_block(orientation=6))).get_json()
    assert (photo["width"], photo["height"]) == (300, 400)
    thumb = Image.open(io.BytesIO(inspector_client.get(photo["thumbnail_url"]).data))
    assert thumb.size == (240, 320)


def test_files_carry_etags_and_long_cache_lifetimes(inspector_client):
    photo = upload(inspector_client, f.jpeg()).get_json()
    response = inspector_client.get(photo["thumbnail_url"])
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    etag = response.headers["ETag"]
    again = inspector_client.client.get(photo["thumbnail_url"], headers={"If-None-Match": etag})
    assert again.status_code == 304
    unversioned = inspector_client.get(f"/api/v1/photos/{photo['id']}/evidence")
    assert unversioned.headers["Cache-Control"] == "private, no-cache"


def test_photo_is_visible_to_its_uploader_and_admins_only_until_linked(
    db, district, make_user, make_site, login, inspector_client
):
    photo_id = upload(inspector_client, f.jpeg()).get_json()["id"]
    other_inspector = login(make_user("inspector", region=district.street_a, department=district.fire_dept))
    admin = login(make_user("admin"))
    assert_problem(other_inspector.get(f"/api/v1/photos/{photo_id}"), 404)
    assert_problem(other_inspector.get(f"/api/v1/photos/{photo_id}/thumbnail"), 404)
    assert admin.get(f"/api/v1/photos/{photo_id}").status_code == 200
    site = make_site(district.grid_a1)
    services.link_photo(db.session.get(Photo, photo_id), subject_type="site", subject_id=site.id,
                        role="overview")
    db.session.commit()
    assert other_inspector.get(f"/api/v1/photos/{photo_id}/thumbnail").status_code == 200
    enterprise = login(make_user("enterprise_user", site=site))
    assert enterprise.get(f"/api/v1/photos/{photo_id}/evidence").status_code == 200
    assert_problem(enterprise.get(f"/api/v1/photos/{photo_id}/original"), 403)


def test_same_bytes_from_a_second_user_make_them_an_uploader_too(db, district, make_user, login,
                                                               inspector_client):
    data = f.jpeg(color=(5, 5, 5))
    photo_id = upload(inspector_client, data).get_json()["id"]
    other = login(make_user("grid_worker", region=district.grid_b1))
    assert_problem(other.get(f"/api/v1/photos/{photo_id}"), 404)
    assert upload(other, data).status_code == 200  # holding the bytes proves nothing more than that
    assert other.get(f"/api/v1/photos/{photo_id}").status_code == 200


def test_after_photos_pair_with_the_findings_they_answer(db, district, make_site, inspector,
                                                        inspector_client):
    site = make_site(district.grid_a1)
    finding = db.session.get(Photo, upload(inspector_client, f.jpeg(color=(200, 0, 0))).get_json()["id"])
    after = db.session.get(Photo, upload(inspector_client, f.jpeg(color=(0, 200, 0))).get_json()["id"])
    services.link_photo(finding, subject_type="site", subject_id=site.id, role="finding", actor=inspector)
    link = services.link_photo(after, subject_type="site", subject_id=site.id, role="after", answers=finding)
    assert services.link_photo(after, subject_type="site", subject_id=site.id, role="after") is link
    assert services.before_after_pairs("site", site.id) == [(finding, after)]
    with pytest.raises(services.ValidationFailed):
        services.link_photo(finding, subject_type="site", subject_id=site.id, role="finding", answers=after)


def test_rebuild_command_remakes_lost_derivatives(app, db, inspector_client):
    from hazardloop.evidence.storage import storage

    photo_id = upload(inspector_client, f.jpeg()).get_json()["id"]
    photo = db.session.get(Photo, photo_id)
    storage().delete(photo.thumbnail_key)
    result = app.test_cli_runner().invoke(args=["photos", "rebuild", "--missing-only"])
    assert result.exit_code == 0, result.output
    assert "已重建 1 张" in result.output
    assert storage().exists(photo.thumbnail_key)


def test_a_body_that_is_not_a_multipart_form_is_refused(inspector_client):
    response = inspector_client.post("/api/v1/photos", data=b"\xff\xd8\xff raw bytes", content_type="image/jpeg")
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["code"] == "malformed"


def test_corrupt_pixel_data_is_refused_at_upload(app, db, inspector_client):
    """The structure is intact, the entropy-coded data is not: the upload's cheap decode finds it."""
    data = bytearray(f.jpeg(160, 120))
    start = data.index(b"\xff\xda") + 20
    data[start:start + 200] = b"\xff\x00" * 100
    data[start + 1] = 0xC8  # an illegal marker inside the scan
    before = files_under(app)
    response = upload(inspector_client, bytes(data))
    assert response.status_code == 422 and response.get_json()["code"] in ("photo_corrupt", "photo_truncated")
    assert db.session.query(Photo).count() == 0
    assert files_under(app) == before


def test_the_spooled_upload_becomes_the_original_and_leaves_nothing_behind(app, inspector_client):
    data = f.jpeg(color=(3, 4, 5))
    photo_id = upload(inspector_client, data).get_json()["id"]
    incoming = Path(app.config["STORAGE_DIR"], ".incoming")
    assert list(incoming.iterdir()) == []
    assert Path(app.config["STORAGE_DIR"], services.original_key(photo_id)).read_bytes() == data
