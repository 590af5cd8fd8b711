"""Stations' HJ 663 daily values kept in the store (``air_daily``), derived from ``air_hourly``.

The daily report and the period statistics of stations start from the daily
values of every station-day (:func:`ecoplan.air.statistics.daily_values`):
an aggregation of every stored hour, the costliest part of both. The store
keeps its result, one row per station and natural day. The queries read the
table when it is current and compute from the hours otherwise, with the same
expression either way.

The ingest keeps it current in two steps. In the transaction that writes the
hours it records the natural days they fall on as pending (``meta``,
:func:`mark_stale`; an hour labelled 00:00 belongs to the day before); once
that has committed, :func:`refresh` derives those days again and clears the
record, in a transaction of its own. While days are pending the queries
compute from the hours, so a process killed between the two steps costs
speed, not correctness, and the next ingest's refresh takes the record up.

*Current* also means derived by the computation this version would run: the
store records a fingerprint of the daily values' SQL (which holds every rule
and limit the table files give it). A release whose rules or code differ
sees another fingerprint and computes from the hours until the next air
ingest rebuilds the table whole; a store written before the table existed is
rebuilt the same way.

Other engines (Spark over the exchange layout) have no such table and always
compute from the hours; the cross-engine tests compare the two paths.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

import ibis
import ibis.expr.types as ir

from . import statistics as st

TABLE = "air_daily"
_HOUR = dt.timedelta(hours=1)
FINGERPRINT_KEY = "air_daily_fingerprint"
PENDING_KEY = "air_daily_pending"  # days whose hours changed since the table was derived
# the series daily_values reads, as station_hourly gives it, under the name the SQL binds it to
_SERIES = "_ecoplan_series"
_SERIES_SCHEMA = {"sid": "string", "time": "timestamp", **{c: "float64" for c in st.POLLUTANT_COLUMNS}}


@functools.cache
def _placeholder() -> ir.Table:
    """The daily values over a placeholder series: their column types."""
    return st.daily_values(ibis.table(_SERIES_SCHEMA, name=_SERIES))


@functools.cache
def _daily_sql() -> str:
    """The daily values' SQL over the placeholder series, compiled once a process (0.3 s)."""
    return ibis.to_sql(_placeholder(), dialect="duckdb")


@functools.cache
def fingerprint() -> str:
    """SHA-256 of the daily values' SQL: it changes when a rule or the code does."""
    return hashlib.sha256(_daily_sql().encode("utf-8")).hexdigest()


def _values_sql(days: list[tuple[dt.date, dt.date]] | None) -> str:
    """SQL of ``site_id, date, <daily values>`` of the stored hours of the natural days (all when None).

    The fingerprinted SQL itself, with the placeholder series bound to the
    stored hours by a WITH clause: what is stored is what the fingerprint
    names.
    """
    where = ""
    if days is not None:  # the hours labelled (first 00:00, last+1 00:00]
        where = "WHERE " + " OR ".join(
            f"(time > TIMESTAMP '{_midnight(first)}' AND time <= TIMESTAMP '{_midnight(last, 1)}')"
            for first, last in days
        )
    cols = ", ".join(st.POLLUTANT_COLUMNS)
    series = f"SELECT site_id AS sid, time, {cols} FROM air_hourly {where}"
    return f"WITH {_SERIES} AS ({series}) SELECT sid AS site_id, * EXCLUDE (sid) FROM ({_daily_sql()})"


def _midnight(day: dt.date, plus_days: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time())


def natural_days(spans: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.date, dt.date]]:
    """The natural days of the hours ``lo..hi`` of each span, as sorted disjoint ranges (first, last).

    An hour labelled 00:00 ends the day before (the labels mark the end of their hour).
    """
    return _merge([((lo - _HOUR).date(), (hi - _HOUR).date()) for lo, hi in spans])


def _merge(ranges: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Day ranges sorted, with overlapping or adjacent ranges joined."""
    merged: list[tuple[dt.date, dt.date]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def mark_stale(store, spans: list[tuple[dt.datetime, dt.datetime]]) -> None:
    """Record that the days of the hours ``spans`` (lo, hi) must be derived again (in the ingest's transaction).

    Until :func:`refresh` has run, the queries compute from the hours: a
    process killed between the two leaves the record, and the next refresh
    takes it up.
    """
    days = _merge([*pending(store.con), *natural_days(spans)])
    store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [PENDING_KEY, _dump(days)])


def refresh(store) -> None:
    """Derive the days recorded by :func:`mark_stale`, in a transaction of its own.

    It runs after the ingest has committed: DuckDB aggregates committed rows
    faster than the rows of an open transaction (national year: 2.4 s against
    4.4 s). Rebuilds the whole table instead when it is missing or was
    derived by another computation (see the module's text).
    """
    with store.transaction() as con:
        current = con.execute("SELECT value FROM meta WHERE key = ?", [FINGERPRINT_KEY]).fetchone()
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [TABLE]
        ).fetchone()[0]
        if current is None or current[0] != fingerprint() or not exists:
            con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {_values_sql(None)}")
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [FINGERPRINT_KEY, fingerprint()])
        else:
            days = pending(con)
            if days:
                for first, last in days:
                    con.execute(f"DELETE FROM {TABLE} WHERE date BETWEEN ? AND ?", [first, last])
                con.execute(f"INSERT INTO {TABLE} BY NAME {_values_sql(days)}")
        con.execute("DELETE FROM meta WHERE key = ?", [PENDING_KEY])


def pending(con) -> list[tuple[dt.date, dt.date]]:
    """The day ranges recorded by :func:`mark_stale` and not yet derived again."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [PENDING_KEY]).fetchone()
    if not row:
        return []
    return [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in json.loads(row[0])]


def _dump(days: list[tuple[dt.date, dt.date]]) -> str:
    return json.dumps([[a.isoformat(), b.isoformat()] for a, b in days])


def stored(backend) -> ir.Table | None:
    """The stored daily values as :func:`~ecoplan.air.statistics.daily_values` gives them, or None.

    None when the backend holds no ``air_daily``, one derived by another
    computation, or one with days to derive again: the caller then computes
    from the hours.
    """
    tables = backend.list_tables()
    if TABLE not in tables or "meta" not in tables:
        return None
    meta = backend.table("meta")
    rows = backend.to_pyarrow(meta.filter(meta.key.isin([FINGERPRINT_KEY, PENDING_KEY]))).to_pylist()
    found = {r["key"]: r["value"] for r in rows}
    if found.get(FINGERPRINT_KEY) != fingerprint() or PENDING_KEY in found:
        return None
    d, sites = backend.table(TABLE), backend.table("sites")
    j = d.join(sites, d.site_id == sites.site_id)
    types = _placeholder().schema()  # the stored table's types may be narrower (counts as INTEGER)
    return j.select(sid=j.code, **{c: j[c].cast(types[c]) for c in types if c != "sid"})
