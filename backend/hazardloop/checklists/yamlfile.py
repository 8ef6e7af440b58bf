"""Checklist YAML source files: parsing with line numbers, problems (问题) as file:line: reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


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


@dataclass
class SourceFile:
    """One YAML file of the checklist directory, its composed node tree and its problems."""

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
        return line_for(self.root, path) if self.root is not None else 1


def line_for(root: yaml.Node, path: Iterable[str | int]) -> int:
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


def duplicate_keys(node: yaml.Node, out: list[tuple[int, str]]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    out.append((key.start_mark.line + 1, key.value))
                seen.add(key.value)
            duplicate_keys(value, out)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            duplicate_keys(child, out)


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(f: SourceFile) -> None:
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
    duplicate_keys(root, dups)
    for line, key in dups:
        f.add(line, f"同一层级中字段 '{key}' 重复出现（后一个会覆盖前一个）")
    if not isinstance(data, dict):
        f.add(1, "文件顶层应为键值对（id、title、version …），而不是列表或单个值")


def iter_items(f: SourceFile) -> Iterable[tuple[list[str | int], dict[str, Any]]]:
    """(json path, raw item) for every item of a schema-valid file."""
    if f.kind == "library":
        for i, item in enumerate(f.data["items"]):
            yield ["items", i], item
        return
    for s, section in enumerate(f.data["sections"]):
        for i, item in enumerate(section["items"]):
            yield ["sections", s, "items", i], item
