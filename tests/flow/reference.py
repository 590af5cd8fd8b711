"""A plain pandas/numpy implementation of the eco-flow assessment, to check the engine.

Written from the rules in ``ecoplan.flow.ecoflow``'s docstring and the table
file, not from its code: a reindexed daily calendar of whole years, annual
means of the years with at most ``max_missing`` of their days missing, daily
thresholds, ``rolling(7)`` with all 7 days required, and runs found by walking
the days in a Python loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def assessment_year(dates: pd.DatetimeIndex, start_month: int) -> np.ndarray:
    years = dates.year.to_numpy()
    if start_month > 1:
        years = years + (dates.month.to_numpy() >= start_month)
    return years


def calendar(series: pd.Series, start_month: int = 1) -> pd.DataFrame:
    """Whole assessment years around ``series`` (index: dates, values: m3/s), gaps as NaN."""
    idx = pd.DatetimeIndex(series.index)
    y0, y1 = assessment_year(idx, start_month).min(), assessment_year(idx, start_month).max()
    if start_month == 1:
        first, last = pd.Timestamp(y0, 1, 1), pd.Timestamp(y1, 12, 31)
    else:
        first = pd.Timestamp(y0 - 1, start_month, 1)
        last = pd.Timestamp(y1, start_month, 1) - pd.Timedelta(days=1)
    days = pd.date_range(first, last, freq="D")
    frame = pd.DataFrame({"q": series.reindex(days).to_numpy()}, index=days)
    frame["year"] = assessment_year(days, start_month)
    return frame


def longest_run(dates: pd.DatetimeIndex, flags) -> int:
    """Longest run of consecutive dates flagged True (None or a skipped date ends a run)."""
    best = cur = 0
    prev = None
    for day, f in zip(dates, flags, strict=True):
        if prev is not None and (day - prev).days != 1:
            cur = 0
        cur = cur + 1 if f is True else 0
        best = max(best, cur)
        prev = day
    return best


def assess(
    series: pd.Series,
    *,
    flood_months=(6, 7, 8, 9),
    shares=(0.1, 0.2),
    max_missing: float = 0.1,
    start_month: int = 1,
    reference_years=None,
    window: int = 7,
) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """Return (multi-year mean, daily frame, per year/period table)."""
    cal = calendar(series, start_month)
    by_year = cal.groupby("year")["q"]
    expected, observed = by_year.size(), by_year.count()
    ok_years = expected.index[(expected - observed) <= max_missing * expected]
    if reference_years is not None:
        ok_years = [y for y in ok_years if y in set(reference_years)]
    annual = by_year.mean().loc[list(ok_years)]
    ref = float(np.mean(annual.to_numpy()))

    flood = np.isin(cal.index.month, flood_months)
    cal["season"] = np.where(flood, "flood", "non_flood")
    cal["threshold"] = np.where(flood, shares[1], shares[0]) * ref
    cal["compliant"] = [
        None if np.isnan(q) else bool(q >= t) for q, t in zip(cal.q, cal.threshold, strict=True)
    ]
    cal["flow_7d"] = cal["q"].rolling(window, min_periods=window).mean()
    cal["ratio_7d"] = cal["flow_7d"] / cal["threshold"]

    rows = []
    for year, days in cal.groupby("year"):
        for period in ("year", "non_flood", "flood"):
            d = days if period == "year" else days[days.season == period]
            obs = int(d.q.notna().sum())
            comp = int(sum(c is True for c in d.compliant))
            shortfall = [None if c is None else (not c) for c in d.compliant]
            rows.append(
                {
                    "year": int(year),
                    "period": period,
                    "expected_days": len(d),
                    "observed_days": obs,
                    "missing_days": len(d) - obs,
                    "gap_flag": (len(d) - obs) > max_missing * len(d),
                    "mean_flow": d.q.mean() if obs else np.nan,
                    "compliant_days": comp,
                    "compliance_rate": comp / obs if obs else np.nan,
                    "longest_shortfall_run": longest_run(d.index, shortfall) if obs else np.nan,
                    "min_7day_mean": d.flow_7d.min(),
                    "min_7day_ratio": d.ratio_7d.min(),
                    "windows_7day": int(d.flow_7d.notna().sum()),
                }
            )
    return ref, cal, pd.DataFrame(rows)
