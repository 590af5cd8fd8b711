"""Air Quality Index (HJ 633-2012 and HJ 633-2026) as Ibis expressions.

Every breakpoint comes from the edition's table file (``standards/hj633_*.toml``);
the functions here only turn a table row into a piecewise-linear CASE
expression and apply the edition's rules. One definition runs on DuckDB and on
Spark.

Rules, with their sources (see the table files for certainty marks):

- IAQI = (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo) * (C - BP_lo) + IAQI_lo, rounded
  up to an integer (HJ 633-2012 clause 6; HJ 633-2026 4.2.6). AQI = max IAQI.
- Above a row's top breakpoint the IAQI is 500, as the national platform
  publishes [data].
- Real-time (hourly) report: PM2.5 and PM10 1-hour values on the 24-hour rows;
  SO2, NO2, CO, O3 on their 1-hour rows; no O3 8-hour value [data; 2026 text].
  Hourly SO2 above 800 ug/m3: the platform (and the 2026 text) gives 200; the
  2012 text uses the 24-hour IAQI (``so2_rule="text"``).
- Daily report: 24-hour means, O3 daily maximum 1-hour (2012 only) and
  8-hour. O3 8-hour above 800: 2012 uses the 1-hour IAQI, 2026 gives 300.
- 2026 5.3.1: with a pollutant missing the AQI is published only when above
  100, otherwise it is NULL (NA).
- Primary pollutant(s) when AQI > 50: all pollutants whose IAQI equals the
  AQI. Over-standard pollutants (2012 only): IAQI > 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import ibis
import ibis.expr.types as ir

from ..standards import AqiTable, Breakpoints, aqi_table, available_editions

__all__ = [
    "DAILY_ITEMS",
    "HOURLY_ITEMS",
    "add_aqi",
    "add_pollutant_names",
    "aqi_level",
    "edition_cutoffs",
    "editions_between",
    "iaqi",
]

# breakpoint row -> column, for each report
HOURLY_ITEMS = {
    "SO2_1h": "so2",
    "NO2_1h": "no2",
    "PM10_24h": "pm10",
    "CO_1h": "co",
    "O3_1h": "o3",
    "PM2_5_24h": "pm2_5",
}
DAILY_ITEMS = {
    "SO2_24h": "so2",
    "NO2_24h": "no2",
    "PM10_24h": "pm10",
    "CO_24h": "co",
    "O3_1h": "o3_1h",
    "O3_8h": "o3_8h",
    "PM2_5_24h": "pm2_5",
}
# names used for primary and over-standard pollutants
POLLUTANT_NAMES = {
    "so2": "SO2",
    "no2": "NO2",
    "pm10": "PM10",
    "co": "CO",
    "o3": "O3",
    "pm2_5": "PM2.5",
    "o3_1h": "O3_1h",
    "o3_8h": "O3_8h",
}

SO2_RULES = ("platform", "text")

# binary noise ignored when an IAQI is rounded up to an integer
NOISE = 1e-6


def iaqi(conc: ir.NumericValue, row: Breakpoints, *, above_top: int | ir.Value = 500) -> ir.IntegerValue:
    """Individual AQI of ``conc`` on one breakpoint row, rounded up.

    Parameters
    ----------
    conc
        Concentration [ug/m3; CO mg/m3].
    row
        The breakpoint row (from :func:`ecoplan.standards.aqi_table`).
    above_top
        IAQI above the row's top breakpoint: 500 (what the platform publishes)
        unless an edition's rule gives another value or expression.

    NULL or negative concentrations give NULL.

    The result is rounded up ignoring binary noise below ``NOISE`` (a value
    on a breakpoint stays exact). Each segment's line is written as one
    multiply and one add, ``conc * slope + offset``, with the allowance
    folded into the offset, and neighbouring segments on one line (the same
    slope, as NO2's 0-100-200) are one branch. This differs from
    ``(conc - lo) * slope + i_lo`` by a few units in the last place (about
    1e-12), so the two round alike unless the exact IAQI lies that close to
    an integer plus the allowance; the platform's concentrations (ug/m3
    integers, CO to 0.1 mg/m3) give IAQIs that are integers or at least
    1/11,400 away from one. ``tests/air/test_aqi.py`` checks every 0.1 step
    of every row.
    """
    lines: list[list[float]] = []  # [top, slope, offset]; neighbours on one line are merged
    for lo, hi, i_lo, i_hi in row.segments():
        slope = (i_hi - i_lo) / (hi - lo)
        offset = i_lo - lo * slope - NOISE
        if lines and lines[-1][1] == slope and abs(lines[-1][2] - offset) < 1e-9:
            lines[-1][0] = hi
        else:
            lines.append([hi, slope, offset])
    branches = [(conc.isnull() | (conc < 0), ibis.null("float64"))]
    branches += [(conc <= hi, conc * slope + offset) for hi, slope, offset in lines]
    # the integers above the top and NULL pass through the rounding unchanged
    top = ibis.literal(above_top - NOISE) if isinstance(above_top, int) else above_top.cast("float64") - NOISE
    return ibis.cases(*branches, else_=top).ceil().cast("int32")


def aqi_level(aqi: ir.IntegerValue, table: AqiTable) -> ir.IntegerValue:
    """AQI level 1-6 by the upper bounds of the edition's level table (NULL for NULL)."""
    branches = [(aqi <= lv.aqi_max, ibis.literal(lv.level, "int8")) for lv in table.levels]
    # NULL (no AQI) stays NULL; nothing exceeds the top level's bound (IAQI tops out at 500)
    return ibis.cases(*branches, else_=ibis.null("int8"))


def edition_cutoffs() -> list[tuple[str, dt.date | None]]:
    """(edition, first day) of each HJ 633 edition, oldest first (None = open start)."""
    out = []
    for i, ed in enumerate(available_editions("hj633")):
        out.append((ed, None if i == 0 else aqi_table(ed).effective_from))
    return out


def _by_edition(day: ir.DateValue, per_edition: Mapping[str, ir.Value]) -> ir.Value:
    """One expression choosing each edition's value by the day it applies to."""
    exprs = list(per_edition.values())
    if all(e.equals(exprs[0]) for e in exprs[1:]):
        return exprs[0]
    starts = dict(edition_cutoffs())
    editions = list(per_edition)
    branches = []
    for ed in reversed(editions[1:]):
        branches.append((day >= ibis.literal(starts[ed]), per_edition[ed]))
    return ibis.cases(*branches, else_=per_edition[editions[0]])


def _editions(edition: str | Sequence[str] | None) -> list[str]:
    if edition is None:
        return available_editions("hj633")
    return [edition] if isinstance(edition, str) else list(edition)


def editions_between(first: dt.date | None, last: dt.date | None) -> list[str]:
    """The HJ 633 editions in force on some day of ``first..last`` (open ends allowed)."""
    cutoffs = edition_cutoffs()
    out = []
    for i, (ed, start) in enumerate(cutoffs):
        end = cutoffs[i + 1][1] if i + 1 < len(cutoffs) else None  # first day of the next edition
        if (last is None or start is None or start <= last) and (first is None or end is None or first < end):
            out.append(ed)
    return out


def add_aqi(
    t: ir.Table,
    *,
    report: str,
    day: Callable[[ir.Table], ir.DateValue],
    edition: str | Sequence[str] | None = None,
    so2_rule: str = "platform",
    so2_24h: str | None = None,
    names: bool = True,
) -> ir.Table:
    """Add IAQI columns, ``aqi``, ``primary_pollutant``, ``over_standard`` and ``level``.

    Parameters
    ----------
    t
        A table with the concentration columns of the report (hourly: ``so2,
        no2, pm10, co, o3, pm2_5``; daily: ``so2, no2, pm10, co, o3_1h, o3_8h,
        pm2_5``).
    report
        ``"hourly"`` (real-time report) or ``"daily"``.
    day
        The natural day of each row, which selects the edition.
    edition
        Force an edition ("2012" or "2026"), or limit the choice to some
        editions (those in force over the data's days: see
        :func:`editions_between`); by default each row's day decides among all.
    so2_rule
        Hourly SO2 above the 1-hour table's top: ``"platform"`` (IAQI 200,
        what the platform published in 2019 and the 2026 text) or ``"text"``
        (the 2012 text: the IAQI of the 24-hour mean in column ``so2_24h``).
    names
        ``False`` leaves out the two text columns, ``primary_pollutant`` and
        ``over_standard``, for :func:`add_pollutant_names` to add later (a
        report sorts its numbers first and names the pollutants after).
    """
    if report not in ("hourly", "daily"):
        raise ValueError("report must be 'hourly' or 'daily'")
    if so2_rule not in SO2_RULES:
        raise ValueError(f"so2_rule must be one of {SO2_RULES}")
    if so2_rule == "text" and report == "hourly" and so2_24h is None:
        raise ValueError("the 2012 text rule for SO2 needs the 24-hour mean column (so2_24h)")
    eds = _editions(edition)
    d = day(t)
    items = HOURLY_ITEMS if report == "hourly" else DAILY_ITEMS
    iaqis: dict[str, dict[str, ir.Value]] = {}
    used_by: dict[str, set[str]] = {}
    for ed in eds:
        tab = aqi_table(ed)
        wanted = tab.rules["hourly_items" if report == "hourly" else "daily_items"]
        used_by[ed] = {items[r] for r in wanted}
        for row_name in wanted:
            col = items[row_name]
            row = tab.row(row_name)
            conc = t[col]
            if row_name == "SO2_1h":
                expr = _so2_hourly(t, tab, row, so2_rule, so2_24h)
            elif row_name == "O3_8h":
                expr = _o3_8h(t, tab, row)
            else:
                expr = iaqi(conc, row)
            iaqis.setdefault(col, {})[ed] = expr
    cols: dict[str, ir.Value] = {}
    all_cols = [c for c in items.values() if c in iaqis]
    for col in all_cols:
        per = {ed: iaqis[col].get(ed, ibis.null("int32")) for ed in eds}
        cols[f"iaqi_{col}"] = _by_edition(d, per).cast("int32")
    t = t.mutate(**cols)

    aqi_per_ed = {}
    for ed in eds:
        tab = aqi_table(ed)
        present = [t[f"iaqi_{c}"] for c in all_cols if c in used_by[ed]]
        best = ibis.greatest(*present) if len(present) > 1 else present[0]
        if tab.rules.get("missing_pollutant") == "na_unless_above":
            threshold = tab.rules["missing_pollutant_threshold"]
            any_missing = ibis.or_(*[t[c].isnull() for c in all_cols if c in used_by[ed]])
            best = ibis.cases((any_missing & (best <= threshold), ibis.null("int32")), else_=best)
        aqi_per_ed[ed] = best
    t = t.mutate(aqi=_by_edition(d, aqi_per_ed).cast("int32"))
    levels = {ed: aqi_level(t.aqi, aqi_table(ed)) for ed in eds}
    t = t.mutate(level=_by_edition(d, levels).cast("int8"))
    if not names:
        return t
    return add_pollutant_names(t, report=report, day=day, edition=edition).relocate(
        "primary_pollutant", "over_standard", after="aqi"
    )


def add_pollutant_names(
    t: ir.Table,
    *,
    report: str,
    day: Callable[[ir.Table], ir.DateValue],
    edition: str | Sequence[str] | None = None,
) -> ir.Table:
    """Add ``primary_pollutant`` and ``over_standard`` to a table with IAQI columns and ``aqi``.

    Parameters as :func:`add_aqi`, which adds them itself unless asked not to.
    """
    eds = _editions(edition)
    d = day(t)
    items = HOURLY_ITEMS if report == "hourly" else DAILY_ITEMS
    all_cols = [c for c in items.values() if f"iaqi_{c}" in t.columns]
    primary_min = {aqi_table(ed).rules["primary_pollutant_min_aqi"] for ed in eds}
    (p_min,) = primary_min  # the same in every edition; a change would need a per-edition case
    sep = ibis.literal(",")
    primary = sep.join(
        [
            ibis.ifelse(t[f"iaqi_{c}"] == t.aqi, ibis.literal(POLLUTANT_NAMES[c]), ibis.null("string"))
            for c in all_cols
        ]
    )
    t = t.mutate(primary_pollutant=ibis.ifelse(t.aqi > p_min, primary, ibis.null("string")))
    over_per_ed = {}
    for ed in eds:
        limit = aqi_table(ed).rules.get("over_standard_iaqi")
        if limit is None:
            over_per_ed[ed] = ibis.null("string")
        else:
            names = [
                ibis.ifelse(t[f"iaqi_{c}"] > limit, ibis.literal(POLLUTANT_NAMES[c]), ibis.null("string"))
                for c in all_cols
            ]
            # some IAQI is above the limit exactly when the AQI (their maximum) is; a NULL
            # (NA) AQI has every IAQI at or below 100. Most hours have none: no text is built.
            over_per_ed[ed] = ibis.ifelse(t.aqi > limit, sep.join(names), ibis.null("string"))
    return t.mutate(over_standard=_by_edition(d, over_per_ed).cast("string"))


def _so2_hourly(t: ir.Table, tab: AqiTable, row: Breakpoints, rule: str, so2_24h: str | None) -> ir.Value:
    conc = t["so2"]
    fixed = tab.rules["so2_1h_above_top_platform"]
    if rule == "platform" or tab.rules["so2_1h_above_top_text"] == "fixed":
        return iaqi(conc, row, above_top=fixed)
    # 2012 text, note (2): above 800 report the IAQI of the 24-hour mean
    return iaqi(conc, row, above_top=iaqi(t[so2_24h], tab.row("SO2_24h")))


def _o3_8h(t: ir.Table, tab: AqiTable, row: Breakpoints) -> ir.Value:
    conc = t["o3_8h"]
    if tab.rules["o3_8h_above_top"] == "fixed":
        return iaqi(conc, row, above_top=tab.rules["o3_8h_above_top_iaqi"])
    # 2012 note (3): above 800 the O3 IAQI is taken from the 1-hour value
    return iaqi(conc, row, above_top=iaqi(t["o3_1h"], tab.row("O3_1h")))
