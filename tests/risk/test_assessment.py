"""风险评价 by hand-computed cases: LEC (D = L×E×C) and matrix (R = L×S) levels at each threshold of
config/risk.yaml, a 重大 condition over the score, and site/grid/street levels with their reasons."""

from __future__ import annotations

import pytest

from hazardloop.risk import rules as R
from hazardloop.taxonomy import RiskLevel

RULES = R.load_rules()
RED, ORANGE, YELLOW, BLUE = RiskLevel.RED, RiskLevel.ORANGE, RiskLevel.YELLOW, RiskLevel.BLUE


@pytest.mark.parametrize(("d", "level"), [
    (320.01, RED), (320, ORANGE),      # > 320 极其危险 (the source's "320〔应为 >320〕")
    (160, ORANGE), (159.9, YELLOW),    # 160–320 高度危险
    (70, YELLOW), (69.9, BLUE),        # 70–160 显著危险; below: 可能/稍有危险 = 低风险
    (0.1, BLUE),
])
def test_lec_bands_at_each_threshold(d, level):
    assert R.band_of(RULES, "lec", d).level == level


@pytest.mark.parametrize(("lk", "e", "c", "d", "level"), [
    (3, 3, 40, 360, RED),       # 不经常但可能 × 每周一次 × 灾难
    (6, 6, 7, 252, ORANGE),
    (1, 6, 40, 240, ORANGE),
    (6, 3, 7, 126, YELLOW),
    (1, 6, 7, 42, BLUE),
])
def test_lec_scores_multiply_the_three_factors(lk, e, c, d, level):
    result = R.score(RULES, "lec", {"l": lk, "e": e, "c": c})
    assert (result.score, result.level, result.basis) == (d, level, f"LEC D={d}")


@pytest.mark.parametrize(("lk", "s", "r", "level"), [
    (5, 5, 25, RED), (4, 5, 20, RED),        # R ≥ 20
    (4, 4, 16, ORANGE), (3, 5, 15, ORANGE),  # 15 ≤ R < 20
    (3, 4, 12, YELLOW), (3, 3, 9, YELLOW),   # 9 ≤ R < 15
    (2, 4, 8, BLUE), (1, 1, 1, BLUE),
])
def test_matrix_levels_at_each_threshold(lk, s, r, level):
    result = R.score(RULES, "matrix", {"l": lk, "s": s})
    assert (result.score, result.level, result.basis) == (r, level, f"矩阵 R={r}")


def test_a_major_condition_makes_red_whatever_the_score():
    result = R.score(RULES, "lec", {"l": 0.2, "e": 0.5, "c": 1}, "major_hazard_source")
    assert result.score == 0.1 and result.score_level == BLUE
    assert result.level == RED
    assert result.basis == "构成危险化学品重大危险源（LEC D=0.1）"


def test_values_outside_the_scales_are_refused_with_the_factor_named():
    assert R.factor_problem(RULES, "lec", {"l": 7, "e": 6, "c": 15})[0] == "l"
    assert R.factor_problem(RULES, "matrix", {"l": 3})[0] == "s"
    assert R.factor_problem(RULES, "lec", {"l": True, "e": 6, "c": 15})[0] == "l"
    assert R.factor_problem(RULES, "fmea", {})[0] == "method"
    assert R.factor_problem(RULES, "lec", {"l": 6, "e": 6, "c": 15}) is None


def test_site_level_is_its_highest_point_raised_by_open_major_hazards_with_every_reason():
    points = [R.PointLevel("液氨制冷车间", ORANGE, "LEC D=270"), R.PointLevel("有限空间作业", YELLOW, "LEC D=120")]
    assert R.site_level(RULES, points, R.HazardFacts()).summary == "橙：液氨制冷车间 LEC D=270"
    points[0] = R.PointLevel("液氨制冷车间", RED, "LEC D=360")
    level = R.site_level(RULES, points, R.HazardFacts(open_major=1))
    assert level.level == RED
    assert level.summary == "红：液氨制冷车间 LEC D=360；未闭环重大隐患 1 项"


def test_hazard_rules_raise_a_low_site():
    low = [R.PointLevel("营业区", BLUE, "矩阵 R=6")]
    assert R.site_level(RULES, low, R.HazardFacts(open_major=1)).level == ORANGE            # at least orange
    assert R.site_level(RULES, low, R.HazardFacts(open_major=1, overdue_major=1)).level == RED
    rung = R.site_level(RULES, low, R.HazardFacts(overdue_rung=1))
    assert rung.summary == "黄：营业区 矩阵 R=6；逾期升级未闭环隐患 1 项"
    both = R.site_level(RULES, low, R.HazardFacts(overdue_rung=1, recurring=2))
    assert both.level == ORANGE and both.reasons[-1] == "反复出现未闭环隐患 2 项"
    assert R.site_level(RULES, [], R.HazardFacts()).summary == "蓝：无风险点评估"


def test_region_level_is_its_highest_site_raised_when_many_sites_are_orange_or_red():
    sites = [R.SiteSummary("甲厂", ORANGE, "橙：液氨制冷车间 LEC D=270"), R.SiteSummary("乙店", YELLOW, "黄：…"),
             R.SiteSummary("丙店", BLUE, "蓝：…"), R.SiteSummary("丁店", BLUE, "蓝：…")]
    level = R.region_level(RULES, sites)
    assert level.summary == "橙：甲厂（橙：液氨制冷车间 LEC D=270）"
    # 3 of 6 sites orange or red (≥ 30 % and ≥ 3 sites): one step up.
    more = [*sites, R.SiteSummary("戊厂", ORANGE, "橙：…"), R.SiteSummary("己厂", ORANGE, "橙：…")]
    raised = R.region_level(RULES, more)
    assert raised.level == RED
    assert raised.reasons == ("甲厂（橙：液氨制冷车间 LEC D=270） 等 3 家", "橙色及以上场所 3/6 家")
    assert R.region_level(RULES, []).summary == "蓝：辖区内无在册场所"
