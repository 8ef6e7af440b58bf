"""GET /api/v1/sites/by-qr/<token>: a printed code opens its site, for those who may see it."""

from __future__ import annotations

import uuid

from tests.conftest import assert_problem


def test_grid_worker_opens_a_site_of_their_grid_by_its_code(district, make_site, make_user, login):
    site = make_site(district.grid_a1)
    client = login(make_user("grid_worker", region=district.grid_a1))
    response = client.get(f"/api/v1/sites/by-qr/{site.qr_token}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == site.id
    assert body["qr_token"] == site.qr_token
    assert "site.inspect" in body["allowed_actions"]


def test_enterprise_user_opens_only_their_own_site(district, make_site, make_user, login):
    mine, other = make_site(district.grid_a1), make_site(district.grid_a1)
    client = login(make_user("enterprise_user", site=mine))
    assert client.get(f"/api/v1/sites/by-qr/{mine.qr_token}").status_code == 200
    assert_problem(client.get(f"/api/v1/sites/by-qr/{other.qr_token}"), 404)


def test_site_outside_my_scope_is_not_found(district, make_site, make_user, login):
    site = make_site(district.grid_b1)
    client = login(make_user("grid_worker", region=district.grid_a1))
    assert_problem(client.get(f"/api/v1/sites/by-qr/{site.qr_token}"), 404)


def test_rotated_code_stops_working(district, make_site, make_user, login):
    site = make_site(district.grid_a1)
    old = site.qr_token
    client = login(make_user("grid_worker", region=district.grid_a1))
    rotated = client.post(f"/api/v1/sites/{site.id}/qr-token")
    assert rotated.status_code == 200
    assert_problem(client.get(f"/api/v1/sites/by-qr/{old}"), 404, "not_found")
    assert client.get(f"/api/v1/sites/by-qr/{rotated.get_json()['qr_token']}").status_code == 200


def test_unknown_code_is_not_found_and_anonymous_must_log_in(district, make_site, make_user, login, api):
    site = make_site(district.grid_a1)
    client = login(make_user("admin"))
    assert_problem(client.get("/api/v1/sites/by-qr/no-such-token"), 404)
    assert_problem(api.get(f"/api/v1/sites/by-qr/{site.qr_token}"), 401)


def test_inspection_names_the_revision_it_replaces(checklists, district, make_site, make_user, login):
    """A corrected resend carries replaces_client_uuid; it is kept in the audit event and echoed back."""
    site = make_site(district.grid_a1)
    client = login(make_user("grid_worker", region=district.grid_a1))
    content = client.get("/api/v1/checklists/fire-small-restaurant/versions/2026.3").get_json()["content"]
    item = next(i for s in content["sections"] for i in s["items"] if i["answer"]["type"] == "compliance")
    old = str(uuid.uuid4())
    body = {
        "client_uuid": str(uuid.uuid4()), "site_id": site.id, "checklist_id": "fire-small-restaurant",
        "checklist_version": "2026.3", "mode": "routine", "started_at": "2026-11-20T09:00:00+08:00",
        "finished_at": "2026-11-20T09:20:00+08:00", "replaces_client_uuid": old,
        "answers": [{"item_code": item["code"], "result": "符合"}],
    }
    response = client.post("/api/v1/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["replaces_client_uuid"] == old
    detail = client.get(f"/api/v1/inspections/{response.get_json()['id']}").get_json()
    assert detail["replaces_client_uuid"] == old
    plain = client.post("/api/v1/inspections", json={**body, "client_uuid": str(uuid.uuid4()),
                                                      "replaces_client_uuid": None})
    assert plain.get_json()["replaces_client_uuid"] is None
