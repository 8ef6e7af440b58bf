"""统一社会信用代码 checks per GB 32100-2015 (structure) and GB/T 17710 (check character).

Facts and test vectors: the two standards above and tests/sites/test_credit_code.py. Some early pilot codes
are legal yet fail the check character, so a failed check is reported separately from
a broken structure: the caller may accept it after an explicit confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, …
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

# 第1位 登记管理部门 → allowed 第2位 机构类别 (GB 32100-2015 表1/表2).
_CATEGORIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "3": "123459",  # 司法行政
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}
# Departments whose category digits the reference does not list: accept 1–9.
_OTHER_DEPARTMENTS = "2468A7"


@dataclass(frozen=True)
class CreditCodeCheck:
    """What a code's validation found: structural errors are fatal; a bad check character is not."""

    code: str
    errors: list[str] = field(default_factory=list)
    check_failed: bool = False
    expected_check: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.check_failed


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (GB/T 17710 MOD 31-3)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def _org_code_check(body8: str) -> str:
    """GB 11714 check character of the 9-character 组织机构代码's first 8."""
    values = (int(c) if c.isdigit() else ord(c) - 55 for c in body8)  # A=10 … Z=35
    total = sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def normalize(code: str) -> str:
    return code.strip().upper()


def validate_credit_code(code: str) -> CreditCodeCheck:
    """Check a 统一社会信用代码's structure and check characters."""
    code = normalize(code)
    errors: list[str] = []
    if len(code) != 18:
        return CreditCodeCheck(code, [f"应为 18 位，实际 {len(code)} 位。"])
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return CreditCodeCheck(code, [f"含有不允许的字符：{''.join(bad)}（不使用 I、O、Z、S、V）。"])
    dept, category = code[0], code[1]
    if dept in _CATEGORIES:
        if category not in _CATEGORIES[dept]:
            errors.append(f"第 2 位机构类别代码 {category} 与第 1 位登记管理部门代码 {dept} 不匹配。")
    elif dept in _OTHER_DEPARTMENTS:
        if category not in "123456789":
            errors.append(f"第 2 位机构类别代码 {category} 无效。")
    else:
        errors.append(f"第 1 位登记管理部门代码 {dept} 无效。")
    region = code[2:8]
    if not region.isdigit() or region[:2] == "00":
        errors.append(f"第 3–8 位应为六位行政区划代码，实际为 {region}。")
    if errors:
        return CreditCodeCheck(code, errors)
    org, expected = code[8:17], check_character(code[:17])
    org_ok = org[:8].isalnum() and _org_code_check(org[:8]) == org[8]
    if code[17] != expected or not org_ok:
        return CreditCodeCheck(code, [], check_failed=True, expected_check=expected)
    return CreditCodeCheck(code)


def make_credit_code(prefix: str, org_body: str) -> str:
    """Build a valid code from the first 8 characters and an 8-character 组织机构代码 body.

    Used by the demo data; the body must use digits and capital letters.
    """
    org = org_body + _org_code_check(org_body)
    first17 = prefix + org
    return first17 + check_character(first17)
