"""The risk point templates in ``risks/`` are valid, and the validator refuses what would mislead: a measure
linked to a checklist item that does not exist, an unknown 事故类型, a default outside the scales, a quote
not found in the reference text, a duplicate code — each reported as file:line: reason."""

from __future__ import annotations

import shutil
from pathlib import Path

from hazardloop.checklists.format import DEFAULT_REFERENCE_DIR
from hazardloop.risk.format import PROJECT_RISKS, load_risk_directory, validate_risk_directory

REFERENCE = DEFAULT_REFERENCE_DIR if DEFAULT_REFERENCE_DIR.is_dir() else None


def test_the_shipped_templates_are_valid_and_cover_the_main_categories():
    assert validate_risk_directory(PROJECT_RISKS, REFERENCE) == []
    categories = {c for catalog in load_risk_directory() for c in catalog.categories}
    assert {"industry_trade", "small_shop", "small_restaurant", "restaurant", "rental_housing", "ebike_charging",
            "construction_site", "hazchem_unit", "crowded_place", "small_workshop"} <= categories


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "risks"
    shutil.copytree(PROJECT_RISKS, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_unknown_checklist_items_types_and_scores_are_refused_with_their_line(tmp_path):
    risks = _copy(tmp_path)
    plant = risks / "industry-trade.yaml"
    _edit(plant, "check_items: [IT-C-001]", "check_items: [IT-C-999]")
    _edit(plant, "accident_types: [中毒, 爆炸]", "accident_types: [中毒, 触电]")
    _edit(plant, "{method: lec, l: 3, e: 6, c: 15}", "{method: lec, l: 4, e: 6, c: 15}")
    _edit(risks / "small-shop.yaml", "code: RP-SHOP-002", "code: RP-SHOP-001")
    problems = [str(p) for p in validate_risk_directory(risks, REFERENCE)]
    assert any("industry-trade.yaml:" in p and "检查条目 IT-C-999 不存在于 checklists/" in p for p in problems)
    assert any("事故类型「触电」不在 vocabulary.yaml 中" in p for p in problems)
    assert any("RP-IT-001：默认评估无效：L 应为分值表中的一个值" in p for p in problems)
    assert any("small-shop.yaml:" in p and "code 与" in p and "重复" in p for p in problems)
    line = next(p for p in problems if "IT-C-999" in p).split(":")[1]
    assert line == str(plant.read_text(encoding="utf-8").splitlines().index("  - code: RP-IT-001") + 1)


def test_an_accident_type_quote_must_be_in_its_reference_file(tmp_path):
    if REFERENCE is None:
        return
    risks = _copy(tmp_path)
    _edit(risks / "vocabulary.yaml", "quote: 局部坍塌", "quote: 坍塌事故统计表")
    problems = [str(p) for p in validate_risk_directory(risks, REFERENCE)]
    assert problems == [p for p in problems if "未在 regulations.md 中逐字找到" in p] and len(problems) == 1
