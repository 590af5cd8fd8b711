"""The national real-time publishing platform's daily site files.

``china_sites_YYYYMMDD.csv``: columns ``date, hour, type`` then one column per
station code; one line per hour and type. Types ``PM2.5, PM10, SO2, NO2, O3,
CO`` are the 1-hour concentrations (ug/m3, CO mg/m3) and become observations;
``AQI`` and the platform's own moving means (``*_24h``, ``O3_8h``,
``O3_8h_24h``) are published values, kept apart in ``air_published``.

The hour label marks the end of its hour (hour 16 = 15:00-16:00), so hour 0 of
file D belongs to natural day D-1. Times are stored as labelled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .base import ReadError, ReadResult, Rejects, arrow_times, to_numbers, utf8_bytes

NAME = "cnemc-sites"

# type -> air_hourly column (ug/m3, CO mg/m3, as the platform publishes them)
OBSERVATION_COLUMNS = {"PM2.5": "pm2_5", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "O3": "o3", "CO": "co"}
PUBLISHED_TYPES = {
    "AQI": "aqi",
    "PM2.5_24h": "pm2_5_24h",
    "PM10_24h": "pm10_24h",
    "SO2_24h": "so2_24h",
    "NO2_24h": "no2_24h",
    "O3_24h": "o3_24h",
    "O3_8h": "o3_8h",
    "O3_8h_24h": "o3_8h_24h",
    "CO_24h": "co_24h",
}
HEADER = ["date", "hour", "type"]


def matches(header: list[str]) -> bool:
    return [h.strip().lower() for h in header[:3]] == HEADER


def read(path: str | Path, data: bytes, *, stations: set[str] | None = None) -> ReadResult:
    """Read one daily site file.

    Parameters
    ----------
    path
        File name, used in messages.
    data
        The file's bytes.
    stations
        When given, station codes outside this set are rejected (one reject
        per column, counting its values) instead of being registered.
    """
    file = str(path)
    rejects = Rejects()
    body = utf8_bytes(data, file)
    if not body.strip():
        raise ReadError(file, "the file is empty", line=1)

    bad_rows: list[tuple[int | None, str]] = []
    grid = _parse_regular(body)
    if grid is not None:
        table = None
        header, dates, hours, raw_types, matrix, lines = grid
    else:
        table, matrix = _parse(body, file, bad_rows), None
        header = table.column_names
    if not matches(header):
        raise ReadError(
            file,
            f"header must start with date,hour,type; found {','.join(header[:3])}",
            line=1,
        )
    split_lines = body.split(b"\n") if bad_rows else []
    for number, text in bad_rows:
        line = number if number is not None else _find_line(split_lines, text)
        rejects.add(line, "", (text or "")[:200], "wrong number of fields (truncated or malformed line)")

    names = [c.strip() for c in header]
    if len(set(names)) != len(names):  # a station (or date, hour, type) twice
        dup = sorted({c for c in names if names.count(c) > 1})
        raise ReadError(file, f"columns appear twice: {', '.join(dup)}", line=1)
    codes = names[3:]
    if table is not None:
        # Line numbers in the file (header is line 1). Skipped rows shift them;
        # recover exact numbers by counting lines only when rows were skipped.
        lines = _data_line_numbers(body, table.num_rows, bad_rows)
        dates = table.column("date").to_pylist()
        hours = table.column("hour").to_pylist()
        raw_types = table.column("type").to_pylist()
    n = len(lines)
    types = np.array([t.strip() if isinstance(t, str) else t for t in raw_types], dtype=object)
    times = _times(dates, hours)
    line_ok = ~np.isnat(times)
    for i in np.flatnonzero(~line_ok):
        rejects.add(lines[i], "date/hour", f"{dates[i]} {hours[i]}", "not a valid date and hour (0-23)")
    known_type = np.isin(types, [*OBSERVATION_COLUMNS, *PUBLISHED_TYPES])
    for i in np.flatnonzero(line_ok & ~known_type):
        rejects.add(lines[i], "type", types[i], "unknown type")
    line_ok &= known_type

    # duplicated (time, type) lines: the later one is kept
    last_line: dict[tuple, int] = {}
    for i in np.flatnonzero(line_ok)[::-1]:
        key = (times[i], types[i])
        if key in last_line:
            line_ok[i] = False
            rejects.add(
                lines[i], "type", types[i], f"duplicate of line {lines[last_line[key]]} (later line kept)"
            )
        else:
            last_line[key] = i

    keep_cols = list(range(len(codes)))
    if stations is not None:
        keep_cols = []
        for ci, code in enumerate(codes):
            if code in stations:
                keep_cols.append(ci)
            else:
                count = _cells(table, matrix, ci)
                rejects.add(1, code, f"{count} values", "unknown station (not in the station list)")

    if matrix is not None:  # every cell a number or blank: NaN means blank
        values = matrix if len(keep_cols) == len(codes) else matrix[:, keep_cols]
        values_read = int(values.size - np.count_nonzero(np.isnan(values)))
    else:
        values, values_read = _values(table, keep_cols, codes, lines, line_ok, rejects)
    kept_codes = np.array([codes[ci] for ci in keep_cols], dtype=object)
    values[~line_ok, :] = np.nan

    negative = values < 0
    if negative.any():
        r, c = np.nonzero(negative)
        rejects.add(lines[r], kept_codes[c], values[r, c], "negative concentration")
        values[negative] = np.nan

    type_arr = types
    tables: dict[str, pa.Table] = {}

    # concentrations: one row per station-hour, a column per pollutant (air_hourly);
    # published values likewise (air_published). Codes are dictionary-encoded.
    for name, types_map in (("air_hourly", OBSERVATION_COLUMNS), ("air_published", PUBLISHED_TYPES)):
        rows = _station_hours(values, times, type_arr, line_ok, kept_codes, types_map)
        if rows is not None:
            tables[name] = rows

    if stations is None and len(kept_codes):
        tables["sites"] = pa.table(
            {
                "code": pa.array(kept_codes, pa.string()),
                "kind": pa.array(["air"] * len(kept_codes), pa.string()),
            }
        )

    valid_times = times[line_ok]
    if len(keep_cols) < len(codes):  # the rejected stations' values were read too
        kept = set(keep_cols)
        values_read += sum(_cells(table, matrix, ci) for ci in range(len(codes)) if ci not in kept)
    return ReadResult(
        file=file,
        reader=NAME,
        domain="air",
        tables=tables,
        rejects=rejects,
        rows_read=n + len(bad_rows),
        values_read=values_read,
        time_range=(valid_times.min(), valid_times.max()) if len(valid_times) else None,
    )


def _station_hours(
    values: np.ndarray,
    times: np.ndarray,
    types: np.ndarray,
    line_ok: np.ndarray,
    codes: np.ndarray,
    columns: dict[str, str],
) -> pa.Table | None:
    """Lines of the given types as one row per station and hour with a column per type."""
    rows = line_ok & np.isin(types, list(columns))
    if not rows.any():
        return None
    uniq_t, t_idx = np.unique(times[rows], return_inverse=True)
    row_values, row_types = values[rows], types[rows]
    cube = {}
    present = np.zeros((len(uniq_t), len(codes)), dtype=bool)
    for t, colname in columns.items():
        sel = row_types == t
        arr = np.full((len(uniq_t), len(codes)), np.nan)
        arr[t_idx[sel]] = row_values[sel]
        present |= ~np.isnan(arr)
        cube[colname] = arr
    r, c = np.nonzero(present)
    out = {
        "site": pa.DictionaryArray.from_arrays(c.astype(np.int32), pa.array(codes, pa.string())),
        "time": arrow_times(uniq_t[r]),
    }
    for colname, arr in cube.items():
        v = arr[r, c]
        out[colname] = pa.array(v, pa.float64(), mask=np.isnan(v))
    return pa.table(out)


_NA = ["", "NA", "NaN", "nan", "null", "-", "--"]  # blank cells, as the platform and its mirrors write them


def _parse_regular(
    body: bytes,
) -> tuple[list[str], list, list, list, np.ndarray, np.ndarray] | None:
    """The fast path for a regular file: every line whole, every station cell a number or blank.

    Returns ``(header, dates, hours, types, values, lines)`` with ``values`` a
    (lines x stations) float matrix (NaN where blank) and ``lines`` the file
    line of each row; ``None`` when the file needs the general parser (quotes,
    a line with the wrong number of fields, a cell that is not a number).
    Parsing the station cells as one column avoids the per-column cost of a
    1,600-column table; the result is the one :func:`_parse` would give.
    """
    if b'"' in body:
        return None
    text = body.replace(b"\r\n", b"\n")
    if b"\r" in text:
        return None
    rows = text.split(b"\n")
    header = rows[0].decode("utf-8").split(",")
    n_codes = len(header) - 3
    if n_codes < 1:
        return None
    na = set(_NA)
    dates, hours, types, cells, lines = [], [], [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue  # blank lines are skipped, as by the CSV parser
        fields = row.split(b",", 3)
        if len(fields) < 4 or fields[3].count(b",") != n_codes - 1:
            return None
        d, h, t = (None if f in na else f for f in (x.decode("utf-8") for x in fields[:3]))
        dates.append(d)
        hours.append(h)
        types.append(t)
        cells.append(fields[3])
        lines.append(number)
    if not lines:
        return None
    try:
        column = pacsv.read_csv(
            # one value per line; the final newline ends the last value even when it is blank
            pa.BufferReader(b"\n".join(cells).replace(b",", b"\n") + b"\n"),
            read_options=pacsv.ReadOptions(column_names=["v"], use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={"v": pa.float64()}, null_values=_NA),
        ).column(0)
    except pa.ArrowInvalid:
        return None  # some cell is not a number: the general parser rejects it by cell
    if len(column) != len(lines) * n_codes:
        return None
    values = np.array(column.to_numpy(), dtype=np.float64).reshape(len(lines), n_codes)  # writable
    return header, dates, hours, types, values, np.array(lines, dtype=np.int64)


def _cells(table: pa.Table | None, matrix: np.ndarray | None, ci: int) -> int:
    """How many cells of station column ``ci`` hold a value (parsed as a table or a matrix)."""
    if matrix is not None:
        return int(len(matrix) - np.count_nonzero(np.isnan(matrix[:, ci])))
    col = table.column(3 + ci)
    return len(col) - col.null_count


def _parse(body: bytes, file: str, bad_rows: list) -> pa.Table:
    """Parse the CSV; station columns as float64 when they all are numbers (the fast path)."""

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.text))
        return "skip"

    first = body.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    names = [c.strip().strip('"') for c in first.split(",")]
    text_types = {"date": pa.string(), "hour": pa.string(), "type": pa.string()}

    def attempt(types: dict) -> pa.Table:
        bad_rows.clear()
        return pacsv.read_csv(
            pa.BufferReader(body),
            # a daily file (under a megabyte) parses faster in the calling thread;
            # files are read several at a time (see ingest._read_ahead)
            read_options=pacsv.ReadOptions(use_threads=len(body) > 8 << 20, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=True, null_values=_NA
            ),
        )

    try:
        try:
            return attempt(text_types | {n: pa.float64() for n in names[3:]})
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc):
                raise
            # some cell is not a number: infer column types and reject cells one by one
            return attempt(text_types)
    except pa.ArrowInvalid as exc:
        raise ReadError(file, f"not a readable CSV table: {exc}", line=1) from exc


def _values(
    table: pa.Table,
    keep_cols: list[int],
    codes: list[str],
    lines: np.ndarray,
    line_ok: np.ndarray,
    rejects: Rejects,
) -> tuple[np.ndarray, int]:
    """Station values as a (lines x stations) float matrix, NaN where blank or rejected.

    Also returns how many cells held a value (numbers or not).
    """
    n = table.num_rows
    types = table.schema.types
    if keep_cols and n and all(pa.types.is_floating(types[3 + ci]) for ci in keep_cols):
        # the fast path: every cell parsed as a number or blank, so NaN means blank
        sub = table.select([3 + ci for ci in keep_cols]).combine_chunks()
        values = np.array(sub.to_batches()[0].to_tensor(null_to_nan=True, row_major=True))
        return values, int(values.size - np.count_nonzero(np.isnan(values)))
    cols = [table.column(3 + ci) for ci in keep_cols]
    read = sum(len(c) - c.null_count for c in cols)
    values = np.full((n, len(keep_cols)), np.nan)
    for out_ci, (ci, col) in enumerate(zip(keep_cols, cols, strict=True)):
        if pa.types.is_null(col.type):
            continue
        if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
            values[:, out_ci] = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
            continue
        nums, _, bad = to_numbers(np.asarray(col.to_pylist(), dtype=object))
        for i in np.flatnonzero(bad & line_ok):
            rejects.add(lines[i], codes[ci], col[i].as_py(), "not a number")
        values[:, out_ci] = nums
    return values, read


def _times(dates: list, hours: list) -> np.ndarray:
    """date (YYYYMMDD) + hour (0-23) -> datetime64[us]; NaT where invalid."""
    days: dict[object, np.datetime64] = {}
    out = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[us]")
    for i, (d, h) in enumerate(zip(dates, hours, strict=True)):
        if d not in days:
            text = d.strip() if isinstance(d, str) else ""
            try:
                days[d] = (
                    np.datetime64(f"{text[:4]}-{text[4:6]}-{text[6:]}", "us")
                    if len(text) == 8 and text.isdigit()
                    else None
                )
            except ValueError:
                days[d] = None
        day = days[d]
        hour = h.strip() if isinstance(h, str) else ""
        if day is not None and hour.isdigit() and int(hour) <= 23:
            out[i] = day + np.timedelta64(int(hour), "h")
    return out


def _data_line_numbers(body: bytes, n: int, bad_rows: list) -> np.ndarray:
    """File line numbers of the n parsed data rows (blank lines are skipped by the parser)."""
    if not bad_rows and b"\n\n" not in body.replace(b"\r\n", b"\n"):
        return np.arange(2, n + 2, dtype=np.int64)
    lines = body.split(b"\n")
    bad = {num if num is not None else _find_line(lines, text) for num, text in bad_rows}
    numbers = [i for i, line in enumerate(lines[1:], start=2) if line.strip() and i not in bad]
    return np.array(numbers[:n], dtype=np.int64)


def _find_line(lines: list[bytes], text: str | None) -> int:
    """The line number of a line given by its text (0 when not found)."""
    if not text:
        return 0
    needle = text.encode("utf-8").rstrip(b"\r")
    for i, line in enumerate(lines, start=1):
        if line.rstrip(b"\r") == needle:
            return i
    return 0
