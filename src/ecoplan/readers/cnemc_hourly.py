"""The national platform's per-hour file: one line per station for one hour.

Columns ``timepoint, stationcode, longitude, latitude, area, positionname,
primarypollutant, aqi, pm10, pm10_24h, pm2_5, pm2_5_24h, o3, o3_24h, o3_8h,
o3_8h_24h, no2, no2_24h, so2, so2_24h, co, co_24h`` (ug/m3, CO mg/m3). The
1-hour columns become observations; ``aqi``, ``primarypollutant`` and the
platform's moving means are published values; station, area (city), name and
coordinates fill the station table. ``timepoint`` labels the end of the hour.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import air_values
from .base import ReadError, ReadResult, Rejects, normalise_header, parse_times, to_numbers
from .tables import read_table

NAME = "cnemc-hourly"

OBSERVED = {"pm2_5": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "o3": "O3", "co": "CO"}
PUBLISHED = ["aqi", "pm2_5_24h", "pm10_24h", "so2_24h", "no2_24h", "o3_24h", "o3_8h", "o3_8h_24h", "co_24h"]
REQUIRED = ["timepoint", "stationcode"]


def matches(header: list[str]) -> bool:
    names = {normalise_header(h) for h in header}
    return set(REQUIRED) <= names and "pm2_5" in names


def read(path: str | Path, data: bytes, *, stations: set[str] | None = None) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    frame.columns = [normalise_header(c) for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ReadError(file, f"missing columns: {', '.join(missing)}", line=1)
    rejects = Rejects()
    first = frame.attrs.get("first_line", 2)
    n = len(frame)
    lines = np.arange(first, first + n, dtype=np.int64)
    present = [c for c in OBSERVED if c in frame.columns]
    if not present:
        raise ReadError(file, "no concentration columns (pm2_5, pm10, so2, no2, o3, co)", line=1)
    site_raw = frame["stationcode"].to_numpy(dtype=object)
    time_raw = frame["timepoint"].to_numpy(dtype=object)
    table, _ = air_values.observations(
        lines=np.tile(lines, len(present)),
        site=np.tile(site_raw, len(present)),
        time=np.tile(time_raw, len(present)),
        parameter=np.repeat(np.array([OBSERVED[c] for c in present], dtype=object), n),
        value=np.concatenate([frame[c].to_numpy(dtype=object) for c in present]),
        unit=None,
        site_column="stationcode",
        time_column="timepoint",
        parameter_column=np.repeat(np.array(present, dtype=object), n),
        value_column=np.repeat(np.array(present, dtype=object), n),
        unit_column=None,
        stations=stations,
        rejects=rejects,
    )
    tables: dict[str, pa.Table] = {"observations": table}

    codes = air_values.clean_codes(site_raw)
    times, _ = parse_times(time_raw)
    times = times.to_numpy(dtype="datetime64[us]")
    row_ok = np.array([c is not None for c in codes], dtype=bool) & ~np.isnat(times)
    if stations is not None:
        row_ok &= np.isin(codes.astype(str), list(stations))
    pub = {"site": codes[row_ok], "time": times[row_ok]}
    for col in PUBLISHED:
        if col in frame.columns:
            nums, _, bad = to_numbers(frame[col].to_numpy(dtype=object))
            wrong = row_ok & (bad | (nums < 0))
            rejects.add(
                lines[wrong], col, frame[col].to_numpy(dtype=object)[wrong], "not a non-negative number"
            )
            nums[wrong] = np.nan
            pub[col] = nums[row_ok]
    if "primarypollutant" in frame.columns:
        prim = frame["primarypollutant"].to_numpy(dtype=object)[row_ok]
        pub["primary_pollutant"] = np.array(
            [None if p in (None, "", "—", "-") else str(p) for p in prim], dtype=object
        )
    pub_frame = pd.DataFrame(pub).drop_duplicates(["site", "time"], keep="last")
    cols = {
        "site": pa.array(pub_frame["site"].astype(str), pa.string()),
        "time": pa.array(pub_frame["time"].to_numpy(dtype="datetime64[us]"), pa.timestamp("us")),
    }
    for col in pub_frame.columns[2:]:
        if col == "primary_pollutant":
            cols[col] = pa.array(pub_frame[col].tolist(), pa.string())
        else:
            v = pub_frame[col].to_numpy(dtype=float)
            cols[col] = pa.array(v, pa.float64(), mask=np.isnan(v))
    tables["air_published"] = pa.table(cols)

    meta = pd.DataFrame({"code": codes[row_ok]})
    for src, dst in (("positionname", "name"), ("area", "city")):
        if src in frame.columns:
            meta[dst] = [
                None if v is None else str(v).strip() or None
                for v in frame[src].to_numpy(dtype=object)[row_ok]
            ]
    for src, dst, lo, hi in (("latitude", "lat", -90, 90), ("longitude", "lon", -180, 180)):
        if src in frame.columns:
            nums, _, _ = to_numbers(frame[src].to_numpy(dtype=object))
            nums[(nums < lo) | (nums > hi)] = np.nan
            meta[dst] = nums[row_ok]
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
        values_read=int(sum(frame[c].notna().sum() for c in present)),
    )
