"""The OpenAPI document is valid OpenAPI 3 and documents every API route with its errors."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_validates(api):
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_documented_with_an_error_response(app, api):
    spec = api.get("/api/openapi.json").get_json()
    documented = {re.sub(r"\{[^}]+\}", "{}", p): ops for p, ops in spec["paths"].items()}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule.rule)
        assert path in documented, rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = documented[path][method.lower()]
            codes = set(operation["responses"])
            assert any(c.startswith(("4", "5")) or c == "default" for c in codes), (rule.rule, method)


def test_problem_schema_is_the_documented_error_shape(api):
    spec = api.get("/api/openapi.json").get_json()
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "detail", "errors"} <= set(problem["properties"])


def test_docs_page_is_served_without_a_cdn(api):
    page = api.get("/api/docs")
    assert page.status_code == 200
    assert b"/api/docs/assets/swagger-ui-bundle.js" in page.data
    asset = api.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_every_operation_documents_its_errors_as_problem_json(api):
    spec = api.get("/api/openapi.json").get_json()
    shared = spec["components"]["responses"]
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    assert shared["DEFAULT_ERROR"]["content"] == {"application/problem+json": problem}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert responses["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}, (path, method)
            for status, response in responses.items():
                if status[0] in "45":
                    response = shared[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                    assert response["content"] == {"application/problem+json": problem}, (path, method, status)


def test_money_dumped_as_a_string_is_documented_as_a_string(api):
    spec = api.get("/api/openapi.json").get_json()
    amounts = [schema["properties"]["reward_amount"] for schema in spec["components"]["schemas"].values()
               if "reward_amount" in schema.get("properties", {})]
    assert amounts
    for amount in amounts:
        assert "number" not in amount["type"] and "string" in amount["type"], amount


def test_problem_extension_members_match_the_documented_problem(api):
    """RFC 9457 allows extension members: a 429's retry_after must not break the documented shape."""
    from jsonschema import Draft202012Validator

    spec = api.get("/api/openapi.json").get_json()
    problem = spec["components"]["schemas"]["Problem"]
    body = {"type": "https://hazardloop.invalid/problems/login_rate_limited", "title": "请求过于频繁",
            "status": 429, "code": "login_rate_limited", "detail": "登录失败次数过多，请 30 秒后再试。",
            "retry_after": 30, "current_status": "found"}
    assert list(Draft202012Validator(problem).iter_errors(body)) == []
