"""The storage backends: atomic writes on the filesystem, and a real S3 protocol exchange."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from hazardloop.evidence.storage import LocalStorage, S3Storage, StorageError, build_storage


def test_local_put_and_get(tmp_path):
    store = LocalStorage(tmp_path)
    store.put("originals/ab/abc", b"photo bytes", "image/jpeg")
    assert store.get("originals/ab/abc") == b"photo bytes"
    assert store.exists("originals/ab/abc")
    store.delete("originals/ab/abc")
    assert not store.exists("originals/ab/abc")
    with pytest.raises(FileNotFoundError):
        store.get("originals/ab/abc")


def test_keys_cannot_leave_the_storage_directory(tmp_path):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).put("../escape", b"x", "image/jpeg")


def test_a_failed_write_leaves_no_file_and_no_temporary(tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.put("derived/ab/x/thumbnail.jpg", b"\xff" * 10_000, "image/jpeg")
    monkeypatch.undo()
    assert not store.exists("derived/ab/x/thumbnail.jpg")
    assert list((tmp_path / "derived/ab/x").iterdir()) == []


def test_readers_never_see_a_half_written_file(tmp_path):
    """While one thread rewrites a key, every read returns one whole version or the other."""
    store = LocalStorage(tmp_path)
    versions = [bytes([i]) * 2_000_000 for i in (1, 2)]
    store.put("k", versions[0], "image/jpeg")
    stop = threading.Event()
    seen: list[bool] = []

    def read() -> None:
        while not stop.is_set():
            data = store.get("k")
            seen.append(data in versions)

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(20):
        store.put("k", versions[i % 2], "image/jpeg")
    stop.set()
    reader.join()
    assert seen and all(seen)


def test_storage_is_chosen_by_configuration(tmp_path):
    assert isinstance(build_storage({"PHOTO_STORAGE": "local", "STORAGE_DIR": tmp_path}), LocalStorage)
    with pytest.raises(StorageError):
        build_storage({"PHOTO_STORAGE": "s3", "STORAGE_DIR": tmp_path})
    with pytest.raises(StorageError):
        build_storage({"PHOTO_STORAGE": "ftp", "STORAGE_DIR": tmp_path})


def test_s3_backend_against_an_s3_server(s3_endpoint):
    import boto3

    settings = {"endpoint_url": s3_endpoint, "region": "us-east-1", "access_key_id": "test",
                "secret_access_key": "test"}
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket="evidence")
    store = build_storage({"PHOTO_STORAGE": "s3", "S3_BUCKET": "evidence", "S3_PREFIX": "hl",
                           "S3_ENDPOINT_URL": settings["endpoint_url"], "S3_REGION": settings["region"],
                           "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test"})
    assert isinstance(store, S3Storage)
    assert not store.exists("originals/ab/abc")
    store.put("originals/ab/abc", b"\xff\xd8\xff photo", "image/jpeg")
    assert store.exists("originals/ab/abc")
    assert store.get("originals/ab/abc") == b"\xff\xd8\xff photo"
    head = store.client.head_object(Bucket="evidence", Key="hl/originals/ab/abc")
    assert head["ContentType"] == "image/jpeg"
    store.delete("originals/ab/abc")
    with pytest.raises(FileNotFoundError):
        store.get("originals/ab/abc")


def test_local_put_file_renames_the_spooled_upload_into_place(tmp_path):
    store = LocalStorage(tmp_path)
    spooled = Path(store.incoming_dir()) / ".upload-test"
    spooled.write_bytes(b"\xff\xd8\xff original bytes")
    inode = spooled.stat().st_ino
    store.put_file("originals/ab/abc", str(spooled), "image/jpeg")
    assert not spooled.exists()  # consumed
    assert store.get("originals/ab/abc") == b"\xff\xd8\xff original bytes"
    assert store.path("originals/ab/abc").stat().st_ino == inode  # moved, not copied


def test_s3_put_file_uploads_and_consumes_the_spooled_file(s3_endpoint, tmp_path):
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket="spooled")
    store = S3Storage(bucket="spooled", endpoint_url=s3_endpoint, region="us-east-1", access_key_id="test",
                      secret_access_key="test")
    assert store.incoming_dir() is None  # spooled in the system's temporary directory
    spooled = tmp_path / "upload"
    spooled.write_bytes(b"\xff\xd8\xff photo")
    store.put_file("originals/cd/cde", str(spooled), "image/jpeg")
    assert not spooled.exists()
    assert store.get("originals/cd/cde") == b"\xff\xd8\xff photo"
