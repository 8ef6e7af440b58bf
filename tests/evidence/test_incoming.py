"""Streaming an upload to disk while hashing it: the multipart form, the size limit, no leftovers."""

from __future__ import annotations

import hashlib
import io

import pytest

from hazardloop.evidence.incoming import MalformedUpload, UploadTooLarge, receive_multipart

BOUNDARY = "----hazardloop-test"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def form(*parts: tuple[str, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def leftovers(directory) -> list:
    return list(directory.iterdir())


def test_the_file_part_is_streamed_to_disk_with_its_hash_and_the_fields_are_kept(tmp_path):
    photo = bytes(range(256)) * 4000  # ~1 MB, read in several chunks, with CR LF bytes inside
    body = form(("sha256", None, b"abc"), ("file", "IMG.jpg", photo), ("file", "second.jpg", b"ignored"))
    upload = receive_multipart(io.BytesIO(body).read, CONTENT_TYPE, file_field="file", directory=tmp_path,
                               limit=len(photo))
    assert upload.fields == {"sha256": "abc"}
    assert upload.file is not None
    assert (upload.file.size, upload.file.sha256) == (len(photo), hashlib.sha256(photo).hexdigest())
    assert upload.file.read() == photo
    upload.file.discard()
    assert leftovers(tmp_path) == []


def test_a_file_over_the_limit_is_refused_as_it_arrives_and_leaves_nothing(tmp_path):
    body = form(("file", "big.jpg", b"x" * 300_000))
    with pytest.raises(UploadTooLarge):
        receive_multipart(io.BytesIO(body).read, CONTENT_TYPE, file_field="file", directory=tmp_path,
                          limit=100_000)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("body", [b"not a form at all", form(("file", "a.jpg", b"123"))[:-30]])
def test_a_malformed_or_cut_off_body_is_refused_and_leaves_nothing(tmp_path, body):
    with pytest.raises(MalformedUpload):
        receive_multipart(io.BytesIO(body).read, CONTENT_TYPE, file_field="file", directory=tmp_path, limit=10**6)
    assert leftovers(tmp_path) == []


def test_a_form_without_the_file_part_has_no_file(tmp_path):
    upload = receive_multipart(io.BytesIO(form(("note", None, "现场".encode()))).read, CONTENT_TYPE,
                               file_field="file", directory=tmp_path, limit=10**6)
    assert upload.file is None and upload.fields == {"note": "现场"}
    assert leftovers(tmp_path) == []

