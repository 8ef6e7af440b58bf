"""The 自查自报 endpoints under the authenticated fuzz (as the whole API is in tests/system/test_fuzz.py), with a
bigger budget: no generated request gets a 5xx or an answer the OpenAPI document does not promise."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fuzzing import fuzz

pytestmark = pytest.mark.postgresql_only


def test_self_check_endpoints_never_answer_a_server_error(fuzz_demo: Any) -> None:
    app, identities = fuzz_demo
    report = fuzz(app, identities.values(), examples=15, negative_examples=15, seed=2026, only=r"/self-checks")
    print(report.summary())
    assert report.cases >= 60, report.summary()
    assert (report.server_errors, report.schema_violations) == (0, 0), (
        report.summary() + "\n" + report.describe_findings())
