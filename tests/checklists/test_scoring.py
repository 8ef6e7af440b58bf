"""Specification of checklist scoring (hazardloop.checklists.scoring), by worked examples.

The example checklist (written out below) has total_score 100 and two sections:

* section A, cap 10: A-001 deducts 4 per place (no item cap); A-002 deducts 4 per place
  with an item cap of 6; A-003 is a number item (max 2.0 米) deducting 3.
* section B, no cap: B-001 is a choice item deducting 0.2 per place; B-002 is a 重大 item
  deducting 30; B-003 has no deduction at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hazardloop.checklists.format import ChecklistDocument, load_checklist
from hazardloop.checklists.scoring import (
    InvalidAnswerError,
    ScoringError,
    UnknownItemError,
    score,
)

BASE = """
        method: 看现场
        photo_required_on_fail: true
        standard: {{document: 消防法, clause: 第二十八条, text: 示例}}
        hazard:
          description: {desc}
          level: {level}
          {cond}deadline: {{kind: immediate}}
        enforcement:
          violated: [{{law: 消防法, article: 第二十八条}}]
        basis_verified: true
        source: 测试用
"""


def _item(code: str, answer: str, extra: str = "", level: str = "一般") -> str:
    cond = ("major_criterion: {standard: 示例标准, clause: 第一条, quote: 示例条件}\n          "
            if level == "重大" else "")
    return (
        f"      - code: {code}\n        text: 检查 {code}\n        answer: {answer}"
        + BASE.format(desc=f"{code} 不符合", level=level, cond=cond)
        + extra
    )


EXAMPLE = (
    'id: scoring-example\ntitle: 评分示例\nversion: "2026.1"\ntotal_score: 100\n'
    "applies_to: {categories: [small_shop]}\nsections:\n"
    "  - code: A\n    title: 甲\n    cap: 10\n    items:\n"
    + _item("EX-A-001", "{type: compliance}", "        deduction: 4\n")
    + _item("EX-A-002", "{type: compliance}", "        deduction: 4\n        deduction_cap: 6\n")
    + _item("EX-A-003", "{type: number, unit: 米, max: 2.0}", "        deduction: 3\n")
    + "  - code: B\n    title: 乙\n    items:\n"
    + _item(
        "EX-B-001",
        "{type: choice, options: [{value: green, label: 绿区, compliant: true},"
        " {value: red, label: 红区, compliant: false}]}",
        "        deduction: 0.2\n",
    )
    + _item("EX-B-002", "{type: compliance}", "        deduction: 30\n", level="重大")
    + _item("EX-B-003", "{type: compliance}")
)


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> ChecklistDocument:
    path: Path = tmp_path_factory.mktemp("scoring") / "example.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return load_checklist(path)


def test_all_compliant_scores_full_marks(doc: ChecklistDocument) -> None:
    result = score(doc, {code: {"result": "符合"} for code in ("EX-A-001", "EX-A-002")})
    assert (result.total, result.max_score, result.deduction) == (100, 100, 0)
    assert result.findings == ()
    assert set(result.unanswered) == {"EX-A-003", "EX-B-001", "EX-B-002", "EX-B-003"}


def test_section_cap_limits_the_section_deduction(doc: ChecklistDocument) -> None:
    # Section A, cap 10: three findings of 4 each (A-001 ×2 places, A-002 ×1) deduct 10, not 12.
    result = score(
        doc,
        {"EX-A-001": {"result": "不符合", "count": 2}, "EX-A-002": {"result": "不符合"}},
    )
    section_a = result.sections[0]
    assert (section_a.raw_deduction, section_a.deduction) == (12, 10)
    assert result.total == 90


def test_item_cap_limits_deduction_times_count(doc: ChecklistDocument) -> None:
    # A-002 deducts 4 per place, item cap 6: three places deduct 6, not 12.
    result = score(doc, {"EX-A-002": {"result": "不符合", "count": 3}})
    [finding] = result.findings
    assert (finding.count, finding.deduction) == (3, 6)
    assert result.total == 94


def test_number_item_is_non_compliant_outside_its_limit(doc: ChecklistDocument) -> None:
    assert score(doc, {"EX-A-003": {"value": 2.0}}).findings == ()  # the limit itself is fine
    result = score(doc, {"EX-A-003": {"value": 2.5}})
    assert [f.code for f in result.findings] == ["EX-A-003"]
    assert result.total == 97


def test_choice_item_follows_the_option_compliant_flag(doc: ChecklistDocument) -> None:
    # 0.2 per place × 3 places = 0.6 exactly (decimal arithmetic), no section cap in B.
    result = score(doc, {"EX-B-001": {"choice": "red", "count": 3}})
    assert result.findings[0].deduction == 0.6
    assert result.total == 99.4
    assert score(doc, {"EX-B-001": {"choice": "green"}}).total == 100


def test_not_applicable_items_are_excluded(doc: ChecklistDocument) -> None:
    result = score(doc, {"EX-A-001": {"result": "不涉及"}, "EX-A-003": {"result": "不涉及"}})
    assert result.not_applicable == ("EX-A-001", "EX-A-003")
    assert result.findings == () and result.total == 100


def test_findings_carry_level_and_text_and_items_without_points_deduct_zero(
    doc: ChecklistDocument,
) -> None:
    result = score(doc, {"EX-B-002": {"result": "不符合"}, "EX-B-003": {"result": "不符合"}})
    major, zero = result.findings
    assert (major.code, major.level, major.deduction) == ("EX-B-002", "重大", 30)
    assert major.text == "检查 EX-B-002" and major.description == "EX-B-002 不符合"
    assert (zero.code, zero.deduction) == ("EX-B-003", 0)
    assert result.major_findings == (major,)
    assert result.total == 70


def test_total_never_goes_below_zero(doc: ChecklistDocument) -> None:
    # A capped at 10, B: 30 × 4 = 120 → 130 deducted from 100 gives 0, not −30.
    result = score(
        doc,
        {
            "EX-A-001": {"result": "不符合", "count": 5},
            "EX-B-002": {"result": "不符合", "count": 4},
        },
    )
    assert result.deduction == 130
    assert result.total == 0


def test_unknown_item_code_is_a_clear_value_error(doc: ChecklistDocument) -> None:
    with pytest.raises(UnknownItemError, match="NOPE-001") as info:
        score(doc, {"NOPE-001": {"result": "符合"}})
    assert isinstance(info.value, ValueError)
    assert info.value.code == "NOPE-001"


@pytest.mark.parametrize(
    ("code", "answer"),
    [
        ("EX-A-001", {"result": "合格"}),
        ("EX-A-001", {}),
        ("EX-A-003", {"value": "2"}),
        ("EX-B-001", {"choice": "blue"}),
        ("EX-A-001", {"result": "不符合", "count": 0}),
    ],
)
def test_malformed_answers_are_rejected(doc: ChecklistDocument, code: str, answer: dict) -> None:
    with pytest.raises(InvalidAnswerError) as info:
        score(doc, {code: answer})
    assert isinstance(info.value, ScoringError) and info.value.code == code


def test_scoring_a_shipped_checklist(doc: ChecklistDocument) -> None:
    shipped = load_checklist(Path(__file__).parents[2] / "checklists" / "fire-small-shop.yaml")
    # Blocked exit in 4 places: 2 each, item cap 6 → 6; section A cap 20 not reached.
    result = score(shipped, {"SHOP-A-001": {"result": "不符合", "count": 4}})
    assert result.total == 94 and result.max_score == 100
