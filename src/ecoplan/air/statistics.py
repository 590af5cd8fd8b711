"""HJ 663 statistics and the hourly and daily AQI reports, as Ibis expressions.

Series
------
A *series* is one station or one city (``sid``). Station series are the
stored observations; a city's hourly value of a pollutant is the mean of its
stations' values that hour, background (对照点) stations excluded (HJ 663:
city concentrations are the mean of the city's assessment stations). Stations
whose background flag is unknown count as assessment stations.

Time
----
Stored hours are labelled by the end of the hour, so the natural day of a
label is ``date(time - 1 hour)`` (hours 01..24 of the day).

Validity (GB 3095 Table 4, HJ 663)
---------------------------------
- 24-hour mean: at least 20 hourly values in the natural day.
- 8-hour moving mean: at least 6 hourly values in the 8 hours.
- Daily maximum 8-hour mean: the windows ending 08:00-24:00; at least 14
  valid windows, or the value stands anyway when it exceeds the limit.
- Daily maximum 1-hour O3: at least 20 hourly values, or above the limit
  (a documented project choice; no source fixes it).
- Monthly: at least 27 daily values (February 25); annual: at least 324
  daily values and every month valid.

Rounding
--------
Daily concentrations are reported rounded half to even (GB/T 8170) to
integers (CO one decimal) and the daily AQI is computed from the reported
values. Period statistics are computed from the unrounded daily values and
rounded at the end; compliance is judged on the rounded figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from ..standards import assessment_rules, available_editions, load, validity_rules
from . import PARAMETER_COLUMNS
from .aqi import add_aqi

__all__ = [
    "city_hourly",
    "daily_report",
    "daily_values",
    "hourly_aqi",
    "natural_day",
    "period_statistics",
    "pivot_long",
    "round_half_even",
    "so2_moving_mean",
    "station_hourly",
]

DAILY_MEAN_COLUMNS = ("so2", "no2", "pm10", "pm2_5", "co")
DAILY_COLUMNS = (*DAILY_MEAN_COLUMNS, "o3_1h", "o3_8h")
UNITS = {c: "ug/m3" for c in DAILY_COLUMNS} | {"co": "mg/m3"}
# the statistic's column -> (GB 3095 pollutant, the parameter it derives from)
STAT_POLLUTANT = {
    "so2": "SO2",
    "no2": "NO2",
    "pm10": "PM10",
    "pm2_5": "PM2.5",
    "co": "CO",
    "o3_8h": "O3",
    "o3_1h": "O3",
}
_HOUR = ibis.interval(hours=1)


def natural_day(time: ir.TimestampValue) -> ir.DateValue:
    """The natural day of an hour labelled by its end (HJ 633-2026 4.2.2; platform labels)."""
    return (time - _HOUR).date()


def round_half_even(x: ir.NumericValue, decimals: int = 0) -> ir.FloatingValue:
    """Round half to even (GB/T 8170 四舍六入五成双), portable across engines.

    Halves are recognised within 1e-9 so that means such as 12/24 round as
    written.
    """
    scale = 10.0**decimals
    y = x * scale
    f = y.floor()
    diff = y - f
    even = (f % 2) == 0
    r = ibis.cases(
        (diff > 0.5 + 1e-9, f + 1),
        (diff < 0.5 - 1e-9, f),
        (even, f),
        else_=f + 1,
    )
    return (r / scale).cast("float64")


def _limit_expr(day: ir.DateValue, pollutant: str, averaging: str) -> ir.FloatingValue:
    """The GB 3095 grade II limit in force on ``day`` (CASE over editions and phases)."""
    phases = []
    for ed in available_editions("gb3095"):
        raw = load(f"gb3095_{ed}")
        for ph in raw["phases"]:
            value = ph["grade2"].get(pollutant, {}).get(averaging)
            phases.append((ph["valid_from"], value))
    phases.sort(key=lambda p: p[0])
    if any(v is None for _, v in phases):
        missing = [str(start) for start, v in phases if v is None]
        raise LookupError(
            f"GB 3095 gives no grade II {averaging} limit for {pollutant} (phases from {missing})"
        )
    first = ibis.literal(float(phases[0][1]))
    if len({v for _, v in phases}) == 1:
        return first  # the same limit in every edition and phase
    branches = [(day >= ibis.literal(start), ibis.literal(float(v))) for start, v in reversed(phases[1:])]
    return ibis.cases(*branches, else_=first)


# -- hourly series ---------------------------------------------------------


POLLUTANT_COLUMNS = tuple(PARAMETER_COLUMNS.values())


def station_hourly(air: ir.Table) -> ir.Table:
    """Station series ``(sid, time, pm2_5, pm10, so2, no2, o3, co)`` from station-hour rows.

    ``air`` has a ``site`` (code) column, ``time`` and a column per pollutant,
    as :func:`ecoplan.air.queries.station_hours` gives it.
    """
    return air.select(sid=air.site, time=air.time, **{c: air[c] for c in POLLUTANT_COLUMNS})


def city_hourly(air: ir.Table, sites: ir.Table) -> ir.Table:
    """City hourly series: mean over the city's stations, background stations excluded (HJ 663)."""
    s = sites.filter(sites.city.notnull() & ~sites.is_background.fill_null(False)).select("code", "city")
    j = air.join(s, air.site == s.code)
    return (
        j.group_by([j.city, j.time])
        .aggregate(**{c: j[c].mean() for c in POLLUTANT_COLUMNS})
        .rename(sid="city")
    )


def pivot_long(obs: ir.Table) -> ir.Table:
    """Long observations (site, time, parameter, value) as station-hour rows with a column per pollutant."""
    o = obs.filter(obs.parameter.isin(list(PARAMETER_COLUMNS)) & obs.value.notnull())
    aggs = {col: o.value.max(where=o.parameter == p) for p, col in PARAMETER_COLUMNS.items()}
    return o.group_by(["site", "time"]).aggregate(**aggs)


def so2_moving_mean(hourly: ir.Table) -> ir.Table:
    """Add ``so2_24h``: each series' SO2 mean over the 24 hours ending at the hour.

    Valid with GB 3095's minimum of hourly values for a 24-hour mean (20,
    Table 4). A window over each series in time order; a report sorted
    afterwards computes it before its sort (a window does not keep the rows'
    order).
    """
    min_hours = validity_rules()["daily_min_hours"]
    w = ibis.range_window(group_by="sid", order_by="time", preceding=ibis.interval(hours=23), following=0)
    m, n = hourly.so2.mean().over(w), hourly.so2.count().over(w)
    return hourly.mutate(so2_24h=ibis.ifelse(n >= min_hours, m, ibis.null("float64")))


def hourly_aqi(
    hourly: ir.Table,
    *,
    edition: str | Sequence[str] | None = None,
    so2_rule: str = "platform",
    names: bool = True,
) -> ir.Table:
    """The real-time (hourly) AQI report of each series and hour (wide series rows).

    ``names=False`` leaves the pollutant-name columns to
    :func:`ecoplan.air.aqi.add_pollutant_names` (see :func:`ecoplan.air.aqi.add_aqi`).

    ``so2_rule="text"`` applies HJ 633-2012 note (2): hourly SO2 above
    800 ug/m3 takes the IAQI of the 24-hour moving mean (column ``so2_24h``,
    added by :func:`so2_moving_mean` unless ``hourly`` has it already),
    instead of the platform's 200.
    """
    wide = hourly
    so2_24h = None
    if so2_rule == "text":
        if "so2_24h" not in wide.columns:
            wide = so2_moving_mean(wide)
        so2_24h = "so2_24h"
    return add_aqi(
        wide,
        report="hourly",
        day=lambda t: natural_day(t.time),
        edition=edition,
        so2_rule=so2_rule,
        so2_24h=so2_24h,
        names=names,
    )


# -- daily -------------------------------------------------------------------


def daily_values(hourly: ir.Table) -> ir.Table:
    """HJ 663 daily values of each series: 24-hour means, O3 daily max 1-hour and 8-hour.

    Returns ``sid, date``, the unrounded daily value of each of
    :data:`DAILY_COLUMNS` (NULL when not valid) and ``n_<col>``: the number of
    hourly values (for O3 8-hour: valid 8-hour windows) behind it.

    Everything is one aggregation by series and natural day: the 8-hour
    windows of the daily maximum all lie inside the day (see
    :func:`_o3_8h_windows`), so the aggregation takes the day's O3 value of
    each hour 01..24 by position, and each window's sum and count are added up
    from those after it (in a subquery of their own, so that Spark compiles
    the window sums apart from what uses them). No sort or window function
    over the whole series is needed; 24 hourly values cost less to aggregate
    than 17 filtered sums and counts.
    """
    rules = assessment_rules()
    validity = validity_rules()
    min_hours = validity["daily_min_hours"]
    windows = _o3_8h_windows(rules["o3_8h_daily_max"])
    h = hourly.mutate(date=natural_day(hourly.time), hour=(hourly.time - _HOUR).hour() + 1)
    aggs: dict[str, ir.Value] = {}
    for col in POLLUTANT_COLUMNS:
        if col == "o3":
            aggs["o3_1h_raw"] = h.o3.max()
            aggs["n_o3_1h"] = h.o3.count()
        else:
            aggs[f"{col}_raw"] = h[col].mean()
            aggs[f"n_{col}"] = h[col].count()
    for k in sorted({k for hours in windows for k in hours}):
        aggs[f"_o3_h{k}"] = h.o3.max(where=h.hour == k)  # a series has one value an hour at most
    d = h.group_by(["sid", "date"]).aggregate(**aggs)
    win = {}
    for i, hours in enumerate(windows):
        vals = [d[f"_o3_h{k}"] for k in hours]
        win[f"_o3_w{i}_sum"] = sum((v.fill_null(0.0) for v in vals[1:]), vals[0].fill_null(0.0))
        win[f"_o3_w{i}_n"] = sum(
            (v.notnull().cast("int32") for v in vals[1:]), vals[0].notnull().cast("int32")
        )
    d = d.mutate(**win).view()

    o3_rule = rules["o3_1h_daily_max"]
    o3_1h_limit = _limit_expr(d.date, "O3", "1h")
    cols = {
        col: ibis.ifelse(d[f"n_{col}"] >= min_hours, d[f"{col}_raw"], ibis.null("float64"))
        for col in DAILY_MEAN_COLUMNS
    }
    cols["o3_1h"] = ibis.ifelse(
        (d.n_o3_1h >= o3_rule["min_valid_hours"])
        | (ibis.literal(bool(o3_rule["stands_if_above_limit"])) & (d.o3_1h_raw > o3_1h_limit)),
        d.o3_1h_raw,
        ibis.null("float64"),
    )
    cols.update(_o3_8h_daily_max(d, len(windows), rules["o3_8h_daily_max"], validity))
    keep = ["sid", "date", *DAILY_COLUMNS] + [f"n_{c}" for c in DAILY_COLUMNS]
    return d.mutate(**cols).select(*keep)


def _o3_8h_windows(rules: dict) -> list[range]:
    """The day's hours (01..24) of each 8-hour window of the daily maximum.

    A window ending at label ``e`` holds the hours ``e-7 .. e``; HJ 663 takes
    the windows ending 08:00 to 24:00, so all of them lie inside the natural
    day. A table file asking for windows that reach into another day is
    refused rather than computed differently.
    """
    first, last = rules["first_window_end_hour"], rules["last_window_end_hour"]
    if not 8 <= first <= last <= 24:
        raise ValueError(
            f"O3 8-hour windows ending {first:02d}:00-{last:02d}:00 reach outside the natural day; "
            "the daily maximum is computed from windows inside it (HJ 663: 08:00-24:00)"
        )
    return [range(end - 7, end + 1) for end in range(first, last + 1)]


def _o3_8h_daily_max(d: ir.Table, n_windows: int, rules: dict, validity: dict) -> dict[str, ir.Value]:
    """``o3_8h`` and ``n_o3_8h`` of each day from its windows' sums and counts (HJ 663).

    An 8-hour mean needs at least ``o3_8h_min_hours`` values among its 8
    hours; the daily maximum needs ``min_valid_windows`` valid means, or
    stands anyway when it exceeds the limit. A window ending at an hour
    without a value still counts when enough of its hours have one.
    """
    need = validity["o3_8h_min_hours"]
    means, valid = [], []
    for i in range(n_windows):
        total, n = d[f"_o3_w{i}_sum"], d[f"_o3_w{i}_n"]
        ok = n >= need
        means.append(ibis.ifelse(ok, total / n, -1.0))  # concentrations are never negative
        valid.append(ok.cast("int32"))
    best = ibis.greatest(*means)
    raw = ibis.ifelse(best >= 0, best, ibis.null("float64"))
    n_valid = sum(valid[1:], valid[0])
    stands = ibis.literal(bool(rules["stands_if_above_limit"])) & (raw > _limit_expr(d.date, "O3", "8h"))
    return {
        "o3_8h": ibis.ifelse((n_valid >= rules["min_valid_windows"]) | stands, raw, ibis.null("float64")),
        "n_o3_8h": n_valid,
    }


def _reporting_decimals(col: str) -> int:
    return int(assessment_rules()["rounding"]["decimals"][UNITS[col]])


def daily_report(
    daily: ir.Table, *, edition: str | Sequence[str] | None = None, keep_unrounded: bool = False
) -> ir.Table:
    """The daily AQI report: reported (rounded) concentrations, IAQIs, AQI, primary pollutant, level.

    With ``keep_unrounded`` the daily values before rounding stay in
    ``<col>_daily`` columns, for period statistics.
    """
    rounded = {c: round_half_even(daily[c], _reporting_decimals(c)) for c in DAILY_COLUMNS}
    t = daily.mutate(**{f"{c}_daily": daily[c] for c in DAILY_COLUMNS}) if keep_unrounded else daily
    return add_aqi(t.mutate(**rounded), report="daily", day=lambda x: x.date, edition=edition)


# -- periods -----------------------------------------------------------------


def _period_start(date: ir.DateValue, period: str) -> ir.DateValue:
    if period == "year":
        return ibis.date(date.year(), 1, 1)
    if period == "month":
        return ibis.date(date.year(), date.month(), 1)
    raise ValueError("period must be 'year' or 'month'")


def _period_end(start: ir.DateValue, period: str) -> ir.DateValue:
    if period == "year":
        return ibis.date(start.year(), 12, 31)
    return (start + ibis.interval(months=1)) - ibis.interval(days=1)


def period_statistics(report: ir.Table, *, period: str = "year") -> ir.Table:
    """HJ 663 statistics of each series and period (``"year"`` or ``"month"``).

    Parameters
    ----------
    report
        :func:`daily_report` with ``keep_unrounded=True``: the statistics use
        the unrounded daily values, the day counts the daily AQI. Everything
        is one aggregation over the daily rows (the monthly completeness
        counts included), so the daily values are computed once.

    Returns, per ``sid`` and ``period`` (the period's first day):
    for each annual item (HJ 663) ``<col>_mean`` and ``<col>_p<NN>`` rounded
    to the reporting precision, ``n_<col>`` days and ``valid_<col>``
    (completeness); ``<stat>_index`` = value / grade II limit and
    ``<stat>_exceed`` = (value - limit) / limit where above it;
    ``composite_index`` and ``max_index`` / ``max_index_item`` (ranking); and
    from the daily AQI ``days_aqi, good_days, good_ratio, level_1..6,
    heavy_days`` (AQI > 200).

    Limits are those of GB 3095 in force on the period's last day.
    """
    rules = assessment_rules()
    validity = validity_rules()
    items = {k: v for k, v in rules["annual_items"].items() if isinstance(v, dict)}
    d = report.mutate(period=_period_start(report.date, period), month=report.date.month())

    aggs: dict[str, ir.Value] = {}
    months = range(1, 13) if period == "year" else ()
    for key, spec in items.items():
        c = _item_col(key)
        v = d[f"{c}_daily"]
        aggs[f"n_{c}"] = v.count()
        if spec.get("mean"):
            aggs[f"{c}_mean_raw"] = v.mean()
        aggs[f"{c}_p{spec['percentile']}_raw"] = v.quantile(spec["percentile"] / 100)
        # completeness of each month (GB 3095 Table 4): 27 days, February 25
        for m in months:
            need = validity["february_min_days"] if m == 2 else validity["monthly_min_days"]
            aggs[f"_m{m}_{c}"] = (v.count(where=d.month == m) >= need).cast("int32")
    aggs |= {
        "days_aqi": d.aqi.count(),
        "good_days": d.aqi.count(where=d.aqi <= 100),
        "heavy_days": d.aqi.count(where=d.aqi > 200),
        **{f"level_{lv}": d.aqi.count(where=d.level == lv) for lv in range(1, 7)},
    }
    stats = d.group_by(["sid", "period"]).aggregate(**aggs)

    end = _period_end(stats.period, period)
    out: dict[str, ir.Value] = {}
    for key, spec in items.items():
        c = _item_col(key)
        dec = _reporting_decimals(c)
        if period == "year":
            months_ok = sum((stats[f"_m{m}_{c}"] for m in months), ibis.literal(0))
            out[f"valid_{c}"] = (stats[f"n_{c}"] >= validity["annual_min_days"]) & (months_ok == 12)
        else:
            feb = stats.period.month() == 2
            need = ibis.ifelse(feb, validity["february_min_days"], validity["monthly_min_days"])
            out[f"valid_{c}"] = stats[f"n_{c}"] >= need
        pol = STAT_POLLUTANT[c]
        stat_names = []
        if spec.get("mean"):
            stat_names.append((f"{c}_mean", "annual"))
        stat_names.append((f"{c}_p{spec['percentile']}", _percentile_limit(c)))
        for name, averaging in stat_names:
            value = round_half_even(stats[f"{name}_raw"], dec)
            out[name] = value
            lim = _limit_expr(end, pol, averaging)
            out[f"{name}_index"] = value / lim
            out[f"{name}_exceed"] = ibis.ifelse(value > lim, (value - lim) / lim, ibis.null("float64"))
    stats = stats.mutate(**out)

    comp_names = []
    for it in rules["composite_index"]["items"]:
        c = _item_col(it["pollutant"])
        name = f"{c}_mean" if it["statistic"] == "mean" else f"{c}_p{items[it['pollutant']]['percentile']}"
        comp_names.append(name)
    parts = [stats[f"{n}_index"] for n in comp_names]
    max_index = ibis.greatest(*parts)
    which = ibis.cases(*[(stats[f"{n}_index"] == max_index, ibis.literal(n)) for n in comp_names])
    stats = stats.mutate(
        composite_index=sum(parts[1:], parts[0]),
        max_index=max_index,
        max_index_item=which,
        good_ratio=ibis.ifelse(stats.days_aqi > 0, stats.good_days / stats.days_aqi, ibis.null("float64")),
    )
    drop = [c for c in stats.columns if c.endswith("_raw") or c.startswith("_m")]
    return stats.drop(*drop)


def _item_col(key: str) -> str:
    return {"PM2.5": "pm2_5", "O3_8h": "o3_8h"}.get(key, key.lower())


def _percentile_limit(col: str) -> str:
    return {"o3_8h": "8h"}.get(col, "24h")


def year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    """Hour labels belonging to the natural days of ``year``: (Jan 1 01:00, Jan 1 next year 00:00]."""
    return dt.datetime(year, 1, 1, 1), dt.datetime(year + 1, 1, 1, 0)
