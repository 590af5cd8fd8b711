"""Progress toward targets: the Statistics Canada / Open SDG method (ecoplan.plan.progress).

Expected values are worked by hand in the comments from the method's formulas
(open-sdg/open-sdg docs/progress-methodology.md; open-sdg/sdg-build
sdg/ProgressMeasure.py). Boundary cases use numbers whose rates are exact in
binary floating point (powers of two), so a ratio of exactly 0.95 or 0.60 is
really reached and the inclusive side of each threshold is tested.
"""

from __future__ import annotations

import json
import math

import pytest

from ecoplan.plan.progress import (
    ACCELERATION_NEEDED,
    ACHIEVED,
    COMPARATORS,
    DETERIORATION,
    LIMITED_PROGRESS,
    NOT_ACHIEVED,
    NOT_ASSESSABLE,
    ON_TRACK,
    STATUSES,
    Progress,
    assess,
    limit_coefficient,
    rollup,
    status_from_growth,
    status_from_ratio,
)

# ---------------------------------------------------------------------------
# With a target: ratio R = observed CAGR / |required CAGR| (times the direction)

# Higher is better, base 64 in 2020, target 169 by 2022:
# required = (169/64)^(1/2) - 1 = 13/8 - 1 = 0.625 (exact).


def test_ratio_exactly_095_is_on_track():
    # latest 102 in 2021: observed = 102/64 - 1 = 0.59375 (exact); R = 0.59375/0.625 = 0.95.
    p = assess({2020: 64, 2021: 102}, comparator=">=", target=169, target_year=2022)
    assert p.required_rate == 0.625
    assert p.observed_rate == 0.59375
    assert p.ratio == 0.95
    assert p.status == ON_TRACK  # 0.95 itself belongs to "on track" (value >= 0.95)


def test_ratio_just_below_095_needs_acceleration():
    # latest 101.99: observed = 101.99/64 - 1 = 0.59359375; R = 0.94975.
    p = assess({2020: 64, 2021: 101.99}, comparator=">=", target=169, target_year=2022)
    assert p.ratio == pytest.approx(0.94975, abs=1e-12)
    assert p.status == ACCELERATION_NEEDED


def test_ratio_exactly_060_needs_acceleration():
    # latest 88: observed = 88/64 - 1 = 0.375; R = 0.375/0.625 = 0.6.
    p = assess({2020: 64, 2021: 88}, comparator=">=", target=169, target_year=2022)
    assert p.ratio == 0.6
    assert p.status == ACCELERATION_NEEDED  # 0.60 itself: 0.60 <= R < 0.95


def test_ratio_just_below_060_is_limited_progress():
    # latest 87.99: observed = 0.37484375; R = 0.59975.
    p = assess({2020: 64, 2021: 87.99}, comparator=">=", target=169, target_year=2022)
    assert p.ratio == pytest.approx(0.59975, abs=1e-12)
    assert p.status == LIMITED_PROGRESS


def test_ratio_exactly_zero_is_limited_progress_and_below_is_deterioration():
    # No change: observed 0, R = 0 -> limited progress (0 <= R < 0.60).
    flat = assess({2020: 64, 2021: 64}, comparator=">=", target=169, target_year=2022)
    assert flat.ratio == 0.0
    assert flat.status == LIMITED_PROGRESS
    # latest 63: observed = 63/64 - 1 = -0.015625; R = -0.015625/0.625 = -0.025 -> deterioration.
    worse = assess({2020: 64, 2021: 63}, comparator=">=", target=169, target_year=2022)
    assert worse.ratio == -0.025
    assert worse.status == DETERIORATION


def test_lower_is_better_ratio_095():
    # Base 64, target 16 by 2022: required = (16/64)^(1/2) - 1 = -0.5.
    # latest 33.6 in 2021: observed = 33.6/64 - 1 = -0.475; R = -1 * -0.475 / |-0.5| = 0.95.
    p = assess({2020: 64, 2021: 33.6}, comparator="<=", target=16, target_year=2022)
    assert p.required_rate == -0.5
    assert p.ratio == 0.95
    assert p.status == ON_TRACK
    assert p.higher_is_better is False


def test_lower_is_better_rising_is_deterioration():
    # latest 70: observed = 70/64 - 1 = 0.09375; R = -0.09375/0.5 = -0.1875.
    p = assess({2020: 64, 2021: 70}, comparator="<=", target=16, target_year=2022)
    assert p.ratio == -0.1875
    assert p.status == DETERIORATION


def test_target_met_exactly_is_achieved_both_directions():
    # value <= target (lower is better) and value >= target (higher is better), equality included.
    assert assess({2020: 64, 2021: 16}, comparator="<=", target=16, target_year=2022).status == ACHIEVED
    assert assess({2020: 64, 2021: 169}, comparator=">=", target=169, target_year=2022).status == ACHIEVED
    # 168.9 < 169: not achieved; observed = 168.9/64 - 1 = 1.6390625, R = 2.6225 -> on track.
    near = assess({2020: 64, 2021: 168.9}, comparator=">=", target=169, target_year=2022)
    assert near.status == ON_TRACK
    assert near.ratio == pytest.approx(2.6225)


def test_achieved_whatever_the_trend():
    # Lower is better, target 20; base 10 already meets it; latest 15 (rising) still meets it.
    p = assess({2020: 10, 2021: 15}, comparator="<=", target=20, target_year=2025)
    assert p.status == ACHIEVED
    assert p.score == 5.0


def test_base_beyond_target_then_moving_away_is_deterioration():
    # The |required| edge case: lower is better, target 20, base 10 (already below), latest 25.
    # observed = 25/10 - 1 = 1.5; required = (20/10)^(1/5) - 1 = 0.148698 (positive, wrong way);
    # R = -1 * 1.5 / |0.148698| = -10.0876 -> deterioration (a plain observed/required would say on track).
    p = assess({2020: 10, 2021: 25}, comparator="<=", target=20, target_year=2025)
    assert p.required_rate == pytest.approx(2 ** (1 / 5) - 1)
    assert p.ratio == pytest.approx(-1.5 / (2 ** (1 / 5) - 1))
    assert p.ratio == pytest.approx(-10.0876, abs=1e-4)
    assert p.status == DETERIORATION


# ---------------------------------------------------------------------------
# Zeros, short series, signs


def test_zero_target_is_replaced_sdg_build_asset_333():
    # Cross-check on the method's own test input: sdg-build tests/assets/progress-calculation
    # indicator_3-3-3.csv (headline series) with indicator-config 3-3-3.yml
    # (direction negative, target 0); defaults base year 2015, target year 2030.
    # observed = (1.82/1.55)^(1/4) - 1 = 0.040962; required = (0.001/1.55)^(1/15) - 1 = -0.387211;
    # R = -1 * 0.040962 / 0.387211 = -0.10579 -> deterioration.
    headline = {
        2010: 1.51, 2011: 1.51, 2012: 1.38, 2013: 1.4, 2014: 1.27,
        2015: 1.55, 2016: 1.69, 2017: 1.65, 2018: 1.62, 2019: 1.82,
    }  # fmt: skip
    for comparator in ("<=", "zero"):
        p = assess(headline, comparator=comparator, target=0, target_year=2030, baseline=(2015, None))
        assert p.baseline_year == 2015 and p.baseline_value == 1.55
        assert p.latest_year == 2019 and p.latest_value == 1.82
        assert p.observed_rate == pytest.approx(0.040962, abs=1e-6)
        assert p.required_rate == pytest.approx(-0.387211, abs=1e-6)
        assert p.ratio == pytest.approx(-0.10579, abs=1e-5)
        assert p.status == DETERIORATION
        assert "target 0 replaced by 0.001" in p.note


def test_zero_base_is_replaced():
    # Base 0 -> 0.001. observed = 2/0.001 - 1 = 1999; required = (10/0.001)^(1/2) - 1 = 99;
    # R = 1999/99 = 20.19 -> on track.
    p = assess({2020: 0, 2021: 2}, comparator=">=", target=10, target_year=2022)
    assert p.observed_rate == pytest.approx(1999)
    assert p.required_rate == pytest.approx(99)
    assert p.ratio == pytest.approx(1999 / 99)
    assert p.status == ON_TRACK
    assert "base value 0 replaced by 0.001" in p.note
    assert p.baseline_value == 0  # reported as given


def test_zero_target_reached_is_achieved():
    # latest 0 <= 0.001 (the replaced target) -> achieved.
    p = assess({2020: 5, 2022: 0}, comparator="zero", target_year=2025)
    assert p.status == ACHIEVED
    assert p.target == 0.0


def test_one_value_is_not_assessable_unless_the_target_is_met():
    p = assess({2020: 5}, comparator=">=", target=10, target_year=2025)
    assert p.status == NOT_ASSESSABLE
    assert "fewer than two values" in p.note
    # The method's code tests achievement before it needs two years.
    assert assess({2020: 12}, comparator=">=", target=10, target_year=2025).status == ACHIEVED
    # No values at all.
    assert assess({}, comparator=">=", target=10, target_year=2025).status == NOT_ASSESSABLE


def test_explicit_baseline_makes_one_observation_assessable():
    # Baseline (2020, 64) given by the plan, one observation 2021: 102 -> R = 0.95 as above.
    p = assess({2021: 102}, comparator=">=", target=169, target_year=2022, baseline=(2020, 64))
    assert p.ratio == 0.95
    assert p.status == ON_TRACK


def test_baseline_year_without_data_moves_to_next_year():
    # Base year 2019 has no value: the first later year (2020, 64) is used (the method's rule).
    p = assess({2020: 64, 2021: 102}, comparator=">=", target=169, target_year=2022, baseline=(2019, None))
    assert (p.baseline_year, p.baseline_value) == (2020, 64)
    assert "moved to 2020" in p.note


def test_given_baseline_value_wins_and_is_noted():
    p = assess({2020: 60, 2021: 102}, comparator=">=", target=169, target_year=2022, baseline=(2020, 64))
    assert p.baseline_value == 64 and p.ratio == 0.95
    assert "differs" in p.note


def test_negative_values_flip_the_sign():
    # Higher is better, base -10, latest -8 (an improvement): observed = -8/-10 - 1 = -0.2;
    # the base is negative so s = -1: growth = s * d * observed = -1 * 1 * -0.2 = 0.2 -> on track.
    p = assess({2020: -10, 2021: -8}, comparator=None, higher_is_better=True)
    assert p.growth == pytest.approx(0.2)
    assert p.status == ON_TRACK


def test_opposite_signs_are_not_assessable():
    p = assess({2020: -10, 2021: 5}, comparator=None, higher_is_better=True)
    assert p.status == NOT_ASSESSABLE
    assert "opposite signs" in p.note


# ---------------------------------------------------------------------------
# Without a target: growth thresholds 1.5 %, 0.5 %, 0


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        # growth = 203.1/200 - 1 = 0.0155 -> on track
        (203.1, ON_TRACK),
        # 203/200 - 1 is 1.5 % in decimal, but 0.014999999999999902 in binary floating point
        # (1.015 has no exact binary form): just below 0.015 -> acceleration needed, as the
        # method's code (the same arithmetic) would say. The exact sides: test_threshold_sides_exactly.
        (203, ACCELERATION_NEEDED),
        # 202.9/200 - 1 = 0.0145 -> acceleration needed
        (202.9, ACCELERATION_NEEDED),
        # 201.1/200 - 1 = 0.0055 -> acceleration needed
        (201.1, ACCELERATION_NEEDED),
        # 200.9/200 - 1 = 0.0045 -> limited progress
        (200.9, LIMITED_PROGRESS),
        # 0 exactly -> limited progress
        (200, LIMITED_PROGRESS),
        # 199/200 - 1 = -0.005 -> deterioration
        (199, DETERIORATION),
    ],
)
def test_no_target_higher_is_better(latest, expected):
    p = assess({2020: 200, 2021: latest}, comparator=">=", target=None)
    assert p.method == "trend"
    assert p.growth == pytest.approx(latest / 200 - 1)
    assert p.status == expected


def test_no_target_lower_is_better_flips_the_sign():
    # growth = -(197/200 - 1) = 0.015 (0.015000000000000013 in binary) -> on track;
    # -(203/200 - 1) = -0.015 -> deterioration.
    assert assess({2020: 200, 2021: 197}, comparator="<=").status == ON_TRACK
    assert assess({2020: 200, 2021: 203}, comparator=None, higher_is_better=False).status == DETERIORATION


def test_no_target_compound_rate_over_several_years():
    # 100 -> 110.25 over 2 years: growth = (1.1025)^(1/2) - 1 = 0.05 -> on track.
    p = assess({2018: 100, 2019: 90, 2020: 110.25}, comparator=">=")
    assert p.growth == pytest.approx(0.05)
    assert p.status == ON_TRACK


def test_threshold_sides_exactly():
    # The method's code: value >= high; med <= value < high; low <= value < med; value < low.
    assert status_from_ratio(0.95) == ON_TRACK
    assert status_from_ratio(math.nextafter(0.95, 0)) == ACCELERATION_NEEDED
    assert status_from_ratio(0.60) == ACCELERATION_NEEDED
    assert status_from_ratio(math.nextafter(0.60, 0)) == LIMITED_PROGRESS
    assert status_from_ratio(0.0) == LIMITED_PROGRESS
    assert status_from_ratio(math.nextafter(0.0, -1)) == DETERIORATION
    assert status_from_growth(0.015) == ON_TRACK
    assert status_from_growth(math.nextafter(0.015, 0)) == ACCELERATION_NEEDED
    assert status_from_growth(0.005) == ACCELERATION_NEEDED
    assert status_from_growth(math.nextafter(0.005, 0)) == LIMITED_PROGRESS
    assert status_from_growth(0.0) == LIMITED_PROGRESS
    assert status_from_growth(-1e-12) == DETERIORATION


def test_natural_limit_scales_the_thresholds():
    # C = 1 - (90/100)^4.44 = 1 - exp(4.44 * ln 0.9) = 1 - exp(-0.467801) = 1 - 0.626378 = 0.373622.
    c = limit_coefficient(90, 100)
    assert c == pytest.approx(0.373622, abs=1e-6)
    # growth = 90.6/90 - 1 = 0.006667 >= 0.015 * C = 0.005604 -> on track with the limit,
    # but only acceleration needed without it (0.005 <= 0.006667 < 0.015).
    with_limit = assess({2020: 90, 2021: 90.6}, comparator=">=", limit=100)
    without = assess({2020: 90, 2021: 90.6}, comparator=">=")
    assert with_limit.status == ON_TRACK
    assert without.status == ACCELERATION_NEEDED
    # Base on the limit: C = 0, a growth of 0 is on track, a fall is deterioration.
    assert limit_coefficient(100, 100) == 0
    assert assess({2020: 100, 2021: 100}, comparator=">=", limit=100).status == ON_TRACK
    assert assess({2020: 100, 2021: 99}, comparator=">=", limit=100).status == DETERIORATION
    # Far from the limit (>= twice it): C = 1.
    assert limit_coefficient(5, 2) == 1.0
    # Between l and 2l: C = 1 - ((2*100 - 150)/100)^4.44 = 1 - 0.5^4.44 = 1 - exp(-3.077573)
    # = 1 - 0.046071 = 0.953929.
    assert limit_coefficient(150, 100) == pytest.approx(0.953929, abs=1e-6)


# ---------------------------------------------------------------------------
# Comparators of the plan file


def test_reduce_by_pct_with_projection_and_needed_rate():
    # Base 100 (2020), reduce by 20 % -> target 80 by 2025; latest 90 in 2022.
    # observed = (90/100)^(1/2) - 1 = -0.0513167; required = 0.8^(1/5) - 1 = -0.0436475;
    # R = 0.0513167 / 0.0436475 = 1.17571 -> on track.
    # Projection (observed CAGR): 90 * 0.9486833^3 = 90 * 0.8538149 = 76.8433 <= 80 -> meets.
    # Linear trend through (2020, 100), (2022, 90): slope -5/yr -> 75 in 2025.
    # Needed from now: (80/90)^(1/3) - 1 = -0.0385003.
    p = assess({2020: 100, 2022: 90}, comparator="reduce_by_pct", target=20, target_year=2025)
    assert p.target == pytest.approx(80)
    assert p.observed_rate == pytest.approx(-0.0513167, abs=1e-7)
    assert p.required_rate == pytest.approx(-0.0436475, abs=1e-7)
    assert p.ratio == pytest.approx(1.17571, abs=1e-5)
    assert p.status == ON_TRACK
    assert p.projected_value == pytest.approx(76.8433, abs=1e-4)
    assert p.projected_meets is True
    assert p.projected_linear == pytest.approx(75.0)
    assert p.projected_linear_meets is True
    assert p.needed_rate == pytest.approx(-0.0385003, abs=1e-7)


def test_projection_short_of_the_target():
    # Base 64 (2020), latest 88 (2021), target 169 by 2022: projection 88 * 1.375 = 121 < 169.
    # Linear: slope 24/yr -> 112 in 2022. Needed: 169/88 - 1 = 0.920455.
    p = assess({2020: 64, 2021: 88}, comparator=">=", target=169, target_year=2022)
    assert p.projected_value == pytest.approx(121)
    assert p.projected_meets is False
    assert p.projected_linear == pytest.approx(112)
    assert p.needed_rate == pytest.approx(169 / 88 - 1)


def test_increase_by_pct_and_increase_by():
    # Base 50, +10 % -> 55 by 2025; latest 52 in 2021: observed 0.04; required = 1.1^(1/5) - 1 = 0.019245;
    # R = 2.0785 -> on track.
    p = assess({2020: 50, 2021: 52}, comparator="increase_by_pct", target=10, target_year=2025)
    assert p.target == pytest.approx(55)
    assert p.ratio == pytest.approx(0.04 / (1.1 ** (1 / 5) - 1))
    assert p.status == ON_TRACK
    # increase_by 5 from 50 -> the same target 55.
    q = assess({2020: 50, 2021: 52}, comparator="increase_by", target=5, target_year=2025)
    assert q.target == pytest.approx(55) and q.ratio == pytest.approx(p.ratio)


def test_not_decreasing_and_not_increasing():
    # Target = the base value; met when not below (not above) it.
    assert assess({2020: 50, 2022: 50}, comparator="not_decreasing").status == ACHIEVED
    assert assess({2020: 50, 2022: 55}, comparator="not_decreasing").status == ACHIEVED
    down = assess({2020: 50, 2022: 45}, comparator="not_decreasing")
    assert down.status == DETERIORATION
    assert down.ratio is None and down.required_rate == 0.0
    assert assess({2020: 50, 2022: 45}, comparator="not_increasing").status == ACHIEVED
    assert assess({2020: 50, 2022: 55}, comparator="not_increasing").status == DETERIORATION


def test_strictly_increasing_flat_is_limited_progress():
    # "increasing": strictly above the base; unchanged is not achieved, and no move is limited progress.
    assert assess({2020: 50, 2022: 51}, comparator="increasing").status == ACHIEVED
    assert assess({2020: 50, 2022: 50}, comparator="increasing").status == LIMITED_PROGRESS
    assert assess({2020: 50, 2022: 49}, comparator="increasing").status == DETERIORATION
    assert assess({2020: 50, 2022: 49}, comparator="decreasing").status == ACHIEVED


def test_strict_comparators():
    assert assess({2020: 64, 2021: 169}, comparator=">", target=169, target_year=2022).status != ACHIEVED
    assert assess({2020: 64, 2021: 170}, comparator=">", target=169, target_year=2022).status == ACHIEVED
    assert assess({2020: 64, 2021: 16}, comparator="<", target=16, target_year=2022).status != ACHIEVED


def test_equal_target_reflects_about_the_target():
    # Target 40 +/- 0.5 by 2025. From above: base 50, latest 45 (2022). Reflected 40 + |y - 40|:
    # 50 -> 50, 45 -> 45; lower is better toward 40: observed = 0.9^(1/2) - 1 = -0.0513167,
    # required = 0.8^(1/5) - 1 = -0.0436475, R = 1.17571 (as reduce_by_pct above) -> on track.
    above = assess({2020: 50, 2022: 45}, comparator="=", target=40, target_year=2025, tolerance=0.5)
    assert above.ratio == pytest.approx(1.17571, abs=1e-5)
    assert above.status == ON_TRACK
    # From below: base 30, latest 35: reflected 50 and 45 -> the same ratio.
    below = assess({2020: 30, 2022: 35}, comparator="=", target=40, target_year=2025, tolerance=0.5)
    assert below.ratio == pytest.approx(above.ratio)
    # Overshoot: base 50, latest 30 -> reflected 50 and 50: no progress, R = 0 -> limited progress.
    over = assess({2020: 50, 2022: 30}, comparator="=", target=40, target_year=2025, tolerance=0.5)
    assert over.ratio == 0.0
    assert over.status == LIMITED_PROGRESS
    # Within tolerance: achieved.
    assert assess(
        {2020: 50, 2022: 40.3}, comparator="=", target=40, target_year=2025, tolerance=0.5
    ).status == (ACHIEVED)
    # The projection 45 * 0.9486833^3 = 38.42 crosses 40: it reaches the target by 2025.
    assert above.projected_meets is True


def test_all_meet_pass_fail():
    series = {2021: False, 2022: True}
    assert assess(series, comparator="all_meet").status == ACHIEVED
    assert assess(series, comparator="all_meet", as_of=2021).status == NOT_ACHIEVED
    assert assess({}, comparator="all_meet").status == NOT_ASSESSABLE
    # Shares: all members meet when the share is 100.
    shares = {2021: 95.0, 2022: 100.0}
    assert assess(shares, comparator="all_meet", target=100).status == ACHIEVED
    assert assess(shares, comparator="all_meet", target=100, as_of=2021).status == NOT_ACHIEVED
    with pytest.raises(ValueError, match="pass/fail"):
        assess(shares, comparator="all_meet")
    assert assess({2022: "是"}, comparator="all_meet").status == ACHIEVED


def test_as_of_gives_the_status_per_year():
    # Base 64 (2020), target 169 by 2022 (required 0.625/yr).
    # 2021: 88 -> R = 0.6 -> acceleration needed; 2022: 169 -> achieved.
    series = {2020: 64, 2021: 88, 2022: 169}
    by_year = {
        y: assess(series, comparator=">=", target=169, target_year=2022, as_of=y) for y in (2020, 2021, 2022)
    }
    assert by_year[2020].status == NOT_ASSESSABLE
    assert (by_year[2021].latest_year, by_year[2021].status) == (2021, ACCELERATION_NEEDED)
    assert (by_year[2022].latest_year, by_year[2022].status) == (2022, ACHIEVED)


# ---------------------------------------------------------------------------
# Score, input, errors, rollup


def test_scores_follow_the_documented_anchors():
    # Target case: R = 0.95 -> 2.5, R = 0.6 -> 0, R = 0 -> -2.5; achieved -> 5.
    assert assess(
        {2020: 64, 2021: 102}, comparator=">=", target=169, target_year=2022
    ).score == pytest.approx(2.5)
    assert assess({2020: 64, 2021: 88}, comparator=">=", target=169, target_year=2022).score == pytest.approx(
        0.0
    )
    assert assess({2020: 64, 2021: 64}, comparator=">=", target=169, target_year=2022).score == pytest.approx(
        -2.5
    )
    # R = -10.09 is clamped at -5.
    assert assess({2020: 10, 2021: 25}, comparator="<=", target=20, target_year=2025).score == -5.0
    # No target: growth 0.05 -> clamped at 5; growth 0 -> -2.5; growth 0.01 -> (0.01-0.005)/0.01*2.5 = 1.25.
    assert assess({2020: 100, 2021: 105}, comparator=">=").score == pytest.approx(5.0)
    assert assess({2020: 100, 2021: 100}, comparator=">=").score == pytest.approx(-2.5)
    assert assess({2020: 100, 2021: 101}, comparator=">=").score == pytest.approx(1.25)


def test_inputs_in_several_shapes():
    as_dict = assess({2020: 64, 2021: 102}, comparator=">=", target=169, target_year=2022)
    as_pairs = assess([(2021, 102), (2020, 64)], comparator=">=", target=169, target_year=2022)
    with_gaps = assess(
        {"2020": 64, 2021: 102, 2019: None, 2018: float("nan")}, comparator=">=", target=169, target_year=2022
    )
    assert as_dict.ratio == as_pairs.ratio == with_gaps.ratio == 0.95
    # A reporting period "2020-21" counts as 2020.
    assert (
        assess({"2020-21": 64, "2021-22": 102}, comparator=">=", target=169, target_year=2022).ratio == 0.95
    )
    pd = pytest.importorskip("pandas")
    assert (
        assess(pd.Series({2020: 64, 2021: 102}), comparator=">=", target=169, target_year=2022).ratio == 0.95
    )


def test_errors_are_explicit():
    with pytest.raises(ValueError, match="unknown comparator"):
        assess({2020: 1, 2021: 2}, comparator="~", target=1, target_year=2025)
    with pytest.raises(ValueError, match="target_year"):
        assess({2020: 1, 2021: 2}, comparator=">=", target=3)
    with pytest.raises(ValueError, match="higher_is_better"):
        assess({2020: 1, 2021: 2}, comparator="<=", target=3, target_year=2025, higher_is_better=True)
    with pytest.raises(ValueError, match="two values for year 2020"):
        assess([(2020, 1), (2020, 2)], comparator=">=", target=3, target_year=2025)
    with pytest.raises(ValueError, match="not a number"):
        assess({2020: "abc"}, comparator=">=", target=3, target_year=2025)
    with pytest.raises(ValueError, match="needs higher_is_better"):
        assess({2020: 1, 2021: 2}, comparator=None)
    with pytest.raises(ValueError, match="not after the base year"):
        assess({2020: 1, 2021: 2}, comparator=">=", target=3, target_year=2020)


def test_every_comparator_is_handled():
    for comparator in COMPARATORS:
        values = {2021: True, 2022: True} if comparator == "all_meet" else {2020: 10.0, 2022: 9.0}
        target = None if comparator in ("zero", "all_meet") else 5.0
        p = assess(values, comparator=comparator, target=target, target_year=2025)
        assert p.status in STATUSES


def test_progress_is_json_serialisable_with_labels():
    p = assess({2020: 64, 2021: 102}, comparator=">=", target=169, target_year=2022)
    d = p.to_dict()
    assert d["label_zh"] == "按期可达" and d["label_en"] == "On track"
    assert json.loads(json.dumps(d, ensure_ascii=False))["status"] == ON_TRACK


def test_rollup_counts_per_category_and_scope():
    p = assess({2020: 64, 2021: 102}, comparator=">=", target=169, target_year=2022)
    rows = rollup(
        [
            ("air", "太原市", ON_TRACK),
            ("air", "太原市", DETERIORATION),
            ("water", "汾河", ACHIEVED),
            ("air", "太原市", p),
            ("air", "大同市", NOT_ASSESSABLE),
        ]
    )
    assert [(r["category"], r["scope"]) for r in rows] == [
        ("air", "太原市"),
        ("water", "汾河"),
        ("air", "大同市"),
    ]
    taiyuan = rows[0]
    assert taiyuan[ON_TRACK] == 2 and taiyuan[DETERIORATION] == 1 and taiyuan["total"] == 3
    assert taiyuan[ACHIEVED] == 0  # zeros included
    assert set(STATUSES) <= set(taiyuan)
    with pytest.raises(ValueError, match="unknown status"):
        rollup([("air", "x", "great")])


def test_progress_type():
    assert isinstance(assess({2020: 1, 2021: 2}, comparator=">="), Progress)
