"""`hazardloop backup verify`: a pg_dump restored into a scratch database, its audit chains and photos checked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, update

from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import original_key
from hazardloop.evidence.storage import LocalStorage
from hazardloop.hazards.models import AuditEvent
from hazardloop.system.backup import libpq_url, pg_program, verify_backup
from tests.support.cli import run_cli

pytestmark = pytest.mark.postgresql_only


def pg_dump(app: Any, path: Path) -> Path:
    """The test database as an operator backs up a single box: ``pg_dump -Fc``."""
    result = subprocess.run([pg_program("pg_dump"), "-Fc", "-f", str(path), "-d",
                             libpq_url(app.config["SQLALCHEMY_DATABASE_URI"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return path


def database_exists(app: Any, name: str) -> bool:
    with psycopg.connect(libpq_url(app.config["SQLALCHEMY_DATABASE_URI"])) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def test_a_good_backup_restores_into_a_scratch_database_and_verifies(app, db, make_hazard, cli_env, tmp_path):
    make_hazard("awaiting_verification")
    photos = len(db.session.scalars(select(Photo.id)).all())
    events = len(db.session.scalars(select(AuditEvent.id)).all())
    assert photos and events

    result = run_cli("backup", "verify", str(pg_dump(app, tmp_path / "city.dump")), env=cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"审计哈希链：完整，共校验 {events} 个事件。" in result.stdout
    assert f"照片原图：共 {photos} 张，缺失 0 张，内容与哈希不符 0 张。" in result.stdout
    assert "结论：备份可用。" in result.stdout
    scratch = re.search(r"临时库 (hazardloop_verify_\w+)", result.stdout)
    assert scratch and not database_exists(app, scratch.group(1))  # dropped afterwards

    # A copy restored by other means (pg_basebackup + WAL) is read where it is (in process: no second start-up).
    copy = verify_backup(settings=app.config, database_url=app.config["SQLALCHEMY_DATABASE_URI"])
    assert copy.ok and (copy.events_checked, copy.photos_checked) == (events, photos)


def test_a_tampered_event_a_missing_and_an_altered_photo_are_each_reported(app, db, make_hazard, cli_env,
                                                                            tmp_path):
    make_hazard("awaiting_verification")
    make_hazard("awaiting_verification", description="灭火器过期")
    event_id = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id).offset(1).limit(1))
    db.session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(note="事后改过的记录"))
    db.session.commit()
    missing, altered = db.session.scalars(select(Photo.id).order_by(Photo.id).limit(2)).all()
    store = LocalStorage(app.config["STORAGE_DIR"])
    store.path(original_key(missing)).unlink()
    store.path(original_key(altered)).write_bytes(b"not the photo that was taken")

    result = run_cli("backup", "verify", str(pg_dump(app, tmp_path / "city.dump")), env=cli_env)
    assert result.returncode != 0
    assert "审计哈希链：断裂" in result.stdout and f"事件 {event_id}：内容与其哈希不符" in result.stdout
    assert "缺失 1 张，内容与哈希不符 1 张" in result.stdout
    assert f"缺失：{missing}" in result.stdout and f"内容与哈希不符：{altered}" in result.stdout
    assert "结论：备份校验未通过。" in result.stdout and "备份校验未通过" in result.stderr
