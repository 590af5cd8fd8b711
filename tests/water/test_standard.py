"""The water table files: every figure has a source and a certainty; Spearman critical values check out."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import pytest

from ecoplan.standards import load
from ecoplan.water import standard as sd

CERTAINTIES = {"text", "data", "secondary", "choice"}


@pytest.mark.parametrize("name", ["gb3838_2002", "water_assessment_2011", "tli_2001"])
def test_table_files_name_their_source_and_certainty(name):
    raw = load(name)
    meta = raw["meta"]
    assert meta["source"] and meta["standard"] and meta["edition"]
    assert meta["certainty"] in CERTAINTIES

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k.endswith("certainty"):
                    assert v in CERTAINTIES, (name, k, v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(raw)


def test_gb3838_table_1_as_transcribed():
    """Spot checks against STANDARDS.md (GB 3838-2002 Table 1, two transcriptions agree)."""
    items = sd.gb3838_items()
    assert items["DO"].limits == (7.5, 6, 5, 3, 2) and items["DO"].direction == "lower"
    assert items["TP"].limits == (0.02, 0.1, 0.2, 0.3, 0.4)
    assert items["TP"].lake_limits == (0.01, 0.025, 0.05, 0.1, 0.2)
    assert items["Hg"].limits == (0.00005, 0.00005, 0.0001, 0.001, 0.001)
    assert items["fecal_coliform"].unit == "count/L"
    assert items["pH"].range == (6, 9)
    for code, it in items.items():
        if it.limits:
            lims = it.limits
            ordered = all(a <= b for a, b in itertools.pairwise(lims))
            reverse = all(a >= b for a, b in itertools.pairwise(lims))
            assert ordered if it.direction == "upper" else reverse, code
    assert sd.class_names() == {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}


def exact_critical_values(n: int) -> dict[float, float | None]:
    """One-sided critical r_s at 0.05 and 0.01 from the exact null distribution (all n! rankings)."""
    dp: dict[int, dict[int, int]] = {0: {0: 1}}
    for i in range(n):
        nxt: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for mask, sums in dp.items():
            for j in range(n):
                if mask >> j & 1:
                    continue
                d = (i - j) ** 2
                tgt = nxt[mask | (1 << j)]
                for s, c in sums.items():
                    tgt[s + d] += c
        dp = nxt
    dist = next(iter(dp.values()))
    total = math.factorial(n)
    out: dict[float, float | None] = {}
    for alpha in (0.05, 0.01):
        cum, best = 0, None
        for s in sorted(dist):
            cum += dist[s]
            if cum / total > alpha:
                break
            best = 1 - 6 * s / (n**3 - n)
        out[alpha] = best
    return out


def test_spearman_table_small_n_is_exact():
    rows = sd.method()["trend"]["critical_values"]
    for row in rows:
        if row["n"] > 10:
            continue
        exact = exact_critical_values(row["n"])
        assert row["a05"] == pytest.approx(exact[0.05], abs=1e-3), row
        if "a01" in row:
            assert row["a01"] == pytest.approx(exact[0.01], abs=1e-3), row
        else:
            assert exact[0.01] is None, row


def test_spearman_table_large_n_is_the_normal_approximation():
    trend = sd.method()["trend"]
    for row in trend["critical_values"]:
        if row["n"] < 14:
            continue
        for key in ("a05", "a01"):
            approx = trend["z"][key] / math.sqrt(row["n"] - 1)
            assert row[key] == pytest.approx(approx, abs=1e-3), (row, key)


def test_critical_value_lookup():
    assert sd.critical_value(3) is None
    assert sd.critical_value(6) == pytest.approx(0.829)
    assert sd.critical_value(12) == pytest.approx(0.564)  # no row for 11-13: the n = 10 row (stricter)
    assert sd.critical_value(40) == pytest.approx(1.645 / math.sqrt(39))
    assert sd.critical_value(8, 0.01) == pytest.approx(0.833)


def test_levels_cover_every_class_once():
    covered = sorted(c for lv in sd.levels() for c in lv.classes)
    assert covered == [1, 2, 3, 4, 5, 6]
    assert [lv.label_zh for lv in sd.levels()] == ["优", "良好", "轻度污染", "中度污染", "重度污染"]
