"""场所管理: edit (recorded), merge duplicates (inspections and hazards move), 歇业/注销, 一企一档."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.conftest import assert_problem


def events(db, kind):
    from hazardloop.hazards.models import AuditEvent

    return db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()


def test_an_edit_is_recorded_with_before_and_after(district, make_site, make_user, login, db):
    site = make_site(district.grid_a1, name="旧名字")
    supervisor = make_user("supervisor", region=district.street_a)
    response = login(supervisor).patch(f"/api/v1/sites/{site.id}", json={"name": "新名字", "address": site.address})
    assert response.status_code == 200
    [event] = events(db, "site_updated")
    assert event.payload["changes"] == {"name": ["旧名字", "新名字"]}
    assert event.actor_id == supervisor.id and event.occurred_at is not None


def test_merging_moves_hazards_and_inspections_and_records_it(district, make_site, make_user, login, db):
    from hazardloop.database import utcnow
    from hazardloop.hazards.models import Hazard
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    keep = make_site(district.grid_a1, name="阿强烧烤店")
    duplicate = make_site(district.grid_a1, name="阿强烧烤")
    worker = make_user("grid_worker", region=district.grid_a1)
    hazard = create_hazard(site=duplicate, source=HazardSource.GRID_PATROL, description="灭火器过期",
                           level=HazardLevel.GENERAL, domain="fire", actor=worker, actor_role=Role.GRID_WORKER,
                           found_at=utcnow())
    db.session.commit()
    supervisor = make_user("supervisor", region=district.street_a)
    client = login(supervisor)
    merged = client.post(f"/api/v1/sites/{duplicate.id}/merge", json={"target_id": keep.id, "reason": "同一家店"})
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["id"] == keep.id
    assert db.session.get(Hazard, hazard.id).site_id == keep.id
    old = client.get(f"/api/v1/sites/{duplicate.id}").get_json()
    assert old["merged_into_id"] == keep.id and old["active"] is False
    [event] = events(db, "site_merged")
    assert event.payload["hazard_ids"] == [hazard.id] and event.payload["into_site_id"] == keep.id
    assert [e.hazard_id for e in events(db, "hazard_site_merged")] == [hazard.id]
    assert_problem(client.post(f"/api/v1/sites/{duplicate.id}/merge", json={"target_id": keep.id}), 409)
    assert_problem(client.post(f"/api/v1/sites/{keep.id}/merge", json={"target_id": keep.id}), 422)


def test_a_grid_worker_may_not_merge(district, make_site, make_user, login):
    a, b = make_site(district.grid_a1), make_site(district.grid_a1)
    client = login(make_user("grid_worker", region=district.grid_a1))
    assert_problem(client.post(f"/api/v1/sites/{a.id}/merge", json={"target_id": b.id}), 403)


def test_a_closed_site_leaves_the_patrol_plan_and_a_suspended_one_can_reopen(
        district, make_site, make_user, login, db):
    site = make_site(district.grid_a1)
    client = login(make_user("supervisor", region=district.street_a))
    closed = client.post(f"/api/v1/sites/{site.id}/close", json={
        "closure": "suspended", "closed_on": "2026-11-30", "reason": "装修停业"}).get_json()
    assert closed["active"] is False and closed["closure"] == "suspended" and closed["closed_on"] == "2026-11-30"
    worker = login(make_user("grid_worker", region=district.grid_a1))
    plan = worker.get("/api/v1/patrols/due?include_done=true").get_json()
    assert site.id not in [row["site"]["id"] if "site" in row else row.get("site_id") for row in plan["items"]]
    reopened = client.post(f"/api/v1/sites/{site.id}/reopen", json={"reason": "装修完毕"}).get_json()
    assert reopened["active"] is True and reopened["closure"] is None
    client.post(f"/api/v1/sites/{site.id}/close", json={
        "closure": "deregistered", "closed_on": dt.date(2026, 12, 1).isoformat(), "reason": "营业执照注销"})
    assert_problem(client.post(f"/api/v1/sites/{site.id}/reopen", json={"reason": "x"}), 409, "not_suspended")
    assert [e.payload["closure"] for e in events(db, "site_closed")] == ["suspended", "deregistered"]


def test_the_dossier_keeps_licences_people_and_flags(district, make_site, make_user, login, db):
    site = make_site(district.grid_a1)
    client = login(make_user("supervisor", region=district.street_a))
    body = {"major_hazard_source": True, "hazardous_chemicals": True,
            "licences": [{"name": "危险化学品经营许可证", "number": "浙杭安经字〔2026〕000123",
                          "valid_from": "2026-01-01", "valid_until": "2028-12-31"}],
            "responsible_persons": [{"duty": "主要负责人", "name": "李经理", "mobile": "13612345678"}]}
    saved = client.client.put(f"/api/v1/sites/{site.id}/dossier", json=body,
                              headers={"X-CSRF-Token": client.csrf}).get_json()
    assert saved["major_hazard_source"] is True and saved["hazardous_chemicals"] is True
    assert saved["licences"][0]["valid_until"] == "2028-12-31"
    assert saved["responsible_persons"][0]["mobile"] == "13612345678"
    bad = client.client.put(f"/api/v1/sites/{site.id}/dossier", headers={"X-CSRF-Token": client.csrf}, json={
        "licences": [{"name": "x", "number": "1", "valid_from": "2026-01-01", "valid_until": "2025-01-01"}]})
    assert_problem(bad, 422)
    [event] = events(db, "site_dossier_updated")
    assert event.payload["changes"]["major_hazard_source"] == [False, True]
