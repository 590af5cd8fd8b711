"""Below-detection values: half the detection limit in means (环办监测函〔2020〕82号, secondary), never worse than the limit's class."""

from __future__ import annotations

import datetime as dt

import pytest

from ecoplan.water import queries
from ecoplan.water import standard as sd

from .util import put_samples, put_sections, run

T = dt.datetime(2021, 4, 1, 9, 0)


@pytest.fixture
def river(store):
    put_sections(store, [{"code": "R", "kind": "river"}])
    return store


def test_half_the_limit_enters_the_mean(river):
    assert sd.method()["below_detection"]["fraction"] == 0.5
    put_samples(
        river,
        [
            ("R", "2021-04-01 09:00", "NH3-N", 0.9),
            ("R", "2021-04-15 09:00", "NH3-N", None, True, 0.2),  # 0.2L -> 0.1
        ],
    )
    items = run(river, queries.items(river.ibis, period="month"))
    r = items.iloc[0]
    assert r["mean"] == pytest.approx((0.9 + 0.1) / 2)
    assert (r["n"], r["n_below_dl"]) == (2, 1)
    assert r["item_class"] == "II"  # 0.5 sits on the class II limit


def test_a_below_detection_sample_alone(river):
    # Hg 0.0001L: half is 0.00005 (class I); the limit itself would be class III
    put_samples(river, [("R", T, "Hg", None, True, 0.0001)])
    r = run(river, queries.items(river.ibis, period="sample")).iloc[0]
    assert r["item_class"] == "I"


def test_never_worse_than_the_limits_class(river):
    # DO is a lower bound: half of a DO limit of 3.0 (1.5) would be 劣V, the limit itself is IV
    put_samples(river, [("R", T, "DO", None, True, 3.0)])
    r = run(river, queries.items(river.ibis, period="sample")).iloc[0]
    assert r["item_class"] == "IV"


@pytest.mark.parametrize("dl", [0.004, 0.01, 0.05, 0.1, 0.3, 0.5])
def test_upper_items_below_detection_are_at_most_the_limits_class(river, dl):
    put_samples(river, [("R", T, "volatile_phenol", None, True, dl), ("R", T, "petroleum", 0.02)])
    got = run(river, queries.items(river.ibis, period="sample")).set_index("item")
    limits = sd.gb3838_items()["volatile_phenol"].limits
    dl_class = next((k for k, lim in enumerate(limits, start=1) if dl <= lim), 6)
    assert got.loc["volatile_phenol", "cls"] <= dl_class
    assert got.loc["volatile_phenol", "mean"] == pytest.approx(dl / 2)


def test_section_class_with_below_detection_items(river):
    put_samples(
        river,
        [
            ("R", T, "NH3-N", 0.3),  # II
            ("R", T, "Cd", None, True, 0.001),  # half 0.0005 -> I
            ("R", T, "cyanide", None, True, 0.004),  # half 0.002 -> I
        ],
    )
    r = run(river, queries.classify(river.ibis, period="sample")).iloc[0]
    assert r["class"] == "II"
    assert r["deciding_items"] == "NH3-N"
