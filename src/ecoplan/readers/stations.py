"""Station lists (CSV or Excel): code, city, name, background flag, coordinates.

Headers in English or Chinese: ``code`` / 站点编码 / 监测点编码, ``city`` / 城市,
``name`` / 站点名称 / 监测点名称, ``background`` / 是否对照点 / 对照点,
``lat`` / 纬度, ``lon`` / 经度, ``province`` / 省份. A blank background flag
means unknown (NULL); 1/0, true/false, 是/否 and Y/N are understood.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .air_values import clean_codes
from .base import ReadError, ReadResult, Rejects, normalise_header, strip_cells, to_numbers
from .tables import read_table

NAME = "stations"

COLUMNS = {
    "code": [
        "code",
        "station",
        "stationcode",
        "station_code",
        "site",
        "站点编码",
        "监测点编码",
        "点位编码",
        "站点代码",
        "站码",
        "监测点位编码",
    ],
    "name": ["name", "station_name", "positionname", "站点名称", "监测点名称", "点位名称", "站名"],
    "city": ["city", "area", "城市", "所属城市", "地市"],
    "province": ["province", "省份", "省"],
    "is_background": ["background", "is_background", "对照点", "是否对照点", "清洁对照点"],
    "lat": ["lat", "latitude", "纬度"],
    "lon": ["lon", "lng", "longitude", "经度"],
}
_TRUE = {"1", "true", "t", "yes", "y", "是"}
_FALSE = {"0", "false", "f", "no", "n", "否"}


def matches(header: list[str]) -> bool:
    names = {normalise_header(h) for h in header}
    return bool(names & set(COLUMNS["code"])) and not ({"time", "timepoint", "date"} & names)


def read(path: str | Path, data: bytes) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    found = _map_columns(frame.columns, file)
    rejects = Rejects()
    n = len(frame)
    lines = np.arange(2, n + 2)
    codes = pd.Series(clean_codes(frame[found["code"]].to_numpy(dtype=object)), dtype=object)
    missing = codes.isna()
    rejects.add(lines[missing.to_numpy()], found["code"], None, "missing station code")
    dup = codes.duplicated(keep="last") & ~missing
    for i in np.flatnonzero(dup.to_numpy()):
        rejects.add(lines[i], found["code"], codes.iloc[i], "station listed again later (later line kept)")
    ok = ~(missing | dup).to_numpy()

    cols: dict[str, pa.Array] = {"code": pa.array(codes[ok].astype(str).tolist(), pa.string())}
    for key in ("name", "city", "province"):
        if key in found:
            vals = strip_cells(frame[found[key]].to_numpy(dtype=object)[ok])
            cols[key] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    if "is_background" in found:
        flags = []
        for i, v in zip(lines[ok], frame[found["is_background"]][ok], strict=True):
            text = str(v).strip().lower() if v is not None else ""
            if text in _TRUE:
                flags.append(True)
            elif text in _FALSE:
                flags.append(False)
            else:
                if text:
                    rejects.add(
                        i, found["is_background"], v, "background flag must be 1/0, true/false or 是/否"
                    )
                flags.append(None)
        cols["is_background"] = pa.array(flags, pa.bool_())
    for key, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        if key in found:
            nums, _, bad = to_numbers(frame[found[key]].to_numpy())
            out_of_range = np.isfinite(nums) & ((nums < lo) | (nums > hi))
            for i in np.flatnonzero((bad | out_of_range)[ok]):
                rejects.add(
                    lines[ok][i],
                    found[key],
                    frame[found[key]][ok].iloc[i],
                    f"{key} must be a number in [{lo}, {hi}]",
                )
            sel = nums[ok]
            cols[key] = pa.array(sel, pa.float64(), mask=~np.isfinite(sel) | ((sel < lo) | (sel > hi)))
    cols["kind"] = pa.array(["air"] * int(ok.sum()), pa.string())
    return ReadResult(
        file=file,
        reader=NAME,
        domain="air",
        tables={"sites": pa.table(cols)},
        rejects=rejects,
        rows_read=n,
        values_read=int(ok.sum()),
    )


def _map_columns(columns: list[str], file: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for col in columns:
        key = normalise_header(col)
        for canon, aliases in COLUMNS.items():
            if key in aliases and canon not in found:
                found[canon] = col
    if "code" not in found:
        raise ReadError(file, "no station code column (code / 站点编码)", line=1)
    return found
