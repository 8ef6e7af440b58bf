"""The console overview's 场所风险等级 card (``GET /api/v1/risk/overview``) follows the overview's own filters:
``region_id`` narrows the counts and the changes of level to the region's sites, ``department_id`` to the
department's domains, a region outside the caller's sight is 404 (as for ``/console/overview``)."""

from __future__ import annotations

from tests.conftest import assert_problem


def test_the_risk_card_counts_and_changes_follow_the_overview_region(risk_sites, make_user, login, district):
    plant, shop, other = risk_sites["plant"], risk_sites["shop"], risk_sites["other"]
    head = login(make_user("supervisor", region=district.district))
    changed = head.client.put(f"/api/v1/risk/sites/{other.id}/override", json={"level": "red", "reason": "节日集市"},
                              headers=head._headers(None))
    assert changed.status_code == 200, changed.get_json()

    # The whole district: plant orange (template default), shop yellow (R=10), B's shop red by the override.
    whole = head.get("/api/v1/risk/overview?days=7").get_json()
    assert whole["counts"] == {"red": 1, "orange": 1, "yellow": 1, "blue": 0} and whole["total"] == 3
    assert {c["site_id"] for c in whole["changes"]} == {plant.id, shop.id, other.id}

    street_a = head.get(f"/api/v1/risk/overview?days=7&region_id={district.street_a.id}").get_json()
    assert street_a["counts"] == {"red": 0, "orange": 1, "yellow": 1, "blue": 0} and street_a["total"] == 2
    assert {c["site_id"] for c in street_a["changes"]} == {plant.id, shop.id}
    assert (street_a["raised"], street_a["lowered"]) == (2, 0)

    street_b = head.get(f"/api/v1/risk/overview?days=7&region_id={district.street_b.id}").get_json()
    assert street_b["counts"] == {"red": 1, "orange": 0, "yellow": 0, "blue": 0}
    assert [(c["site_id"], c["from"], c["to"], c["override"]) for c in street_b["changes"]] == [
        (other.id, "blue", "red", True)]

    # The 消防 department's domains (fire, nine_small): the plant is registered for fire too, so all three remain;
    # the 住建 department's (construction) holds none of them.
    fire = head.get(f"/api/v1/risk/overview?department_id={district.fire_dept.id}").get_json()
    assert fire["total"] == 3
    building = head.get(f"/api/v1/risk/overview?department_id={district.construction_dept.id}").get_json()
    assert building["total"] == 0 and building["changes"] == []

    street_sv = login(make_user("supervisor", region=district.street_a))
    assert_problem(street_sv.get(f"/api/v1/risk/overview?region_id={district.street_b.id}"), 404)
    assert street_sv.get("/api/v1/risk/overview").get_json()["total"] == 2  # unfiltered: his own street
