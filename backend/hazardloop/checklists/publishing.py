"""检查表发布: check an uploaded checklist file, compare it with the current version, publish it as a new version.

The checks are the file format's own (``format.load_directory`` in a scratch directory holding the upload and
the public item libraries, with the law texts the CLI uses); the version rules are ``sync``'s: a version is
immutable, changed content needs a new version string. Publishing is an event in the audit chain.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.checklists.format import (
    DEFAULT_REFERENCE_DIR,
    GENERAL_DUTY_TABLE_FILENAME,
    PENALTY_TABLE_FILENAME,
    REF_OVERRIDABLE,
    ChecklistDocument,
    ChecklistFormatError,
    Problem,
    load_directory,
)
from hazardloop.checklists.models import Checklist, ChecklistVersion
from hazardloop.checklists.services import (
    CONSOLE_SOURCE,
    _store_version,
    current_versions,
    default_directory,
    get_checklist,
)
from hazardloop.checklists.yamlfile import SourceFile, line_for
from hazardloop.checklists.yamlfile import parse as parse_yaml
from hazardloop.errors import NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.policy import Action

MAX_BYTES = 256 * 1024  # the largest list in checklists/ is under 60 KB
MAX_YAML_EVENTS = 100_000  # a 256 KB file of plain YAML has far fewer
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def reference_dir() -> Path | None:
    """The law texts the 重大 quotes are checked against: as ``hazardloop checklists validate`` defaults."""
    return DEFAULT_REFERENCE_DIR if DEFAULT_REFERENCE_DIR.is_dir() else None


@dataclass
class Check:
    """What an upload would publish: its problems, or the document with its difference from the current version."""

    filename: str
    problems: list[Problem] = field(default_factory=list)
    document: ChecklistDocument | None = None
    previous: ChecklistVersion | None = None
    diff: dict[str, Any] | None = None
    # Set when the file is valid but identical to an existing version (nothing to publish).
    unchanged: bool = False

    @property
    def publishable(self) -> bool:
        return not self.problems and self.document is not None and not self.unchanged


def _file_problem(filename: str, reason: str, line: int = 1) -> Check:
    return Check(filename, [Problem(filename, line, reason)])


def _decode(filename: str, raw: bytes) -> str | Check:
    """The upload as text, or a Check holding the one problem that stops it being read as YAML."""
    if not raw:
        return _file_problem(filename, "文件是空的")
    if len(raw) > MAX_BYTES:
        return _file_problem(filename, f"文件过大（{len(raw) // 1024} KB）：检查表文件不能超过 {MAX_BYTES // 1024} KB")
    if raw[:2] == b"PK" or raw[:4] == b"\xd0\xcf\x11\xe0" or raw[:5] == b"%PDF-" or b"\x00" in raw[:4096]:
        return _file_problem(filename, "这不是 YAML 文本文件（像是 Excel、Word、PDF 或其他二进制文件）；"
                                       "请上传 .yaml 检查表文件")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        try:
            raw.decode("gb18030")
            hint = "看起来是 GBK/GB18030 编码"
        except UnicodeDecodeError:
            hint = "无法识别其编码"
        return _file_problem(filename, f"文件不是 UTF-8 编码（{hint}）：请用文本编辑器另存为 UTF-8 后再上传", line)


def _stream_problem(filename: str, text: str) -> Problem | None:
    """Anchors/aliases (a YAML bomb expands them exponentially) and runaway documents, found while scanning."""
    count = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            count += 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return Problem(filename, event.start_mark.line + 1,
                               "检查表文件不允许使用 YAML 锚点和别名（& 与 *）：请把内容直接写出")
            if count > MAX_YAML_EVENTS:
                return Problem(filename, event.start_mark.line + 1, "文件内容过多，超出检查表文件的上限")
    except yaml.YAMLError:
        return None  # the validator reports syntax errors with their line
    return None


def _scratch(directory: Path, filename: str, text: str) -> Path:
    """A temporary directory with the public item libraries, the law tables and the upload (under a safe name)."""
    scratch = Path(tempfile.mkdtemp(prefix="checklist-upload-"))
    for table in (PENALTY_TABLE_FILENAME, GENERAL_DUTY_TABLE_FILENAME):
        if (directory / table).is_file():
            shutil.copy2(directory / table, scratch / table)
    for path in sorted(directory.glob("*.y*ml")):
        probe = SourceFile(path, path.name)
        parse_yaml(probe)
        if probe.kind == "library":
            shutil.copy2(path, scratch / f"_library_{path.name}")
    (scratch / "upload.yaml").write_text(text, encoding="utf-8")
    return scratch


def _renamed(problems: tuple[Problem, ...] | list[Problem], scratch: Path, filename: str) -> list[Problem]:
    out = []
    for p in problems:
        name = Path(p.file).name
        name = filename if name == "upload.yaml" else name.removeprefix("_library_")
        reason = p.reason.replace(f"{scratch}/upload.yaml", filename).replace(f"{scratch}/_library_", "")
        out.append(Problem(name, p.line, reason.replace(f"{scratch}/", "")))
    return out


def check_upload(filename: str, raw: bytes) -> Check:
    """Validate one uploaded checklist file and compare it with what is published; changes nothing."""
    filename = Path(filename or "checklist.yaml").name or "checklist.yaml"
    text = _decode(filename, raw)
    if isinstance(text, Check):
        return text
    if (problem := _stream_problem(filename, text)) is not None:
        return Check(filename, [problem])
    try:
        probe = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        probe = None  # the validator reports it with its line
    if isinstance(probe, dict) and probe.get("kind") == "library":
        return _file_problem(filename, "这是公共条目库（kind: library），不是检查表；条目库随程序发布，不能在这里上传")
    scratch = _scratch(default_directory(), filename, text)
    try:
        docs = load_directory(scratch, reference_dir())
    except ChecklistFormatError as exc:
        return Check(filename, _renamed(exc.problems, scratch, filename))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    doc = next((d for d in docs if d.source_path.name == "upload.yaml"), None)
    if doc is None:
        return _file_problem(filename, "这是公共条目库（kind: library），不是检查表；条目库随程序发布，不能在这里上传")
    check = Check(filename, document=doc)
    check.problems = _version_problems(filename, text, doc)
    if check.problems:
        return check
    check.unchanged = db.session.scalar(select(ChecklistVersion.id).where(
        ChecklistVersion.checklist_id == doc.id, ChecklistVersion.content_hash == doc.content_hash)) is not None
    checklist = db.session.get(Checklist, doc.id)
    check.previous = checklist.current_version if checklist is not None else None
    check.diff = difference(check.previous.content if check.previous else None, doc.data)
    return check


def _version_problems(filename: str, text: str, doc: ChecklistDocument) -> list[Problem]:
    """sync's rules (a version means one content for good) and codes unique across the published checklists."""
    root = yaml.compose(text, Loader=_SafeLoader)
    same_hash = db.session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == doc.id, ChecklistVersion.content_hash == doc.content_hash))
    same_version = db.session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == doc.id, ChecklistVersion.version == doc.version))
    version_line = line_for(root, ["version"])
    if same_hash is not None and same_hash.version != doc.version:
        return [Problem(filename, version_line, f"内容与已有版本 {same_hash.version} 相同，却标为 {doc.version}；"
                                                "请保留原版本号或修改内容")]
    if same_hash is None and same_version is not None:
        return [Problem(filename, version_line, f"检查表 {doc.id} 的内容已修改，但版本号 {doc.version} 已被使用；"
                                                "版本一经发布不可更改，请提高 version 后再上传")]
    owners = {item["code"]: v.checklist_id for v in current_versions() if v.checklist_id != doc.id
              for section in v.content.get("sections", []) for item in section.get("items", [])}
    problems = []
    raw_sections = yaml.safe_load(text).get("sections") or []
    for s, section in enumerate(raw_sections):
        for i, item in enumerate(section.get("items") or []):
            if (owner := owners.get(item.get("code"))) is not None:
                problems.append(Problem(filename, line_for(root, ["sections", s, "items", i, "code"]),
                                        f"条目代码 '{item['code']}' 已在检查表 {owner} 中使用；"
                                        "代码在全部检查表中必须唯一"))
    return problems


# --------------------------------------------------------------------------- difference

FIELD_LABELS = {
    "text": "检查内容", "method": "检查方法", "answer": "答案形式", "hazard": "隐患描述与等级",
    "standard": "标准依据", "enforcement": "执法依据", "deduction": "每处扣分", "deduction_cap": "单项扣分上限",
    "photo_required_on_fail": "不符合时须拍照", "basis_verified": "依据已核对", "basis_kind": "依据类型",
    "source": "条目来源", "ref": "引用的公共条目", "section": "所属分节", "major_condition": "重大隐患判定条件",
}
TOP_LABELS = {
    "title": "标题", "description": "说明", "applies_to": "适用范围", "total_score": "总分", "regions": "适用地区",
    "sections": "分节",
}


def _items(content: dict[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    if not content:
        return {}
    return {item["code"]: (section["code"], item) for section in content.get("sections", [])
            for item in section.get("items", [])}


def difference(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Items added, removed and changed (with the changed fields in Chinese) from ``old`` to ``new`` content."""
    before, after = _items(old), _items(new)
    added = [{"code": c, "text": after[c][1].get("text", "")} for c in after if c not in before]
    removed = [{"code": c, "text": before[c][1].get("text", "")} for c in before if c not in after]
    changed = []
    for code in after:
        if code not in before:
            continue
        (s_old, i_old), (s_new, i_new) = before[code], after[code]
        keys = sorted(set(i_old) | set(i_new) - {"code"})
        fields = [k for k in keys if k != "code" and i_old.get(k) != i_new.get(k)]
        if s_old != s_new:
            fields.append("section")
        if fields:
            changed.append({"code": code, "text": i_new.get("text", ""),
                            "fields": [FIELD_LABELS.get(k, k) for k in fields]})
    top = [] if old is None else [label for key, label in TOP_LABELS.items() if key != "sections"
                                  and (old or {}).get(key) != new.get(key)]
    if old is not None and [s.get("title") for s in old.get("sections", [])] != [
            s.get("title") for s in new.get("sections", [])]:
        top.append(TOP_LABELS["sections"])
    return {"added": added, "removed": removed, "changed": changed, "other": top, "first": old is None}


# --------------------------------------------------------------------------- publishing

def publish_upload(actor: User, filename: str, raw: bytes) -> tuple[ChecklistVersion, Check]:
    """Publish the uploaded file as the checklist's new current version; refuse a file with any problem.

    Raises ValidationFailed (each problem ``file:line`` in ``errors``). Only flushes."""
    check = check_upload(filename, raw)
    if check.problems:
        raise ValidationFailed(
            [{"field": "file", "line": p.line, "message": f"{p.file}:{p.line}: {p.reason}", "code": "checklist_problem"}
             for p in check.problems],
            detail=f"检查表有 {len(check.problems)} 处问题，未发布：{check.problems[0].file}:{check.problems[0].line}: "
                   f"{check.problems[0].reason}")
    doc = check.document
    assert doc is not None
    if check.unchanged:
        raise ValidationFailed.field("file", f"该文件与已发布的版本 {doc.version} 完全相同，无需再次发布。",
                                     "unchanged")
    checklist = db.session.get(Checklist, doc.id)
    if checklist is None:
        checklist = Checklist(id=doc.id, title=doc.title)
        db.session.add(checklist)
        db.session.flush()
    policy.authorize(actor, Action.CHECKLIST_PUBLISH, checklist)
    version = _store_version(doc)
    version.source_file = (CONSOLE_SOURCE + check.filename)[:200]
    checklist.title, checklist.retired_at, checklist.current_version = doc.title, None, version
    diff = check.diff or {}
    role = policy.acting_role(actor, Action.CHECKLIST_PUBLISH, checklist)
    append_event(kind="checklist_published", actor=actor, actor_role=role.value if role else None,
                 note=f"发布检查表 {doc.title}（{doc.id}）版本 {doc.version}",
                 payload={"checklist_id": doc.id, "version": doc.version, "content_hash": doc.content_hash,
                          "previous_version": check.previous.version if check.previous else None,
                          "source_file": check.filename, "added": [a["code"] for a in diff.get("added", [])],
                          "removed": [r["code"] for r in diff.get("removed", [])],
                          "changed": [c["code"] for c in diff.get("changed", [])]})
    db.session.flush()
    return version, check


# --------------------------------------------------------------------------- download

def source_yaml(checklist_id: str) -> tuple[str, str]:
    """(file name, YAML text) of the current version: re-uploading it changes nothing (same content hash).

    Copies of public library items are written back as ``{code, ref, overrides}`` so the file stays valid."""
    checklist = get_checklist(checklist_id)
    version = checklist.current_version
    if version is None:
        raise NotFound("该检查表没有已发布的版本。")
    content = dict(version.content)
    sections = []
    for section in content.get("sections", []):
        items = [{"code": i["code"], "ref": i["ref"], **{k: i[k] for k in REF_OVERRIDABLE if k in i}}
                 if i.get("ref") else i for i in section.get("items", [])]
        sections.append({**section, "items": items})
    content["sections"] = sections
    text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=120)
    return f"{checklist.id}-{version.version}.yaml", text
