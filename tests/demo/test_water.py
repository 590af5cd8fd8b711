"""The generated water data: sections as the plan counts them, classes by construction, readable files."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from ecoplan.demo import water as demo_water
from ecoplan.demo.run import water_attainment
from ecoplan.plan import load_plan
from ecoplan.water.standard import gb3838_items

PLAN = load_plan("shanxi-2021-2025")


def _basin_counts() -> Counter:
    return Counter(s.basin for s in demo_water.sections())


def test_basin_section_counts_follow_the_plans_shares():
    """Each basin's section count is the one its target implies: count / share (plan, water chapter).

    E.g. "到2025年,汾河流域达到或优于Ⅲ类水质断面达到10个(占比47.6%)" gives 10 / 0.476 = 21
    sections; the Daqing basin's "2个国控断面均达到" gives 2.
    """
    counts = _basin_counts()
    targets = [t for t in PLAN.targets if t.scope.startswith("basin:") and t.indicator.startswith("water.")]
    by_basin: dict[str, dict[str, float]] = {}
    for t in targets:
        by_basin.setdefault(t.scope.removeprefix("basin:"), {})[t.indicator] = t.value
    checked = 0
    for basin, values in by_basin.items():
        n = values.get("water.class_i_iii_count")
        share = values.get("water.class_i_iii_share")
        if n is None:
            continue
        implied = round(n / (share / 100)) if share else int(n)
        assert counts[basin] == implied, basin
        checked += 1
    assert checked == 6  # 汾河 桑干河 滹沱河 漳河 沁河 大清河


def test_national_sections_and_their_2020_share(demo_store):
    """58 national sections, 70.7 % of them in class I-III in 2020 and none worse than V.

    Plan text: "截至2020年年底,全省58个地表水国考断面全面消除劣V类水体,优良水质(达到或优于Ⅲ类)
    断面占比上升至70.7%" (baseline of target water-good-share-2025).
    """
    secs = demo_water.sections()
    assert sum(s.control == "N" for s in secs) == 58
    baseline = PLAN.target("water-good-share-2025").baseline
    rows = {r["group"]: r for r in water_attainment(demo_store, 2020, by="control").to_pylist()}
    national = rows["national"]
    assert national["n_sections"] == 58
    assert round(national["share_I_III"], 1) == baseline.value
    assert national["n_worse_than_V"] == 0


def test_lakes_of_the_plan_have_sections():
    """Every lake of the plan's lake groups (五湖, 一湖四滩) is the water body of a lake section."""
    bodies = {s.river for s in demo_water.sections() if s.kind in ("lake", "reservoir")}
    for group in ("five-lakes", "yanhu-four-flats"):
        assert set(PLAN.group(group).members) <= bodies


def test_sections_lie_in_shanxi_and_have_distinct_codes():
    secs = demo_water.sections()
    assert len({s.code for s in secs}) == len(secs)
    lat = np.array([s.lat for s in secs])
    lon = np.array([s.lon for s in secs])
    # Shanxi spans about 34.6-40.7 N and 110.2-114.6 E
    assert lat.min() > 34.5 and lat.max() < 40.8
    assert lon.min() > 110.2 and lon.max() < 114.6


def test_basin_classes_by_construction(demo_store):
    """The engine's 2020 counts per basin equal the generator's table (rivers) plus the lake classes."""
    rows = {r["group"]: r for r in water_attainment(demo_store, 2020).to_pylist()}
    for basin, (good, worst) in demo_water.BASIN_YEARS.items():
        lakes = [x for x in demo_water.LAKES if x.basin == basin]
        lake_good = sum(x.q[0] <= 3 for x in lakes)
        lake_worst = sum(x.q[0] > 5 for x in lakes)
        assert rows[basin]["n_I_III"] == good[0] + lake_good, basin
        assert rows[basin]["n_worse_than_V"] == worst[0] + lake_worst, basin


@pytest.mark.parametrize("item", ["COD", "NH3-N", "TP", "fluoride", "BOD5", "CODMn"])
@pytest.mark.parametrize("body", ["river", "lake"])
def test_concentration_lands_in_the_class_of_its_score(item, body):
    """Score k-0.85 .. k-0.15 gives a value of class k (GB 3838 Table 1, from the standard's file),
    except where two classes share one limit (the lower class then)."""
    it = gb3838_items()[item]
    lim = it.limits_for(body)
    for k in range(1, 7):
        for q in (k - 0.85, k - 0.5, k - 0.15):
            c = float(demo_water.concentration(item, q, body))
            cls = 1 + sum(c > x for x in lim)
            assert cls <= k
            if k == 1 or k == 6 or lim[k - 2] != lim[min(k - 1, 4)]:
                assert cls == k, (item, body, q, c)


def test_a_year_cut_short_keeps_its_sample_times():
    """The sample times of the first months do not change when the year is generated to its end."""
    half = demo_water.year_samples(2021, dt.date(2021, 6, 30), seed=5)
    full = demo_water.year_samples(2021, dt.date(2021, 12, 31), seed=5)
    for i in range(len(demo_water.sections())):
        for j in range(6):
            assert half.times[i][j] == full.times[i][j]
        assert all(t is None for t in half.times[i][6:])


def test_a_year_cut_short_keeps_its_intended_means():
    """Over the samples taken, a key item's mean is the section's intended mean (to the rounding)."""
    ys = demo_water.year_samples(2021, dt.date(2021, 5, 31), seed=5)
    values = [
        float(c)
        for c in (ys.cells["NH3-N"][0][j] for j in range(12))
        if c is not None and not c.endswith("L")
    ]
    assert 2 <= len(values) <= 5
    secs = demo_water.sections()
    assert secs[0].lake is None
    full = demo_water.year_samples(2021, dt.date(2021, 12, 31), seed=5)
    values_full = [float(c) for c in full.cells["NH3-N"][0] if c is not None and not c.endswith("L")]
    # both means stand for the same intended annual mean
    assert abs(np.mean(values) / np.mean(values_full) - 1) < 0.02


def test_trace_items_written_below_detection():
    """Below-detection results are written as the limit followed by L (e.g. 0.00004L for mercury)."""
    ys = demo_water.year_samples(2022, dt.date(2022, 12, 31), seed=1)
    hg = [c for row in ys.cells["Hg"] for c in row if c is not None]
    assert hg and all(c.endswith("L") or float(c) > 0 for c in hg)
    assert sum(c.endswith("L") for c in hg) > len(hg) / 2


def test_lake_trophic_states(demo_store):
    """The five lakes range from mesotrophic to light eutrophic (TLI 30-60) in 2020 except 伍姓湖,
    which starts from heavy pollution (plan: "由严重污染改善到轻度污染")."""
    from ecoplan.water import queries as wq

    b = demo_store.ibis
    rows = {r["lake"]: r for r in wq.execute(b, wq.trophic(b, by="lake", year=2020)).to_pylist()}
    for lake in PLAN.group("five-lakes").members:
        if lake != "伍姓湖":
            assert 30 <= rows[lake]["tli"] <= 60, lake
    assert {rows[x]["trophic_en"] for x in PLAN.group("five-lakes").members} >= {
        "mesotrophic",
        "light eutrophic",
    }


def test_automatic_readings(demo_2020, demo_store):
    """Automatic stations: readings every four hours in the last days of the last year, kind auto,
    with the published class (and 维护 for maintenance) in water_published."""
    start, end = demo_water.auto_period(demo_2020.end)
    con = demo_store.con
    lo, hi, n_st = con.execute(
        "SELECT min(time), max(time), count(DISTINCT section) FROM water_samples WHERE sample_kind = 'auto'"
    ).fetchone()
    assert lo == dt.datetime.combine(start, dt.time(0)) and hi == dt.datetime.combine(end, dt.time(20))
    assert n_st == len(demo_water.AUTO_STATIONS)
    hours = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT hour(time) FROM water_samples WHERE sample_kind = 'auto'"
        ).fetchall()
    }
    assert hours == {0, 4, 8, 12, 16, 20}
    statuses = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT status FROM water_published WHERE status IS NOT NULL"
        ).fetchall()
    }
    assert "维护" in statuses
