"""现场新增场所: a 网格员 registers a site found on patrol; duplicates are suggested; a supervisor approves."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.conftest import assert_problem


def field_payload(grid, **extra):
    return {"client_uuid": str(uuid.uuid4()), "name": "阿强烧烤", "address": "A社区幸福路 18 号",
            "grid_id": grid.id, "category": "small_restaurant", "lat": 30.3101, "lng": 120.1502, **extra}


def test_a_grid_worker_registers_a_provisional_site_with_photos_once_per_client_uuid(
        district, make_user, make_photo, login, db):
    from hazardloop.hazards.models import AuditEvent

    worker = make_user("grid_worker", region=district.grid_a1)
    client = login(worker)
    photo = make_photo(worker)
    payload = field_payload(district.grid_a1, photo_ids=[photo.id])
    first = client.post("/api/v1/sites/field", json=payload)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["provisional"] is True
    assert body["registered_by_name"] == worker.display_name
    assert body["domains"]  # from the category when none are given
    again = client.post("/api/v1/sites/field", json=payload)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert client.get(f"/api/v1/sites/{body['id']}/photos").get_json() == {"photo_ids": [photo.id]}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "site_registered_in_field")).all()
    assert [e.payload["site_id"] for e in events] == [body["id"]]
    assert events[0].actor_id == worker.id and events[0].actor_role == "grid_worker"
    changed = client.post("/api/v1/sites/field", json={**payload, "name": "别的名字"})
    assert_problem(changed, 409, "client_uuid_reused")


def test_a_grid_worker_cannot_register_in_another_grid_nor_cite_foreign_photos(
        district, make_user, make_photo, login):
    worker = make_user("grid_worker", region=district.grid_a1)
    stranger = make_user("grid_worker", region=district.grid_b1)
    client = login(worker)
    assert_problem(client.post("/api/v1/sites/field", json=field_payload(district.grid_b1)), 404)
    foreign = make_photo(stranger)
    assert_problem(client.post("/api/v1/sites/field", json=field_payload(district.grid_a1, photo_ids=[foreign.id])),
                   422)


def test_nearby_sites_and_similar_names_are_suggested_as_duplicates(district, make_user, make_site, login):
    make_site(district.grid_a1, name="阿强烧烤店", lat=30.3102, lng=120.1503)  # ~15 m away, similar name
    make_site(district.grid_a1, name="兴旺便利店", lat=30.3104, lng=120.1501)  # ~35 m away, other name
    make_site(district.grid_a1, name="远处的茶馆", lat=30.35, lng=120.19)  # kilometres away
    make_site(district.grid_b1, name="阿强烧烤", lat=30.3101, lng=120.1502)  # not in my grid: not shown
    client = login(make_user("grid_worker", region=district.grid_a1))
    found = client.get("/api/v1/sites/nearby?name=阿强烧烤&lat=30.3101&lng=120.1502").get_json()
    assert [s["site"]["name"] for s in found] == ["阿强烧烤店", "兴旺便利店"]
    assert found[0]["same_name"] is True and "名称相同或相近" in found[0]["reason"]
    assert found[1]["same_name"] is False and "相距约" in found[1]["reason"]
    by_name = client.get("/api/v1/sites/nearby?name=阿强烧烤").get_json()
    assert [s["site"]["name"] for s in by_name] == ["阿强烧烤店"]


def test_a_supervisor_approves_a_field_site_from_the_queue(district, make_user, login, db):
    from hazardloop.hazards.models import AuditEvent

    worker = make_user("grid_worker", region=district.grid_a1)
    site = login(worker).post("/api/v1/sites/field", json=field_payload(district.grid_a1)).get_json()
    supervisor = make_user("supervisor", region=district.street_a)
    client = login(supervisor)
    queue = client.get("/api/v1/sites/pending").get_json()
    assert [s["id"] for s in queue] == [site["id"]]
    assert "site.review" in queue[0]["allowed_actions"]
    approved = client.post(f"/api/v1/sites/{site['id']}/approve").get_json()
    assert approved["provisional"] is False
    assert client.get("/api/v1/sites/pending").get_json() == []
    assert_problem(client.post(f"/api/v1/sites/{site['id']}/approve"), 409, "not_provisional")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "site_registration_approved")).one()
    assert (event.actor_id, event.actor_role, event.payload["site_id"]) == (supervisor.id, "supervisor", site["id"])
    other_street = login(make_user("supervisor", region=district.street_b))
    assert other_street.get("/api/v1/sites/pending").get_json() == []


def test_the_grid_worker_may_not_approve_his_own_registration(district, make_user, login):
    worker = make_user("grid_worker", region=district.grid_a1)
    client = login(worker)
    site = client.post("/api/v1/sites/field", json=field_payload(district.grid_a1)).get_json()
    assert "site.review" not in site["allowed_actions"]
    assert_problem(client.post(f"/api/v1/sites/{site['id']}/approve"), 403)
    assert client.get("/api/v1/sites/pending").get_json() == []
