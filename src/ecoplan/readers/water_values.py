"""Turn cells of any water format into canonical ``water_samples`` rows, rejecting what is wrong.

Shared by the long, wide and automatic-station readers. Every dropped cell
but a blank one becomes a reject naming its line, column, value and reason:
a text in a number column, an unknown item, a unit the item does not take,
an unknown section (when a section list is given), a below-detection result
without a known limit, a negative concentration, a duplicate key.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
import pyarrow as pa

from ..water.standard import class_names
from .air_values import clean_codes
from .base import Rejects, arrow_times, normalise_header, parse_times, strip_cells, to_numbers
from .water_items import (
    accepted_units,
    canonical_unit,
    item_units,
    parse_class,
    parse_control,
    parse_kind,
    parse_values,
    unit_factor,
    water_item,
)

SAMPLE_SCHEMA = pa.schema(
    [
        ("section", pa.string()),
        ("time", pa.timestamp("us")),
        ("item", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("below_dl", pa.bool_()),
        ("detection_limit", pa.float64()),
        ("sample_kind", pa.string()),
    ]
)

# items that may be negative (degC); pH must lie in 0..14
_MAY_BE_NEGATIVE = {"water_temperature"}


def _col(x, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=object), (n,))


def samples(
    *,
    lines: np.ndarray,
    section: np.ndarray,
    time: np.ndarray,
    item: np.ndarray,
    value: np.ndarray,
    unit: np.ndarray | None,
    detection_limit: np.ndarray | None,
    sample_kind: np.ndarray | str,
    section_column: str,
    time_column: str,
    item_column: np.ndarray | str,
    value_column: np.ndarray | str,
    unit_column: np.ndarray | str | None,
    dl_column: str | None,
    sections: Collection[str] | None,
    rejects: Rejects,
    items_parsed: bool = False,
    times_parsed: bool = False,
    codes_clean: bool = False,
    time_cells: np.ndarray | None = None,
) -> tuple[pa.Table, np.ndarray]:
    """Validate and convert cells to ``water_samples`` rows.

    ``unit`` holds unit texts as written; ``items_parsed``/``times_parsed``/
    ``codes_clean`` say the caller already gives item codes, ``datetime64``
    times (with ``time_cells`` as written, for rejects) and clean section
    codes. Returns the table and the mask of kept cells.
    """
    n = len(lines)
    lines = np.asarray(lines, dtype=np.int64)
    value = np.asarray(value, dtype=object)
    icol = _col(item_column, n)
    vcol = _col(value_column, n)
    ucol = _col(unit_column if unit_column is not None else "unit", n)
    parsed = parse_values(value)
    ok = ~parsed.blank

    codes = np.asarray(section, dtype=object) if codes_clean else clean_codes(section)
    no_section = ok & np.array([c is None for c in codes], dtype=bool)
    rejects.add(lines[no_section], section_column, None, "missing section code")
    ok &= ~no_section
    if sections is not None:
        known = np.isin(codes.astype(str), list(sections))
        unknown = ok & ~known
        rejects.add(
            lines[unknown], section_column, codes[unknown], "unknown section (not in the section list)"
        )
        ok &= ~unknown

    if times_parsed:
        times = np.asarray(time, dtype="datetime64[us]")
        bad_time = np.isnat(times)
    else:
        t, bad_time = parse_times(time)
        times = t.to_numpy(dtype="datetime64[us]")
    no_time = ok & (bad_time | np.isnat(times))
    raw_time = np.asarray(time_cells if time_cells is not None else time, dtype=object)
    rejects.add(lines[no_time], time_column, raw_time[no_time], "not a valid time")
    ok &= ~no_time

    item = np.asarray(item, dtype=object)
    codes_item = item if items_parsed else np.array([water_item(x) for x in item], dtype=object)
    no_item = ok & np.array([c is None for c in codes_item], dtype=bool)
    rejects.add(lines[no_item], icol[no_item], item[no_item], "unknown water-quality item")
    ok &= ~no_item

    factors = np.ones(n)
    units_all = item_units()
    if unit is not None:
        unit = np.asarray(unit, dtype=object)
        idx = np.flatnonzero(ok)
        if len(idx):
            pairs = pd.DataFrame({"i": codes_item[idx], "u": unit[idx]}).astype(str)
            codes_pair, uniques = pd.factorize(pairs["i"] + "\x00" + pairs["u"])
            for k, key in enumerate(uniques):
                it, u = key.split("\x00", 1)
                if u in ("None", "") or not u.strip():
                    continue
                cu = canonical_unit(u)
                f = unit_factor(it, cu) if cu is not None else None
                rows = idx[codes_pair == k]
                if f is None:
                    why = f"unknown unit {u!r}" if cu is None else f"unit {u!r} does not fit the item"
                    rejects.add(
                        lines[rows],
                        ucol[rows],
                        value[rows],
                        f"{why}: {it} takes {', '.join(accepted_units(it))} (stored in {units_all[it]})",
                    )
                    ok[rows] = False
                else:
                    factors[rows] = f

    bad = ok & parsed.bad
    reasons = np.where(
        parsed.above[bad],
        "not a number: a value beyond the method's range ('>') cannot be stored as a number",
        "not a number",
    )
    rejects.add(lines[bad], vcol[bad], value[bad], reasons)
    ok &= ~bad

    dl = parsed.detection_limit.copy()
    if detection_limit is not None:
        col_dl, _blank, bad_dl = to_numbers(np.asarray(detection_limit, dtype=object))
        need = np.isnan(dl) & np.isfinite(col_dl)
        dl[need] = col_dl[need]
        bad_dl_used = ok & parsed.below_dl & bad_dl
        rejects.add(
            lines[bad_dl_used],
            dl_column or "detection_limit",
            np.asarray(detection_limit, dtype=object)[bad_dl_used],
            "detection limit is not a number",
        )
        ok &= ~bad_dl_used
    no_dl = ok & parsed.below_dl & ~np.isfinite(dl)
    rejects.add(
        lines[no_dl],
        vcol[no_dl],
        value[no_dl],
        "below detection without a known limit: write it as 0.05L or <0.05, or give a detection-limit column",
    )
    ok &= ~no_dl

    vals = parsed.value * factors
    dls = dl * factors
    codes_str = codes_item.astype(str)
    may_be_negative = np.isin(codes_str, list(_MAY_BE_NEGATIVE))
    neg = ok & (vals < 0) & ~may_be_negative
    rejects.add(lines[neg], vcol[neg], value[neg], "negative value")
    ok &= ~neg
    bad_limit = ok & (dls <= 0)
    rejects.add(lines[bad_limit], vcol[bad_limit], value[bad_limit], "detection limit must be above 0")
    ok &= ~bad_limit
    is_ph = codes_str == "pH"
    bad_ph = ok & is_ph & ((vals < 0) | (vals > 14))
    rejects.add(lines[bad_ph], vcol[bad_ph], value[bad_ph], "pH must lie between 0 and 14")
    ok &= ~bad_ph

    # one value per key: a later line replaces an earlier one
    idx = np.flatnonzero(ok)
    if len(idx):
        keys = pd.DataFrame({"s": codes[idx], "t": times[idx], "i": codes_item[idx]})
        dup = keys.duplicated(keep="last").to_numpy()
        if dup.any():
            last = keys.reset_index().groupby(["s", "t", "i"])["index"].transform("max").to_numpy()
            for j in np.flatnonzero(dup):
                i = idx[j]
                rejects.add(
                    lines[i], vcol[i], value[i], f"duplicate of line {lines[idx[last[j]]]} (later line kept)"
                )
                ok[i] = False
    idx = np.flatnonzero(ok)
    kinds = _col(sample_kind, n)[idx]
    below = parsed.below_dl[idx]
    v = vals[idx]
    d = dls[idx]
    table = pa.table(
        {
            "section": pa.array(codes[idx].astype(str), pa.string()),
            "time": arrow_times(times[idx]),
            "item": pa.array(codes_item[idx].astype(str), pa.string()),
            "value": pa.array(v, pa.float64(), mask=below | ~np.isfinite(v)),
            "unit": pa.array([units_all[c] for c in codes_item[idx]], pa.string()),
            "below_dl": pa.array(below, pa.bool_()),
            "detection_limit": pa.array(d, pa.float64(), mask=~np.isfinite(d)),
            "sample_kind": pa.array([None if k is None else str(k) for k in kinds], pa.string()),
        },
        schema=SAMPLE_SCHEMA,
    )
    return table, ok


def time_range(*tables: pa.Table | None) -> tuple[object, object] | None:
    """(min, max) of the ``time`` columns of ``tables``; None when all are empty."""
    parts = [t.column("time").to_numpy() for t in tables if t is not None and t.num_rows]
    if not parts:
        return None
    t = np.concatenate(parts)
    return t.min(), t.max()


# -- columns shared by the sample formats ------------------------------------------

SAMPLE_COLUMNS = {
    "section": [
        "section",
        "section_code",
        "sectioncode",
        "section code",
        "code",
        "site",
        "station",
        "断面编码",
        "断面代码",
        "断面编号",
        "点位编码",
        "点位代码",
        "站点编码",
        "监测断面编码",
    ],
    "name": ["section_name", "section name", "name", "断面名称", "点位名称", "站点名称", "监测断面"],
    "time": [
        "time",
        "datetime",
        "sample_time",
        "sampling_time",
        "timestamp",
        "采样时间",
        "监测时间",
        "时间",
        "日期时间",
        "采样日期时间",
    ],
    "date": ["date", "sample_date", "sampling_date", "采样日期", "监测日期", "日期"],
    "sample_kind": ["sample_kind", "sampling", "采样方式", "监测方式", "数据来源", "数据类型"],
    "class": ["水质类别", "class", "water_class", "published_class", "类别", "水质级别", "水质类别(发布)"],
    "status": ["status", "状态", "站点状态", "运行状态"],
    "river": ["river", "water_body", "河流", "河流名称", "所在河流", "所在水体", "水体", "湖库名称"],
    "basin": ["basin", "流域", "所属流域", "水系"],
    "city": ["city", "城市", "所属城市", "地市", "所在城市"],
    "province": ["province", "省份", "省", "所属省份"],
    "kind": ["kind", "water_type", "类型", "水体类型", "断面类型", "点位类型"],
    "control_level": ["control_level", "control", "控制级别", "断面级别", "断面属性"],
    # long tables only
    "item": [
        "item",
        "parameter",
        "param",
        "项目",
        "监测项目",
        "指标",
        "监测指标",
        "因子",
        "评价因子",
        "项目名称",
    ],
    "value": [
        "value",
        "result",
        "concentration",
        "conc",
        "监测值",
        "数值",
        "浓度",
        "结果",
        "测定值",
        "监测结果",
    ],
    "unit": ["unit", "units", "单位", "计量单位"],
    "detection_limit": ["detection_limit", "dl", "lod", "mdl", "检出限", "方法检出限"],
}
SECTION_FALLBACK = ["断面", "监测点位", "点位"]
META_COLUMNS = ("name", "river", "basin", "city", "province", "kind", "control_level")


def find_sample_columns(header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for col in header:
        key = normalise_header(col)
        for canon, aliases in SAMPLE_COLUMNS.items():
            if key in aliases and canon not in found:
                found[canon] = col
                break
    if "section" not in found:
        for col in header:
            if normalise_header(col) in SECTION_FALLBACK:
                found["section"] = col
                break
    return found


def sample_times(frame: pd.DataFrame, found: dict[str, str]) -> tuple[np.ndarray, str]:
    """Raw time cells and the column name to cite: one time column, or a date and a clock column joined."""
    if "time" in found and "date" in found:
        dates = frame[found["date"]].to_numpy(dtype=object)
        clocks = frame[found["time"]].to_numpy(dtype=object)
        joined = np.array([_join_date_clock(d, c) for d, c in zip(dates, clocks, strict=True)], dtype=object)
        return joined, f"{found['date']}+{found['time']}"
    col = found.get("time") or found.get("date")
    return frame[col].to_numpy(dtype=object), col


def _join_date_clock(d: object, c: object) -> object:
    if d is None or (isinstance(d, float) and np.isnan(d)):
        return None
    if hasattr(d, "strftime"):
        day = d.strftime("%Y-%m-%d")
        if c is None and hasattr(d, "hour"):
            return d
    else:
        day = str(d).strip()
    if c is None or (isinstance(c, float) and np.isnan(c)):
        return day
    if hasattr(c, "strftime"):
        c = c.strftime("%H:%M:%S")
    text = str(c).strip()
    # a clock cell that is a whole timestamp wins
    if len(text) > 8 and any(ch in text for ch in "-/"):
        return text
    return f"{day} {text}"


def section_metadata(
    frame: pd.DataFrame, found: dict[str, str], codes: np.ndarray, keep: np.ndarray
) -> pa.Table | None:
    """Section rows (code + the metadata columns present) of the kept lines, last line per code."""
    if not keep.any():
        return None
    meta = pd.DataFrame({"code": codes[keep]})
    for key in META_COLUMNS:
        if key in found:
            vals = strip_cells(frame[found[key]].to_numpy(dtype=object)[keep])
            if key == "kind":
                vals = np.array([parse_kind(v) for v in vals], dtype=object)
            elif key == "control_level":
                vals = np.array([parse_control(v) for v in vals], dtype=object)
            meta[key] = [None if v is None else str(v) for v in vals]
    meta = meta.drop_duplicates("code", keep="last")
    cols = {c: pa.array(meta[c].tolist(), pa.string()) for c in meta.columns}
    return pa.table(cols)


def published_classes(
    *,
    lines: np.ndarray,
    codes: np.ndarray,
    times: np.ndarray,
    cells: np.ndarray,
    status: np.ndarray | None,
    keep: np.ndarray,
) -> pa.Table:
    """``water_published`` rows: class as text I..V / 劣V; text that is not a class kept as status."""
    out_s, out_t, out_c, out_st = [], [], [], []
    for i in np.flatnonzero(keep):
        cell = cells[i]
        if isinstance(cell, str):
            cell = cell.strip() or None
        if cell in (None, "--", "-", "—"):
            cell = None
        k = parse_class(cell)
        st = None
        if status is not None and status[i] is not None and str(status[i]).strip():
            st = str(status[i]).strip()
        if k is None and cell is not None:
            st = st or str(cell)
        if k is None and st is None:
            continue
        out_s.append(codes[i])
        out_t.append(times[i])
        out_c.append(class_names()[k] if k else None)
        out_st.append(st)
    table = pa.table(
        {
            "section": pa.array(out_s, pa.string()),
            "time": arrow_times(np.array(out_t, dtype="datetime64[us]")),
            "class": pa.array(out_c, pa.string()),
            "status": pa.array(out_st, pa.string()),
        }
    )
    # one row per key, the last line wins
    if table.num_rows:
        frame = table.to_pandas().drop_duplicates(["section", "time"], keep="last")
        table = pa.Table.from_pandas(frame, preserve_index=False, schema=table.schema)
    return table
