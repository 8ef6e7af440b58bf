"""The authenticated OpenAPI fuzz shared by tests/system/test_fuzz.py, tests/selfchecks and scripts/fuzz.py.

schemathesis generates requests (positive: fitting the OpenAPI document; negative: breaking it)
for every operation, sends them in-process through the WSGI app as one logged-in role, and checks
two things: no 5xx, and every response matches what the document promises for its status
(problem+json errors included).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.specs.openapi.checks import response_schema_conformance

# Demo accounts (backend/hazardloop/demo): 系统管理员, 街道监管, 网格员.
FUZZ_ROLES: dict[str, str] = {
    "admin": "13800000001",
    "street_supervisor": "13800000011",
    "grid_worker": "13800001001",
}
DEMO_PASSWORD = "Demo@2026"
SESSION_COOKIE = "hl_session"
CSRF_HEADER = "X-CSRF-Token"

# Operations that end or re-key the fuzzing session itself: fuzzing them proves nothing about
# input handling and leaves every later case answering 401.
_SESSION_ENDING = re.compile(r"^(POST /api/v1/auth/(logout|password)|\w+ /api/v1/auth/sessions.*)$")


@dataclass
class Finding:
    role: str
    mode: str
    operation: str
    check: str
    status: int
    request: str
    detail: str


@dataclass
class FuzzReport:
    cases: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        return (f"cases={self.cases} server_errors={self.server_errors} "
                f"schema_violations={self.schema_violations} statuses={dict(sorted(self.statuses.items()))}")

    def describe_findings(self, limit: int = 30) -> str:
        seen: dict[tuple[str, str, int], Finding] = {}
        for f in self.findings:
            seen.setdefault((f.operation, f.check, f.status), f)
        lines = [f"{f.role}/{f.mode} {f.operation} → {f.status} [{f.check}] {f.request}\n    {f.detail[:400]}"
                 for f in list(seen.values())[:limit]]
        return f"{len(seen)} distinct failures:\n" + "\n".join(lines)


@dataclass
class Identity:
    role: str
    mobile: str
    user_id: int
    cookies: dict[str, str]
    headers: dict[str, str]


def log_in(app: Flask, role: str, mobile: str = "", password: str = DEMO_PASSWORD) -> Identity:
    """Log a demo account in through the API and keep its session cookie and CSRF token."""
    mobile = mobile or FUZZ_ROLES[role]
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"mobile": mobile, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    return Identity(role=role, mobile=mobile, user_id=int(body["user"]["id"]),
                    cookies={SESSION_COOKIE: cookie.value}, headers={CSRF_HEADER: body["csrf_token"]})


def load_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _closing(app: Flask) -> Callable[[dict[str, Any], Any], list[bytes]]:
    """The app as a WSGI server runs it: the body read whole and the iterable closed after each request.

    schemathesis reads a response but never closes it, which would leave every streamed temporary
    file (the XLSX exports) open.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return wsgi


def _operations(schema: Any, only: str | None) -> list[Any]:
    out = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if _SESSION_ENDING.match(label) or (only and not re.search(only, label)):
            continue
        out.append(operation)
    return out


def _touches_fuzzer(case: Any, protected_user_ids: set[int]) -> bool:
    """A change to one of the fuzzing accounts themselves (disable, new mobile): it would end the run."""
    if case.method.upper() == "PATCH" and case.operation.path == "/api/v1/users/{user_id}":
        try:
            return int(case.path_parameters.get("user_id")) in protected_user_ids
        except (TypeError, ValueError):
            return False
    return False


def fuzz(
    app: Flask,
    identities: Iterable[Identity],
    *,
    examples: int,
    negative_examples: int | None = None,
    modes: Iterable[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    only: str | None = None,
    seed: int | None = 2026,
    report: FuzzReport | None = None,
) -> FuzzReport:
    """Generate ``examples`` cases per operation and mode and send each as every identity; collect failures.

    ``negative_examples``: another budget for the negative mode (default: ``examples``). Generating
    a case costs more than sending it, so one case serves all roles.
    """
    report = report or FuzzReport()
    identities = list(identities)
    protected = {i.user_id for i in identities}
    schema = load_schema(app)
    wsgi = _closing(app)
    for mode in modes:
        budget = examples if mode == GenerationMode.POSITIVE or negative_examples is None else negative_examples
        for operation in _operations(schema, only):
            _fuzz_operation(operation, wsgi, identities, mode, budget, seed, protected, report)
    return report


def _fuzz_operation(operation: Any, wsgi: Any, identities: list[Identity], mode: GenerationMode, examples: int,
                    seed: int | None, protected: set[int], report: FuzzReport) -> None:
    """Up to ``examples`` cases of one operation; failures are recorded, not raised (no shrinking)."""
    label = f"{operation.method.upper()} {operation.path}"

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is not None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate], print_blob=False,
              verbosity=Verbosity.quiet)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        if _touches_fuzzer(case, protected):
            return
        for identity in identities:
            _send(case, wsgi, identity, mode, label, report)

    # Unsatisfiable: nothing to break, e.g. the negative mode of an operation without any input.
    started = time.monotonic()
    with contextlib.suppress(Unsatisfiable):
        run()
    report.seconds[label] += time.monotonic() - started


def _send(case: Any, wsgi: Any, identity: Identity, mode: GenerationMode, label: str, report: FuzzReport) -> None:
    response = case.call(app=wsgi, headers=dict(identity.headers), cookies=dict(identity.cookies))
    report.cases += 1
    report.statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
    except FailureGroup as group:
        server = [f for f in group.exceptions if isinstance(f, ServerError)]
        schema_failures = [f for f in group.exceptions if not isinstance(f, ServerError)]
        report.server_errors += bool(server)
        report.schema_violations += bool(schema_failures)
        for failure in server[:1] + schema_failures:
            report.findings.append(Finding(
                role=identity.role, mode=str(mode.value), operation=label,
                check="server_error" if failure in server else "schema", status=response.status_code,
                request=f"{case.method} {case.formatted_path} query={case.query!r} body={str(case.body)[:300]!r}",
                detail=f"{failure.title}: {failure.message} | {response.text[:300]}"))
