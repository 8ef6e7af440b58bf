"""The hazard page's fast path: ``dump_detail`` must answer exactly what HazardDetailSchema documents."""

from __future__ import annotations

import json
from typing import Any

from flask import json as flask_json

from hazardloop.accounts.models import User
from hazardloop.database import local_zone
from hazardloop.hazards import services
from hazardloop.hazards.detail import hazard_detail
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.schemas import HazardDetailSchema, dump_detail
from tests.support.workflow import fire, found_hazards, ok


def schema_dump(db: Any, user: Any, hazard_id: int) -> dict[str, Any]:
    """What marshmallow makes of the same page, as JSON would carry it."""
    db.session.expire_all()
    page = hazard_detail(db.session.get(User, user.id), services.get_hazard(hazard_id))
    expected = HazardDetailSchema().dump(page)
    assert dump_detail(page, local_zone()) == expected
    return json.loads(flask_json.dumps(expected))


def assert_pages_equal(db: Any, people: dict[str, Any], hazard_ids: list[int]) -> None:
    for name in ("supervisor", "worker", "owner"):
        for hazard_id in hazard_ids:
            answer = people[name].get(f"/api/v1/hazards/{hazard_id}")
            assert answer.status_code == 200, answer.get_json()
            assert answer.get_json() == schema_dump(db, people["users"][name], hazard_id), (name, hazard_id)


def test_the_fast_dump_has_every_field_of_the_schema(app, checklists, shop, people, make_photo, db):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    page = hazard_detail(db.session.get(User, people["users"]["supervisor"].id), services.get_hazard(hazard_id))
    assert set(dump_detail(page, local_zone())) == set(HazardDetailSchema().dump_fields)


def test_the_hazard_page_equals_the_schema_dump_in_every_step(app, checklists, shop, people, make_photo, db):
    general, major = found_hazards(people, shop, make_photo)
    worker, owner, supervisor = people["worker"], people["owner"], people["supervisor"]
    assert_pages_equal(db, people, [general, major])  # found: no deadline, no documents

    ok(fire(worker, general, "assign"))
    ok(fire(owner, general, "acknowledge"))
    ok(fire(owner, general, "request_extension", reason="需要采购防爆灯具", requested_deadline="2099-01-31"))
    assert_pages_equal(db, people, [general])  # an extension asked: extension block, blocked actions

    ok(fire(supervisor, general, "approve_extension", note="同意"))
    found_photo = db.session.get(Hazard, general).photo_ids[0]
    ok(fire(owner, general, "submit_rectification", measures="已整改", cost=12.5, photo_ids=[found_photo]))
    ok(fire(worker, general, "verify_fail", note="未整改到位", deadline="2099-03-31",
            position={"lat": 30.35, "lng": 120.2, "accuracy_m": 12}))
    assert_pages_equal(db, people, [general])  # flags on the after-photo, the last visit far from the site

    db.session.get(Hazard, major).level = "major"
    db.session.commit()
    ok(fire(supervisor, major, "list_supervision", authority="拱墅区安委办", deadline="2099-06-30",
            requirements="30日内完成治理并书面报告"))
    ok(fire(people["inspector"], major, "assign"))
    ok(fire(owner, major, "acknowledge"))
    plan = {"goals": "消除隐患", "methods": "拆除", "funding": "5万元", "organization": "安全科 张三",
            "schedule": "30日内", "safety_measures": "设警戒区"}
    ok(fire(owner, major, "submit_governance_plan", plan=plan))
    assert_pages_equal(db, people, [major])  # 挂牌督办 and a 治理方案 awaiting approval
