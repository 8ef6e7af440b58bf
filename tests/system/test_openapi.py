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
