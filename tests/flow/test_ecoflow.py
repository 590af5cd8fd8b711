"""Eco-flow assessment on hand-built series whose answers are counted by hand.

Every case gives a gauge two reference years of constant flow (2001: 10,
2002: 10 m3/s unless said otherwise) so that the multi-year mean is exactly
10 m3/s and the plan's thresholds are exactly 1 m3/s (non-flood, 10%) and
2 m3/s (flood, 20%); the assessed year is 2003 (365 days: non-flood 243,
flood 122).
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pyarrow as pa
import pytest
from ibis.config import Config

from ecoplan.flow import ecoflow, load_rule, queries
from ecoplan.flow.ecoflow import EcoflowRule
from ecoplan.store import Store

D = dt.date


def days(first: str, last: str) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="D")


def base_series(value_2003: float = 5.0) -> pd.Series:
    """2001-2002 at 10 m3/s, 2003 at ``value_2003``."""
    s = pd.Series(10.0, index=days("2001-01-01", "2002-12-31"))
    return pd.concat([s, pd.Series(value_2003, index=days("2003-01-01", "2003-12-31"))])


def make_store(series: dict[str, pd.Series], gauges: list[dict] | None = None) -> Store:
    store = Store(":memory:")
    frames = []
    for code, s in series.items():
        s = s.dropna()  # a missing day is not stored
        frames.append(pd.DataFrame({"gauge": code, "date": s.index.date, "discharge": s.to_numpy(float)}))
    flows = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    with store.transaction():
        store.upsert("flows", flows, ingest_id=0, source="test")
        if gauges:
            store.upsert("gauges", pa.Table.from_pylist(gauges), ingest_id=0, source="test")
    return store


def compliance(store: Store, **kw) -> pd.DataFrame:
    kw.setdefault("reference_years", [2001, 2002])
    return queries.execute(store.ibis, queries.compliance(store.ibis, **kw)).to_pandas()


def row(table: pd.DataFrame, gauge: str, year: int, period: str) -> pd.Series:
    sel = table[(table.gauge == gauge) & (table.year == year) & (table.period == period)]
    assert len(sel) == 1, (gauge, year, period)
    return sel.iloc[0]


def daily(store: Store, **kw) -> pd.DataFrame:
    kw.setdefault("reference_years", [2001, 2002])
    t = queries.execute(store.ibis, queries.daily_status(store.ibis, **kw)).to_pandas()
    return t.set_index("date")


# -- seasons and thresholds ------------------------------------------------------


@pytest.fixture(scope="module")
def boundary_store():
    s = base_series(5.0)
    s[pd.Timestamp("2003-05-30")] = 1.0  # equal to the non-flood threshold: compliant
    s[pd.Timestamp("2003-05-31")] = 1.5  # non-flood: compliant
    s[pd.Timestamp("2003-06-01")] = 1.5  # flood: short
    s[pd.Timestamp("2003-06-02")] = 2.0  # equal to the flood threshold: compliant
    s[pd.Timestamp("2003-06-03")] = 1.999  # just below: short
    s[pd.Timestamp("2003-09-30")] = 1.5  # flood: short
    s[pd.Timestamp("2003-10-01")] = 1.5  # non-flood again: compliant
    store = make_store({"A": s})
    yield store
    store.close()


def test_seasons_switch_on_june_1_and_october_1(boundary_store) -> None:
    d = daily(boundary_store, gauges=["A"], start=D(2003, 5, 29), end=D(2003, 10, 2))
    assert d.loc[D(2003, 5, 31), "season"] == "non_flood"
    assert d.loc[D(2003, 6, 1), "season"] == "flood"
    assert d.loc[D(2003, 9, 30), "season"] == "flood"
    assert d.loc[D(2003, 10, 1), "season"] == "non_flood"
    assert d.loc[D(2003, 5, 31), "threshold"] == 1.0
    assert d.loc[D(2003, 6, 1), "threshold"] == 2.0
    assert d.loc[D(2003, 10, 1), "threshold"] == 1.0
    expected = {
        D(2003, 5, 30): True,
        D(2003, 5, 31): True,
        D(2003, 6, 1): False,
        D(2003, 6, 2): True,
        D(2003, 6, 3): False,
        D(2003, 9, 30): False,
        D(2003, 10, 1): True,
    }
    for day, ok in expected.items():
        assert bool(d.loc[day, "compliant"]) is ok, day


def test_season_rows_count_the_boundary_days(boundary_store) -> None:
    t = compliance(boundary_store, year=2003)
    flood, non_flood, year = (row(t, "A", 2003, p) for p in ("flood", "non_flood", "year"))
    assert (flood.expected_days, flood.observed_days, flood.compliant_days) == (122, 122, 119)
    assert (non_flood.expected_days, non_flood.compliant_days) == (243, 243)
    assert (year.expected_days, year.compliant_days, year.shortfall_days) == (365, 362, 3)
    assert flood.threshold == 2.0 and non_flood.threshold == 1.0 and pd.isna(year.threshold)
    assert (year.threshold_non_flood, year.threshold_flood) == (1.0, 2.0)
    assert flood.compliance_rate == pytest.approx(119 / 122, rel=1e-15)
    assert str(flood.start_date) == "2003-06-01" and str(flood.end_date) == "2003-09-30"
    assert flood.longest_shortfall_run == 1


def test_flood_months_and_thresholds_are_configurable(boundary_store) -> None:
    rule = load_rule(flood_months=[7, 8], thresholds=[0.05, 0.3])
    d = daily(boundary_store, gauges=["A"], start=D(2003, 6, 1), end=D(2003, 7, 1), rule=rule)
    assert d.loc[D(2003, 6, 1), "season"] == "non_flood"
    assert d.loc[D(2003, 6, 1), "threshold"] == pytest.approx(0.5)
    assert d.loc[D(2003, 7, 1), "threshold"] == pytest.approx(3.0)
    assert bool(d.loc[D(2003, 6, 1), "compliant"])


# -- shortfall runs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def runs_store():
    s = base_series(5.0)
    low, mid = 0.5, 1.5  # below both thresholds; below the flood threshold only
    for first, last, v in [
        ("2003-01-10", "2003-01-12", low),  # 3 days
        ("2003-02-01", "2003-02-05", low),  # 5 days, 3 Feb missing: runs of 2 and 2
        ("2003-03-01", "2003-03-06", low),  # 6 days
        ("2003-05-30", "2003-06-02", low),  # 4 days across the season change
        ("2003-07-01", "2003-07-10", mid),  # 10 flood days between the thresholds
        ("2003-12-29", "2003-12-31", low),  # 3 days, continued in 2004
    ]:
        s[days(first, last)] = v
    s[pd.Timestamp("2003-02-03")] = float("nan")
    s = pd.concat([s, pd.Series(5.0, index=days("2004-01-01", "2004-12-31"))])
    s[days("2004-01-01", "2004-01-02")] = low
    store = make_store({"R": s})
    yield store
    store.close()


def test_longest_shortfall_runs_per_period(runs_store) -> None:
    t = compliance(runs_store, year=[2003, 2004])
    year, non_flood, flood = (row(t, "R", 2003, p) for p in ("year", "non_flood", "flood"))
    assert year.longest_shortfall_run == 10
    assert non_flood.longest_shortfall_run == 6
    assert flood.longest_shortfall_run == 10
    # shortfall days: non-flood 3 + 4 + 6 + 2 + 3 = 18, flood 2 + 10 = 12; 3 Feb missing
    assert (non_flood.observed_days, non_flood.missing_days, non_flood.shortfall_days) == (242, 1, 18)
    assert (flood.observed_days, flood.shortfall_days) == (122, 12)
    assert (year.observed_days, year.compliant_days) == (364, 364 - 30)
    # a run over New Year is cut at the year's end
    assert row(t, "R", 2004, "year").longest_shortfall_run == 2


def test_runs_across_the_season_change_and_around_a_gap(runs_store) -> None:
    rule = load_rule(thresholds=[0.1, 0.1])  # one threshold: only the low days fall short
    t = compliance(runs_store, year=2003, rule=rule)
    # the longest run is now 6 (March); May 30 - June 2 is 4 in the year, 2 in each season
    assert row(t, "R", 2003, "year").longest_shortfall_run == 6
    assert row(t, "R", 2003, "flood").longest_shortfall_run == 2
    d = daily(runs_store, gauges=["R"], start=D(2003, 2, 1), end=D(2003, 2, 5))
    assert d["shortfall_run"].tolist()[:2] == [1, 2]
    assert pd.isna(d.loc[D(2003, 2, 3), "shortfall_run"])
    assert d["shortfall_run"].tolist()[3:] == [1, 2]


def test_daily_shortfall_run_counts_on_over_new_year(runs_store) -> None:
    d = daily(runs_store, gauges=["R"], start=D(2003, 12, 28), end=D(2004, 1, 3))
    assert d["shortfall_run"].tolist() == [0, 1, 2, 3, 4, 5, 0]


# -- zero flows --------------------------------------------------------------------


@pytest.fixture(scope="module")
def zero_store():
    s = base_series(5.0)
    s[days("2003-08-01", "2003-08-14")] = 0.0
    store = make_store({"Z": s})
    yield store
    store.close()


def test_zero_flow_is_a_shortfall(zero_store) -> None:
    t = compliance(zero_store, year=2003)
    flood = row(t, "Z", 2003, "flood")
    assert flood.observed_days == 122  # zero is a value, not a gap
    assert flood.shortfall_days == 14
    assert flood.longest_shortfall_run == 14
    assert flood.min_7day_mean == 0.0
    assert flood.min_7day_ratio == 0.0


def test_zero_flow_complies_with_a_zero_threshold(zero_store) -> None:
    rule = load_rule(thresholds=[0, 0])
    t = compliance(zero_store, year=2003, rule=rule)
    flood = row(t, "Z", 2003, "flood")
    assert flood.threshold == 0.0
    assert flood.compliant_days == 122
    assert flood.longest_shortfall_run == 0
    assert flood.min_7day_mean == 0.0
    assert pd.isna(flood.min_7day_ratio)  # no ratio to a zero threshold
    d = daily(zero_store, gauges=["Z"], start=D(2003, 8, 1), end=D(2003, 8, 1), rule=rule)
    assert bool(d.iloc[0]["compliant"])


# -- 7-day means -------------------------------------------------------------------


@pytest.fixture(scope="module")
def window_store():
    s = base_series(5.0)
    s[days("2003-03-08", "2003-03-16")] = 0.7
    s[pd.Timestamp("2003-03-10")] = float("nan")
    store = make_store({"W": s})
    yield store
    store.close()


def test_a_7_day_window_with_a_gap_has_no_mean(window_store) -> None:
    d = daily(window_store, gauges=["W"], start=D(2003, 3, 8), end=D(2003, 3, 18))
    no_mean = [D(2003, 3, day) for day in range(10, 17)]  # the 7 windows holding 10 March
    assert d.loc[no_mean, "flow_7d"].isna().all()
    assert d.loc[D(2003, 3, 9), "flow_7d"] == pytest.approx((5 * 5.0 + 2 * 0.7) / 7)
    assert d.loc[D(2003, 3, 17), "flow_7d"] == pytest.approx((6 * 0.7 + 5.0) / 7)
    t = compliance(window_store, year=2003)
    year = row(t, "W", 2003, "year")
    # without the gap the lowest would be 0.7 (8-14 March); with it, 11-17 March
    assert year.min_7day_mean == pytest.approx((6 * 0.7 + 5.0) / 7)
    assert year.windows_7day == 365 - 7
    assert year.min_7day_ratio == pytest.approx((6 * 0.7 + 5.0) / 7 / 1.0)


def test_the_first_windows_of_a_year_reach_into_december(window_store) -> None:
    d = daily(window_store, gauges=["W"], start=D(2003, 1, 1), end=D(2003, 1, 1))
    assert d.iloc[0]["flow_7d"] == pytest.approx((6 * 10.0 + 5.0) / 7)
    d = daily(window_store, gauges=["W"], start=D(2001, 1, 1), end=D(2001, 1, 7))
    assert d["flow_7d"].isna().tolist() == [True] * 6 + [False]  # the record's first six days


# -- gaps and the multi-year mean ---------------------------------------------------


@pytest.fixture(scope="module")
def gap_store():
    s = pd.concat(
        [
            pd.Series(10.0, index=days("2001-01-01", "2001-12-31")),
            pd.Series(20.0, index=days("2002-01-01", "2002-12-31")),
            pd.Series(30.0, index=days("2003-01-01", "2003-12-31")),
            pd.Series(50.0, index=days("2004-01-01", "2004-12-31")),
            pd.Series(40.0, index=days("2005-01-01", "2005-12-31")),
            # 2006: no data at all
            pd.Series(60.0, index=days("2007-01-01", "2007-12-31")),
        ]
    )
    s[days("2003-02-01", "2003-03-08")] = float("nan")  # 36 days: 9.86% of 365, not flagged
    s[days("2005-02-01", "2005-03-09")] = float("nan")  # 37 days: 10.14%, flagged
    store = make_store(
        {"G": s},
        gauges=[
            {"code": "G", "name": "甲站", "river": "汾河", "section": "S1", "basin": "汾河流域"},
            {"code": "N", "name": "无数据站", "river": "汾河"},
            {"code": "X", "name": "other", "river": "沁河"},
        ],
    )
    yield store
    store.close()


def test_gap_flag_boundary_and_missing_days(gap_store) -> None:
    t = compliance(gap_store, reference_years=None)
    y = t[(t.gauge == "G") & (t.period == "year")].set_index("year")
    assert y.loc[2003, "missing_days"] == 36 and not y.loc[2003, "gap_flag"]
    assert y.loc[2005, "missing_days"] == 37 and y.loc[2005, "gap_flag"]
    assert y.loc[2006, "observed_days"] == 0 and y.loc[2006, "gap_flag"]
    assert pd.isna(y.loc[2006, "compliance_rate"]) and pd.isna(y.loc[2006, "longest_shortfall_run"])
    assert y.loc[2005, "missing_share"] == pytest.approx(37 / 365)
    assert list(y.index) == list(range(2001, 2008))


def test_multi_year_mean_leaves_out_flagged_years(gap_store) -> None:
    t = compliance(gap_store, reference_years=None)
    g = t[t.gauge == "G"].iloc[0]
    assert g.reference_mean == pytest.approx((10 + 20 + 30 + 50 + 60) / 5)
    assert (g.reference_years, g.reference_first, g.reference_last) == (5, 2001, 2007)
    t = compliance(gap_store, reference_years=[2001, 2002, 2005])  # 2005 is flagged
    g = t[t.gauge == "G"].iloc[0]
    assert g.reference_mean == pytest.approx(15.0)
    assert g.reference_years == 2


def test_max_missing_share_is_configurable(gap_store) -> None:
    t = compliance(gap_store, reference_years=None, rule=load_rule(max_missing_share=0.2))
    y = t[(t.gauge == "G") & (t.period == "year")].set_index("year")
    assert not y.loc[2005, "gap_flag"]
    assert y.loc[2001, "reference_mean"] == pytest.approx((10 + 20 + 30 + 50 + 40 + 60) / 6)


def test_without_reference_years_nothing_is_judged(gap_store) -> None:
    t = compliance(gap_store, gauges=["G"], reference_years=[2005, 2006])
    assert t["reference_mean"].isna().all()
    assert t["threshold_flood"].isna().all()
    assert t["compliant_days"].isna().all()
    assert t["compliance_rate"].isna().all()
    assert t["longest_shortfall_run"].isna().all()
    assert t["volume_compliant"].isna().all()
    assert (t["observed_days"] > 0).any()  # coverage is still reported


def test_gauges_and_rivers_are_labelled_and_filtered(gap_store) -> None:
    t = compliance(gap_store, year=2003, rivers=["汾河"], reference_years=None)
    assert set(t.gauge) == {"G", "N"}  # N has no discharge: reported with every day missing
    g = row(t, "G", 2003, "year")
    assert (g["name"], g.river, g.section, g.basin) == ("甲站", "汾河", "S1", "汾河流域")
    n = row(t, "N", 2003, "year")
    assert (n.expected_days, n.observed_days, bool(n.gap_flag)) == (365, 0, True)
    assert pd.isna(n.compliance_rate)
    assert list(t[t.gauge == "G"].period_zh) == ["全年", "非汛期", "汛期"]
    assert compliance(gap_store, rivers=["沁河"]).empty  # a listed gauge without data and no year asked


def test_seasonal_base(gap_store) -> None:
    s = pd.Series(10.0, index=days("2001-01-01", "2001-12-31"))
    s[s.index.month.isin([6, 7, 8, 9])] = 30.0
    store = make_store({"S": s})
    t = compliance(store, reference_years=None, rule=load_rule(base="season"))
    assert row(t, "S", 2001, "flood").threshold == pytest.approx(0.2 * 30)
    assert row(t, "S", 2001, "non_flood").threshold == pytest.approx(0.1 * 10)
    annual = compliance(store, reference_years=None)
    assert row(annual, "S", 2001, "flood").threshold == pytest.approx(0.2 * (30 * 122 + 10 * 243) / 365)
    store.close()


def test_volume_reading_of_the_plan() -> None:
    s = base_series(5.0)
    s[days("2003-06-01", "2003-06-30")] = 0.0  # June short; the season's mean still reaches 2
    s = pd.concat([s, pd.Series(1.0, index=days("2004-06-01", "2004-09-30"))])  # 2004: flood season only
    store = make_store({"V": s})
    t = compliance(store)
    flood = row(t, "V", 2003, "flood")
    assert flood.shortfall_days == 30
    assert bool(flood.volume_compliant)  # mean (92 * 5) / 122 = 3.77 >= 2
    assert bool(row(t, "V", 2003, "year").volume_compliant)
    assert not row(t, "V", 2004, "flood").volume_compliant
    assert pd.isna(row(t, "V", 2004, "non_flood").volume_compliant)  # no data: unknown
    assert not row(t, "V", 2004, "year").volume_compliant  # one season short is enough
    store.close()


# -- years ---------------------------------------------------------------------------


def test_water_year_labels() -> None:
    s = pd.Series(10.0, index=days("2001-10-01", "2003-09-30"))
    store = make_store({"H": s})
    rule = load_rule(year_start_month=10)
    t = compliance(store, reference_years=None, rule=rule)
    years = t[t.period == "year"]
    assert years.year.tolist() == [2002, 2003]
    assert years.expected_days.tolist() == [365, 365]
    assert years.missing_days.tolist() == [0, 0]
    first = row(t, "H", 2002, "non_flood")
    assert str(first.start_date) == "2001-10-01" and str(first.end_date) == "2002-05-31"
    store.close()


class _SparkOptions(Config):
    treat_nan_as_null: bool = True


def test_expressions_compile_for_spark(monkeypatch) -> None:
    """The assessments must run on PySpark later: they compile to Spark SQL now.

    (Compiling needs the PySpark backend's options, registered here by hand so
    that the check runs without PySpark installed; running on Spark is the
    cross-engine test's job.)
    """
    if ibis.options.pyspark is None:
        monkeypatch.setattr(ibis.options, "pyspark", _SparkOptions())
    store = make_store({"A": base_series(5.0)})
    for expr in (
        queries.compliance(store.ibis, year=2003),
        queries.daily_status(store.ibis, start=D(2003, 1, 1), end=D(2003, 1, 31)),
    ):
        sql = ibis.to_sql(expr, dialect="pyspark")
        assert "EXPLODE" in sql and "ROW_NUMBER" in sql
    store.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flood_months": [0, 6]}, "months"),
        ({"flood_months": list(range(1, 13))}, "whole year"),
        ({"thresholds": [0.1]}, "two shares"),
        ({"thresholds": [-0.1, 0.2]}, "share"),
        ({"base": "monthly"}, "base"),
        ({"max_missing_share": 1.5}, "max_missing_share"),
        ({"year_start_month": 13}, "year_start_month"),
    ],
)
def test_rule_rejects_nonsense(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        load_rule(**kwargs)


def test_defaults_come_from_the_table_file() -> None:
    rule = load_rule()
    table = ecoflow.defaults()
    assert rule == EcoflowRule(
        flood_months=tuple(table["season"]["flood_months"]),
        non_flood_share=table["thresholds"]["non_flood"],
        flood_share=table["thresholds"]["flood"],
        base=table["thresholds"]["base"],
        max_missing_share=table["gaps"]["max_missing_share"],
        window_days=table["low_flow"]["window_days"],
        year_start_month=table["year"]["start_month"],
    )
    assert (rule.non_flood_share, rule.flood_share, rule.flood_months) == (0.1, 0.2, (6, 7, 8, 9))
    assert table["meta"]["certainty"] == "text"
