"""Section lists (CSV, Excel or Parquet): code, name, river, basin, city, province, kind, control level, coordinates.

Headers in English or Chinese: ``code`` / 断面编码, ``name`` / 断面名称,
``river`` / 河流 / 所在水体, ``basin`` / 流域, ``city`` / 城市 / 所属城市,
``province`` / 省份, ``kind`` / 类型 / 水体类型 (河流, 湖泊, 水库 or river, lake,
reservoir), ``control_level`` / 控制级别 (国控, 省控, 市控 or national,
provincial, city), ``lat`` / 纬度, ``lon`` / 经度. A blank cell means unknown
and never erases what the store already knows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .air_values import clean_codes
from .base import ReadError, ReadResult, Rejects, normalise_header, strip_cells, to_numbers
from .tables import read_table
from .water_items import parse_control, parse_kind

NAME = "water-sections"

COLUMNS = {
    "code": [
        "code",
        "section",
        "section_code",
        "sectioncode",
        "section code",
        "断面编码",
        "断面代码",
        "断面编号",
        "点位编码",
        "点位代码",
        "站点编码",
        "监测断面编码",
    ],
    "name": ["name", "section_name", "section name", "断面名称", "点位名称", "断面", "站点名称", "监测断面"],
    "river": [
        "river",
        "water_body",
        "waterbody",
        "河流",
        "河流名称",
        "所在河流",
        "所在水体",
        "水体",
        "水体名称",
        "湖库名称",
    ],
    "basin": ["basin", "watershed", "流域", "所属流域", "水系"],
    "city": ["city", "城市", "所属城市", "地市", "所在城市", "市"],
    "province": ["province", "省份", "省", "所属省份"],
    "kind": ["kind", "type", "water_type", "body", "类型", "水体类型", "断面类型", "点位类型"],
    "control_level": ["control_level", "control", "level", "控制级别", "断面级别", "断面属性", "管理级别"],
    "lat": ["lat", "latitude", "纬度"],
    "lon": ["lon", "lng", "longitude", "经度"],
}
TEXT_COLUMNS = ("name", "river", "basin", "city", "province")


def find_columns(columns: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for col in columns:
        key = normalise_header(col)
        for canon, aliases in COLUMNS.items():
            if key in aliases and canon not in found:
                found[canon] = col
                break
    return found


def matches(header: list[str]) -> bool:
    found = find_columns(header)
    return "code" in found and len(set(found) & {"name", "river", "basin", "kind", "control_level"}) >= 1


def read(path: str | Path, data: bytes) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    found = find_columns([str(c) for c in frame.columns])
    if "code" not in found:
        raise ReadError(file, "a section list needs a section code column (断面编码 / code)", line=1)
    rejects = Rejects()
    n = len(frame)
    first = frame.attrs.get("first_line", 2)
    lines = np.arange(first, first + n, dtype=np.int64)
    codes = pd.Series(clean_codes(frame[found["code"]].to_numpy(dtype=object)), dtype=object)
    missing = codes.isna().to_numpy()
    rejects.add(lines[missing], found["code"], None, "missing section code")
    dup = (codes.duplicated(keep="last") & codes.notna()).to_numpy()
    for i in np.flatnonzero(dup):
        rejects.add(lines[i], found["code"], codes.iloc[i], "section listed again later (later line kept)")
    ok = ~(missing | dup)

    cols: dict[str, pa.Array] = {"code": pa.array(codes[ok].astype(str).tolist(), pa.string())}
    for key in TEXT_COLUMNS:
        if key in found:
            vals = strip_cells(frame[found[key]].to_numpy(dtype=object)[ok])
            cols[key] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    for key, parse, what in (
        ("kind", parse_kind, "kind must be river/lake/reservoir (河流/湖泊/水库)"),
        ("control_level", parse_control, "control level must be national/provincial/city (国控/省控/市控)"),
    ):
        if key not in found:
            continue
        raw = strip_cells(frame[found[key]].to_numpy(dtype=object))
        out = []
        for i in np.flatnonzero(ok):
            v = parse(raw[i])
            if v is None and raw[i] is not None:
                rejects.add(lines[i], found[key], raw[i], f"{what}; left unknown")
            out.append(v)
        cols[key] = pa.array(out, pa.string())
    for key, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        if key in found:
            raw = frame[found[key]].to_numpy(dtype=object)
            nums, _, bad = to_numbers(raw)
            wrong = (bad | (np.isfinite(nums) & ((nums < lo) | (nums > hi)))) & ok
            rejects.add(
                lines[wrong], found[key], raw[wrong], f"{key} must be a number in [{lo}, {hi}]; left unknown"
            )
            sel = nums[ok]
            cols[key] = pa.array(sel, pa.float64(), mask=~np.isfinite(sel) | wrong[ok])
    used = set(found.values())
    for col in frame.columns:
        if col not in used and frame[col].notna().any():
            rejects.add(
                first - 1,
                str(col),
                f"{int(frame[col].notna().sum())} values",
                "column not recognised; its values are not stored",
            )
    return ReadResult(
        file=file,
        reader=NAME,
        domain="water",
        tables={"sections": pa.table(cols)},
        rejects=rejects,
        rows_read=n,
        values_read=int(ok.sum()),
    )
