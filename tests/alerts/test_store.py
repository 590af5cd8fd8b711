"""Warnings in the store: identity, idempotent saving, updates, retiring; heavy-pollution grading reused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from ecoplan.alerts import pollution
from ecoplan.alerts import store as ws
from ecoplan.store import Store

T0 = dt.datetime(2024, 1, 10, 8)


def warning(
    level: str = "yellow", end: dt.datetime | None = None, active: bool = True, scope: str = "city:太原市"
):
    return ws.make_warning(
        kind="heavy_pollution",
        rule="observed_aqi",
        level=level,
        scope=scope,
        scope_type="city",
        start=T0,
        end=end or T0 + dt.timedelta(hours=50),
        active=active,
        evidence={"max_aqi": 260, "values": [1, 2]},
        message_zh="测试",
        message_en="test",
    )


def test_warning_id_is_deterministic() -> None:
    a = ws.warning_id("ecoflow", "daily_below_threshold", "gauge:G1", dt.datetime(2024, 2, 1))
    assert a == ws.warning_id("ecoflow", "daily_below_threshold", "gauge:G1", "2024-02-01T00:00:00")
    assert a != ws.warning_id("ecoflow", "daily_below_threshold", "gauge:G1", dt.datetime(2024, 2, 2))
    assert a != ws.warning_id("ecoflow", "window_below_threshold", "gauge:G1", dt.datetime(2024, 2, 1))
    assert a != ws.warning_id("ecoflow", "daily_below_threshold", "gauge:G2", dt.datetime(2024, 2, 1))
    # the level is not part of the identity: an episode that grows keeps its row
    assert warning("yellow")["warning_id"] == warning("orange")["warning_id"]
    with pytest.raises(ValueError, match="unknown warning level"):
        warning("purple")
    with pytest.raises(ValueError, match="unknown warning kind"):
        ws.make_warning(kind="noise", rule="r", level="yellow", scope="s", scope_type="t", start=T0, end=T0,
                        active=True, evidence={}, message_zh="", message_en="")  # fmt: skip


def rows(store: Store) -> list[tuple]:
    return store.con.execute(
        "SELECT warning_id, level, end_time, active, evidence, raised_at, updated_at FROM warnings ORDER BY ALL"
    ).fetchall()


def test_save_twice_changes_nothing(store: Store) -> None:
    w = [warning(), warning(scope="city:大同市")]
    first = ws.save_warnings(store, w, now=dt.datetime(2024, 1, 12))
    assert first == {"inserted": 2, "updated": 0, "unchanged": 0, "retired": 0}
    before = rows(store)
    second = ws.save_warnings(store, w, now=dt.datetime(2024, 1, 13))
    assert second == {"inserted": 0, "updated": 0, "unchanged": 2, "retired": 0}
    assert rows(store) == before
    assert json.loads(before[0][4])["max_aqi"] == 260


def test_last_bit_noise_is_not_a_change(store: Store) -> None:
    # parallel sums may differ in the last bits from run to run: that is not an update
    a = warning()
    a["evidence"] = {"threshold": 0.1 + 0.2, "values": [{"flow": 1 / 3}]}
    b = warning()
    b["evidence"] = {"threshold": 0.3, "values": [{"flow": 0.3333333333333333 + 1e-16}]}
    ws.save_warnings(store, [a])
    assert ws.save_warnings(store, [b])["unchanged"] == 1


def test_update_keeps_raised_at(store: Store) -> None:
    ws.save_warnings(store, [warning()], now=dt.datetime(2024, 1, 12))
    grown = warning("orange", end=T0 + dt.timedelta(hours=80), active=False)
    counts = ws.save_warnings(store, [grown], now=dt.datetime(2024, 1, 14))
    assert counts["updated"] == 1
    (r,) = rows(store)
    assert r[1] == "orange" and r[2] == T0 + dt.timedelta(hours=80) and r[3] is False
    assert r[5] == dt.datetime(2024, 1, 12) and r[6] == dt.datetime(2024, 1, 14)


def test_retire_only_the_families_evaluated(store: Store) -> None:
    ws.save_warnings(store, [warning(), warning(scope="city:大同市")], now=dt.datetime(2024, 1, 12))
    # a later run finds only 太原市's episode: 大同市's is made inactive, with a note; nothing deleted
    counts = ws.save_warnings(
        store, [warning()], families=[("heavy_pollution", "observed_aqi")], now=dt.datetime(2024, 1, 15)
    )
    assert counts == {"inserted": 0, "updated": 0, "unchanged": 1, "retired": 1}
    t = ws.read_warnings(store).to_pandas().set_index("scope")
    assert bool(t.loc["city:大同市", "active"]) is False
    assert "no longer raise" in json.loads(t.loc["city:大同市", "evidence"])["retired"]["why"]
    assert bool(t.loc["city:太原市", "active"]) is True
    # another family does not touch them
    again = ws.save_warnings(store, [], families=[("ecoflow", "daily_below_threshold")])
    assert again["retired"] == 0
    assert ws.read_warnings(store, active=True).num_rows == 1
    assert ws.read_warnings(store, kinds=["ecoflow"]).num_rows == 0


def test_rules_file_overrides(tmp_path: Path) -> None:
    base = ws.load_alert_rules()
    assert base["ecoflow"]["window_days"] == 7
    f = tmp_path / "rules.toml"
    f.write_text('[ecoflow]\nwindow_days = 5\n[ecoflow.daily]\nlevel = "orange"\n', encoding="utf-8")
    r = ws.load_alert_rules(f)
    assert r["ecoflow"]["window_days"] == 5 and r["ecoflow"]["daily"]["level"] == "orange"
    assert r["ecoflow"]["window"]["level"] == base["ecoflow"]["window"]["level"]  # kept
    f.write_text('[ecoflow.daily]\nlevel = "purple"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown warning level 'purple'"):
        ws.load_alert_rules(f)


# ---------------------------------------------------------------------------
# heavy pollution: the pollution module's grading, reused


FORECAST = pd.DataFrame(
    {
        "城市": ["太原市"] * 5 + ["临汾市"] * 6,
        "日期": [f"2026-12-0{d}" for d in range(1, 6)] + [f"2026-12-0{d}" for d in range(1, 7)],
        "AQI": [180, 230, 260, 245, 150, 210, 320, 350, 310, 220, 120],
    }
)


def test_forecast_warnings_reuse_the_grading() -> None:
    episodes, found = ws.forecast_warnings(FORECAST)
    direct = pollution.heavy_pollution_episodes(daily=FORECAST)
    assert [(e.city, e.level, e.start, e.end) for e in episodes] == [
        (e.city, e.level, e.start, e.end) for e in direct
    ]
    by_city = {w["scope"]: w for w in found}
    # 太原市: 230, 260, 245 -> 72 hours above 200 -> orange (HJ guidance as in heavy_pollution.toml)
    assert by_city["city:太原市"]["level"] == "orange"
    # 临汾市: 5 days above 200 (120 h) with 3 above 300 (72 h) -> red
    assert by_city["city:临汾市"]["level"] == "red"
    assert by_city["city:临汾市"]["rule"] == "forecast_aqi"
    assert by_city["city:临汾市"]["active"] is True  # the forecast ends without 36 clean hours
    assert "红色预警" in by_city["city:临汾市"]["message_zh"]


def _hourly_store(path: Path) -> Store:
    """One station of 甲市: PM2.5 20 ug/m3, then 96 hours at 200 from 2021-01-04 01:00, then 20 again."""
    store = Store(path)
    hours = pd.date_range("2021-01-01 01:00", "2021-01-12 00:00", freq="h")
    high = (hours >= pd.Timestamp("2021-01-04 01:00")) & (hours <= pd.Timestamp("2021-01-08 00:00"))
    values = [200.0 if h else 20.0 for h in high]
    obs = pa.table(
        {"site": ["A1"] * len(hours), "time": pa.array(hours.to_pydatetime(), pa.timestamp("us")),
         "parameter": ["PM2.5"] * len(hours), "value": values, "unit": ["ug/m3"] * len(hours)}
    )  # fmt: skip
    sites = pa.table({"code": ["A1"], "name": ["甲站"], "city": ["甲市"], "is_background": [False]})
    with store.transaction():
        store.upsert("sites", sites, ingest_id=0, source="test")
        store.upsert("observations", obs, ingest_id=0, source="test")
    return store


def test_observed_heavy_pollution_from_the_store(tmp_path: Path) -> None:
    store = _hourly_store(tmp_path / "h.duckdb")
    try:
        found = ws.heavy_pollution_warnings(store.ibis, since=dt.date(2021, 1, 1))
        ws.save_warnings(store, found, families=[("heavy_pollution", "observed_aqi")])
        ws.save_warnings(store, ws.heavy_pollution_warnings(store.ibis, since=dt.date(2021, 1, 1)),
                         families=[("heavy_pollution", "observed_aqi")])  # fmt: skip
        stored = ws.read_warnings(store).to_pylist()
    finally:
        store.close()
    # hourly AQI: PM2.5 200 -> 200 + 50 * 100 / 100 = 250; 20 -> 20 * 50 / 35 = 28.6 -> 29.
    # Day AQI (mean of 24 hours) > 200 once 19 of the 24 hours are at 250 (250 k + 29 (24 - k) > 4800,
    # k >= 19) and until 5 hours after the stretch (221 i < 1200): 96 - 18 + 5 = 83 hours -> orange.
    assert len(found) == 1
    w = found[0]
    assert w["level"] == "orange"
    assert w["start_time"] == dt.datetime(2021, 1, 4, 18)
    assert w["end_time"] == dt.datetime(2021, 1, 8, 5)
    assert w["evidence"]["duration_hours"] == 83
    assert w["evidence"]["max_aqi"] == 250
    assert w["active"] is False  # lifted: the data go on clean for more than 36 hours
    assert len(stored) == 1  # saved twice, stored once
