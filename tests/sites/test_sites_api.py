"""Registering and managing sites through the API."""

from __future__ import annotations

from tests.conftest import assert_problem


def site_payload(grid, **extra):
    return {"name": "湖墅南路兴旺便利店", "address": "杭州市拱墅区湖墅南路128号", "grid_id": grid.id,
            "category": "small_shop", "domains": ["nine_small", "fire"], "lng": 120.15, "lat": 30.31,
            "contact_name": "王建国", "contact_mobile": "13612345678", **extra}


def test_grid_worker_registers_a_site_in_their_grid(district, make_user, login):
    client = login(make_user("grid_worker", region=district.grid_a1))
    response = client.post("/api/v1/sites", json=site_payload(district.grid_a1,
                                                               credit_code="91310110666007217T"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["grid_name"] == "A1网格"
    assert body["domains"] == ["fire", "nine_small"]
    assert body["risk_level"] == "blue"
    assert len(body["qr_token"]) >= 22  # ≥ 128 bits, URL-safe
    assert "site.update" in body["allowed_actions"]


def test_grid_worker_cannot_register_in_another_grid(district, make_user, login):
    client = login(make_user("grid_worker", region=district.grid_a1))
    assert_problem(client.post("/api/v1/sites", json=site_payload(district.grid_b1)), 404)


def test_credit_code_with_bad_structure_is_refused(district, make_user, login):
    client = login(make_user("admin"))
    body = assert_problem(client.post("/api/v1/sites", json=site_payload(
        district.grid_a1, credit_code="91310110666OO7217T")), 422, "validation_failed")
    assert body["errors"][0]["field"] == "credit_code"
    assert body["errors"][0]["code"] == "invalid_credit_code"


def test_failed_check_character_needs_confirmation_and_records_who_confirmed(
    district, make_user, login, db
):
    admin = make_user("admin")
    client = login(admin)
    code = "91350100M0001TGQXM"  # an early pilot code: legal, fails the check
    body = assert_problem(client.post("/api/v1/sites", json=site_payload(district.grid_a1, credit_code=code)),
                          422)
    assert body["errors"][0]["code"] == "credit_code_check_failed"
    response = client.post("/api/v1/sites", json=site_payload(
        district.grid_a1, credit_code=code, credit_code_confirmed=True))
    assert response.status_code == 201
    created = response.get_json()
    assert created["credit_code_check_failed"] is True
    assert created["credit_code_confirmed_by_id"] == admin.id
    assert created["credit_code_confirmed_at"].endswith("+08:00")  # shown in local time


def test_duplicate_credit_code_is_a_conflict(district, make_user, make_site, login):
    make_site(district.grid_a1, credit_code="91310110666007217T")
    client = login(make_user("admin"))
    assert_problem(client.post("/api/v1/sites", json=site_payload(
        district.grid_a1, credit_code="91310110666007217T")), 409, "credit_code_taken")


def test_unknown_category_and_bad_mobile_are_field_errors(district, make_user, login):
    client = login(make_user("admin"))
    body = assert_problem(client.post("/api/v1/sites", json=site_payload(
        district.grid_a1, category="casino", contact_mobile="12345")), 422)
    assert {e["field"] for e in body["errors"]} == {"category"}
    body = assert_problem(client.post("/api/v1/sites", json=site_payload(
        district.grid_a1, contact_mobile="12345")), 422)
    assert body["errors"][0]["field"] == "contact_mobile"


def test_site_must_be_in_a_grid_not_a_street(district, make_user, login):
    client = login(make_user("admin"))
    body = assert_problem(client.post("/api/v1/sites", json=site_payload(district.street_a)), 422)
    assert body["errors"][0]["field"] == "grid_id"


def test_rotating_the_qr_token_invalidates_the_old_one(district, make_site, make_user, login):
    from hazardloop.sites.services import site_by_qr_token

    site = make_site(district.grid_a1)
    old = site.qr_token
    client = login(make_user("grid_worker", region=district.grid_a1))
    response = client.post(f"/api/v1/sites/{site.id}/qr-token")
    assert response.status_code == 200
    new = response.get_json()["qr_token"]
    assert new != old
    assert site_by_qr_token(old) is None
    assert site_by_qr_token(new).id == site.id


def test_list_is_limited_to_scope_and_filters_by_region_subtree(district, make_site, make_user, login):
    a1 = make_site(district.grid_a1, category="small_shop")
    a2 = make_site(district.grid_a2, category="construction_site", domains=["construction"])
    b1 = make_site(district.grid_b1)
    supervisor = login(make_user("supervisor", region=district.street_a))
    ids = {s["id"] for s in supervisor.get("/api/v1/sites").get_json()["items"]}
    assert ids == {a1.id, a2.id}
    admin = login(make_user("admin"))
    body = admin.get(f"/api/v1/sites?region={district.street_b.id}").get_json()
    assert [s["id"] for s in body["items"]] == [b1.id] and body["total"] == 1
    body = admin.get("/api/v1/sites?category=small_shop").get_json()
    assert [s["id"] for s in body["items"]] == [a1.id]
    body = admin.get("/api/v1/sites?domain=construction").get_json()
    assert [s["id"] for s in body["items"]] == [a2.id]


def test_list_is_paginated(district, make_site, make_user, login):
    for _ in range(5):
        make_site(district.grid_a1)
    client = login(make_user("admin"))
    body = client.get("/api/v1/sites?per_page=2&page=3").get_json()
    assert body["total"] == 5 and len(body["items"]) == 1 and body["page"] == 3


def test_update_changes_details(district, make_site, make_user, login):
    site = make_site(district.grid_a1)
    client = login(make_user("supervisor", region=district.street_a))
    response = client.patch(f"/api/v1/sites/{site.id}", json={"risk_level": "orange", "contact_name": "李梅"})
    assert response.status_code == 200
    assert response.get_json()["risk_level"] == "orange"


def test_moving_a_site_out_of_my_scope_is_refused(district, make_site, make_user, login):
    site = make_site(district.grid_a1)
    client = login(make_user("supervisor", region=district.street_a))
    assert_problem(client.patch(f"/api/v1/sites/{site.id}", json={"grid_id": district.grid_b1.id}), 404)
