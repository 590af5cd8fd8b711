"""Change between two years (|dG - dD| rule and level rule) and trends (Spearman), 2011 method (secondary)."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pyarrow as pa
import pytest

from ecoplan.water import attainment as wa
from ecoplan.water import queries

from .util import put_samples, put_sections, run

GOOD, IV, WORST = 0.3, 1.2, 2.5  # NH3-N of class II, IV, 劣V


def composition(good: int, iv: int, worst: int) -> list[float]:
    return [GOOD] * good + [IV] * iv + [WORST] * worst


# basin -> (year A sections, year B sections, expected change)
CHANGES = {
    "X10": (composition(16, 2, 2), composition(17, 2, 1), "无明显变化"),  # dG 5, dD -5: 10
    "X20": (composition(16, 2, 2), composition(18, 2, 0), "有所好转"),  # 10 - (-10) = 20
    "X30": (composition(16, 2, 2), composition(20, 0, 0), "明显好转"),  # 30
    "W20": (composition(16, 2, 2), composition(14, 2, 4), "有所变差"),  # -10 - 10 = -20
    "W25": (composition(16, 2, 2), composition(14, 1, 5), "明显变差"),  # -10 - 15 = -25
    "F2": ([0.3, 0.3, 0.3], [1.2, 1.2, 1.2], "明显变差"),  # 3 sections: 优 -> 轻度污染, two levels
    "F1": ([0.3, 0.3, 0.3], [0.8, 0.8, 0.8], "有所变差"),  # 优 -> 良好, one level
    "F0": ([0.1, 0.1, 0.1], [0.3, 0.4, 0.3], "无明显变化"),  # I -> II: both 优
}


@pytest.fixture
def two_years(store):
    sections, samples = [], []
    for basin, (a, b, _) in CHANGES.items():
        for i, (va, vb) in enumerate(zip(a, b, strict=True)):
            code = f"{basin}-{i}"
            sections.append({"code": code, "basin": basin, "kind": "river"})
            samples.append((code, dt.datetime(2019, 5, 1), "NH3-N", va))
            samples.append((code, dt.datetime(2020, 5, 1), "NH3-N", vb))
    # a section assessed only in 2020: left out of the comparable sections
    sections.append({"code": "X10-new", "basin": "X10", "kind": "river"})
    samples.append(("X10-new", dt.datetime(2020, 5, 1), "NH3-N", WORST))
    put_sections(store, sections)
    put_samples(store, samples)
    return store


def test_change_rules(two_years):
    got = run(two_years, queries.change(two_years.ibis, by="basin", from_year=2019, to_year=2020))
    got = got.set_index("group")
    for basin, (_a, _b, expected) in CHANGES.items():
        assert got.loc[basin, "change_zh"] == expected, basin
        assert got.loc[basin, "rule"] == ("level" if len(_a) < 5 else "shares"), basin
        assert got.loc[basin, "deterioration"] == ("变差" in expected), basin
    assert got.loc["X20", "dG"] == pytest.approx(10.0)
    assert got.loc["X20", "dD"] == pytest.approx(-10.0)
    assert got.loc["X20", "dG_minus_dD"] == pytest.approx(20.0)
    assert got.loc["X10", "n_sections_b"] == 20  # the new section is not comparable


def test_change_with_every_section(two_years):
    got = run(
        two_years,
        queries.change(two_years.ibis, by="basin", from_year=2019, to_year=2020, comparable=False),
    ).set_index("group")
    # X10 in 2020 with the new 劣V section: G 17/21, D 2/21
    assert got.loc["X10", "n_sections_b"] == 21
    assert got.loc["X10", "dG_minus_dD"] == pytest.approx((100 * 17 / 21 - 80) - (100 * 2 / 21 - 10))


def test_change_by_section(two_years):
    got = run(two_years, queries.change(two_years.ibis, by="section", from_year=2019, to_year=2020))
    got = got.set_index("group")
    assert got.loc["F2-0", "change_zh"] == "明显变差"  # II -> IV: 优 -> 轻度污染
    assert got.loc["F0-0", "change_zh"] == "无明显变化"


# -- trends ------------------------------------------------------------------------


def numpy_spearman(x: np.ndarray, y: np.ndarray) -> float:
    def avg_rank(v):
        order = np.argsort(v, kind="mergesort")
        ranks = np.empty(len(v))
        ranks[order] = np.arange(1, len(v) + 1)
        for u in np.unique(v):
            ranks[v == u] = ranks[v == u].mean()
        return ranks

    return float(np.corrcoef(avg_rank(x), avg_rank(y))[0, 1])


def test_spearman_matches_a_numpy_reference():
    rng = np.random.default_rng(7)
    rows = []
    for g in range(30):
        n = int(rng.integers(4, 12))
        y = rng.integers(0, 5, n).astype(float)  # many ties
        rows += [{"g": g, "x": float(i), "y": float(v)} for i, v in enumerate(y)]
    t = ibis.memtable(pa.Table.from_pylist(rows))
    got = ibis.duckdb.connect().to_pyarrow(wa.spearman(t, ["g"], "x", "y")).to_pandas().set_index("g")
    for g in range(30):
        sub = [r for r in rows if r["g"] == g]
        x = np.array([r["x"] for r in sub])
        y = np.array([r["y"] for r in sub])
        if np.all(y == y[0]):
            assert np.isnan(got.loc[g, "r_s"])
        else:
            assert got.loc[g, "r_s"] == pytest.approx(numpy_spearman(x, y), abs=1e-12)
        assert got.loc[g, "n"] == len(sub)


def test_group_trend_verdicts(store):
    years = range(2015, 2021)  # 6 years: critical value 0.829
    # UP: one more section of class II each year among 10; DOWN: one fewer; FLAT: unchanged
    sections, samples = [], []
    for basin in ("UP", "DOWN", "FLAT"):
        for i in range(10):
            code = f"{basin}-{i}"
            sections.append({"code": code, "basin": basin, "kind": "river"})
            for k, y in enumerate(years):
                good = {"UP": 3 + k, "DOWN": 9 - k, "FLAT": 6}[basin]
                samples.append((code, dt.datetime(y, 6, 1), "NH3-N", GOOD if i < good else IV))
    put_sections(store, sections)
    put_samples(store, samples)
    got = run(store, queries.trend(store.ibis, by="basin", from_year=2015, to_year=2020)).set_index("group")
    assert got.loc["UP", "r_s_I_III"] == pytest.approx(1.0)
    assert got.loc["UP", "critical_value"] == pytest.approx(0.829)
    assert got.loc["UP", "verdict_zh"] == "显著好转"
    assert got.loc["DOWN", "verdict_zh"] == "显著变差" and got.loc["DOWN", "deterioration"]
    assert got.loc["FLAT", "verdict_zh"] == "无显著变化"
    assert got.loc["FLAT", "r_s_I_III"] is None  # a constant series has no rank correlation


def test_too_few_years(store):
    put_sections(store, [{"code": "a", "basin": "B", "kind": "river"}])
    put_samples(store, [("a", dt.datetime(y, 6, 1), "NH3-N", GOOD) for y in (2019, 2020, 2021)])
    got = run(store, queries.trend(store.ibis, by="basin", from_year=2019, to_year=2021)).iloc[0]
    assert got["verdict_en"] == "too few periods"
    assert got["critical_value"] is None


def test_item_trend_flags_rising_concentrations(store):
    put_sections(store, [{"code": "a", "kind": "river"}])
    rows = []
    for k, y in enumerate(range(2016, 2021)):  # 5 years: critical value 0.900
        rows.append(("a", dt.datetime(y, 6, 1), "NH3-N", 0.5 + 0.1 * k))  # rising
        rows.append(("a", dt.datetime(y, 6, 1), "DO", 8.0 - 0.2 * k))  # falling DO: worse
        rows.append(("a", dt.datetime(y, 6, 1), "TP", [0.1, 0.12, 0.09, 0.11, 0.1][k]))
    put_samples(store, rows)
    got = run(store, queries.trend(store.ibis, by="section", from_year=2016, to_year=2020)).set_index("item")
    assert got.loc["NH3-N", "deterioration"] and got.loc["NH3-N", "r_s"] == pytest.approx(1.0)
    assert got.loc["DO", "deterioration"] and got.loc["DO", "trend"] == "significant fall"
    assert not got.loc["TP", "deterioration"]
