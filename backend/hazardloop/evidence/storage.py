"""Where photo files live: a small interface, the local filesystem and an S3-compatible bucket.

Keys are content-derived and written once, so a key's bytes never change. Writes are
atomic in both backends: a reader sees the whole file or no file, never a half-written one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from flask import Flask, current_app


class StorageError(RuntimeError):
    """The storage backend is misconfigured or unreachable."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` atomically; storing the same key again is harmless."""

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises FileNotFoundError."""

    def put_file(self, key: str, path: str, content_type: str) -> None:
        """Store the file at ``path`` under ``key`` atomically; the file is consumed (moved or removed)."""

    def incoming_dir(self) -> str | None:
        """Where to spool an upload so put_file() can take it without copying (None: the system's temp)."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""

    def open(self, key: str) -> tuple[Iterator[bytes], int]:
        """The bytes under ``key`` as chunks read while they are sent, and their size; raises FileNotFoundError."""


class LocalStorage:
    """Files under one directory; written to a temporary file, fsynced, then renamed into place."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"unsafe storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            # rename() within one directory is atomic: readers see the old state or the whole file.
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)

    def put_file(self, key: str, path: str, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "rb") as f:
                os.fsync(f.fileno())
            # Spooled in incoming_dir(), on the same filesystem: the rename is atomic and copies nothing.
            os.replace(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                raise
            self.put(key, Path(path).read_bytes(), content_type)  # another filesystem: copy
            os.unlink(path)
            return
        _fsync_dir(target.parent)

    def incoming_dir(self) -> str:
        directory = self.root / ".incoming"
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory)

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def open(self, key: str) -> tuple[Iterator[bytes], int]:
        f = self.path(key).open("rb")
        return _chunks_of(f), os.fstat(f.fileno()).st_size

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()


CHUNK_BYTES = 64 * 1024


def _chunks_of(f: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes in chunks; closed when read to the end or when the response is closed early."""
    with f:
        while chunk := f.read(CHUNK_BYTES):
            yield chunk


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable across a power cut.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph RGW, 阿里云 OSS S3 API …).

    A PUT is atomic in S3: an object becomes visible only once completely received, and
    the Content-MD5 sent with it makes the service refuse a body damaged in transit.
    """

    def __init__(self, *, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, client: Any = None) -> None:
        if client is None:
            try:
                import boto3
            except ImportError as exc:  # an optional dependency
                raise StorageError("S3 存储需要 boto3：pip install 'hazardloop[s3]'") from exc
            from botocore.config import Config

            # SigV4 everywhere (MinIO and the newer regions accept nothing else, presigned addresses included);
            # a private endpoint (MinIO) is addressed by path: its bucket names are not DNS names.
            config = Config(signature_version="s3v4",
                            s3={"addressing_style": "path"} if endpoint_url else None)
            client = boto3.client(
                "s3", endpoint_url=endpoint_url or None, region_name=region or None,
                aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
                config=config,
            )
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        import base64
        import hashlib

        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                               ContentType=content_type, ContentMD5=md5)

    def put_file(self, key: str, path: str, content_type: str) -> None:
        """One PUT (a file is at most PHOTO_MAX_BYTES) streamed from the spooled file, never read whole into memory."""
        import base64
        import hashlib

        try:
            md5 = hashlib.md5(usedforsecurity=False)
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK_BYTES):
                    md5.update(chunk)
                size = f.tell()
                f.seek(0)
                self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=f, ContentLength=size,
                                       ContentType=content_type,
                                       ContentMD5=base64.b64encode(md5.digest()).decode())
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def incoming_dir(self) -> str | None:
        return None

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        return response["Body"].read()  # type: ignore[no-any-return]

    def open(self, key: str) -> tuple[Iterator[bytes], int]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        body = response["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK_BYTES)
            finally:
                body.close()

        return chunks(), int(response["ContentLength"])

    def signed_url(self, key: str, ttl_s: int, *, content_type: str, download_name: str | None = None) -> str:
        """A GET address of ``key`` valid for ``ttl_s`` seconds (SigV4 presigned), the answer's headers fixed by it.

        The bucket stays private: only a holder of this address, for this object and this long, can read it.
        """
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": content_type,
                                  "ResponseCacheControl": f"private, max-age={ttl_s}"}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl_s))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def download(self, key: str, file: IO[bytes]) -> None:
        """Stream the object into ``file`` (ranged GETs: a large file is never held whole in memory)."""
        from botocore.exceptions import ClientError

        try:
            self.client.download_fileobj(self.bucket, self._key(key), file)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from exc
            raise


@contextlib.contextmanager
def local_file(store: Storage, key: str, suffix: str = "") -> Iterator[Path]:
    """The object under ``key`` as a file on this node while the block runs; raises FileNotFoundError.

    Local storage gives the file itself; a bucket's object is copied into a temporary file removed
    afterwards, so a worker on another machine than the web node that stored it reads the same bytes.
    """
    if isinstance(store, LocalStorage):
        path = store.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield path
        return
    fd, tmp = tempfile.mkstemp(prefix="hazardloop-object-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(store, S3Storage):
                store.download(key, f)
            else:
                f.write(store.get(key))
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def build_storage(config: Any) -> Storage:
    """The backend the configuration selects (PHOTO_STORAGE: "local" or "s3")."""
    kind = config.get("PHOTO_STORAGE", "local")
    if kind == "local":
        return LocalStorage(config["STORAGE_DIR"])
    if kind == "s3":
        if not config.get("S3_BUCKET"):
            raise StorageError("PHOTO_STORAGE=s3 需要设置 S3_BUCKET。")
        return S3Storage(
            bucket=config["S3_BUCKET"], prefix=config.get("S3_PREFIX") or "",
            endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("S3_REGION"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        )
    raise StorageError(f"未知的 PHOTO_STORAGE：{kind}（可选 local、s3）")


def storage(app: Flask | None = None) -> Storage:
    """The app's storage, built once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    extension = app.extensions.get("hazardloop.photo_storage")
    if extension is None:
        extension = app.extensions["hazardloop.photo_storage"] = build_storage(app.config)
    return extension  # type: ignore[no-any-return]
