"""Turn cells of any air format into canonical observations, rejecting what is wrong.

Shared by the long, wide and per-hour national readers: every check names the
line and the column of the cell it rejects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .base import (
    AIR_UNITS,
    Rejects,
    air_parameter,
    air_unit_factor,
    arrow_times,
    canonical_unit,
    parse_times,
    to_numbers,
)


def clean_codes(values: pd.Series | np.ndarray) -> np.ndarray:
    """Station codes as stripped text; None where blank. Numbers lose a trailing .0."""

    def one(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, float):
            if np.isnan(v):
                return None
            if v.is_integer():
                v = int(v)
        text = str(v).strip()
        return text or None

    return np.array([one(v) for v in np.asarray(values, dtype=object)], dtype=object)


def observations(
    *,
    lines: np.ndarray,
    site: np.ndarray,
    time: np.ndarray | pd.Series,
    parameter: np.ndarray,
    value: np.ndarray,
    unit: np.ndarray | None,
    site_column: str,
    time_column: str,
    parameter_column: np.ndarray | str,
    value_column: np.ndarray | str,
    unit_column: str | None,
    stations: set[str] | None,
    rejects: Rejects,
) -> tuple[pa.Table, np.ndarray]:
    """Validate and convert cells to the ``observations`` table.

    Returns the table and a boolean mask of the input cells that were kept.
    Blank values are dropped silently (missing data is not stored); every
    other dropped cell becomes a reject.
    """
    n = len(lines)
    lines = np.asarray(lines, dtype=np.int64)
    value = np.asarray(value, dtype=object)
    parameter = np.asarray(parameter, dtype=object)
    pcol = np.broadcast_to(np.asarray(parameter_column, dtype=object), (n,))
    vcol = np.broadcast_to(np.asarray(value_column, dtype=object), (n,))
    nums, blank, bad = to_numbers(value)
    ok = ~blank

    codes = clean_codes(site)
    no_site = ok & np.array([c is None for c in codes], dtype=bool)
    rejects.add(lines[no_site], site_column, None, "missing station code")
    ok &= ~no_site
    if stations is not None:
        unknown = ok & ~np.isin(codes.astype(str), list(stations))
        rejects.add(lines[unknown], site_column, codes[unknown], "unknown station (not in the station list)")
        ok &= ~unknown

    times, bad_time = parse_times(time)
    times = times.to_numpy(dtype="datetime64[us]")
    no_time = ok & (bad_time | np.isnat(times))
    raw_time = np.asarray(time, dtype=object)
    rejects.add(lines[no_time], time_column, raw_time[no_time], "not a valid time")
    ok &= ~no_time

    params = np.array([air_parameter(p) if p is not None else None for p in parameter], dtype=object)
    no_param = ok & np.array([p is None for p in params], dtype=bool)
    rejects.add(lines[no_param], pcol[no_param], parameter[no_param], "unknown parameter")
    ok &= ~no_param

    bad &= ok
    rejects.add(lines[bad], vcol[bad], value[bad], "not a number")
    ok &= ~bad

    factors = np.ones(n)
    if unit is not None:
        units = np.asarray(unit, dtype=object)
        for i in np.flatnonzero(ok):
            u = units[i]
            if u is None or (isinstance(u, str) and not u.strip()):
                continue
            cu = canonical_unit(u)
            f = air_unit_factor(params[i], cu) if cu else None
            if f is None:
                rejects.add(
                    lines[i],
                    unit_column or "unit",
                    u,
                    f"unit does not fit {params[i]} (expected {AIR_UNITS[params[i]]})",
                )
                ok[i] = False
            else:
                factors[i] = f
    vals = nums * factors
    neg = ok & (vals < 0)
    rejects.add(lines[neg], vcol[neg], value[neg], "negative concentration")
    ok &= ~neg

    # one value per key: a later line replaces an earlier one
    idx = np.flatnonzero(ok)
    if len(idx):
        keys = pd.DataFrame({"s": codes[idx], "t": times[idx], "p": params[idx]})
        dup = keys.duplicated(keep="last").to_numpy()
        if dup.any():
            last = keys.reset_index().groupby(["s", "t", "p"])["index"].transform("max").to_numpy()
            for j in np.flatnonzero(dup):
                i = idx[j]
                rejects.add(
                    lines[i], vcol[i], value[i], f"duplicate of line {lines[idx[last[j]]]} (later line kept)"
                )
                ok[i] = False
    idx = np.flatnonzero(ok)
    table = pa.table(
        {
            "site": pa.array(codes[idx].astype(str), pa.string()),
            "time": arrow_times(times[idx]),
            "parameter": pa.array(params[idx].astype(str), pa.string()),
            "value": pa.array(vals[idx], pa.float64()),
            "unit": pa.array([AIR_UNITS[p] for p in params[idx]], pa.string()),
        }
    )
    return table, ok
