"""Long water-quality tables (CSV, Excel or Parquet): one result per line.

Columns (English or Chinese headers): section code (断面编码 / section), time
(采样时间 / time, or 采样日期 + 采样时间), item (监测项目 / item), value (监测值 /
value) and optionally unit (单位), detection limit (检出限), sample kind
(采样方式: 手工 / 自动, manual / auto) and section metadata (断面名称, 河流, 流域,
城市, 省份, 水体类型, 控制级别). Items and units in Chinese or English; values
may be below detection (``0.05L``, ``<0.05``, ``ND``). Without a unit column
values are taken to be in each item's canonical unit.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np

from . import water_values as wv
from .air_values import clean_codes
from .base import ReadError, ReadResult, Rejects, parse_times
from .tables import read_table
from .water_items import parse_sample_kind

NAME = "water-long"
REQUIRED = ("section", "item", "value")


def matches(header: list[str]) -> bool:
    found = wv.find_sample_columns(header)
    return set(REQUIRED) <= set(found) and ("time" in found or "date" in found)


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
    missing = [c for c in REQUIRED if c not in found]
    if "time" not in found and "date" not in found:
        missing.append("time")
    if missing:
        raise ReadError(
            file,
            "a long water table needs columns section (断面编码), time (采样时间), item (监测项目), "
            f"value (监测值); missing {', '.join(missing)}",
            line=max(frame.attrs.get("first_line", 2) - 1, 1),
        )
    rejects = Rejects()
    n = len(frame)
    first = frame.attrs.get("first_line", 2)
    lines = np.arange(first, first + n, dtype=np.int64)
    time_raw, time_col = wv.sample_times(frame, found)
    kinds = _sample_kinds(frame, found, lines, rejects, sample_kind)
    table, kept = wv.samples(
        lines=lines,
        section=frame[found["section"]].to_numpy(dtype=object),
        time=time_raw,
        item=frame[found["item"]].to_numpy(dtype=object),
        value=frame[found["value"]].to_numpy(dtype=object),
        unit=frame[found["unit"]].to_numpy(dtype=object) if "unit" in found else None,
        detection_limit=frame[found["detection_limit"]].to_numpy(dtype=object)
        if "detection_limit" in found
        else None,
        sample_kind=kinds,
        section_column=found["section"],
        time_column=time_col,
        item_column=found["item"],
        value_column=found["value"],
        unit_column=found.get("unit"),
        dl_column=found.get("detection_limit"),
        sections=sections,
        rejects=rejects,
    )
    tables = {"water_samples": table}
    if sections is None:
        codes = clean_codes(frame[found["section"]].to_numpy(dtype=object))
        meta = wv.section_metadata(frame, found, codes, kept)
        if meta is not None:
            tables["sections"] = meta
    if "class" in found:
        codes = clean_codes(frame[found["section"]].to_numpy(dtype=object))
        t, bad = parse_times(time_raw)
        ok = np.array([c is not None for c in codes], dtype=bool) & ~bad & t.notna().to_numpy()
        if sections is not None:
            ok &= np.isin(codes.astype(str), list(sections))
        tables["water_published"] = wv.published_classes(
            lines=lines,
            codes=codes,
            times=t.to_numpy(dtype="datetime64[us]"),
            cells=frame[found["class"]].to_numpy(dtype=object),
            status=frame[found["status"]].to_numpy(dtype=object) if "status" in found else None,
            keep=ok,
        )
    return ReadResult(
        file=file,
        reader=NAME,
        domain="water",
        tables=tables,
        rejects=rejects,
        rows_read=n,
        values_read=int(frame[found["value"]].notna().sum()),
        time_range=wv.time_range(table, tables.get("water_published")),
    )


def _sample_kinds(frame, found, lines, rejects: Rejects, default: str | None) -> np.ndarray:
    """Sample kind per line: the column's value, else ``default`` (manual when not given)."""
    n = len(frame)
    fallback = default or "manual"
    if "sample_kind" not in found:
        return np.full(n, fallback, dtype=object)
    out = np.full(n, fallback, dtype=object)
    col = found["sample_kind"]
    for i, cell in enumerate(frame[col].to_numpy(dtype=object)):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        k = parse_sample_kind(cell)
        if k is None:
            rejects.add(
                lines[i], col, cell, f"sample kind must be manual/auto (手工/自动); taken as {fallback}"
            )
        else:
            out[i] = k
    return out
