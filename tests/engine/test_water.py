"""Water on both engines: GB 3838 section classes and group attainment (the 2011 method).

Inputs: the national automatic water-quality stations' snapshots of Shanxi
and Jiangsu (``../shared/reference/water``, 96 sections, one reading each,
with the officially published class). Expected values: each engine equals
the other exactly (classes, levels, counts, item lists; shares within 1e-9)
and both equal a plain pandas reference written here from the method's
rules, using the single-value classifier of ``tests/water/test_classification.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ecoplan.water import queries
from ecoplan.water import standard as sd

from ..water.test_classification import reference_class
from .compare import assert_engines_equal, assert_same_values

pytestmark = pytest.mark.spark

CLASS_EXACT = [
    "year",
    "class",
    "class_n",
    "level_zh",
    "level_en",
    "deciding_items",
    "main_pollutants",
    "class_with_tn",
    "tn_class",
    "n_items",
    "n_samples",
    "ph_out_of_range",
    "published_class",
    "published_status",
    "matches_published",
]


def both(duck, spark, build) -> tuple:
    return tuple(queries.execute(b.ibis, build(b.ibis)) for b in (duck, spark))


@pytest.fixture(scope="module")
def water(exchange, duck):
    exchange.need("water")
    con = duck.store.con
    samples = con.execute(
        "SELECT section, time, item, value, below_dl, detection_limit FROM water_samples"
    ).df()
    sections = con.execute("SELECT code, basin, kind FROM sections").df()
    return samples, sections


def item_classes(samples: pd.DataFrame, sections: pd.DataFrame) -> pd.DataFrame:
    """Per section and sample: the effective value and class of every assessed item."""
    frac = float(sd.method()["below_detection"]["fraction"])
    items = sd.gb3838_items()
    s = samples[samples["item"].isin(sd.assessed_items())].merge(sections, left_on="section", right_on="code")
    below = s["below_dl"].fillna(False).astype(bool)
    s["v"] = s["value"].where(~below, s["detection_limit"] * frac)
    s = s[s["v"].notna()].copy()
    s["body"] = ["lake" if k in sd.LAKE_KINDS else "river" for k in s["kind"]]
    s["cls"] = [reference_class(v, items[i], b) for v, i, b in zip(s["v"], s["item"], s["body"], strict=True)]
    s["number"] = [items[i].number for i in s["item"]]
    return s


def reference_sample_classes(samples: pd.DataFrame, sections: pd.DataFrame) -> pd.DataFrame:
    """Single factor: the worst assessed item; deciding items in GB 3838 Table 1 order."""
    s = item_classes(samples, sections)
    rows = []
    for (sec, time), g in s.groupby(["section", "time"]):
        worst = int(g["cls"].max())
        deciding = ", ".join(g.loc[g["cls"] == worst].sort_values("number")["item"])
        rows.append({"section": sec, "time": time, "class_n": worst, "deciding_items": deciding})
    return pd.DataFrame(rows)


def test_sample_classes_equal_on_both_engines_and_to_the_reference(duck, spark, water) -> None:
    d, s = both(duck, spark, lambda b: queries.classify(b, period="sample"))
    got = assert_engines_equal(d, s, ["section", "period_start"], exact=CLASS_EXACT)
    assert len(got) >= 90

    want = reference_sample_classes(*water).rename(columns={"time": "period_start"})
    for engine, table in (("duckdb", d), ("spark", s)):
        f = table.to_pandas().merge(want, on=["section", "period_start"], suffixes=("", "_ref"))
        assert len(f) == len(want) == table.num_rows, engine
        assert (f["class_n"].astype(int) == f["class_n_ref"]).all(), engine
        assert (f["deciding_items"] == f["deciding_items_ref"]).all(), engine
    # the published class agrees as in tests/water/test_auto_snapshot.py, on both engines alike
    pub = got[got["published_class"].notna()]
    assert pub["matches_published"].mean() >= 0.97


# sections kept for the attainment test: every basin whole, except 长江流域 cut to three river
# sections and 太湖流域 to four lake stations, so that both of the method's routes run
# (class shares with 5 or more sections, item means with fewer, lake limits for an all-lake group)
def chosen_sections(sections: pd.DataFrame) -> list[str]:
    keep = []
    for basin, g in sections.sort_values("code").groupby("basin"):
        if basin == "长江流域":
            keep += list(g["code"][:3])
        elif basin == "太湖流域":
            keep += list(g.loc[g["kind"].isin(sd.LAKE_KINDS), "code"][:4])
        else:
            keep += list(g["code"])
    return keep


def share_level(n: int, good: int, worst: int) -> int:
    """The method's level (1 优 .. 5 重度污染) from class counts (integers, as the method's percentages)."""
    g = sd.method()["group"]
    good_pct, worst_pct = 100 * good, 100 * worst
    if good_pct >= g["excellent_min_good_share"] * n:
        return 1
    if good_pct >= g["good_min_good_share"] * n:
        return 2
    if good_pct < g["heavy_max_good_share"] * n and worst_pct >= g["moderate_max_worst_share"] * n:
        return 5
    if worst_pct >= g["light_max_worst_share"] * n:
        return 4
    return 3


def reference_attainment(samples: pd.DataFrame, sections: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    items = sd.gb3838_items()
    sec = sections[sections["code"].isin(codes)]
    c = item_classes(samples[samples["section"].isin(codes)], sec)
    per_section = c.groupby("section")["cls"].max()
    rows = []
    for basin, g in sec.groupby("basin"):
        classes = per_section.reindex(g["code"]).dropna().astype(int)
        n = len(classes)
        good, worst = int((classes <= 3).sum()), int((classes == 6).sum())
        if n >= sd.method()["group"]["min_sections"]:
            level = share_level(n, good, worst)
        else:
            body = "lake" if g["kind"].isin(sd.LAKE_KINDS).all() else "river"
            means = c[c["section"].isin(g["code"])].groupby("item")["v"].mean()
            worst_item = max(reference_class(m, items[i], body) for i, m in means.items())
            level = sd.level_of_class(worst_item).level
        rows.append(
            {
                "group": basin,
                "n_sections": n,
                "n_I_III": good,
                "n_worse_than_V": worst,
                "share_I_III": 100.0 * good / n,
                "level": level,
            }
        )
    return pd.DataFrame(rows)


def test_attainment_equal_on_both_engines_and_to_the_reference(duck, spark, water) -> None:
    samples, sections = water
    codes = chosen_sections(sections)
    d, s = both(duck, spark, lambda b: queries.attainment(b, by="basin", year=2021, sections=codes))
    exact = [c for c in d.column_names if not c.startswith("share_")]
    got = assert_engines_equal(d, s, ["group", "period_start"], exact=exact)
    assert set(got["method"]) == {"shares", "item means"}

    want = reference_attainment(samples, sections, codes)
    for engine, table in (("duckdb", d), ("spark", s)):
        f = table.to_pandas().merge(want, on="group", suffixes=("", "_ref"))
        assert len(f) == len(want) == table.num_rows == 5, engine
        for col in ("n_sections", "n_I_III", "n_worse_than_V", "level"):
            assert (f[col].astype(int) == f[f"{col}_ref"].astype(int)).all(), f"{engine} {col}"
        assert_same_values(f["share_I_III"], f["share_I_III_ref"], exact=False, name=f"{engine} share_I_III")
