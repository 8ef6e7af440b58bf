"""备份校验: restore a backup into a scratch database and check it — the audit chains and every photo original.

A backup is only known to be good once it has been restored and read. ``verify_backup`` takes a pg_dump
file (restored into a new scratch database on a PostgreSQL server, upgraded there to the code's schema if
it is older, dropped afterwards) or the URL of a copy the operator restored already (pg_basebackup + WAL
archive), then recomputes the audit hash chains as ``hazardloop audit verify`` does and checks that each
photo row's original is in the photo store with the SHA-256 that is its id.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from hazardloop.hazards.events import BrokenLink

SCRATCH_PREFIX = "hazardloop_verify_"
# The photo store the backup's rows are checked against: the one this node is configured with.
STORE_SETTINGS = ("PHOTO_STORAGE", "STORAGE_DIR", "S3_BUCKET", "S3_PREFIX", "S3_ENDPOINT_URL", "S3_REGION",
                  "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
_LISTED = 20  # photo ids named in the summary; the count says how many more


class BackupError(RuntimeError):
    """The backup could not be restored or read at all (message in Chinese)."""


@dataclass
class BackupReport:
    """What one verification found; ``ok`` only when the chains are whole and every original is present and sound."""

    source: str
    events_checked: int = 0
    broken: BrokenLink | None = None
    photos_checked: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.missing and not self.mismatched

    def lines(self) -> list[str]:
        """The Chinese summary printed by ``hazardloop backup verify``."""
        out = [f"备份校验：{self.source}", *self.notes]
        if self.broken is None:
            out.append(f"审计哈希链：完整，共校验 {self.events_checked} 个事件。")
        else:
            out.append(f"审计哈希链：断裂（已校验 {self.events_checked} 个事件）—— {self.broken}")
        out.append(f"照片原图：共 {self.photos_checked} 张，缺失 {len(self.missing)} 张，"
                   f"内容与哈希不符 {len(self.mismatched)} 张。")
        for title, ids in (("缺失", self.missing), ("内容与哈希不符", self.mismatched)):
            out += [f"  {title}：{photo_id}" for photo_id in ids[:_LISTED]]
            if len(ids) > _LISTED:
                out.append(f"  {title}：另有 {len(ids) - _LISTED} 张未列出")
        out.append("结论：备份可用。" if self.ok else "结论：备份校验未通过。")
        return out


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as the libpq URI that psql, pg_restore and psycopg read."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_program(name: str) -> str:
    """The newest PostgreSQL client program ``name`` (Debian keeps them in /usr/lib/postgresql/<n>/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise BackupError(f"找不到 PostgreSQL 客户端程序 {name}：请安装 postgresql-client。")
    return candidates[-1]


def _dump_format(path: Path) -> str:
    if path.is_dir():
        return "directory"
    with path.open("rb") as f:
        head = f.read(512)
    if head.startswith(b"PGDMP"):
        return "custom"
    if head[257:262] == b"ustar":
        return "tar"
    return "plain"


def create_scratch_database(server_url: str) -> str:
    """A new empty database on the server of ``server_url``; returns its SQLAlchemy URL."""
    name = SCRATCH_PREFIX + uuid.uuid4().hex[:10]
    try:
        with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise BackupError(f"无法在 PostgreSQL 上建立临时库（需要 CREATEDB 权限）：{exc}") from exc
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(server_url: str, scratch_url: str) -> None:
    """Drop a scratch database made by ``create_scratch_database`` (only those: its name says so)."""
    name = make_url(scratch_url).database or ""
    if not name.startswith(SCRATCH_PREFIX):
        raise BackupError(f"拒绝删除不是临时校验库的数据库：{name}")
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore_dump(dump: Path, scratch_url: str) -> None:
    """Load a pg_dump file (custom, directory, tar or plain SQL) into the scratch database; any error stops it."""
    target = libpq_url(scratch_url)
    if _dump_format(dump) == "plain":
        command = [pg_program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target, "-f", str(dump)]
    else:
        # Roles and grants of the source server need not exist here: the data is what is verified.
        command = [pg_program("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "-d", target, str(dump)]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    if result.returncode != 0:
        raise BackupError(f"恢复备份文件失败（{Path(command[0]).name}）：{result.stderr.strip()[-1500:]}")


def _photo_ids(batch: int = 1000) -> Iterator[str]:
    from hazardloop.evidence.models import Photo
    from hazardloop.extensions import db

    after = ""
    while True:
        ids = db.session.scalars(select(Photo.id).where(Photo.id > after).order_by(Photo.id).limit(batch)).all()
        if not ids:
            return
        yield from ids
        after = ids[-1]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def check_restored(app: Flask, report: BackupReport) -> BackupReport:
    """Run the audit-chain verification and the photo check against ``app``'s (restored) database."""
    from hazardloop.evidence.services import original_key
    from hazardloop.evidence.storage import local_file, storage
    from hazardloop.hazards.events import verify_chains

    with app.app_context():
        report.events_checked, report.broken = verify_chains()
        store = storage(app)
        for photo_id in _photo_ids():
            report.photos_checked += 1
            try:
                with local_file(store, original_key(photo_id)) as path:
                    if _file_sha256(path) != photo_id:
                        report.mismatched.append(photo_id)
            except FileNotFoundError:
                report.missing.append(photo_id)
    return report


def restored_app(database_url: str, settings: Mapping[str, Any]) -> Flask:
    """A bare app on a restored database (no routes: only the models, migrations and the photo store).

    The photo store is the one named in ``settings`` (this node's configuration).
    """
    from hazardloop import MIGRATIONS_DIR, _import_models
    from hazardloop.config import engine_options
    from hazardloop.extensions import db, migrate

    app = Flask("hazardloop.backup")
    app.config.update({key: settings[key] for key in STORE_SETTINGS if key in settings})
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(database_url)
    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    return app


def _dispose(app: Flask) -> None:
    from hazardloop.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def verify_backup(*, settings: Mapping[str, Any], dump: Path | None = None, database_url: str | None = None,
                  server_url: str | None = None, keep: bool = False) -> BackupReport:
    """Verify a pg_dump file (restored into a scratch database on ``server_url``) or the copy at ``database_url``.

    ``settings`` name the photo store (this app's configuration). Raises BackupError when the backup cannot
    be restored or its schema cannot be read; everything found in a readable backup (a broken chain, a
    missing or altered photo) is in the report instead.
    """
    from flask_migrate import upgrade

    from hazardloop.system.schema import current_heads, expected_heads

    if (dump is None) == (database_url is None):
        raise BackupError("请给出一个 pg_dump 备份文件，或一个已恢复副本的数据库地址（--database-url），二者取其一。")
    if database_url is not None:
        app = restored_app(database_url, settings)
        try:
            current = current_heads(app)
            if current != expected_heads():
                raise BackupError(f"已恢复副本的数据库结构版本（{', '.join(sorted(current)) or '空库'}）与本程序不符："
                                  "请用与备份时相同版本的程序校验，或对恢复的副本运行 hazardloop db upgrade。")
            return check_restored(app, BackupReport(source=f"已恢复的副本 {make_url(database_url).database}"))
        finally:
            _dispose(app)

    assert dump is not None
    if not dump.exists():
        raise BackupError(f"备份文件不存在：{dump}")
    if not server_url or not server_url.startswith("postgresql"):
        raise BackupError("恢复 pg_dump 备份需要一个 PostgreSQL 服务器（DATABASE_URL 或 --server）。")
    scratch = create_scratch_database(server_url)
    report = BackupReport(source=f"{dump.name} → 临时库 {make_url(scratch).database}")
    app = None
    try:
        restore_dump(dump, scratch)
        app = restored_app(scratch, settings)
        if current_heads(app) != expected_heads():
            # A backup taken before the last upgrade is still a backup: bring the scratch copy up to date.
            with app.app_context():
                upgrade()
            report.notes.append("备份的数据库结构较旧，已在临时库中升级到当前版本后校验。")
        return check_restored(app, report)
    finally:
        if app is not None:
            _dispose(app)
        if keep:
            report.notes.append(f"临时库已保留：{make_url(scratch).database}")
        else:
            drop_scratch_database(server_url, scratch)
