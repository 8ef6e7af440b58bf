"""Stateless nodes: what one node receives (photos, import files) another node's worker finds in the object store.

The web node and the worker node below share only PostgreSQL, Redis and an S3 bucket (moto's S3 server, a
separate process speaking the real protocol); each has its own STORAGE_DIR and instance folder, and
neither keeps a file in it.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hazardloop.evidence.services import original_key
from hazardloop.evidence.storage import build_storage
from tests.support.cli import HAZARDLOOP
from tests.support.imagefiles import jpeg
from tests.support.s3 import moto_s3_server
from tests.support.site_files import shop, site_count, xlsx

BUCKET = "city-evidence"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server as its own process on a loopback port."""
    with moto_s3_server(BUCKET) as url:
        yield url


def s3_settings(url: str) -> dict[str, str]:
    return {"PHOTO_STORAGE": "s3", "S3_BUCKET": BUCKET, "S3_PREFIX": "district-a", "S3_ENDPOINT_URL": url,
            "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test"}


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()) if path.exists() else []


@pytest.mark.postgresql_only  # a worker process on the shared database, as a second machine runs it
def test_a_worker_on_another_node_reads_photos_and_imports_from_the_object_store(app, db, district, make_user,
                                                                                  login, s3_server, tmp_path,
                                                                                  monkeypatch):
    from hazardloop.evidence.models import Photo
    from hazardloop.imports.models import ImportJob

    web_dir, worker_dir = tmp_path / "web-node", tmp_path / "worker-node"
    settings = s3_settings(s3_server)
    # This test process is the web node: its photo storage is the bucket, its own folder is web_dir.
    for key, value in {**settings, "STORAGE_DIR": str(web_dir)}.items():
        monkeypatch.setitem(app.config, key, value)
    bucket = build_storage(settings)
    monkeypatch.setitem(app.extensions, "hazardloop.photo_storage", bucket)

    supervisor = login(make_user("supervisor", region=district.street_a))
    photo = jpeg(color=(200, 30, 30))
    uploaded = supervisor.post("/api/v1/photos", data={"file": (io.BytesIO(photo), "现场.jpg")},
                               content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    photo_id = uploaded.get_json()["id"]
    started = supervisor.post("/api/v1/imports", data={"file": (io.BytesIO(xlsx([shop(1), shop(2)])), "场所.xlsx")},
                              content_type="multipart/form-data")
    assert started.status_code == 201, started.get_data(as_text=True)
    job_id = started.get_json()["id"]
    stored = db.session.get(ImportJob, job_id).stored_path
    assert bucket.get(original_key(photo_id)) == photo
    assert bucket.exists(f"imports/{stored}")
    assert files_under(web_dir) == []  # the web node kept nothing

    def worker_node() -> str:
        env = {**os.environ, **settings, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "REDIS_URL": app.config["REDIS_URL"], "STORAGE_DIR": str(worker_dir),
               "HAZARDLOOP_INSTANCE_PATH": str(worker_dir / "instance")}
        done = subprocess.run([HAZARDLOOP, "worker", "--burst", "--processes", "1", "--name", "worker-node"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stderr

    log = worker_node()  # the photo's derivatives and the import's check (试导入)
    db.session.expire_all()
    made = db.session.get(Photo, photo_id)
    assert made.derivatives_status == "ready", (made.derivatives_error, log[-3000:])
    assert all(bucket.exists(key) for key in (made.evidence_key, made.thumbnail_key, made.public_key))
    job: Any = db.session.get(ImportJob, job_id)
    assert (job.status, job.rows_total, job.problem_count) == ("checked", 2, 0), (job.error, log[-3000:])

    confirmed = supervisor.post(f"/api/v1/imports/{job_id}/confirm")
    assert confirmed.status_code == 202, confirmed.get_data(as_text=True)
    before = site_count(db)
    log = worker_node()
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job.status == "done", (job.error, log[-3000:])
    assert site_count(db) == before + 2
    assert not bucket.exists(f"imports/{stored}")  # the file goes when its job is done
    # Neither node keeps a file another node would need (only the instance folder's generated secrets,
    # which a cluster sets in the environment instead: README, Running several nodes).
    assert files_under(web_dir) == []
    assert [f for f in files_under(worker_dir) if not f.startswith("instance/")] == []
    served = supervisor.get(f"/api/v1/photos/{photo_id}/thumbnail")
    assert served.status_code == 200 and served.data[:3] == b"\xff\xd8\xff"
    assert db.session.scalar(select(Photo.id).where(Photo.id == photo_id)) == photo_id
