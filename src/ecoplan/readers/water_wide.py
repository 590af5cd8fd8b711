"""Wide water-quality tables (CSV, Excel or Parquet): one line per section and sample, one column per item.

Headers in Chinese or English with or without units: ``氨氮``, ``NH3-N``,
``氨氮(mg/L)``, ``总磷(μg/L)``, ``粪大肠菌群(个/L)``; units may also stand in a
second header row (Excel titles over units, or a CSV line of units under the
header). A section code column (断面编码 / section) and a time column (采样时间
/ time, or 采样日期 + 采样时间) are required. Optional: sample kind (采样方式),
published class (水质类别), status (状态) and section metadata (断面名称, 河流,
流域, 城市, 省份, 水体类型, 控制级别). Any other column is reported once as a
reject naming how many values it held, so nothing is dropped unseen.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np

from . import water_values as wv
from .air_values import clean_codes
from .base import ReadError, ReadResult, Rejects, parse_times
from .tables import read_table
from .water_items import canonical_unit, parse_header
from .water_long import _sample_kinds

NAME = "water-wide"


def item_columns(header: list[str], used: set[str]) -> dict[str, str]:
    """Columns naming a water-quality item -> item code."""
    out = {}
    for col in header:
        if col in used:
            continue
        code = parse_header(col).item
        if code is not None:
            out[col] = code
    return out


def matches(header: list[str]) -> bool:
    found = wv.find_sample_columns(header)
    has_time = "time" in found or "date" in found
    return "section" in found and has_time and bool(item_columns(header, set(found.values())))


def read(
    path: str | Path,
    data: bytes,
    *,
    sections: Collection[str] | None = None,
    sample_kind: str | None = None,
) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    header = [str(c) for c in frame.columns]
    found = wv.find_sample_columns(header)
    if "section" not in found or ("time" not in found and "date" not in found):
        raise ReadError(
            file,
            "a wide water table needs a section column (断面编码 / section) and a time column (采样时间 / time)",
            line=1,
        )
    items = item_columns(header, set(found.values()))
    if not items:
        raise ReadError(
            file, "no water-quality item columns (溶解氧, 氨氮, 总磷 ... or DO, NH3-N, TP ...)", line=1
        )
    seen: dict[str, str] = {}
    for col, code in items.items():
        if code in seen:
            raise ReadError(file, f"columns {seen[code]!r} and {col!r} both hold {code}", line=1)
        seen[code] = col

    first = frame.attrs.get("first_line", 2)
    units = {col: _header_unit(col) for col in items}
    # a line of units under the header (CSV): every item cell a unit, none a number
    if (
        len(frame)
        and all(frame[c].iloc[0] is None or canonical_unit(frame[c].iloc[0]) is not None for c in items)
        and any(frame[c].iloc[0] is not None for c in items)
    ):
        for c in items:
            if frame[c].iloc[0] is not None and units[c] is None:
                units[c] = str(frame[c].iloc[0])
        frame = frame.iloc[1:].reset_index(drop=True)
        first += 1

    rejects = Rejects()
    n = len(frame)
    lines = np.arange(first, first + n, dtype=np.int64)
    time_raw, time_col = wv.sample_times(frame, found)
    kinds = _sample_kinds(frame, found, lines, rejects, sample_kind)
    section_raw = frame[found["section"]].to_numpy(dtype=object)
    codes = clean_codes(section_raw)
    t, _bad_t = parse_times(time_raw)
    times = t.to_numpy(dtype="datetime64[us]")
    cols = list(items)
    table, _ = wv.samples(
        lines=np.tile(lines, len(cols)),
        section=np.tile(codes, len(cols)),
        time=np.tile(times, len(cols)),
        time_cells=np.tile(time_raw, len(cols)),
        codes_clean=True,
        times_parsed=True,
        item=np.repeat(np.array([items[c] for c in cols], dtype=object), n),
        value=np.concatenate([frame[c].to_numpy(dtype=object) for c in cols]) if n else np.array([], object),
        unit=np.repeat(np.array([units[c] for c in cols], dtype=object), n),
        detection_limit=None,
        sample_kind=np.tile(kinds, len(cols)),
        section_column=found["section"],
        time_column=time_col,
        item_column=np.repeat(np.array(cols, dtype=object), n),
        value_column=np.repeat(np.array(cols, dtype=object), n),
        unit_column=np.repeat(np.array(cols, dtype=object), n),
        dl_column=None,
        sections=sections,
        rejects=rejects,
        items_parsed=True,
    )
    tables = {"water_samples": table}

    row_ok = np.array([c is not None for c in codes], dtype=bool) & ~np.isnat(times)
    if sections is not None:
        row_ok &= np.isin(codes.astype(str), list(sections))
    # a line whose section or time is bad but has no item value is not seen by wv.samples
    if "class" in found:
        tables["water_published"] = wv.published_classes(
            lines=lines,
            codes=codes,
            times=times,
            cells=frame[found["class"]].to_numpy(dtype=object),
            status=frame[found["status"]].to_numpy(dtype=object) if "status" in found else None,
            keep=row_ok,
        )
        lost = ~row_ok & frame[found["class"]].notna().to_numpy()
        _reject_lines(rejects, lines[lost], found, codes[lost], time_raw[lost], sections)
    if sections is None:
        meta = wv.section_metadata(frame, found, codes, row_ok)
        if meta is not None:
            tables["sections"] = meta

    used = set(found.values()) | set(items)
    for col in header:
        if col not in used:
            count = int(frame[col].notna().sum())
            if count:
                rejects.add(
                    first - 1, col, f"{count} values", "column not recognised; its values are not stored"
                )
    return ReadResult(
        file=file,
        reader=NAME,
        domain="water",
        tables=tables,
        rejects=rejects,
        rows_read=n,
        values_read=int(sum(frame[c].notna().sum() for c in cols)),
        time_range=wv.time_range(table, tables.get("water_published")),
    )


def _header_unit(col: str) -> str | None:
    h = parse_header(col)
    if h.unit_text is not None:
        return h.unit_text
    return h.unknown_unit


def _reject_lines(rejects: Rejects, lines, found, codes, time_raw, sections) -> None:
    """Published classes of lines without a usable section or time."""
    for line, code, traw in zip(lines, codes, time_raw, strict=True):
        if code is None:
            rejects.add(line, found["section"], None, "missing section code (published class not stored)")
        elif sections is not None and code not in sections:
            rejects.add(line, found["section"], code, "unknown section (not in the section list)")
        else:
            col = found.get("time") or found.get("date")
            rejects.add(line, col, traw, "not a valid time (published class not stored)")
