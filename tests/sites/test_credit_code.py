"""统一社会信用代码 (GB 32100-2015): bad structure is refused; a bad check character may be confirmed."""

from __future__ import annotations

import pytest

from hazardloop.sites.credit_code import check_character, make_credit_code, validate_credit_code

# Real codes from public test vectors (GB 32100-2015 examples).
VALID = ["91310110666007217T", "91310115591693856A", "91110000MA01A7RH2R", "53640000MJX173672F"]


@pytest.mark.parametrize("code", VALID)
def test_real_codes_validate(code):
    assert validate_credit_code(code).ok


def test_lowercase_and_surrounding_spaces_are_normalised():
    assert validate_credit_code(" 91310110666007217t ").ok


@pytest.mark.parametrize("code", ["91350211M00013FA1N", "91350100M0001TGQXM"])
def test_failed_check_character_is_flagged_not_fatal(code):
    result = validate_credit_code(code)
    assert result.errors == []
    assert result.check_failed
    assert result.expected_check is not None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("9131011066600721", "应为 18 位"),
        ("91310110666007217TX", "应为 18 位"),
        ("", "应为 18 位"),
        ("91310110666OO7217T", "不允许的字符"),  # letter O
        ("91310110666007217I", "不允许的字符"),  # letter I
        ("9131011066600721ZS", "不允许的字符"),
        ("B1310110666007217T", "登记管理部门代码"),
        ("95310110666007217T", "机构类别代码"),  # 工商 has categories 1–3 only
        ("Y2310110666007217T", "机构类别代码"),  # 其他 uses 1 only
        ("9131A110666007217T", "行政区划代码"),
        ("91000000666007217T", "行政区划代码"),
    ],
)
def test_structural_errors_are_reported(code, fragment):
    result = validate_credit_code(code)
    assert not result.ok
    assert any(fragment in e for e in result.errors), result.errors


def test_one_changed_character_breaks_the_check():
    code = VALID[0]
    tampered = code[:10] + ("1" if code[10] != "1" else "2") + code[11:]
    assert validate_credit_code(tampered).check_failed


def test_check_character_matches_every_vector():
    for code in VALID:
        assert check_character(code[:17]) == code[17]


def test_made_codes_are_valid():
    assert validate_credit_code(make_credit_code("91330105", "MA2AB3C4")).ok
