"""The O3 daily maximum 8-hour mean on hand-made days (HJ 663-2013).

Expected values are worked out by hand from the rule in
``../shared/STANDARDS.md`` (HJ 663, certainty [secondary]): the moving 8-hour
means whose windows end 08:00-24:00 of the natural day, each valid with at
least 6 of its 8 hourly values; the daily maximum needs 14 valid windows, or
stands when above the limit (160 ug/m3).
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from ecoplan.air import statistics as st

DAY = dt.datetime(2023, 6, 1)


def hours(values: dict[int, float]) -> pd.DataFrame:
    """Rows of station S1 for the day's hours (label k:00; 24 is next day 00:00)."""
    rows = []
    for k, v in values.items():
        rows.append(
            {"sid": "S1", "time": DAY + dt.timedelta(hours=k), "o3": v}
            | dict.fromkeys(["pm2_5", "pm10", "so2", "no2", "co"], 1.0)
        )
    return pd.DataFrame(rows)


def daily(frame: pd.DataFrame) -> dict:
    con = ibis.duckdb.connect()
    out = con.to_pyarrow(st.daily_values(ibis.memtable(frame))).to_pylist()
    assert len(out) == 1
    return out[0]


def test_first_windows_lack_hours_and_the_last_is_the_maximum() -> None:
    # hours 01-03 missing; O3 of hour k = 10 k
    got = daily(hours({k: 10.0 * k for k in range(4, 25)}))
    # window ending 08:00 has hours 04-08 only (5 < 6): invalid; ending 09:00
    # has 04-09 (6): valid. Valid windows: ending 09..24 = 16. The largest is
    # the one ending 24:00: hours 17-24, mean (170 + ... + 240) / 8 = 205.
    assert got["date"] == DAY.date()
    assert got["o3_8h"] == pytest.approx(205.0)
    assert got["n_o3_8h"] == 16


def test_window_ending_at_a_missing_hour_still_counts() -> None:
    values = {k: 10.0 * k for k in range(1, 24)}  # 24:00 (next day 00:00) missing
    got = daily(hours(values))
    # the window ending 24:00 holds hours 17-23 (7 values): mean 200, the largest
    assert got["o3_8h"] == pytest.approx(200.0)
    assert got["n_o3_8h"] == 17


def test_too_few_windows_unless_above_the_limit() -> None:
    low = daily(hours({k: 50.0 for k in range(1, 21)}))  # hours 21-24 missing
    # windows ending 08..22 have >= 6 values (ending 22: hours 15-20 = 6): 15 valid
    assert low["n_o3_8h"] == 15 and low["o3_8h"] == pytest.approx(50.0)
    fewer = daily(hours({k: 50.0 for k in range(1, 19)}))  # windows ending 08..20: 13
    assert fewer["n_o3_8h"] == 13 and fewer["o3_8h"] is None
    high = daily(hours({k: 180.0 for k in range(1, 19)}))
    # 180 > 160: the maximum stands with 13 valid windows
    assert high["n_o3_8h"] == 13 and high["o3_8h"] == pytest.approx(180.0)


def test_windows_reaching_outside_the_day_are_refused() -> None:
    rules = {"first_window_end_hour": 1, "last_window_end_hour": 24}
    with pytest.raises(ValueError, match="outside the natural day"):
        st._o3_8h_windows(rules)
    assert st._o3_8h_windows({"first_window_end_hour": 8, "last_window_end_hour": 24})[0] == range(1, 9)
