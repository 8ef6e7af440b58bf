"""风险点模板 files in ``risks/``: reading and validating them (all or nothing, like ``checklists/``).

Each file names the site categories it applies to and lists risk points: 危险源, 事故类型 (from
``vocabulary.yaml``), a default assessment (checked against config/risk.yaml) and control measures,
each linked to the checklist items that check it (unknown item codes are refused).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hazardloop.checklists.format import ChecklistFormatError, Problem, load_directory, normalise_text
from hazardloop.risk.rules import Rules, load_rules, score
from hazardloop.taxonomy import SiteCategory

_REPO_ROOT = Path(__file__).resolve().parents[3]
PROJECT_RISKS = _REPO_ROOT / "risks"
PROJECT_CHECKLISTS = _REPO_ROOT / "checklists"
VOCABULARY = "vocabulary.yaml"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_CODE = re.compile(r"^RP-[A-Z0-9]+(-[A-Z0-9]+)*$")


class RiskFormatError(ValueError):
    """Raised by the loaders when any file has a problem; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems) or "风险点模板无效")


@dataclass(frozen=True)
class RiskCatalog:
    """One validated template file: its id, version, categories, points and content hash."""

    id: str
    title: str
    version: str
    categories: tuple[str, ...]
    points: tuple[Mapping[str, Any], ...]
    content_hash: str
    data: Mapping[str, Any] = field(repr=False)


def _line(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _checklist_items(checklists: Path) -> set[str] | None:
    try:
        docs = load_directory(checklists)
    except ChecklistFormatError:
        return None
    return {code for doc in docs for code in doc.items}


def _vocabulary(directory: Path, reference: Path | None, problems: list[Problem]) -> dict[str, Any]:
    path = directory / VOCABULARY
    if not path.is_file():
        problems.append(Problem(str(path), 1, "缺少受控词表 vocabulary.yaml"))
        return {}
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    for entry in data.get("accident_types") or []:
        name, quote, source = entry.get("name"), entry.get("quote"), entry.get("source")
        if not (name and quote and source):
            problems.append(Problem(str(path), _line(text, str(name)), "事故类型须写明 name、quote、source"))
            continue
        if reference is not None:
            file = Path(reference) / source
            if not file.is_file():
                problems.append(Problem(str(path), _line(text, source), f"引文出处 {source} 不在法规原文目录中"))
            elif normalise_text(quote) not in normalise_text(file.read_text(encoding="utf-8")):
                problems.append(Problem(str(path), _line(text, quote), f"「{quote}」未在 {source} 中逐字找到"))
    return data


def _check_point(path: str, text: str, point: Any, vocab: Mapping[str, Any], items: set[str] | None,
                 rules: Rules, seen: dict[str, str], problems: list[Problem]) -> None:
    if not isinstance(point, dict):
        problems.append(Problem(path, 1, "风险点应为映射"))
        return
    code = str(point.get("code", ""))
    line = _line(text, f"code: {code}") if code else 1

    def bad(reason: str) -> None:
        problems.append(Problem(path, line, f"{code or '风险点'}：{reason}"))

    if not _CODE.match(code):
        bad("code 应形如 RP-IT-001（RP- 开头，大写字母、数字、连字符）")
    elif code in seen:
        bad(f"code 与 {seen[code]} 重复")
    else:
        seen[code] = path
    for key in ("name", "hazard_source"):
        if not isinstance(point.get(key), str) or not point[key].strip():
            bad(f"缺少 {key}")
    if point.get("kind") not in (vocab.get("point_kinds") or []):
        bad(f"kind 应为 {'、'.join(vocab.get('point_kinds') or [])} 之一")
    accident_names = {a.get("name") for a in vocab.get("accident_types") or []}
    types = point.get("accident_types")
    if not isinstance(types, list) or not types:
        bad("缺少事故类型 accident_types")
    else:
        for t in types:
            if t not in accident_names:
                bad(f"事故类型「{t}」不在 vocabulary.yaml 中")
    default = point.get("default_assessment")
    if not isinstance(default, dict):
        bad("缺少默认评估 default_assessment")
    else:
        method = default.get("method")
        try:
            score(rules, str(method), default)
        except ValueError as exc:
            bad(f"默认评估无效：{exc}")
    measures = point.get("measures")
    if not isinstance(measures, list) or not measures:
        bad("缺少控制措施 measures")
        return
    for m in measures:
        if not isinstance(m, dict):
            bad("控制措施应为映射")
            continue
        if m.get("kind") not in (vocab.get("measure_kinds") or {}):
            bad(f"控制措施类别「{m.get('kind')}」未知")
        if m.get("tier") not in (vocab.get("tiers") or []):
            bad(f"管控层级「{m.get('tier')}」未知")
        if not isinstance(m.get("text"), str) or not m["text"].strip():
            bad("控制措施缺少 text")
        checks = m.get("check_items")
        if not isinstance(checks, list) or not checks:
            bad("控制措施须链接至少一个检查条目 check_items")
        elif items is not None:
            for item in checks:
                if item not in items:
                    bad(f"检查条目 {item} 不存在于 checklists/")


def _canonical_hash(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _read(directory: Path, reference: Path | None, checklists: Path | None,
          rules: Rules | None) -> tuple[list[RiskCatalog], list[Problem]]:
    problems: list[Problem] = []
    directory = Path(directory)
    if not directory.is_dir():
        return [], [Problem(str(directory), 1, "不是一个目录")]
    vocab = _vocabulary(directory, reference, problems)
    items = _checklist_items(checklists or PROJECT_CHECKLISTS)
    if items is None:
        problems.append(Problem(str(checklists or PROJECT_CHECKLISTS), 1, "检查表目录未通过校验，无法核对 check_items"))
    rules = rules or load_rules()
    catalogs: list[RiskCatalog] = []
    seen_codes: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    categories = {c.value for c in SiteCategory}
    for file in sorted(directory.glob("*.y*ml")):
        if file.name == VOCABULARY:
            continue
        path, text = str(file), file.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(Problem(path, (mark.line + 1) if mark else 1, f"YAML 语法错误：{exc}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(path, 1, "文件应为映射"))
            continue
        before = len(problems)
        cid = str(data.get("id", ""))
        if not _ID.match(cid):
            problems.append(Problem(path, _line(text, "id:"), "id 应为小写字母、数字、连字符"))
        elif cid in seen_ids:
            problems.append(Problem(path, _line(text, "id:"), f"id 与 {seen_ids[cid]} 重复"))
        seen_ids[cid] = path
        if not isinstance(data.get("version"), str):
            problems.append(Problem(path, _line(text, "version"), "version 须为加引号的字符串"))
        cats = (data.get("applies_to") or {}).get("categories") or []
        if not cats:
            problems.append(Problem(path, _line(text, "applies_to"), "applies_to.categories 至少一项"))
        for c in cats:
            if c not in categories:
                problems.append(Problem(path, _line(text, str(c)), f"未知的场所类别 {c}"))
        points = data.get("points")
        if not isinstance(points, list) or not points:
            problems.append(Problem(path, 1, "缺少风险点 points"))
            points = []
        for point in points:
            _check_point(path, text, point, vocab, items, rules, seen_codes, problems)
        if len(problems) == before:
            catalogs.append(RiskCatalog(cid, str(data.get("title", cid)), data["version"], tuple(cats),
                                        tuple(points), _canonical_hash(data), data))
    return catalogs, sorted(problems, key=lambda p: (p.file, p.line))


def validate_risk_directory(directory: Path, reference: Path | None = None,
                            checklists: Path | None = None) -> list[Problem]:
    """Every problem in the folder (empty when valid); never raises."""
    return _read(directory, reference, checklists, None)[1]


def load_risk_directory(directory: Path | None = None, reference: Path | None = None,
                        checklists: Path | None = None) -> list[RiskCatalog]:
    """All template files, sorted by id; raises RiskFormatError if anything is wrong (never half-loads)."""
    catalogs, problems = _read(directory or PROJECT_RISKS, reference, checklists, None)
    if problems:
        raise RiskFormatError(problems)
    return sorted(catalogs, key=lambda c: c.id)
