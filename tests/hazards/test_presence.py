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


# --- on the hazard page and in the 复查 event --------------------------------------------------------------

def test_the_hazard_page_shows_the_flags_and_the_site_point_before_the_verification(db, world, make_photo, login):
    found = make_photo(world["admin"])
    hazard = rectified(db, world, found, [found])
    page = login(world["worker"]).get(f"/api/v1/hazards/{hazard.id}").get_json()
    assert "verify_pass" in page["allowed_actions"]
    presence = page["presence"]
    assert (presence["site_lat"], presence["site_lng"]) == (30.3, 120.15) and presence["max_distance_m"] > 0
    (photo,) = presence["after_photos"]
    assert photo["photo_id"] == found.id
    assert [f["code"] for f in photo["flags"]] == ["taken_before_order", "same_as_found"]
    assert all(f["message"] for f in photo["flags"])
    assert presence["last_visit"] is None


def test_the_verification_records_where_it_was_done_and_the_page_shows_the_distance(db, world, make_photo, login):
    found = make_photo(world["admin"])
    hazard = rectified(db, world, found, [found])
    worker = login(world["worker"])
    response = worker.post(f"/api/v1/hazards/{hazard.id}/transitions", json={
        "action": "verify_pass", "note": "现场复查", "position": {"lat": 30.3003, "lng": 120.1502, "accuracy_m": 8}})
    assert response.status_code == 200, response.get_json()
    page = response.get_json()
    event = next(e for e in page["timeline"] if e["kind"] == "verify_pass")
    assert event["payload"]["position"] == {"lat": 30.3003, "lng": 120.1502, "accuracy_m": 8}
    assert 20 < event["payload"]["distance_m"] < 60 and event["payload"]["far_from_site"] is False
    assert event["payload"]["after_photo_flags"] == {found.id: ["taken_before_order", "same_as_found"]}
    visit = page["presence"]["last_visit"]
    assert visit["kind"] == "verify_pass" and visit["distance_m"] == event["payload"]["distance_m"]
    assert visit["located"] is True and visit["message"] is None


def test_a_verification_far_from_the_site_or_without_a_position_says_so(db, world, make_photo, login):
    far_away = rectified(db, world, make_photo(world["admin"]), [make_photo(world["admin"])])
    unlocated = rectified(db, world, make_photo(world["admin"]), [make_photo(world["admin"])])
    worker = login(world["worker"])
    far = worker.post(f"/api/v1/hazards/{far_away.id}/transitions", json={
        "action": "verify_fail", "note": "照片与现场不符", "position": {"lat": 30.35, "lng": 120.2},
        "deadline": (dt.date.today() + dt.timedelta(days=9)).isoformat()}).get_json()
    visit = far["presence"]["last_visit"]
    assert visit["far_from_site"] is True and "可能不在现场" in visit["message"] and "公里" in visit["message"]
    nowhere = worker.post(f"/api/v1/hazards/{unlocated.id}/transitions",
                          json={"action": "verify_pass"}).get_json()
    event = next(e for e in nowhere["timeline"] if e["kind"] == "verify_pass")
    assert event["payload"]["position"] is None and event["payload"]["distance_m"] is None
    assert nowhere["presence"]["last_visit"]["located"] is False


def test_only_the_reported_rectification_photos_are_checked(db, world, make_photo, login):
    found = make_photo(world["admin"])
    hazard = rectified(db, world, found, [found])
    worker = login(world["worker"])
    own = make_photo(world["worker"])
    failed = worker.post(f"/api/v1/hazards/{hazard.id}/transitions", json={
        "action": "verify_fail", "note": "仍有串接", "photo_ids": [own.id],
        "deadline": (dt.date.today() + dt.timedelta(days=9)).isoformat()})
    assert failed.status_code == 200, failed.get_json()
    transition(hazard, "submit_rectification", actor=world["admin"], payload={
        "measures": "已彻底拆除", "photo_ids": [make_photo(world["admin"]).id]})
    db.session.commit()
    # The first round's doubtful photo and the verifier's own 复查照片 are not the photos judged now.
    (check,) = after_photo_checks(hazard)
    assert check.photo_id not in (found.id, own.id) and check.flags == []
