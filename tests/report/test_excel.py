"""The Excel report: sheets, headers, formats, and numbers equal to the API's for the same year.

Every table sheet is compared cell by cell with the endpoint the cover names
for it, called through the FastAPI test client on the same store: same rows
in the same order, every column. Integers, text, booleans and NULLs must be
identical; floats equal to 1e-9 relative (the report and the API run the
same expression separately, and DuckDB's parallel sums of unrounded means,
such as a lake's item means, may differ in the last bits between runs);
dates and times to the millisecond (Excel keeps times as fractions of days);
an empty text is an empty cell.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import parse_qsl, urlsplit

import pytest
from openpyxl import load_workbook

from ecoplan.report import TABLES
from ecoplan.report.excel import HEADER_ROWS, number_format, sheet_name, write_excel
from ecoplan.report.labels import column_label

from .conftest import YEAR


@pytest.fixture(scope="module")
def workbook(data, tmp_path_factory):
    path = write_excel(data, tmp_path_factory.mktemp("xlsx") / "report.xlsx", lang="zh")
    return load_workbook(path)


def _sheet_rows(ws) -> tuple[list[str], list[dict]]:
    fields = [c.value for c in ws[HEADER_ROWS]]
    rows = []
    for values in ws.iter_rows(min_row=HEADER_ROWS + 1, values_only=True):
        rows.append(dict(zip(fields, values, strict=True)))
    return fields, rows


def _api(client, source: str) -> list[dict]:
    parts = urlsplit(source)
    params = [*parse_qsl(parts.query), ("limit", "50000")]
    res = client.get(parts.path, params=params)
    assert res.status_code == 200, res.text
    return res.json()["items"]


def _same(cell, api, where: str) -> None:
    if api is None or api == "":  # Excel keeps no empty text: an empty cell
        assert cell is None, where
    elif isinstance(api, bool):
        assert cell is api, where
    elif isinstance(api, int):
        assert cell == api, where
    elif isinstance(api, float):
        assert isinstance(cell, int | float), where
        assert math.isclose(cell, api, rel_tol=1e-9, abs_tol=1e-12), (where, cell, api)
    elif isinstance(cell, dt.datetime):
        # the API writes dates and times as ISO text
        if len(api) == 10:
            assert cell.time() == dt.time() and cell.date().isoformat() == api, where
        else:
            assert abs(cell - dt.datetime.fromisoformat(api)) < dt.timedelta(milliseconds=1), where
    else:
        assert cell == api, (where, cell, api)


def test_sheets_and_cover(workbook, data):
    names = workbook.sheetnames
    assert names[0] == "封面" and names[-1] == "数据来源"
    assert names[1:-1] == [sheet_name(t, "zh") for t in TABLES]
    assert {"目标状态", "空气年度统计", "空气综合指数排名", "空气月度统计", "流域水质", "断面水质"} <= set(
        names
    )
    cover = [v for row in workbook["封面"].iter_rows(values_only=True) for v in row if v is not None]
    assert "生成数据,非监测数据" in cover  # the demo's store
    assert data.plan.id in cover and YEAR in cover
    assert any(isinstance(v, dt.datetime) for v in cover)  # generated at
    # the cover names the API query of every sheet
    for t in TABLES:
        assert data.source(t) in cover, t


def test_headers_frozen_and_widths(workbook, data):
    for t in TABLES:
        ws = workbook[sheet_name(t, "zh")]
        table = data.tables[t]
        fields = [c.value for c in ws[HEADER_ROWS]]
        assert sorted(fields) == sorted(table.column_names), t
        zh = [c.value for c in ws[1]]
        en = [c.value for c in ws[2]]
        assert zh == [column_label(f, "zh") for f in fields]
        assert en == [column_label(f, "en") for f in fields]
        assert ws.freeze_panes == f"B{HEADER_ROWS + 1}"
        assert ws.max_row == HEADER_ROWS + table.num_rows, t
        for i in range(1, len(fields) + 1):
            width = ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width
            assert 6 <= width <= 62
    ws = workbook["空气年度统计"]
    assert [c.value for c in ws[HEADER_ROWS]][:3] == ["city", "period", "pm2_5_mean"]
    assert ws["C1"].value == "PM2.5 年均值 (μg/m³)" and ws["C2"].value == "PM2.5 mean (μg/m³)"


def _format_of(ws, field: str) -> set[str]:
    fields = [c.value for c in ws[HEADER_ROWS]]
    j = fields.index(field) + 1
    return {
        ws.cell(row=i, column=j).number_format
        for i in range(HEADER_ROWS + 1, ws.max_row + 1)
        if ws.cell(row=i, column=j).value is not None
    }


def test_number_formats(workbook):
    annual = workbook["空气年度统计"]
    assert _format_of(annual, "pm2_5_mean") == {"0"}
    assert _format_of(annual, "o3_8h_p90") == {"0"}
    assert _format_of(annual, "co_p95") == {"0.0"}
    assert _format_of(annual, "good_ratio") == {"0.0%"}
    assert _format_of(annual, "composite_index") == {"0.00"}
    assert _format_of(annual, "period") == {"yyyy-mm-dd"}
    assert isinstance(annual.cell(row=HEADER_ROWS + 1, column=2).value, dt.datetime)
    water = workbook["流域水质"]
    assert _format_of(water, "share_I_III") == {'0.0"%"'}  # the API's percent figure, shown with a % sign
    assert _format_of(water, "n_I_III") == {"0"}
    flow = workbook["生态流量"]
    assert _format_of(flow, "compliance_rate") == {"0.0%"}
    assert _format_of(flow, "threshold") == {"0.000"}
    assert _format_of(flow, "start_date") == {"yyyy-mm-dd"}
    assert _format_of(workbook["湖库营养状态"], "tli") == {"0.0"}
    assert _format_of(workbook["入库记录"], "started_at") == {"yyyy-mm-dd hh:mm:ss"}
    assert _format_of(workbook["入库记录"], "rows_stored") == {"#,##0"}
    status = workbook["目标状态"]
    assert _format_of(status, "observed_rate") <= {"0.00%"}
    if workbook["年内预警"].max_row > HEADER_ROWS:
        assert _format_of(workbook["年内预警"], "start_time") == {"yyyy-mm-dd hh:mm"}


def test_number_format_rules():
    import pyarrow as pa

    assert number_format("air_monthly", "no2_p98_index", pa.float64()) == "0.00"
    assert number_format("air_monthly", "pm10_mean_exceed", pa.float64()) == "0.00"
    assert number_format("air_monthly", "level_5", pa.int64()) == "0"
    assert number_format("status", "latest_value", pa.float64()) is None  # units differ per row
    assert number_format("warnings_year", "evidence", pa.string()) is None


def test_every_sheet_equals_the_api(workbook, data, client):
    """Each sheet against ``GET <its query>`` on the same store: rows, order and every value."""
    lakes = set(data.tables["lakes"]["lake"].to_pylist())
    assert lakes, "the generated store has lakes"
    compared = {}
    for t in TABLES:
        _fields, rows = _sheet_rows(workbook[sheet_name(t, "zh")])
        api = _api(client, data.source(t))
        if t == "lake_classes":  # the lakes' rows of the river attainment
            api = [r for r in api if r["group"] in lakes]
        assert len(rows) == len(api), t
        for i, (row, ref) in enumerate(zip(rows, api, strict=True)):
            assert set(row) == set(ref), t
            for k, v in ref.items():
                _same(row[k], v, f"{t} row {i} {k}")
        compared[t] = len(rows)
    # the generated store fills every table but the ones that may be empty in January
    assert all(compared[t] for t in TABLES if not t.startswith("warnings")), compared


def test_named_figures_equal_the_api(workbook, client):
    """The figures people quote: each city's annual PM2.5, each basin's class counts, each target's status."""
    _f, annual = _sheet_rows(workbook["空气年度统计"])
    api = _api(client, f"/api/air/annual?year={YEAR}&by=city")
    assert {r["city"]: r["pm2_5_mean"] for r in annual} == {r["city"]: r["pm2_5_mean"] for r in api}
    _f, basins = _sheet_rows(workbook["流域水质"])
    api = _api(client, f"/api/water/attainment?by=basin&year={YEAR}")
    counts = ["n_sections", "n_I_III", "n_IV", "n_V", "n_worse_than_V"]
    assert {r["group"]: [r[c] for c in counts] for r in basins} == {
        r["group"]: [r[c] for c in counts] for r in api
    }
    _f, status = _sheet_rows(workbook["目标状态"])
    api = _api(client, f"/api/status?year={YEAR}")
    assert {r["id"]: (r["status"], r["latest_value"]) for r in status} == {
        r["id"]: (r["status"], r["latest_value"]) for r in api
    }


def test_english_workbook(data, tmp_path):
    wb = load_workbook(write_excel(data, tmp_path / "en.xlsx", lang="en"))
    assert wb.sheetnames[0] == "Cover" and "Air annual" in wb.sheetnames and "Provenance" in wb.sheetnames
    ws = wb["Air annual"]
    assert ws["C1"].value == "PM2.5 mean (μg/m³)" and ws["C2"].value == "PM2.5 年均值 (μg/m³)"
    cover = [v for row in wb["Cover"].iter_rows(values_only=True) for v in row if v is not None]
    assert "GENERATED DATA, NOT MEASUREMENTS" in cover


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    """A comparator "=" or a file name such as "=cmd|..." is written as text, never as a formula."""
    from openpyxl import Workbook

    from ecoplan.report.excel import _put

    wb = Workbook()
    ws = wb.active
    for i, text in enumerate(["=", "=1+1", '=HYPERLINK("x")', "plain"], 1):
        _put(ws, i, 1, text)
    wb.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx").active
    assert [back.cell(row=i, column=1).value for i in range(1, 5)] == [
        "=",
        "=1+1",
        '=HYPERLINK("x")',
        "plain",
    ]
    assert {back.cell(row=i, column=1).data_type for i in range(1, 5)} == {"s"}
