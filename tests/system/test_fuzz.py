"""Authenticated fuzz of the whole OpenAPI document: no generated request gets a 5xx, and every answer
(problem+json errors included) matches what the document promises for its status.

schemathesis sends positive (fitting the document) and negative (breaking it) cases for every
operation as 管理员, 街道监管 and 网格员 on the seeded demo district, in-process (WSGI). The budget
is small and the cases are derandomized so the suite stays fast and repeatable; scripts/fuzz.py is
the long run. PostgreSQL only: it is where out-of-range integers and NUL in text surface.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.fuzzing import fuzz

pytestmark = pytest.mark.postgresql_only

# Cases per operation, each sent as all three roles: positive, negative (≈ 1,500 requests, about a
# minute on two cores).
EXAMPLES, NEGATIVE_EXAMPLES = 2, 2


def test_no_generated_request_gets_a_server_error_or_an_undocumented_answer(fuzz_demo: Any) -> None:
    app, identities = fuzz_demo
    report = fuzz(app, identities.values(), examples=EXAMPLES, negative_examples=NEGATIVE_EXAMPLES, seed=2026)
    print(report.summary())
    # The fuzz reached the API as logged-in users, not only its 401 answer.
    assert report.cases >= 1000, report.summary()
    assert sum(n for status, n in report.statuses.items() if status < 300) >= 100, report.summary()
    assert report.statuses[401] <= 20, report.summary()
    assert (report.server_errors, report.schema_violations) == (0, 0), (
        report.summary() + "\n" + report.describe_findings())
