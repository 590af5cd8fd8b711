"""Wide tables (CSV, Excel or Parquet): one line per station and time, one column per pollutant.

Headers in English or Chinese, with or without units: ``PM2.5``, ``细颗粒物``,
``PM2.5(μg/m³)``, ``一氧化碳(mg/m3)``. The time is one column (时间, time) or a
date and an hour column (日期 + 小时). Optional ``AQI`` / 空气质量指数 and
``首要污染物`` columns are kept as published values; station name and city
columns fill the station table. Any other column is reported once as a reject
naming how many values it held, so nothing is dropped unseen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import air_values
from .base import (
    ReadError,
    ReadResult,
    Rejects,
    air_parameter,
    normalise_header,
    parse_times,
    split_header_unit,
    to_numbers,
)
from .tables import read_table

NAME = "wide"

SITE = [
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
    "监测点位编码",
]
TIME = ["time", "datetime", "timepoint", "timestamp", "时间", "监测时间", "日期时间"]
DATE = ["date", "日期", "监测日期"]
HOUR = ["hour", "小时", "时段", "时"]
NAME_COLS = ["name", "station_name", "positionname", "站点名称", "监测点名称", "点位名称"]
CITY = ["city", "area", "城市", "所属城市"]
AQI = ["aqi", "空气质量指数"]
PRIMARY = ["primarypollutant", "primary_pollutant", "primary pollutant", "首要污染物"]


def _pick(header: list[str], aliases: list[str]) -> str | None:
    for col in header:
        if split_header_unit(col)[0] in aliases or normalise_header(col) in aliases:
            return col
    return None


def matches(header: list[str]) -> bool:
    has_time = _pick(header, TIME) or _pick(header, DATE)
    return bool(_pick(header, SITE) and has_time and any(air_parameter(h) for h in header))


def read(path: str | Path, data: bytes, *, stations: set[str] | None = None) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    header = [str(c) for c in frame.columns]
    site_col = _pick(header, SITE)
    time_col = _pick(header, TIME)
    date_col = _pick(header, DATE) if time_col is None else None
    hour_col = _pick(header, HOUR) if date_col else None
    if site_col is None or (time_col is None and date_col is None):
        raise ReadError(
            file, "a wide table needs a station column (站点编码/site) and a time column (时间/time)", line=1
        )
    param_cols = {c: air_parameter(c) for c in header if air_parameter(c)}
    if not param_cols:
        raise ReadError(
            file, "no pollutant columns (PM2.5, PM10, SO2, NO2, O3, CO or their Chinese names)", line=1
        )
    seen: dict[str, str] = {}
    for col, p in param_cols.items():
        if p in seen:
            raise ReadError(file, f"columns {seen[p]!r} and {col!r} both hold {p}", line=1)
        seen[p] = col

    rejects = Rejects()
    first = frame.attrs.get("first_line", 2)
    n = len(frame)
    lines = np.arange(first, first + n, dtype=np.int64)
    if time_col is not None:
        time_raw = frame[time_col].to_numpy(dtype=object)
        time_name = time_col
    else:
        day, bad_day = parse_times(frame[date_col].to_numpy(dtype=object))
        time_raw = day.to_numpy(dtype=object)
        time_name = date_col
        if hour_col is not None:
            hours, _, _bad_h = to_numbers(frame[hour_col].to_numpy(dtype=object))
            valid_h = np.isfinite(hours) & (hours >= 0) & (hours <= 24) & (hours == np.floor(hours))
            shifted = [
                (pd.Timestamp(d) + pd.Timedelta(hours=int(h)))
                if (d is not None and not pd.isna(d) and v)
                else None
                for d, h, v in zip(time_raw, hours, valid_h, strict=True)
            ]
            for i in np.flatnonzero(~valid_h & ~bad_day):
                rejects.add(lines[i], hour_col, frame[hour_col].iloc[i], "hour must be an integer 0-24")
            time_raw = np.array(shifted, dtype=object)
            time_name = f"{date_col}+{hour_col}"
    units = {c: split_header_unit(c)[1] for c in param_cols}

    site_raw = frame[site_col].to_numpy(dtype=object)
    cells_site, cells_time, cells_param, cells_value, cells_unit, cells_line, cells_col = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    for col, p in param_cols.items():
        cells_site.append(site_raw)
        cells_time.append(time_raw)
        cells_param.append(np.full(n, p, dtype=object))
        cells_value.append(frame[col].to_numpy(dtype=object))
        cells_unit.append(np.full(n, units[col], dtype=object))
        cells_line.append(lines)
        cells_col.append(np.full(n, col, dtype=object))
    table, _ = air_values.observations(
        lines=np.concatenate(cells_line),
        site=np.concatenate(cells_site),
        time=np.concatenate(cells_time),
        parameter=np.concatenate(cells_param),
        value=np.concatenate(cells_value),
        unit=np.concatenate(cells_unit),
        site_column=site_col,
        time_column=time_name,
        parameter_column=np.concatenate(cells_col),
        value_column=np.concatenate(cells_col),
        unit_column=None,
        stations=stations,
        rejects=rejects,
    )
    tables: dict[str, pa.Table] = {"observations": table}

    aqi_col, prim_col = _pick(header, AQI), _pick(header, PRIMARY)
    name_col, city_col = _pick(header, NAME_COLS), _pick(header, CITY)
    used = {site_col, time_col, date_col, hour_col, aqi_col, prim_col, name_col, city_col, *param_cols}
    for col in header:
        if col not in used:
            count = int(frame[col].notna().sum())
            if count:
                rejects.add(
                    first - 1, col, f"{count} values", "column not recognised; its values are not stored"
                )

    codes = air_values.clean_codes(site_raw)
    times, _bad_t = parse_times(time_raw)
    times = times.to_numpy(dtype="datetime64[us]")
    row_ok = np.array([c is not None for c in codes], dtype=bool) & ~np.isnat(times)
    if stations is not None:
        row_ok &= np.isin(codes.astype(str), list(stations))
    if aqi_col or prim_col:
        aqi = np.full(n, np.nan)
        if aqi_col:
            aqi, _, bad = to_numbers(frame[aqi_col].to_numpy(dtype=object))
            bad_or_neg = row_ok & (bad | (aqi < 0))
            rejects.add(
                lines[bad_or_neg],
                aqi_col,
                frame[aqi_col].to_numpy(dtype=object)[bad_or_neg],
                "AQI must be a non-negative number",
            )
            aqi[bad_or_neg] = np.nan
        prim = frame[prim_col].to_numpy(dtype=object) if prim_col else np.full(n, None, dtype=object)
        has = row_ok & (~np.isnan(aqi) | np.array([p is not None for p in prim], dtype=bool))
        pub = pd.DataFrame(
            {"site": codes[has], "time": times[has], "aqi": aqi[has], "primary_pollutant": prim[has]}
        )
        pub = pub.drop_duplicates(["site", "time"], keep="last")
        tables["air_published"] = pa.table(
            {
                "site": pa.array(pub["site"].astype(str), pa.string()),
                "time": pa.array(pub["time"].to_numpy(dtype="datetime64[us]"), pa.timestamp("us")),
                "aqi": pa.array(pub["aqi"].to_numpy(), pa.float64(), mask=pub["aqi"].isna().to_numpy()),
                "primary_pollutant": pa.array(
                    [None if p is None else str(p) for p in pub["primary_pollutant"]], pa.string()
                ),
            }
        )
    if stations is None or name_col or city_col:
        meta = pd.DataFrame({"code": codes[row_ok]})
        if name_col:
            meta["name"] = frame[name_col].to_numpy(dtype=object)[row_ok]
        if city_col:
            meta["city"] = frame[city_col].to_numpy(dtype=object)[row_ok]
        meta = meta.drop_duplicates("code", keep="last")
        meta["kind"] = "air"
        tables["sites"] = pa.Table.from_pandas(
            meta.astype(object).where(meta.notna(), None), preserve_index=False
        )
    return ReadResult(
        file=file,
        reader=NAME,
        domain="air",
        tables=tables,
        rejects=rejects,
        rows_read=n,
        values_read=int(sum(frame[c].notna().sum() for c in param_cols)),
    )
