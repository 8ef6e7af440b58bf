"""The 风险分级管控 API: the enterprise assesses its own site's risk point (refused field by field when
incomplete), a supervisor in scope accepts or returns it, others get 403 or 404; every step is recorded."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.support.risk import risk_events


def _point(client, site_id, name):
    body = client.get(f"/api/v1/risk/sites/{site_id}").get_json()
    return next(p for p in body["points"] if p["name"] == name)


def test_assess_review_and_the_map_reason(risk_sites, make_user, login, district, db):
    plant = risk_sites["plant"]
    owner = login(make_user("enterprise_user", site=plant))
    supervisor = login(make_user("supervisor", region=district.street_a))
    outsider = login(make_user("supervisor", region=district.street_b))
    worker = login(make_user("grid_worker", region=district.grid_a1))

    view = owner.get(f"/api/v1/risk/sites/{plant.id}").get_json()
    assert (view["level"], view["summary"]) == ("orange", "橙：液氨制冷车间 LEC D=270（模板默认）")
    assert (view["can_assess"], view["can_review"]) == (True, False)
    ammonia = _point(owner, plant.id, "液氨制冷车间")
    assert ammonia["measures"][0]["check_items"] == ["IT-C-001"]
    url = f"/api/v1/risk/points/{ammonia['id']}/assessments"

    body = assert_problem(owner.post(url, json={"method": "lec", "l": 7, "e": 6, "c": 15, "reason": "x"}), 422)
    assert body["errors"][0]["field"] == "l"
    body = assert_problem(owner.post(url, json={"method": "lec", "l": 6, "e": 6, "c": 15, "reason": " "}), 422)
    assert body["errors"][0]["field"] == "reason"
    assert_problem(worker.post(url, json={"method": "lec", "l": 6, "e": 6, "c": 15, "reason": "巡查所见"}), 403)
    assert_problem(outsider.post(url, json={"method": "lec", "l": 6, "e": 6, "c": 15, "reason": "x"}), 404)

    sent = owner.post(url, json={"method": "lec", "l": 6, "e": 6, "c": 15, "reason": "报警装置曾失效"})
    assert sent.status_code == 201, sent.get_json()
    latest = _point(owner, plant.id, "液氨制冷车间")["latest"]
    assert (latest["state"], latest["basis"], latest["score"]) == ("submitted", "LEC D=540", 540)
    assert sent.get_json()["level"] == "orange"  # not counted until accepted
    assert_problem(owner.post(url, json={"method": "matrix", "l": 2, "s": 2, "reason": "再评"}), 409,
                   "assessment_pending")

    assert outsider.get("/api/v1/risk/reviews").get_json()["items"] == []
    [item] = supervisor.get("/api/v1/risk/reviews").get_json()["items"]
    review = f"/api/v1/risk/assessments/{item['id']}/review"
    assert_problem(owner.post(review, json={"decision": "accept"}), 403)
    assert_problem(outsider.post(review, json={"decision": "accept"}), 404)
    body = assert_problem(supervisor.post(review, json={"decision": "return", "note": ""}), 422)
    assert body["errors"][0]["field"] == "note"
    accepted = supervisor.post(review, json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["summary"] == "红：液氨制冷车间 LEC D=540"
    assert_problem(supervisor.post(review, json={"decision": "accept"}), 409, "guard_failed")

    features = supervisor.get("/api/v1/console/riskmap").get_json()["features"]
    grid = next(f["properties"] for f in features if f["properties"].get("region_id") == district.grid_a1.id)
    assert grid["risk_level"] == "red" and grid["risk_reasons"][0] == "嘉诚纺织（红：液氨制冷车间 LEC D=540）"
    region = supervisor.get(f"/api/v1/risk/regions/{district.street_a.id}").get_json()
    assert region["summary"] == "红：嘉诚纺织（红：液氨制冷车间 LEC D=540）"
    assert_problem(outsider.get(f"/api/v1/risk/regions/{district.street_a.id}"), 404)

    assert [e.kind for e in risk_events(db, plant.id, "risk_assessed")] == ["risk_assessed"]
    [acceptance] = risk_events(db, plant.id, "risk_assessment_accepted")
    assert acceptance.actor_role == "supervisor"
    change = risk_events(db, plant.id)[-1]
    assert (change.from_status, change.to_status, change.actor_role) == ("orange", "red", "supervisor")


def test_a_returned_assessment_keeps_the_level_and_the_enterprise_may_assess_again(risk_sites, make_user, login,
                                                                                  district):
    shop = risk_sites["shop"]
    owner = login(make_user("enterprise_user", site=shop))
    supervisor = login(make_user("supervisor", region=district.street_a))
    point = _point(owner, shop.id, "疏散通道与灭火器材")
    url = f"/api/v1/risk/points/{point['id']}/assessments"
    assert owner.post(url, json={"method": "matrix", "l": 1, "s": 1, "reason": "无风险"}).status_code == 201
    [item] = supervisor.get("/api/v1/risk/reviews").get_json()["items"]
    back = supervisor.post(f"/api/v1/risk/assessments/{item['id']}/review",
                           json={"decision": "return", "note": "灭火器过期未换，可能性不应为1"})
    assert back.status_code == 200
    latest = _point(owner, shop.id, "疏散通道与灭火器材")["latest"]
    assert (latest["state"], latest["review_note"]) == ("returned", "灭火器过期未换，可能性不应为1")
    assert back.get_json()["level"] == "yellow"
    assert owner.post(url, json={"method": "matrix", "l": 3, "s": 3, "reason": "按实际"}).status_code == 201


def test_the_enterprise_adds_its_own_point_which_counts_once_assessed(risk_sites, make_user, login, district):
    shop = risk_sites["shop"]
    owner = login(make_user("enterprise_user", site=shop))
    supervisor = login(make_user("supervisor", region=district.street_a))
    assert_problem(owner.post(f"/api/v1/risk/sites/{shop.id}/points", json={"name": "仓库", "hazard_source": ""}),
                   422)
    added = owner.post(f"/api/v1/risk/sites/{shop.id}/points", json={
        "name": "后院仓库", "kind": "场所", "hazard_source": "堆放的纸箱与电动车充电", "accident_types": ["火灾"],
        "measures": [{"text": "禁止在仓库内充电"}]})
    assert added.status_code == 201, added.get_json()
    own = _point(owner, shop.id, "后院仓库")
    assert (own["own"], own["level"]) == (True, None)
    supervisor_post = supervisor.post(f"/api/v1/risk/points/{own['id']}/assessments",
                                      json={"method": "matrix", "l": 4, "s": 5, "reason": "现场核实"})
    body = supervisor_post.get_json()
    assert (body["level"], body["summary"]) == ("red", "红：后院仓库 矩阵 R=20")  # a reviewer's own counts at once


def test_the_inventory_xlsx_lists_each_point_with_its_measures_and_is_scoped(risk_sites, make_user, login, district):
    import io

    from openpyxl import load_workbook

    plant = risk_sites["plant"]
    supervisor = login(make_user("supervisor", region=district.street_a))
    outsider = login(make_user("supervisor", region=district.street_b))
    response = supervisor.get(f"/api/v1/risk/sites/{plant.id}/inventory.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    response.close()  # send_file's temporary file
    assert rows[0][:7] == ("场所", "风险点", "类型", "危险源", "可能导致的事故类型", "评价依据", "风险等级")
    first = rows[1]
    assert first[1] == "液氨制冷车间" and first[6] == "较大风险（橙）" and first[5] == "LEC D=270（模板默认）"
    assert first[7].startswith("工程技术·车间：包装、分割、产品整理场所空调系统不采用氨直接蒸发制冷")
    assert "IT-C-001" in first[8]
    assert len(rows) == 1 + 5
    street = supervisor.get(f"/api/v1/risk/regions/{district.street_a.id}/inventory.xlsx")
    names = {r[0] for r in load_workbook(io.BytesIO(street.data)).active.iter_rows(min_row=2, values_only=True)}
    street.close()
    assert names == {"嘉诚纺织", "便民小店"}
    assert_problem(outsider.get(f"/api/v1/risk/sites/{plant.id}/inventory.xlsx"), 404)


def test_the_risk_card_is_a_pdf_for_those_who_may_see_the_site(risk_sites, make_user, login, district):
    plant = risk_sites["plant"]
    owner = login(make_user("enterprise_user", site=plant))
    outsider = login(make_user("supervisor", region=district.street_b))
    point = _point(owner, plant.id, "液氨制冷车间")
    response = owner.get(f"/api/v1/risk/points/{point['id']}/card.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert_problem(outsider.get(f"/api/v1/risk/points/{point['id']}/card.pdf"), 404)


def test_a_failed_check_of_a_measure_becomes_a_hazard_that_shows_on_the_measure_and_the_level(
        risk_sites, make_user, login, district, checklists, make_photo):
    """The measure 「不采用氨直接蒸发制冷」 is checked by item IT-C-001 of the 工贸 checklist: failing it in a
    patrol makes a 重大 hazard through the normal loop, the measure shows it, the site's reasons name it."""
    import uuid

    plant = risk_sites["plant"]
    worker_user = make_user("grid_worker", region=district.grid_a1)
    worker = login(worker_user)
    owner = login(make_user("enterprise_user", site=plant))
    version = next(v for v in worker.get(f"/api/v1/checklists?site={plant.id}").get_json()
                   if v["id"] == "industry-trade")
    photo = make_photo(worker_user)
    body = {"client_uuid": str(uuid.uuid4()), "site_id": plant.id, "checklist_id": "industry-trade",
            "checklist_version": version["version"], "mode": "routine",
            "started_at": "2026-11-20T09:00:00+08:00", "finished_at": "2026-11-20T09:20:00+08:00",
            "saved_at": "2026-11-20T09:21:00+08:00", "position": {"lat": 30.3001, "lng": 120.1501, "accuracy_m": 12},
            "answers": [{"item_code": "IT-C-001", "result": "不符合", "level": "重大", "photo_ids": [photo.id],
                         "finding": "分割间空调采用氨直接蒸发制冷"}]}
    response = worker.post("/api/v1/inspections", json=body)
    assert response.status_code == 201, response.get_json()
    [hazard] = response.get_json()["hazards"]
    measure = _point(owner, plant.id, "液氨制冷车间")["measures"][0]
    assert measure["check_items"] == ["IT-C-001"]
    assert [h["id"] for h in measure["open_hazards"]] == [hazard["id"]]
    view = owner.get(f"/api/v1/risk/sites/{plant.id}").get_json()
    assert view["reasons"][-1] == "未闭环重大隐患 1 项"
