"""One small canonical file per reader family and the ways the same content arrives in practice.

Each family has a canonical CSV (UTF-8, LF, ISO times, Chinese headers where
its exports use them), the reader picker the command line uses, and a query
of what the store holds from it. Variants of the same content (another
encoding, CRLF, columns in another order, other time formats, Excel with a
merged title and header rows) must store exactly what the canonical file
stores. The values were invented for these tests.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecoplan.ingest import IngestSummary, ingest_files
from ecoplan.readers import air_reader_for
from ecoplan.readers import indicators as indicator_readers
from ecoplan.readers.flow import flow_reader_for
from ecoplan.readers.water import water_reader_for
from ecoplan.store import Store


@dataclass(frozen=True)
class Family:
    name: str
    domain: str
    header: list[str]
    rows: list[list[str]]
    query: str  # what the store holds from the file, ordered
    time_col: int | None = None  # a time column (date and hour, or a date)
    date_only: bool = False
    fixed_cols: int = 0  # leading columns that must stay in place (the site files' date,hour,type)
    excel: bool = True  # the reader takes Excel workbooks

    def reader_for(self) -> Callable:
        return PICKERS[self.domain]


PICKERS: dict[str, Callable] = {
    "air": air_reader_for,
    "water": lambda f, h: water_reader_for(f, h),
    "flow": lambda f, h: flow_reader_for(f, h),
    "plan": indicator_readers.reader_for(),
}

AIR_QUERY = "SELECT site, time, parameter, value FROM observations ORDER BY ALL"
WATER_QUERY = "SELECT section, time, item, value, unit, below_dl FROM water_samples ORDER BY ALL"

FAMILIES = [
    Family(
        "air daily site file",
        "air",
        ["date", "hour", "type", "1001A", "1002A", "1003A"],
        [
            ["20210102", "1", "PM2.5", "35", "41", "29"],
            ["20210102", "1", "PM10", "60", "72", "55"],
            ["20210102", "1", "CO", "0.8", "0.9", "1.1"],
            ["20210102", "2", "PM2.5", "38", "", "31"],
            ["20210102", "2", "NO2", "44", "47", "39"],
            ["20210102", "3", "O3", "12", "15", "18"],
        ],
        AIR_QUERY,
        fixed_cols=3,
        excel=False,
    ),
    Family(
        "air per-hour national file",
        "air",
        ["timepoint", "stationcode", "area", "positionname", "aqi", "pm2_5", "pm10", "co", "no2"],
        [
            ["2021-01-02 01:00:00", "1001A", "太原市", "尖草坪", "52", "35", "60", "0.8", "44"],
            ["2021-01-02 01:00:00", "1002A", "太原市", "涧河", "58", "41", "72", "0.9", "47"],
            ["2021-01-02 02:00:00", "1001A", "太原市", "尖草坪", "55", "38", "", "0.7", "45"],
        ],
        AIR_QUERY,
        time_col=0,
    ),
    Family(
        "air long table",
        "air",
        ["站点编码", "监测时间", "污染物", "浓度", "单位"],
        [
            ["1001A", "2021-01-02 01:00", "PM2.5", "35", "μg/m³"],
            ["1001A", "2021-01-02 01:00", "一氧化碳", "0.8", "mg/m3"],
            ["1002A", "2021-01-02 02:00", "二氧化氮", "41", "μg/m³"],
            ["1002A", "2021-01-02 03:00", "CO", "900", "μg/m³"],
        ],
        AIR_QUERY,
        time_col=1,
    ),
    Family(
        "air wide table",
        "air",
        ["站点编码", "城市", "时间", "PM2.5(μg/m³)", "PM10(μg/m³)", "一氧化碳(mg/m3)", "臭氧"],
        [
            ["1001A", "太原市", "2021-01-02 01:00", "35", "60", "0.8", "12"],
            ["1002A", "太原市", "2021-01-02 01:00", "41", "72", "0.9", ""],
            ["1001A", "太原市", "2021-01-02 02:00", "38", "", "0.7", "14"],
        ],
        AIR_QUERY,
        time_col=2,
    ),
    Family(
        "water long table",
        "water",
        ["断面编码", "采样时间", "监测项目", "监测值", "单位", "检出限"],
        [
            ["SX01", "2021-01-12 09:30", "pH", "7.8", "无量纲", ""],
            ["SX01", "2021-01-12 09:30", "溶解氧", "8.1", "mg/L", ""],
            ["SX01", "2021-01-12 09:30", "氨氮", "0.025L", "mg/L", "0.025"],
            ["SX02", "2021-01-13 10:00", "总磷", "60", "μg/L", ""],
        ],
        WATER_QUERY,
        time_col=1,
    ),
    Family(
        "water wide table",
        "water",
        ["断面编码", "采样时间", "pH", "溶解氧(mg/L)", "氨氮(mg/L)", "总磷(mg/L)"],
        [
            ["SX01", "2021-01-12 09:30", "7.8", "8.1", "0.52", "0.11"],
            ["SX02", "2021-01-13 10:00", "8.0", "9.2", "0.42", "0.06"],
        ],
        WATER_QUERY,
        time_col=1,
    ),
    Family(
        "water automatic-station export",
        "water",
        [
            "省份",
            "流域",
            "断面名称",
            "监测时间",
            "水质类别",
            "pH(无量纲)",
            "溶解氧(mg/L)",
            "氨氮(mg/L)",
            "总磷(mg/L)",
        ],
        [
            ["山西省", "黄河流域", "韩武村", "2021-02-04 12:00", "Ⅲ", "7.9", "9.0", "0.4", "0.12"],
            ["山西省", "海河流域", "册田水库出口", "2021-02-04 16:00", "Ⅱ", "8.1", "10.2", "0.2", "0.05"],
        ],
        WATER_QUERY,
        time_col=3,
    ),
    Family(
        "daily discharge",
        "flow",
        ["站码", "日期", "流量(m3/s)"],
        [["FH001", "2021-01-01", "12.5"], ["FH001", "2021-01-02", "0"], ["FH002", "2021-01-02", "3.75"]],
        "SELECT gauge, date, discharge FROM flows ORDER BY ALL",
        time_col=1,
        date_only=True,
    ),
    Family(
        "reported indicators",
        "plan",
        ["指标", "范围", "年份", "数值", "单位", "来源"],
        [
            ["森林覆盖率", "全省", "2021", "23.8", "%", "统计年鉴"],
            ["eco.forest_cover", "全省", "2022", "24.1", "%", "统计年鉴"],
        ],
        "SELECT indicator, scope, year, value, unit FROM indicator_values ORDER BY ALL",
    ),
]

BY_NAME = {f.name: f for f in FAMILIES}


# -- writing the same content in other ways -----------------------------------------------


def csv_text(header: list[str], rows: list[list[str]], newline: str = "\n") -> str:
    return newline.join(",".join(r) for r in [header, *rows]) + newline


def canonical(f: Family) -> bytes:
    return csv_text(f.header, f.rows).encode("utf-8")


def _times(f: Family, fmt: Callable[[dt.datetime], str]) -> list[list[str]]:
    rows = []
    for r in f.rows:
        r = list(r)
        if f.time_col is not None:
            r[f.time_col] = fmt(dt.datetime.fromisoformat(r[f.time_col]))
        rows.append(r)
    return rows


# time formats people use; each gives the same China Standard Time
DATETIME_FORMATS: dict[str, Callable[[dt.datetime], str]] = {
    "2019/1/1 1:00": lambda t: f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}",
    "2019-01-01T01:00+08:00": lambda t: t.strftime("%Y-%m-%dT%H:%M+08:00"),
    "2018-12-31T17:00Z (UTC)": lambda t: (t - dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%MZ"),
    "201901010100": lambda t: t.strftime("%Y%m%d%H%M"),
}
DATE_FORMATS: dict[str, Callable[[dt.datetime], str]] = {
    "20190101": lambda t: t.strftime("%Y%m%d"),
    "2019/1/1": lambda t: f"{t.year}/{t.month}/{t.day}",
    "2019-01-01T00:00+08:00": lambda t: t.strftime("%Y-%m-%dT00:00+08:00"),
}


def variants(f: Family) -> dict[str, tuple[str, bytes]]:
    """Name -> (file name, bytes) of the canonical content written another way."""
    text = csv_text(f.header, f.rows)
    out = {
        "UTF-8 with BOM": ("v.csv", b"\xef\xbb\xbf" + text.encode("utf-8")),
        "GB18030": ("v.csv", text.encode("gb18030")),
        "GBK": ("v.csv", text.replace("μ", "u").replace("³", "3").encode("gbk")),
        "CRLF": ("v.csv", csv_text(f.header, f.rows, "\r\n").encode("utf-8")),
        "trailing blank lines": ("v.csv", (text + "\n\n").encode("utf-8")),
    }
    # columns in another order (the site files' date,hour,type stay first)
    k = f.fixed_cols
    order = list(range(k)) + list(reversed(range(k, len(f.header))))
    out["columns reversed"] = (
        "v.csv",
        csv_text([f.header[i] for i in order], [[r[i] for i in order] for r in f.rows]).encode("utf-8"),
    )
    if f.time_col is not None:
        formats = DATE_FORMATS if f.date_only else DATETIME_FORMATS
        for name, fmt in formats.items():
            out[f"time as {name}"] = ("v.csv", csv_text(f.header, _times(f, fmt)).encode("utf-8"))
    if f.excel:
        out["Excel with a merged title row"] = ("v.xlsx", excel(f, title=True))
        out["Excel with merged two-row header"] = ("v.xlsx", excel(f, title=True, group=True))
    return out


def excel(f: Family, *, title: bool, group: bool = False) -> bytes:
    """The content as a workbook: a merged title over the table; with ``group``, a merged
    group title over the value columns and the other headers merged down over two rows."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    width = len(f.header)
    row = 1
    if title:
        ws.cell(row, 1, "监测数据导出（测试）")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        row = 2
    if group:
        # the first (identifying) columns merged over two rows, a group title over the rest
        ident = max(1, width // 2)
        for c in range(1, width + 1):
            if c <= ident:
                ws.cell(row, c, f.header[c - 1])
                ws.merge_cells(start_row=row, start_column=c, end_row=row + 1, end_column=c)
            else:
                ws.cell(row + 1, c, f.header[c - 1])
        ws.cell(row, ident + 1, "监测结果")
        if width > ident + 1:
            ws.merge_cells(start_row=row, start_column=ident + 1, end_row=row, end_column=width)
        row += 2
    else:
        for c, name in enumerate(f.header, start=1):
            ws.cell(row, c, name)
        row += 1
    for r in f.rows:
        for c, v in enumerate(r, start=1):
            ws.cell(row, c, _excel_value(v))
        row += 1
    sink = io.BytesIO()
    wb.save(sink)
    return sink.getvalue()


def _excel_value(v: str):
    if v == "":
        return None
    try:
        return int(v) if v.isdigit() and not v.startswith("0") and len(v) < 8 else float(v)
    except ValueError:
        return v


# -- ingesting and reading back ---------------------------------------------------------


def ingest_bytes(store: Store, folder: Path, f: Family, name: str, data: bytes) -> IngestSummary:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return ingest_files(store, [str(path)], f.reader_for(), domain=f.domain)


def stored(store: Store, f: Family) -> list[tuple]:
    return store.con.execute(f.query).fetchall()


TABLES_WRITTEN = (
    "air_hourly",
    "obs_values",
    "air_pub",
    "sites",
    "sections",
    "water_samples",
    "water_published",
    "gauges",
    "flows",
    "indicator_values",
    "obs_values_history",
)


def counts(store: Store) -> dict[str, int]:
    return {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES_WRITTEN}
