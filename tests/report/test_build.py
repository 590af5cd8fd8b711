"""What the report collects besides the API's tables: generated-data evidence, standards, labels, figures.

Editions in force (STANDARDS.md, from the standards' own texts): HJ 633-2012
and GB 3095-2012 until 2026-02-28, the 2026 editions from 2026-03-01; GB 3095-2026
has a transitional phase until 2030-12-31.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from ecoplan.plan import status as plan_status
from ecoplan.report import build, figures, format_for, labels
from ecoplan.report.build import generated_data_evidence, source_query, standards_used
from ecoplan.store import Store


@pytest.fixture
def empty(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        yield s


def test_no_evidence_in_a_store_of_measurements(empty, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "README.txt").write_text("Daily files of the monitoring centre.\n", encoding="utf-8")
    empty.log_ingest(1, domain="air", reader="cnemc-sites", file=str(folder / "day.csv"), status="ok")
    empty.con.execute(
        "INSERT INTO indicator_values VALUES ('eco.forest_cover', 'province', 2021, 'reported', 23.4, '%', "
        "'reported: statistical yearbook', NULL, 'yearbook.csv', 1)"
    )
    assert generated_data_evidence(empty.ibis) == []


def test_each_sign_of_generated_data(empty, tmp_path):
    data = tmp_path / "demo" / "data"
    (data / "air").mkdir(parents=True)
    # the README the demo writes beside its files (ecoplan.demo.run.GENERATED_NOTE)
    from ecoplan.demo.run import GENERATED_NOTE

    (data / "README.txt").write_text(GENERATED_NOTE, encoding="utf-8")
    empty.log_ingest(1, domain="air", reader="cnemc-sites", file=str(data / "air" / "d.csv"), status="ok")
    found = generated_data_evidence(empty.ibis)
    assert len(found) == 1 and str(data) in found[0]

    empty.con.execute(
        "INSERT INTO indicator_values VALUES ('eco.forest_cover', 'province', 2021, 'reported', 23.4, '%', "
        "'reported: GENERATED (ecoplan demo)', NULL, 'indicators.csv', 1)"
    )
    empty.con.execute("INSERT INTO meta VALUES ('generated_data', '1')")
    found = generated_data_evidence(empty.ibis)
    assert len(found) == 3
    assert any("meta.generated_data" in f for f in found)
    assert any("1 indicator values" in f for f in found)


def test_a_false_flag_is_no_evidence(empty):
    empty.con.execute("INSERT INTO meta VALUES ('demo', 'false')")
    assert generated_data_evidence(empty.ibis) == []


def test_standards_in_force_in_the_year():
    y2021 = {(s["standard"], s["edition"]) for s in standards_used(2021)}
    assert {("HJ 633", "2012"), ("GB 3095", "2012"), ("HJ 663", "2013"), ("GB 3838", "2002")} <= y2021
    assert ("HJ 633", "2026") not in y2021
    y2026 = standards_used(2026)
    hj633 = [s["edition"] for s in y2026 if s["standard"] == "HJ 633"]
    assert hj633 == ["2012", "2026"]  # January and February 2026 under the 2012 edition
    gb3095 = [s for s in y2026 if s["standard"] == "GB 3095"]
    assert [s["edition"] for s in gb3095] == ["2026"]  # the limits in force on 31 December
    assert gb3095[0]["phase"] == "transitional"  # until 2030-12-31
    assert [s["phase"] for s in standards_used(2031) if s["standard"] == "GB 3095"] == ["final"]
    for s in standards_used(2021):
        assert s["certainty"] in ("text", "data", "secondary", "choice"), s


def test_sources_name_the_api_queries():
    assert source_query("air_annual", 2024) == "/api/air/annual?year=2024&by=city"
    assert source_query("warnings_year", 2024) == "/api/warnings?history=true&start=2024-01-01&end=2024-12-31"
    assert source_query("ingest_log", 2024) == "/api/ingests"
    assert set(build.SOURCES) == set(build.TABLES)


def test_format_from_the_suffix():
    assert format_for("a/report.HTML") == "html"
    assert format_for("r.xlsx") == "xlsx"
    assert format_for("r.bin", "xlsx") == "xlsx"
    with pytest.raises(ValueError, match="cannot tell the format"):
        format_for("r.pdf")


@pytest.mark.parametrize(
    ("column", "zh", "en"),
    [
        ("pm2_5_mean", "PM2.5 年均值 (μg/m³)", "PM2.5 mean (μg/m³)"),
        ("co_p95", "CO 第95百分位数 (mg/m³)", "CO P95 (mg/m³)"),
        ("o3_8h_p90_index", "O₃-8h 第90百分位数 单项指数", "O₃-8h P90 index"),
        ("no2_p98_exceed", "NO₂ 第98百分位数 超标倍数", "NO₂ P98 exceedance"),
        ("n_pm10", "PM10 有效天数", "PM10 valid days"),
        ("valid_o3_8h", "O₃-8h 数据完整", "O₃-8h complete"),
        ("level_6", "AQI 6级天数", "AQI level 6 days"),
        ("n_IV", "IV类断面数", "Sections class IV"),
        ("on_track", *plan_status.labels("on_track")),  # the progress method's own labels
        ("unknown_column", "unknown_column", "unknown_column"),
    ],
)
def test_column_labels(column, zh, en):
    assert labels.column_label(column, "zh") == zh
    assert labels.column_label(column, "en") == en


def _monthly_rows():
    # two cities, three months of invented monthly statistics
    rows = []
    for city, pm, good in (
        ("太原市", (60.0, 45.0, None), (0.5, 0.8, 0.9)),
        ("大同市", (40.0, 30.0, 28.0), (0.9, 1.0, None)),
    ):
        for m in range(3):
            rows.append(
                {"city": city, "period": dt.date(2024, m + 1, 1), "pm2_5_mean": pm[m], "good_ratio": good[m]}
            )
    return pa.Table.from_pylist(rows)


def test_monthly_pollutant_lines():
    fig = figures.monthly_pollutant(_monthly_rows(), lang="en")
    assert [t.name for t in fig.data] == ["大同市", "太原市"]
    taiyuan = fig.data[1]
    assert list(taiyuan.x) == [1, 2, 3] and list(taiyuan.y) == [60.0, 45.0, None]
    assert list(fig.layout.xaxis.ticktext) == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
    assert fig.layout.yaxis.title.text == "PM2.5 mean (μg/m³)"


def test_monthly_good_ratio_grid():
    fig = figures.monthly_good_ratio(_monthly_rows(), lang="zh")
    hm = fig.data[0]
    assert list(hm.y) == ["大同市", "太原市"] and list(hm.x)[:3] == ["1月", "2月", "3月"]
    assert [list(r[:4]) for r in hm.z] == [[90.0, 100.0, None, None], [50.0, 80.0, 90.0, None]]
    assert (hm.zmin, hm.zmax) == (0, 100)
    with pytest.raises(ValueError, match="lang"):
        figures.monthly_good_ratio(_monthly_rows(), lang="fr")
