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
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from hazardloop.taxonomy import Domain, SiteCategory

SCHEMA_FILENAME = "schema.json"
PENALTY_TABLE_FILENAME = "penalty-only-articles.json"
_REPO_ROOT = Path(__file__).resolve().parents[3]
_DEFAULT_SCHEMA_PATH = _REPO_ROOT / "checklists" / SCHEMA_FILENAME
# The law texts the 重大 criteria are checked against: ../shared/reference next to the repository.
DEFAULT_REFERENCE_DIR = _REPO_ROOT.parent / "shared" / "reference"
REF_OVERRIDABLE = ("deduction", "deduction_cap", "photo_required_on_fail")
DEFAULT_TOTAL_SCORE = 100

# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class Problem:
    """One defect in a checklist file; ``str()`` gives ``file:line: reason``."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class ChecklistFormatError(ValueError):
    """Raised by the loaders when any file has a problem; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "检查表无效")


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


@dataclass
class _File:
    path: Path
    name: str
    root: yaml.Node | None = None
    data: Any = None
    schema_ok: bool = False
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.name, line, reason))

    @property
    def kind(self) -> str:
        if isinstance(self.data, dict) and self.data.get("kind") == "library":
            return "library"
        return "checklist"

    def line(self, path: Iterable[str | int]) -> int:
        return _line_for(self.root, path) if self.root is not None else 1


def _line_for(root: yaml.Node, path: Iterable[str | int]) -> int:
    """1-based line of the deepest YAML node that ``path`` reaches (a key's own line)."""
    node = root
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _duplicate_keys(node: yaml.Node, out: list[tuple[int, str]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    out.append((key.start_mark.line + 1, key.value))
                seen.add(key.value)
            _duplicate_keys(value, out)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _duplicate_keys(child, out)


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(f: _File) -> None:
    try:
        text = f.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        f.add(1, f"无法读取文件（须为 UTF-8 文本）：{exc}")
        return
    # libyaml's loader keeps node marks too and parses about 10× faster than the pure-Python one.
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            f.add(1, "文件为空")
            return
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        f.add(line, f"YAML 语法错误：{what}")
        return
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        f.add(1, f"YAML 语法错误：{exc}")
        return
    finally:
        loader.dispose()
    f.root, f.data = root, data
    dups: list[tuple[int, str]] = []
    _duplicate_keys(root, dups)
    for line, key in dups:
        f.add(line, f"同一层级中字段 '{key}' 重复出现（后一个会覆盖前一个）")
    if not isinstance(data, dict):
        f.add(1, "文件顶层应为键值对（id、title、version …），而不是列表或单个值")


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


def _iter_items(f: _File) -> Iterable[tuple[list[str | int], dict[str, Any]]]:
    """(json path, raw item) for every item of a schema-valid file."""
    if f.kind == "library":
        for i, item in enumerate(f.data["items"]):
            yield ["items", i], item
        return
    for s, section in enumerate(f.data["sections"]):
        for i, item in enumerate(section["items"]):
            yield ["sections", s, "items", i], item


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

# GB/T 2260 prefixes of the places whose own regulations the checklists may cite.
_PROVINCES = {
    "北京市": "11", "天津市": "12", "河北省": "13", "山西省": "14", "内蒙古自治区": "15",
    "辽宁省": "21", "吉林省": "22", "黑龙江省": "23", "上海市": "31", "江苏省": "32",
    "浙江省": "33", "安徽省": "34", "福建省": "35", "江西省": "36", "山东省": "37", "河南省": "41",
    "湖北省": "42", "湖南省": "43", "广东省": "44", "广西壮族自治区": "45", "海南省": "46",
    "重庆市": "50", "四川省": "51", "贵州省": "52", "云南省": "53", "西藏自治区": "54",
    "陕西省": "61", "甘肃省": "62", "青海省": "63", "宁夏回族自治区": "64",
    "新疆维吾尔自治区": "65",
}
_CITIES = {
    "杭州市": "3301", "宁波市": "3302", "温州市": "3303", "嘉兴市": "3304", "湖州市": "3305",
    "绍兴市": "3306", "金华市": "3307", "衢州市": "3308", "舟山市": "3309", "台州市": "3310",
    "丽水市": "3311", "义乌市": "330782", "南京市": "3201", "苏州市": "3205", "广州市": "4401",
    "深圳市": "4403", "济南市": "3701", "青岛市": "3702", "成都市": "5101", "武汉市": "4201",
}
_LOCAL_STANDARD = re.compile(r"^DB\s*(\d{2})")
_UNKNOWN_PROVINCE = re.compile(r"^[\u4e00-\u9fff]{2,3}(?:省|自治区)")


def local_law_regions(name: str) -> tuple[str, ...] | None:
    """The GB/T 2260 prefix of the place a provincial or municipal regulation belongs to.

    ``None`` for national law; ``()`` for a local law whose place code is not in our table
    (it still needs a region limit)."""
    name = name.strip()
    for table in (_CITIES, _PROVINCES):
        for place, code in table.items():
            if name.startswith(place):
                return (code,)
    if m := _LOCAL_STANDARD.match(name):
        return (m.group(1),)
    if _UNKNOWN_PROVINCE.match(name):
        return ()
    return None


_QUOTES = str.maketrans("", "", "“”‘’\"'「」『』*>#")


def normalise_text(text: str) -> str:
    """Text for verbatim comparison: full/half-width folded, whitespace and quote marks removed."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = text.replace("。", ".").replace("、", ",")
    return re.sub(r"\s+", "", text)


_EDITOR_NOTE = re.compile(r"〔[^〕]*〕")
_LAW_PREFIX = re.compile(r"^(中华人民共和国|《)")
_LAW_SUFFIX = re.compile(r"[（(].*?[)）]|》")


def normalise_law(name: str) -> str:
    """消防法 for 《中华人民共和国消防法》（2021修正）: the name tables compare by."""
    return _LAW_SUFFIX.sub("", _LAW_PREFIX.sub("", name.strip())).strip()


class ReferenceTexts:
    """The law and standard texts under shared/reference, normalised for quote lookups."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.texts: dict[str, str] = {}
        for p in sorted(self.directory.rglob("*.md")):
            try:
                raw = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            # 〔…〕 are the editors' notes inside the texts, not the law's words.
            self.texts[p.stem] = normalise_text(_EDITOR_NOTE.sub("", raw))

    def find(self, standard: str) -> list[str]:
        """Names of the text files a criterion's ``standard`` names (file stem or short title)."""
        if standard in self.texts:
            return [standard]
        key = normalise_text(standard)
        return [stem for stem in self.texts if key and key in normalise_text(stem)]

    def contains(self, stem: str, quote: str) -> bool:
        return normalise_text(quote) in self.texts.get(stem, "")


@dataclass(frozen=True)
class PenaltyTable:
    """Penalty-only articles (罚则) and the duty articles to cite instead (checklists/penalty-only-articles.json)."""

    rows: tuple[tuple[str, str, str], ...]

    @classmethod
    def load(cls, path: Path | None) -> PenaltyTable:
        if path is None or not Path(path).is_file():
            return cls(())
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(tuple((normalise_law(r["law"]), r["article"], r["duty"]) for r in data["articles"]))

    def duty_for(self, law: str, article: str) -> tuple[str, str] | None:
        """(penalty article, duty article) when ``law article`` is a penalty-only clause."""
        name = normalise_law(law)
        for row_law, row_article, duty in self.rows:
            if name == row_law and article.strip().startswith(row_article):
                return row_article, duty
        return None


def _cited_laws(item: Mapping[str, Any]) -> list[str]:
    enforcement = item.get("enforcement", {})
    names = [item.get("standard", {}).get("document", "")]
    names += [v.get("law", "") for v in enforcement.get("violated", [])]
    if "penalty" in enforcement:
        names.append(enforcement["penalty"].get("law", ""))
    if "major_criterion" in item.get("hazard", {}):
        names.append(item["hazard"]["major_criterion"].get("standard", ""))
    return [n for n in names if n]


def _local_citations(item: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for name in _cited_laws(item):
        regions = local_law_regions(name)
        if regions is not None:
            out.append((name, regions))
    return out


def _within(regions: Iterable[str], limits: Iterable[str]) -> bool:
    """Every region lies inside one of the limits (a prefix of it)."""
    limits = list(limits)
    return all(any(r.startswith(limit) for limit in limits) for r in regions)


def _check_item_law(f: _File, path: list[str | int], item: dict[str, Any],
                    reference: ReferenceTexts | None, penalties: PenaltyTable) -> None:
    code = item["code"]
    criterion = item["hazard"].get("major_criterion")
    if criterion is not None and reference is not None:
        where = f.line([*path, "hazard", "major_criterion", "quote"])
        stems = reference.find(criterion["standard"])
        if not stems:
            f.add(f.line([*path, "hazard", "major_criterion", "standard"]),
                  f"{code}：判定标准“{criterion['standard']}”在法规原文目录中找不到对应文件；"
                  "请写 shared/reference/laws 中的文件名，或把等级定为“一般”")
        elif not any(reference.contains(stem, criterion["quote"]) for stem in stems):
            f.add(where, f"{code}：major_criterion 的引文在“{stems[0]}”原文中找不到（须逐字引用，"
                         "空白和全角/半角标点不计）；引不出原文的，请把等级定为“一般”")
    for i, article in enumerate(item["enforcement"]["violated"]):
        hit = penalties.duty_for(article["law"], article["article"])
        if hit is not None:
            f.add(f.line([*path, "enforcement", "violated", i]),
                  f"{code}：{normalise_law(article['law'])}{hit[0]}是罚则，不能作为违反条款；"
                  f"请引用规定该义务的条款（{hit[1]}）")
    local = _local_citations(item)
    if f.kind == "library" and local:
        own = item.get("regions")
        for name, limits in local:
            if not own:
                f.add(f.line([*path, "code"]),
                      f"{code}：引用了地方性法规“{name}”，须用 regions 写明适用地区"
                      f"（GB/T 2260 代码前缀，如 {limits[0] if limits else '330000'}）")
            elif limits and not _within(own, limits):
                f.add(f.line([*path, "regions"]),
                      f"{code}：regions（{'、'.join(own)}）超出了“{name}”的适用地区（{'、'.join(limits)}）")


def _check_law(files: Sequence[_File], reference: ReferenceTexts | None,
               penalties: PenaltyTable) -> None:
    library: dict[str, dict[str, Any]] = {}
    for f in files:
        if f.schema_ok and f.kind == "library":
            for _, item in _iter_items(f):
                library.setdefault(item["code"], item)
    for f in files:
        if not f.schema_ok:
            continue
        list_regions = f.data.get("regions") or []
        for path, item in _iter_items(f):
            if "ref" not in item:
                _check_item_law(f, path, item, reference, penalties)
            if f.kind == "library":
                continue
            source = library.get(item["ref"]) if "ref" in item else item
            if source is None:
                continue
            limits_needed = [limits for _, limits in _local_citations(source)]
            if source.get("regions"):
                limits_needed.append(tuple(source["regions"]))
            for limits in limits_needed:
                if not list_regions:
                    name = next((n for n, _ in _local_citations(source)), "地方性法规")
                    f.add(f.line([*path, "code"]),
                          f"{item['code']}：引用了地方性法规“{name}”，本表须用 regions 写明适用地区"
                          f"（GB/T 2260 代码前缀，如 {limits[0] if limits else '330000'}），"
                          "只向这些地区的场所下发")
                    break
                if limits and not _within(list_regions, limits):
                    f.add(f.line(["regions"]),
                          f"{item['code']}：本表 regions（{'、'.join(list_regions)}）超出了所引地方性法规的适用地区"
                          f"（{'、'.join(limits)}）")
                    break


def _validate_files(files: Sequence[_File], reference: Path | None = None,
                    penalty_table: Path | None = None) -> list[Problem]:
    for f in files:
        _parse(f)
        if f.root is not None and isinstance(f.data, dict):
            _check_schema(f)
        if f.schema_ok:
            _check_file(f)
    _check_cross_file(files)
    _check_law(files, ReferenceTexts(reference) if reference is not None else None,
               PenaltyTable.load(penalty_table))
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


def _penalty_table_for(path: Path) -> Path:
    """The directory's own penalty-only table, else the project's."""
    own = path / PENALTY_TABLE_FILENAME
    return own if own.is_file() else _REPO_ROOT / "checklists" / PENALTY_TABLE_FILENAME


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

