"""Air on both engines: hourly and daily AQI, HJ 663 daily values and annual statistics.

Inputs: Taiyuan's nine national stations in 2019 (the platform's daily site
files in ``../shared/reference/air``). Hourly and daily reports: three
stations (上兰 is the city's background station) over January and February;
annual statistics: the whole city-year, by station and by city.

Expected values: each engine equals the other (exactly for AQI, IAQI,
levels, pollutant names and counts; within 1e-9 for concentrations, means
and percentiles) and both equal the plain pandas/numpy reference of
``tests/air/reference.py`` and the plain-Python IAQI of ``tests/air/test_aqi.py``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ecoplan.air import queries
from ecoplan.air import statistics as st
from ecoplan.engine import open_backend
from ecoplan.export import LAYOUT, export_parquet, read_manifest
from ecoplan.store import Store

from ..air import reference as ref
from ..air.test_aqi import HJ633_2012, ref_iaqi
from .compare import assert_engines_equal, assert_same_values

pytestmark = pytest.mark.spark

STATIONS = ["1081A", "1083A", "1084A"]
START, END = dt.date(2019, 1, 1), dt.date(2019, 2, 28)
YEAR = 2019
# real-time report: the breakpoint row of each hourly concentration (HJ 633-2012 Table 1)
HOURLY_ROWS = {
    "so2": "SO2_1h",
    "no2": "NO2_1h",
    "pm10": "PM10_24h",
    "co": "CO_1h",
    "o3": "O3_1h",
    "pm2_5": "PM2_5_24h",
}
DAILY_ROWS = {
    "so2": "SO2_24h",
    "no2": "NO2_24h",
    "pm10": "PM10_24h",
    "co": "CO_24h",
    "o3_1h": "O3_1h",
    "o3_8h": "O3_8h",
    "pm2_5": "PM2_5_24h",
}
INTEGER_RESULTS = ["aqi", "level", "primary_pollutant", "over_standard", "category_zh", "category_en"]


def both(duck, spark, build) -> tuple:
    """Run the expression ``build(backend)`` on DuckDB and on Spark."""
    return tuple(queries.execute(b.ibis, build(b.ibis)) for b in (duck, spark))


@pytest.fixture(scope="module")
def air(exchange, duck):
    exchange.need("air")
    obs = duck.store.con.execute(
        "SELECT site, time, parameter, value FROM observations WHERE site IN (SELECT code FROM sites "
        "WHERE city = '太原市')"
    ).df()
    sites = duck.store.con.execute("SELECT code, city, is_background FROM sites").df()
    return obs, sites


def window(obs: pd.DataFrame) -> pd.DataFrame:
    """The observations the reports of STATIONS from START to END read."""
    lo = pd.Timestamp(START)
    hi = pd.Timestamp(END + dt.timedelta(days=1))
    return obs[obs["site"].isin(STATIONS) & (obs["time"] > lo) & (obs["time"] <= hi)]


@pytest.fixture(scope="module")
def hourly(duck, spark, air):
    return both(
        duck, spark, lambda b: queries.hourly(b, stations=STATIONS, start=START, end=END, so2_rule="platform")
    )


@pytest.fixture(scope="module")
def daily_values(duck, spark, air):
    return both(
        duck, spark, lambda b: st.daily_values(queries.series(b, stations=STATIONS, start=START, end=END))
    )


@pytest.fixture(scope="module")
def daily(duck, spark, air):
    return both(duck, spark, lambda b: queries.daily(b, stations=STATIONS, start=START, end=END))


def test_hourly_aqi_equal_on_both_engines_and_to_the_reference(hourly, air) -> None:
    d, s = hourly
    for table in (d, s):  # the report comes sorted: its text columns are added after the sort
        keys = list(zip(table["station"].to_pylist(), table["time"].to_pylist(), strict=True))
        assert keys == sorted(keys)
    iaqi = [c for c in d.column_names if c.startswith("iaqi_")]
    got = assert_engines_equal(d, s, ["station", "time"], exact=[*INTEGER_RESULTS, *iaqi])
    assert len(got) > 4000 and set(got["station"]) == set(STATIONS)

    obs, _ = air
    wide = window(obs).pivot_table(
        index=["site", "time"], columns="parameter", values="value", aggfunc="first"
    )
    wide = wide.rename(columns=ref.PARAMS)
    aqi = {}
    for (site, time), row in wide.iterrows():
        vals = []
        for col, item in HOURLY_ROWS.items():
            c = row.get(col)
            if c is None or pd.isna(c):
                continue
            # the platform's rule above the SO2 1-hour table: IAQI 200
            vals.append(
                200 if item == "SO2_1h" and c > HJ633_2012[item][-1] else ref_iaqi(c, HJ633_2012[item])
            )
        aqi[(site, time)] = max(vals) if vals else None
    want = [aqi[(r.station, r.time)] for r in got.itertuples()]
    for engine, table in (("duckdb", d), ("spark", s)):
        f = table.to_pandas().sort_values(["station", "time"]).reset_index(drop=True)
        assert_same_values(f["aqi"], pd.Series(want, dtype="Float64"), exact=True, name=f"{engine} aqi")
    assert got["aqi"].max() > 200  # heavy pollution hours in winter: the upper rows are used


def test_daily_values_equal_on_both_engines_and_to_the_reference(daily_values, air) -> None:
    d, s = daily_values
    counts = [c for c in d.column_names if c.startswith("n_")]
    assert_engines_equal(d, s, ["sid", "date"], exact=counts)

    obs, _ = air
    want = ref.daily(ref.hourly_long(window(obs)))
    want.index = pd.MultiIndex.from_tuples([(a, pd.Timestamp(b).date()) for a, b in want.index])
    for engine, table in (("duckdb", d), ("spark", s)):
        got = table.to_pandas()
        got.index = pd.MultiIndex.from_tuples(
            [(a, pd.Timestamp(b).date()) for a, b in zip(got.sid, got.date, strict=True)]
        )
        assert set(got.index) == set(want.index), engine
        w = want.loc[got.index]
        for col in ["so2", "no2", "pm10", "pm2_5", "co", "o3_1h", "o3_8h"]:
            assert_same_values(got[col], w[col].astype(float), exact=False, name=f"{engine} {col}")
            n = w[f"n_{col}"].fillna(0).astype(int).to_numpy()
            assert (got[f"n_{col}"].to_numpy() == n).all(), f"{engine} n_{col}"
    assert d.to_pandas()["pm2_5"].isna().any()  # the 20-hour rule removed some days


def test_daily_aqi_equal_on_both_engines_and_to_the_reference(daily, air) -> None:
    d, s = daily
    iaqi = [c for c in d.column_names if c.startswith("iaqi_")]
    got = assert_engines_equal(d, s, ["station", "date"], exact=[*INTEGER_RESULTS, *iaqi])

    obs, _ = air
    days = ref.daily(ref.hourly_long(window(obs)))
    want = {}
    for (sid, day), row in days.iterrows():
        vals = []
        for col, item in DAILY_ROWS.items():
            v = row[col]
            if pd.isna(v):
                continue
            r = ref.round_half_even(v, 1 if col == "co" else 0)
            if item == "O3_8h" and r > HJ633_2012[item][-1]:
                continue  # 2012 note (3): the 1-hour IAQI stands for it
            vals.append(ref_iaqi(r, HJ633_2012[item]))
        want[(sid, pd.Timestamp(day).date())] = max(vals) if vals else None
    expected = pd.Series(
        [want[(r.station, pd.Timestamp(r.date).date())] for r in got.itertuples()], dtype="Float64"
    )
    for engine, table in (("duckdb", d), ("spark", s)):
        f = table.to_pandas().sort_values(["station", "date"]).reset_index(drop=True)
        assert_same_values(f["aqi"], expected, exact=True, name=f"{engine} daily aqi")
    assert (got["level"] >= 5).any()  # heavily polluted days are among them


@pytest.mark.parametrize("by", ["station", "city"])
def test_annual_statistics_equal_on_both_engines_and_to_the_reference(duck, spark, air, by: str) -> None:
    d, s = both(duck, spark, lambda b: queries.period(b, year=YEAR, by=by, cities=["太原市"]))
    counts = [
        c for c in d.column_names if c.startswith(("n_", "valid_", "days_", "level_", "good_days", "heavy"))
    ]
    got = assert_engines_equal(d, s, [by], exact=[*counts, "max_index_item"])

    obs, sites = air
    want = ref.annual(ref.daily(ref.hourly_long(obs, sites, by=by)), YEAR)
    assert len(want) > 1 if by == "station" else list(want.index) == ["太原市"]
    for engine, table in (("duckdb", d), ("spark", s)):
        f = table.to_pandas().set_index(by).sort_index()
        assert list(f.index) == list(want.index), engine
        for col in want.columns:
            exact = col.startswith(("n_", "valid_"))
            assert_same_values(
                f[col].reset_index(drop=True),
                want[col].reset_index(drop=True).astype(float if not exact else object),
                exact=exact,
                name=f"{engine} {col}",
            )
    assert (got["n_pm2_5"] >= 300).all() and (got["o3_8h_p90"] > 100).all()


@pytest.fixture(scope="module")
def long_only(exchange, tmp_path_factory):
    """The same export without its wide ``air_hourly``: air as long ``observations`` only.

    What an exchange written by another tool may hold; the assessments then
    pivot the long rows themselves (``queries.station_hours``).
    """
    exchange.need("air")
    root = tmp_path_factory.mktemp("long-only") / "exchange"
    with Store(exchange.db, read_only=True) as store:
        export_parquet(store, root, tables=[t for t in LAYOUT if t != "air_hourly"])
    return root


def test_an_exchange_with_long_observations_only_gives_the_same_results(
    exchange, duck, spark_local, long_only
) -> None:
    """Expected values: the store's own reports, which the tests above check against the pandas reference."""
    assert "air_hourly" in read_manifest(exchange.data)["tables"]
    assert "air_hourly" not in read_manifest(long_only)["tables"]
    reports = {
        "hourly": (
            lambda b: queries.hourly(b, stations=STATIONS, start=START, end=END),
            ["station", "time"],
        ),
        "annual": (lambda b: queries.period(b, year=YEAR, by="station", cities=["太原市"]), ["station"]),
    }
    with (
        open_backend("spark", data=long_only, session=spark_local) as spark_long,
        open_backend("duckdb", data=long_only) as duck_long,
    ):
        for backend in (spark_long, duck_long):  # neither holds a wide table: both pivot
            assert "air_hourly" not in backend.ibis.list_tables()
        for name, (build, keys) in reports.items():
            want = queries.execute(duck.ibis, build(duck.ibis))
            for backend in (spark_long, duck_long):
                got = queries.execute(backend.ibis, build(backend.ibis))
                checked = assert_engines_equal(want, got, keys)  # floats within 1e-9, the rest exactly
                assert len(checked) == want.num_rows > 0, (name, backend.engine)
