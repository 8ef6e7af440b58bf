"""Photos become evidence of the hazard they show: linked, watermarked, paired and scoped like it."""

from __future__ import annotations

from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import before_after_pairs
from tests.conftest import assert_problem
from tests.support.workflow import fire, found_hazards, ok


def test_finding_photos_carry_the_hazard_number_and_are_paired_with_the_rectification(
        checklists, shop, people, make_photo, db):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    hazard = people["worker"].get(f"/api/v1/hazards/{hazard_id}").get_json()
    finding = db.session.get(Photo, hazard["photo_ids"][0])
    assert finding.hazard_number == hazard["number"] and finding.site_id == shop.id

    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    after = make_photo(people["users"]["owner"])
    ok(fire(people["owner"], hazard_id, "submit_rectification", measures="已更换", photo_ids=[after.id]))
    pairs = before_after_pairs("hazard", hazard_id)
    assert [(a.id, b.id) for a, b in pairs] == [(finding.id, after.id)]


def test_a_covert_finding_photo_is_hidden_from_the_enterprise_until_exposed(
        checklists, shop, people, make_photo):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1, mode="covert", actor="inspector")
    photo_id = people["inspector"].get(f"/api/v1/hazards/{hazard_id}").get_json()["photo_ids"][0]
    assert_problem(people["owner"].get(f"/api/v1/photos/{photo_id}"), 404)
    assert people["supervisor"].get(f"/api/v1/photos/{photo_id}").status_code == 200
    ok(fire(people["inspector"], hazard_id, "expose"))
    assert people["owner"].get(f"/api/v1/photos/{photo_id}").status_code == 200
    assert_problem(people["outsider"].get(f"/api/v1/photos/{photo_id}"), 404)
