"""Eco-flow assessments over a store: the tables the CLI, the API, the warnings and the reports show.

Each function takes an Ibis backend holding ``flows`` and ``gauges`` (the
DuckDB store, or Spark over the same tables) and returns an Ibis table
expression; :func:`execute` runs one. Filters are Ibis expressions, never SQL
text. The rule's parameters default to ``flow/ecoflow_defaults.toml``; pass an
:class:`~ecoplan.flow.ecoflow.EcoflowRule` (see :func:`~ecoplan.flow.ecoflow.load_rule`)
to change them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis.expr.types as ir
import pyarrow as pa

from . import ecoflow
from .ecoflow import EcoflowRule, load_rule

GAUGE_COLUMNS = ("name", "river", "section", "basin")


def _years(year: int | Sequence[int] | None) -> list[int] | None:
    if year is None:
        return None
    if isinstance(year, int):
        return [year]
    return sorted({int(y) for y in year}) or None


def _selection(
    backend, *, gauges: Sequence[str] | None, rivers: Sequence[str] | None
) -> tuple[ir.Table, ir.Table]:
    """Stored flows and gauges, restricted to the chosen gauges and rivers."""
    flows = backend.table("flows")
    meta = backend.table("gauges")
    if gauges:
        flows = flows.filter(flows.gauge.isin(list(gauges)))
        meta = meta.filter(meta.code.isin(list(gauges)))
    if rivers:
        meta = meta.filter(meta.river.isin(list(rivers)))
        flows = flows.filter(flows.gauge.isin(meta.code))
    return flows, meta


def _label(t: ir.Table, meta: ir.Table) -> ir.Table:
    names = meta.select(gauge=meta.code, **{c: meta[c] for c in GAUGE_COLUMNS})
    t = t.left_join(names, "gauge").drop("gauge_right")
    first = ["gauge", *GAUGE_COLUMNS]
    return t.select(*first, *[c for c in t.columns if c not in first])


def _assessment_year(day: dt.date, rule: EcoflowRule) -> int:
    sm = rule.year_start_month
    return day.year + (1 if sm > 1 and day.month >= sm else 0)


def _year_start(year: int, rule: EcoflowRule) -> dt.date:
    sm = rule.year_start_month
    return dt.date(year, 1, 1) if sm == 1 else dt.date(year - 1, sm, 1)


def compliance(
    backend,
    *,
    year: int | Sequence[int] | None = None,
    gauges: Sequence[str] | None = None,
    rivers: Sequence[str] | None = None,
    reference_years: Sequence[int] | None = None,
    rule: EcoflowRule | None = None,
) -> ir.Table:
    """Eco-flow compliance per gauge, year and period (year, non-flood, flood season).

    One row per gauge, assessment year and period with expected, observed and
    missing days, the gap flag, the mean flow, the multi-year mean and the
    thresholds [m3/s], compliant days, the compliance rate, the longest
    shortfall run [days] and the lowest 7-day mean with its ratio to the
    threshold (columns: :func:`ecoflow.period_compliance`, after the gauge's
    name, river, section and basin). The multi-year mean always comes from
    the whole record (or ``reference_years``), whatever ``year`` selects.
    Gauges of the gauge list without any discharge get rows for the years
    asked for, with every day missing.
    """
    rule = rule or load_rule()
    years = _years(year)
    flows, meta = _selection(backend, gauges=gauges, rivers=rivers)
    span = (years[0], years[-1]) if years else None
    cal = ecoflow.daily_calendar(flows, rule, years=span, gauges=meta if years else None)
    refs = ecoflow.reference_means(cal, rule, reference_years=reference_years)
    if years:
        # the multi-year mean needs the whole record, the assessment only the years
        # asked for and the days before them that their first 7-day windows reach
        first = _year_start(years[0], rule) - dt.timedelta(days=rule.window_days - 1)
        last = _year_start(years[-1] + 1, rule) - dt.timedelta(days=1)
        cal = cal.filter((cal.date >= first) & (cal.date <= last))
    status = ecoflow.daily_status(cal, rule, refs=refs, run_counter=False)
    if years:
        status = status.filter(status.year.isin(years))
    t = ecoflow.period_compliance(status, rule)
    t = _label(t, meta)
    return t.order_by(["gauge", "year", "period_order"])


def daily_status(
    backend,
    *,
    gauges: Sequence[str] | None = None,
    rivers: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    reference_years: Sequence[int] | None = None,
    rule: EcoflowRule | None = None,
) -> ir.Table:
    """Daily flow of each gauge with its threshold, compliance and 7-day mean.

    One row per gauge and calendar day from ``start`` to ``end`` (default:
    the whole record), missing days included with a NULL discharge and a
    NULL compliance (columns: :func:`ecoflow.daily_status`).
    """
    rule = rule or load_rule()
    flows, meta = _selection(backend, gauges=gauges, rivers=rivers)
    span = None
    if start is not None or end is not None:
        lo = _assessment_year(start or end, rule)
        hi = _assessment_year(end or start, rule)
        span = (lo, hi)
    cal = ecoflow.daily_calendar(flows, rule, years=span, gauges=meta if span else None)
    t = ecoflow.daily_status(cal, rule, reference_years=reference_years)
    if start is not None:
        t = t.filter(t.date >= start)
    if end is not None:
        t = t.filter(t.date <= end)
    t = t.select(
        "gauge",
        "date",
        "year",
        "season",
        "discharge",
        "observed",
        "reference_mean",
        "threshold_share",
        "threshold",
        "compliant",
        "shortfall_run",
        "flow_7d",
        "flow_7d_ratio",
    )
    t = _label(t, meta)
    return t.order_by(["gauge", "date"])


def execute(backend, expr: ir.Table) -> pa.Table:
    """Run an expression on its backend and return Arrow."""
    return backend.to_pyarrow(expr)
