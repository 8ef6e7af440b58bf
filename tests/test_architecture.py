"""The rules that keep the tree readable, checked on the files themselves (no app, no database).

ARCHITECTURE.md names only paths that exist; models import no services and no feature imports another's
routes; a test module imports no other test module (shared helpers live in tests/support/, shared fixtures in
a conftest.py); and no test sleeps for a fixed time outside a loop that waits on a condition.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend" / "hazardloop"
TESTS = ROOT / "tests"
# Helpers the browser and API tests share from a conftest by the project's own rule (README / brief): the
# two conftests at the top of the test tree and of the browser tests.
SHARED_CONFTESTS = {"tests.conftest", "tests.web.conftest"}


def _named_paths(text: str) -> set[str]:
    """Every repository path ARCHITECTURE.md names: link targets, and backticked names with a folder."""
    named = {target for target in re.findall(r"\]\(([^)#\s]+)\)", text) if "://" not in target}
    for quoted in re.findall(r"`([^`\s]+)`", text):
        if "/" in quoted and not re.search(r"[<>*…{}]", quoted):
            named.add(quoted)
    return named


def _exists(name: str) -> bool:
    # A backticked name may be written from the backend package, the PWA's src or the repository root.
    return any((base / name).exists() for base in (ROOT, BACKEND, ROOT / "pwa" / "src", ROOT / "pwa"))


def test_architecture_md_names_only_paths_that_exist() -> None:
    named = _named_paths((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    assert len(named) > 20, named  # the page names the tree, not nothing
    assert sorted(n for n in named if not _exists(n)) == []


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Each module an import statement of ``path`` names, with its line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            yield from ((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)


def test_models_import_no_services_and_features_no_other_routes() -> None:
    wrong = []
    for path in sorted(BACKEND.rglob("*.py")):
        feature = path.relative_to(BACKEND).parts[0]
        for module, line in _imports(path):
            parts = module.split(".")
            if path.name == "models.py" and parts[-1] == "services":
                wrong.append(f"{path.relative_to(ROOT)}:{line} {module}")
            is_routes = parts[-1] == "routes" or parts[-1].endswith("_routes")
            if is_routes and len(parts) >= 3 and parts[1] != feature and path.name != "__init__.py":
                wrong.append(f"{path.relative_to(ROOT)}:{line} {module}")
    assert wrong == []


def _is_test_module(module: str) -> bool:
    last = module.split(".")[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another() -> None:
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for module, line in _imports(path):
            if _is_test_module(module) and module not in SHARED_CONFTESTS:
                wrong.append(f"{path.relative_to(ROOT)}:{line} {module}")
    assert wrong == []


def _fixed_sleeps(path: Path) -> Iterator[str]:
    """``time.sleep(…)`` and Playwright's ``wait_for_timeout(…)`` outside a loop: waiting on time, not on a
    condition (inside a ``while``/``for`` they are the poll's interval, the loop's test is the condition)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

    def visit(node: ast.AST, in_loop: bool) -> Iterator[str]:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("sleep", "wait_for_timeout") and not in_loop:
            yield f"{path.relative_to(ROOT)}:{node.lineno}"
        # A function body starts outside any loop, even when the function is defined in one.
        inner = False if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) else in_loop
        for child in ast.iter_child_nodes(node):
            yield from visit(child, inner or isinstance(node, ast.While | ast.For | ast.AsyncFor))

    yield from visit(tree, False)


def test_no_test_sleeps_a_fixed_time() -> None:
    assert [where for path in sorted(TESTS.rglob("*.py")) for where in _fixed_sleeps(path)] == []
