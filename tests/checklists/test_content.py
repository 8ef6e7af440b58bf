"""Specification of the shipped checklist content in ``checklists/``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hazardloop.checklists.format import ChecklistDocument, load_directory, validate_directory
from hazardloop.taxonomy import Domain, SiteCategory

CHECKLISTS = Path(__file__).parents[2] / "checklists"


@pytest.fixture(scope="module")
def docs() -> list[ChecklistDocument]:
    return load_directory(CHECKLISTS)


def test_shipped_checklists_validate_without_problems() -> None:
    assert [str(p) for p in validate_directory(CHECKLISTS)] == []


def test_at_least_ten_checklists_and_two_hundred_items(docs: list[ChecklistDocument]) -> None:
    assert len(docs) >= 10
    assert sum(len(d.items) for d in docs) >= 200


def test_required_site_kinds_are_covered(docs: list[ChecklistDocument]) -> None:
    covered = {c for d in docs for c in d.applies_to.categories}
    required = {
        "small_shop", "small_restaurant", "small_hotel", "small_entertainment",
        "small_internet_cafe", "small_beauty_bath", "small_workshop", "rental_housing",
        "ebike_charging", "restaurant", "industry_trade", "construction_site",
        "elevator_user", "hazchem_unit", "crowded_place",
    }
    assert required <= covered
    # the six 九小 kinds each have a checklist of their own
    nine_small = [d for d in docs if d.id.startswith("fire-small-")]
    assert len(nine_small) >= 6


def test_every_item_cites_a_source_and_a_violated_article(docs: list[ChecklistDocument]) -> None:
    for doc in docs:
        for item in doc.items.values():
            assert item.source.strip(), item.code
            assert item.enforcement["violated"], item.code


def test_every_major_item_states_its_condition(docs: list[ChecklistDocument]) -> None:
    majors = [i for d in docs for i in d.items.values() if i.level == "重大"]
    assert majors, "工贸/建筑/危化 checklists must contain 重大 items"
    for item in majors:
        assert item.hazard.get("major_condition", "").strip(), item.code


def test_verified_items_point_at_the_full_law_texts(docs: list[ChecklistDocument]) -> None:
    for doc in docs:
        for item in doc.items.values():
            if item.basis_verified:
                assert "laws/" in item.source, item.code


def test_industry_trade_marks_the_special_major_hazards(docs: list[ChecklistDocument]) -> None:
    it = next(d for d in docs if d.id == "industry-trade")
    special = [c for s in it.sections if s.code in "BCD" for c in s.item_codes]
    levels = Counter(it.items[c].level for c in special)
    assert levels["重大"] >= 12  # 粉尘涉爆, 涉氨制冷, 有限空间


def test_each_deadline_fits_its_level(docs: list[ChecklistDocument]) -> None:
    for doc in docs:
        for item in doc.items.values():
            deadline = item.hazard["deadline"]
            if item.level == "重大":
                assert deadline["kind"] != "immediate", item.code  # 重大 needs a 治理方案


def test_item_codes_are_unique_across_all_checklists(docs: list[ChecklistDocument]) -> None:
    codes = [c for d in docs for c in d.items]
    assert len(codes) == len(set(codes))


def test_schema_enums_match_the_taxonomy() -> None:
    schema = json.loads((CHECKLISTS / "schema.json").read_text(encoding="utf-8"))
    assert set(schema["$defs"]["category"]["enum"]) == {c.value for c in SiteCategory}
    assert set(schema["$defs"]["domain"]["enum"]) == {d.value for d in Domain}
