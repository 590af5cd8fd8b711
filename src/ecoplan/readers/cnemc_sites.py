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
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .base import AIR_UNITS, ReadError, ReadResult, Rejects, arrow_times, to_numbers, utf8_bytes

NAME = "cnemc-sites"

OBSERVATION_TYPES = {"PM2.5": "PM2.5", "PM10": "PM10", "SO2": "SO2", "NO2": "NO2", "O3": "O3", "CO": "CO"}
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

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={"date": pa.string(), "hour": pa.string(), "type": pa.string()},
                strings_can_be_null=True,
                null_values=["", "NA", "NaN", "nan", "null", "-", "--"],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise ReadError(file, f"not a readable CSV table: {exc}", line=1) from exc

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

    codes = [c.strip() for c in header[3:]]
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise ReadError(file, f"station columns appear twice: {', '.join(dup)}", line=1)
    n = table.num_rows
    # Line numbers in the file (header is line 1). Skipped rows shift them;
    # recover exact numbers by counting lines only when rows were skipped.
    lines = _data_line_numbers(body, n, bad_rows)

    dates = table.column("date").to_pylist()
    hours = table.column("hour").to_pylist()
    types = [t.strip() if isinstance(t, str) else t for t in table.column("type").to_pylist()]
    times = _times(dates, hours)
    line_ok = ~np.isnat(times)
    for i in np.flatnonzero(~line_ok):
        rejects.add(lines[i], "date/hour", f"{dates[i]} {hours[i]}", "not a valid date and hour (0-23)")
    known_type = np.array([t in OBSERVATION_TYPES or t in PUBLISHED_TYPES for t in types])
    for i in np.flatnonzero(line_ok & ~known_type):
        rejects.add(lines[i], "type", types[i], "unknown type")
    line_ok &= known_type

    # duplicated (time, type) lines: the later one is kept
    keys = [(times[i], types[i]) for i in range(n)]
    last_seen: dict[tuple, int] = {}
    for i in np.flatnonzero(line_ok):
        k = keys[i]
        if k in last_seen:
            j = last_seen[k]
            line_ok[j] = False
            rejects.add(lines[j], "type", types[j], f"duplicate of line {lines[i]} (later line kept)")
        last_seen[k] = i

    keep_cols = list(range(len(codes)))
    if stations is not None:
        keep_cols = []
        for ci, code in enumerate(codes):
            if code in stations:
                keep_cols.append(ci)
            else:
                col = table.column(3 + ci)
                count = len(col) - col.null_count
                rejects.add(1, code, f"{count} values", "unknown station (not in the station list)")

    values = np.full((n, len(keep_cols)), np.nan)
    for out_ci, ci in enumerate(keep_cols):
        col = table.column(3 + ci)
        if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
            values[:, out_ci] = pc.fill_null(col.cast(pa.float64()), np.nan).to_numpy()
        elif pa.types.is_null(col.type):
            continue
        else:
            nums, _, bad = to_numbers(np.asarray(col.to_pylist(), dtype=object))
            for i in np.flatnonzero(bad & line_ok):
                rejects.add(lines[i], codes[ci], col[i].as_py(), "not a number")
            values[:, out_ci] = nums
    kept_codes = np.array([codes[ci] for ci in keep_cols], dtype=object)
    values[~line_ok, :] = np.nan

    negative = values < 0
    if negative.any():
        r, c = np.nonzero(negative)
        rejects.add(lines[r], kept_codes[c], values[r, c], "negative concentration")
        values[negative] = np.nan

    type_arr = np.array(types, dtype=object)
    tables: dict[str, pa.Table] = {}

    # observations: long form
    obs_parts = []
    for t, param in OBSERVATION_TYPES.items():
        rows = np.flatnonzero(line_ok & (type_arr == t))
        if len(rows) == 0:
            continue
        block = values[rows]
        r, c = np.nonzero(~np.isnan(block))
        obs_parts.append((times[rows][r], kept_codes[c], param, block[r, c]))
    if obs_parts:
        t_all = np.concatenate([p[0] for p in obs_parts])
        s_all = np.concatenate([p[1] for p in obs_parts])
        p_all = np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in obs_parts])
        v_all = np.concatenate([p[3] for p in obs_parts])
        u_all = np.array([AIR_UNITS[p] for p in p_all], dtype=object) if len(p_all) else p_all
        tables["observations"] = pa.table(
            {
                "site": pa.array(s_all, pa.string()),
                "time": arrow_times(t_all),
                "parameter": pa.array(p_all, pa.string()),
                "value": pa.array(v_all, pa.float64()),
                "unit": pa.array(u_all, pa.string()),
            }
        )

    # published values: one row per station-hour
    pub_rows = line_ok & np.isin(type_arr, list(PUBLISHED_TYPES))
    if pub_rows.any():
        uniq_t, t_idx = np.unique(times[pub_rows], return_inverse=True)
        cube = {}
        present = np.zeros((len(uniq_t), len(kept_codes)), dtype=bool)
        for t, colname in PUBLISHED_TYPES.items():
            sel = type_arr[pub_rows] == t
            arr = np.full((len(uniq_t), len(kept_codes)), np.nan)
            arr[t_idx[sel]] = values[pub_rows][sel]
            present |= ~np.isnan(arr)
            cube[colname] = arr
        r, c = np.nonzero(present)
        cols = {
            "site": pa.array(kept_codes[c], pa.string()),
            "time": arrow_times(uniq_t[r]),
        }
        for colname, arr in cube.items():
            v = arr[r, c]
            cols[colname] = pa.array(v, pa.float64(), mask=np.isnan(v))
        tables["air_published"] = pa.table(cols)

    if stations is None and len(kept_codes):
        tables["sites"] = pa.table(
            {
                "code": pa.array(kept_codes, pa.string()),
                "kind": pa.array(["air"] * len(kept_codes), pa.string()),
            }
        )

    valid_times = times[line_ok]
    values_read = sum(
        table.column(3 + ci).length() - table.column(3 + ci).null_count for ci in range(len(codes))
    )
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


def _times(dates: list, hours: list) -> np.ndarray:
    """date (YYYYMMDD) + hour (0-23) -> datetime64[us]; NaT where invalid."""
    out = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[us]")
    cache: dict[str, np.datetime64] = {}
    for i, (d, h) in enumerate(zip(dates, hours, strict=True)):
        if d is None or h is None:
            continue
        d = d.strip()
        day = cache.get(d)
        if day is None:
            if len(d) != 8 or not d.isdigit():
                continue
            try:
                day = np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:]}", "us")
            except ValueError:
                continue
            cache[d] = day
        h = h.strip()
        if not h.isdigit() or not 0 <= int(h) <= 23:
            continue
        out[i] = day + np.timedelta64(int(h), "h")
    return out


def _data_line_numbers(body: bytes, n: int, bad_rows: list) -> np.ndarray:
    """File line numbers of the n parsed data rows (blank lines are skipped by the parser)."""
    if not bad_rows:
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
