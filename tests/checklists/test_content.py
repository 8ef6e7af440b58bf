"""Specification of the shipped checklist content in ``checklists/``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hazardloop.checklists.format import (
    ChecklistDocument,
    Item,
    PenaltyTable,
    load_directory,
    normalise_law,
    validate_directory,
)
from hazardloop.checklists.stats import stats_for
from hazardloop.taxonomy import Domain, SiteCategory

CHECKLISTS = Path(__file__).parents[2] / "checklists"
REFERENCE = Path(__file__).parents[3] / "shared" / "reference"


@pytest.fixture(scope="module")
def docs() -> list[ChecklistDocument]:
    return load_directory(CHECKLISTS)


def test_shipped_checklists_validate_without_problems() -> None:
    # with the reference texts: every 重大 criterion is quoted word for word
    assert [str(p) for p in validate_directory(CHECKLISTS, REFERENCE)] == []


def test_coverage_targets_of_issue_19(docs: list[ChecklistDocument]) -> None:
    stats = stats_for(docs)
    assert len(stats.lists) >= 28
    assert len(stats.requirements) >= 300  # distinct requirements, library refs counted once
    assert stats.verified_share >= 0.80
    for domain, (count, _) in stats.by_domain().items():
        assert count >= 1, domain


def _item(docs: list[ChecklistDocument], code: str) -> Item:
    return next(d.items[code] for d in docs if code in d.items)


def test_every_major_item_quotes_its_criterion_from_the_reference(docs: list[ChecklistDocument]) -> None:
    majors = [i for d in docs for i in d.items.values() if i.level == "重大"]
    assert len({i.ref or i.code for i in majors}) >= 40
    for item in majors:
        criterion = item.hazard["major_criterion"]
        assert criterion["clause"].strip() and criterion["quote"].strip(), item.code
        assert (REFERENCE / "laws" / f"{criterion['standard']}.md").is_file(), item.code


def test_construction_gradings_without_a_visible_standard_are_general_with_the_condition_kept(
    docs: list[ChecklistDocument],
) -> None:
    # the 房屋市政 2022/2024 standard's text is not in the reference: graded down, condition kept for the inspector
    for code in ("CON-B-001", "CON-B-004", "CON-C-001", "CON-D-003", "CON-E-003"):
        item = _item(docs, code)
        assert item.level == "一般", code
        assert "暂定一般隐患" in item.hazard["major_condition"], code


def test_fire_criteria_say_which_edition_of_gb35181_they_cite(docs: list[ChecklistDocument]) -> None:
    criterion = _item(docs, "SHOP-B-005").hazard["major_criterion"]  # → FIRE-COM-015
    assert criterion["clause"].startswith("GB 35181-2017")
    assert "2025" in criterion["edition_note"]


def test_no_penalty_clause_is_cited_as_the_violated_duty(docs: list[ChecklistDocument]) -> None:
    table = PenaltyTable.load(CHECKLISTS / "penalty-only-articles.json")
    for doc in docs:
        for item in doc.items.values():
            for article in item.enforcement["violated"]:
                assert table.duty_for(article["law"], article["article"]) is None, item.code


def test_fixed_findings_of_the_legal_review(docs: list[ChecklistDocument]) -> None:
    fire_020 = next(i for d in docs for i in d.items.values() if i.ref == "FIRE-COM-020")
    assert fire_020.enforcement["violated"] == [{"law": "消防法", "article": "第二十七条第二款"}]
    assert fire_020.standard["clause"] == "第二十七条第二款"
    patrol = next(i for d in docs for i in d.items.values() if i.ref == "FIRE-COM-044")
    assert patrol.enforcement["violated"][0]["article"] == "第十七条第二款第（三）项"
    gas = next(i for d in docs for i in d.items.values() if i.ref == "GAS-COM-011")
    assert gas.enforcement["penalty"]["article"].startswith("第五十条第一款")
    assert "城乡规划" in gas.data["note"]  # 占压 is punished under the planning law (第五十条第二款)
    ebike = _item(docs, "EBIKE-B-005")
    assert "penalty" not in ebike.enforcement  # 第四十七条（七） punishes only parking in the lobby or stairs
    assert "吊销" in _item(docs, "HZC-C-006").enforcement["penalty"]["range"]
    assert "直接负责的主管人员" in _item(docs, "MGMT-A-002").enforcement["penalty"]["range"]


_LAW_FILES = {
    "安全生产法": "安全生产法2021", "消防法": "消防法(2021-04-29)",
    "危险化学品安全管理条例": "危险化学品安全管理条例(2013-12-07)",
    "城镇燃气管理条例": "城镇燃气管理条例(2016-02-06)",
    "建设工程安全生产管理条例": "建设工程安全生产管理条例(2003-11-24)",
    "特种设备安全法": "特种设备安全法(2013-06-29)", "上海市消防条例": "上海市消防条例2020",
}


def test_penalty_ranges_carry_personal_fines_and_revocations_the_article_imposes(
    docs: list[ChecklistDocument],
) -> None:
    import re

    for doc in docs:
        for item in doc.items.values():
            penalty = item.enforcement.get("penalty")
            if not penalty or normalise_law(penalty["law"]) not in _LAW_FILES:
                continue
            text = (REFERENCE / "laws" / f"{_LAW_FILES[normalise_law(penalty['law'])]}.md").read_text("utf-8")
            base = re.match(r"第[一二三四五六七八九十百零]+条", penalty["article"]).group(0)
            found = re.search(rf"^{base} (.*)$", text, re.M)
            assert found, (item.code, base)
            first = found.group(1)
            if "款" not in penalty["article"] or "第一款" in penalty["article"]:
                if "直接负责的主管人员" in first and "处分" not in first:
                    assert "直接负责的主管人员" in penalty["range"], item.code
                if "吊销" in first:
                    assert "吊销" in penalty["range"], item.code
                if "拘留" in first:
                    assert "拘留" in penalty["range"], item.code


def test_local_law_lists_are_limited_to_their_regions(docs: list[ChecklistDocument]) -> None:
    by_id = {d.id: d for d in docs}
    assert by_id["ebike-zhejiang"].applies_to.regions == {"33"}
    assert by_id["fire-shanghai-crowded-place"].applies_to.regions == {"31"}
    assert by_id["fire-shanghai-units"].applies_to.regions == {"31"}
    # the national lists no longer carry 浙江 or 上海 items
    for list_id in ("fire-small-shop", "rental-housing", "crowded-place-evacuation", "ebike-parking-charging"):
        for item in by_id[list_id].items.values():
            laws = [v["law"] for v in item.enforcement["violated"]] + [item.standard["document"]]
            assert not any(law.startswith(("浙江省", "上海市", "义乌市")) for law in laws), item.code


def test_at_least_ten_checklists_and_two_hundred_items(docs: list[ChecklistDocument]) -> None:
    assert len(docs) >= 10
    assert sum(len(d.items) for d in docs) >= 200


def test_required_site_kinds_are_covered(docs: list[ChecklistDocument]) -> None:
    covered = {c for d in docs for c in d.applies_to.categories}
    required = {
        "small_shop", "small_restaurant", "small_hotel", "small_entertainment",
        "small_internet_cafe", "small_beauty_bath", "small_workshop", "rental_housing",
        "ebike_charging", "restaurant", "industry_trade", "construction_site",
        "elevator_user", "hazchem_unit", "crowded_place", "small_school", "small_clinic",
        "high_rise", "residential_community", "school", "clinic", "elderly_care", "boiler_user",
        "transport_company", "gas_user", "outdoor_advertising",
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
