"""An upload on its way in (上传中的照片): streamed to a temporary file while its SHA-256 is computed.

The body is never held whole in memory by the parser and never copied a second time: the
temporary file lies in the storage's own directory where it can, so keeping the original is a
rename. The size limit is enforced as the bytes arrive, not after the body was read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

CHUNK = 256 * 1024
# The small form fields beside the file (sha256) are kept in memory; nothing else is.
MAX_FIELD_BYTES = 4 * 1024


class UploadTooLarge(Exception):
    """The file grew past the limit while streaming in."""


class MalformedUpload(Exception):
    """The body is not the multipart/form-data it claims to be."""


@dataclasses.dataclass
class IncomingFile:
    """A received file: where it lies, its size and the hex SHA-256 of its bytes."""

    path: str
    size: int
    sha256: str

    def read(self) -> bytes:
        return Path(self.path).read_bytes()

    def discard(self) -> None:
        """Remove the temporary file (a no-op once the storage took it)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class _HashingWriter:
    def __init__(self, file: IO[bytes], limit: int) -> None:
        self.file = file
        self.limit = limit
        self.size = 0
        self.hash = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge()
        self.hash.update(chunk)
        self.file.write(chunk)


@dataclasses.dataclass
class MultipartUpload:
    """The parts of a photo upload form: the first file part named ``file_field`` and the small fields."""

    file: IncomingFile | None
    fields: dict[str, str]


def receive_multipart(read: Callable[[int], bytes], content_type: str, *, file_field: str,
                      directory: str | os.PathLike[str] | None, limit: int) -> MultipartUpload:
    """Parse a multipart/form-data body from ``read``, streaming the file part to disk.

    Raises MalformedUpload, UploadTooLarge, and whatever ``read`` raises (a body over the
    request's size limit). Further file parts are read and dropped.
    """
    mimetype, options = parse_options_header(content_type)
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        raise MalformedUpload("not multipart/form-data")
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=2 * CHUNK + MAX_FIELD_BYTES)
    fields: dict[str, str] = {}
    fd, path = tempfile.mkstemp(dir=directory, prefix=".upload-")
    writer = _HashingWriter(os.fdopen(fd, "wb"), limit)
    target: _HashingWriter | list[bytes] | None = None
    field_name, got_file, done = "", False, False
    try:
        with writer.file:
            while not done:
                chunk = read(CHUNK)
                decoder.receive_data(chunk or None)
                event = decoder.next_event()
                while not isinstance(event, NeedData):
                    if isinstance(event, File):
                        target = writer if event.name == file_field and not got_file else None
                        got_file = got_file or target is writer
                    elif isinstance(event, Field):
                        field_name, target = event.name, []
                    elif isinstance(event, Data):
                        if isinstance(target, list):
                            target.append(event.data)
                            if sum(map(len, target)) > MAX_FIELD_BYTES:
                                raise MalformedUpload(f"field {field_name} too long")
                            if not event.more_data:
                                fields[field_name] = b"".join(target).decode("utf-8", "replace")
                        elif target is not None:
                            target.write(event.data)
                    elif isinstance(event, Epilogue):
                        done = True
                        break
                    event = decoder.next_event()
                if not chunk and not done:
                    raise MalformedUpload("body ended inside the form")
    except ValueError as exc:  # the decoder's word for a malformed body
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise MalformedUpload(str(exc)) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    if not got_file:
        os.unlink(path)
        return MultipartUpload(file=None, fields=fields)
    return MultipartUpload(file=IncomingFile(path=path, size=writer.size, sha256=writer.hash.hexdigest()),
                           fields=fields)

