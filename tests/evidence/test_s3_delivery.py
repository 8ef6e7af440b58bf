"""Photos in a private S3 bucket: uploads streamed in, derivatives written there, files out through the app or by
short-lived signed addresses (PHOTO_SIGNED_URL_TTL_S), never by a public bucket.

The bucket is moto's S3 server (a real HTTP endpoint boto3 signs requests for), see conftest.s3_endpoint.
"""

from __future__ import annotations

import io
import tracemalloc
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from hazardloop.evidence.delivery import signed_url_origin
from hazardloop.evidence.services import original_key
from hazardloop.evidence.storage import S3Storage, build_storage
from hazardloop.security import content_security_policy
from tests.support.imagefiles import jpeg
from tests.support.s3 import moto_s3_server


@pytest.fixture
def bucket_settings(s3_endpoint):
    import boto3

    name = f"evidence-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=name)
    return {"PHOTO_STORAGE": "s3", "S3_BUCKET": name, "S3_PREFIX": "district-a", "S3_ENDPOINT_URL": s3_endpoint,
            "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test"}


@pytest.fixture
def bucket(app, bucket_settings, monkeypatch, tmp_path) -> S3Storage:
    """This app's photo storage is the bucket; its STORAGE_DIR an empty folder that must stay empty."""
    for key, value in {**bucket_settings, "STORAGE_DIR": str(tmp_path / "node")}.items():
        monkeypatch.setitem(app.config, key, value)
    store = build_storage(bucket_settings)
    monkeypatch.setitem(app.extensions, "hazardloop.photo_storage", store)
    assert isinstance(store, S3Storage)
    return store


def _upload(client, data: bytes) -> str:
    response = client.post("/api/v1/photos", data={"file": (io.BytesIO(data), "现场.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_photo_files_are_streamed_from_the_private_bucket_through_the_app(app, bucket, inspector_client, tmp_path):
    photo = jpeg(640, 480, color=(200, 40, 40))
    photo_id = _upload(inspector_client, photo)
    assert bucket.get(original_key(photo_id)) == photo

    thumbnail = inspector_client.get(f"/api/v1/photos/{photo_id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.is_streamed  # read from the bucket while it is sent
    assert thumbnail.mimetype == "image/jpeg" and thumbnail.data[:3] == b"\xff\xd8\xff"
    assert int(thumbnail.headers["Content-Length"]) == len(thumbnail.data)
    from hazardloop.evidence.models import Photo
    from hazardloop.extensions import db

    made = db.session.get(Photo, photo_id)
    assert all(bucket.exists(k) for k in (made.evidence_key, made.thumbnail_key, made.public_key))
    assert bucket.get(made.thumbnail_key) == thumbnail.data
    again = inspector_client.get(f"/api/v1/photos/{photo_id}/thumbnail",
                                 headers={"If-None-Match": thumbnail.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    original = inspector_client.get(f"/api/v1/photos/{photo_id}/original")
    assert original.status_code == 200 and original.data == photo
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.headers["Content-Security-Policy"] == "sandbox"  # never rendered as a page of ours
    assert not list((tmp_path / "node").rglob("*.*")), "the web node kept a file"

    # Nothing in the bucket is readable without a signature: neither bucket nor objects grant anyone else.
    for acl in (bucket.client.get_bucket_acl(Bucket=bucket.bucket),
                bucket.client.get_object_acl(Bucket=bucket.bucket, Key=bucket._key(original_key(photo_id)))):
        assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
        assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in acl["Grants"])


def test_signed_addresses_redirect_an_authorized_request_to_the_object_for_a_short_while(
        app, bucket, bucket_settings, inspector_client, login, make_user, district, monkeypatch):
    photo = jpeg(640, 480, color=(40, 200, 40))
    photo_id = _upload(inspector_client, photo)
    monkeypatch.setitem(app.config, "PHOTO_SIGNED_URL_TTL_S", 120)

    evidence = inspector_client.get(f"/api/v1/photos/{photo_id}/evidence")
    assert evidence.status_code == 302, evidence.get_data(as_text=True)
    location = evidence.headers["Location"]
    assert location.startswith(bucket_settings["S3_ENDPOINT_URL"] + "/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Signature"]
    assert evidence.headers["Cache-Control"] == "private, max-age=60"
    with urllib.request.urlopen(location, timeout=10) as fetched:  # what the browser does with the redirect
        body, content_type = fetched.read(), fetched.headers["Content-Type"]
    from hazardloop.evidence.models import Photo
    from hazardloop.extensions import db

    assert body == bucket.get(db.session.get(Photo, photo_id).evidence_key) and content_type == "image/jpeg"

    original = inspector_client.get(f"/api/v1/photos/{photo_id}/original")
    assert original.status_code == 302
    with urllib.request.urlopen(original.headers["Location"], timeout=10) as fetched:
        assert fetched.read() == photo
        assert fetched.headers["Content-Disposition"].startswith("attachment")
    # A changed signature is refused by the store: the address is good for this object only.
    tampered = original.headers["Location"].replace(bucket._key(original_key(photo_id)),
                                                    bucket._key(original_key("0" * 64)))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code in (403, 404)

    # Out of scope: the app's 404, no address handed out.
    stranger = login(make_user("grid_worker", region=district.grid_b1))
    hidden = stranger.get(f"/api/v1/photos/{photo_id}/evidence")
    assert hidden.status_code == 404 and "Location" not in hidden.headers

    # Pages may show images from the store (and the service worker fetch them), and from nowhere else new.
    origin = signed_url_origin({**bucket_settings, "PHOTO_SIGNED_URL_TTL_S": 120})
    assert origin == bucket_settings["S3_ENDPOINT_URL"]
    policy = dict(d.split(" ", 1) for d in content_security_policy(None, photo_origin=origin).split("; "))
    assert origin in policy["img-src"].split() and origin in policy["connect-src"].split()
    assert signed_url_origin({**bucket_settings, "PHOTO_SIGNED_URL_TTL_S": 0}) is None


@pytest.fixture
def s3_process() -> Iterator[str]:
    """moto's S3 server in a process of its own: this process's memory is then only the client's."""
    with moto_s3_server("spool") as url:
        yield url


def test_an_upload_goes_to_the_bucket_from_its_spool_file_without_being_read_whole(s3_process, tmp_path):
    bucket = S3Storage(bucket="spool", endpoint_url=s3_process, region="us-east-1", access_key_id="test",
                       secret_access_key="test")
    spooled = tmp_path / "upload"
    spooled.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * (12 * 4096))  # 12 MiB, near PHOTO_MAX_BYTES
    tracemalloc.start()
    try:
        bucket.put_file("originals/ee/big", str(spooled), "image/jpeg")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not spooled.exists()
    assert bucket.client.head_object(Bucket=bucket.bucket, Key=bucket._key("originals/ee/big"))["ContentLength"] \
        == 3 + 256 * 12 * 4096
    assert peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB while sending a 12 MiB file"
