"""Law rules of the checklists (法律依据校验): 判定标准 quotes, 罚则 vs 义务, local-law regions, general duties.

The rules read the law and standard texts under ``shared/reference`` and two small tables kept
beside the checklists: ``penalty-only-articles.json`` (罚则 that may not be cited as the violated
duty) and ``general-duty-articles.json`` (一般性义务条款 that stand in for a specific rule when that
rule lives in a standard whose text we do not have; an item verified only through them must say so).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hazardloop.checklists.yamlfile import SourceFile, iter_items

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


@dataclass(frozen=True)
class GeneralDutyTable:
    """General duty articles (一般性义务条款) that may stand in for a rule of a standard we do not have.

    Loaded from ``checklists/general-duty-articles.json``. A verified item whose violated articles
    are all in this table must say which it is: ``basis_kind: general_duty`` (the specific rule is
    in a standard whose text is not in shared/reference) or ``basis_kind: specific`` (the article
    itself is the duty the item checks, e.g. 隐患排查治理 items citing 第四十一条第二款)."""

    rows: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, path: Path | None) -> GeneralDutyTable:
        if path is None or not Path(path).is_file():
            return cls(())
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(tuple((normalise_law(r["law"]), r["article"]) for r in data["articles"]))

    def is_general(self, law: str, article: str) -> bool:
        name, article = normalise_law(law), article.strip()
        return any(name == row_law and article == row_article for row_law, row_article in self.rows)

    def only_general(self, item: Mapping[str, Any]) -> bool:
        """Every violated article of ``item`` is a general duty of this table."""
        violated = item.get("enforcement", {}).get("violated", [])
        return bool(violated) and all(self.is_general(v["law"], v["article"]) for v in violated)


def _check_basis_kind(f: SourceFile, path: list[str | int], item: dict[str, Any],
                      general: GeneralDutyTable) -> None:
    code = item["code"]
    kind = item.get("basis_kind")
    if kind == "general_duty" and not item["basis_verified"]:
        f.add(f.line([*path, "basis_kind"]),
              f"{code}：basis_kind: general_duty 只用于已核实（basis_verified: true）的条目；"
              "未核实的条目不区分依据种类")
    if kind is None and item["basis_verified"] and general.only_general(item):
        cited = "、".join(normalise_law(v["law"]) + v["article"] for v in item["enforcement"]["violated"])
        f.add(f.line([*path, "basis_verified"]),
              f"{code}：只引用了一般性义务条款（{cited}）；请写明 basis_kind: general_duty"
              "（具体规则在参考资料中没有原文的标准里）或 basis_kind: specific（该条款本身就是本项检查的义务）")


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


def _check_item_law(f: SourceFile, path: list[str | int], item: dict[str, Any],
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


def check_law(files: Sequence[SourceFile], reference: ReferenceTexts | None,
              penalties: PenaltyTable, general: GeneralDutyTable | None = None) -> None:
    """Add the law problems of every schema-valid file to that file."""
    general = general or GeneralDutyTable(())
    library: dict[str, dict[str, Any]] = {}
    for f in files:
        if f.schema_ok and f.kind == "library":
            for _, item in iter_items(f):
                library.setdefault(item["code"], item)
    for f in files:
        if not f.schema_ok:
            continue
        list_regions = f.data.get("regions") or []
        for path, item in iter_items(f):
            if "ref" not in item:
                _check_item_law(f, path, item, reference, penalties)
                _check_basis_kind(f, path, item, general)
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
