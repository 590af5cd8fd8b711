"""GB 3838-2002 item, sample, period and section classes (the 2011 method).

Expected classes come from GB 3838-2002 Table 1 as transcribed in
STANDARDS.md (two secondary transcriptions agree) and from a plain-Python
reference of the single-factor rule below, applied to every limit of the
table file: a value on a limit meets that class, a value just above an
upper limit (just below the DO limit) falls to the next class whose limit
it meets, beyond class V is 劣V.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ecoplan.water import classification as wc
from ecoplan.water import queries
from ecoplan.water import standard as sd

from .util import put_samples, put_sections, run

T0 = dt.datetime(2021, 3, 1, 10, 0)


def reference_class(value: float, it: sd.ItemLimits, body: str) -> int:
    """Single-factor class of one value, written independently of the engine code."""
    if it.direction == "range":
        lo, hi = it.range
        return 1 if lo <= value <= hi else 6
    limits = it.limits_for(body)
    for k, lim in enumerate(limits, start=1):
        if (it.direction == "upper" and value <= lim) or (it.direction == "lower" and value >= lim):
            return k
    return 6


def boundary_cases() -> list[tuple[str, str, float, str]]:
    """(item, body, value, label) on every limit and just beyond it, for every classified item."""
    cases = []
    for code, it in sd.gb3838_items().items():
        if it.direction == "none":
            continue
        bodies = ("river", "lake") if it.lake_limits else ("river",)
        for body in bodies:
            if it.direction == "range":
                lo, hi = it.range
                for v, lab in ((lo, "lo"), (hi, "hi"), (lo - 0.01, "below"), (hi + 0.01, "above")):
                    cases.append((code, body, v, lab))
                continue
            for k, lim in enumerate(it.limits_for(body), start=1):
                beyond = lim * 1.001 if it.direction == "upper" else lim * 0.999
                cases.append((code, body, lim, f"on{k}"))
                cases.append((code, body, beyond, f"beyond{k}"))
    return cases


@pytest.fixture
def boundary_store(store):
    cases = boundary_cases()
    sections, samples = [], []
    for i, (item, body, value, _lab) in enumerate(cases):
        code = f"B{i:04d}"
        sections.append({"code": code, "kind": "lake" if body == "lake" else "river"})
        samples.append((code, T0, item, value))
    put_sections(store, sections)
    put_samples(store, samples)
    return store, cases


def test_every_limit_and_just_beyond(boundary_store):
    store, cases = boundary_store
    got = run(store, queries.items(store.ibis, period="sample"))
    by_section = dict(zip(got["section"], got["cls"], strict=True))
    items = sd.gb3838_items()
    wrong = []
    for i, (item, body, value, lab) in enumerate(cases):
        expected = reference_class(value, items[item], body)
        if by_section[f"B{i:04d}"] != expected:
            wrong.append((item, body, lab, value, by_section[f"B{i:04d}"], expected))
    assert not wrong, wrong
    assert len(cases) > 200  # 22 upper items x 5 classes x 2, TP twice, DO, pH


@pytest.mark.parametrize(
    ("item", "kind", "value", "expected"),
    [
        # GB 3838-2002 Table 1 (STANDARDS.md transcription)
        ("NH3-N", "river", 1.0, "III"),
        ("NH3-N", "river", 1.01, "IV"),
        ("NH3-N", "river", 2.0, "V"),
        ("NH3-N", "river", 2.01, "劣V"),
        ("DO", "river", 7.5, "I"),
        ("DO", "river", 7.49, "II"),
        ("DO", "river", 5.0, "III"),
        ("DO", "river", 4.99, "IV"),
        ("DO", "river", 1.99, "劣V"),
        ("pH", "river", 6.0, "I"),
        ("pH", "river", 5.99, "劣V"),
        ("pH", "river", 9.0, "I"),
        ("pH", "river", 9.01, "劣V"),
        ("TP", "river", 0.05, "II"),
        ("TP", "lake", 0.05, "III"),
        ("TP", "reservoir", 0.025, "II"),
        ("TP", "reservoir", 0.026, "III"),
        ("TP", "river", 0.2, "III"),
        ("TP", "lake", 0.2, "V"),
        ("TP", "lake", 0.21, "劣V"),
        ("COD", "river", 15, "I"),
        ("COD", "river", 16, "III"),
        ("Hg", "river", 0.0001, "III"),
        ("fecal_coliform", "river", 10000, "III"),
    ],
)
def test_table_examples(store, item, kind, value, expected):
    put_sections(store, [{"code": "S", "kind": kind}])
    put_samples(store, [("S", T0, item, value)])
    got = run(store, queries.items(store.ibis, period="sample"))
    assert got["item_class"].tolist() == [expected]


def test_section_class_worst_item_decides(store):
    put_sections(store, [{"code": "R", "kind": "river"}])
    put_samples(
        store,
        [
            ("R", T0, "DO", 8.0),  # I
            ("R", T0, "CODMn", 5.0),  # III
            ("R", T0, "NH3-N", 1.2),  # IV
            ("R", T0, "TP", 0.25),  # IV
            ("R", T0, "TN", 5.0),  # not assessed at rivers
            ("R", T0, "fecal_coliform", 50000),  # reference item, not assessed
            ("R", T0, "water_temperature", 30.0),
        ],
    )
    r = run(store, queries.classify(store.ibis, period="sample")).iloc[0]
    assert (r["class"], r["class_n"]) == ("IV", 4)
    assert r["deciding_items"] == "NH3-N, TP"
    assert r["level_zh"] == "轻度污染"
    # multiples against class III: NH3-N (1.2-1.0)/1.0 = 0.2, TP (0.25-0.2)/0.2 = 0.25
    assert r["main_pollutants"] == "TP(0.25), NH3-N(0.2)"
    assert r["class_with_tn"] is None and r["tn_class"] is None
    assert r["n_items"] == 4


def test_lake_class_with_and_without_tn(store):
    put_sections(store, [{"code": "L", "kind": "lake"}])
    put_samples(
        store,
        [
            ("L", T0, "CODMn", 3.0),  # II
            ("L", T0, "TP", 0.04),  # lake III (river II)
            ("L", T0, "TN", 1.6),  # V
        ],
    )
    r = run(store, queries.classify(store.ibis, period="sample")).iloc[0]
    assert r["class"] == "III"
    assert r["deciding_items"] == "TP"
    assert r["class_with_tn"] == "V"
    assert r["tn_class"] == "V"


def test_main_pollutants_heavy_metals_first_then_class_then_multiple(store):
    put_sections(store, [{"code": "R", "kind": "river"}])
    put_samples(
        store,
        [
            ("R", T0, "NH3-N", 3.0),  # 劣V, multiple 2.0
            ("R", T0, "TP", 0.5),  # 劣V, multiple 1.5
            ("R", T0, "COD", 35.0),  # V, multiple 0.75
            ("R", T0, "Cd", 0.006),  # V, heavy metal over class III: first
            ("R", T0, "DO", 2.5),  # V, no multiple
        ],
    )
    r = run(store, queries.classify(store.ibis, period="sample")).iloc[0]
    assert r["class"] == "劣V"
    assert r["main_pollutants"] == "Cd(0.2), NH3-N(2.0), TP(1.5)"
    items = run(store, queries.items(store.ibis, period="sample")).set_index("item")
    assert items.loc["NH3-N", "multiple"] == pytest.approx((3.0 - 1.0) / 1.0)
    assert items.loc["DO", "multiple"] is None  # not computed for DO


def test_period_means_then_classification(store):
    put_sections(store, [{"code": "R", "kind": "river"}])
    put_samples(
        store,
        [
            ("R", "2021-01-05 10:00", "NH3-N", 0.4),
            ("R", "2021-01-20 10:00", "NH3-N", 1.4),  # mean 0.9 -> III
            ("R", "2021-02-05 10:00", "NH3-N", 1.2),  # IV
            ("R", "2021-07-05 10:00", "NH3-N", 0.1),  # I
        ],
    )
    month = run(store, queries.classify(store.ibis, period="month"))
    assert month[["period", "class", "n_samples"]].values.tolist() == [
        ["2021-01", "III", 2],
        ["2021-02", "IV", 1],
        ["2021-07", "I", 1],
    ]
    season = run(store, queries.classify(store.ibis, period="season"))
    # Q1 mean (0.4 + 1.4 + 1.2) / 3 = 1.0: on the class III limit
    assert season[["period", "class"]].values.tolist() == [["2021-Q1", "III"], ["2021-Q3", "I"]]
    year = run(store, queries.classify(store.ibis, period="year", year=2021))
    assert year[["period", "class"]].values.tolist() == [["2021", "III"]]  # mean 0.775


def test_mean_on_a_limit_is_not_moved_by_binary_noise(store):
    put_sections(store, [{"code": "R", "kind": "river"}])
    # (0.1 + 0.1 + 0.1) / 3 is 0.10000000000000002 in binary: still on the class II limit
    put_samples(store, [("R", f"2021-05-0{d} 10:00", "TP", 0.1) for d in (1, 2, 3)])
    r = run(store, queries.classify(store.ibis, period="month")).iloc[0]
    assert r["class"] == "II"


def test_ph_rules_mean_and_worst(store):
    put_sections(store, [{"code": "R", "kind": "river"}])
    put_samples(
        store,
        [
            ("R", "2021-06-01 10:00", "pH", 8.4),
            ("R", "2021-06-10 10:00", "pH", 9.3),  # outside 6-9
            ("R", "2021-06-20 10:00", "pH", 8.2),
        ],
    )
    mean = run(store, queries.classify(store.ibis, period="month")).iloc[0]
    assert mean["class"] == "I"  # mean 8.63
    assert mean["ph_out_of_range"] == 1
    worst = run(store, queries.classify(store.ibis, period="month", ph_rule="worst")).iloc[0]
    assert worst["class"] == "劣V"


def test_unknown_kind_is_a_river(store):
    put_samples(store, [("X", T0, "TP", 0.04)])  # no section row at all
    r = run(store, queries.classify(store.ibis, period="sample")).iloc[0]
    assert r["class"] == "II"


def test_limits_table_has_every_classified_item_twice():
    lim = wc.limits_table().to_pyarrow().to_pandas()
    classified = [c for c, it in sd.gb3838_items().items() if it.direction != "none"]
    assert sorted(lim["item"].unique()) == sorted(classified)
    assert (lim.groupby("item").size() == 2).all()
    assessed = set(lim.loc[lim["assessed"], "item"])
    assert assessed == set(sd.assessed_items())
    assert len(assessed) == 21
    assert not ({"water_temperature", "TN", "fecal_coliform"} & assessed)
