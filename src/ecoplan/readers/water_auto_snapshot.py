"""Exports of the national surface-water automatic-station publishing system (Excel or CSV).

Columns: 省份, 流域, 断面名称, 监测时间, 水质类别, then one column per item with
its unit in the header (水温(℃), pH(无量纲), 溶解氧(mg/L), 电导率(μS/cm), 浊度(NTU),
高锰酸盐指数(mg/L), 氨氮(mg/L), 总磷(mg/L), 总氮(mg/L), 叶绿素α(mg/L),
藻密度(cells/L)); ``--`` marks a missing value. Readings are every four hours
and stored with ``sample_kind = 'auto'``.

Sections
--------
The export has no section code. The code is derived as ``<省份>-<断面名称>``
(e.g. ``山西省-韩武村``), stable across exports. Each station is registered
with its name, basin (流域), province, ``control_level = 'national'`` (the
system publishes the national network) and a kind:

1. a name containing an outlet or inlet word (出口, 入口, 出水口, 入湖口, 出湖口,
   入库, 出库) is a river station: it sits on the river leaving or entering
   the lake or reservoir;
2. otherwise a name containing 湖 is a lake, 库 a reservoir;
3. otherwise a station that reports chlorophyll a or algae density (measured
   at lake and reservoir stations) is a lake;
4. otherwise a river.

On the two reference snapshots this rule makes the computed class equal the
published one at every station [data]: the ``*水库出口`` stations follow the
river TP limits, and Taihu stations without 湖 in their name (兰山嘴, 拖山,
锡东水厂) follow the lake limits. A section list given with ``--sections``
(matching the derived codes) takes precedence: then no section is
registered from the export.

Time
----
监测时间 is written without a year (``02-04 11:00``). The year comes from
the ``year`` argument (``--year``), else from a four-digit year in the file
name; without either the file is not read. A full date (``2021-02-04
11:00``) needs neither.

The published class (水质类别) is stored in ``water_published`` apart from the
computed one; a cell that is not a class (e.g. 维护) is kept as its status.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import water_values as wv
from .base import ReadError, ReadResult, Rejects, normalise_header, parse_times, strip_cells
from .tables import read_table
from .water_items import parse_header

NAME = "water-auto-snapshot"

PROVINCE, BASIN, NAME_COL, TIME, CLASS = "省份", "流域", "断面名称", "监测时间", "水质类别"
OUTLET_WORDS = ("出口", "入口", "出水口", "入湖口", "出湖口", "入库", "出库")
LAKE_ITEMS = ("chla", "algae_density")

_NO_YEAR = re.compile(r"^\s*(\d{1,2})[-/.月](\d{1,2})日?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


def _find(header: list[str], name: str) -> str | None:
    for col in header:
        if normalise_header(col) == name:
            return col
    return None


def matches(header: list[str]) -> bool:
    have = {normalise_header(h) for h in header}
    return {NAME_COL, TIME, CLASS} <= have and (PROVINCE in have or BASIN in have)


def kind_of(name: str, reports_lake_items: bool) -> str:
    """River / lake / reservoir of an automatic station by its name (see the module notes)."""
    if any(w in name for w in OUTLET_WORDS):
        return "river"
    if "湖" in name:
        return "lake"
    if "库" in name:
        return "reservoir"
    if reports_lake_items:
        return "lake"
    return "river"


def section_code(province: str | None, name: str) -> str:
    return f"{province}-{name}" if province else name


def read(
    path: str | Path,
    data: bytes,
    *,
    sections: Collection[str] | None = None,
    year: int | None = None,
    sample_kind: str | None = None,
) -> ReadResult:
    file = str(path)
    frame = read_table(file, data)
    header = [str(c) for c in frame.columns]
    cols = {k: _find(header, k) for k in (PROVINCE, BASIN, NAME_COL, TIME, CLASS)}
    if cols[NAME_COL] is None or cols[TIME] is None:
        raise ReadError(file, "an automatic-station export needs 断面名称 and 监测时间 columns", line=1)
    used = {c for c in cols.values() if c}
    items: dict[str, str] = {}
    for col in header:
        if col in used:
            continue
        h = parse_header(col)
        if h.item is not None:
            if h.item in items.values():
                raise ReadError(file, f"two columns hold {h.item} (second: {col!r})", line=1)
            items[col] = h.item

    n = len(frame)
    first = frame.attrs.get("first_line", 2)
    lines = np.arange(first, first + n, dtype=np.int64)
    rejects = Rejects()
    names = strip_cells(frame[cols[NAME_COL]].to_numpy(dtype=object))
    provinces = (
        strip_cells(frame[cols[PROVINCE]].to_numpy(dtype=object))
        if cols[PROVINCE]
        else np.full(n, None, object)
    )
    codes = np.array(
        [
            section_code(p, str(nm)) if nm is not None else None
            for p, nm in zip(provinces, names, strict=True)
        ],
        dtype=object,
    )
    times, time_raw = _times(file, frame[cols[TIME]].to_numpy(dtype=object), year, lines)

    item_cols = list(items)
    kind = sample_kind or "auto"
    # a line without a valid time is rejected once, naming its time cell
    bad_time = np.isnat(times) & np.array([r is not None for r in strip_cells(time_raw)], dtype=bool)
    rejects.add(lines[bad_time], cols[TIME], time_raw[bad_time], "not a valid time; the line is not stored")
    values = [frame[c].to_numpy(dtype=object).copy() for c in item_cols]
    for v in values:
        v[bad_time] = None
    table, _kept = wv.samples(
        lines=np.tile(lines, len(item_cols)),
        section=np.tile(codes, len(item_cols)),
        time=np.tile(times, len(item_cols)),
        time_cells=np.tile(time_raw, len(item_cols)),
        codes_clean=True,
        item=np.repeat(np.array([items[c] for c in item_cols], dtype=object), n),
        value=np.concatenate(values) if n and item_cols else np.array([], object),
        unit=np.repeat(np.array([_unit(c) for c in item_cols], dtype=object), n),
        detection_limit=None,
        sample_kind=kind,
        section_column=cols[NAME_COL],
        time_column=cols[TIME],
        item_column=np.repeat(np.array(item_cols, dtype=object), n),
        value_column=np.repeat(np.array(item_cols, dtype=object), n),
        unit_column=np.repeat(np.array(item_cols, dtype=object), n),
        dl_column=None,
        sections=sections,
        rejects=rejects,
        items_parsed=True,
        times_parsed=True,
    )
    tables: dict[str, pa.Table] = {"water_samples": table}

    row_ok = np.array([c is not None for c in codes], dtype=bool) & ~np.isnat(times)
    known = row_ok.copy()
    if sections is not None:
        known &= np.isin(codes.astype(str), list(sections))
    if cols[CLASS]:
        tables["water_published"] = wv.published_classes(
            lines=lines,
            codes=codes,
            times=times,
            cells=frame[cols[CLASS]].to_numpy(dtype=object),
            status=None,
            keep=known,
        )
        lost = row_ok & ~known & frame[cols[CLASS]].notna().to_numpy()
        rejects.add(lines[lost], cols[NAME_COL], codes[lost], "unknown section (not in the section list)")

    if sections is None:
        has = np.array([c is not None for c in codes], dtype=bool)
        lake_items = np.zeros(n, dtype=bool)
        for c, code in items.items():
            if code in LAKE_ITEMS:
                lake_items |= np.array([v is not None for v in strip_cells(frame[c].to_numpy(dtype=object))])
        meta = pd.DataFrame(
            {
                "code": codes[has],
                "name": names[has],
                "province": provinces[has],
                "lake_items": lake_items[has],
            }
        )
        if cols[BASIN]:
            meta["basin"] = strip_cells(frame[cols[BASIN]].to_numpy(dtype=object))[has]
        if len(meta):
            lake = meta.groupby("code", sort=False)["lake_items"].transform("any")
            meta["kind"] = [kind_of(str(nm), bool(lk)) for nm, lk in zip(meta["name"], lake, strict=True)]
            meta = meta.drop(columns="lake_items").drop_duplicates("code", keep="last")
            meta["control_level"] = "national"
            tables["sections"] = pa.table(
                {
                    c: pa.array([None if v is None else str(v) for v in meta[c]], pa.string())
                    for c in meta.columns
                }
            )

    used |= set(items)
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
        values_read=int(sum((strip_cells(frame[c].to_numpy(dtype=object)) != None).sum() for c in item_cols)),  # noqa: E711
        time_range=wv.time_range(table, tables.get("water_published")),
    )


def _unit(col: str) -> str | None:
    h = parse_header(col)
    return h.unit_text if h.unit_text is not None else h.unknown_unit


def _times(
    file: str, cells: np.ndarray, year: int | None, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Times of the export: ``MM-DD HH:MM`` completed with the year, or full timestamps."""
    raw = strip_cells(cells)
    no_year = [i for i, c in enumerate(raw) if isinstance(c, str) and _NO_YEAR.match(c)]
    if no_year and year is None:
        m = _YEAR_IN_NAME.search(Path(file).name)
        if m:
            year = int(m.group(1))
    if no_year and year is None:
        i = no_year[0]
        raise ReadError(
            file,
            f"监测时间 {raw[i]!r} has no year; give it with --year (or put the year in the file name)",
            line=int(lines[i]),
            column=TIME,
        )
    text = raw.copy()
    for i in no_year:
        m = _NO_YEAR.match(text[i])
        mo, d, h, mi, s = m.groups()
        text[i] = f"{year:04d}-{int(mo):02d}-{int(d):02d} {int(h):02d}:{mi}:{s or '00'}"
    t, _ = parse_times(text)
    return t.to_numpy(dtype="datetime64[us]"), np.asarray(cells, dtype=object)
