"""Target status through the real plan's targets: worked cases of every status.

Expected rates are written out from the method's formulas (Open SDG / Statistics
Canada progress measure, as quoted in ``ecoplan.plan.progress``):
CAGR = (y_t / y_0) ** (1 / (t - t0)) - 1, required = (target / y_0) ** (1 / (T - t0)) - 1,
ratio = d * CAGR / |required| (d = -1 when lower is better); thresholds 0.95 / 0.60 / 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from ecoplan.plan import load_plan, progress
from ecoplan.plan import status as st
from ecoplan.store import Store


@pytest.fixture(scope="module")
def plan():
    return load_plan("shanxi-2021-2025")


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (indicator, scope, year, value[, origin])."""
    out = []
    for r in rows:
        out.append(
            {
                "indicator": r[0],
                "scope": r[1],
                "year": r[2],
                "value": r[3],
                "origin": r[4] if len(r) > 4 else "computed",
                "unit": None,
                "method": "test",
                "note": None,
            }
        )
    return pd.DataFrame(
        out, columns=["indicator", "scope", "year", "origin", "value", "unit", "method", "note"]
    )


def pm25(*pairs: tuple[int, float]) -> pd.DataFrame:
    return frame([("air.pm25_mean", "province", y, v) for y, v in pairs])


def one(plan, values: pd.DataFrame, target_id: str, **kw) -> dict:
    return st.assess_target(plan, plan.target(target_id), values, **kw)


REQUIRED = (40 / 44) ** (1 / 5) - 1  # PM2.5 44 (2020) -> 40 (2025): -1.888 %/yr


def test_pm25_on_track(plan) -> None:
    row = one(plan, pm25((2020, 44), (2021, 43), (2022, 42), (2023, 41)), "air-pm25-2025")
    observed = (41 / 44) ** (1 / 3) - 1
    assert row["status"] == progress.ON_TRACK
    assert row["ratio"] == pytest.approx(-observed / abs(REQUIRED), rel=1e-12)  # 1.232
    assert row["required_rate"] == pytest.approx(REQUIRED, rel=1e-12)
    # projection: the observed rate carried to 2025, 41 * (41/44)^(2/3) = 39.1 < 40
    assert row["projected_value"] == pytest.approx(41 * (41 / 44) ** (2 / 3), rel=1e-12)
    assert row["projected_meets"] is True
    # needed from 2023 on: (40 / 41) ** (1/2) - 1
    assert row["needed_rate"] == pytest.approx((40 / 41) ** 0.5 - 1, rel=1e-12)
    assert (row["status_zh"], row["status_en"]) == progress.STATUS_LABELS[progress.ON_TRACK]
    assert (row["baseline_value"], row["baseline_year"], row["latest_value"], row["latest_year"]) == (
        44,
        2020,
        41,
        2023,
    )
    assert json.loads(row["values"]) == {"2020": 44.0, "2021": 43.0, "2022": 42.0, "2023": 41.0}


@pytest.mark.parametrize(
    ("last", "status"),
    [
        (42.0, progress.ACCELERATION_NEEDED),  # R = 0.815
        (43.5, progress.LIMITED_PROGRESS),  # R = 0.201
        (46.0, progress.DETERIORATION),  # R < 0
        (39.0, progress.ACHIEVED),  # below 40 already
    ],
)
def test_pm25_each_status(plan, last: float, status: str) -> None:
    row = one(plan, pm25((2020, 44), (2023, last)), "air-pm25-2025")
    assert row["status"] == status
    if status != progress.ACHIEVED:
        observed = (last / 44) ** (1 / 3) - 1
        assert row["ratio"] == pytest.approx(-observed / abs(REQUIRED), rel=1e-12)


def test_pm25_deteriorating_series_projection_misses(plan) -> None:
    row = one(plan, pm25((2020, 44), (2021, 45), (2022, 46)), "air-pm25-2025")
    assert row["status"] == progress.DETERIORATION
    assert row["projected_meets"] is False
    assert row["projected_value"] > 46


def test_single_value_is_not_assessable(plan) -> None:
    row = one(plan, pm25((2020, 44)), "air-pm25-2025")
    assert row["status"] == progress.NOT_ASSESSABLE
    empty = one(plan, pm25(), "air-pm25-2025")
    assert empty["status"] == progress.NOT_ASSESSABLE
    assert "no value stored" in empty["note"]


def test_baseline_from_data_or_plan(plan) -> None:
    values = pm25((2020, 47), (2023, 42))
    data = one(plan, values, "air-pm25-2025")
    stated = one(plan, values, "air-pm25-2025", baseline_from="plan")
    # data: base 47 (the series' own), plan: base 44 (the plan's figure)
    assert data["baseline_value"] == 47 and stated["baseline_value"] == 44
    assert data["baseline_plan"] == 44
    assert "the plan states 44" in data["note"]
    req_data = (40 / 47) ** (1 / 5) - 1
    assert data["ratio"] == pytest.approx(-((42 / 47) ** (1 / 3) - 1) / abs(req_data), rel=1e-12)
    assert stated["ratio"] == pytest.approx(-((42 / 44) ** (1 / 3) - 1) / abs(REQUIRED), rel=1e-12)


def test_as_of_year(plan) -> None:
    values = pm25((2020, 44), (2021, 45), (2022, 42), (2023, 41))
    assert one(plan, values, "air-pm25-2025", as_of=2021)["status"] == progress.DETERIORATION
    assert one(plan, values, "air-pm25-2025", as_of=2023)["status"] == progress.ON_TRACK


def test_group_reduction_target(plan) -> None:
    values = frame([("air.pm25_mean", "group:jjj-4", y, v) for y, v in ((2020, 50), (2021, 47), (2022, 45))])
    row = one(plan, values, "air-pm25-jjj4-2025")
    # 20 % below the group's own 2020 value: 40
    assert row["target_resolved"] == pytest.approx(40.0)
    observed = (45 / 50) ** (1 / 2) - 1
    required = (40 / 50) ** (1 / 5) - 1
    assert row["ratio"] == pytest.approx(-observed / abs(required), rel=1e-12)
    assert row["status"] == progress.ON_TRACK


def test_pass_fail_all_meet(plan) -> None:
    # the seven rivers: stored under the canonical scope of the alias rivers:seven
    target = "ecoflow-seven-rivers-2025"
    six = frame([("ecoflow.rivers_meeting", "group:seven-rivers", 2024, 6)])
    seven = frame([("ecoflow.rivers_meeting", "group:seven-rivers", 2025, 7)])
    assert st.all_meet_value(plan, plan.target(target)) == 7
    row = one(plan, six, target)
    # the row shows the stored count and what "all" means, not True/False
    assert (row["status"], row["latest_value"], row["target_resolved"]) == (progress.NOT_ACHIEVED, 6, 7)
    assert one(plan, seven, target)["status"] == progress.ACHIEVED


def test_zero_target(plan) -> None:
    values = frame([("water.worse_than_v_count", "province", y, 0) for y in (2020, 2021)])
    assert one(plan, values, "water-worse-than-v-2025")["status"] == progress.ACHIEVED
    worse = frame(
        [("water.worse_than_v_count", "province", 2020, 0), ("water.worse_than_v_count", "province", 2022, 2)]
    )
    assert one(plan, worse, "water-worse-than-v-2025")["status"] == progress.DETERIORATION


def test_per_member_target_shows_worst_member(plan) -> None:
    rows = [
        ("water.lake_class", "lake:硝池滩", 2020, 5),
        ("water.lake_class", "lake:硝池滩", 2022, 5),
        ("water.lake_class", "lake:鸭子滩", 2022, 4),
        ("water.lake_class", "lake:汤里滩", 2020, 6),
        ("water.lake_class", "lake:汤里滩", 2022, 6),
    ]
    row = one(plan, frame(rows), "lake-yanhu-flats-class-2025")
    # 硝池滩, 鸭子滩 achieved (<= V); 汤里滩 stays at 劣V (R = 0: limited progress); 北门滩 no data
    assert row["status"] == progress.LIMITED_PROGRESS
    assert row["latest_value"] == 6
    assert "汤里滩" in row["note"] and "北门滩" in row["note"]
    achieved = [r for r in rows if r[1] != "lake:汤里滩"] + [("water.lake_class", "lake:北门滩", 2022, 3)]
    others = one(plan, frame(achieved), "lake-yanhu-flats-class-2025")
    # three achieved and 汤里滩 without data: not all can be said to meet it
    assert others["status"] == progress.NOT_ASSESSABLE


def test_trigger_and_context(plan) -> None:
    rows = [("air.dustfall_max", f"city:{c}", 2023, 7.5, "reported") for c in plan.scopes.cities]
    rows[0] = ("air.dustfall_max", "city:太原市", 2023, 9.5, "reported")
    trig = one(plan, frame(rows), "air-dustfall-trigger")
    assert trig["status"] == st.TRIGGERED and trig["status_zh"] == "已触发"
    calm = one(plan, frame(rows[1:]), "air-dustfall-trigger")
    assert calm["status"] == st.NOT_TRIGGERED
    ctx = one(plan, frame([("eco.forest_cover", "province", 2020, 23.5, "reported")]), "forest-cover-2020")
    assert ctx["status"] == st.CONTEXT and ctx["latest_value"] == 23.5


def test_assigned_target_uses_trend(plan) -> None:
    values = frame([("waterres.water_use_per_gdp", "province", 2020, 30, "reported"),
                    ("waterres.water_use_per_gdp", "province", 2023, 27, "reported")])  # fmt: skip
    row = one(plan, values, "waterres-use-per-gdp-2025")
    # lower is better: growth = -((27/30)^(1/3) - 1) = 3.45 %/yr >= 1.5 %: on track
    assert row["status"] == progress.ON_TRACK
    assert "assigned" in row["note"]


def test_steady_target_notes_missed_years(plan) -> None:
    values = frame([("water.lake_class", "lake:漳泽湖", y, v) for y, v in ((2020, 4), (2021, 5), (2022, 4))])
    row = one(plan, values, "lake-zhangze-class-2025")
    assert row["status"] == progress.ACHIEVED
    assert "steady target missed in 2021" in row["note"]


def test_origin_preference(plan) -> None:
    values = frame(
        [
            ("air.pm25_mean", "province", 2020, 44, "computed"),
            ("air.pm25_mean", "province", 2023, 41, "computed"),
            ("air.pm25_mean", "province", 2020, 44, "reported"),
            ("air.pm25_mean", "province", 2023, 46, "reported"),
        ]
    )
    assert one(plan, values, "air-pm25-2025")["origin"] == "computed"
    rep = one(plan, values, "air-pm25-2025", prefer=["reported"])
    assert rep["origin"] == "reported" and rep["status"] == progress.DETERIORATION


def test_table_rollup_and_history_from_store(plan, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    try:
        rows = pm25((2020, 44), (2021, 45), (2022, 42), (2023, 41))
        rows = pd.concat([rows, frame([("eco.forest_cover", "province", 2023, 24.1, "reported")])])
        table = pa.Table.from_pandas(rows, preserve_index=False).cast(
            pa.schema([("indicator", pa.string()), ("scope", pa.string()), ("year", pa.int32()),
                       ("origin", pa.string()), ("value", pa.float64()), ("unit", pa.string()),
                       ("method", pa.string()), ("note", pa.string())])
        )  # fmt: skip
        with store.transaction():
            store.upsert("indicator_values", table, ingest_id=0, source="test")
        t = st.status_table(store, plan)
        assert t.num_rows == sum(x.role in ("target", "trigger") for x in plan.targets)
        assert t.column_names == st.STATUS_COLUMNS
        got = {r["id"]: r["status"] for r in t.to_pylist()}
        assert got["air-pm25-2025"] == progress.ON_TRACK
        # filters
        air = st.status_table(store, plan, category="air", scope="province")
        assert set(air.column("category").to_pylist()) == {"air"}
        basins = st.status_table(store, plan, scope="basin:")
        assert all(s.startswith("basin:") for s in basins.column("scope").to_pylist())
        seven = st.status_table(store, plan, scope="group:seven-rivers")
        assert "ecoflow-seven-rivers-2025" in seven.column("id").to_pylist()
        # roll-up: per category, counts add up
        roll = st.rollup_table(t, by=("category",)).to_pandas().set_index("category")
        assert roll.loc["air", progress.ON_TRACK] == 1
        assert roll["total"].sum() == sum(x.role == "target" for x in plan.targets)
        assert (roll[list(progress.STATUSES)].sum(axis=1) == roll["total"]).all()
        # history: the status at the end of each year with a value
        hist = st.status_history(store, plan, ids=["air-pm25-2025"]).to_pandas()
        assert hist[["latest_year", "status"]].values.tolist() == [
            [2021, progress.DETERIORATION],
            [2022, progress.ON_TRACK],
            [2023, progress.ON_TRACK],
        ]
    finally:
        store.close()
