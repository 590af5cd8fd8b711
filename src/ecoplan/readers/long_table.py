"""Long tables (CSV, Parquet or Excel): one value per line.

Columns ``site, time, parameter, value`` and optionally ``unit`` (English or
Chinese headers: 站点/站点编码, 时间/监测时间, 参数/项目/污染物, 数值/浓度, 单位).
Without a unit column values are taken to be in the canonical unit (ug/m3,
CO mg/m3); with one, mg/m3 and ug/m3 are converted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import air_values
from .base import ReadError, ReadResult, Rejects, normalise_header
from .tables import read_table

NAME = "long"

COLUMNS = {
    "site": [
        "site",
        "station",
        "stationcode",
        "station_code",
        "code",
        "站点",
        "站点编码",
        "监测点位",
        "监测点编码",
        "点位编码",
        "站点代码",
    ],
    "time": ["time", "datetime", "timepoint", "timestamp", "时间", "监测时间", "日期时间"],
    "parameter": ["parameter", "pollutant", "item", "param", "参数", "项目", "监测项目", "污染物"],
    "value": ["value", "concentration", "conc", "数值", "浓度", "值", "监测值"],
    "unit": ["unit", "units", "单位"],
}


def find_columns(header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for col in header:
        key = normalise_header(col)
        for canon, aliases in COLUMNS.items():
            if key in aliases and canon not in found:
                found[canon] = col
    return found


def matches(header: list[str]) -> bool:
    return {"site", "time", "parameter", "value"} <= set(find_columns(header))


def read(path: str | Path, data: bytes, *, stations: set[str] | None = None) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    found = find_columns(list(frame.columns))
    missing = [c for c in ("site", "time", "parameter", "value") if c not in found]
    if missing:
        raise ReadError(
            file,
            f"a long table needs columns site, time, parameter, value; missing {', '.join(missing)}",
            line=1,
        )
    rejects = Rejects()
    first = frame.attrs.get("first_line", 2)
    lines = np.arange(first, first + len(frame), dtype=np.int64)
    unit = frame[found["unit"]].to_numpy(dtype=object) if "unit" in found else None
    table, _kept = air_values.observations(
        lines=lines,
        site=frame[found["site"]].to_numpy(dtype=object),
        time=frame[found["time"]].to_numpy(dtype=object),
        parameter=frame[found["parameter"]].to_numpy(dtype=object),
        value=frame[found["value"]].to_numpy(dtype=object),
        unit=unit,
        site_column=found["site"],
        time_column=found["time"],
        parameter_column=found["parameter"],
        value_column=found["value"],
        unit_column=found.get("unit"),
        stations=stations,
        rejects=rejects,
    )
    tables = {"observations": table}
    if stations is None and table.num_rows:
        codes = sorted(set(table.column("site").to_pylist()))
        import pyarrow as pa

        tables["sites"] = pa.table({"code": codes, "kind": ["air"] * len(codes)})
    times = table.column("time")
    return ReadResult(
        file=file,
        reader=NAME,
        domain="air",
        tables=tables,
        rejects=rejects,
        rows_read=len(frame),
        values_read=int(frame[found["value"]].notna().sum()),
        time_range=(times.to_numpy().min(), times.to_numpy().max()) if table.num_rows else None,
    )
