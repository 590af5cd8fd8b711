"""Deterioration warnings on hand-built series: water classes a year apart, city air against its path."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from ecoplan.alerts import deterioration as det
from ecoplan.alerts import store as ws
from ecoplan.plan import load_plan
from ecoplan.store import Store

PLAN_FILE = Path(__file__).resolve().parents[1] / "data" / "indicators" / "mini-plan.yaml"

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

# (section, year, month, NH3-N mg/L); classes by the GB 3838 NH3-N limits 0.15 0.5 1.0 1.5 2.0
SAMPLES = [
    ("W1", 2021, 3, 0.4),  # II
    ("W1", 2022, 3, 1.2),  # IV: two classes lost -> orange
    ("W1", 2021, 4, 0.4),  # II
    ("W1", 2022, 4, 0.8),  # III: one class lost, the month after -> same warning
    ("W2", 2021, 5, 1.8),  # V
    ("W2", 2022, 5, 2.5),  # 劣V -> red
    ("W2", 2021, 6, 0.4),
    ("W2", 2022, 6, 0.4),  # unchanged: W2's latest month is not worse -> inactive
    ("W3", 2021, 3, 1.2),
    ("W3", 2022, 3, 0.4),  # better: no warning
    ("W4", 2021, 3, 0.1),  # I
    ("W4", 2022, 3, 0.4),  # II: worse, but both are 优 (I-II): no warning unless count_within_level
]


@pytest.fixture
def water(tmp_path) -> Store:
    store = Store(tmp_path / "w.duckdb")
    sections = pa.table(
        {
            "code": ["W1", "W2", "W3", "W4"],
            "name": ["一号桥", "二号桥", "三号桥", "四号桥"],
            "river": ["甲河", "乙河", "甲河", "乙河"],
            "kind": ["river"] * 4,
        }
    )
    samples = pa.table(
        {
            "section": [s[0] for s in SAMPLES],
            "time": [dt.datetime(s[1], s[2], 10, 9) for s in SAMPLES],
            "item": ["NH3-N"] * len(SAMPLES),
            "value": [s[3] for s in SAMPLES],
            "unit": ["mg/L"] * len(SAMPLES),
            "below_dl": [False] * len(SAMPLES),
            "detection_limit": [None] * len(SAMPLES),
            "sample_kind": ["manual"] * len(SAMPLES),
        },
        schema=SAMPLE_SCHEMA,
    )
    with store.transaction():
        store.upsert("sections", sections, ingest_id=0, source="test")
        store.upsert("water_samples", samples, ingest_id=0, source="test")
    yield store
    store.close()


def test_section_worse_than_a_year_before(water: Store) -> None:
    found = det.water_deterioration(water.ibis, since=dt.date(2022, 1, 1))
    w = {x["scope"]: x for x in found}
    assert set(w) == {"section:W1", "section:W2"}
    w1 = w["section:W1"]
    # March (II -> IV, two classes) and April (II -> III) 2022 in a row: one warning, orange
    assert w1["level"] == "orange"
    assert (w1["start_time"], w1["end_time"]) == (dt.datetime(2022, 3, 1), dt.datetime(2022, 5, 1))
    assert [p["class"] for p in w1["evidence"]["periods"]] == ["Ⅳ", "Ⅲ"]
    assert [p["classes_lost"] for p in w1["evidence"]["periods"]] == [2, 1]
    assert w1["active"] is True  # April 2022 is W1's latest month
    assert "甲河一号桥断面水质同比恶化" in w1["message_zh"]
    w2 = w["section:W2"]
    # May 2022 falls to 劣V: red; June is the latest month and is no worse: not active
    assert w2["level"] == "red" and w2["active"] is False
    assert w2["evidence"]["periods"][0]["class_year_before"] == "Ⅴ"
    # nothing before 2022 is looked at; saving twice stores each once
    ws.save_warnings(water, found)
    ws.save_warnings(water, det.water_deterioration(water.ibis, since=dt.date(2022, 1, 1)))
    assert water.count("warnings") == 2


def test_water_levels_from_the_rules(water: Store) -> None:
    rules = copy.deepcopy(ws.load_alert_rules())
    rules["deterioration"]["water"]["steps_orange"] = 3
    rules["deterioration"]["water"]["to_worst_level"] = "orange"
    w = {x["scope"]: x for x in det.water_deterioration(water.ibis, rules=rules, since=dt.date(2022, 1, 1))}
    assert w["section:W1"]["level"] == "yellow" and w["section:W2"]["level"] == "orange"
    assert "section:W4" not in w
    rules["deterioration"]["water"]["count_within_level"] = True
    w = {x["scope"]: x for x in det.water_deterioration(water.ibis, rules=rules, since=dt.date(2022, 1, 1))}
    assert w["section:W4"]["level"] == "yellow"
    assert w["section:W4"]["evidence"]["periods"][0]["class_year_before"] == "Ⅰ"


# ---------------------------------------------------------------------------
# air against the path


@pytest.fixture(scope="module")
def plan():
    return load_plan(PLAN_FILE)


def baselines() -> pd.DataFrame:
    rows = [
        ("air.pm25_mean", "city:甲市", 2020, 50.0),
        ("air.pm25_mean", "city:丙市", 2020, 35.0),
        ("air.good_day_ratio", "city:甲市", 2020, 70.0),
        ("air.good_day_ratio", "city:丙市", 2020, 80.0),
    ]
    return pd.DataFrame(
        [{"indicator": i, "scope": s, "year": y, "value": v, "origin": "computed"} for i, s, y, v in rows]
    )


def test_city_paths(plan) -> None:
    paths, gaps = det.city_paths(plan, baselines(), ["air.pm25_mean", "air.good_day_ratio"])
    p = {(x["indicator"], x["city"]): x for x in paths}
    # 甲市 is in group:two-cities: its 20 % cut applies to its own 2020 value, 50 -> 40
    a = p[("air.pm25_mean", "甲市")]
    assert (a["base_value"], a["target_value"], a["target_id"]) == (50.0, 40.0, "air-pm25-two-2025")
    # 丙市 has only the province's "< 40", and is already at 35: its path holds 35
    c = p[("air.pm25_mean", "丙市")]
    assert (c["target_value"], c["target_id"]) == (35.0, "air-pm25-2025")
    # good days: province ">= 75" applies to 甲市 (70 -> 75); 丙市 already at 80 holds 80
    assert p[("air.good_day_ratio", "甲市")]["target_value"] == 75.0
    assert p[("air.good_day_ratio", "丙市")]["target_value"] == 80.0
    assert any("乙市" in g for g in gaps)


def test_rolling_values_and_path_warnings(plan) -> None:
    days = pd.date_range("2022-12-20", "2022-12-31", freq="D").date
    daily = pd.DataFrame(
        [{"city": "甲市", "date": d, "pm2_5": 48.0, "aqi": 60.0} for d in days]
        + [{"city": "丙市", "date": d, "pm2_5": 37.0, "aqi": 120.0} for d in days]
    )
    daily = ibis.memtable(pa.Table.from_pandas(daily, preserve_index=False))
    rules = copy.deepcopy(ws.load_alert_rules())
    rules["deterioration"]["air"]["window_days"] = 3
    con = ibis.duckdb.connect()
    found = det.air_path_deterioration(
        con, plan, rules=rules, since=dt.date(2022, 12, 20), values=baselines(), daily=daily
    )
    w = {(x["rule"], x["scope"]): x for x in found}
    assert set(w) == {
        ("air_path:air.pm25_mean", "city:甲市"),
        ("air_path:air.pm25_mean", "city:丙市"),
        ("air_path:air.good_day_ratio", "city:丙市"),
    }
    # 甲市 PM2.5: rolling 3-day mean 48 from Dec 22 (3 days present); path from 50 (end 2020) to 40 (end 2025),
    # 1826 days: on Dec 22 2022 (721 days on) 50 - 10 * 721 / 1826 = 46.05, so 48 is 1.95 worse (> 1.0 tolerance)
    a = w[("air_path:air.pm25_mean", "city:甲市")]
    assert a["start_time"] == dt.datetime(2022, 12, 22) and a["end_time"] == dt.datetime(2023, 1, 1)
    assert a["evidence"]["days"] == 10
    assert a["evidence"]["worst"]["path_value"] == pytest.approx(round(50 - 10 * 730 / 1826, 2), abs=0.01)
    assert a["level"] == "yellow"  # 48 is better than the 2020 value of 50
    assert a["active"] is True
    # 丙市: 37 against a path held at 35 and worse than its baseline: orange; AQI 120 every day: 0 % good
    assert w[("air_path:air.pm25_mean", "city:丙市")]["level"] == "orange"
    g = w[("air_path:air.good_day_ratio", "city:丙市")]
    assert g["level"] == "orange" and g["evidence"]["worst"]["rolling_value"] == 0.0
    assert "落后于达标路径" in g["message_zh"]
    # within the tolerance: 甲市 at 47 is 0.95-1.0 above the path -> no warning
    daily2 = ibis.memtable(
        pa.Table.from_pandas(
            pd.DataFrame([{"city": "甲市", "date": d, "pm2_5": 47.0, "aqi": 60.0} for d in days])
        )
    )
    quiet = det.air_path_deterioration(
        con, plan, rules=rules, since=dt.date(2022, 12, 20), values=baselines(), daily=daily2
    )
    assert quiet == []


def test_rolling_needs_enough_days() -> None:
    d = pd.DataFrame(
        {
            "city": ["甲市"] * 4,
            "date": [dt.date(2022, 1, 1), dt.date(2022, 1, 2), dt.date(2022, 1, 4), dt.date(2022, 1, 5)],
            "pm2_5": [10.0, 20.0, 30.0, 40.0],
            "aqi": [50.0, 120.0, 50.0, 50.0],
        }
    )
    con = ibis.duckdb.connect()
    table = pa.Table.from_pandas(d, preserve_index=False)
    r = con.to_pyarrow(det.rolling_air(ibis.memtable(table), window_days=3, min_days=2)).to_pandas()
    r = r.sort_values("date").reset_index(drop=True)
    # a range window over dates: Jan 4 sees Jan 2 and 4 (Jan 3 missing) -> 25; Jan 1 alone -> too few days
    assert r["pm25_roll"].isna().tolist() == [True, False, False, False]
    assert r["pm25_roll"].tolist()[1:] == [15.0, 25.0, 35.0]
    assert r["good_roll"].tolist()[1:] == [50.0, 50.0, 100.0]
