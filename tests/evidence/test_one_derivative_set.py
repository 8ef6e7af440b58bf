"""One derivative set per photo: an upload's job waits for the inspection that cites the photo."""

from __future__ import annotations

import datetime as dt
import re

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


def test_the_job_reads_the_photo_and_what_its_watermark_names_in_one_statement(
        app, db, district, make_site, inspector, inspector_client):
    """The job's imaging is most of its cost; the photo's uploads and links, the site's registrant and domains and
    the users' grants are not read, and the strip still names the recorded site and the inspector."""
    from tests.support.statements import data_statements, recorded_statements

    shop = make_site(district.grid_a1, name="测试水印饭店")
    photo_id = upload(inspector_client, f.jpeg(640, 480, color=(77, 141, 29))).get_json()["id"]
    photo = db.session.get(Photo, photo_id)
    services.apply_capture_record(photo, CaptureRecord(site=shop, inspector=inspector, hazard_number="YH2026000042"))
    db.session.commit()
    job = photo_jobs(db)[-1]
    db.session.expire_all()

    with recorded_statements(db) as statements:
        assert run_message(job.id) == "done"
    reads = [s for s in data_statements(statements) if s.lstrip().upper().startswith("SELECT")]
    # The photo's record once (the lock and the re-read of its keys after it are the race guard), with the site
    # and the people joined into it; nothing else the strip does not print.
    record_reads = [s for s in reads if "photos.media_type" in s]
    assert len(record_reads) == 1 and "JOIN sites" in record_reads[0] and "JOIN users" in record_reads[0], \
        "\n\n".join(reads)
    for table in ("sites", "users", "photo_uploads", "photo_links", "site_domains", "role_grants"):
        assert not [s for s in reads if re.match(rf"\s*SELECT {table}\.", s)], "\n\n".join(reads)

    db.session.expire_all()
    photo = db.session.get(Photo, photo_id)
    lines = services.watermark_lines(photo)
    assert "测试水印饭店" in lines[1] and inspector.display_name in lines[2] and "YH2026000042" in lines[2]
    assert photo.evidence_key == services._current_keys(photo)[0]  # the copy made carries these words
    assert photo.derivatives_status == "ready" and len(derived_files(app, photo_id)) == 3
