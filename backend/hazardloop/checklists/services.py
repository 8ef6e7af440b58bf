"""Syncing checklist files into immutable versions, and choosing the checklists for a site."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from hazardloop.checklists.format import (
    ChecklistDocument,
    ChecklistFormatError,
    Problem,
    document_from_data,
    in_regions,
    load_directory,
)
from hazardloop.checklists.models import Checklist, ChecklistVersion
from hazardloop.database import utcnow
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.regions.models import Region
from hazardloop.sites.models import Site

PROJECT_CHECKLISTS = Path(__file__).resolve().parents[3] / "checklists"


def default_directory() -> Path:
    return Path(current_app.config.get("CHECKLISTS_DIR") or PROJECT_CHECKLISTS)


@dataclass
class SyncReport:
    """What one sync did, per checklist id."""

    added: list[str] = field(default_factory=list)  # "id@version" of new checklists
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    kept_published: list[str] = field(default_factory=list)  # console publications newer than the file

    def describe(self) -> str:
        lines = [f"新检查表 {len(self.added)}，新版本 {len(self.new_versions)}，"
                 f"未变 {len(self.unchanged)}，停用 {len(self.retired)}"]
        lines += [f"  + {x}" for x in self.added] + [f"  ↑ {x}" for x in self.new_versions]
        lines += [f"  - {x}" for x in self.retired]
        lines += [f"  = {x}（控制台发布的较新版本保持现行；更新文件后再同步）" for x in self.kept_published]
        return "\n".join(lines)


# source_file of a version published through the console (checklists/publishing.py), not from this folder.
CONSOLE_SOURCE = "控制台上传/"


def sync_checklists(directory: Path | None = None) -> SyncReport:
    """Load every checklist file into the database, all or nothing.

    An unchanged file is a no-op; changed content becomes a new version and the old ones
    stay, since inspections point at the exact version they were filled with. Changed
    content under an already-used version string is refused (bump ``version``), because a
    version must always mean the same content. Raises ChecklistFormatError; only flushes.
    """
    directory = directory or default_directory()
    documents = load_directory(directory)
    problems: list[Problem] = []
    report = SyncReport()
    seen: set[str] = set()
    for doc in documents:
        seen.add(doc.id)
        checklist = db.session.get(Checklist, doc.id)
        if checklist is None:
            checklist = Checklist(id=doc.id, title=doc.title)
            db.session.add(checklist)
        same_hash = db.session.scalar(select(ChecklistVersion).where(
            ChecklistVersion.checklist_id == doc.id, ChecklistVersion.content_hash == doc.content_hash))
        same_version = db.session.scalar(select(ChecklistVersion).where(
            ChecklistVersion.checklist_id == doc.id, ChecklistVersion.version == doc.version))
        if same_hash is not None:
            if same_hash.version != doc.version:
                problems.append(Problem(str(doc.source_path), 1,
                                        f"内容与已有版本 {same_hash.version} 相同，却标为 {doc.version}；"
                                        "请保留原版本号或修改内容"))
                continue
            report.unchanged.append(f"{doc.id}@{doc.version}")
            version = same_hash
        elif same_version is not None:
            problems.append(Problem(str(doc.source_path), 1,
                                    f"检查表 {doc.id} 的内容已修改，但版本号 {doc.version} 已被使用；"
                                    "请提高 version 后再同步"))
            continue
        else:
            version = _store_version(doc)
            (report.new_versions if checklist.current_version_id else report.added).append(
                f"{doc.id}@{doc.version}")
        current = checklist.current_version
        if (current is not None and current.id > version.id and current.source_file.startswith(CONSOLE_SOURCE)
                and version.id != current.id):
            # A version an administrator published in the console after this file's version was stored:
            # an unchanged file must not silently take it back; change the file to move on.
            report.kept_published.append(f"{doc.id}@{current.version}")
            continue
        # The file is the truth: whatever version it holds now is current (a revert included).
        checklist.title = doc.title
        checklist.retired_at = None
        checklist.current_version = version
    if problems:
        db.session.rollback()
        raise ChecklistFormatError(problems)
    for checklist in db.session.scalars(select(Checklist).where(Checklist.retired_at.is_(None))):
        if checklist.id not in seen:
            checklist.retired_at = utcnow()
            report.retired.append(checklist.id)
    db.session.flush()
    return report


def _store_version(doc: ChecklistDocument) -> ChecklistVersion:
    version = ChecklistVersion(
        checklist_id=doc.id, version=doc.version, content_hash=doc.content_hash, title=doc.title,
        categories=sorted(doc.applies_to.categories), domains=sorted(doc.applies_to.domains),
        item_count=len(doc.items), content=dict(doc.data), source_file=doc.source_path.name,
    )
    db.session.add(version)
    db.session.flush()
    return version


def current_versions() -> list[ChecklistVersion]:
    """The current version of every checklist still in use, by id."""
    query = (select(ChecklistVersion).join(Checklist, Checklist.current_version_id == ChecklistVersion.id)
             .where(Checklist.retired_at.is_(None)).order_by(Checklist.id))
    return list(db.session.scalars(query))


def site_region_codes(site: Site) -> list[str]:
    """The GB/T 2260 codes on the site's branch of the region tree (its 区, and any coded node above or below)."""
    ids = site.grid.ancestor_ids if site.grid is not None else []
    if not ids:
        return []
    codes = db.session.scalars(select(Region.code).where(Region.id.in_(ids), Region.code.is_not(None)))
    return [c for c in codes if c]


def applicable_versions(site: Site) -> list[ChecklistVersion]:
    """The current checklists that apply to a site: by category, or by any of its domains.

    The same rule as ``format.applicable``, read from the stored columns so no document is built;
    a list grounded in local law (``regions`` in its content) is offered only to sites in those regions.
    """
    domains = set(site.domains)
    matching = [v for v in current_versions()
                if site.category in v.categories or domains & set(v.domains)]
    if not any(v.content.get("regions") for v in matching):
        return matching
    codes = site_region_codes(site)
    return [v for v in matching if in_regions(v.content.get("regions") or (), codes)]


def get_version(checklist_id: str, version: str) -> ChecklistVersion:
    found = db.session.scalar(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == checklist_id, ChecklistVersion.version == version))
    if found is None:
        raise NotFound("检查表或其版本不存在。")
    return found


def get_checklist(checklist_id: str) -> Checklist:
    checklist = db.session.get(Checklist, checklist_id)
    if checklist is None:
        raise NotFound("检查表不存在。")
    return checklist


def versions_of(checklist: Checklist) -> list[ChecklistVersion]:
    return list(db.session.scalars(select(ChecklistVersion).where(
        ChecklistVersion.checklist_id == checklist.id).order_by(ChecklistVersion.id)))


# Stored versions never change (a new content is a new version): each process builds a version's document
# once. Keyed by the row's id and its content hash, so a database emptied and filled again (tests) never
# answers with another content's document.
_DOCUMENTS: dict[tuple[int, str], ChecklistDocument] = {}
_DOCUMENTS_KEPT = 256


def document(version: ChecklistVersion) -> ChecklistDocument:
    """The stored version as a document (for scoring and item lookups); read-only, shared by the process.

    Building one costs ~1.4 ms for a 35-item checklist (a deep copy and the content hash) and its content is
    ~55 kB to read: an inspection and a hazard page take it from here; ``version.content`` is loaded only on
    the process's first use of the version.
    """
    key = (version.id, version.content_hash)
    found = _DOCUMENTS.get(key)
    if found is None:
        if len(_DOCUMENTS) >= _DOCUMENTS_KEPT:
            _DOCUMENTS.clear()
        found = _DOCUMENTS[key] = document_from_data(version.content)
    return found

