"""Computed indicator values on small hand-built stores, checked against hand computations.

The fictional plan ``tests/data/indicators/mini-plan.yaml`` has three cities
(甲市, 乙市, 丙市; 甲市 and 乙市 form ``group:two-cities``), the basin and
river 甲河, the river 乙河 (``group:two-rivers``) and the lake 甲湖. Every
expected figure below is worked out by hand in the comments next to it.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ecoplan.plan import indicators as ind
from ecoplan.plan import load_plan
from ecoplan.store import Store

PLAN_FILE = Path(__file__).resolve().parents[1] / "data" / "indicators" / "mini-plan.yaml"


@pytest.fixture(scope="module")
def plan():
    return load_plan(PLAN_FILE)


def values(comp: ind.Computation) -> dict[tuple[str, str, int], float]:
    t = comp.values.to_pylist()
    return {(r["indicator"], r["scope"], r["year"]): r["value"] for r in t}


# ---------------------------------------------------------------------------
# air: group means from city statistics


def _stats(rows: list[dict]):
    """Annual statistics rows with the columns period_statistics gives (only those used)."""
    cols = {
        "city": pa.string(),
        "period": pa.date32(),
        "pm2_5_mean": pa.float64(),
        "pm10_mean": pa.float64(),
        "so2_mean": pa.float64(),
        "no2_mean": pa.float64(),
        "co_p95": pa.float64(),
        "o3_8h_p90": pa.float64(),
        "days_aqi": pa.int64(),
        "heavy_days": pa.int64(),
        "good_ratio": pa.float64(),
    }
    for item in ("pm2_5", "pm10", "so2", "no2", "co", "o3_8h"):
        cols[f"valid_{item}"] = pa.bool_()
        cols[f"n_{item}"] = pa.int64()
    full = []
    for r in rows:
        base = {c: None for c in cols}
        for item in ("pm2_5", "pm10", "so2", "no2", "co", "o3_8h"):
            base[f"valid_{item}"] = r.get(f"valid_{item}", True)
            base[f"n_{item}"] = r.get(f"n_{item}", 365)
        base["days_aqi"] = 365
        base.update(r)
        full.append(base)
    return ibis.memtable(pa.Table.from_pylist(full, schema=pa.schema(list(cols.items()))))


Y20, Y21 = dt.date(2020, 1, 1), dt.date(2021, 1, 1)
CITY_STATS = [
    # 2020: every city complete
    {"city": "甲市", "period": Y20, "pm2_5_mean": 41.0, "co_p95": 1.2, "good_ratio": 0.8, "heavy_days": 3},
    {"city": "乙市", "period": Y20, "pm2_5_mean": 44.0, "co_p95": 1.3, "good_ratio": 0.75, "heavy_days": 4},
    {"city": "丙市", "period": Y20, "pm2_5_mean": 50.0, "co_p95": 1.5, "good_ratio": 0.7, "heavy_days": 6},
    # 2021: 丙市's PM2.5 year is incomplete (300 valid days)
    {"city": "甲市", "period": Y21, "pm2_5_mean": 40.0, "co_p95": 1.1, "good_ratio": 0.82, "heavy_days": 2},
    {"city": "乙市", "period": Y21, "pm2_5_mean": 42.0, "co_p95": 1.2, "good_ratio": 0.78, "heavy_days": 3},
    {
        "city": "丙市",
        "period": Y21,
        "pm2_5_mean": 47.0,
        "co_p95": 1.4,
        "good_ratio": 0.72,
        "heavy_days": 5,
        "valid_pm2_5": False,
        "n_pm2_5": 300,
    },
]


def test_air_group_means_and_rounding(plan) -> None:
    con = ibis.duckdb.connect()
    comp = ind.air_indicators(con, plan, stats=_stats(CITY_STATS))
    v = values(comp)
    # city values pass through; good-day ratio in %
    assert v[("air.pm25_mean", "city:甲市", 2020)] == 41.0
    assert v[("air.good_day_ratio", "city:乙市", 2020)] == 75.0
    # province 2020 = mean of the three cities: (41 + 44 + 50) / 3 = 45
    assert v[("air.pm25_mean", "province", 2020)] == 45.0
    # two cities: (41 + 44) / 2 = 42.5, rounded half to even (GB/T 8170) -> 42
    assert v[("air.pm25_mean", "group:two-cities", 2020)] == 42.0
    # CO: (1.2 + 1.3) / 2 = 1.25 -> one decimal, half to even -> 1.2
    assert v[("air.co_p95", "group:two-cities", 2020)] == 1.2
    # good days: (80 + 75 + 70) / 3 = 75.0 %; heavy days (3 + 4 + 6) / 3 = 4.333 -> 4.3
    assert v[("air.good_day_ratio", "province", 2020)] == 75.0
    assert v[("air.heavy_days", "province", 2020)] == 4.3
    # heavy-day share of 甲市: 3 / 365 = 0.8219 % -> 0.8
    assert v[("air.heavy_day_ratio", "city:甲市", 2020)] == 0.8
    # 2021: 丙市's PM2.5 is not a valid annual value -> no province PM2.5, the gap is said
    assert ("air.pm25_mean", "city:丙市", 2021) not in v
    assert ("air.pm25_mean", "province", 2021) not in v
    assert any("air.pm25_mean province 2021" in g and "丙市" in g for g in comp.gaps)
    # the group of the two complete cities still has its value: (40 + 42) / 2 = 41
    assert v[("air.pm25_mean", "group:two-cities", 2021)] == 41.0
    # its good-day ratio is complete (365 AQI days): (82 + 78 + 72) / 3 = 77.333 -> 77.3
    assert v[("air.good_day_ratio", "province", 2021)] == 77.3
    rows = comp.values.to_pandas()
    assert set(rows["origin"]) == {"computed"}
    prov = rows[(rows.scope == "province") & (rows.indicator == "air.pm25_mean")].iloc[0]
    assert prov["unit"] == "ug/m3"
    assert "mean of the annual values of 3 cities" in prov["note"]
    assert "HJ 663-2013" in prov["method"] and "GB 3095-2012" in prov["method"]


def test_air_incomplete_years_kept_on_request(plan) -> None:
    con = ibis.duckdb.connect()
    comp = ind.air_indicators(con, plan, stats=_stats(CITY_STATS), complete_only=False)
    rows = comp.values.to_pandas()
    c = rows[(rows.indicator == "air.pm25_mean") & (rows.scope == "city:丙市") & (rows.year == 2021)].iloc[0]
    assert c["value"] == 47.0
    assert "incomplete year: 300 valid days" in c["note"]
    p = rows[(rows.indicator == "air.pm25_mean") & (rows.scope == "province") & (rows.year == 2021)].iloc[0]
    # (40 + 42 + 47) / 3 = 43
    assert p["value"] == 43.0
    assert "1 of them incomplete" in p["note"]


# ---------------------------------------------------------------------------
# air: end to end from hourly observations


def _air_store(path: Path) -> Store:
    """One station per city, PM2.5 constant all 2021: 甲市 30, 乙市 80, 丙市 160 ug/m3."""
    store = Store(path)
    sites = pa.table(
        {
            "code": ["A1", "B1", "C1"],
            "name": ["甲站", "乙站", "丙站"],
            "city": ["甲市", "乙市", "丙市"],
            "is_background": [False, False, False],
            "kind": ["air"] * 3,
        }
    )
    hours = pd.date_range("2021-01-01 01:00", "2022-01-01 00:00", freq="h")
    frames = []
    for code, level in (("A1", 30.0), ("B1", 80.0), ("C1", 160.0)):
        frames.append(
            pd.DataFrame({"site": code, "time": hours, "parameter": "PM2.5", "value": level, "unit": "ug/m3"})
        )
    obs = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    obs = obs.cast(pa.schema([("site", pa.string()), ("time", pa.timestamp("us")), ("parameter", pa.string()),
                              ("value", pa.float64()), ("unit", pa.string())]))  # fmt: skip
    with store.transaction():
        store.upsert("sites", sites, ingest_id=0, source="test")
        store.upsert("observations", obs, ingest_id=0, source="test")
    return store


def test_air_from_hourly_observations(plan, tmp_path: Path) -> None:
    store = _air_store(tmp_path / "air.duckdb")
    try:
        comp = ind.compute_indicators(store.ibis, plan, domains=("air",))
    finally:
        store.close()
    v = values(comp)
    # annual means are the constants
    assert v[("air.pm25_mean", "city:甲市", 2021)] == 30.0
    assert v[("air.pm25_mean", "city:丙市", 2021)] == 160.0
    # daily AQI (HJ 633-2012, PM2.5 24 h): 30 -> IAQI 43 (good); 80 -> 100 + 5 * 50 / 40 = 106.25 -> 107;
    # 160 -> 200 + 10 * 100 / 100 = 210 (heavy)
    assert v[("air.good_day_ratio", "city:甲市", 2021)] == 100.0
    assert v[("air.good_day_ratio", "city:乙市", 2021)] == 0.0
    assert v[("air.heavy_days", "city:丙市", 2021)] == 365.0
    assert v[("air.heavy_days", "city:乙市", 2021)] == 0.0
    # province: PM2.5 (30 + 80 + 160) / 3 = 90; good days (100 + 0 + 0) / 3 = 33.3; heavy (0 + 0 + 365) / 3 = 121.7
    assert v[("air.pm25_mean", "province", 2021)] == 90.0
    assert v[("air.good_day_ratio", "province", 2021)] == 33.3
    assert v[("air.heavy_days", "province", 2021)] == 121.7
    # two cities: (30 + 80) / 2 = 55
    assert v[("air.pm25_mean", "group:two-cities", 2021)] == 55.0
    # pollutants without data give no value (no NaN stored)
    assert not any(k[0] == "air.so2_mean" for k in v)
    assert all(not math.isnan(x) for x in v.values())


# ---------------------------------------------------------------------------
# water and lakes


SAMPLE_SCHEMA = pa.schema(
    [
        ("section", pa.string()),
        ("time", pa.timestamp("us")),
        ("item", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("below_dl", pa.bool_()),
        ("detection_limit", pa.float64()),
        ("sample_kind", pa.string()),
    ]
)

# code, river, basin, control, NH3-N (mg/L) -> class (GB 3838 NH3-N limits 0.15 0.5 1.0 1.5 2.0)
SECTIONS = [
    ("S1", "甲河", "甲河", "national", 0.4),  # II
    ("S2", "甲河", "甲河", "national", 0.8),  # III
    ("S3", "乙河", "甲河流域", "provincial", 1.2),  # IV (basin written with 流域)
    ("S4", "乙河", "甲河", "national", 1.8),  # V
    ("S5", "丁河", None, "national", 2.5),  # 劣V, in no basin or river of the plan
    ("S6", "甲河", None, "provincial", 0.1),  # I, in the basin by its main river
]
LAKE = {"chla": 10.0, "TP": 0.05, "TN": 1.0, "SD": 1.0, "CODMn": 4.0}


def _water_store(path: Path, years=(2021,)) -> Store:
    store = Store(path)
    secs = [
        {"code": c, "name": f"{c}断面", "river": r, "basin": b, "kind": "river", "control_level": lvl}
        for c, r, b, lvl, _ in SECTIONS
    ] + [
        {"code": "L1", "name": "湖心", "river": "甲湖", "basin": None, "kind": "lake", "control_level": None},
        {"code": "L2", "name": "湖北", "river": "甲湖", "basin": None, "kind": "lake", "control_level": None},
    ]
    cols = ["code", "name", "river", "basin", "kind", "control_level"]
    sections = pa.table({c: pa.array([s[c] for s in secs], pa.string()) for c in cols})
    rows = []
    for y in years:
        t = dt.datetime(y, 6, 15, 10)
        rows += [(c, t, "NH3-N", v) for c, _r, _b, _l, v in SECTIONS]
        # lake: NH3-N 0.4 and 1.2 (mean 0.8, III); TP 0.05 (lake III), CODMn 4 (II); TLI items as the
        # trophic module's worked example
        for code, nh3 in (("L1", 0.4), ("L2", 1.2)):
            rows.append((code, t, "NH3-N", nh3))
            rows += [(code, t, item, value) for item, value in LAKE.items()]
    units = {"chla": "mg/m3", "SD": "m"}
    table = pa.table(
        {
            "section": [r[0] for r in rows],
            "time": [r[1] for r in rows],
            "item": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "unit": [units.get(r[2], "mg/L") for r in rows],
            "below_dl": [False] * len(rows),
            "detection_limit": [None] * len(rows),
            "sample_kind": ["manual"] * len(rows),
        },
        schema=SAMPLE_SCHEMA,
    )
    with store.transaction():
        store.upsert("sections", sections, ingest_id=0, source="test")
        store.upsert("water_samples", table, ingest_id=0, source="test")
    return store


def test_water_counts_and_shares(plan, tmp_path: Path) -> None:
    store = _water_store(tmp_path / "w.duckdb")
    try:
        v = values(ind.water_indicators(store.ibis, plan))
        v_all = values(ind.water_indicators(store.ibis, plan, province_control=None))
    finally:
        store.close()
    y = 2021
    # basin 甲河: S1 II, S2 III, S3 IV (basin "甲河流域"), S4 V, S6 I (main river) -> 5 sections
    assert v[("water.class_i_iii_count", "basin:甲河", y)] == 3.0  # S1, S2, S6
    assert v[("water.class_i_iii_share", "basin:甲河", y)] == 60.0  # 3 / 5
    assert v[("water.class_i_iv_share", "basin:甲河", y)] == 80.0  # 4 / 5
    assert v[("water.worse_than_v_count", "basin:甲河", y)] == 0.0
    # river 乙河: S3 IV, S4 V
    assert v[("water.class_i_iii_count", "river:乙河", y)] == 0.0
    assert v[("water.class_i_iv_share", "river:乙河", y)] == 50.0
    # province over national sections: S1 II, S2 III, S4 V, S5 劣V
    assert v[("water.class_i_iii_share", "province", y)] == 50.0
    assert v[("water.worse_than_v_count", "province", y)] == 1.0
    assert v[("water.worse_than_v_share", "province", y)] == 25.0
    # over every section (control level ignored): the six river sections and the lake's two,
    # L1 III (NH3-N 0.4, TP 0.05 at the lake limit of III) and L2 IV (NH3-N 1.2):
    # I-III = S1, S2, S6, L1 -> 4 of 8 = 50 %; 劣V = S5 -> 1 of 8 = 12.5 %
    assert v_all[("water.class_i_iii_share", "province", y)] == 50.0
    assert v_all[("water.worse_than_v_share", "province", y)] == 12.5


def test_lake_class_and_tli(plan, tmp_path: Path) -> None:
    store = _water_store(tmp_path / "l.duckdb")
    try:
        comp = ind.lake_indicators(store.ibis, plan)
    finally:
        store.close()
    v = values(comp)
    # item means over L1, L2: NH3-N 0.8 (III), TP 0.05 (lake limit of III), CODMn 4 (II) -> III
    assert v[("water.lake_class", "lake:甲湖", 2021)] == 3.0
    # TLI of chl-a 10, TP 0.05, TN 1.0, SD 1.0, CODMn 4.0 (the trophic module's worked case): 48.0
    r2 = {"chla": 1.0, "TP": 0.84**2, "TN": 0.82**2, "SD": 0.83**2, "CODMn": 0.83**2}
    parts = {
        "chla": 10 * (2.5 + 1.086 * math.log(10.0)),
        "TP": 10 * (9.436 + 1.624 * math.log(0.05)),
        "TN": 10 * (5.453 + 1.694 * math.log(1.0)),
        "SD": 10 * (5.118 - 1.94 * math.log(1.0)),
        "CODMn": 10 * (0.109 + 2.661 * math.log(4.0)),
    }
    tli = sum(parts[k] * r2[k] for k in parts) / sum(r2.values())
    assert v[("water.lake_tli", "lake:甲湖", 2021)] == pytest.approx(round(tli, 1), abs=1e-9)
    assert v[("water.lake_tli", "lake:甲湖", 2021)] == pytest.approx(48.0, abs=0.05)


def test_write_is_idempotent_replaces_and_retires(plan, tmp_path: Path) -> None:
    store = _water_store(tmp_path / "w.duckdb", years=(2021, 2022))
    try:
        first = ind.write_indicators(store, plan, domains=("water",))
        n = store.count("indicator_values")
        assert first["stored"] == n > 0
        again = ind.write_indicators(store, plan, domains=("water",))
        assert again["stored"] == 0 and again["unchanged"] == n and again["retired"] == 0
        assert store.count("indicator_values") == n
        # S2 gets worse in 2022 (NH3-N 1.2 -> IV): the basin's 2022 count is replaced, the old one kept
        t = dt.datetime(2022, 6, 15, 10)
        fix = pa.table(
            {"section": ["S2"], "time": [t], "item": ["NH3-N"], "value": [1.2], "unit": ["mg/L"],
             "below_dl": [False], "detection_limit": [None], "sample_kind": ["manual"]},
            schema=SAMPLE_SCHEMA,
        )  # fmt: skip
        with store.transaction():
            store.upsert("water_samples", fix, ingest_id=0, source="test")
        third = ind.write_indicators(store, plan, domains=("water",))
        assert third["replaced"] > 0
        now = store.con.execute(
            "SELECT value FROM indicator_values WHERE indicator = 'water.class_i_iii_count' "
            "AND scope = 'basin:甲河' AND year = 2022"
        ).fetchone()[0]
        old = store.con.execute(
            "SELECT value FROM indicator_values_history WHERE indicator = 'water.class_i_iii_count' "
            "AND scope = 'basin:甲河' AND year = 2022"
        ).fetchone()[0]
        assert (old, now) == (3.0, 2.0)
        # the 2022 samples are withdrawn: the 2022 values are retired to the history
        store.con.execute("DELETE FROM water_samples WHERE time >= '2022-01-01'")
        fourth = ind.write_indicators(store, plan, domains=("water",))
        assert fourth["retired"] > 0
        assert store.con.execute("SELECT count(*) FROM indicator_values WHERE year = 2022").fetchone()[0] == 0
        log = store.con.execute(
            "SELECT count(*) FROM ingest_log WHERE reader = 'indicators.compute'"
        ).fetchone()[0]
        assert log == 4
    finally:
        store.close()


# ---------------------------------------------------------------------------
# eco-flow


def _flow_store(path: Path) -> Store:
    """Three years per gauge; every case makes its thresholds by hand (see the test)."""
    store = Store(path)
    days = pd.date_range("2001-01-01", "2003-12-31", freq="D")
    g1 = pd.Series(10.0, index=days)
    g1[pd.Timestamp("2003-01-10")] = 0.5  # one day below the non-flood threshold
    g2 = pd.Series(10.0, index=days)
    in_2003 = g2.index.year == 2003
    flood = g2.index.month.isin([6, 7, 8, 9])
    g2[in_2003 & ~flood] = 5.0
    g2[in_2003 & flood] = 0.5
    frames = [
        pd.DataFrame({"gauge": code, "date": s.index.date, "discharge": s.to_numpy(float)})
        for code, s in (("G1", g1), ("G2", g2))
    ]
    flows = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    gauges = pa.Table.from_pylist(
        [{"code": "G1", "name": "甲站", "river": "甲河"}, {"code": "G2", "name": "乙站", "river": "乙河"}]
    )
    with store.transaction():
        store.upsert("flows", flows, ingest_id=0, source="test")
        store.upsert("gauges", gauges, ingest_id=0, source="test")
    return store


def test_ecoflow_rates_and_rivers_meeting(plan, tmp_path: Path) -> None:
    store = _flow_store(tmp_path / "f.duckdb")
    try:
        comp = ind.flow_indicators(store.ibis, plan)
        daily = ind.flow_indicators(store.ibis, plan, river_rule="daily", min_daily_rate=1.0)
    finally:
        store.close()
    v, vd = values(comp), values(daily)
    # multi-year mean of G2: (10 + 10 + (243 * 5 + 122 * 0.5) / 365) / 3 = 7.832 m3/s; thresholds 0.783 and
    # 1.566: the 122 flood days of 2003 at 0.5 fall short -> 243 / 365 = 66.575 % -> 66.6
    assert v[("ecoflow.compliance_rate", "river:乙河", 2003)] == 66.6
    # G1: one day of 365 below its threshold (about 1.0) -> 364 / 365 = 99.726 % -> 99.7
    assert v[("ecoflow.compliance_rate", "river:甲河", 2003)] == 99.7
    assert v[("ecoflow.compliance_rate", "river:甲河", 2001)] == 100.0
    # seasonal volume rule: 甲河 meets it in 2003 (season means 9.96 and 10), 乙河 not (flood mean 0.5)
    assert v[("ecoflow.rivers_meeting", "group:two-rivers", 2003)] == 1.0
    assert v[("ecoflow.rivers_meeting", "group:two-rivers", 2002)] == 2.0
    # daily rule at 100 %: neither river meets it in 2003
    assert vd[("ecoflow.rivers_meeting", "group:two-rivers", 2003)] == 0.0
    note = (
        comp.values.to_pandas()
        .query("indicator == 'ecoflow.rivers_meeting' and year == 2003")["note"]
        .iloc[0]
    )
    assert "not: 乙河" in note


def test_rivers_meeting_needs_every_member(plan, tmp_path: Path) -> None:
    store = _flow_store(tmp_path / "f.duckdb")
    try:
        store.con.execute("DELETE FROM flows WHERE gauge = 'G2'")
        comp = ind.flow_indicators(store.ibis, plan)
    finally:
        store.close()
    v = values(comp)
    assert not any(k[0] == "ecoflow.rivers_meeting" for k in v)
    assert any("no assessed gauge on 乙河" in g for g in comp.gaps)


def test_compute_skips_empty_domains_and_reads_back(plan, tmp_path: Path) -> None:
    store = _water_store(tmp_path / "w.duckdb")
    try:
        summary = ind.write_indicators(store, plan)
        assert summary["domains"] == ["water", "lakes"]
        assert "air: no observations in the store" in summary["gaps"]
        # scope aliases are resolved when reading
        t = ind.indicator_values(
            store.ibis, plan=plan, scopes=["basin:甲河"], indicators=["water.class_i_iii_share"]
        )
        assert t.column("value").to_pylist() == [60.0]
        assert ind.scope_key(plan, "rivers:two") == "group:two-rivers"
    finally:
        store.close()


def test_no_nan_in_values(plan, tmp_path: Path) -> None:
    store = _water_store(tmp_path / "w.duckdb")
    try:
        comp = ind.compute_indicators(store.ibis, plan)
    finally:
        store.close()
    arr = np.array(comp.values.column("value").to_pylist(), dtype=float)
    assert np.isfinite(arr).all()
