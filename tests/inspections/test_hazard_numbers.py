"""隐患编号 of hazards found by inspections: gapless and unique however many phones submit at once.

An inspection's hazards take their numbers in the commit (the counter row is locked for milliseconds, not for
the whole inspection); until then they carry a stand-in nobody else can see. These tests hold the numbers to
what a counter locked for the whole transaction gave: 1, 2, 3 … in the year, no gap, no duplicate, none lost
by a rollback, and the photos' watermark names the real number.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from hazardloop.database import utcnow
from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import _current_keys, key_version
from hazardloop.hazards import services as hazards
from hazardloop.hazards.events import verify_chains
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.states import HazardLevel, HazardSource
from hazardloop.outbox.models import OutboxMessage
from hazardloop.taxonomy import Role
from tests.support.concurrency import run_at_once
from tests.support.inspections import failed, inspection, items

NUMBER = re.compile(r"^YH(\d{4})(\d{6})$")


def sequences(db) -> list[int]:
    numbers = db.session.scalars(select(Hazard.number).order_by(Hazard.id)).all()
    assert all(NUMBER.match(n) for n in numbers), numbers
    return [int(NUMBER.match(n).group(2)) for n in numbers]  # type: ignore[union-attr]


@pytest.mark.postgresql_only  # SQLite serialises writers: the race cannot happen there
def test_inspections_submitted_at_once_number_their_hazards_without_gap_or_duplicate(
        checklists, district, make_site, make_user, login, make_photo, db):
    sites = [make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"],
                       lat=30.3, lng=120.15) for _ in range(3)]
    worker = make_user("grid_worker", region=district.grid_a1)
    phones = [login(worker) for _ in range(8)]
    catalogue = items(phones[0], 12)
    bodies = []
    for i in range(len(phones)):
        # Three findings each; phones at the same site share items, so some are repeat observations; every
        # third phone fixes its first finding on the spot (a step that recomputes the site's level at once).
        chosen = [catalogue[(i + k) % len(catalogue)] for k in range(3)]
        answers = [failed(item, make_photo(worker)) for item in chosen]
        if i % 3 == 0:
            answers[0].update(fixed_on_site=True, after_photo_ids=[make_photo(worker).id])
        bodies.append(inspection(sites[i % len(sites)], answers))

    answers = run_at_once([lambda p=phone, b=body: p.post("/api/v1/inspections", json=b)
                           for phone, body in zip(phones, bodies, strict=True)])

    assert [a.status_code for a in answers] == [201] * len(phones), [a.get_json() for a in answers]
    db.session.rollback()
    found = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "found"))
    again = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "observed_again"))
    assert found + again == 3 * len(phones)
    # At most one open hazard per (site, item), however the submissions interleaved: the rest are repeat
    # observations (a finding fixed on the spot is a hazard of its own, closed at once).
    open_per_item = Counter((h.site_id, h.item_code) for h in db.session.scalars(select(Hazard))
                            if h.status != "closed")
    assert max(open_per_item.values()) == 1
    assert db.session.scalar(select(func.count()).select_from(Hazard)) == found
    assert sorted(sequences(db)) == list(range(1, found + 1))
    # Each answer names its hazard by the real number, and every photo's watermark names the same one.
    numbers = {h.id: h.number for h in db.session.scalars(select(Hazard))}
    for answer in answers:
        assert all(h["number"] == numbers[h["id"]] for h in answer.get_json()["hazards"])
    for hazard in db.session.scalars(select(Hazard)):
        for photo_id in hazard.photo_ids:
            photo = db.session.get(Photo, photo_id)
            if photo.hazard_number is not None and photo.inspector_id is not None:
                assert photo.hazard_number in numbers.values()
    assert verify_chains()[1] is None


def test_the_photos_of_an_inspections_hazard_carry_its_number_and_one_job_for_that_watermark(
        checklists, shop, worker, login, make_photo, db):
    client = login(worker)
    first, second = items(client)
    photos = [make_photo(worker), make_photo(worker)]
    response = client.post("/api/v1/inspections", json=inspection(shop, [failed(first, photos[0]),
                                                                          failed(second, photos[1])]))
    assert response.status_code == 201, response.get_json()
    numbers = [h["number"] for h in response.get_json()["hazards"]]
    assert all(NUMBER.match(n) for n in numbers), numbers
    db.session.rollback()
    for photo, number in zip(photos, numbers, strict=True):
        db.session.refresh(photo)
        assert photo.hazard_number == number
        assert photo.evidence_key == _current_keys(photo)[0]  # the key of the watermark with the real number
        jobs = db.session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == "photo.derivatives", OutboxMessage.dedupe_key.like(f"%{photo.id}%"))).all()
        # The upload's (held for the inspection) and the one for the recorded watermark; none for a stand-in.
        assert f"photo.derivatives:{photo.id}:{key_version(photo.evidence_key)}" in jobs and len(jobs) == 2


def test_a_rolled_back_inspection_or_savepoint_leaves_no_gap(checklists, shop, worker, db):
    def found(description: str) -> Hazard:
        return hazards.create_hazard(site=shop, source=HazardSource.GRID_PATROL, description=description,
                                     level=HazardLevel.GENERAL, domain="fire", actor=worker,
                                     actor_role=Role.GRID_WORKER, found_at=utcnow(), number_at_commit=True)

    abandoned = found("撤回的检查发现的隐患")
    assert hazards.is_stand_in(abandoned.number)
    db.session.rollback()

    kept = found("疏散通道堵塞")
    with db.session.begin_nested() as savepoint:
        found("部分撤回的隐患")
        savepoint.rollback()
    with db.session.begin_nested():  # a savepoint released: its hazard is numbered with the transaction
        later = found("灭火器过期")
    assert hazards.is_stand_in(later.number)
    db.session.commit()

    assert (kept.number[-6:], later.number[-6:]) == ("000001", "000002")
    assert sequences(db) == [1, 2]
    # Numbers taken the old way (a 随手拍 answers with its number before the commit) follow on.
    direct = hazards.create_hazard(site=shop, source=HazardSource.GRID_PATROL, description="燃气软管老化",
                                   level=HazardLevel.GENERAL, domain="fire", actor=worker,
                                   actor_role=Role.GRID_WORKER, found_at=utcnow())
    assert direct.number.endswith("000003")
    db.session.commit()
