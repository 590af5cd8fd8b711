"""AQI at every breakpoint of each pollutant and edition, and the edition rules.

Expected breakpoints are transcribed here independently from HJ 633-2012
Table 1 and the HJ 633-2026 breakpoint table (as listed with certainty marks
in the project's standards notes), so that a wrong table file fails these
tests. Expected IAQIs come from the formula of HJ 633-2012 5.1 / 2026 4.2.6,
rounded up, computed by a plain-Python reference below.
"""

from __future__ import annotations

import datetime as dt
import math

import ibis
import pyarrow as pa
import pytest

from ecoplan.air.aqi import add_aqi, iaqi
from ecoplan.standards import StandardError, aqi_edition_for, aqi_table

IAQI = [0, 50, 100, 150, 200, 300, 400, 500]
HJ633_2012 = {
    "SO2_24h": [0, 50, 150, 475, 800, 1600, 2100, 2620],
    "SO2_1h": [0, 150, 500, 650, 800],
    "NO2_24h": [0, 40, 80, 180, 280, 565, 750, 940],
    "NO2_1h": [0, 100, 200, 700, 1200, 2340, 3090, 3840],
    "PM10_24h": [0, 50, 150, 250, 350, 420, 500, 600],
    "CO_24h": [0, 2, 4, 14, 24, 36, 48, 60],
    "CO_1h": [0, 5, 10, 35, 60, 90, 120, 150],
    "O3_1h": [0, 160, 200, 300, 400, 800, 1000, 1200],
    "O3_8h": [0, 100, 160, 215, 265, 800],
    "PM2_5_24h": [0, 35, 75, 115, 150, 250, 350, 500],
}
HJ633_2026 = HJ633_2012 | {
    "PM10_24h": [0, 50, 120, 250, 350, 420, 500, 600],
    "PM2_5_24h": [0, 35, 60, 115, 150, 250, 350, 500],
}
EXPECTED = {"2012": HJ633_2012, "2026": HJ633_2026}
CON = ibis.duckdb.connect()


def ref_iaqi(c: float | None, bps: list[float]) -> int | None:
    """Plain-Python IAQI: NULL/negative -> None, above the top -> 500, else linear rounded up."""
    if c is None or c < 0:
        return None
    if c > bps[-1]:
        return 500
    for i in range(len(bps) - 1):
        lo, hi = bps[i], bps[i + 1]
        if c <= hi:
            exact = (IAQI[i + 1] - IAQI[i]) / (hi - lo) * (c - lo) + IAQI[i]
            return math.ceil(round(exact, 6))
    raise AssertionError


def engine(values: list[float | None], row) -> list[int | None]:
    t = ibis.memtable(pa.table({"c": pa.array(values, pa.float64())}))
    return CON.to_pyarrow(t.select(v=iaqi(t.c, row)))["v"].to_pylist()


@pytest.mark.parametrize("edition", ["2012", "2026"])
@pytest.mark.parametrize("item", sorted(HJ633_2012))
def test_table_file_matches_the_standard(edition: str, item: str) -> None:
    row = aqi_table(edition).row(item)
    assert list(row.values) == EXPECTED[edition][item]
    assert list(row.iaqi) == IAQI[: len(row.values)]


@pytest.mark.parametrize("edition", ["2012", "2026"])
@pytest.mark.parametrize("item", sorted(HJ633_2012))
def test_iaqi_on_just_above_and_beyond_each_breakpoint(edition: str, item: str) -> None:
    bps = EXPECTED[edition][item]
    row = aqi_table(edition).row(item)
    cases: list[float | None] = []
    for b in bps:
        cases += [float(b), b + 0.1, b + 1.0]
    cases += [None, -1.0, -0.1, bps[-1] * 2]
    got = engine(cases, row)
    want = [ref_iaqi(c, bps) for c in cases]
    assert got == want
    # on a breakpoint the IAQI is exactly the table's value
    assert engine([float(b) for b in bps], row) == IAQI[: len(bps)]


@pytest.mark.parametrize("edition", ["2012", "2026"])
def test_iaqi_every_tenth_up_to_beyond_the_top(edition: str) -> None:
    """Every 0.1 step from 0 to 10% beyond each row's top (the platform gives CO to 0.1 mg/m3,
    the other pollutants in whole ug/m3) equals the plain-Python IAQI of HJ 633 clause 6."""
    for item, bps in EXPECTED[edition].items():
        values = [k / 10 for k in range(int(bps[-1] * 11) + 1)]
        assert engine(values, aqi_table(edition).row(item)) == [ref_iaqi(c, bps) for c in values], item


def test_worked_examples() -> None:
    """Hand computations (HJ 633-2012 5.1): PM2.5 = 80 -> 100 + 50/40*5 = 106.25 -> 107."""
    t12, t26 = aqi_table("2012"), aqi_table("2026")
    assert engine([80.0], t12.row("PM2_5_24h")) == [107]
    # 2026: 60..115 -> 100..150: 80 -> 100 + 50/55*20 = 118.18 -> 119
    assert engine([80.0], t26.row("PM2_5_24h")) == [119]
    # CO 1 h 12.3 mg/m3: 100 + 50/25*2.3 = 104.6 -> 105
    assert engine([12.3], t12.row("CO_1h")) == [105]
    # PM10 2026: 130 -> 100 + 50/130*10 = 103.85 -> 104
    assert engine([130.0], t26.row("PM10_24h")) == [104]


def test_editions_by_date() -> None:
    assert aqi_edition_for(dt.date(2019, 6, 1)) == "2012"
    assert aqi_edition_for(dt.date(2026, 2, 28)) == "2012"
    assert aqi_edition_for(dt.date(2026, 3, 1)) == "2026"
    with pytest.raises(StandardError):
        aqi_table("2099")


def hourly_frame(**cols) -> ibis.Table:
    n = len(next(iter(cols.values())))
    base = {c: [None] * n for c in ("so2", "no2", "pm10", "co", "o3", "pm2_5")}
    base.update(cols)
    data = {k: pa.array(v, pa.float64()) for k, v in base.items() if k != "time"}
    data["time"] = pa.array(cols.get("time", [dt.datetime(2019, 6, 1, 12)] * n), pa.timestamp("us"))
    return ibis.memtable(pa.table(data))


def run_hourly(t: ibis.Table, **kw) -> list[dict]:
    out = add_aqi(t, report="hourly", day=lambda x: (x.time - ibis.interval(hours=1)).date(), **kw)
    return CON.to_pyarrow(out).to_pylist()


def test_hourly_so2_above_800_platform_and_2012_text() -> None:
    t = hourly_frame(so2=[801.0, 900.0], so2_24h=[300.0, None], pm2_5=[10.0, 10.0])
    platform = run_hourly(t)
    assert [r["iaqi_so2"] for r in platform] == [200, 200]
    text = run_hourly(t, so2_rule="text", so2_24h="so2_24h")
    # SO2 24 h 300 on 150..475 -> 100..150: 100 + 50/325*150 = 123.08 -> 124; no 24 h mean: NULL
    assert [r["iaqi_so2"] for r in text] == [124, None]
    assert text[0]["aqi"] == 124 and text[0]["primary_pollutant"] == "SO2"


def test_hourly_2026_missing_pollutant_rule() -> None:
    """HJ 633-2026 5.3.1: a pollutant missing -> AQI published only when above 100."""
    when = [dt.datetime(2026, 6, 1, 12)] * 3
    t = hourly_frame(
        time=when,
        pm2_5=[50.0, 120.0, 50.0],
        so2=[5.0, 5.0, 5.0],
        no2=[10.0, 10.0, 10.0],
        pm10=[None, None, 40.0],
        co=[0.5, 0.5, 0.5],
        o3=[50.0, 50.0, 50.0],
    )
    rows = run_hourly(t)
    assert rows[0]["aqi"] is None  # PM10 missing and the rest give 80 (<= 100)
    assert rows[1]["aqi"] == 158  # 2026 PM2.5 115..150 -> 150..200: 150 + 50/35*5 = 157.14 -> 158
    assert rows[2]["aqi"] == 80  # complete: PM2.5 50 -> 50 + 50/25*15 = 80


def test_primary_pollutants_ties_and_threshold() -> None:
    # PM2.5 75 -> 100 and PM10 150 -> 100 (2012): both primary
    t = hourly_frame(pm2_5=[75.0, 20.0], pm10=[150.0, 30.0])
    rows = run_hourly(t)
    assert rows[0]["aqi"] == 100
    assert set(rows[0]["primary_pollutant"].split(",")) == {"PM2.5", "PM10"}
    assert rows[0]["over_standard"] is None  # IAQI must exceed 100
    assert rows[1]["primary_pollutant"] is None  # AQI <= 50 has no primary pollutant
    assert rows[0]["level"] == 2 and rows[1]["level"] == 1


def test_levels_and_colours() -> None:
    t = aqi_table("2012")
    got = [(lv.level, lv.aqi_max, lv.category_zh, lv.colour) for lv in t.levels]
    assert got == [
        (1, 50, "优", "#00E400"),
        (2, 100, "良", "#FFFF00"),
        (3, 150, "轻度污染", "#FF7E00"),
        (4, 200, "中度污染", "#FF0000"),
        (5, 300, "重度污染", "#99004C"),
        (6, 500, "严重污染", "#7E0023"),
    ]
    assert aqi_table("2026").levels[0].aqi_min == 1


def daily_frame(day: dt.date, **cols) -> ibis.Table:
    n = len(next(iter(cols.values())))
    base = {c: [None] * n for c in ("so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm2_5")}
    base.update(cols)
    data = {k: pa.array(v, pa.float64()) for k, v in base.items()}
    data["date"] = pa.array([day] * n, pa.date32())
    return ibis.memtable(pa.table(data))


def test_daily_o3_8h_above_800_by_edition() -> None:
    """2012 note (3): O3 8 h above 800 uses the 1 h IAQI; 2026 note c: IAQI 300."""
    r12 = CON.to_pyarrow(
        add_aqi(
            daily_frame(dt.date(2019, 6, 1), o3_8h=[850.0], o3_1h=[900.0]),
            report="daily",
            day=lambda x: x.date,
        )
    ).to_pylist()[0]
    # O3 1 h 900: 300 + 100/200*100 = 350
    assert r12["iaqi_o3_8h"] == 350 and r12["aqi"] == 350
    r26 = CON.to_pyarrow(
        add_aqi(
            daily_frame(dt.date(2026, 6, 1), o3_8h=[850.0], o3_1h=[900.0]),
            report="daily",
            day=lambda x: x.date,
        )
    ).to_pylist()[0]
    assert r26["iaqi_o3_8h"] == 300
    assert r26["iaqi_o3_1h"] is None  # the 2026 daily report has no O3 1-hour item


def test_edition_switch_inside_one_table() -> None:
    days = [dt.date(2026, 2, 28), dt.date(2026, 3, 1)]
    t = ibis.memtable(
        pa.table(
            {
                "date": pa.array(days, pa.date32()),
                **{c: pa.array([1.0, 1.0], pa.float64()) for c in ("so2", "no2", "co", "o3_1h", "o3_8h")},
                "pm10": pa.array([1.0, 1.0], pa.float64()),
                "pm2_5": pa.array([70.0, 70.0], pa.float64()),
            }
        )
    )
    rows = CON.to_pyarrow(add_aqi(t, report="daily", day=lambda x: x.date)).to_pylist()
    # 2012: 35..75 -> 50..100: 93.75 -> 94; 2026: 60..115 -> 100..150: 109.09 -> 110
    assert [r["aqi"] for r in rows] == [94, 110]
    forced = CON.to_pyarrow(add_aqi(t, report="daily", day=lambda x: x.date, edition="2012")).to_pylist()
    assert [r["aqi"] for r in forced] == [94, 94]


def test_no_aqi_has_no_level() -> None:
    """A day or hour without any IAQI has neither AQI nor level (not the top level)."""
    t = hourly_frame(pm2_5=[None, 10.0])
    rows = run_hourly(t)
    assert [(r["aqi"], r["level"]) for r in rows] == [(None, None), (15, 1)]
