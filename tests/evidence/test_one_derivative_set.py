"""One derivative set per photo: an upload's job waits for the inspection that cites the photo."""

from __future__ import annotations

import datetime as dt

import redis
from rq.registry import ScheduledJobRegistry

from hazardloop.evidence import services
from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import CaptureRecord
from hazardloop.outbox.services import run_message
from tests.support import imagefiles as f
from tests.support.photos import derived_files, photo_jobs, queued_job_ids
from tests.support.uploads import upload

# Colours no other test uses: the storage directory outlives a test, and equal bytes are the same photo.
OWN = ((201, 37, 113), (17, 203, 151), (233, 181, 9))


def scheduled(app) -> dict[str, dt.datetime]:
    conn = redis.Redis.from_url(app.config["RQ_CONNECTION"])
    registry = ScheduledJobRegistry("default", connection=conn)
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def test_an_uploaded_photo_waits_for_its_inspection_and_gets_one_set(app, db, district, make_site, inspector,
                                                                     inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DERIVATIVES_HOLD_S", 20)
    before = dt.datetime.now(dt.UTC)
    photo_id = upload(inspector_client, f.jpeg(800, 600, color=OWN[0])).get_json()["id"]
    [upload_job] = photo_jobs(db)
    # Not queued: RQ's scheduler queues it once the hold is over.
    assert f"outbox-{upload_job.id}" not in queued_job_ids(app)
    when = scheduled(app)[f"outbox-{upload_job.id}"]
    assert dt.timedelta(seconds=19) <= when - before <= dt.timedelta(seconds=25)

    # The inspection cites the photo: its record changes the watermark and the new set is made at once.
    photo = db.session.get(Photo, photo_id)
    services.apply_capture_record(photo, CaptureRecord(site=make_site(district.grid_a1), inspector=inspector,
                                                       hazard_number="YH-2026-00008"))
    db.session.commit()
    link_job = photo_jobs(db)[-1]
    assert link_job.id != upload_job.id and f"outbox-{link_job.id}" in queued_job_ids(app)
    assert run_message(link_job.id) == "done"
    made = derived_files(app, photo_id)
    assert len(made) == 3  # evidence copy, thumbnail, public copy

    # The upload's job runs after the hold, reads the photo as it is now and finds its set made.
    assert run_message(upload_job.id) == "done"
    assert derived_files(app, photo_id) == made
    photo = db.session.get(Photo, photo_id)
    assert photo.derivatives_status == "ready"
    assert [p.name.startswith("evidence-") for p in made].count(True) == 1


def test_a_photo_nobody_cites_gets_its_set_after_the_hold(app, db, inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DERIVATIVES_HOLD_S", 20)
    photo_id = upload(inspector_client, f.jpeg(640, 480, color=OWN[1])).get_json()["id"]
    [job] = photo_jobs(db)
    assert f"outbox-{job.id}" in scheduled(app)
    assert run_message(job.id) == "done"  # what RQ runs when the hold is over
    assert len(derived_files(app, photo_id)) == 3
    assert db.session.get(Photo, photo_id).derivatives_status == "ready"


def test_a_photo_asked_for_during_the_hold_is_made_in_that_request(app, db, inspector_client, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DERIVATIVES_HOLD_S", 20)
    body = upload(inspector_client, f.jpeg(640, 480, color=OWN[2])).get_json()
    response = inspector_client.get(body["thumbnail_url"])
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert len(derived_files(app, body["id"])) == 3
