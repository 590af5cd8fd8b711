"""The yearly report as an Excel workbook (openpyxl): a cover sheet and one sheet per table.

Each table sheet holds every row and column the API returns for the same
query (named on the cover and above nothing else: the cells are the API's
numbers, unrounded; only their display is formatted). Three header rows:
the column's name in the report's language, in the other language, and the
API's field name. The header rows and the first column are frozen.

Number formats (display only; the stored value is the API's):

- concentrations: ``0`` for μg/m³, ``0.0`` for CO (mg/m³), the reporting
  precision of the statistics;
- ratios and fractions (good-day ratio, compliance rate, missing share,
  annual rates of change): percent;
- shares the API gives in percent (``share_I_III`` ...): a number with a
  ``%`` sign (``0.0"%"``), so the cell still holds the API's value;
- indices: two decimals; flows [m³/s]: three decimals; TLI one decimal;
- dates as dates (``yyyy-mm-dd``), times as date-times.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from pathlib import Path
from typing import Any

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import labels as L
from .build import TABLES, ReportData

__all__ = ["HEADER_ROWS", "number_format", "sheet_name", "write_excel"]

#: Rows above the data: label (report language), label (other language), API field.
HEADER_ROWS = 3
MAX_CELL = 32767  # Excel's limit on a cell's text
MAX_WIDTH, MIN_WIDTH = 60, 6

DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
DATETIME_S = "yyyy-mm-dd hh:mm:ss"
PERCENT = "0.0%"
PERCENT_2 = "0.00%"
PERCENT_SIGN = '0.0"%"'
INT = "0"
COUNT = "#,##0"

_PERCENT_COLUMNS = {
    "good_ratio",
    "compliance_rate",
    "missing_share",
    "threshold_share",
    "observed_rate",
    "required_rate",
    "needed_rate",
}
_SHARE_COLUMNS = {"share_I_III", "share_IV", "share_V", "share_worse_than_V"}
_FLOW_COLUMNS = {
    "mean_flow",
    "reference_mean",
    "threshold",
    "threshold_non_flood",
    "threshold_flood",
    "min_7day_mean",
}
_TWO_DECIMALS = {"composite_index", "max_index", "ratio", "min_7day_ratio", "score"}
_LAKE_ITEMS = {"chla", "TP", "TN", "SD", "CODMn"}
_BIG_COUNTS = {"rows_read", "values_read", "rows_stored", "rows_replaced", "rows_unchanged", "size_bytes"}

_AIR_FIRST = (
    "city",
    "period",
    "pm2_5_mean",
    "pm2_5_p95",
    "pm10_mean",
    "pm10_p95",
    "so2_mean",
    "so2_p98",
    "no2_mean",
    "no2_p98",
    "co_p95",
    "o3_8h_p90",
    "good_ratio",
    "good_days",
    "days_aqi",
    "heavy_days",
    "composite_index",
)
#: Columns shown first on a sheet (the rest follow in the API's order).
LEADING: dict[str, tuple[str, ...]] = {
    "status": (
        "id",
        "category",
        "name_zh",
        "name_en",
        "scope",
        "unit",
        "baseline_value",
        "baseline_year",
        "latest_value",
        "latest_year",
        "comparator",
        "target_value",
        "target_year",
        "status",
        "status_zh",
        "status_en",
        "projected_value",
        "projected_meets",
    ),
    "air_annual": _AIR_FIRST,
    "air_monthly": _AIR_FIRST,
    "air_ranking": (
        "rank",
        "city",
        "composite_index",
        "max_index",
        "max_index_item",
        "valid",
        *_AIR_FIRST[1:],
    ),
    "ecoflow": (
        "river",
        "gauge",
        "name",
        "year",
        "period",
        "compliance_rate",
        "compliant_days",
        "shortfall_days",
    ),
}

HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
HEAD_FILL_2 = PatternFill("solid", fgColor="EEF3F8")
FIELD_FONT = Font(color="808080", italic=True, size=9)
THIN = Side(style="thin", color="B7C3D0")
WARN_FONT = Font(bold=True, color="C00000", size=14)


def sheet_name(table: str, lang: str) -> str:
    """The sheet of ``table`` (Excel allows 31 characters and no ``[]:*?/\\``)."""
    name = L.table_title(table, lang)
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:31]


def number_format(table: str, column: str, type_: pa.DataType) -> str | None:
    """The display format of a column (None: Excel's General)."""
    if pa.types.is_date(type_):
        return DATE
    if pa.types.is_timestamp(type_):
        if column == "period_start":
            return DATE
        return DATETIME_S if table == "ingest_log" else DATETIME
    if pa.types.is_boolean(type_) or pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return None
    parts = L.stat_parts(column)
    if parts is not None:
        pol, _stat, what = parts
        if what in ("index", "exceed"):
            return "0.00"
        decimals = L.reporting_decimals(pol)
        return "0." + "0" * decimals if decimals else INT
    if column in _PERCENT_COLUMNS:
        return PERCENT_2 if column.endswith("_rate") and table == "status" else PERCENT
    if column in _SHARE_COLUMNS:
        return PERCENT_SIGN
    if column in _FLOW_COLUMNS:
        return "0.000"
    if column in _TWO_DECIMALS:
        return "0.00"
    if column.startswith("tli"):
        return "0.0"
    if column in _LAKE_ITEMS:
        return "0.000"
    if pa.types.is_integer(type_):
        return COUNT if column in _BIG_COUNTS else INT
    return None


def _value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        return v if len(v) <= MAX_CELL else v[: MAX_CELL - 1] + "…"
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)
    if isinstance(v, dict | list):
        return str(v)
    return v


def _put(ws: Worksheet, row: int, column: int, value: Any):
    """Write a cell; text is always text (a value such as "=" or "=A1" from a data file is not a formula)."""
    v = _value(value)
    cell = ws.cell(row=row, column=column, value=v)
    if isinstance(v, str) and v.startswith("="):
        cell.data_type = "s"
    return cell


def _display_width(v: Any, fmt: str | None) -> int:
    if v is None:
        return 0
    if isinstance(v, dt.datetime):
        return 19 if fmt == DATETIME_S else (10 if fmt == DATE else 16)
    if isinstance(v, dt.date):
        return 10
    text = (f"{v:.3f}" if fmt is None else f"{v:.2f}") if isinstance(v, float) else str(v)
    text = text.split("\n", 1)[0]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def ordered_columns(table_key: str, columns: list[str]) -> list[str]:
    """The sheet's column order: :data:`LEADING` first, then the API's order."""
    first = [c for c in dict.fromkeys(LEADING.get(table_key, ())) if c in columns]
    return first + [c for c in columns if c not in first]


def _table_sheet(ws: Worksheet, table_key: str, table: pa.Table, lang: str) -> None:
    columns = ordered_columns(table_key, table.column_names)
    formats = [number_format(table_key, c, table.schema.field(c).type) for c in columns]
    widths = [0] * len(columns)
    for j, col in enumerate(columns, 1):
        top = ws.cell(row=1, column=j, value=L.column_label(col, lang))
        second = ws.cell(row=2, column=j, value=L.column_label(col, _other(lang)))
        field = ws.cell(row=3, column=j, value=col)
        top.font = Font(bold=True)
        top.fill = HEAD_FILL
        second.fill = HEAD_FILL_2
        field.font = FIELD_FONT
        for c in (top, second, field):
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.border = Border(bottom=THIN)
        widths[j - 1] = max(_display_width(top.value, None), _display_width(second.value, None), len(col))
    # the long headers wrap: columns are sized by their values first, headers up to a point
    widths = [min(w, 24) for w in widths]
    for i, row in enumerate(table.to_pylist(), HEADER_ROWS + 1):
        for j, col in enumerate(columns, 1):
            cell = _put(ws, i, j, row[col])
            v = cell.value
            if formats[j - 1] is not None and v is not None:
                cell.number_format = formats[j - 1]
            widths[j - 1] = max(widths[j - 1], _display_width(v, formats[j - 1]))
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = max(MIN_WIDTH, min(MAX_WIDTH, w + 2))
    ws.freeze_panes = ws.cell(row=HEADER_ROWS + 1, column=2)
    if table.num_rows:
        ws.auto_filter.ref = f"A{HEADER_ROWS}:{get_column_letter(len(columns))}{HEADER_ROWS + table.num_rows}"


def _rows_block(ws: Worksheet, start: int, title: str, headers: list[str], rows: list[list[Any]]) -> int:
    """A small titled table on a sheet from row ``start``; returns the next free row."""
    ws.cell(row=start, column=1, value=title).font = Font(bold=True, size=12)
    for j, h in enumerate(headers, 1):
        c = ws.cell(row=start + 1, column=j, value=h)
        c.font = Font(bold=True)
        c.fill = HEAD_FILL
    for i, r in enumerate(rows, start + 2):
        for j, v in enumerate(r, 1):
            cell = _put(ws, i, j, v)
            if isinstance(v, dt.datetime):
                cell.number_format = DATETIME
            elif isinstance(v, int) and not isinstance(v, bool):
                cell.number_format = COUNT
    return start + 2 + len(rows) + 1


def _cover(ws: Worksheet, data: ReportData, lang: str, sheets: dict[str, str]) -> None:
    plan = data.plan
    ws.cell(row=1, column=1, value=f"{L.text('title', lang)} {data.year}").font = Font(bold=True, size=16)
    ws.cell(row=2, column=1, value=plan.title.en if lang == "en" else plan.title.zh).font = Font(size=12)
    facts = [
        (L.text("plan", lang), plan.id),
        (L.text("year", lang), data.year),
        (L.text("store", lang), data.store or "–"),
        (L.text("generated_at", lang), data.generated_at),
    ]
    row = 4
    for k, v in facts:
        ws.cell(row=row, column=1, value=k).font = Font(bold=True)
        c = _put(ws, row, 2, v)
        if isinstance(v, dt.datetime):
            c.number_format = DATETIME
            c.alignment = Alignment(horizontal="left")
        elif isinstance(v, int):
            c.alignment = Alignment(horizontal="left")
        row += 1
    row += 1
    if data.is_generated:
        ws.cell(row=row, column=1, value=L.text("generated_title", lang)).font = WARN_FONT
        row += 1
        ws.cell(row=row, column=1, value=L.text("generated_text", lang)).font = Font(color="C00000")
        row += 1
        for e in data.generated:
            ws.cell(row=row, column=1, value=f"{L.text('generated_evidence', lang)}: {e}").font = Font(
                color="C00000", size=9
            )
            row += 1
        row += 1
    ws.cell(row=row, column=1, value=L.text("queries_text", lang)).font = Font(italic=True)
    row += 1
    rows = [
        [sheets[t], L.table_title(t, _other(lang)), data.source(t), data.tables[t].num_rows] for t in TABLES
    ]
    headers = [
        L.text("table", lang),
        L.text("table", _other(lang)),
        L.text("source", lang),
        L.text("values", lang),
    ]
    headers[3] = "rows" if lang == "en" else "行数"
    _rows_block(ws, row, L.text("contents", lang), headers, rows)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 10


def _provenance(ws: Worksheet, data: ReportData, lang: str) -> None:
    row = 1
    ingest_cols = [
        "domain",
        "reader",
        "files",
        "failed",
        "rows_read",
        "rows_stored",
        "rows_rejected",
        "first_ingest",
        "last_ingest",
    ]
    row = _rows_block(
        ws,
        row,
        L.text("ingest", lang),
        [L.text(c, lang) for c in ingest_cols],
        [[r[c] for c in ingest_cols] for r in data.ingest.to_pylist()],
    )
    reject_cols = ["domain", "reason", "values", "files", "example"]
    row = _rows_block(
        ws,
        row,
        L.text("rejects", lang),
        [L.text(c, lang) for c in reject_cols],
        [[r[c] for c in reject_cols] for r in data.rejects.to_pylist()],
    )
    std_cols = ["standard", "edition", "title", "title_en", "used_for", "certainty", "source"]
    heads = [
        L.text("standard", lang),
        L.text("edition", lang),
        L.text("title_col", lang),
        L.text("title_col", "en") + " (en)",
        L.text("used_for", lang),
        L.text("certainty", lang),
        L.column_label("source", lang),
    ]
    rows = []
    for s in data.standards:
        r = [s.get(c) for c in std_cols]
        if s.get("phase"):
            r[1] = f"{r[1]} ({s['phase']})"
        rows.append(r)
    _rows_block(ws, row, L.text("standards", lang), heads, rows)
    for col, w in zip("ABCDEFGHI", (22, 22, 40, 40, 40, 12, 60, 20, 20), strict=True):
        ws.column_dimensions[col].width = w


def build_workbook(data: ReportData, *, lang: str = "zh") -> Workbook:
    """The workbook of ``data``: cover, one sheet per table of :data:`~ecoplan.report.build.TABLES`, provenance."""
    L.check_lang(lang)
    wb = Workbook()
    cover = wb.active
    cover.title = "封面" if lang == "zh" else "Cover"
    sheets = {t: sheet_name(t, lang) for t in TABLES}
    if len(set(sheets.values())) != len(sheets):
        raise ValueError("two tables would share a sheet name")
    _cover(cover, data, lang, sheets)
    for t in TABLES:
        _table_sheet(wb.create_sheet(sheets[t]), t, data.tables[t], lang)
    _provenance(wb.create_sheet("数据来源" if lang == "zh" else "Provenance"), data, lang)
    wb.properties.title = f"{L.text('title', lang)} {data.year}"
    wb.properties.creator = "ecoplan"
    if data.is_generated:
        wb.properties.subject = L.text("generated_title", lang)
    return wb


def write_excel(data: ReportData, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the workbook to ``path`` (.xlsx)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(data, lang=lang).save(path)
    return path
