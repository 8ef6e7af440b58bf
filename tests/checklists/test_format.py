"""Specification of the checklist file format checks (hazardloop.checklists.format).

Every kind of broken file under ``broken/<case>/`` must be reported as a Problem that
names the right file and the 1-based line of the offending YAML node, and validation must
never raise.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hazardloop.checklists.format import (
    ChecklistFormatError,
    PenaltyTable,
    Problem,
    applicable,
    in_regions,
    load_checklist,
    load_directory,
    local_law_regions,
    normalise_text,
    validate_directory,
)

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
SHIPPED = HERE.parents[1] / "checklists"
# The law texts the 重大 criteria are checked against (shared/reference beside the repository).
REFERENCE = HERE.parents[2] / "shared" / "reference"


def problems_in(case: str) -> list[tuple[str, int, str]]:
    return [(Path(p.file).name, p.line, p.reason) for p in validate_directory(BROKEN / case, REFERENCE)]


def test_problem_prints_as_file_line_reason() -> None:
    assert str(Problem("a.yaml", 7, "缺少必填字段")) == "a.yaml:7: 缺少必填字段"


def test_malformed_yaml_reports_the_parse_error_line() -> None:
    [(name, line, reason)] = problems_in("malformed")
    assert (name, line) == ("bad-yaml.yaml", 10)
    assert reason.startswith("YAML 语法错误")


def test_missing_required_field_points_at_the_item() -> None:
    [(name, line, reason)] = problems_in("schema-missing-field")
    assert (name, line) == ("missing-method.yaml", 11)  # the "- code: T-MIS-001" line
    assert "缺少必填字段 'method'" in reason


def test_wrong_type_points_at_the_field() -> None:
    [(name, line, reason)] = problems_in("schema-wrong-type")
    assert (name, line) == ("wrong-type.yaml", 15)
    assert "photo_required_on_fail" in reason and "true/false" in reason


def test_duplicate_code_within_a_file_reports_both_places() -> None:
    found = problems_in("duplicate-code-in-file")
    assert [(n, line) for n, line, _ in found] == [("dup.yaml", 11), ("dup.yaml", 26)]
    assert all("T-DUP-001" in reason and "重复" in reason for _, _, reason in found)
    assert "dup.yaml:26" in found[0][2] and "dup.yaml:11" in found[1][2]


def test_duplicate_code_across_files_reports_both_files() -> None:
    found = problems_in("duplicate-code-across-files")
    assert [(n, line) for n, line, _ in found] == [("a.yaml", 11), ("b.yaml", 26)]
    assert "b.yaml:26" in found[0][2]
    assert "a.yaml:11" in found[1][2]


def test_unknown_category_is_rejected_at_its_line() -> None:
    [(name, line, reason)] = problems_in("unknown-category")
    assert (name, line) == ("unknown-category.yaml", 6)
    assert "small_spaceport" in reason and "场所类别" in reason


def test_dangling_reference_is_reported_and_good_reference_is_not() -> None:
    [(name, line, reason)] = problems_in("dangling-ref")
    assert (name, line) == ("checklist.yaml", 26)
    assert "LIB-NOPE-001" in reason and "无法解析" in reason


def test_major_hazard_without_a_quoted_criterion_is_rejected() -> None:
    [(name, line, reason)] = problems_in("major-without-condition")
    assert (name, line) == ("major.yaml", 17)  # the "hazard:" line of the item
    assert "major_criterion" in reason and "一般" in reason


def test_major_criterion_quote_must_be_verbatim_in_the_standard() -> None:
    [(name, line, reason)] = problems_in("major-quote-not-in-standard")
    assert (name, line) == ("quote.yaml", 20)  # the major_criterion line
    assert "T-QUO-001" in reason and "工贸企业重大事故隐患判定标准2023" in reason and "找不到" in reason


def test_major_criterion_must_name_a_standard_whose_text_we_have() -> None:
    [(name, line, reason)] = problems_in("major-standard-not-found")
    assert (name, line) == ("standard.yaml", 20)
    assert "某省重大火灾隐患判定细则" in reason and "找不到对应文件" in reason


def test_the_quote_check_runs_only_with_the_reference_texts() -> None:
    # without --reference the structure is still enforced, the quote cannot be looked up
    assert validate_directory(BROKEN / "major-quote-not-in-standard") == []
    assert validate_directory(BROKEN / "major-without-condition")  # no criterion at all: still refused


def test_quotes_compare_without_whitespace_and_width_of_punctuation() -> None:
    assert normalise_text("未对承包单位、承租单位的安全生产工作统一协调、管理，或者未定期进行安全检查的；") == \
        normalise_text("未对承包单位、承租单位的安全生产工作统一协调、管理,或者未定期进行\n安全检查的;")
    assert normalise_text("（二）") == normalise_text("(二)")


def test_local_law_without_a_region_limit_is_rejected() -> None:
    [(name, line, reason)] = problems_in("local-law-without-region")
    assert (name, line) == ("local.yaml", 11)  # the item's code line
    assert "浙江省电动自行车管理条例" in reason and "regions" in reason and "33" in reason


def test_local_law_region_limit_must_lie_inside_the_laws_place() -> None:
    [(name, line, reason)] = problems_in("local-law-region-outside")
    assert (name, line) == ("outside.yaml", 5)  # the list's regions line
    assert "31" in reason and "33" in reason and "超出" in reason


def test_library_item_citing_local_law_needs_its_regions() -> None:
    [(name, line, reason)] = problems_in("local-law-library-without-region")
    assert (name, line) == ("library.yaml", 7)
    assert "LIBL-COM-001" in reason and "regions" in reason


def test_local_law_names_map_to_their_gb2260_prefix() -> None:
    assert local_law_regions("浙江省电动自行车管理条例") == ("33",)
    assert local_law_regions("上海市消防条例（2020修正）") == ("31",)
    assert local_law_regions("杭州市城市市容和环境卫生管理条例") == ("3301",)
    assert local_law_regions("DB37/T 2882-2016") == ("37",)
    for national in ("消防法", "中华人民共和国安全生产法（2021修正）", "房屋市政工程生产安全重大事故隐患判定标准",
                     "城镇燃气管理条例", "市场监管总局令第57号"):
        assert local_law_regions(national) is None, national


def test_a_penalty_clause_cited_as_the_violated_duty_is_rejected() -> None:
    [(name, line, reason)] = problems_in("penalty-clause-as-duty")
    assert (name, line) == ("penalty.yaml", 22)
    assert "第六十六条是罚则" in reason and "第二十七条第二款" in reason


def test_the_penalty_only_table_names_the_duty_to_cite() -> None:
    table = PenaltyTable.load(SHIPPED / "penalty-only-articles.json")
    assert table.duty_for("中华人民共和国消防法", "第六十六条") == ("第六十六条", "第二十七条第二款")
    assert table.duty_for("安全生产法", "第一百零二条")[1] == "第四十一条第二款"
    assert table.duty_for("消防法", "第二十七条第二款") is None
    assert table.duty_for("消防法", "第六条") is None


def test_every_duty_in_the_penalty_table_is_a_real_article_of_the_reference_text() -> None:
    laws = {"消防法": "消防法(2021-04-29).md", "安全生产法": "安全生产法2021.md",
            "城镇燃气管理条例": "城镇燃气管理条例(2016-02-06).md"}
    table = PenaltyTable.load(SHIPPED / "penalty-only-articles.json")
    for law, article, duty in table.rows:
        text = (REFERENCE / "laws" / laws[law]).read_text(encoding="utf-8")
        assert f"\n{article} " in text, (law, article)
        first = re.match(r"第[一二三四五六七八九十百零]+条", duty)
        assert first and f"\n{first.group(0)} " in text, (law, duty)


@pytest.mark.parametrize("case", sorted(p.name for p in BROKEN.iterdir() if p.is_dir()))
def test_loaders_refuse_every_broken_case(case: str) -> None:
    with pytest.raises(ChecklistFormatError) as info:
        load_directory(BROKEN / case, REFERENCE)
    assert info.value.problems == tuple(validate_directory(BROKEN / case, REFERENCE))


def test_load_directory_never_half_loads(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "c")
    shutil.copy(BROKEN / "unknown-category" / "unknown-category.yaml", tmp_path / "c")
    with pytest.raises(ChecklistFormatError) as info:
        load_directory(tmp_path / "c")
    assert [Path(p.file).name for p in info.value.problems] == ["unknown-category.yaml"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "- 只是一个列表\n",
        "id: x\n---\nid: y\n",
        "id: [unclosed\n",
        "\tid: tab\n",
        "id: a\nid: b\n",
        "kind: library\nid: lib\ntitle: t\nversion: 1\nitems: 3\n",
        "sections: {a: 1}\napplies_to: {categories: [1, 2]}\n",
    ],
)
def test_validation_never_raises_on_garbage(tmp_path: Path, text: str) -> None:
    (tmp_path / "g.yaml").write_text(text, encoding="utf-8")
    problems = validate_directory(tmp_path)
    assert problems, "garbage must produce at least one problem"
    assert all(p.line >= 1 and p.reason for p in problems)


@pytest.mark.parametrize(
    ("deadline", "reason_part"),
    [
        ("{kind: working_days}", "必须填写 days"),
        ("{kind: immediate, days: 3}", "不应填写 days"),
    ],
)
def test_deadline_days_rule(tmp_path: Path, deadline: str, reason_part: str) -> None:
    text = (BROKEN / "major-without-condition" / "major.yaml").read_text(encoding="utf-8")
    text = text.replace("level: 重大", "level: 一般").replace(
        "deadline: {kind: immediate}", f"deadline: {deadline}"
    )
    (tmp_path / "d.yaml").write_text(text, encoding="utf-8")
    [problem] = validate_directory(tmp_path)
    assert problem.line == 20  # the "deadline:" line
    assert reason_part in problem.reason


# ------------------------------------------------------------------ loading and hashing


def test_load_checklist_resolves_refs_against_libraries_beside_it() -> None:
    doc = load_checklist(SHIPPED / "fire-small-shop.yaml")
    item = doc.items["SHOP-A-001"]
    assert item.ref == "FIRE-COM-001"
    assert item.text.startswith("疏散通道、安全出口")
    assert doc.source_path.name == "fire-small-shop.yaml"
    assert len(doc.content_hash) == 64


def test_ref_copy_may_override_scoring_fields_only() -> None:
    doc = load_checklist(SHIPPED / "fire-small-hotel.yaml")
    assert doc.items["HOTEL-A-001"].deduction == 3  # overridden in the hotel checklist
    assert doc.items["HOTEL-A-002"].deduction == 1  # inherited from the library


def _hash(directory: Path, checklist_id: str) -> str:
    return next(d.content_hash for d in load_directory(directory) if d.id == checklist_id)


def test_content_hash_ignores_comments_and_whitespace(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "c")
    before = _hash(tmp_path / "c", "elevator-use")
    path = tmp_path / "c" / "elevator-use.yaml"
    text = path.read_text(encoding="utf-8")
    edited = "# 新增的注释\n\n" + text.replace("\nsections:", "\n\n# 分节开始\nsections:  ")
    path.write_text(edited, encoding="utf-8")
    assert _hash(tmp_path / "c", "elevator-use") == before


def test_content_hash_changes_when_content_changes(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "c")
    before = _hash(tmp_path / "c", "elevator-use")
    path = tmp_path / "c" / "elevator-use.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("deduction: 20", "deduction: 25"), encoding="utf-8")
    assert _hash(tmp_path / "c", "elevator-use") != before


def test_editing_a_library_item_changes_the_hash_of_checklists_that_copy_it(
    tmp_path: Path,
) -> None:
    shutil.copytree(SHIPPED, tmp_path / "c")
    shop = _hash(tmp_path / "c", "fire-small-shop")
    elevator = _hash(tmp_path / "c", "elevator-use")
    lib = tmp_path / "c" / "library-fire-common.yaml"
    text = lib.read_text(encoding="utf-8")
    lib.write_text(text.replace("有无占用、堵塞", "有无占用、堆放、堵塞"), encoding="utf-8")
    assert _hash(tmp_path / "c", "fire-small-shop") != shop
    assert _hash(tmp_path / "c", "elevator-use") == elevator


# ------------------------------------------------------------------ applicability


def test_applicable_when_category_matches_or_any_domain_matches() -> None:
    docs = {d.id: d for d in load_directory(SHIPPED)}
    elevator = docs["elevator-use"]  # categories [elevator_user], domains [special_equipment]
    assert applicable(elevator, "elevator_user", set())
    assert applicable(elevator, "warehouse", {"fire", "special_equipment"})
    assert not applicable(elevator, "warehouse", {"fire"})
    shop = docs["fire-small-shop"]  # categories only
    assert applicable(shop, "small_shop", set())
    assert not applicable(shop, "small_restaurant", {"nine_small"})


def test_a_list_grounded_in_local_law_applies_only_in_its_regions() -> None:
    docs = {d.id: d for d in load_directory(SHIPPED)}
    zhejiang = docs["ebike-zhejiang"]
    assert zhejiang.applies_to.regions == {"33"}
    assert applicable(zhejiang, "rental_housing", set(), ["330105"])  # 杭州市拱墅区
    assert not applicable(zhejiang, "rental_housing", set(), ["310101"])  # 上海市黄浦区
    assert not applicable(zhejiang, "rental_housing", set(), [])  # a site whose district code is unknown
    shanghai = docs["fire-shanghai-crowded-place"]
    assert applicable(shanghai, "crowded_place", set(), ["310101"])
    assert not applicable(shanghai, "crowded_place", set(), ["330105"])
    assert applicable(docs["fire-small-shop"], "small_shop", set(), ["310101"])  # national: everywhere
    assert in_regions([], []) and in_regions(["3301"], ["33", "330105"])
