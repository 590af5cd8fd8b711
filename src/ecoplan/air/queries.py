"""Air assessments over a store: the tables the CLI, the API and the reports show.

Each function takes an Ibis backend holding ``observations``, ``sites`` and
``air_published`` (the DuckDB store, or Spark over the exchange layout) and
returns an Arrow table. Filters are Ibis expressions, never SQL text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..standards import aqi_table, available_editions
from . import daily_store
from . import statistics as st
from .aqi import add_pollutant_names, editions_between

BY = ("station", "city")


def _day_bounds(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Hour labels of the natural days start..end: (start 00:00, end+1 00:00]."""
    lo = dt.datetime.combine(start, dt.time()) if start else None
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) if end else None
    return lo, hi


def station_hours(backend) -> ir.Table:
    """Station-hour rows ``(site, time, pm2_5 .. co)``: a wide ``air_hourly``, or pivoted long rows.

    A DuckDB store keeps the six pollutants one row per station-hour (keyed
    by station id); an exchange directory written by ecoplan holds the same
    rows keyed by station code (``air_hourly`` of the exchange format). An
    exchange written by another tool may hold only the long
    ``observations``, which are pivoted here: on Spark that pivot regroups
    every value by station and hour, the costliest part of each assessment
    (130 s of the national year's 160-195 s a query, local[2]).
    """
    if "air_hourly" in backend.list_tables():
        a = backend.table("air_hourly")
        if "site" in a.columns:  # the exchange layout: station codes
            return a.select("site", "time", *st.POLLUTANT_COLUMNS)
        s = backend.table("sites")
        j = a.join(s, a.site_id == s.site_id)
        return j.select(site=j.code, time=j.time, **{c: j[c] for c in st.POLLUTANT_COLUMNS})
    return st.pivot_long(backend.table("observations"))


def _station_hours(
    backend,
    *,
    stations: Sequence[str] | None,
    cities: Sequence[str] | None,
    start: dt.date | None,
    end: dt.date | None,
) -> tuple[ir.Table, ir.Table]:
    air = station_hours(backend)
    sites = backend.table("sites")
    lo, hi = _day_bounds(start, end)
    if lo is not None:
        air = air.filter(air.time > lo)
    if hi is not None:
        air = air.filter(air.time <= hi)
    return _in_scope(air, air.site, sites, stations, cities), sites


def _in_scope(
    t: ir.Table,
    code: ir.StringColumn,
    sites: ir.Table,
    stations: Sequence[str] | None,
    cities: Sequence[str] | None,
) -> ir.Table:
    """Rows of ``t`` whose station ``code`` is among ``stations`` and in one of ``cities`` (each when given)."""
    if stations:
        t = t.filter(code.isin(list(stations)))
    if cities:
        in_city = sites.filter(sites.city.isin(list(cities))).select("code")
        t = t.filter(code.isin(in_city.code))
    return t


def series(
    backend,
    *,
    by: str = "station",
    stations: Sequence[str] | None = None,
    cities: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ir.Table:
    """Hourly series (sid, time, pm2_5 .. co) of stations or cities."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}")
    air, sites = _station_hours(backend, stations=stations, cities=cities, start=start, end=end)
    return st.station_hourly(air) if by == "station" else st.city_hourly(air, sites)


def _daily_values(
    backend,
    *,
    by: str,
    stations: Sequence[str] | None,
    cities: Sequence[str] | None,
    start: dt.date | None,
    end: dt.date | None,
) -> ir.Table:
    """HJ 663 daily values of the series: the store's ``air_daily`` for stations when current, else from the hours."""
    d = daily_store.stored(backend) if by == "station" else None
    if d is None:
        h = series(backend, by=by, stations=stations, cities=cities, start=start, end=end)
        return st.daily_values(h)
    if start is not None:
        d = d.filter(d.date >= start)
    if end is not None:
        d = d.filter(d.date <= end)
    return _in_scope(d, d.sid, backend.table("sites"), stations, cities)


def _label(t: ir.Table, sites: ir.Table, by: str) -> ir.Table:
    if by == "station":
        names = sites.select(sid=sites.code, station_name=sites.name, city=sites.city)
        t = t.left_join(names, "sid").drop("sid_right")
        return t.rename(station="sid")
    return t.rename(city="sid")


def editions(
    backend,
    start: dt.date | None = None,
    end: dt.date | None = None,
    edition: str | None = None,
) -> str | list[str]:
    """The forced edition, or the editions in force over the days asked for (or stored).

    Limiting the choice keeps the expressions free of per-row edition tests
    when all the data falls under one edition (the usual case).
    """
    if edition:
        return edition
    if start is None or end is None:
        air = station_hours(backend)
        lo, hi = (
            backend.to_pyarrow(air.aggregate(lo=air.time.min(), hi=air.time.max())).to_pylist()[0].values()
        )
        if lo is None:
            return available_editions("hj633")
        start = start or (lo - dt.timedelta(hours=1)).date()
        end = end or (hi - dt.timedelta(hours=1)).date()
    return editions_between(start, end)


def _categories(t: ir.Table, edition: str | list[str] | None) -> ir.Table:
    last = edition if isinstance(edition, str) else (edition or available_editions("hj633"))[-1]
    table = aqi_table(last)
    zh = ibis.cases(*[(t.level == lv.level, ibis.literal(lv.category_zh)) for lv in table.levels])
    en = ibis.cases(*[(t.level == lv.level, ibis.literal(lv.category_en)) for lv in table.levels])
    return t.mutate(category_zh=zh, category_en=en)


def hourly(
    backend,
    *,
    by: str = "station",
    stations: Sequence[str] | None = None,
    cities: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    edition: str | None = None,
    so2_rule: str = "platform",
) -> ir.Table:
    """Hourly AQI report: one row per station (or city) and hour, with the published AQI.

    The rows are sorted while they hold the concentrations, the published AQI
    and the station's name and city only; the IAQIs, AQI, level and the text
    columns that derive from them are computed after the sort, by
    projections, which keep the order (DuckDB's order preservation: a SELECT
    over one sorted subquery). The sort then carries half the columns: ten
    national years' report (139 M rows, the sort spilling to disk) took
    167-172 s against 186-199 s when every column was sorted (alternating
    runs); the national year, sorted in memory, gives the same rows in the
    same time within noise. The 2012 text's SO2 moving mean is a window, so
    it is computed before the sort.
    """
    h = series(backend, by=by, stations=stations, cities=cities, start=start, end=end)
    edition = editions(backend, start, end, edition)
    if so2_rule == "text":
        h = st.so2_moving_mean(h)
    tail = ["category_zh", "category_en"]  # the columns after the level, in the report's order
    if by == "station":
        pub = backend.table("air_published")
        pub = pub.select(sid=pub.site, time=pub.time, published_aqi=pub.aqi)
        h = h.left_join(pub, ["sid", "time"]).drop("sid_right", "time_right")
        tail = ["published_aqi", *tail, "station_name", "city"]
    t = _label(h, backend.table("sites"), by)
    key = ["station", "time"] if by == "station" else ["city", "time"]
    t = t.order_by(key).view()
    t = st.hourly_aqi(t, edition=edition, so2_rule=so2_rule, names=False)
    t = add_pollutant_names(t, report="hourly", day=lambda x: st.natural_day(x.time), edition=edition)
    t = _categories(t, edition).relocate("primary_pollutant", "over_standard", after="aqi")
    return t.select(*[c for c in t.columns if c not in tail], *tail)


def daily(
    backend,
    *,
    by: str = "station",
    stations: Sequence[str] | None = None,
    cities: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    edition: str | None = None,
) -> ir.Table:
    """Daily AQI report: reported daily concentrations, IAQIs, AQI, primary pollutant, level."""
    d = _daily_values(backend, by=by, stations=stations, cities=cities, start=start, end=end)
    edition = editions(backend, start, end, edition)
    t = st.daily_report(d, edition=edition)
    t = _categories(t, edition)
    t = _label(t, backend.table("sites"), by)
    key = ["station", "date"] if by == "station" else ["city", "date"]
    return t.order_by(key)


def period(
    backend,
    *,
    year: int | Sequence[int],
    period: str = "year",
    by: str = "city",
    stations: Sequence[str] | None = None,
    cities: Sequence[str] | None = None,
    edition: str | None = None,
) -> ir.Table:
    """Annual (or monthly) HJ 663 statistics of stations or cities for ``year`` (one or several)."""
    years = [year] if isinstance(year, int) else sorted(year)
    start, end = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    d = _daily_values(backend, by=by, stations=stations, cities=cities, start=start, end=end)
    rep = st.daily_report(d, edition=editions(backend, start, end, edition), keep_unrounded=True)
    t = st.period_statistics(rep, period=period)
    if len(years) > 1 and years != list(range(years[0], years[-1] + 1)):
        t = t.filter(t.period.year().isin(years))
    t = _label(t, backend.table("sites"), by)
    key = ["station", "period"] if by == "station" else ["city", "period"]
    return t.order_by(key)


def execute(backend, expr: ir.Table) -> pa.Table:
    """Run an expression on its backend and return Arrow."""
    return backend.to_pyarrow(expr)
