"""The figure builders of ecoplan.charts on hand-built tables.

Expected colours are those of the standards' table files: HJ 633-2012 Table 2
(excellent #00E400 ... severely polluted #7E0023) and the 2011 water method's
levels (I-II blue rgb(0,112,192), III green rgb(0,176,80), IV yellow, V orange
rgb(255,192,0), 劣V red); expected calendar positions are those of the
Gregorian calendar (1 January 2025 was a Wednesday, 2024 had 366 days).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
import pytest

from ecoplan import charts
from ecoplan.standards import aqi_table
from ecoplan.water import standard as water_standard

LEVEL_COLOURS = {1: "#00E400", 2: "#FFFF00", 3: "#FF7E00", 4: "#FF0000", 5: "#99004C", 6: "#7E0023"}


def _colour_at(scale, z: float, zmin: float, zmax: float) -> str:
    """The colour a discrete Plotly colour scale gives to ``z`` (stops in pairs)."""
    x = (z - zmin) / (zmax - zmin)
    for (lo, c1), (hi, c2) in zip(scale[0::2], scale[1::2], strict=True):
        if lo <= x <= hi:
            assert c1 == c2
            return c1
    raise AssertionError(f"{z} outside the scale")


def test_level_colours_come_from_the_table_file():
    assert {lv.level: lv.colour for lv in aqi_table("2012").levels} == LEVEL_COLOURS
    assert {lv.level: lv.colour for lv in charts.aqi_levels()} == LEVEL_COLOURS
    assert charts.aqi_level_colour(5) == "#99004C"
    assert charts.aqi_level_colour(None) is None


def test_calendar_cells_and_colours():
    rows = [
        # AQI on each level's bounds (HJ 633-2012 Table 2): 50 is excellent, 51 good, 300 heavy, 301 severe
        {"date": dt.date(2025, 1, 1), "aqi": 50, "level": 1, "primary_pollutant": None},
        {"date": dt.date(2025, 1, 2), "aqi": 51, "level": 2, "primary_pollutant": "PM10"},
        {"date": dt.date(2025, 3, 15), "aqi": 150, "level": 3, "primary_pollutant": "PM2.5"},
        {"date": dt.date(2025, 6, 30), "aqi": 200, "level": 4, "primary_pollutant": "O3_8h"},
        {"date": dt.date(2025, 11, 3), "aqi": 300, "level": 5, "primary_pollutant": "PM2.5"},
        {"date": dt.date(2025, 12, 31), "aqi": 301, "level": 6, "primary_pollutant": "PM2.5"},
        {"date": dt.date(2025, 12, 30), "aqi": None, "level": None, "primary_pollutant": None},
        {"date": dt.date(2024, 12, 31), "aqi": 80, "level": 2, "primary_pollutant": "PM2.5"},  # other year
    ]
    fig = charts.aqi_calendar(pa.Table.from_pylist(rows), year=2025, lang="en")
    hm = fig.data[0]
    assert hm.type == "heatmap"
    # 1 January 2025 was a Wednesday: first column, third row; 31 December a Wednesday in column 52
    assert charts.calendar_cell(dt.date(2025, 1, 1), 2025) == (0, 2)
    assert charts.calendar_cell(dt.date(2025, 12, 31), 2025) == (52, 2)
    assert len(hm.z[0]) == 53 and len(hm.z) == 7
    shown = 0
    for r in rows[:6]:
        col, row = charts.calendar_cell(r["date"], 2025)
        assert hm.text[row][col] == str(r["aqi"])
        custom = hm.customdata[row][col]
        assert custom[0] == r["date"].isoformat() and custom[1] == r["aqi"] and custom[2] == r["level"]
        assert custom[5] == LEVEL_COLOURS[r["level"]]
        assert _colour_at(hm.colorscale, hm.z[row][col], hm.zmin, hm.zmax) == LEVEL_COLOURS[r["level"]]
        shown += 1
    assert shown == 6
    col, row = charts.calendar_cell(dt.date(2025, 12, 30), 2025)
    assert hm.z[row][col] is None and hm.text[row][col] == ""
    # the day of 2024 is not drawn; nothing else either
    assert sum(v is not None for line in hm.z for v in line) == 6
    # days before 1 January in the first column stay empty
    assert hm.z[0][0] is None and hm.z[1][0] is None
    assert list(hm.colorbar.ticktext) == [lv.category_en for lv in aqi_table("2026").levels]


def test_calendar_of_a_leap_year_and_chinese_labels():
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(366)]
    rows = [{"date": d, "aqi": 40, "level": 1, "primary_pollutant": None} for d in days]
    fig = charts.aqi_calendar(rows, lang="zh", show_scale=False)  # year from the rows
    hm = fig.data[0]
    assert sum(v is not None for line in hm.z for v in line) == 366
    assert charts.calendar_cell(dt.date(2024, 12, 31), 2024) == (52, 1)  # a Tuesday
    assert list(fig.layout.yaxis.ticktext) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert fig.layout.xaxis.ticktext[0] == "1月" and hm.showscale is False


def test_class_colours_and_labels_from_the_method_file():
    colours = charts.class_colours()
    assert colours[2] == "#0070C0" and colours[3] == "#00B050" and colours[5] == "#FFC000"
    assert colours[6] == "#FF0000" and colours[4] == "#FFFF00"
    assert colours[1] not in (colours[2], colours[3])  # class I lighter than II (same level)
    assert charts.class_label(3, "zh") == "III类" and charts.class_label(6, "zh") == "劣V类"
    assert charts.class_label(3, "en") == "Class III" and charts.class_label(6, "en") == "Worse than V"


def test_class_bars_stack_to_the_section_counts():
    rows = [
        {"group": "汾河", "year": 2024, "n_sections": 5, "n_I": 0, "n_II": 1, "n_III": 2, "n_IV": 1, "n_V": 1, "n_worse_than_V": 0},
        {"group": "汾河", "year": 2025, "n_sections": 5, "n_I": 1, "n_II": 1, "n_III": 2, "n_IV": 0, "n_V": 0, "n_worse_than_V": 1},
        {"group": "沁河", "year": 2025, "n_sections": 3, "n_I": 0, "n_II": 3, "n_III": 0, "n_IV": 0, "n_V": 0, "n_worse_than_V": 0},
    ]  # fmt: skip
    fig = charts.class_bars_by_basin(pd.DataFrame(rows), order=["沁河", "汾河"], lang="en")
    assert [t.name for t in fig.data] == [charts.class_label(n, "en") for n in range(1, 7)]
    x = fig.data[0].x
    assert list(zip(x[0], x[1], strict=True)) == [("沁河", "2025"), ("汾河", "2024"), ("汾河", "2025")]
    totals = [sum(t.y[i] for t in fig.data) for i in range(3)]
    assert totals == [3, 5, 5]
    assert fig.data[5].y == (0, 0, 1) and fig.data[5].marker.color == "#FF0000"
    assert fig.layout.barmode == "stack"


def test_section_map_plots_coordinates_by_class():
    rows = [
        {"section": "A", "name": "甲", "lon": 112.5, "lat": 37.8, "class_n": 2, "river": "汾河", "basin": "汾河"},
        {"section": "B", "name": "乙", "lon": 111.0, "lat": 35.0, "class_n": 6, "river": "涑水河", "basin": "涑水河"},
        {"section": "C", "name": "丙", "lon": 113.0, "lat": 40.0, "class_n": None, "river": "桑干河", "basin": "桑干河"},
        {"section": "D", "name": "丁", "lon": None, "lat": 36.0, "class_n": 3, "river": "汾河", "basin": "汾河"},
    ]  # fmt: skip
    fig = charts.section_map(rows, lang="zh")
    assert [t.name for t in fig.data] == ["II类", "劣V类", "无评价"]
    assert sum(len(t.x) for t in fig.data) == 3  # D has no longitude
    assert fig.data[0].x == (112.5,) and fig.data[0].y == (37.8,)
    assert fig.data[1].marker.color == "#FF0000"
    mean_lat = (37.8 + 35.0 + 40.0) / 3
    assert fig.layout.yaxis.scaleratio == pytest.approx(1 / math.cos(math.radians(mean_lat)))
    assert all(t.type == "scatter" for t in fig.data)  # SVG, no map tiles, no WebGL


def test_target_series_lines():
    """Worked case: baseline 44 in 2020, target below 40 in 2025, values 42 (2023) and 41 (2024).

    Observed rate (41/44)^(1/4) - 1; required rate (40/44)^(1/5) - 1; the
    projection runs from 41 in 2024 to the projected value in 2025.
    """
    observed = (41 / 44) ** (1 / 4) - 1
    required = (40 / 44) ** (1 / 5) - 1
    status = {
        "unit": "ug/m3",
        "baseline_year": 2020,
        "baseline_value": 44.0,
        "baseline_plan": 44.0,
        "latest_year": 2024,
        "latest_value": 41.0,
        "target_resolved": 40.0,
        "target_year": 2025,
        "observed_rate": observed,
        "required_rate": required,
        "projected_value": 41 * (1 + observed),
        "projected_linear": 40.3,
    }
    fig = charts.target_series({"2023": 42.0, "2024": 41.0}, status, lang="en")
    by = {t.name: t for t in fig.data}
    assert by["Observed"].x == (2023, 2024) and by["Observed"].y == (42.0, 41.0)
    assert by["Baseline"].x == (2020,) and by["Baseline"].y == (44.0,)
    assert "Baseline in the plan" not in by  # the same figure as the data's
    assert by["Target"].x == (2020, 2025) and by["Target"].y == (40.0, 40.0)
    proj = by["Projection at the observed rate"]
    assert proj.x == (2024, 2025) and proj.y == (41.0, pytest.approx(41 * (1 + observed)))
    assert by["Linear-trend projection"].y == (40.3,)
    path = by["Path required to meet the target"]
    assert path.x[0] == 2020 and path.x[-1] == 2025
    assert path.y[0] == pytest.approx(44.0) and path.y[-1] == pytest.approx(40.0)


def test_target_series_without_target_or_projection():
    fig = charts.target_series(
        pa.table({"year": [2020, 2021], "value": [1.0, None]}),
        {"latest_year": 2025, "latest_value": 1.0, "target_year": 2025, "projected_value": 1.0},
        lang="zh",
    )
    assert [t.name for t in fig.data] == ["监测值"]
    assert fig.data[0].x == (2020,)


def test_tli_bars_by_trophic_class_with_bounds():
    rows = [
        {"lake": "漳泽湖", "year": 2025, "tli": 55.0, "trophic_en": "light eutrophic"},
        {"lake": "云竹湖", "year": 2025, "tli": 41.6, "trophic_en": "mesotrophic"},
        {"lake": "云竹湖", "year": 2024, "tli": None, "trophic_en": None},
    ]
    fig = charts.tli_bars(rows, lang="en")
    named = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in named] == ["mesotrophic", "light eutrophic"]
    assert named[0].y == (41.6,) and named[1].y == (55.0,)
    bounds = sorted(s.y0 for s in fig.layout.shapes)
    expected = [float(c["upper"]) for c in water_standard.tli_table()["classes"] if "upper" in c]
    assert bounds == sorted(expected) == [30.0, 50.0, 60.0, 70.0]


def test_ecoflow_bars_in_percent_grouped_by_river():
    rows = [
        {"gauge": "G1", "name": "甲站", "river": "汾河", "period": "year", "period_en": "year", "period_order": 0, "compliance_rate": 0.9},
        {"gauge": "G1", "name": "甲站", "river": "汾河", "period": "non_flood", "period_en": "non-flood season", "period_order": 1, "compliance_rate": 0.85},
        {"gauge": "G1", "name": "甲站", "river": "汾河", "period": "flood", "period_en": "flood season", "period_order": 2, "compliance_rate": 1.0},
        {"gauge": "G2", "name": "乙站", "river": "沁河", "period": "non_flood", "period_en": "non-flood season", "period_order": 1, "compliance_rate": None},
    ]  # fmt: skip
    fig = charts.ecoflow_compliance_bars(rows, lang="en")
    assert [t.name for t in fig.data] == ["non-flood season", "flood season"]
    assert list(fig.data[0].x[0]) == ["汾河", "沁河"] and list(fig.data[0].x[1]) == ["甲站", "乙站"]
    assert fig.data[0].y == (85.0, None) and fig.data[1].y == (100.0, None)
    assert fig.layout.shapes[0].y0 == 100
    every = charts.ecoflow_compliance_bars(rows, lang="en", periods=None)
    assert [t.name for t in every.data] == ["year", "non-flood season", "flood season"]


def test_ranking_from_rank_one_down():
    rows = [
        {"rank": 2, "city": "太原市", "composite_index": 4.71},
        {"rank": 1, "city": "大同市", "composite_index": 4.14},
        {"rank": None, "city": "朔州市", "composite_index": None},
    ]
    fig = charts.composite_index_ranking(rows)
    bar = fig.data[0]
    assert bar.y == ("1. 大同市", "2. 太原市") and bar.x == (4.14, 4.71)
    assert bar.text == ("4.14", "4.71")
    assert fig.layout.yaxis.autorange == "reversed"


def test_status_counts_leave_out_empty_categories():
    rows = [
        {"category": "air", "achieved": 1, "on_track": 0, "acceleration_needed": 0, "limited_progress": 2,
         "deterioration": 3, "not_achieved": 1, "not_assessable": 0, "total": 7},
        {"category": "waste", "achieved": 0, "on_track": 0, "acceleration_needed": 0, "limited_progress": 0,
         "deterioration": 0, "not_achieved": 0, "not_assessable": 0, "total": 0},
    ]  # fmt: skip
    fig = charts.status_counts(rows, category_names={"air": "大气环境"}, lang="zh")
    assert [t.name for t in fig.data] == ["已实现", "进展有限", "退步", "未实现"]
    assert all(t.y == ("大气环境",) for t in fig.data)
    assert [t.x[0] for t in fig.data] == [1, 2, 3, 1]
    assert fig.data[2].marker.color == charts.STATUS_COLOURS["deterioration"]


def test_inputs_arrow_pandas_and_rows_agree_and_lang_is_checked():
    rows = [{"rank": 1, "city": "大同市", "composite_index": 4.14}]
    a = charts.composite_index_ranking(pa.Table.from_pylist(rows)).to_plotly_json()
    b = charts.composite_index_ranking(pd.DataFrame(rows)).to_plotly_json()
    c = charts.composite_index_ranking(rows).to_plotly_json()
    assert a == b == c
    with pytest.raises(ValueError, match="lang"):
        charts.section_map([], lang="fr")
