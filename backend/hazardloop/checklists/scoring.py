"""检查表评分（评价细则式扣分）。

Rules, in the style of the national 评价细则 ("每发现一处扣 X 分，Y 分扣完为止"):

1. Each answered item is judged compliant or non-compliant:
   * ``compliance`` items: ``{"result": "符合" | "不符合" | "不涉及"}``;
   * ``number`` items: ``{"value": n}``; non-compliant when ``n < min`` or ``n > max``;
   * ``choice`` items: ``{"choice": value}``; non-compliant when that option has
     ``compliant: false``.
   Any item may be answered ``{"result": "不涉及"}``; it is then excluded from scoring.
   Items without an answer are not scored and are listed in ``unanswered``.
2. A non-compliant item is a finding. Its deduction is ``deduction × count`` (``count`` =
   number of places found, default 1), capped by the item's ``deduction_cap``.  Items with
   no ``deduction`` are findings that deduct 0.
3. A section deducts the sum of its findings, capped by the section ``cap``.
4. ``total = max(0, total_score − Σ section deductions)``.

Arithmetic is decimal, so 0.2 × 3 is exactly 0.6.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hazardloop.checklists.format import ChecklistDocument, Item

Answer = Mapping[str, Any]

COMPLIANT = "符合"
NON_COMPLIANT = "不符合"
NOT_APPLICABLE = "不涉及"
RESULTS = (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE)


class ScoringError(ValueError):
    """An answer set that cannot be scored against the checklist."""


class UnknownItemError(ScoringError):
    """An answer names an item code the checklist does not have."""

    def __init__(self, code: str, checklist_id: str) -> None:
        self.code = code
        super().__init__(f"检查表 {checklist_id} 中没有条目 '{code}'")


class InvalidAnswerError(ScoringError):
    """An answer whose shape or value does not fit its item."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        super().__init__(f"条目 '{code}' 的答案无效：{reason}")


@dataclass(frozen=True)
class Finding:
    """A non-compliant item: what the inspector found and what it costs."""

    code: str
    section_code: str
    text: str
    description: str
    level: str
    count: int
    deduction: float
    photo_required: bool


@dataclass(frozen=True)
class SectionScore:
    code: str
    title: str
    cap: float | None
    raw_deduction: float
    deduction: float


@dataclass(frozen=True)
class ScoreResult:
    checklist_id: str
    max_score: float
    total: float
    deduction: float
    findings: tuple[Finding, ...]
    sections: tuple[SectionScore, ...]
    compliant: tuple[str, ...]
    not_applicable: tuple[str, ...]
    unanswered: tuple[str, ...]

    @property
    def major_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "重大")


def _dec(x: float | int | None) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _num(d: Decimal) -> float:
    return float(d)


def _count(code: str, answer: Answer) -> int:
    count = answer.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidAnswerError(code, f"count 应为 ≥1 的整数，实际为 {count!r}")
    return count


def is_compliant(item: Item, answer: Answer) -> bool | None:
    """True/False for compliant/non-compliant; None when answered 不涉及."""
    if not isinstance(answer, Mapping):
        raise InvalidAnswerError(item.code, f"答案应为映射，实际为 {answer!r}")
    result = answer.get("result")
    if result is not None and result not in RESULTS:
        raise InvalidAnswerError(item.code, f"result 应为 符合/不符合/不涉及，实际为 {result!r}")
    if result == NOT_APPLICABLE:
        return None
    kind = item.answer["type"]
    if kind == "compliance":
        if result is None:
            raise InvalidAnswerError(item.code, "需要 result（符合/不符合/不涉及）")
        return result == COMPLIANT
    if kind == "number":
        value = answer.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidAnswerError(item.code, f"需要数值 value，实际为 {value!r}")
        lo, hi = item.answer.get("min"), item.answer.get("max")
        return not ((lo is not None and value < lo) or (hi is not None and value > hi))
    choice = answer.get("choice")
    for option in item.answer["options"]:
        if option["value"] == choice:
            return bool(option["compliant"])
    allowed = "、".join(o["value"] for o in item.answer["options"])
    raise InvalidAnswerError(item.code, f"choice {choice!r} 不是可选项（{allowed}）")


def score(doc: ChecklistDocument, answers: Mapping[str, Answer]) -> ScoreResult:
    """Score one inspection of ``doc``; ``answers`` maps item code → answer."""
    for code in answers:
        if code not in doc.items:
            raise UnknownItemError(code, doc.id)
    findings: list[Finding] = []
    compliant: list[str] = []
    not_applicable: list[str] = []
    unanswered: list[str] = []
    section_scores: list[SectionScore] = []
    total_deduction = Decimal(0)
    for section in doc.sections:
        raw = Decimal(0)
        for code in section.item_codes:
            item = doc.items[code]
            if code not in answers:
                unanswered.append(code)
                continue
            answer = answers[code]
            verdict = is_compliant(item, answer)
            if verdict is None:
                not_applicable.append(code)
                continue
            if verdict:
                compliant.append(code)
                continue
            count = _count(code, answer)
            each = _dec(item.deduction) or Decimal(0)
            ded = each * count
            cap = _dec(item.deduction_cap)
            if cap is not None:
                ded = min(ded, cap)
            raw += ded
            findings.append(
                Finding(
                    code=code,
                    section_code=section.code,
                    text=item.text,
                    description=item.hazard["description"],
                    level=item.level,
                    count=count,
                    deduction=_num(ded),
                    photo_required=item.photo_required_on_fail,
                )
            )
        cap = _dec(section.cap)
        capped = raw if cap is None else min(raw, cap)
        total_deduction += capped
        section_scores.append(
            SectionScore(
                code=section.code,
                title=section.title,
                cap=section.cap,
                raw_deduction=_num(raw),
                deduction=_num(capped),
            )
        )
    max_score = Decimal(str(doc.total_score))
    return ScoreResult(
        checklist_id=doc.id,
        max_score=_num(max_score),
        total=_num(max(Decimal(0), max_score - total_deduction)),
        deduction=_num(total_deduction),
        findings=tuple(findings),
        sections=tuple(section_scores),
        compliant=tuple(compliant),
        not_applicable=tuple(not_applicable),
        unanswered=tuple(unanswered),
    )
