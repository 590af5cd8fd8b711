"""The real USGS daily series 04135700 (1966-2019, cfs, with gaps) against a pandas reference.

The file (public domain, ``reference/flow/usgs-04135700-daily-discharge-cfs.csv``
beside the project) has only ``date, discharge`` columns in cubic feet per
second. Every expected figure here is computed in the test from the file with
pandas (``tests/flow/reference.py``), never typed in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecoplan.flow import load_rule, queries
from ecoplan.ingest import ingest_files
from ecoplan.readers.flow import CFS_TO_M3S, flow_reader_for
from ecoplan.store import Store

from . import reference as ref

USGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "flow"
USGS_FILE = USGS / "usgs-04135700-daily-discharge-cfs.csv"
GAUGE = "04135700"


def _need() -> Path:
    if not USGS_FILE.exists():
        pytest.skip(f"reference data not found at {USGS_FILE} (it lives beside the project in ../shared)")
    return USGS_FILE


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(_need(), dtype={"discharge": float}, parse_dates=["date"])


@pytest.fixture(scope="module")
def series(raw: pd.DataFrame) -> pd.Series:
    """The series in m3/s, indexed by date."""
    return pd.Series(raw["discharge"].to_numpy() * CFS_TO_M3S, index=pd.DatetimeIndex(raw["date"]))


@pytest.fixture(scope="module")
def usgs_store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("usgs") / "flow.duckdb"
    s = Store(path)
    summary = ingest_files(s, [str(_need())], lambda f, h: flow_reader_for(f, h), domain="flow")
    s.summary = summary
    yield s
    s.close()


def _compliance(store: Store, **kw) -> pd.DataFrame:
    return queries.execute(store.ibis, queries.compliance(store.ibis, **kw)).to_pandas()


def test_ingest_converts_cfs_and_takes_the_gauge_from_the_file_name(usgs_store, raw) -> None:
    outcome = usgs_store.summary.outcomes[0]
    assert outcome.status == "ok"
    assert outcome.rejected == 0
    # every day of the file is stored; the gauge named by the file name is registered too
    assert outcome.tables["flows"].stored == len(raw)
    assert outcome.stored == len(raw) + outcome.tables["gauges"].stored
    assert "gauge 04135700 taken from the file name" in outcome.message
    assert "unit cfs taken from the file name" in outcome.message
    stored = usgs_store.query("SELECT gauge, date, discharge FROM flows ORDER BY date").to_pandas()
    assert set(stored["gauge"]) == {GAUGE}
    np.testing.assert_allclose(stored["discharge"], raw["discharge"] * 0.028316846592, rtol=1e-15)


def test_reingest_is_idempotent(usgs_store, raw) -> None:
    again = ingest_files(usgs_store, [str(USGS_FILE)], lambda f, h: flow_reader_for(f, h), domain="flow")
    o = again.outcomes[0]
    flows = o.tables["flows"]
    assert (o.stored, o.replaced, flows.unchanged) == (0, 0, len(raw))
    assert o.same_as == usgs_store.summary.outcomes[0].ingest_id
    assert usgs_store.count("flows") == len(raw)
    assert usgs_store.query("SELECT count(*) AS n FROM flows_history").column("n")[0].as_py() == 0


def test_missing_days_equal_the_gaps_pandas_finds(usgs_store, raw) -> None:
    dates = pd.DatetimeIndex(raw["date"])
    span = pd.date_range(dates.min(), dates.max(), freq="D")
    gaps = len(span) - len(dates)  # 1,497 days in the file as published
    daily = queries.execute(
        usgs_store.ibis,
        queries.daily_status(
            usgs_store.ibis, gauges=[GAUGE], start=dates.min().date(), end=dates.max().date()
        ),
    ).to_pandas()
    assert len(daily) == len(span)
    assert int((~daily["observed"]).sum()) == gaps
    assert daily["compliant"].isna().sum() == gaps

    # the year rows count the same gaps plus the days of the first and last years outside the record
    table = _compliance(usgs_store)
    years = table[table.period == "year"]
    outside = (dates.min() - pd.Timestamp(dates.min().year, 1, 1)).days + (
        pd.Timestamp(dates.max().year, 12, 31) - dates.max()
    ).days
    assert int(years["missing_days"].sum()) == gaps + outside
    assert int(years["observed_days"].sum()) == len(raw)


def test_multi_year_mean_matches_pandas(usgs_store, series) -> None:
    expected, _, _ = ref.assess(series)
    table = _compliance(usgs_store)
    assert table["reference_mean"].iloc[0] == pytest.approx(expected, rel=1e-12)
    cal = ref.calendar(series)
    by_year = cal.groupby("year")["q"]
    complete = ((by_year.size() - by_year.count()) <= 0.1 * by_year.size()).sum()
    assert table["reference_years"].iloc[0] == complete


@pytest.mark.parametrize(
    "shares",
    [
        (0.1, 0.2),  # the plan's rule: this gauge never falls below it
        (0.6, 0.7),  # stricter shares, so that shortfalls and runs occur
    ],
)
def test_compliance_matches_the_pandas_reference(usgs_store, series, shares) -> None:
    _, _, expected = ref.assess(series, shares=shares)
    got = _compliance(usgs_store, rule=load_rule(thresholds=shares))
    merged = expected.merge(got, on=["year", "period"], suffixes=("_ref", ""), validate="one_to_one")
    assert len(merged) == len(expected) == len(got)
    for col in (
        "expected_days",
        "observed_days",
        "missing_days",
        "gap_flag",
        "compliant_days",
        "windows_7day",
    ):
        assert (merged[col].to_numpy() == merged[f"{col}_ref"].to_numpy()).all(), col
    runs = merged["longest_shortfall_run"].astype("float64").to_numpy()
    np.testing.assert_array_equal(runs, merged["longest_shortfall_run_ref"].astype("float64").to_numpy())
    for col in ("mean_flow", "compliance_rate", "min_7day_mean", "min_7day_ratio"):
        np.testing.assert_allclose(
            merged[col].astype("float64"), merged[f"{col}_ref"].astype("float64"), rtol=1e-12, err_msg=col
        )
    if shares == (0.6, 0.7):
        assert merged["longest_shortfall_run"].max() > 1
        assert (merged["compliance_rate"] < 1).any()


def test_the_missing_water_year_is_flagged(usgs_store, raw) -> None:
    """Water year 1990 (Oct 1989 - Sep 1990) has no value at all in the file."""
    dates = pd.DatetimeIndex(raw["date"])
    wy = ref.assessment_year(dates, 10)
    present = set(wy.tolist())
    empty = [y for y in range(wy.min(), wy.max() + 1) if y not in present]
    assert empty == [1990]

    table = _compliance(usgs_store, rule=load_rule(year_start_month=10))
    years = table[table.period == "year"].set_index("year")
    assert years.loc[1990, "observed_days"] == 0
    assert years.loc[1990, "expected_days"] == 365
    assert bool(years.loc[1990, "gap_flag"])
    assert pd.isna(years.loc[1990, "compliance_rate"])
    assert str(years.loc[1990, "start_date"]) == "1989-10-01"
    assert str(years.loc[1990, "end_date"]) == "1990-09-30"
    assert (years.loc[years.index != 1990, "observed_days"] > 0).all()
    # the flagged year stays out of the multi-year mean
    mean, _, _ = ref.assess(pd.Series(raw["discharge"].to_numpy() * CFS_TO_M3S, index=dates), start_month=10)
    assert years["reference_mean"].iloc[0] == pytest.approx(mean, rel=1e-12)

    # in calendar years the same gap flags 1989 (Oct-Dec missing) and 1990 (Jan-Sep missing)
    cal = _compliance(usgs_store, year=[1989, 1990])
    cal_years = cal[cal.period == "year"].set_index("year")
    calendar = ref.calendar(pd.Series(1.0, index=dates))
    missing = calendar["q"].isna().groupby(calendar["year"]).sum()
    assert cal_years.loc[1989, "missing_days"] == missing.loc[1989] >= 92
    assert cal_years.loc[1990, "missing_days"] == missing.loc[1990] >= 273
    assert cal_years["gap_flag"].all()


def test_year_filter_keeps_the_whole_record_reference(usgs_store) -> None:
    """Asking for some years changes which rows come back, not a single figure in them."""
    rule = load_rule(thresholds=(0.6, 0.7))  # shortfalls occur, so runs and rates are tested
    full = _compliance(usgs_store, rule=rule)
    some = _compliance(usgs_store, year=[1967, 2000, 2012], rule=rule)
    assert sorted(set(some["year"])) == [1967, 2000, 2012]
    assert list(some["period"][:3]) == ["year", "non_flood", "flood"]
    expected = full[full.year.isin([1967, 2000, 2012])].reset_index(drop=True)
    pd.testing.assert_frame_equal(some.reset_index(drop=True), expected, check_dtype=False, rtol=1e-12)
    assert (expected["shortfall_days"] > 0).any()
