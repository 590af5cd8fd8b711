"""Ecological flow: the plan's seasonal Tennant rule as Ibis expressions.

The rule (Shanxi 2021-2025 plan, "七河"干流; table file
``flow/ecoflow_defaults.toml``): in the non-flood season the flow is at least
10% of the multi-year mean flow, in the flood season (June-September) at least
20% [text]. It is a seasonal form of the Tennant method, whose thresholds are
shares of the mean annual flow [secondary]. Everything is configurable per
call: the flood months, the two shares, the base of the shares (annual or
same-season multi-year mean), the reference years, the gap threshold and the
first month of the assessment year.

How the figures are made (all ``[choice]`` unless the table file says
otherwise; the reasons are in the table file):

- **Calendar.** Each gauge gets a filled daily calendar covering whole
  assessment years from its first to its last year with data (extended to
  the years asked for), made with ``ibis.range`` over dates and ``unnest``,
  and left-joined with the stored discharges. A day without a discharge is a
  *missing* day: it stays in the calendar, is counted, and is never treated
  as compliant or as a shortfall.
- **Multi-year mean flow** [m3/s]. The mean of the annual mean flows of the
  reference years. Reference years: by default every year of the record that
  is not flagged for gaps; when years are given, those of them that are not
  flagged (a year with most days missing would distort the mean). With
  ``base = "season"`` the mean of the seasonal means over the same years.
- **Daily compliance.** ``discharge >= share(season) * multi-year mean``;
  NULL on a missing day. A zero flow is compliant only when the threshold is
  zero.
- **Gaps.** Each year and season reports expected days (calendar days),
  observed days and missing days; it is flagged when missing days exceed
  ``max_missing_share`` of its expected days.
- **Longest shortfall run** [days]. The longest run of consecutive calendar
  days that are all observed and below the threshold, inside the period (a
  missing day ends a run). Found as gaps and islands: on shortfall days,
  ``epoch_days(date) - row_number()`` is constant along a run.
- **Lowest 7-day mean** [m3/s]. The mean of 7 consecutive days, taken with a
  rows window over the *filled* calendar (so a row is a day) and kept only
  when all 7 days have a discharge: a window with a gap has no value. A
  window belongs to the day it ends on, so the first windows of a period
  reach back into the days before it. Its ratio to the threshold uses the
  threshold of the window's last day; the period's lowest ratio is reported
  next to its lowest mean.

The plan speaks of 生态水量 (water volume) per season; the daily compliance
above is the stricter day-by-day reading used for monitoring and warnings.
``volume_compliant`` gives the literal seasonal reading: the season's mean
flow (observed days) reaches the threshold.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import ibis
import ibis.expr.types as ir

__all__ = [
    "PERIODS",
    "EcoflowRule",
    "daily_calendar",
    "daily_status",
    "defaults",
    "load_rule",
    "period_compliance",
    "reference_means",
    "season_of",
    "year_of",
    "year_start",
    "yearly_coverage",
]

# Period codes of the compliance table, their labels and their order.
PERIODS = {
    "year": ("全年", "year", 0),
    "non_flood": ("非汛期", "non-flood season", 1),
    "flood": ("汛期", "flood season", 2),
}
_DAY = ibis.interval(days=1)


@cache
def defaults() -> dict[str, Any]:
    """The parsed ``ecoflow_defaults.toml`` table file."""
    text = resources.files(__package__).joinpath("ecoflow_defaults.toml").read_bytes()
    return tomllib.loads(text.decode("utf-8"))


@dataclass(frozen=True)
class EcoflowRule:
    """The parameters of an eco-flow assessment (defaults from the table file).

    Attributes
    ----------
    flood_months
        Months (1-12) of the flood season; the others form the non-flood season.
    non_flood_share, flood_share
        Thresholds as shares of the multi-year mean flow [-].
    base
        ``"annual"`` (shares of the multi-year mean annual flow) or
        ``"season"`` (shares of the same season's multi-year mean).
    max_missing_share
        A year or season is flagged when its missing days exceed this share.
    window_days
        Length of the low-flow window [days].
    year_start_month
        First month of the assessment year (1: calendar year; 10: water year
        labelled by the year it ends in).
    """

    flood_months: tuple[int, ...]
    non_flood_share: float
    flood_share: float
    base: str = "annual"
    max_missing_share: float = 0.10
    window_days: int = 7
    year_start_month: int = 1

    def __post_init__(self) -> None:
        months = self.flood_months
        if not months or len(set(months)) != len(months) or not all(1 <= m <= 12 for m in months):
            raise ValueError(f"flood months must be distinct months 1-12, got {months!r}")
        if len(months) == 12:
            raise ValueError("flood months cannot cover the whole year (no non-flood season would remain)")
        for name in ("non_flood_share", "flood_share"):
            v = getattr(self, name)
            if not (v >= 0):
                raise ValueError(f"{name} must be a share >= 0, got {v!r}")
        if self.base not in ("annual", "season"):
            raise ValueError(f"base must be 'annual' or 'season', got {self.base!r}")
        if not (0 <= self.max_missing_share <= 1):
            raise ValueError(f"max_missing_share must be in [0, 1], got {self.max_missing_share!r}")
        if not (1 <= self.window_days <= 366):
            raise ValueError(f"window_days must be 1-366, got {self.window_days!r}")
        if not (1 <= self.year_start_month <= 12):
            raise ValueError(f"year_start_month must be 1-12, got {self.year_start_month!r}")

    def share(self, season: str) -> float:
        return self.flood_share if season == "flood" else self.non_flood_share


def load_rule(
    *,
    flood_months: Sequence[int] | None = None,
    thresholds: Sequence[float] | None = None,
    base: str | None = None,
    max_missing_share: float | None = None,
    window_days: int | None = None,
    year_start_month: int | None = None,
) -> EcoflowRule:
    """The table file's rule, with any parameter overridden.

    ``thresholds`` is ``(non_flood, flood)`` as shares (0.1, 0.2).
    """
    d = defaults()
    rule = EcoflowRule(
        flood_months=tuple(int(m) for m in d["season"]["flood_months"]),
        non_flood_share=float(d["thresholds"]["non_flood"]),
        flood_share=float(d["thresholds"]["flood"]),
        base=str(d["thresholds"]["base"]),
        max_missing_share=float(d["gaps"]["max_missing_share"]),
        window_days=int(d["low_flow"]["window_days"]),
        year_start_month=int(d["year"]["start_month"]),
    )
    changes: dict[str, Any] = {}
    if flood_months is not None:
        changes["flood_months"] = tuple(sorted(int(m) for m in flood_months))
    if thresholds is not None:
        if len(thresholds) != 2:
            raise ValueError(f"thresholds are two shares (non-flood, flood), got {list(thresholds)!r}")
        changes["non_flood_share"], changes["flood_share"] = (float(x) for x in thresholds)
    if base is not None:
        changes["base"] = base
    if max_missing_share is not None:
        changes["max_missing_share"] = float(max_missing_share)
    if window_days is not None:
        changes["window_days"] = int(window_days)
    if year_start_month is not None:
        changes["year_start_month"] = int(year_start_month)
    return dataclasses.replace(rule, **changes) if changes else rule


# -- calendar -------------------------------------------------------------------


def year_of(date: ir.DateValue, start_month: int = 1) -> ir.IntegerValue:
    """Assessment year of a date: the calendar year, or with ``start_month`` > 1
    the year in which the assessment year ends (water year 2020 = Oct 2019 - Sep 2020)."""
    if start_month == 1:
        return date.year()
    return date.year() + (date.month() >= start_month).cast("int32")


def year_start(year: ir.IntegerValue, start_month: int = 1) -> ir.DateValue:
    """First day of assessment year ``year``."""
    if start_month == 1:
        return ibis.date(year, 1, 1)
    return ibis.date(year - 1, start_month, 1)


def season_of(date: ir.DateValue, flood_months: Sequence[int]) -> ir.StringValue:
    """``"flood"`` in the flood months, else ``"non_flood"``."""
    return ibis.ifelse(date.month().isin(list(flood_months)), "flood", "non_flood")


def daily_calendar(
    flows: ir.Table,
    rule: EcoflowRule,
    *,
    years: tuple[int, int] | None = None,
    gauges: ir.Table | None = None,
) -> ir.Table:
    """The filled daily calendar of each gauge, with its discharge.

    Parameters
    ----------
    flows
        ``gauge, date, discharge`` [m3/s].
    years
        ``(first, last)`` assessment years the calendar must cover besides
        the gauges' own record.
    gauges
        A table with a ``code`` column: gauges to include even without any
        discharge (only when ``years`` is given).

    Returns
    -------
    ``gauge, date, discharge, year, season, day`` with one row per gauge and
    calendar day of the covered years; ``day`` is days since 1970-01-01.
    """
    sm = rule.year_start_month
    flows = flows.select("gauge", "date", "discharge")
    year = year_of(flows.date, sm).cast("int64")
    span = flows.group_by("gauge").aggregate(y0=year.min(), y1=year.max())
    if years is not None:
        lo, hi = (int(y) for y in years)
        if gauges is not None:
            extra = gauges.select(gauge=gauges.code).distinct()
            extra = extra.filter(~extra.gauge.isin(span.gauge)).mutate(
                y0=ibis.literal(lo, "int64"), y1=ibis.literal(hi, "int64")
            )
            span = span.union(extra.select("gauge", "y0", "y1"))
        span = span.mutate(
            y0=ibis.least(span.y0, ibis.literal(lo, "int64")),
            y1=ibis.greatest(span.y1, ibis.literal(hi, "int64")),
        )
    t0 = year_start(span.y0, sm).cast("timestamp")
    t1 = year_start(span.y1 + 1, sm).cast("timestamp")
    # unnest first, cast after: Spark allows no generator nested in an expression
    cal = span.select("gauge", date=ibis.range(t0, t1, _DAY).unnest())
    cal = cal.select("gauge", date=cal.date.cast("date"))
    filled = cal.left_join(flows, ["gauge", "date"]).select(cal.gauge, cal.date, flows.discharge)
    return filled.mutate(
        year=year_of(filled.date, sm),
        season=season_of(filled.date, rule.flood_months),
        day=filled.date.epoch_days(),
    )


# -- reference -------------------------------------------------------------------


def _missing_flag(expected: ir.IntegerValue, observed: ir.IntegerValue, rule: EcoflowRule) -> ir.BooleanValue:
    return (expected - observed).cast("float64") > expected.cast("float64") * rule.max_missing_share


def yearly_coverage(calendar: ir.Table, rule: EcoflowRule) -> ir.Table:
    """``gauge, year, expected, observed, annual_mean, gap_flag`` per assessment year."""
    y = calendar.group_by(["gauge", "year"]).aggregate(
        expected=calendar.count(), observed=calendar.discharge.count(), annual_mean=calendar.discharge.mean()
    )
    return y.mutate(gap_flag=_missing_flag(y.expected, y.observed, rule))


def reference_means(
    calendar: ir.Table, rule: EcoflowRule, *, reference_years: Sequence[int] | None = None
) -> ir.Table:
    """Multi-year mean flow of each gauge [m3/s].

    Returns ``gauge, reference_mean, reference_years, reference_first,
    reference_last`` and, with ``base = "season"``, the seasonal means
    ``reference_mean_flood`` and ``reference_mean_non_flood``. The mean is the
    mean of the annual (or seasonal) means of the reference years: the given
    years, or all years, less those flagged for gaps.
    """
    y = yearly_coverage(calendar, rule)
    ref = y.filter(~y.gap_flag & y.annual_mean.notnull())
    if reference_years is not None:
        ref = ref.filter(ref.year.isin([int(v) for v in reference_years]))
    out = ref.group_by("gauge").aggregate(
        reference_mean=ref.annual_mean.mean(),
        reference_years=ref.year.count(),
        reference_first=ref.year.min(),
        reference_last=ref.year.max(),
    )
    if rule.base == "season":
        s = calendar.group_by(["gauge", "year", "season"]).aggregate(m=calendar.discharge.mean())
        s = s.semi_join(ref.select("gauge", "year"), ["gauge", "year"])
        sm = s.group_by("gauge").aggregate(
            reference_mean_flood=s.m.mean(where=s.season == "flood"),
            reference_mean_non_flood=s.m.mean(where=s.season == "non_flood"),
        )
        out = out.left_join(sm, "gauge").drop("gauge_right")
    return out


# -- daily ---------------------------------------------------------------------


def daily_status(
    calendar: ir.Table,
    rule: EcoflowRule,
    *,
    reference_years: Sequence[int] | None = None,
    refs: ir.Table | None = None,
    run_counter: bool = True,
) -> ir.Table:
    """Each gauge's days with threshold, compliance and low-flow figures.

    Returns the calendar columns plus ``observed``, ``reference_mean``,
    ``threshold_share``, ``threshold`` [m3/s], ``compliant`` (NULL when the day
    is missing), ``flow_7d`` (mean of the window ending that day, NULL unless
    all its days have a discharge), ``flow_7d_ratio`` (``flow_7d /
    threshold``, NULL when the threshold is 0) and, with ``run_counter``,
    ``shortfall_run`` (days below the threshold in a row up to and including
    that day; 0 on a compliant day, NULL on a missing one).

    ``refs`` (from :func:`reference_means`) lets a caller pass the multi-year
    means of the whole record while ``calendar`` holds only the days to
    assess; the 7-day windows and runs then start at the calendar's first day.
    """
    if refs is None:
        refs = reference_means(calendar, rule, reference_years=reference_years)
    c = calendar.left_join(refs, "gauge").drop("gauge_right")
    share = ibis.ifelse(c.season == "flood", rule.flood_share, rule.non_flood_share)
    if rule.base == "season":
        base = ibis.ifelse(c.season == "flood", c.reference_mean_flood, c.reference_mean_non_flood)
    else:
        base = c.reference_mean
    c = c.mutate(observed=c.discharge.notnull(), threshold_share=share, threshold=share * base)
    c = c.mutate(compliant=ibis.ifelse(c.observed, c.discharge >= c.threshold, ibis.null("boolean")))
    n = rule.window_days
    w = ibis.window(group_by="gauge", order_by="date", preceding=n - 1, following=0)
    c = c.mutate(_m=c.discharge.mean().over(w), _n=c.discharge.count().over(w))
    flow_7d = ibis.ifelse(c._n == n, c._m, ibis.null("float64"))
    c = c.mutate(flow_7d=flow_7d).drop("_m", "_n")
    c = c.mutate(flow_7d_ratio=ibis.ifelse(c.threshold > 0, c.flow_7d / c.threshold, ibis.null("float64")))

    if not run_counter:
        return c
    short = c.filter(c.compliant == False)  # noqa: E712 (an Ibis comparison)
    short = short.select("gauge", "date", "day")
    rn = ibis.row_number().over(group_by=short.gauge, order_by=short.date)
    short = short.mutate(island=short.day - rn)
    rn = ibis.row_number().over(group_by=[short.gauge, short.island], order_by=short.date)
    short = short.mutate(shortfall_run=rn + 1).select("gauge", "date", "shortfall_run")
    c = c.left_join(short, ["gauge", "date"]).drop("gauge_right", "date_right")
    run = ibis.ifelse(c.observed, c.shortfall_run.fill_null(0), ibis.null("int64"))
    return c.mutate(shortfall_run=run)


# -- periods -------------------------------------------------------------------


def _longest_runs(status: ir.Table, keys: list[str]) -> ir.Table:
    """Longest run of consecutive shortfall days within each group of ``keys``."""
    s = status.filter(status.compliant == False)  # noqa: E712
    rn = ibis.row_number().over(group_by=[s[k] for k in keys], order_by=s.date)
    s = s.mutate(island=s.day - rn)
    runs = s.group_by([*keys, "island"]).aggregate(n=s.count())
    return runs.group_by(keys).aggregate(longest_shortfall_run=runs.n.max())


def _period_rows(status: ir.Table, keys: list[str], rule: EcoflowRule) -> ir.Table:
    """Aggregate the days of each group of ``keys`` (gauge, year and maybe season)."""
    q, season = status.discharge, status.season
    agg = status.group_by(keys).aggregate(
        start_date=status.date.min(),
        end_date=status.date.max(),
        expected_days=status.count(),
        observed_days=q.count(),
        mean_flow=q.mean(),
        mean_flow_non_flood=q.mean(where=season == "non_flood"),
        mean_flow_flood=q.mean(where=season == "flood"),
        compliant_days=status.compliant.cast("int64").sum(),
        min_7day_mean=status.flow_7d.min(),
        min_7day_ratio=status.flow_7d_ratio.min(),
        windows_7day=status.flow_7d.count(),
        # constant per gauge: carried through the aggregation instead of joined back
        reference_mean=status.reference_mean.max(),
        reference_years=status.reference_years.max(),
        reference_first=status.reference_first.max(),
        reference_last=status.reference_last.max(),
        **(
            {
                "base_non_flood": status.reference_mean_non_flood.max(),
                "base_flood": status.reference_mean_flood.max(),
            }
            if rule.base == "season"
            else {}
        ),
    )
    runs = _longest_runs(status, keys)
    agg = agg.left_join(runs, keys).drop(*[f"{k}_right" for k in keys])
    if rule.base != "season":
        agg = agg.mutate(base_non_flood=agg.reference_mean, base_flood=agg.reference_mean)
    agg = agg.mutate(
        threshold_non_flood=agg.base_non_flood * rule.non_flood_share,
        threshold_flood=agg.base_flood * rule.flood_share,
    )
    # the plan's literal seasonal reading: each season's mean flow reaches its threshold
    # (SQL three-valued logic: one season short makes the year False, one unknown NULL)
    ok_non_flood = agg.mean_flow_non_flood >= agg.threshold_non_flood
    ok_flood = agg.mean_flow_flood >= agg.threshold_flood
    if "season" in keys:
        flood = agg.season == "flood"
        return agg.mutate(
            period=agg.season,
            threshold_share=ibis.ifelse(flood, rule.flood_share, rule.non_flood_share),
            threshold=ibis.ifelse(flood, agg.threshold_flood, agg.threshold_non_flood),
            volume_compliant=ibis.ifelse(flood, ok_flood, ok_non_flood),
        )
    # a year mixes two thresholds: its row has none of its own
    return agg.mutate(
        period=ibis.literal("year"),
        threshold_share=ibis.null("float64"),
        threshold=ibis.null("float64"),
        volume_compliant=ok_non_flood & ok_flood,
    )


COMPLIANCE_COLUMNS = (
    "gauge",
    "year",
    "period",
    "period_zh",
    "period_en",
    "period_order",
    "start_date",
    "end_date",
    "expected_days",
    "observed_days",
    "missing_days",
    "missing_share",
    "gap_flag",
    "mean_flow",
    "reference_mean",
    "reference_years",
    "reference_first",
    "reference_last",
    "threshold_share",
    "threshold",
    "threshold_non_flood",
    "threshold_flood",
    "compliant_days",
    "shortfall_days",
    "compliance_rate",
    "longest_shortfall_run",
    "min_7day_mean",
    "min_7day_ratio",
    "windows_7day",
    "volume_compliant",
)


def period_compliance(status: ir.Table, rule: EcoflowRule) -> ir.Table:
    """Per gauge, year and period (year, non-flood and flood season): compliance figures.

    ``status`` is the output of :func:`daily_status`. Columns
    (:data:`COMPLIANCE_COLUMNS`): ``gauge, year, period`` (``year``,
    ``non_flood``, ``flood``) with its labels and sort order, ``start_date,
    end_date, expected_days, observed_days, missing_days, missing_share,
    gap_flag, mean_flow, reference_mean, reference_years, reference_first,
    reference_last, threshold_share, threshold`` (NULL on year rows, which
    mix two), ``threshold_non_flood, threshold_flood, compliant_days,
    shortfall_days, compliance_rate, longest_shortfall_run, min_7day_mean,
    min_7day_ratio, windows_7day, volume_compliant``. Flows in m3/s, shares
    and rates 0-1, runs in days. Without a multi-year mean (no reference
    year) the thresholds and every compliance figure are NULL.
    """
    parts = [_period_rows(status, keys, rule) for keys in (["gauge", "year"], ["gauge", "year", "season"])]
    cols = [c for c in parts[0].columns if c != "season"]
    t = parts[0].select(*cols).union(parts[1].select(*cols))

    judged = t.threshold_non_flood.notnull() | t.threshold_flood.notnull()
    missing = t.expected_days - t.observed_days
    compliant = ibis.ifelse(judged, t.compliant_days.fill_null(0), ibis.null("int64")).cast("int64")
    t = t.mutate(
        compliant_days=compliant,
        shortfall_days=t.observed_days - compliant,
        missing_days=missing,
        missing_share=missing.cast("float64") / t.expected_days.cast("float64"),
        gap_flag=_missing_flag(t.expected_days, t.observed_days, rule),
        compliance_rate=ibis.ifelse(
            t.observed_days > 0,
            compliant.cast("float64") / t.observed_days.cast("float64"),
            ibis.null("float64"),
        ),
        longest_shortfall_run=ibis.ifelse(
            judged & (t.observed_days > 0), t.longest_shortfall_run.fill_null(0), ibis.null("int64")
        ).cast("int64"),
        period_zh=ibis.cases(*[(t.period == k, v[0]) for k, v in PERIODS.items()]),
        period_en=ibis.cases(*[(t.period == k, v[1]) for k, v in PERIODS.items()]),
        period_order=ibis.cases(*[(t.period == k, v[2]) for k, v in PERIODS.items()]),
    )
    return t.select(*COMPLIANCE_COLUMNS)
