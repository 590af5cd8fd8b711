"""The generated daily flows: gauges at demo sections, a record from 2010, dry years below the plan's thresholds."""

from __future__ import annotations

import datetime as dt

from ecoplan.demo import flow as demo_flow
from ecoplan.demo import water as demo_water
from ecoplan.demo.run import ecoflow_by_river
from ecoplan.flow import queries as fq
from ecoplan.plan import load_plan

PLAN = load_plan("shanxi-2021-2025")


def test_gauges_on_the_seven_rivers_at_sections():
    """Every river of the plan's eco-flow target (“七河”干流) has a gauge, each at a demo section."""
    codes = {s.code for s in demo_water.sections()}
    rows = demo_flow.gauge_rows()
    assert {r.river for r in rows} == set(PLAN.group("seven-rivers").members)
    assert all(r.section in codes for r in rows)
    assert len({r.code for r in rows}) == len(rows)


def test_record_from_2010_with_gaps(demo_2020, demo_store):
    """Daily flows from 2010 (the multi-year mean's reference) to the end; a few days missing."""
    first, last, n, gauges = demo_store.con.execute(
        "SELECT min(date), max(date), count(*), count(DISTINCT gauge) FROM flows"
    ).fetchone()
    assert first == dt.date(2010, 1, 1) and last == demo_2020.end
    days = (last - first).days + 1
    assert gauges == len(demo_flow.GAUGES)
    missing = days * gauges - n
    assert 0 < missing < 0.01 * days * gauges  # gaps, but few


def test_flood_season_carries_the_peaks(demo_store):
    """The largest flow of most gauge-years falls in June-September (or in the autumn flood of 2021)."""
    rows = demo_store.con.execute(
        """SELECT gauge, year(date) AS y, arg_max(month(date), discharge) AS m
           FROM flows GROUP BY ALL"""
    ).fetchall()
    in_season = sum(6 <= m <= 10 for _, _, m in rows)
    assert in_season >= 0.9 * len(rows)


def test_some_rivers_fall_below_the_thresholds(demo_store):
    """Over the record, some rivers miss the daily thresholds in some years and others do not."""
    b = demo_store.ibis
    t = fq.compliance(b, year=list(range(2010, 2021)))
    t = t.filter(t.period == "year")
    per_river = (
        t.group_by("river")
        .aggregate(worst=t.compliance_rate.min(), mean=t.compliance_rate.mean())
        .to_pyarrow()
    )
    worst = dict(zip(per_river["river"].to_pylist(), per_river["worst"].to_pylist(), strict=True))
    assert min(worst.values()) < 0.9
    assert len(worst) == 7
    by_river = ecoflow_by_river(demo_store, 2020).to_pylist()
    assert len(by_river) == 7
    assert all(r["gauges"] >= 1 for r in by_river)


def test_deterministic_and_cut_stable():
    """A year's flows do not depend on where the record ends; the same seed gives the same values."""
    wet = demo_flow._wetness(3, range(2010, 2013))
    a, s1 = demo_flow.year_flows(0, 2011, wet[("汾河", 2011)], 0.1, seed=3)
    b, s2 = demo_flow.year_flows(0, 2011, wet[("汾河", 2011)], 0.1, seed=3)
    assert s1 == s2
    assert ((a == b) | (a != a)).all()
    wet2 = demo_flow._wetness(3, range(2010, 2026))
    assert wet2[("汾河", 2011)] == wet[("汾河", 2011)]
