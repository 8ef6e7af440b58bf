"""Checklist counts (统计): lists, rows, distinct requirements, verified share (general-duty part apart), 重大 items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hazardloop.checklists.format import ChecklistDocument, load_directory
from hazardloop.taxonomy import CATEGORY_DOMAINS, DOMAIN_LABELS, Domain, SiteCategory


@dataclass(frozen=True)
class Requirement:
    """One distinct requirement: a library item (however many lists copy it) or a list's own item."""

    key: str
    verified: bool
    level: str
    # verified only through a general duty (一般性义务条款): the specific rule is in a standard we lack
    general_duty: bool
    criterion: Mapping[str, Any] | None


@dataclass
class ListStats:
    id: str
    title: str
    rows: int
    requirements: set[str]
    verified: int
    general_duty: int
    domains: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass
class Stats:
    lists: list[ListStats] = field(default_factory=list)
    requirements: dict[str, Requirement] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.lists)

    @property
    def verified_share(self) -> float:
        if not self.requirements:
            return 0.0
        return sum(r.verified for r in self.requirements.values()) / len(self.requirements)

    @property
    def verified_count(self) -> int:
        return sum(r.verified for r in self.requirements.values())

    @property
    def general_duty_count(self) -> int:
        """Verified requirements whose basis is only a general duty (counted within verified)."""
        return sum(r.verified and r.general_duty for r in self.requirements.values())

    def by_domain(self) -> dict[str, tuple[int, set[str]]]:
        out: dict[str, tuple[int, set[str]]] = {d.value: (0, set()) for d in Domain}
        for s in self.lists:
            for d in s.domains:
                count, reqs = out[d]
                out[d] = (count + 1, reqs | s.requirements)
        return out

    def majors(self) -> list[Requirement]:
        return sorted((r for r in self.requirements.values() if r.level == "重大"), key=lambda r: r.key)

    def describe(self) -> str:
        total = len(self.requirements)
        verified = self.verified_count
        general = self.general_duty_count
        lines = [
            f"检查表 {len(self.lists)} 张，条目行 {self.rows} 行，不同要求 {total} 项（条目库引用已合并），"
            f"其中依据已核实 {verified} 项（{self.verified_share:.1%}）。",
            f"已核实的 {verified} 项中，{general} 项只经一般性义务条款核实（具体规则在参考资料中没有原文的标准里，"
            f"basis_kind: general_duty），{verified - general} 项由规定该义务的具体条款核实；"
            f"未核实 {total - verified} 项。",
            "",
            "按监管领域（表数 / 不同要求 / 已核实 / 其中经一般性义务核实）：",
        ]
        for domain, (count, reqs) in self.by_domain().items():
            ok = sum(self.requirements[k].verified for k in reqs)
            gen = sum(self.requirements[k].verified and self.requirements[k].general_duty for k in reqs)
            lines.append(f"  {DOMAIN_LABELS[Domain(domain)]}（{domain}）：{count} 张 / {len(reqs)} 项 / "
                         f"{ok} 项 / {gen} 项")
        lines += ["", "按检查表（行数 / 不同要求 / 已核实 / 其中经一般性义务核实 / 适用地区）："]
        for s in sorted(self.lists, key=lambda s: s.id):
            where = "、".join(s.regions) if s.regions else "全国"
            lines.append(f"  {s.id} {s.title}：{s.rows} / {len(s.requirements)} / {s.verified} / "
                         f"{s.general_duty} / {where}")
        majors = self.majors()
        lines += ["", f"重大隐患条目 {len(majors)} 项（判定标准 · 条款）："]
        for r in majors:
            c = r.criterion or {}
            note = f"（{c['edition_note']}）" if c.get("edition_note") else ""
            lines.append(f"  {r.key}：{c.get('standard', '（缺）')} · {c.get('clause', '')}{note}")
        return "\n".join(lines)


def _domains_of(doc: ChecklistDocument) -> tuple[str, ...]:
    domains = set(doc.applies_to.domains)
    for category in doc.applies_to.categories:
        domains |= {d.value for d in CATEGORY_DOMAINS[SiteCategory(category)]}
    return tuple(sorted(domains))


def stats_for(docs: list[ChecklistDocument]) -> Stats:
    """Statistics over already loaded documents."""
    stats = Stats()
    for doc in docs:
        keys: set[str] = set()
        for item in doc.items.values():
            key = item.ref or item.code
            keys.add(key)
            stats.requirements.setdefault(key, Requirement(
                key=key, verified=item.basis_verified, level=item.level,
                general_duty=item.basis_verified and item.basis_kind == "general_duty",
                criterion=item.hazard.get("major_criterion")))
        stats.lists.append(ListStats(
            id=doc.id, title=doc.title, rows=len(doc.items), requirements=keys,
            verified=sum(stats.requirements[k].verified for k in keys),
            general_duty=sum(stats.requirements[k].general_duty for k in keys), domains=_domains_of(doc),
            regions=tuple(sorted(doc.applies_to.regions))))
    return stats


def collect_stats(directory: Path, reference: Path | None = None) -> Stats:
    """Load (and so validate) ``directory`` and count. Raises ChecklistFormatError."""
    return stats_for(load_directory(directory, reference))
