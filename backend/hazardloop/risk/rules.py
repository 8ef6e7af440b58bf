"""风险评价规则: LEC and matrix scales, bands, 重大 conditions and the site/region raising rules from config/risk.yaml.

Pure functions over the loaded configuration; nothing here touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hazardloop.taxonomy import RiskLevel

DEFAULT_RULES = Path(__file__).resolve().parents[3] / "config" / "risk.yaml"
ORDER = [RiskLevel.BLUE, RiskLevel.YELLOW, RiskLevel.ORANGE, RiskLevel.RED]
COLOUR = {RiskLevel.RED: "红", RiskLevel.ORANGE: "橙", RiskLevel.YELLOW: "黄", RiskLevel.BLUE: "蓝"}
METHODS = ("lec", "matrix")
FACTORS = {"lec": ("l", "e", "c"), "matrix": ("l", "s")}


class RulesError(ValueError):
    """config/risk.yaml is malformed (the message names the key)."""


@dataclass(frozen=True)
class Band:
    level: RiskLevel
    bound: float
    strict: bool  # "above" (>) rather than "min" (>=)
    label: str

    def holds(self, score: float) -> bool:
        return score > self.bound if self.strict else score >= self.bound


@dataclass(frozen=True)
class Method:
    scales: Mapping[str, Mapping[float, str]]  # factor -> value -> label
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class Rules:
    level_labels: Mapping[RiskLevel, str]
    methods: Mapping[str, Method]
    major_conditions: Mapping[str, str]
    reassess_days: Mapping[RiskLevel, int]
    site_raise: tuple[Mapping[str, Any], ...]
    region_share: float
    region_min_sites: int
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class Score:
    """One assessment's result: the product, the band's level, and the level after a 重大 condition."""

    method: str
    score: float
    score_level: RiskLevel
    level: RiskLevel
    basis: str  # e.g. "LEC D=360" or "矩阵 R=20" or "构成危险化学品重大危险源"


def _level(value: Any, where: str) -> RiskLevel:
    try:
        return RiskLevel(value)
    except ValueError as exc:
        raise RulesError(f"{where}: 未知的风险等级 {value!r}") from exc


def parse_rules(data: Mapping[str, Any]) -> Rules:
    """Rules from the YAML mapping; raises RulesError naming the bad key."""
    methods: dict[str, Method] = {}
    for name in METHODS:
        section = data.get(name) or {}
        scales: dict[str, dict[float, str]] = {}
        for factor in FACTORS[name]:
            entries = section.get(factor)
            if not entries:
                raise RulesError(f"{name}.{factor}: 缺少分值表")
            scales[factor] = {float(e["value"]): str(e["label"]) for e in entries}
        bands = []
        for i, b in enumerate(section.get("bands") or []):
            strict = "above" in b
            bands.append(Band(_level(b.get("level"), f"{name}.bands[{i}]"),
                              float(b["above"] if strict else b["min"]), strict, str(b.get("label", ""))))
        if not bands:
            raise RulesError(f"{name}.bands: 缺少分级")
        methods[name] = Method(scales, tuple(bands))
    labels = {_level(e["level"], "levels"): str(e["label"]) for e in data.get("levels") or []}
    region = data.get("region_rule") or {}
    return Rules(
        level_labels=labels, methods=methods,
        major_conditions={str(c["code"]): str(c["label"]) for c in data.get("major_conditions") or []},
        reassess_days={_level(k, "reassess_days"): int(v) for k, v in (data.get("reassess_days") or {}).items()},
        site_raise=tuple(data.get("site_raise") or ()),
        region_share=float(region.get("share_orange_or_red", 1.1)),
        region_min_sites=int(region.get("min_sites", 1)), raw=data)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Rules:
    with open(path, encoding="utf-8") as fh:
        return parse_rules(yaml.safe_load(fh) or {})


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules from ``path`` (or RISK_RULES in the app config, or config/risk.yaml); re-read on change."""
    if path is None:
        try:
            from flask import current_app

            path = current_app.config.get("RISK_RULES") or DEFAULT_RULES
        except RuntimeError:
            path = DEFAULT_RULES
    file = Path(path)
    return _load(str(file), file.stat().st_mtime)


def higher(a: RiskLevel, b: RiskLevel) -> RiskLevel:
    return max(a, b, key=ORDER.index)


def step_up(level: RiskLevel, steps: int) -> RiskLevel:
    return ORDER[min(len(ORDER) - 1, ORDER.index(level) + steps)]


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def factor_problem(rules: Rules, method: str, inputs: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, Chinese message) when ``inputs`` are not values of the method's scales, else None."""
    if method not in rules.methods:
        return "method", "评价方法应为 LEC 或风险矩阵。"
    for factor, allowed in rules.methods[method].scales.items():
        value = inputs.get(factor)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or float(value) not in allowed:
            choices = "、".join(_fmt(v) for v in allowed)
            return factor, f"{factor.upper()} 应为分值表中的一个值（{choices}）。"
    return None


def band_of(rules: Rules, method: str, value: float) -> Band:
    """The first band of the method that ``value`` reaches (bands are listed highest first)."""
    return next(b for b in rules.methods[method].bands if b.holds(value))


def score(rules: Rules, method: str, inputs: Mapping[str, Any], major_condition: str | None = None) -> Score:
    """D = L × E × C (LEC) or R = L × S (matrix), its band, and 重大 when a condition applies.

    Callers check ``factor_problem`` first; unknown values raise ValueError here.
    """
    problem = factor_problem(rules, method, inputs)
    if problem:
        raise ValueError(problem[1])
    product = 1.0
    for factor in FACTORS[method]:
        product *= float(inputs[factor])
    product = round(product, 4)
    band = band_of(rules, method, product)
    basis = f"LEC D={_fmt(product)}" if method == "lec" else f"矩阵 R={_fmt(product)}"
    level = band.level
    if major_condition:
        if major_condition not in rules.major_conditions:
            raise ValueError("未知的重大风险判定条件。")
        level = RiskLevel.RED
        basis = f"{rules.major_conditions[major_condition]}（{basis}）"
    return Score(method, product, band.level, level, basis)


# --- site and region levels -----------------------------------------------------------------------

@dataclass(frozen=True)
class PointLevel:
    name: str
    level: RiskLevel
    basis: str


@dataclass(frozen=True)
class HazardFacts:
    """What the site's open hazards show now (counted by the caller)."""

    open_major: int = 0
    overdue_major: int = 0
    overdue_rung: int = 0  # open hazards whose escalation reached one of the rule's rungs
    recurring: int = 0  # open hazards found again after closing (recurrence_count >= the rule's minimum)
    major_hazard_source: int = 0  # 1 when the site's 一企一档 records it as a 重大危险源


@dataclass(frozen=True)
class Level:
    """A level and why: ``reasons`` in order, ``summary`` as people read it (「红：…；…」)."""

    level: RiskLevel
    reasons: tuple[str, ...]

    @property
    def summary(self) -> str:
        body = "；".join(self.reasons) if self.reasons else "无风险点评估"
        return f"{COLOUR[self.level]}：{body}"

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level.value, "reasons": list(self.reasons), "summary": self.summary}


def site_level(rules: Rules, points: Iterable[PointLevel], hazards: HazardFacts) -> Level:
    """The site's level: its highest risk point, raised by the configured hazard rules; every cause named."""
    points = list(points)
    level = RiskLevel.BLUE
    reasons: list[str] = []
    if points:
        level = max((p.level for p in points), key=ORDER.index)
        top = [p for p in points if p.level == level]
        more = f" 等 {len(top)} 处" if len(top) > 2 else ""
        reasons.append("；".join(f"{p.name} {p.basis}" for p in top[:2]) + more)
    for rule in rules.site_raise:
        kind = rule.get("rule")
        count = {"open_major_hazard": hazards.open_major, "overdue_major_hazard": hazards.overdue_major,
                 "overdue_rung": hazards.overdue_rung, "recurrence": hazards.recurring,
                 "major_hazard_source": hazards.major_hazard_source}.get(str(kind), 0)
        if not count:
            continue
        raised = (higher(level, _level(rule["at_least"], "site_raise")) if "at_least" in rule
                  else step_up(level, int(rule.get("steps", 1))))
        if kind == "major_hazard_source":
            reasons.append("构成重大危险源（一企一档）")
        else:
            label = {"open_major_hazard": "未闭环重大隐患", "overdue_major_hazard": "逾期未整改重大隐患",
                     "overdue_rung": "逾期升级未闭环隐患", "recurrence": "反复出现未闭环隐患"}[str(kind)]
            reasons.append(f"{label} {count} 项")
        level = raised
    return Level(level, tuple(reasons))


@dataclass(frozen=True)
class SiteSummary:
    name: str
    level: RiskLevel
    summary: str


def region_level(rules: Rules, sites: Iterable[SiteSummary]) -> Level:
    """A grid's, community's or street's level: the highest of its active sites, one step higher when at
    least ``region_share`` of them (and ``region_min_sites``) are orange or red."""
    sites = list(sites)
    if not sites:
        return Level(RiskLevel.BLUE, ("辖区内无在册场所",))
    level = max((s.level for s in sites), key=ORDER.index)
    top = [s for s in sites if s.level == level]
    # A site whose level was never computed (no summary yet) still says its colour.
    why = top[0].summary or COLOUR[level]
    reasons = [f"{top[0].name}（{why}）" + (f" 等 {len(top)} 家" if len(top) > 1 else "")]
    high = sum(1 for s in sites if s.level in (RiskLevel.RED, RiskLevel.ORANGE))
    if high >= rules.region_min_sites and high / len(sites) >= rules.region_share and level != RiskLevel.RED:
        level = step_up(level, 1)
        reasons.append(f"橙色及以上场所 {high}/{len(sites)} 家")
    return Level(level, tuple(reasons))
