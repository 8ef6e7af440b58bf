"""三标融合检查表文件格式：读取、校验、规范化。

A directory of YAML files (see ``checklists/README.md``) holds two kinds of file:

* **checklists** (``kind: checklist``, the default): ``id``, ``title``, ``version``,
  ``applies_to``, ``sections`` with ``items``;
* **libraries** (``kind: library``): shared items that checklist items copy with
  ``{code: OWN-CODE, ref: LIBRARY-CODE}``.  The copy keeps its own code (codes are unique
  across all files), takes every field from the library item, and may override only the
  scoring fields ``deduction``, ``deduction_cap`` and ``photo_required_on_fail``.

Validation never raises on bad input: every defect becomes a :class:`Problem` carrying the
file, the 1-based line of the offending YAML node and a Chinese reason.  Line numbers come
from the node marks of ``yaml.compose``; a JSON-schema error's path is walked down the
composed node tree to the deepest node that exists.

``content_hash`` is the SHA-256 of a canonical JSON serialisation (sorted keys, no
whitespace, UTF-8) of the checklist *after* refs are resolved.  Comments, whitespace, key
order and YAML quoting style therefore do not change the hash; any change of content does,
including a change to a library item that the checklist copies.  ``2`` and ``2.0`` are
different JSON numbers and hash differently.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from hazardloop.checklists.legal import (
    GeneralDutyTable,
    PenaltyTable,
    ReferenceTexts,
    check_law,
    local_law_regions,
    normalise_law,
    normalise_text,
)
from hazardloop.checklists.yamlfile import ChecklistFormatError, Problem
from hazardloop.checklists.yamlfile import SourceFile as _File
from hazardloop.checklists.yamlfile import iter_items as _iter_items
from hazardloop.checklists.yamlfile import parse as _parse
from hazardloop.taxonomy import Domain, SiteCategory

# Re-exported: callers outside this package import these names from here.
__all__ = [
    "ChecklistDocument", "ChecklistFormatError", "GeneralDutyTable", "Item", "PenaltyTable",
    "Problem", "ReferenceTexts", "applicable", "document_from_data", "in_regions",
    "load_checklist", "load_directory", "local_law_regions", "normalise_law", "normalise_text",
    "taxonomy_codes", "validate_directory",
]

SCHEMA_FILENAME = "schema.json"
PENALTY_TABLE_FILENAME = "penalty-only-articles.json"
GENERAL_DUTY_TABLE_FILENAME = "general-duty-articles.json"
_REPO_ROOT = Path(__file__).resolve().parents[3]
_DEFAULT_SCHEMA_PATH = _REPO_ROOT / "checklists" / SCHEMA_FILENAME
# The law texts the 重大 criteria are checked against: ../shared/reference next to the repository.
DEFAULT_REFERENCE_DIR = _REPO_ROOT.parent / "shared" / "reference"
REF_OVERRIDABLE = ("deduction", "deduction_cap", "photo_required_on_fail")
DEFAULT_TOTAL_SCORE = 100

# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class AppliesTo:
    categories: frozenset[str]
    domains: frozenset[str]
    # GB/T 2260 prefixes where the list's local law applies; empty = everywhere.
    regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Item:
    """One resolved checklist item; ``data`` is the full item as a plain dict."""

    code: str
    section_code: str
    text: str
    method: str
    answer: Mapping[str, Any]
    photo_required_on_fail: bool
    level: str
    hazard: Mapping[str, Any]
    standard: Mapping[str, Any]
    enforcement: Mapping[str, Any]
    basis_verified: bool
    # "general_duty": verified only through a general duty (一般性义务条款); the specific rule is in a
    # standard whose text we do not have. "specific": the cited articles state the duty itself.
    basis_kind: str
    source: str
    deduction: float | None
    deduction_cap: float | None
    ref: str | None
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    cap: float | None
    item_codes: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistDocument:
    """A validated checklist with refs resolved.

    ``data`` is the canonical content (what ``content_hash`` is computed over)."""

    id: str
    title: str
    version: str
    description: str
    total_score: float
    applies_to: AppliesTo
    sections: tuple[Section, ...]
    items: Mapping[str, Item]
    content_hash: str
    source_path: Path
    data: Mapping[str, Any] = field(repr=False)


# --------------------------------------------------------------------------- schema


@cache
def _schema(path: Path = _DEFAULT_SCHEMA_PATH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_schema(path: Path | None = None) -> dict[str, Any]:
    """The JSON Schema for one checklist/library file (``checklists/schema.json``)."""
    return copy.deepcopy(_schema(path or _DEFAULT_SCHEMA_PATH))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema(_DEFAULT_SCHEMA_PATH))


# --------------------------------------------------------------------------- parsing

_TYPE_NAMES = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "true/false",
    "array": "列表",
    "object": "键值对（映射）",
    "null": "空值",
}


def _json_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（顶层）"


def _schema_reason(err: jsonschema.ValidationError) -> tuple[list[str | int], str]:
    path: list[str | int] = list(err.absolute_path)
    where = _json_path(path)
    v, inst = err.validator, err.instance
    if v == "required":
        missing = [k for k in err.validator_value if isinstance(inst, dict) and k not in inst]
        names = "、".join(f"'{k}'" for k in missing) or str(err.validator_value)
        if "major_criterion" in missing:
            return path, (
                "等级为“重大”的隐患必须在 major_criterion 中写明所依据的重大隐患判定标准"
                "（standard、clause、quote 逐字引用原文）；找不到判定标准原文的，请定为“一般”，"
                "并把条件写入 major_condition 供检查人员判断"
            )
        if "days" in missing:
            return path, f"{where}：整改期限为按日计算时必须填写 days（天数）"
        return path, f"{where}：缺少必填字段 {names}"
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = err.schema.get("properties", {})
        extra = [k for k in inst if k not in allowed]
        if extra:
            path = [*path, extra[0]]
        allowed_txt = "、".join(allowed)
        extra_txt = "、".join(map(str, extra))
        return path, f"{where}：不认识的字段 '{extra_txt}'（可用字段：{allowed_txt}）"
    if v == "type":
        want = err.validator_value
        wants = [want] if isinstance(want, str) else list(want)
        names = "或".join(_TYPE_NAMES.get(w, w) for w in wants)
        hint = "（版本号等请加引号，如 \"2026.1\"）" if "string" in wants else ""
        return path, f"{where}：应为{names}，实际为 {inst!r}{hint}"
    if v == "enum":
        parent = [p for p in path if isinstance(p, str)]
        if parent[-2:] == ["applies_to", "categories"]:
            return path, f"未知的场所类别代码 '{inst}'（见 hazardloop.taxonomy.SiteCategory）"
        if parent[-2:] == ["applies_to", "domains"]:
            return path, f"未知的监管领域代码 '{inst}'（见 hazardloop.taxonomy.Domain）"
        opts = "、".join(map(str, err.validator_value))
        return path, f"{where}：取值 {inst!r} 不在允许范围内（可选：{opts}）"
    if v == "const":
        return path, f"{where}：取值应为 {err.validator_value!r}"
    if v == "pattern":
        return path, f"{where}：{inst!r} 格式不符合要求（正则 {err.validator_value}）"
    if v == "minItems":
        return path, f"{where}：至少需要 {err.validator_value} 项"
    if v == "minLength":
        return path, f"{where}：不能为空"
    if v == "minProperties":
        if isinstance(inst, dict) and inst.get("type") == "number":
            return path, f"{where}：数值型答案至少要给出 min 或 max 限值"
        return path, f"{where}：不能为空"
    if v in ("minimum", "exclusiveMinimum"):
        op = "≥" if v == "minimum" else ">"
        return path, f"{where}：数值应 {op} {err.validator_value}，实际为 {inst!r}"
    if v == "uniqueItems":
        return path, f"{where}：列表中有重复值"
    if v == "not" and isinstance(inst, dict) and "days" in inst:
        return [*path, "days"], f"{where}：整改期限为“立即”（immediate）时不应填写 days"
    return path, f"{where}：{err.message}"


def _check_schema(f: _File) -> None:
    errors = list(_validator().iter_errors(f.data))
    for err in errors:
        path, reason = _schema_reason(err)
        f.add(f.line(path), reason)
    f.schema_ok = not errors


# --------------------------------------------------------------------------- semantic checks


def _check_item(f: _File, path: list[str | int], item: dict[str, Any]) -> None:
    if "ref" in item:
        return  # checked once refs are resolvable
    answer = item["answer"]
    if answer["type"] == "number":
        lo, hi = answer.get("min"), answer.get("max")
        if lo is not None and hi is not None and lo > hi:
            f.add(f.line([*path, "answer", "min"]), f"{item['code']}：min（{lo}）大于 max（{hi}）")
    if answer["type"] == "choice":
        values = [o["value"] for o in answer["options"]]
        for dup in sorted({v for v in values if values.count(v) > 1}):
            f.add(f.line([*path, "answer"]), f"{item['code']}：选项值 '{dup}' 重复")
        flags = {o["compliant"] for o in answer["options"]}
        if flags != {True, False}:
            f.add(
                f.line([*path, "answer"]),
                f"{item['code']}：选择题至少要有一个符合（compliant: true）和一个不符合的选项",
            )
    _check_scoring_fields(f, path, item)


def _check_scoring_fields(f: _File, path: list[str | int], item: dict[str, Any]) -> None:
    ded, cap = item.get("deduction"), item.get("deduction_cap")
    if cap is not None and ded is None:
        line = f.line([*path, "deduction_cap"])
        f.add(line, f"{item['code']}：有 deduction_cap 却没有 deduction")
    if cap is not None and ded is not None and cap < ded:
        f.add(
            f.line([*path, "deduction_cap"]),
            f"{item['code']}：单项扣分上限 deduction_cap（{cap}）小于每处扣分 deduction（{ded}）",
        )


def _check_file(f: _File) -> None:
    if f.kind == "library":
        for path, item in _iter_items(f):
            _check_item(f, path, item)
        return
    applies = f.data["applies_to"]
    if not applies.get("categories") and not applies.get("domains"):
        f.add(f.line(["applies_to"]), "applies_to 至少要列出一个场所类别或监管领域")
    total = f.data.get("total_score", DEFAULT_TOTAL_SCORE)
    seen_sections: dict[str, int] = {}
    for s, section in enumerate(f.data["sections"]):
        line = f.line(["sections", s, "code"])
        if section["code"] in seen_sections:
            first = seen_sections[section["code"]]
            f.add(line, f"分节代码 '{section['code']}' 重复（第 {first} 行已用）")
        seen_sections.setdefault(section["code"], line)
        if section.get("cap") is not None and section["cap"] > total:
            f.add(f.line(["sections", s, "cap"]), f"分节扣分上限 {section['cap']} 超过总分 {total}")
    for path, item in _iter_items(f):
        _check_item(f, path, item)


def _check_cross_file(files: Sequence[_File]) -> None:
    ids: dict[str, tuple[_File, int]] = {}
    codes: dict[str, list[tuple[_File, int]]] = {}
    library_items: dict[str, dict[str, Any]] = {}
    for f in files:
        if not f.schema_ok:
            continue
        fid = f.data["id"]
        line = f.line(["id"])
        if fid in ids:
            other, oline = ids[fid]
            f.add(line, f"检查表 id '{fid}' 重复，{other.name}:{oline} 已使用")
            other.add(oline, f"检查表 id '{fid}' 重复，{f.name}:{line} 也使用了")
        else:
            ids[fid] = (f, line)
        for path, item in _iter_items(f):
            codes.setdefault(item["code"], []).append((f, f.line([*path, "code"])))
            if f.kind == "library":
                library_items.setdefault(item["code"], item)
    for code, places in codes.items():
        if len(places) < 2:
            continue
        for f, line in places:
            others = "、".join(f"{o.name}:{ol}" for o, ol in places if (o, ol) != (f, line))
            f.add(line, f"条目代码 '{code}' 重复（也出现在 {others}）；代码在全部检查表中必须唯一")
    for f in files:
        if not f.schema_ok or f.kind == "library":
            continue
        for path, item in _iter_items(f):
            if "ref" not in item:
                continue
            target = library_items.get(item["ref"])
            line = f.line([*path, "ref"])
            if target is None:
                hint = (
                    "它不是公共条目库（kind: library）中的条目"
                    if item["ref"] in codes
                    else "找不到该代码"
                )
                f.add(line, f"{item['code']}：引用 ref '{item['ref']}' 无法解析（{hint}）")
                continue
            merged = {**target, **{k: item[k] for k in REF_OVERRIDABLE if k in item}}
            merged["code"] = item["code"]
            _check_scoring_fields(f, path, merged)


# --------------------------------------------------------------------------- law rules
def _validate_files(files: Sequence[_File], reference: Path | None = None,
                    penalty_table: Path | None = None) -> list[Problem]:
    for f in files:
        _parse(f)
        if f.root is not None and isinstance(f.data, dict):
            _check_schema(f)
        if f.schema_ok:
            _check_file(f)
    _check_cross_file(files)
    check_law(files, ReferenceTexts(reference) if reference is not None else None,
              PenaltyTable.load(penalty_table),
              GeneralDutyTable.load(_table_for(penalty_table.parent, GENERAL_DUTY_TABLE_FILENAME)
                                    if penalty_table is not None else None))
    seen: set[Problem] = set()
    out: list[Problem] = []
    for f in files:
        for p in f.problems:
            if p not in seen:
                seen.add(p)
                out.append(p)
    return sorted(out, key=lambda p: (p.file, p.line, p.reason))


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")
    )


# --------------------------------------------------------------------------- building documents


def _canonical_hash(data: Mapping[str, Any]) -> str:
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _build(f: _File, library: Mapping[str, dict[str, Any]]) -> ChecklistDocument:
    data = copy.deepcopy(f.data)
    data.setdefault("kind", "checklist")
    data.setdefault("total_score", DEFAULT_TOTAL_SCORE)
    for section in data["sections"]:
        resolved = []
        for raw in section["items"]:
            if "ref" in raw:
                item = copy.deepcopy(library[raw["ref"]])
                item.update({k: v for k, v in raw.items()})
            else:
                item = raw
            resolved.append(item)
        section["items"] = resolved
    return document_from_data(data, f.path)


def document_from_data(data: Mapping[str, Any], source_path: Path | None = None) -> ChecklistDocument:
    """Build a document from canonical, already-resolved content (as stored by ``sync``).

    The content hash is recomputed, so stored content that was altered no longer matches
    the hash recorded when it was synced."""
    data = copy.deepcopy(dict(data))
    sections: list[Section] = []
    items: dict[str, Item] = {}
    for section in data["sections"]:
        for item in section["items"]:
            items[item["code"]] = Item(
                code=item["code"],
                section_code=section["code"],
                text=item["text"],
                method=item["method"],
                answer=item["answer"],
                photo_required_on_fail=item["photo_required_on_fail"],
                level=item["hazard"]["level"],
                hazard=item["hazard"],
                standard=item["standard"],
                enforcement=item["enforcement"],
                basis_verified=item["basis_verified"],
                basis_kind=item.get("basis_kind", "specific"),
                source=item["source"],
                deduction=item.get("deduction"),
                deduction_cap=item.get("deduction_cap"),
                ref=item.get("ref"),
                data=item,
            )
        sections.append(
            Section(
                code=section["code"],
                title=section["title"],
                cap=section.get("cap"),
                item_codes=tuple(i["code"] for i in section["items"]),
            )
        )
    applies = data["applies_to"]
    return ChecklistDocument(
        id=data["id"],
        title=data["title"],
        version=data["version"],
        description=data.get("description", ""),
        total_score=data["total_score"],
        applies_to=AppliesTo(
            categories=frozenset(applies.get("categories", [])),
            domains=frozenset(applies.get("domains", [])),
            regions=frozenset(data.get("regions", [])),
        ),
        sections=tuple(sections),
        items=items,
        content_hash=_canonical_hash(data),
        source_path=source_path or Path(f"{data['id']}.yaml"),
        data=data,
    )


def _library_index(files: Iterable[_File]) -> dict[str, dict[str, Any]]:
    return {
        item["code"]: item
        for f in files
        if f.schema_ok and f.kind == "library"
        for _, item in _iter_items(f)
    }


# --------------------------------------------------------------------------- public API


def _table_for(path: Path, filename: str) -> Path:
    """The directory's own law table ``filename``, else the project's."""
    own = path / filename
    return own if own.is_file() else _REPO_ROOT / "checklists" / filename


def _penalty_table_for(path: Path) -> Path:
    """The directory's own penalty-only table, else the project's."""
    return _table_for(path, PENALTY_TABLE_FILENAME)


def validate_directory(path: Path, reference: Path | None = None) -> list[Problem]:
    """Check every ``*.yaml``/``*.yml`` file directly inside ``path``; never raises.

    With ``reference`` (the shared/reference folder), every 重大 criterion's quote must be
    found verbatim in the cited standard's text there. Returns all problems sorted by file
    and line; an empty list means the directory is valid."""
    path = Path(path)
    if not path.is_dir():
        return [Problem(str(path), 1, "不是一个目录")]
    if reference is not None and not Path(reference).is_dir():
        return [Problem(str(reference), 1, "法规原文目录不存在")]
    return _validate_files([_File(p, str(p)) for p in _yaml_files(path)], reference,
                           _penalty_table_for(path))


def load_directory(path: Path, reference: Path | None = None) -> list[ChecklistDocument]:
    """All checklists (not libraries) in ``path``, sorted by id.

    Raises :class:`ChecklistFormatError` if any file has any problem: never half-loads."""
    path = Path(path)
    if not path.is_dir():
        raise ChecklistFormatError([Problem(str(path), 1, "不是一个目录")])
    files = [_File(p, str(p)) for p in _yaml_files(path)]
    problems = _validate_files(files, reference, _penalty_table_for(path))
    if problems:
        raise ChecklistFormatError(problems)
    library = _library_index(files)
    docs = [_build(f, library) for f in files if f.kind == "checklist"]
    return sorted(docs, key=lambda d: d.id)


def load_checklist(path: Path) -> ChecklistDocument:
    """Load one checklist file; refs are resolved against library files beside it.

    Raises :class:`ChecklistFormatError` for problems in this file (or in the libraries it
    needs).  Codes and ids are only compared with the libraries, not with the other
    checklists: use :func:`load_directory` for the full cross-file check."""
    path = Path(path)
    if not path.is_file():
        raise ChecklistFormatError([Problem(str(path), 1, "文件不存在")])
    target = _File(path, str(path))
    library_paths = []
    for p in _yaml_files(path.parent):
        if p.resolve() == path.resolve():
            continue
        probe = _File(p, str(p))
        _parse(probe)
        if probe.kind == "library":
            library_paths.append(p)
    libraries = [_File(p, str(p)) for p in library_paths]
    problems = _validate_files([target, *libraries], None, _penalty_table_for(path.parent))
    if not problems and target.kind == "library":
        problems.append(Problem(str(path), 1, "这是公共条目库（kind: library），不是检查表"))
    if problems:
        raise ChecklistFormatError(problems)
    return _build(target, _library_index(libraries))


def applicable(doc: ChecklistDocument, category: str, domains: set[str],
               region_codes: Iterable[str] = ()) -> bool:
    """Does ``doc`` apply to a site of ``category`` with regulatory ``domains``?

    Rule: yes when the site's category is listed in ``applies_to.categories`` **or** at
    least one of the site's domains is listed in ``applies_to.domains`` — and, for a list
    grounded in local law (``regions``), the site lies in one of those regions
    (``region_codes``: the GB/T 2260 codes of the site's region tree, e.g. its 区)."""
    matches = category in doc.applies_to.categories or bool(doc.applies_to.domains & set(domains))
    return matches and in_regions(doc.applies_to.regions, region_codes)


def in_regions(regions: Iterable[str], region_codes: Iterable[str]) -> bool:
    """True when ``regions`` is empty (no local limit) or a site code starts with one of them."""
    limits = [r for r in regions if r]
    if not limits:
        return True
    return any(code.startswith(limit) for code in region_codes if code for limit in limits)


def taxonomy_codes() -> tuple[frozenset[str], frozenset[str]]:
    """(site category codes, domain codes) the format accepts, from hazardloop.taxonomy."""
    return frozenset(c.value for c in SiteCategory), frozenset(d.value for d in Domain)

