"""合并重复场所 while a phone is offline: what it recorded on the merged site lands on the surviving one.

A 网格员 registers a shop in the field; the site syncs; a supervisor merges it into the registered site before the
inspection (or 随手拍, or an enterprise's 自查自报) made offline on it syncs. That record is written on the surviving
site, the answer names the site it landed on (so the phone replaces its copy) and the event records the merge.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from tests.support.inspections import failed, inspection, items


def _event(db: Any, kind: str, **payload: Any) -> Any:
    from hazardloop.hazards.models import AuditEvent

    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()
    return [e for e in rows if all(e.payload.get(k) == v for k, v in payload.items())]


def _field_site(client: Any, grid: Any, name: str = "阿强烧烤") -> dict[str, Any]:
    response = client.post("/api/v1/sites/field", json={
        "client_uuid": str(uuid.uuid4()), "name": name, "address": "A社区幸福路 18 号", "grid_id": grid.id,
        "category": "small_restaurant", "lat": 30.3001, "lng": 120.1502})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _merge(client: Any, source_id: int, target_id: int) -> None:
    response = client.post(f"/api/v1/sites/{source_id}/merge", json={"target_id": target_id, "reason": "同一家店"})
    assert response.status_code == 200, response.get_json()


def test_an_inspection_of_a_field_site_merged_before_it_synced_lands_on_the_surviving_site(
        checklists, district, make_site, make_user, make_photo, login, db):
    from hazardloop.hazards.models import Hazard
    from hazardloop.inspections.models import Inspection

    keep = make_site(district.grid_a1, name="阿强烧烤店", category="small_restaurant", lat=30.3001, lng=120.1501)
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    provisional = _field_site(phone, district.grid_a1)
    _merge(login(make_user("supervisor", region=district.street_a)), provisional["id"], keep.id)

    first, _ = items(phone)
    body = inspection(SimpleNamespace(id=provisional["id"]), [failed(first, make_photo(worker))])
    response = phone.post("/api/v1/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert (answer["site_id"], answer["site_name"], answer["merged_from_site_id"]) == (
        keep.id, "阿强烧烤店", provisional["id"])
    stored = db.session.get(Inspection, answer["id"])
    assert stored.site_id == keep.id
    [hazard_ref] = answer["hazards"]
    assert db.session.get(Hazard, hazard_ref["id"]).site_id == keep.id
    [event] = _event(db, "inspection_submitted", site_id=keep.id)
    assert event.payload["merged_from_site_id"] == provisional["id"] and "阿强烧烤店" in event.note
    [found] = _event(db, "found", merged_from_site_id=provisional["id"])
    assert found.hazard_id == hazard_ref["id"]
    assert phone.get(f"/api/v1/inspections?site={provisional['id']}").get_json()["items"] == []

    again = phone.post("/api/v1/inspections", json=body)  # the outbox's retry: the same record, once
    assert again.status_code == 200 and again.get_json()["id"] == answer["id"]
    assert again.get_json()["merged_from_site_id"] == provisional["id"]


def test_an_inspection_of_a_site_not_merged_names_no_merge(checklists, district, make_site, make_user, make_photo,
                                                           login):
    shop = make_site(district.grid_a1, category="small_restaurant", lat=30.3, lng=120.15)
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    first, _ = items(phone)
    answer = phone.post("/api/v1/inspections", json=inspection(shop, [failed(first, make_photo(worker))])).get_json()
    assert answer["site_id"] == shop.id and answer["merged_from_site_id"] is None


def test_a_chain_of_merges_is_followed_to_its_end(checklists, district, make_site, make_user, make_photo, login, db):
    oldest = make_site(district.grid_a1, name="老店", category="small_restaurant")
    middle = make_site(district.grid_a1, name="中店", category="small_restaurant")
    last = make_site(district.grid_a1, name="新店", category="small_restaurant")
    desk = login(make_user("supervisor", region=district.street_a))
    _merge(desk, oldest.id, middle.id)
    _merge(desk, middle.id, last.id)
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    first, _ = items(phone)
    answer = phone.post("/api/v1/inspections", json=inspection(oldest, [failed(first, make_photo(worker))])).get_json()
    assert (answer["site_id"], answer["merged_from_site_id"]) == (last.id, oldest.id)


def test_a_snapshot_hazard_on_a_merged_site_lands_on_the_survivor_and_a_resend_after_the_merge_is_the_same(
        district, make_site, make_user, make_photo, login, db):
    from hazardloop.hazards.models import Hazard

    keep = make_site(district.grid_a1, name="兴旺便利店", category="small_shop")
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    provisional = _field_site(phone, district.grid_a1, name="兴旺便利")
    sent_before = {"client_uuid": str(uuid.uuid4()), "site_id": provisional["id"], "description": "插线板串接",
                   "domain": "fire", "level": "一般", "photo_ids": [make_photo(worker).id],
                   "found_at": "2026-11-20T09:00:00+08:00"}
    assert phone.post("/api/v1/hazards", json=sent_before).status_code == 201
    _merge(login(make_user("supervisor", region=district.street_a)), provisional["id"], keep.id)

    # Sent before the merge, its answer lost: the retry names the merged site and gets the moved hazard.
    resent = phone.post("/api/v1/hazards", json=sent_before)
    assert resent.status_code == 200, resent.get_json()
    assert resent.get_json()["site_id"] == keep.id

    after = {**sent_before, "client_uuid": str(uuid.uuid4()), "description": "灭火器过期",
             "photo_ids": [make_photo(worker).id]}
    created = phone.post("/api/v1/hazards", json=after)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["site_id"] == keep.id and created.get_json()["site_name"] == "兴旺便利店"
    assert db.session.get(Hazard, created.get_json()["id"]).site_id == keep.id
    [found] = _event(db, "found", merged_from_site_id=provisional["id"])
    assert found.hazard_id == created.get_json()["id"]


def test_an_enterprise_self_check_report_on_a_merged_site_is_for_the_survivor(district, make_site, make_user,
                                                                              login, db):
    from hazardloop.database import local_zone, utcnow
    from hazardloop.selfchecks.models import SelfCheckReport

    duplicate = make_site(district.grid_a1, name="老街面馆（分）")
    keep = make_site(district.grid_a1, name="老街面馆")
    owner = make_user("enterprise_user", site=duplicate)
    phone = login(owner)
    _merge(login(make_user("supervisor", region=district.street_a)), duplicate.id, keep.id)
    period = utcnow().astimezone(local_zone()).strftime("%Y-%m")
    response = phone.post("/api/v1/self-checks", json={
        "client_uuid": str(uuid.uuid4()), "site_id": duplicate.id, "period": period, "zero_report": True})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["site_id"] == keep.id
    assert db.session.get(SelfCheckReport, response.get_json()["id"]).site_id == keep.id
    [event] = _event(db, "self_check_reported", site_id=keep.id)
    assert event.payload["merged_from_site_id"] == duplicate.id


def test_a_closed_site_is_not_followed_anywhere(checklists, district, make_site, make_user, make_photo, login):
    """歇业/注销 is not a merge: a record naming a closed site is recorded on that site, as before this change
    (an inspection made before the closure still belongs to the place that was inspected)."""
    closed = make_site(district.grid_a1, name="装修中的面馆", category="small_restaurant")
    desk = login(make_user("supervisor", region=district.street_a))
    assert desk.post(f"/api/v1/sites/{closed.id}/close", json={
        "closure": "suspended", "closed_on": "2026-11-30", "reason": "装修停业"}).status_code == 200
    worker = make_user("grid_worker", region=district.grid_a1)
    phone = login(worker)
    first, _ = items(phone)
    answer = phone.post("/api/v1/inspections", json=inspection(closed, [failed(first, make_photo(worker))]))
    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["site_id"], answer.get_json()["merged_from_site_id"]) == (closed.id, None)
