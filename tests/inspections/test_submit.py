"""POST /api/v1/inspections: complete inspections from phones, idempotent and validated."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.support.inspections import failed, inspection, items


def test_two_failed_items_create_two_hazards(checklists, shop, worker, login, make_photo):
    client = login(worker)
    first, second = items(client)
    photo = make_photo(worker)
    response = client.post("/api/v1/inspections", json=inspection(shop, [failed(first, photo),
                                                                          failed(second, photo)]))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [h["item_code"] for h in body["hazards"]] == [first["code"], second["code"]]
    assert all(h["status"] == "found" and h["how"] == "found" for h in body["hazards"])
    assert body["finding_count"] == 2 and body["score_total"] < body["score_max"]
    assert body["distance_m"] < 50 and body["far_from_site"] is False
    # both times are kept: the phone's and the server's
    assert body["finished_at"].startswith("2026-11-20T09:20:00") and body["received_at"]


def test_resubmission_is_idempotent_and_changed_content_is_a_conflict(checklists, shop, worker, login,
                                                                        make_photo):
    client = login(worker)
    first, _ = items(client)
    body = inspection(shop, [failed(first, make_photo(worker))])
    created = client.post("/api/v1/inspections", json=body)
    again = client.post("/api/v1/inspections", json=body)
    assert created.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == created.get_json()["id"]
    assert again.get_json()["hazards"] == created.get_json()["hazards"]
    hazards = client.get(f"/api/v1/hazards?site={shop.id}").get_json()
    assert len(hazards["items"]) == 1
    body["notes"] = "改过的内容"
    assert_problem(client.post("/api/v1/inspections", json=body), 409, "client_uuid_reused")


def test_same_open_hazard_seen_again_is_a_repeat_observation(checklists, shop, worker, login, make_photo):
    client = login(worker)
    first, _ = items(client)
    one = client.post("/api/v1/inspections", json=inspection(shop, [failed(first, make_photo(worker))]))
    two = client.post("/api/v1/inspections", json=inspection(shop, [failed(first, make_photo(worker))]))
    assert two.status_code == 201
    assert two.get_json()["hazards"][0]["how"] == "observed_again"
    assert two.get_json()["hazards"][0]["id"] == one.get_json()["hazards"][0]["id"]
    detail = client.get(f"/api/v1/hazards/{one.get_json()['hazards'][0]['id']}").get_json()
    assert detail["repeat_count"] == 1
    assert [e["kind"] for e in detail["timeline"]] == ["found", "observed_again"]


def test_fixed_on_site_is_found_and_closed_in_one_step(checklists, shop, worker, login, make_photo):
    client = login(worker)
    first, _ = items(client)
    before, after = make_photo(worker), make_photo(worker)
    answer = failed(first, before, fixed_on_site=True, after_photo_ids=[after.id])
    body = client.post("/api/v1/inspections", json=inspection(shop, [answer])).get_json()
    hazard = client.get(f"/api/v1/hazards/{body['hazards'][0]['id']}").get_json()
    assert hazard["status"] == "closed" and hazard["closed_at"]
    kinds = [(e["kind"], e["from_status"], e["to_status"]) for e in hazard["timeline"]]
    assert kinds == [("found", None, "found"), ("close_on_site", "found", "closed")]
    assert set(hazard["timeline"][1]["photo_hashes"]) == {before.id, after.id}


def test_every_bad_answer_is_reported_field_by_field(checklists, shop, worker, login, make_photo):
    client = login(worker)
    first, second = items(client)
    photo = make_photo(worker)
    answers = [
        {"item_code": "NOT-IN-LIST", "result": "符合"},
        {"item_code": first["code"], "result": "不符合"},  # photo required on 不符合
        failed(second, photo, photo_ids=["0" * 64]),  # never uploaded
    ]
    body = assert_problem(client.post("/api/v1/inspections", json=inspection(shop, answers)), 422)
    by_field = {e["field"]: e["code"] for e in body["errors"]}
    assert by_field["answers.0.item_code"] == "unknown_item"
    assert by_field["answers.2.photo_ids"] == "photo_missing"
    if first["photo_required_on_fail"]:
        assert by_field["answers.1.photo_ids"] == "photo_required"


def test_unknown_checklist_version_is_404(checklists, shop, worker, login):
    client = login(worker)
    body = inspection(shop, [{"item_code": "X", "result": "符合"}], checklist_version="1999.1")
    assert_problem(client.post("/api/v1/inspections", json=body), 404)


def test_grid_worker_cannot_inspect_outside_their_grids(checklists, district, make_site, worker, login):
    other = make_site(district.grid_b1)
    client = login(worker)
    body = inspection(other, [{"item_code": "X", "result": "符合"}])
    assert_problem(client.post("/api/v1/inspections", json=body), 404)


def test_enterprise_may_only_self_inspect_its_own_site(checklists, shop, make_user, login, district,
                                                        make_site):
    owner = login(make_user("enterprise_user", site=shop))
    first, _ = items(owner)
    compliant = [{"item_code": first["code"], "result": "符合"}]
    assert owner.post("/api/v1/inspections", json=inspection(shop, compliant, mode="self")).status_code == 201
    body = assert_problem(owner.post("/api/v1/inspections", json=inspection(shop, compliant)), 422)
    assert body["errors"][0]["field"] == "mode"
    neighbour = make_site(district.grid_a1)
    assert_problem(owner.post("/api/v1/inspections", json=inspection(neighbour, compliant, mode="self")), 404)


def test_far_away_position_and_stale_qr_token_are_flagged(checklists, shop, worker, login):
    client = login(worker)
    first, _ = items(client)
    body = inspection(shop, [{"item_code": first["code"], "result": "符合"}],
                      position={"lat": 30.40, "lng": 120.15, "accuracy_m": 20},
                      qr_scan={"token": "an-old-token", "scanned_at": "2026-11-20T09:00:00+08:00"})
    created = client.post("/api/v1/inspections", json=body).get_json()
    assert created["far_from_site"] is True and created["distance_m"] > 10000
    assert created["qr_token_current"] is False and created["qr_scanned_at"]


def test_finished_before_started_is_refused(checklists, shop, worker, login):
    client = login(worker)
    body = inspection(shop, [{"item_code": "X", "result": "符合"}], finished_at="2026-11-20T08:00:00+08:00")
    assert assert_problem(client.post("/api/v1/inspections", json=body), 422)["errors"][0]["field"] == "finished_at"


def test_the_record_names_who_how_and_which_checklist_and_its_hazard_points_back(checklists, shop, worker, login,
                                                                                 make_photo):
    """检查记录 as the record page shows it: words, not codes; the hazard it found links to it (来自检查)."""
    client = login(worker)
    first, _ = items(client)
    created = client.post("/api/v1/inspections", json=inspection(shop, [failed(first, make_photo(worker))])).get_json()
    record = client.get(f"/api/v1/inspections/{created['id']}").get_json()
    assert record["inspector_name"] == worker.display_name and record["inspector_role_label"] == "网格员"
    assert record["mode_label"] == "日常巡查" and record["checklist_title"]
    listed = client.get(f"/api/v1/inspections?site={shop.id}").get_json()["items"]
    assert [(i["id"], i["mode_label"], i["checklist_title"]) for i in listed] == [
        (record["id"], "日常巡查", record["checklist_title"])]
    hazard = client.get(f"/api/v1/hazards/{record['hazards'][0]['id']}").get_json()
    assert hazard["inspection_id"] == record["id"]
