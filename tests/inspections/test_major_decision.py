"""一般 or 重大: for an item whose finding may constitute a 重大隐患, the inspector's judgement decides the level."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import assert_problem

CHECKLIST = ("fire-small-restaurant", "2026.3")
MAY_BE_MAJOR = "SREST-D-002"  # 居住场所内生产经营: 重大 when GB 35181-2017 7.1.3 applies
ONLY_GENERAL = "SREST-A-001"


@pytest.fixture
def shop(district, make_site):
    return make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"])


@pytest.fixture
def worker(district, make_user):
    return make_user("grid_worker", region=district.grid_a1)


def submit(client, site, photo, code, **answer):
    return client.post("/api/v1/inspections", json={
        "client_uuid": str(uuid.uuid4()), "site_id": site.id, "checklist_id": CHECKLIST[0],
        "checklist_version": CHECKLIST[1], "mode": "routine", "started_at": "2026-12-03T09:00:00+08:00",
        "finished_at": "2026-12-03T09:20:00+08:00",
        "answers": [{"item_code": code, "result": "不符合", "photo_ids": [photo.id], "finding": "现场发现", **answer}]})


def test_the_checklist_shows_the_criterion_of_an_item_that_may_be_major(checklists, worker, login):
    content = login(worker).get("/api/v1/checklists/{}/versions/{}".format(*CHECKLIST)).get_json()["content"]
    items = {i["code"]: i for s in content["sections"] for i in s["items"]}
    assert "7.1.3" in items[MAY_BE_MAJOR]["hazard"]["major_condition"]
    assert not items[ONLY_GENERAL]["hazard"].get("major_condition")


@pytest.mark.parametrize(("decided", "level"), [({}, "general"), ({"level": "一般"}, "general"),
                                                 ({"level": "重大"}, "major")])
def test_the_inspectors_decision_is_the_hazards_level_and_is_recorded(checklists, shop, worker, login, make_photo,
                                                                      decided, level):
    client = login(worker)
    response = submit(client, shop, make_photo(worker), MAY_BE_MAJOR, **decided)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    (hazard,) = body["hazards"]
    assert hazard["level"] == level
    (answer,) = body["answers"]
    assert answer.get("level") == decided.get("level")  # the answer as recorded keeps the judgement


def test_an_item_that_cannot_be_major_is_not_judged_major(checklists, shop, worker, login, make_photo):
    response = submit(login(worker), shop, make_photo(worker), ONLY_GENERAL, level="重大")
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "answers.0.level"
    assert "只能判为一般隐患" in problem["errors"][0]["message"]
