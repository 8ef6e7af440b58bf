"""复查 presence: the verifier's distance to the site, and the doubtful after-photos flagged before 销号."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from hazardloop.database import utcnow
from hazardloop.evidence.models import Photo
from hazardloop.hazards.presence import after_photo_checks, visit_presence
from hazardloop.hazards.services import create_hazard, transition
from hazardloop.hazards.states import HazardLevel, HazardSource
from hazardloop.taxonomy import Role


@pytest.fixture
def world(db, district, make_site, make_user):
    site = make_site(district.grid_a1, category="small_restaurant", domains=["fire"], lat=30.3, lng=120.15)
    return {"site": site, "admin": make_user("admin"), "worker": make_user("grid_worker", region=district.grid_a1)}


def rectified(db, world, found_photo, after_photos):
    """A hazard found with ``found_photo``, assigned (整改通知书), rectified with ``after_photos``."""
    admin = world["admin"]
    hazard = create_hazard(site=world["site"], source=HazardSource.GRID_PATROL, description="灭火器过期",
                           level=HazardLevel.GENERAL, domain="fire", actor=admin, actor_role=Role.ADMIN,
                           found_at=utcnow() - dt.timedelta(days=3), photo_ids=[found_photo.id])
    transition(hazard, "assign", actor=admin)
    transition(hazard, "acknowledge", actor=admin)
    transition(hazard, "submit_rectification", actor=admin, payload={
        "measures": "已更换灭火器", "photo_ids": [p.id for p in after_photos]})
    db.session.commit()
    return hazard


def test_an_honest_after_photo_has_no_flags(db, world, make_photo):
    admin = world["admin"]
    found, after = make_photo(admin), make_photo(admin)
    hazard = rectified(db, world, found, [after])
    (check,) = after_photo_checks(hazard)
    assert check.photo_id == after.id and check.flags == []


def test_a_photo_of_the_finding_reused_as_after_photo_is_flagged(db, world, make_photo):
    found = make_photo(world["admin"])
    hazard = rectified(db, world, found, [found])
    (check,) = after_photo_checks(hazard)
    # It was also taken when the hazard was found, so before the order.
    assert [f["code"] for f in check.flags] == ["taken_before_order", "same_as_found"]
    assert "完全相同" in check.flags[1]["message"]


def test_an_after_photo_taken_before_the_order_is_flagged(db, world, make_photo):
    admin = world["admin"]
    found, old = make_photo(admin), make_photo(admin)
    db.session.execute(update(Photo).where(Photo.id == old.id).values(exif_taken_at=utcnow() - dt.timedelta(days=30)))
    db.session.commit()
    hazard = rectified(db, world, found, [old])
    (check,) = after_photo_checks(hazard)
    assert [f["code"] for f in check.flags] == ["taken_before_order"]
    assert "早于整改通知书" in check.flags[0]["message"]


def test_an_after_photo_that_is_evidence_of_another_hazard_names_it(db, world, make_photo):
    admin = world["admin"]
    shared = make_photo(admin)
    first = rectified(db, world, make_photo(admin), [shared])
    second = rectified(db, world, make_photo(admin), [shared])
    (check,) = after_photo_checks(second)
    # Recorded with the first hazard's rectification, before the second's order was issued.
    assert [f["code"] for f in check.flags] == ["taken_before_order", "other_hazard"]
    assert first.number in check.flags[1]["message"]


@pytest.mark.parametrize(("lat", "lng", "far"), [(30.3001, 120.1501, False), (30.35, 120.2, True)])
def test_the_verifiers_distance_to_the_site(db, world, make_photo, lat, lng, far):
    hazard = rectified(db, world, make_photo(world["admin"]), [make_photo(world["admin"])])
    visit = visit_presence(hazard, lat, lng, accuracy_m=10)
    assert visit.far_from_site is far and visit.distance_m is not None
    assert (visit.distance_m < 50) is not far
    assert visit_presence(hazard, None, None).distance_m is None
