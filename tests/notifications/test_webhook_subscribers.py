"""The administrator's webhook subscribers: register, filter by event kind, disable, rotate the secret, ping —
each checked by what a real local HTTP server receives and whether its signature verifies."""

from __future__ import annotations

import json

from hazardloop.notifications.webhooks import verify
from tests.conftest import assert_problem
from tests.support.deadlines import assign_hazard, end_of
from tests.support.outbox import run_outbox


def received(recorder, path: str) -> list[dict]:
    return [{**r, "json": json.loads(r["body"])} for r in recorder.received if r["path"] == path]


def signed_by(request: dict, *secrets: str) -> bool:
    headers = request["headers"]
    return verify(list(secrets), headers["X-Hazardloop-Timestamp"], request["body"],
                  headers["X-Hazardloop-Signature"])


def register(admin, **body):
    response = admin.post("/api/v1/webhooks", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_subscribers_get_the_events_they_chose_signed_with_their_secret(db, parties, make_user, login,
                                                                       http_server):
    base, recorder = http_server
    admin = login(make_user("admin"))
    city = register(admin, name="城市运行管理平台", url=f"{base}/city", event_kinds=["hazard.transitioned"])
    office = register(admin, name="区安委办系统", url=f"{base}/office", event_kinds=["circular.published"])
    assert len(city["secret"]) == 64 and city["active"] is True
    listed = admin.get("/api/v1/webhooks").get_json()
    assert [s["name"] for s in listed] == ["区安委办系统", "城市运行管理平台"]
    assert all("secret" not in s for s in listed)

    hazard = assign_hazard(parties, deadline=end_of("2026-12-08"))
    run_outbox()
    [event] = received(recorder, "/city")
    assert event["json"]["type"] == "hazard.transitioned" and event["json"]["hazard_id"] == hazard.id
    assert event["json"]["action"] == "assign"
    assert signed_by(event, city["secret"]) and not signed_by(event, office["secret"])
    assert received(recorder, "/office") == []  # not its kind of event
    assert event["headers"]["X-Hazardloop-Event-Id"] == event["json"]["event_hash"]


def test_a_disabled_subscriber_gets_nothing_until_enabled_again(db, parties, make_user, login, http_server):
    base, recorder = http_server
    admin = login(make_user("admin"))
    city = register(admin, name="城市运行管理平台", url=f"{base}/city", event_kinds=[])
    disabled = admin.patch(f"/api/v1/webhooks/{city['id']}", json={"active": False})
    assert disabled.status_code == 200 and disabled.get_json()["disabled_at"]
    assign_hazard(parties, deadline=end_of("2026-12-08"))
    run_outbox()
    assert received(recorder, "/city") == []
    assert_problem(admin.post(f"/api/v1/webhooks/{city['id']}/ping"), 409, "subscriber_disabled")
    enabled = admin.patch(f"/api/v1/webhooks/{city['id']}", json={"active": True, "url": f"{base}/city2"})
    assert enabled.get_json()["active"] is True and enabled.get_json()["disabled_at"] is None
    ping = admin.post(f"/api/v1/webhooks/{city['id']}/ping")
    assert ping.status_code == 202, ping.get_json()
    run_outbox()
    [event] = received(recorder, "/city2")
    assert event["json"] == {"type": "ping", "subscription_id": city["id"]} and signed_by(event, city["secret"])


def test_a_rotated_secret_signs_from_then_on_and_the_old_one_still_verifies(db, parties, make_user, login,
                                                                           http_server, week_of_hazards):
    base, recorder = http_server
    admin = login(make_user("admin"))
    office_hook = register(admin, name="区安委办系统", url=f"{base}/office", event_kinds=["circular.published"])
    rotated = admin.post(f"/api/v1/webhooks/{office_hook['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.get_json()
    new = rotated.get_json()
    assert new["secret"] != office_hook["secret"] and new["previous_secret_valid"] and new["secret_rotated_at"]
    supervisor = login(parties.office)
    draft = supervisor.post("/api/v1/circulars/drafts", json={
        "scope_kind": "street", "region_id": parties.district.street_a.id, "period_kind": "week",
        "start": "2026-11-25"}).get_json()
    assert supervisor.post(f"/api/v1/circulars/{draft['id']}/publish").status_code == 200
    run_outbox()
    [event] = received(recorder, "/office")
    assert event["json"]["type"] == "circular.published" and event["json"]["circular_id"] == draft["id"]
    assert sorted(event["json"]["hazard_ids"]) == sorted(draft["hazard_ids"])
    assert signed_by(event, new["secret"], office_hook["secret"])  # what the subscriber checks while switching
    assert signed_by(event, new["secret"]) and not signed_by(event, office_hook["secret"])


def test_only_the_administrator_manages_subscribers(db, parties, make_user, login):
    admin = login(make_user("admin"))
    hook = register(admin, name="城市运行管理平台", url="http://127.0.0.1:9/hooks", event_kinds=[])
    supervisor = login(parties.office)
    assert_problem(supervisor.get("/api/v1/webhooks"), 403)
    assert_problem(supervisor.post("/api/v1/webhooks", json={"name": "x平台", "url": "http://127.0.0.1:9/"}), 403)
    for method, path in (("get", ""), ("patch", ""), ("post", "/rotate-secret"), ("post", "/ping")):
        kwargs = {"json": {"active": False}} if method == "patch" else {}
        assert_problem(getattr(supervisor, method)(f"/api/v1/webhooks/{hook['id']}{path}", **kwargs), 404)
    assert_problem(admin.get("/api/v1/webhooks/999999"), 404)


def test_a_subscriber_needs_a_web_address_and_known_event_kinds(make_user, login):
    admin = login(make_user("admin"))
    assert_problem(admin.post("/api/v1/webhooks", json={"name": "城市平台", "url": "ftp://127.0.0.1/x"}), 422)
    body = assert_problem(admin.post("/api/v1/webhooks", json={"name": "城市平台", "url": "http://127.0.0.1:9/",
                                                               "event_kinds": ["hazard.deleted"]}), 422)
    assert "event_kinds" in json.dumps(body, ensure_ascii=False)


def test_the_event_kinds_offered_are_the_ones_accepted_with_chinese_names(db, parties, make_user, login):
    from hazardloop.notifications.schemas import WEBHOOK_EVENT_KINDS

    admin = login(make_user("admin"))
    kinds = admin.get("/api/v1/webhooks/event-kinds").get_json()
    assert [k["code"] for k in kinds] == list(WEBHOOK_EVENT_KINDS)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in k["label"]) for k in kinds)
    assert_problem(login(parties.office).get("/api/v1/webhooks/event-kinds"), 403)
