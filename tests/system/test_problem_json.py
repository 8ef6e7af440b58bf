"""Every error leaves as application/problem+json with a stable code and a Chinese detail."""

from __future__ import annotations

from tests.conftest import assert_problem


def test_unknown_route_is_404_problem(api):
    assert_problem(api.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_problem_with_allow_header(api):
    response = api.client.delete("/api/v1/health")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_problem(api):
    response = api.client.post("/api/v1/auth/login", data='{"mobile":', content_type="application/json")
    assert_problem(response, 400, "malformed_json")


def test_missing_and_wrong_typed_fields_are_listed_one_by_one(api):
    response = api.post("/api/v1/auth/login", json={"mobile": 13800000000})
    body = assert_problem(response, 422, "validation_failed")
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["mobile"]["code"] == "invalid_type"
    assert by_field["password"]["code"] == "required"
    assert by_field["password"]["message"] == "必填字段缺失。"
    # What a person reads names the problems in Chinese, never the fields' English names.
    assert body["detail"].startswith("提交的数据有误：") and "必填字段缺失" in body["detail"]
    assert "mobile" not in body["detail"] and "password" not in body["detail"]


def test_unknown_fields_are_refused(api):
    response = api.post("/api/v1/auth/login", json={"mobile": "13800000000", "password": "x", "admin": True})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [
        {"field": "admin", "code": "unknown_field", "message": "不认识的字段。", "location": "json"}
    ]


def test_json_that_is_not_an_object_is_refused(api):
    response = api.post("/api/v1/auth/login", json=["13800000000", "x"])
    assert_problem(response, 422, "validation_failed")


def test_oversize_body_is_413_problem(app, api):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = api.client.post(
        "/api/v1/auth/login", data=b"x" * (limit + 1), content_type="application/json"
    )
    assert_problem(response, 413, "payload_too_large")


def test_bad_query_parameter_is_422_problem(login, make_user, district):
    client = login(make_user("admin"))
    body = assert_problem(client.get("/api/v1/sites?per_page=abc"), 422, "validation_failed")
    assert body["errors"][0]["field"] == "per_page"
    assert body["errors"][0]["location"] == "query"


def test_unauthenticated_request_is_401_problem(api):
    assert_problem(api.get("/api/v1/sites"), 401, "unauthenticated")
