"""Eco-flow warnings on hand-built flows whose thresholds are exact.

Every gauge flows at 10 m3/s over 2001-2003, except low stretches that are
paid back by high stretches of the same length in the same year, so that every
annual mean, and the multi-year mean, is exactly 10 m3/s: the plan's
thresholds are 1 m3/s (non-flood, 10 %) and 2 m3/s (flood, June-September, 20 %).
"""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from ecoplan.alerts import ecoflow as ef
from ecoplan.alerts import store as ws
from ecoplan.store import Store


def series(*changes: tuple[str, str, float]) -> pd.Series:
    s = pd.Series(10.0, index=pd.date_range("2001-01-01", "2003-12-31", freq="D"))
    for first, last, value in changes:
        s[pd.Timestamp(first) : pd.Timestamp(last)] = value
    return s


GAUGES = {
    # 15 days at 0.5 in February (non-flood), paid back at 19.5; 3 days at 1.5 in July (flood), paid back at 18.5
    "G1": series(
        ("2003-02-10", "2003-02-24", 0.5),
        ("2003-03-10", "2003-03-24", 19.5),
        ("2003-07-01", "2003-07-03", 1.5),
        ("2003-08-01", "2003-08-03", 18.5),
    ),
    # the last three days low: the warning is still active at the latest data
    "G2": series(("2003-12-01", "2003-12-03", 19.5), ("2003-12-29", "2003-12-31", 0.5)),
    # a low stretch broken by a missing day: two runs
    "G3": series(("2003-04-01", "2003-04-06", 0.5), ("2003-05-01", "2003-05-06", 19.5)),
}


@pytest.fixture
def flows(tmp_path) -> Store:
    store = Store(tmp_path / "f.duckdb")
    frames = []
    for code, s in GAUGES.items():
        s = s.drop(pd.Timestamp("2003-04-03")) if code == "G3" else s
        frames.append(pd.DataFrame({"gauge": code, "date": s.index.date, "discharge": s.to_numpy(float)}))
    # G3 without April 3: its 2003 mean is (5 * 0.5 + 6 * 19.5 + 353 * 10) / 364 = 10.03 m3/s, so its
    # threshold is about 1.003 m3/s and the low days stay far below it
    flows = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    gauges = pa.Table.from_pylist(
        [
            {"code": "G1", "name": "甲站", "river": "甲河"},
            {"code": "G2", "name": "乙站", "river": "乙河"},
            {"code": "G3", "name": "丙站", "river": "乙河"},
        ]
    )
    with store.transaction():
        store.upsert("flows", flows, ingest_id=0, source="test")
        store.upsert("gauges", gauges, ingest_id=0, source="test")
    yield store
    store.close()


def by_key(found: list[dict]) -> dict[tuple, dict]:
    return {(w["scope"], w["rule"], w["start_time"].date()): w for w in found}


def test_daily_and_window_warnings(flows: Store) -> None:
    found = ef.ecoflow_warnings(flows.ibis, since=dt.date(2003, 1, 1))
    w = by_key(found)
    D = dt.date
    # G1, daily: 15 days below 1 m3/s (Feb 10-24) and 3 flood days below 2 m3/s (Jul 1-3)
    feb = w[("gauge:G1", ef.DAILY_RULE, D(2003, 2, 10))]
    assert feb["end_time"] == dt.datetime(2003, 2, 25)
    assert feb["evidence"]["days"] == 15
    assert feb["evidence"]["min_flow"] == 0.5
    assert feb["evidence"]["threshold_min"] == pytest.approx(1.0)
    assert feb["level"] == "yellow" and feb["active"] is False
    assert len(feb["evidence"]["values"]) == 15
    jul = w[("gauge:G1", ef.DAILY_RULE, D(2003, 7, 1))]
    assert jul["evidence"]["days"] == 3 and jul["evidence"]["threshold_min"] == pytest.approx(2.0)
    # G1, 7-day mean: below 1 only when all 7 days are low (a window with one day at 10 has 13/7 = 1.86):
    # the windows ending Feb 16-24, 9 days; July's 3 days never make a low 7-day mean (1.5*3 + 40)/7 > 2
    win = w[("gauge:G1", ef.WINDOW_RULE, D(2003, 2, 16))]
    assert win["evidence"]["days"] == 9 and win["level"] == "orange"
    assert not any(k[0] == "gauge:G1" and k[1] == ef.WINDOW_RULE and k[2].month == 7 for k in w)
    # G2: the last three days are low and are the latest data: active
    dec = w[("gauge:G2", ef.DAILY_RULE, D(2003, 12, 29))]
    assert dec["active"] is True and dec["evidence"]["days"] == 3
    assert "仍未恢复" in dec["message_zh"] and "乙河" in dec["message_zh"]
    # G3: the missing day of April 3 ends the run: April 1-2 and April 4-6
    assert w[("gauge:G3", ef.DAILY_RULE, D(2003, 4, 1))]["evidence"]["days"] == 2
    assert w[("gauge:G3", ef.DAILY_RULE, D(2003, 4, 4))]["evidence"]["days"] == 3
    assert len([k for k in w if k[1] == ef.DAILY_RULE]) == 5


def test_merge_gap_and_min_days(flows: Store) -> None:
    rules = copy.deepcopy(ws.load_alert_rules())
    rules["ecoflow"]["merge_gap_days"] = 200
    rules["ecoflow"]["daily"]["min_days"] = 1
    found = ef.ecoflow_warnings(flows.ibis, rules=rules, since=dt.date(2003, 1, 1), gauges=["G1"])
    daily = [w for w in found if w["rule"] == ef.DAILY_RULE]
    # Feb 10-24 and Jul 1-3 are 126 days apart: one warning of 18 days from two runs
    assert len(daily) == 1
    assert daily[0]["evidence"]["days"] == 18 and daily[0]["evidence"]["runs_merged"] == 2
    rules["ecoflow"]["merge_gap_days"] = 0
    rules["ecoflow"]["daily"]["min_days"] = 4
    found = ef.ecoflow_warnings(flows.ibis, rules=rules, since=dt.date(2003, 1, 1), gauges=["G1"])
    assert [w["evidence"]["days"] for w in found if w["rule"] == ef.DAILY_RULE] == [15]


def test_since_and_idempotent_saving(flows: Store) -> None:
    assert ef.ecoflow_warnings(flows.ibis, since=dt.date(2003, 12, 1), gauges=["G1"]) == []
    found = ef.ecoflow_warnings(flows.ibis, since=dt.date(2003, 1, 1))
    families = [("ecoflow", r) for r in ef.RULES]
    first = ws.save_warnings(flows, found, families=families)
    again = ws.save_warnings(
        flows, ef.ecoflow_warnings(flows.ibis, since=dt.date(2003, 1, 1)), families=families
    )
    assert first["inserted"] == len(found) and again == {
        "inserted": 0,
        "updated": 0,
        "unchanged": len(found),
        "retired": 0,
    }
    assert flows.count("warnings") == len(found)
