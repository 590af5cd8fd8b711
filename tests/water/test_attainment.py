"""Groups of sections: class shares and the 2011 method's labels at the 5-section and percentage boundaries.

Expected labels follow the method's rules as given in STANDARDS.md
(secondary): 优 I-III >= 90%; 良好 75-90%; 轻度污染 I-III < 75% and 劣V < 20%;
中度污染 I-III < 75% and 20% <= 劣V < 40%; 重度污染 I-III < 60% (or 75%) and
劣V >= 40%; fewer than 5 sections: mean of each item, then single factor.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ecoplan.water import queries

from .util import put_samples, put_sections, run

# NH3-N values of each class (GB 3838 Table 1: 0.15 0.5 1.0 1.5 2.0)
NH3N = {"I": 0.1, "II": 0.3, "III": 0.8, "IV": 1.2, "V": 1.8, "劣V": 2.5}
T = dt.datetime(2021, 6, 1, 10, 0)

# basin -> classes of its sections, expected label (default reading), label with the 75% reading
GROUPS = {
    "B90": (["II"] * 9 + ["IV"], "优", "优"),
    "B89": (["II"] * 8 + ["IV"], "良好", "良好"),  # 88.9%
    "B75": (["III"] * 6 + ["IV"] * 2, "良好", "良好"),  # 75% exactly
    "B70": (["III"] * 7 + ["IV"] * 2 + ["劣V"], "轻度污染", "轻度污染"),  # 劣V 10%
    "B20": (["III"] * 7 + ["IV"] + ["劣V"] * 2, "中度污染", "中度污染"),  # 劣V 20% exactly
    "B40": (["III"] * 5 + ["V"] + ["劣V"] * 4, "重度污染", "重度污染"),  # I-III 50%, 劣V 40%
    "B6040": (["II"] * 3 + ["劣V"] * 2, "中度污染", "重度污染"),  # 60% / 40%: the disputed case
    "B5": (["IV"] * 4 + ["I"], "轻度污染", "轻度污染"),  # 5 sections: shares (I-III 20%)
    "B4": (["IV"] * 3 + ["I"], "良好", "良好"),  # 4 sections: mean 0.925 -> III
}


@pytest.fixture
def groups(store):
    sections, samples = [], []
    for basin, (classes, _a, _b) in GROUPS.items():
        for i, c in enumerate(classes):
            code = f"{basin}-{i}"
            sections.append(
                {
                    "code": code,
                    "basin": basin,
                    "kind": "river",
                    "control_level": "national" if i % 2 else "provincial",
                }
            )
            samples.append((code, T, "NH3-N", NH3N[c]))
    put_sections(store, sections)
    put_samples(store, samples)
    return store


def test_labels_at_the_boundaries(groups):
    got = run(groups, queries.attainment(groups.ibis, by="basin", year=2021)).set_index("group")
    for basin, (classes, label, _) in GROUPS.items():
        row = got.loc[basin]
        assert row["n_sections"] == len(classes), basin
        assert row["level_zh"] == label, basin
        assert row["method"] == ("item means" if len(classes) < 5 else "shares"), basin


def test_the_75_percent_reading_of_heavy_pollution(groups):
    got = run(groups, queries.attainment(groups.ibis, by="basin", year=2021, heavy_max_good_share=75))
    got = got.set_index("group")
    for basin, (_c, _a, label75) in GROUPS.items():
        assert got.loc[basin, "level_zh"] == label75, basin
    with pytest.raises(ValueError, match="heavy_max_good_share"):
        queries.attainment(groups.ibis, by="basin", heavy_max_good_share=70)


def test_counts_and_shares(groups):
    got = run(groups, queries.attainment(groups.ibis, by="basin", year=2021)).set_index("group")
    b20 = got.loc["B20"]
    assert (b20["n_I_III"], b20["n_IV"], b20["n_V"], b20["n_worse_than_V"]) == (7, 1, 0, 2)
    assert (b20["share_I_III"], b20["share_IV"], b20["share_worse_than_V"]) == (70.0, 10.0, 20.0)
    assert b20["main_pollutants"] == "NH3-N(30.0%)"  # 3 of 10 sections worse than class III
    b4 = got.loc["B4"]
    assert b4["mean_class"] == "III"
    assert b4["main_pollutants"] is None  # the mean is not worse than III
    assert b4["level_en"] == "good"


def test_group_by_control_level_and_all(groups):
    ctl = run(groups, queries.attainment(groups.ibis, by="control", year=2021)).set_index("group")
    total = sum(len(c) for c, _a, _b in GROUPS.values())
    assert ctl["n_sections"].sum() == total
    assert set(ctl.index) == {"national", "provincial"}
    everything = run(groups, queries.attainment(groups.ibis, by="all", year=2021))
    assert everything["n_sections"].tolist() == [total]
    only_national = run(groups, queries.attainment(groups.ibis, by="basin", year=2021, control=["national"]))
    assert only_national["n_sections"].sum() == ctl.loc["national", "n_sections"]


def test_few_sections_use_item_means_with_main_pollutants(store):
    put_sections(store, [{"code": c, "river": "R", "kind": "river"} for c in ("a", "b", "c")])
    put_samples(
        store,
        [
            ("a", T, "NH3-N", 2.4),
            ("b", T, "NH3-N", 2.4),
            ("c", T, "NH3-N", 0.3),  # mean 1.7 -> V, multiple 0.7
            ("a", T, "TP", 0.1),
            ("b", T, "TP", 0.1),
            ("c", T, "TP", 0.1),
        ],
    )
    r = run(store, queries.attainment(store.ibis, by="river", year=2021)).iloc[0]
    assert (r["method"], r["mean_class"], r["level_zh"]) == ("item means", "V", "中度污染")
    assert r["main_pollutants"] == "NH3-N(0.7)"
