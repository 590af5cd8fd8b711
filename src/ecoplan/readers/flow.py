"""Daily river discharge and gauge lists (CSV, Excel or Parquet).

Daily discharge
    One line per gauge and day. Columns (English or Chinese headers):
    ``gauge`` / 站码 / 测站 / 测站编码, ``date`` / 日期, ``discharge`` / 流量 /
    日平均流量, optionally ``unit`` / 单位 and ``name`` / 站名 / ``river`` / 河流
    (these two fill the gauge list). A file with only ``date, discharge`` (as
    the USGS daily-value series are published) takes its gauge code from the
    ``gauge`` option or, failing that, from the file name: the name token that
    is a known gauge code, else its only run of five or more digits
    (``usgs-04135700-daily-discharge-cfs.csv`` -> ``04135700``), else the
    whole name when it is a single word.

    Units: m3/s (canonical), cfs (ft3/s) and L/s, read from a unit column
    (per line), from the discharge header (``流量(m3/s)``, ``discharge_cfs``),
    from the ``unit`` option or from a unit word in the file name, in that
    order; without any, values are taken as m3/s and the ingest log says so.
    1 cfs = 0.028316846592 m3/s exactly: the international foot is 0.3048 m
    by definition (1959 international yard and pound agreement), and
    0.3048**3 = 0.028316846592 with no rounding.

    Rejected (file, line, column, reason; nothing else is lost): a discharge
    that is text, negative or in an unknown unit, a date that is not a date,
    a missing gauge code, a gauge not in the gauge list when one is required,
    a second value for the same gauge and day (the later line is kept).
    A blank discharge is a missing day: it is not stored, and the eco-flow
    assessment counts it as missing. Zero is a valid discharge. Values are
    daily means; a time of day in the date column is dropped (a Chinese
    hydrological day starting 08:00 keeps its date).

Gauge lists
    ``code`` / 站码 / 测站编码, ``name`` / 站名 / 测站名称, ``river`` / 河流 /
    河名, ``section`` / 断面 / 断面编码 (the water-quality section the gauge
    serves, linking flow to water quality), ``basin`` / 流域 / 水系,
    ``lat`` / 纬度, ``lon`` / 经度.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .air_values import clean_codes
from .base import ReadError, ReadResult, Rejects, normalise_header, parse_times, strip_cells, to_numbers
from .tables import read_table

NAME = "flow_daily"
GAUGES_NAME = "gauges"
DOMAIN = "flow"

CANONICAL_UNIT = "m3/s"
# Exact: 1 ft = 0.3048 m (international foot), so 1 ft3 = 0.3048**3 m3 = 0.028316846592 m3.
CFS_TO_M3S = 0.028316846592
UNIT_FACTORS = {"m3/s": 1.0, "cfs": CFS_TO_M3S, "l/s": 0.001}

_UNIT_ALIASES = {
    "m3/s": "m3/s",
    "m^3/s": "m3/s",
    "m3s-1": "m3/s",
    "m3s": "m3/s",
    "cms": "m3/s",
    "cumec": "m3/s",
    "cumecs": "m3/s",
    "立方米/秒": "m3/s",
    "立方米每秒": "m3/s",
    "米3/秒": "m3/s",
    "cfs": "cfs",
    "ft3/s": "cfs",
    "ft^3/s": "cfs",
    "cubicfeetpersecond": "cfs",
    "立方英尺/秒": "cfs",
    "立方英尺每秒": "cfs",
    "l/s": "l/s",
    "升/秒": "l/s",
    "升每秒": "l/s",
}

GAUGE = [
    "gauge",
    "gage",
    "gauge_code",
    "gauge code",
    "station_code",
    "stationcode",
    "site_no",
    "code",
    "站码",
    "测站编码",
    "测站代码",
    "站号",
    "水文站编码",
    "站点编码",
    "station",
    "site",
    "测站",
    "水文站",
    "站点",
]
DATE = ["date", "day", "datetime", "time", "日期", "时间", "观测日期", "监测日期"]
DISCHARGE = [
    "discharge",
    "flow",
    "q",
    "value",
    "mean_discharge",
    "daily_discharge",
    "流量",
    "日平均流量",
    "日均流量",
    "平均流量",
    "实测流量",
]
UNIT = ["unit", "units", "单位"]
FLOW_NAME = ["name", "gauge_name", "station_name", "站名", "测站名称", "水文站名称", "测站", "水文站"]
RIVER = ["river", "河流", "河名", "河流名称"]

GAUGE_COLUMNS = {
    "code": [
        "code",
        "gauge",
        "gage",
        "gauge_code",
        "station_code",
        "stationcode",
        "site_no",
        "站码",
        "测站编码",
        "测站代码",
        "站号",
        "水文站编码",
    ],
    "name": ["name", "gauge_name", "station_name", "站名", "测站", "测站名称", "水文站", "水文站名称"],
    "river": RIVER,
    "section": ["section", "section_code", "断面", "断面编码", "断面代码", "断面名称", "控制断面"],
    "basin": ["basin", "流域", "水系", "所属流域"],
    "lat": ["lat", "latitude", "纬度"],
    "lon": ["lon", "lng", "longitude", "经度"],
}

_BRACKET_UNIT = re.compile(r"^(.*?)\s*[\(\[（【]\s*([^\)\]）】]+?)\s*[\)\]）】]\s*$")


def flow_unit(text: object) -> str | None:
    """Canonical flow unit (``m3/s``, ``cfs``, ``l/s``) of a unit text, or None when unknown."""
    if text is None:
        return None
    key = unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "").replace("³", "3")
    key = key.replace("/sec", "/s").replace("·", "")
    return _UNIT_ALIASES.get(key)


def split_flow_header(header: object) -> tuple[str, str | None]:
    """``"流量(m³/s)"`` -> ``("流量", "m3/s")``; ``"discharge_cfs"`` -> ``("discharge", "cfs")``."""
    text = normalise_header(header)
    m = _BRACKET_UNIT.match(text)
    if m and flow_unit(m.group(2)):
        return m.group(1).strip(), flow_unit(m.group(2))
    parts = re.split(r"[\s_,]+", text)
    if len(parts) > 1 and flow_unit(parts[-1]):
        return " ".join(parts[:-1]).strip(), flow_unit(parts[-1])
    return text, None


def _pick(columns: list[str], aliases: list[str], *, taken: Collection[str] = ()) -> str | None:
    """The first column matching an alias, aliases taken in order of preference."""
    keys = {col: (split_flow_header(col)[0], normalise_header(col)) for col in columns if col not in taken}
    for alias in aliases:
        for col, names in keys.items():
            if alias in names:
                return col
    return None


def find_columns(columns: list[str]) -> dict[str, str]:
    """Map the canonical roles of a daily discharge file to its columns."""
    found: dict[str, str] = {}
    for role, aliases in (
        ("date", DATE),
        ("discharge", DISCHARGE),
        ("unit", UNIT),
        ("gauge", GAUGE),
        ("name", FLOW_NAME),
        ("river", RIVER),
    ):
        col = _pick(columns, aliases, taken=set(found.values()))
        if col is not None:
            found[role] = col
    return found


def matches_daily(header: list[str]) -> bool:
    found = find_columns(header)
    return "date" in found and "discharge" in found


def _gauge_columns(columns: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for role, aliases in GAUGE_COLUMNS.items():
        col = _pick(columns, aliases, taken=set(found.values()))
        if col is not None:
            found[role] = col
    return found


def matches_gauges(header: list[str]) -> bool:
    found = _gauge_columns(header)
    return "code" in found and not matches_daily(header)


def gauge_from_file_name(file: str, known: Collection[str] | None = None) -> str | None:
    """The gauge code a file's name carries (see the module docstring), or None."""
    stem = Path(file).name
    for suffix in (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    tokens = [t for t in re.split(r"[\s\-_.,;()\[\]]+", stem) if t]
    if known:
        hits = [t for t in tokens if t in known]
        if len(hits) == 1:
            return hits[0]
    digits = [t for t in tokens if t.isdigit() and len(t) >= 5]
    if len(digits) == 1:
        return digits[0]
    if len(tokens) == 1:
        return tokens[0]
    return None


def unit_from_file_name(file: str) -> str | None:
    tokens = re.split(r"[\s\-_.,;()\[\]]+", Path(file).stem.lower())
    units = {flow_unit(t) for t in tokens} - {None}
    return units.pop() if len(units) == 1 else None


def read_daily(
    path: str | Path,
    data: bytes,
    *,
    gauges: Mapping[str, str | None] | Collection[str] | None = None,
    gauge: str | None = None,
    unit: str | None = None,
) -> ReadResult:
    """Read a daily discharge file into the ``flows`` (and ``gauges``) tables.

    Parameters
    ----------
    gauges
        Known gauges (codes, or a mapping code -> name). With it, a gauge
        not in the list is rejected, and a gauge written by its name is
        stored under its code.
    gauge
        Gauge code for a file without a gauge column.
    unit
        Unit of a file that gives none itself (``m3/s`` or ``cfs``).
    """
    file = str(path)
    frame = read_table(file, data)
    columns = [str(c) for c in frame.columns]
    found = find_columns(columns)
    missing = [r for r in ("date", "discharge") if r not in found]
    if missing:
        raise ReadError(
            file,
            "a daily discharge file needs a date (日期) and a discharge (流量) column; "
            f"missing {', '.join(missing)}; header: {', '.join(columns[:8])}",
            line=1,
        )
    notes: list[str] = []
    rejects = Rejects()
    first = int(frame.attrs.get("first_line", 2))
    n = len(frame)
    lines = np.arange(first, first + n, dtype=np.int64)
    known_codes: set[str] | None = set(gauges) if gauges is not None else None
    names = dict(gauges) if isinstance(gauges, Mapping) else {}

    # -- the file's unit --------------------------------------------------
    option_unit = None
    if unit is not None:
        option_unit = flow_unit(unit)
        if option_unit is None:
            raise ReadError(file, f"unknown discharge unit {unit!r}; use m3/s or cfs")
    header_unit = split_flow_header(found["discharge"])[1]
    if header_unit and option_unit and header_unit != option_unit:
        raise ReadError(
            file,
            f"the discharge column says {header_unit} but the unit given is {option_unit}",
            line=first - 1,
            column=found["discharge"],
        )
    file_unit = header_unit or option_unit
    if file_unit is None and "unit" not in found:
        file_unit = unit_from_file_name(file)
        if file_unit is not None:
            notes.append(f"unit {file_unit} taken from the file name")
        else:
            file_unit = CANONICAL_UNIT
            notes.append("no unit given: discharge taken as m3/s")

    # -- gauges ------------------------------------------------------------
    if "gauge" in found:
        codes = clean_codes(frame[found["gauge"]].to_numpy(dtype=object))
        if gauge is not None:
            notes.append(f"the file has a gauge column ({found['gauge']}); the gauge option is not used")
        gauge_col = found["gauge"]
    else:
        code = gauge or gauge_from_file_name(file, known_codes)
        if code is None:
            raise ReadError(
                file,
                "no gauge column (站码 / gauge) and no gauge code in the file name; give the gauge code",
                line=first - 1,
            )
        if gauge is None:
            notes.append(f"gauge {code} taken from the file name")
        codes = np.full(n, code, dtype=object)
        gauge_col = "gauge"
    if names:
        by_name: dict[str, list[str]] = {}
        for c, nm in names.items():
            if nm:
                by_name.setdefault(str(nm), []).append(c)
        for i, c in enumerate(codes):
            if c is not None and c not in names and len(by_name.get(c, ())) == 1:
                codes[i] = by_name[c][0]

    raw_q = frame[found["discharge"]].to_numpy(dtype=object)
    nums, blank, bad = to_numbers(raw_q)
    ok = ~blank
    no_gauge = ok & np.array([c is None for c in codes], dtype=bool)
    rejects.add(lines[no_gauge], gauge_col, None, "missing gauge code")
    ok &= ~no_gauge
    if known_codes is not None:
        unknown = ok & ~np.isin(codes.astype(str), list(known_codes))
        rejects.add(lines[unknown], gauge_col, codes[unknown], "unknown gauge (not in the gauge list)")
        ok &= ~unknown

    raw_date = frame[found["date"]].to_numpy(dtype=object)
    times, bad_time = parse_times(raw_date)
    days = times.dt.floor("D").to_numpy(dtype="datetime64[D]")
    no_date = ok & (bad_time | np.isnat(days))
    rejects.add(lines[no_date], found["date"], raw_date[no_date], "not a valid date")
    ok &= ~no_date

    bad &= ok
    rejects.add(lines[bad], found["discharge"], raw_q[bad], "discharge is not a number")
    ok &= ~bad

    factors = np.full(n, UNIT_FACTORS[file_unit] if file_unit else 1.0)
    if "unit" in found:
        ucol = found["unit"]
        raw_u = strip_cells(frame[ucol].to_numpy(dtype=object))
        for i in np.flatnonzero(ok):
            u = raw_u[i]
            if u is None:
                if file_unit is None:
                    rejects.add(lines[i], ucol, None, "no unit for this discharge (m3/s or cfs expected)")
                    ok[i] = False
                continue
            cu = flow_unit(u)
            if cu is None:
                rejects.add(lines[i], ucol, u, "unknown discharge unit (m3/s or cfs expected)")
                ok[i] = False
            elif header_unit and cu != header_unit:
                rejects.add(lines[i], ucol, u, f"unit differs from the discharge column's {header_unit}")
                ok[i] = False
            else:
                factors[i] = UNIT_FACTORS[cu]
    values = nums * factors
    neg = ok & (values < 0)
    rejects.add(lines[neg], found["discharge"], raw_q[neg], "negative discharge")
    ok &= ~neg

    idx = np.flatnonzero(ok)
    if len(idx):
        keys = pd.DataFrame({"g": codes[idx].astype(str), "d": days[idx]})
        dup = keys.duplicated(keep="last").to_numpy()
        if dup.any():
            last = keys.reset_index().groupby(["g", "d"])["index"].transform("max").to_numpy()
            for j in np.flatnonzero(dup):
                i = idx[j]
                rejects.add(
                    lines[i],
                    found["discharge"],
                    raw_q[i],
                    f"second value for gauge {codes[i]} on {days[i]}: line {lines[idx[last[j]]]} kept",
                )
                ok[i] = False
    idx = np.flatnonzero(ok)

    extra = [c for c in columns if c not in found.values()]
    for col in extra:
        count = int(frame[col].notna().sum())
        if count:
            rejects.add(first - 1, col, f"{count} values", "column not read (not part of a discharge file)")

    flows = pa.table(
        {
            "gauge": pa.array(codes[idx].astype(str), pa.string()),
            "date": pa.array(days[idx], pa.date32()),
            "discharge": pa.array(values[idx], pa.float64()),
        }
    )
    tables = {"flows": flows}
    if len(idx):
        g = pd.DataFrame({"code": codes[idx].astype(str)})
        for role in ("name", "river"):
            if role in found:
                g[role] = strip_cells(frame[found[role]].to_numpy(dtype=object)[idx])
        g = g.groupby("code", sort=True).last().reset_index()
        cols = {"code": pa.array(g["code"].tolist(), pa.string())}
        for role in ("name", "river"):
            if role in g:
                cols[role] = pa.array([None if v is None else str(v) for v in g[role]], pa.string())
        if known_codes is None or "name" in cols or "river" in cols:
            tables["gauges"] = pa.table(cols)
    time_range = (days[idx].min(), days[idx].max()) if len(idx) else None
    return ReadResult(
        file=file,
        reader=NAME,
        domain=DOMAIN,
        tables=tables,
        rejects=rejects,
        rows_read=n,
        values_read=int((~blank).sum()),
        time_range=time_range,
        notes=notes,
    )


def read_gauges(path: str | Path, data: bytes) -> ReadResult:
    """Read a gauge list into the ``gauges`` table."""
    file = str(path)
    frame = read_table(file, data)
    found = _gauge_columns([str(c) for c in frame.columns])
    if "code" not in found:
        raise ReadError(file, "no gauge code column (code / 站码 / 测站编码)", line=1)
    rejects = Rejects()
    first = int(frame.attrs.get("first_line", 2))
    n = len(frame)
    lines = np.arange(first, first + n, dtype=np.int64)
    codes = pd.Series(clean_codes(frame[found["code"]].to_numpy(dtype=object)), dtype=object)
    missing = codes.isna().to_numpy()
    rejects.add(lines[missing], found["code"], None, "missing gauge code")
    dup = (codes.duplicated(keep="last") & ~codes.isna()).to_numpy()
    for i in np.flatnonzero(dup):
        rejects.add(lines[i], found["code"], codes.iloc[i], "gauge listed again later (later line kept)")
    ok = ~(missing | dup)
    cols: dict[str, pa.Array] = {"code": pa.array(codes[ok].astype(str).tolist(), pa.string())}
    for key in ("name", "river", "section", "basin"):
        if key in found:
            vals = clean_codes(frame[found[key]].to_numpy(dtype=object)[ok])
            cols[key] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    for key, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        if key in found:
            raw = frame[found[key]].to_numpy(dtype=object)
            nums, _, bad = to_numbers(raw)
            out = np.isfinite(nums) & ((nums < lo) | (nums > hi))
            wrong = (bad | out) & ok
            rejects.add(lines[wrong], found[key], raw[wrong], f"{key} must be a number in [{lo}, {hi}]")
            sel = nums[ok]
            cols[key] = pa.array(sel, pa.float64(), mask=~np.isfinite(sel) | (sel < lo) | (sel > hi))
    extra = [c for c in frame.columns if c not in found.values()]
    for col in extra:
        count = int(frame[col].notna().sum())
        if count:
            rejects.add(first - 1, str(col), f"{count} values", "column not read (not part of a gauge list)")
    return ReadResult(
        file=file,
        reader=GAUGES_NAME,
        domain=DOMAIN,
        tables={"gauges": pa.table(cols)},
        rejects=rejects,
        rows_read=n,
        values_read=int(ok.sum()),
    )


def gauge_reader(file: str, head: bytes):
    """The gauge-list reader (``reader_for`` signature of :func:`ecoplan.ingest.ingest_files`)."""
    fn = functools.partial(read_gauges)
    fn.name = GAUGES_NAME  # type: ignore[attr-defined]
    return fn


def flow_reader_for(
    file: str,
    head: bytes,
    gauges: Mapping[str, str | None] | Collection[str] | None = None,
    *,
    gauge: str | None = None,
    unit: str | None = None,
):
    """The reader of a flow file by its header: a gauge list or a daily discharge file."""
    from . import header_of

    header = header_of(file, head)
    if matches_gauges(header):
        return gauge_reader(file, head)
    if not matches_daily(header):
        raise ReadError(
            file,
            "not a flow file: a daily discharge file needs date (日期) and discharge (流量) columns, "
            f"a gauge list a code column (站码); header: {','.join(header[:8])}",
            line=1,
        )
    fn = functools.partial(read_daily, gauges=gauges, gauge=gauge, unit=unit)
    fn.name = NAME  # type: ignore[attr-defined]
    return fn
