"""Derivatives are made after the upload answered: by the outbox job, or by the first request that needs one."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from hazardloop.evidence import services
from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import CaptureRecord, original_key
from hazardloop.evidence.storage import storage
from hazardloop.outbox.services import max_attempts, run_message
from tests.conftest import assert_problem
from tests.support import imagefiles as f
from tests.support.cli import run_cli
from tests.support.photos import derived_files, photo_jobs, queued_job_ids
from tests.support.uploads import upload


def file_identities(app, photo_id: str) -> dict[Path, tuple[int, int]]:
    """(inode, mtime) per derivative file: an atomic rewrite gives a new inode."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in derived_files(app, photo_id)}


def test_the_upload_answers_before_any_derivative_exists(app, db, inspector_client):
    response = upload(inspector_client, f.jpeg(800, 600))
    assert response.status_code == 201
    body = response.get_json()
    assert body["derivatives_status"] == "pending"
    assert body["thumbnail_url"] and body["evidence_url"]  # final, versioned URLs at once
    assert derived_files(app, body["id"]) == []
    assert Path(app.config["STORAGE_DIR"], original_key(body["id"])).is_file()
    [job] = photo_jobs(db)  # written with the photo, handed to RQ after the commit
    assert job.payload == {"photo_id": body["id"]} and job.status == "pending"
    assert f"outbox-{job.id}" in queued_job_ids(app)


def test_a_derivative_asked_for_first_is_made_in_that_request(app, db, inspector_client):
    body = upload(inspector_client, f.jpeg(800, 600, exif=f.exif_block(orientation=6))).get_json()
    thumb = inspector_client.get(body["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size == (240, 320)  # upright
    assert thumb.headers["ETag"].strip('"').endswith(body["thumbnail_url"].rsplit("=", 1)[1])
    assert len(derived_files(app, body["id"])) == 3  # one decode made the whole set
    assert inspector_client.get(f"/api/v1/photos/{body['id']}").get_json()["derivatives_status"] == "ready"
    made = file_identities(app, body["id"])
    [job] = photo_jobs(db)
    assert services.make_photo_derivatives(body["id"]) == "already made"  # the job, when it comes
    assert run_message(job.id) == "done"
    assert file_identities(app, body["id"]) == made


def test_the_job_run_twice_has_one_effect(app, db, inspector_client):
    photo_id = upload(inspector_client, f.jpeg(640, 480)).get_json()["id"]
    [job] = photo_jobs(db)
    assert run_message(job.id) == "done"
    made = file_identities(app, photo_id)
    assert len(made) == 3
    assert run_message(job.id) == "already done"  # the outbox claim
    assert services.make_photo_derivatives(photo_id) == "already made"  # the handler itself
    assert file_identities(app, photo_id) == made
    photo = db.session.get(Photo, photo_id)
    assert photo.derivatives_status == "ready" and photo.derivatives_made_at is not None


def test_the_job_for_a_deleted_photo_does_nothing(app, db, inspector_client):
    photo_id = upload(inspector_client, f.jpeg()).get_json()["id"]
    [job] = photo_jobs(db)
    db.session.delete(db.session.get(Photo, photo_id))
    db.session.commit()
    assert run_message(job.id) == "done"
    assert derived_files(app, photo_id) == []


def _run_until_failed(message_id: int) -> None:
    for _ in range(max_attempts()):
        with pytest.raises(services.DerivativesFailed):
            run_message(message_id)


@pytest.mark.parametrize("damage", ["deleted", "corrupt"])
def test_a_job_whose_original_is_gone_or_corrupt_ends_failed_and_shows_it(app, db, inspector_client, monkeypatch,
                                                                          damage):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_INTERVALS", [0, 0])
    body = upload(inspector_client, f.jpeg(320, 240)).get_json()
    key = original_key(body["id"])
    if damage == "deleted":
        storage().delete(key)
    else:
        storage().put(key, b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg")
    [job] = photo_jobs(db)
    _run_until_failed(job.id)
    [job] = photo_jobs(db)
    assert (job.status, job.attempts) == ("failed", 3)
    assert "原图" in job.last_error
    photo = db.session.get(Photo, body["id"])
    assert photo.derivatives_status == "failed" and "原图" in photo.derivatives_error
    assert inspector_client.get(f"/api/v1/photos/{body['id']}").get_json()["derivatives_status"] == "failed"
    problem = assert_problem(inspector_client.get(body["thumbnail_url"]), 404, "photo_file_missing")
    assert "原图" in problem["detail"]


def test_uploading_the_original_again_after_a_failure_makes_the_set(app, db, inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_INTERVALS", [0])
    data = f.jpeg(320, 240, color=(1, 99, 7))
    photo_id = upload(inspector_client, data).get_json()["id"]
    storage().delete(original_key(photo_id))
    [job] = photo_jobs(db)
    _run_until_failed(job.id)
    again = upload(inspector_client, data)
    assert again.status_code == 200 and again.get_json()["derivatives_status"] == "pending"
    [job] = photo_jobs(db)
    assert job.status == "pending" and job.attempts == 0  # the same message, back in line
    assert run_message(job.id) == "done"
    assert db.session.get(Photo, photo_id).derivatives_status == "ready"


def test_a_capture_record_schedules_the_new_evidence_copy(app, db, district, make_site, inspector,
                                                          inspector_client):
    photo_id = upload(inspector_client, f.jpeg(800, 600)).get_json()["id"]
    [first] = photo_jobs(db)
    run_message(first.id)
    photo = db.session.get(Photo, photo_id)
    old_key = photo.evidence_key
    services.apply_capture_record(photo, CaptureRecord(site=make_site(district.grid_a1), inspector=inspector,
                                                       hazard_number="YH-2026-00007"))
    db.session.commit()
    assert photo.evidence_key != old_key and photo.derivatives_status == "pending"
    assert not storage().exists(photo.evidence_key)
    second = photo_jobs(db)[-1]
    assert second.id != first.id and f"outbox-{second.id}" in queued_job_ids(app)
    assert run_message(second.id) == "done"
    assert storage().exists(photo.evidence_key) and storage().exists(old_key)  # old versions stay immutable


@pytest.mark.postgresql_only
def test_a_request_waits_for_the_job_making_the_set_instead_of_making_it_again(app, db, inspector_client):
    """The job holds the photo row while it makes the files; a request needing one waits, then serves them."""
    photo_id = upload(inspector_client, f.jpeg(800, 600)).get_json()["id"]
    photo = db.session.get(Photo, photo_id)
    # The job has taken the row and is still decoding: no file exists yet.
    db.session.execute(select(Photo.id).where(Photo.id == photo_id).with_for_update(key_share=True))
    outcome: list[object] = []

    def request_needing_the_thumbnail() -> None:
        with app.app_context():
            try:
                other = db.session.get(Photo, photo_id)
                outcome.append(services.ensure_derivatives(other))
                db.session.commit()
            finally:
                db.session.remove()

    waiter = threading.Thread(target=request_needing_the_thumbnail)
    waiter.start()
    waiter.join(1.0)
    assert waiter.is_alive()  # found the files missing, now waits on the row lock
    assert services.ensure_derivatives(photo) is True  # the job finishes its set …
    made = file_identities(app, photo_id)
    db.session.commit()  # … and commits
    waiter.join(10)
    assert outcome == [False]  # the request found the files and made nothing
    assert file_identities(app, photo_id) == made


# Whole RQ work-horse processes (~4 s each) whose behaviour does not depend on the database.
@pytest.mark.postgresql_only
def test_a_real_worker_makes_the_derivatives(app, db, inspector_client, cli_env):
    body = upload(inspector_client, f.jpeg(1200, 900, exif=f.exif_block(orientation=3))).get_json()
    assert derived_files(app, body["id"]) == []
    result = run_cli("worker", "--burst", env=cli_env)
    assert result.returncode == 0, result.stderr[-3000:]
    [job] = photo_jobs(db)
    assert job.status == "done", job.last_error
    assert len(derived_files(app, body["id"])) == 3
    photo = db.session.get(Photo, body["id"])
    assert photo.derivatives_status == "ready"
    made = file_identities(app, body["id"])
    evidence = inspector_client.get(body["evidence_url"])  # served as made, not made again
    assert Image.open(io.BytesIO(evidence.data)).size == (1200, 900)
    assert file_identities(app, body["id"]) == made


@pytest.mark.postgresql_only
def test_a_worker_job_for_a_deleted_original_lands_in_the_failed_list(app, db, inspector_client, cli_env,
                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_RETRY_INTERVALS", [0, 0])  # RQ's backoff, set when handed over
    body = upload(inspector_client, f.jpeg(320, 240)).get_json()
    storage().delete(original_key(body["id"]))
    env = {**cli_env, "OUTBOX_RETRY_INTERVALS": "0,0"}
    result = run_cli("worker", "--burst", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    [job] = photo_jobs(db)
    assert (job.status, job.attempts) == ("failed", 3), job.last_error
    assert db.session.get(Photo, body["id"]).derivatives_status == "failed"
    listing = run_cli("jobs", "failed", env=env)
    assert f"#{job.id} photo.derivatives 尝试3次" in listing.stdout, listing.stderr
    assert "原图缺失" in listing.stdout
