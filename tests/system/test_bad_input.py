"""No input answers 5xx: ids beyond the database, NUL and control characters, lone surrogates, deep
JSON, huge numbers and impossible dates are refused with a problem+json, a stable code and a Chinese detail."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.conftest import assert_problem

BIG_IDS = [str(2**31), str(2**63), str(10**30), "9" * 5000]
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def admin(login, make_user, district):
    return login(make_user("admin"))


def _id_routes(app):
    """Every API rule with an integer path id, with one method it answers."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "<int:" in rule.rule:
            yield rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


@pytest.mark.parametrize("big", BIG_IDS, ids=["2^31", "2^63", "10^30", "5000-digits"])
def test_every_path_id_beyond_the_database_is_404(app, admin, big):
    routes = list(_id_routes(app))
    assert len(routes) > 20
    for rule, method in routes:
        path = re.sub(r"<int:[^>]+>", big, rule)
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "x", path)
        response = admin.client.open(path, method=method, json={}, headers=admin._headers(None))
        assert_problem(response, 404, "not_found")


def test_the_documented_path_id_has_the_database_bound(api):
    spec = api.get("/api/openapi.json").get_json()
    parameter = spec["paths"]["/api/v1/hazards/{hazard_id}"]["parameters"][0]
    assert parameter["schema"]["maximum"] == 2**31 - 1


@pytest.mark.parametrize("query", ["region=2147483648", "site=99999999999999999999", "department=-2147483649"])
def test_a_query_id_beyond_the_database_is_refused(admin, query):
    response = admin.get(f"/api/v1/hazards?{query}")
    assert response.status_code == 422, response.get_data(as_text=True)
    body = assert_problem(response, 422)
    assert body["code"] in {"validation_failed", "out_of_range"}


def test_a_body_id_beyond_the_database_is_422_for_its_field(admin, district):
    response = admin.post("/api/v1/sites", json={"name": "便利店", "address": "测试路1号", "grid_id": 2**31,
                                                 "category": "small_shop"})
    body = assert_problem(response, 422, "validation_failed")
    assert {"field": "grid_id", "code": "out_of_range", "message": "编号超出允许范围。",
            "location": "json"} in body["errors"]


@pytest.mark.parametrize("path", ["/api/v1/photos/%00abc", "/api/v1/public/reports/AB%00CD",
                                  "/api/v1/sites/by-qr/%01x", "/api/v1/open311/requests/%00.json"])
def test_a_control_character_in_a_path_is_400(admin, path):
    assert_problem(admin.get(path), 400, "invalid_characters")


def test_a_nul_in_the_query_string_is_422(admin):
    body = assert_problem(admin.get("/api/v1/sites?q=%E4%BE%BF%00"), 422, "validation_failed")
    assert body["errors"] == [{"field": "q", "code": "invalid_characters", "location": "query",
                               "message": "含有不允许的控制字符（如 NUL）或无效的 Unicode 字符。"}]


@pytest.mark.parametrize("text", ["便利\u0000店", "便利\u000b店", "\u001b[31m便利店"], ids=["nul", "vt", "esc"])
def test_control_characters_in_a_json_string_are_422_for_that_field(admin, district, text):
    response = admin.post("/api/v1/sites", json={"name": text, "address": "测试路1号",
                                                 "grid_id": district.grid_a1.id, "category": "small_shop"})
    body = assert_problem(response, 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("name", "invalid_characters")]


def test_a_lone_surrogate_is_422_even_anonymously(api):
    response = api.client.post(LOGIN, data='{"mobile": "\\ud800", "password": "x"}',
                               content_type="application/json")
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "mobile"


@pytest.mark.parametrize("path", [LOGIN, "/api/v1/public/reports"])
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_a_thousand_deep_is_400_anonymously(api, path, opening):
    closing = "]" if opening == "[" else "}"
    response = api.client.post(path, data=opening * 1000 + "1" + closing * 1000, content_type="application/json")
    body = assert_problem(response, 400, "json_too_deep")
    assert "32" in body["detail"]


def test_json_nested_within_the_bound_is_parsed_normally(api):
    nested = "[" * 20 + "]" * 20
    response = api.client.post(LOGIN, data='{"mobile": "13800000000", "password": "x", "extra": ' + nested + "}",
                               content_type="application/json")
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["code"] == "unknown_field"


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "9" * 30, "1e999", "NaN", "-Infinity"])
def test_a_number_no_column_can_hold_is_422(api, number):
    response = api.client.post(LOGIN, data='{"mobile": ' + number + ', "password": "x"}',
                               content_type="application/json")
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [{"field": "mobile", "code": "out_of_range", "message": "数值超出允许范围。",
                               "location": "json"}]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
                                   "9999-12-31T00:00:00", "1800-06-01T00:00:00"])
def test_an_impossible_instant_in_a_query_is_422(admin, value):
    body = assert_problem(admin.get(f"/api/v1/hazards?found_from={quote(value)}"), 422, "validation_failed")
    assert body["errors"][0]["field"] == "found_from"
    assert body["errors"][0]["code"] == "out_of_range"
    assert "1900-01-01" in body["errors"][0]["message"]


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_an_impossible_date_in_a_query_is_422(admin, value):
    body = assert_problem(admin.get(f"/api/v1/reports?from={value}"), 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("from", "out_of_range")]


def test_malformed_and_non_utf8_json_stay_400(api):
    assert_problem(api.client.post(LOGIN, data=b'{"mobile": "\xff"}', content_type="application/json"),
                   400, "malformed_json")
    assert_problem(api.client.post(LOGIN, data="{'mobile': 1}", content_type="application/json"),
                   400, "malformed_json")
