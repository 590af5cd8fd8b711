"""What every reader shares: results, errors, names, units, times and text decoding.

A reader turns one file into tables in canonical form (see :mod:`ecoplan.store`)
plus a table of rejected cells, each naming the line, the column, the value and
the reason. A file that cannot be read at all raises :class:`ReadError`.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

CHINA_TZ = "Asia/Shanghai"

REJECT_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("column", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
    ]
)


class ReadError(ValueError):
    """A file that cannot be read, with where and why."""

    def __init__(self, file: str | Path, message: str, *, line: int | None = None, column: str | None = None):
        self.file = str(file)
        self.line = line
        self.column = column
        self.message = message
        where = self.file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


@dataclass
class Rejects:
    """Accumulates rejected cells of one file."""

    lines: list[np.ndarray] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    reasons: list[np.ndarray] = field(default_factory=list)

    def add(self, line, column, value, reason) -> None:
        """Add one reject or many (arrays broadcast against each other)."""
        line_a = np.atleast_1d(np.asarray(line, dtype=np.int64))
        n = len(line_a)
        if n == 0:
            return

        def _arr(x) -> np.ndarray:
            a = np.atleast_1d(np.asarray(x, dtype=object))
            return np.repeat(a, n) if len(a) == 1 and n > 1 else a

        self.lines.append(line_a)
        self.columns.append(_arr(column))
        self.values.append(np.array([None if v is None else str(v) for v in _arr(value)], object))
        self.reasons.append(_arr(reason))

    def __len__(self) -> int:
        return int(sum(len(x) for x in self.lines))

    def table(self) -> pa.Table:
        if not self.lines:
            return REJECT_SCHEMA.empty_table()
        return pa.table(
            {
                "line": np.concatenate(self.lines),
                "column": np.concatenate(self.columns).astype(str),
                "value": np.concatenate(self.values),
                "reason": np.concatenate(self.reasons).astype(str),
            },
            schema=REJECT_SCHEMA,
        )


@dataclass
class ReadResult:
    """The canonical tables read from one file.

    ``tables`` maps store table names (``observations``, ``sites``,
    ``air_published`` ...) to Arrow tables holding their key and value
    columns. ``rows_read`` counts data lines, ``values_read`` the non-blank
    values found.
    """

    file: str
    reader: str
    domain: str
    tables: dict[str, pa.Table]
    rejects: Rejects
    rows_read: int
    values_read: int
    time_range: tuple[object, object] | None = None
    notes: list[str] = field(default_factory=list)


# -- text ---------------------------------------------------------------------

ENCODINGS = ("utf-8-sig", "gb18030")


def decode(data: bytes, file: str | Path) -> str:
    """Decode UTF-8 (with or without BOM) or GBK/GB18030, the encodings Chinese exports use."""
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ReadError(file, "text is neither UTF-8 nor GB18030/GBK")


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ReadError(path, f"cannot open: {exc.strerror or exc}") from exc


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utf8_bytes(data: bytes, file: str | Path) -> bytes:
    """The file's bytes re-encoded as UTF-8 without BOM, CRLF left to the CSV parser."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return decode(data, file).encode("utf-8")


def read_csv_strings(data: bytes, file: str | Path) -> pd.DataFrame:
    """A CSV as a frame of strings (blank cells as None), header kept verbatim."""
    text = decode(data, file)
    if not text.strip():
        raise ReadError(file, "the file is empty")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise ReadError(file, f"not a readable CSV table: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ReadError(file, "the file has no header line") from exc
    _check_csv_shape(text, file)
    return frame.astype(object).where(frame.notna(), None)


def _check_csv_shape(text: str, file: str | Path) -> None:
    """What the CSV parser lets pass: a header naming a column twice (it renames the second
    ``x.1``), and a last line cut short (a transfer that stopped; the parser fills the
    missing fields with blanks)."""
    import csv

    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())
    header = next(csv.reader([lines[first]], skipinitialspace=True))
    names = [h.strip() for h in header]
    dup = sorted({n for n in names if n and names.count(n) > 1})
    if dup:
        raise ReadError(file, f"columns appear twice: {', '.join(dup)}", line=first + 1)
    if text.endswith(("\n", "\r")):
        return
    last = len(lines) - 1
    if last <= first or not lines[last].strip():
        return
    try:
        fields = next(csv.reader([lines[last]], skipinitialspace=True))
    except csv.Error:
        return
    if len(fields) < len(header):
        raise ReadError(
            file,
            f"the file ends in the middle of line {last + 1} ({len(fields)} of {len(header)} fields, "
            "no line end): it looks cut off; nothing of it was stored, send the whole file again",
            line=last + 1,
        )


def normalise_header(name: object) -> str:
    """Lower-case, width-normalised header text (full-width brackets folded)."""
    text = unicodedata.normalize("NFKC", str(name)).strip()
    return re.sub(r"\s+", " ", text).lower()


# -- air parameters and units ------------------------------------------------

AIR_PARAMETERS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")

AIR_UNITS = {p: "ug/m3" for p in AIR_PARAMETERS} | {"CO": "mg/m3"}

_AIR_ALIASES = {
    "PM2.5": ["pm2.5", "pm2_5", "pm25", "pm 2.5", "细颗粒物", "pm2.5浓度"],
    "PM10": ["pm10", "pm 10", "可吸入颗粒物", "pm10浓度"],
    "SO2": ["so2", "二氧化硫"],
    "NO2": ["no2", "二氧化氮"],
    "O3": ["o3", "臭氧", "o3_1h", "o3-1h", "臭氧1小时"],
    "CO": ["co", "一氧化碳"],
}
AIR_ALIASES = {alias: canon for canon, names in _AIR_ALIASES.items() for alias in names}

_UNIT_ALIASES = {
    "ug/m3": "ug/m3",
    "μg/m3": "ug/m3",
    "µg/m3": "ug/m3",
    "ug/m³": "ug/m3",
    "μg/m³": "ug/m3",
    "µg/m³": "ug/m3",
    "微克/立方米": "ug/m3",
    "mg/m3": "mg/m3",
    "mg/m³": "mg/m3",
    "毫克/立方米": "mg/m3",
}

# factor turning a value in the first unit into the second
_AIR_FACTORS = {("ug/m3", "ug/m3"): 1.0, ("mg/m3", "mg/m3"): 1.0}
_AIR_FACTORS |= {("mg/m3", "ug/m3"): 1000.0, ("ug/m3", "mg/m3"): 0.001}

_UNIT_IN_HEADER = re.compile(r"^(.*?)\s*[\(\[]\s*([^\)\]]+?)\s*[\)\]]\s*$")


def split_header_unit(header: object) -> tuple[str, str | None]:
    """``"PM2.5(μg/m³)"`` -> ``("pm2.5", "ug/m3")``; the unit is None when absent."""
    text = normalise_header(header)
    m = _UNIT_IN_HEADER.match(text)
    if m:
        return m.group(1).strip(), canonical_unit(m.group(2))
    return text, None


def canonical_unit(unit: object) -> str | None:
    """The canonical spelling of a unit, or None when it is unknown."""
    if unit is None:
        return None
    text = unicodedata.normalize("NFKC", str(unit)).strip().lower().replace(" ", "")
    return _UNIT_ALIASES.get(text, _UNIT_ALIASES.get(text.replace("³", "3")))


def air_parameter(name: object) -> str | None:
    """Canonical air parameter for a header or item name, or None."""
    base, _ = split_header_unit(name)
    return AIR_ALIASES.get(base)


def air_unit_factor(parameter: str, unit: str | None) -> float | None:
    """Factor to the canonical unit of ``parameter``; None when ``unit`` does not fit it."""
    if unit is None:
        return 1.0
    return _AIR_FACTORS.get((unit, AIR_UNITS[parameter]))


# -- numbers ----------------------------------------------------------------


_MISSING_MARKERS = frozenset(["", "-", "--", "—", "NA", "N/A", "nan", "NaN", "null", "NULL"])


def strip_cells(values: pd.Series | np.ndarray | list) -> np.ndarray:
    """Object array of the cells with text stripped; blanks, NaN and missing markers as None."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(np.asarray(values, dtype=object)):
        if isinstance(v, str):
            v = v.strip()
            out[i] = None if v in _MISSING_MARKERS else v
        elif v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            out[i] = None
        else:
            out[i] = v
    return out


def to_numbers(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse cells to float.

    Returns ``(numbers, blank, bad)``: ``numbers`` holds NaN where a cell is
    blank or unparseable (callers turn those into rejects or drop them, never
    store NaN); ``blank`` marks empty cells and missing-value markers
    (``--``, ``NA`` ...); ``bad`` marks text that is not a number.
    """
    cells = strip_cells(values)
    blank = np.array([c is None for c in cells], dtype=bool)
    nums = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~blank & ~np.isfinite(nums)
    return nums, blank, bad


# -- times ------------------------------------------------------------------

_COMPACT_DATE = re.compile(r"^\d{8}$")
_COMPACT_DATETIME = re.compile(r"^\d{10}$|^\d{12}$|^\d{14}$")


def parse_times(values: pd.Series | np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Parse timestamps as people write them into naive China Standard Time.

    Accepts ``20190101`` (a date), ``2019010113`` / ``201901011300`` (compact),
    ``2019/1/1 1:00``, ``2019-01-01 01:00:00``, ISO 8601 with an offset
    (``2019-01-01T01:00+08:00``, ``...Z``) which is converted to UTC+8, and
    Excel/pandas timestamps. Returns ``(times, bad)`` where ``bad`` marks
    values that are not a time.
    """
    text = pd.Series(strip_cells(values), dtype=object)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    is_ts = pd.Series([isinstance(v, np.datetime64) or hasattr(v, "year") for v in text], dtype=bool)
    for idx in text.index[is_ts]:
        ts = pd.Timestamp(text[idx])
        if ts.tzinfo is not None:
            ts = ts.tz_convert(CHINA_TZ).tz_localize(None)
        out[idx] = ts
    strings = text[~is_ts & text.notna()].astype(str)
    if len(strings):
        compact_d = strings.str.match(_COMPACT_DATE)
        compact_dt = strings.str.match(_COMPACT_DATETIME)
        if compact_d.any():
            out[strings.index[compact_d]] = pd.to_datetime(
                strings[compact_d], format="%Y%m%d", errors="coerce"
            )
        if compact_dt.any():
            sub = strings[compact_dt]
            padded = sub.str.ljust(14, "0")
            out[sub.index] = pd.to_datetime(padded, format="%Y%m%d%H%M%S", errors="coerce")
        rest = strings[~compact_d & ~compact_dt]
        if len(rest):
            out[rest.index] = _parse_free(rest)
    bad = (out.isna() & text.notna()).to_numpy()
    return out, bad


def _parse_free(strings: pd.Series) -> pd.Series:
    has_zone = strings.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    result = pd.Series(pd.NaT, index=strings.index, dtype="datetime64[us]")
    if (~has_zone).any():
        plain = strings[~has_zone].str.replace("T", " ", regex=False)
        result[plain.index] = pd.to_datetime(plain, format="mixed", errors="coerce")
    if has_zone.any():
        zoned = pd.to_datetime(strings[has_zone], format="mixed", errors="coerce", utc=True)
        result[zoned.index] = zoned.dt.tz_convert(CHINA_TZ).dt.tz_localize(None)
    return result


def arrow_times(times: pd.Series | np.ndarray) -> pa.Array:
    return pa.array(np.asarray(times, dtype="datetime64[us]"), type=pa.timestamp("us"))
