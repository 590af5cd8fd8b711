"""A plain pandas/numpy implementation of the HJ 663 statistics, to check the engine.

Written independently of ``ecoplan.air.statistics`` from the rules (GB 3095
Table 4 validity, HJ 663 daily maximum 8-hour rule and percentile formula):
a regular hourly grid per series, ``rolling(8, min_periods=6)``, ``np.percentile``
(linear interpolation, which is HJ 663's k = 1 + (n - 1) p formula).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PARAMS = {"PM2.5": "pm2_5", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "O3": "o3", "CO": "co"}
MEAN_COLS = ["so2", "no2", "pm10", "pm2_5", "co"]
# grade II limits of GB 3095-2012 (Table 1) used by the "stands if above the limit" rules
O3_1H_LIMIT, O3_8H_LIMIT = 200.0, 160.0
PERCENTILES = {"so2": 98, "no2": 98, "pm10": 95, "pm2_5": 95, "co": 95, "o3_8h": 90}
MEANS = ["so2", "no2", "pm10", "pm2_5"]


def round_half_even(x: float, decimals: int) -> float:
    """GB/T 8170 on the decimal value: float noise removed first, then banker's rounding."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return np.nan
    y = round(x * 10**decimals, 6)
    return round(y) / 10**decimals


def hourly_long(obs: pd.DataFrame, sites: pd.DataFrame | None = None, by: str = "station") -> pd.DataFrame:
    """(sid, time, col, value) for stations, or city means without background stations."""
    o = obs[obs["parameter"].isin(PARAMS) & obs["value"].notna()].copy()
    o["col"] = o["parameter"].map(PARAMS)
    if by == "station":
        o["sid"] = o["site"]
        return o[["sid", "time", "col", "value"]]
    s = sites[sites["city"].notna() & (sites["is_background"].fillna(False) == False)]  # noqa: E712
    o = o.merge(s[["code", "city"]], left_on="site", right_on="code")
    g = o.groupby(["city", "time", "col"], as_index=False)["value"].mean()
    return g.rename(columns={"city": "sid"})


def daily(h: pd.DataFrame) -> pd.DataFrame:
    """Daily values per (sid, date): 24 h means (>= 20 h), O3 max 1 h, O3 max 8 h (HJ 663)."""
    h = h.copy()
    h["date"] = (h["time"] - pd.Timedelta(hours=1)).dt.date
    g = h.groupby(["sid", "date", "col"])["value"]
    stats = pd.DataFrame({"mean": g.mean(), "n": g.count(), "max": g.max()}).reset_index()
    out = {}
    for col in MEAN_COLS:
        s = stats[stats["col"] == col].set_index(["sid", "date"])
        out[col] = s["mean"].where(s["n"] >= 20)
        out[f"n_{col}"] = s["n"]
    s = stats[stats["col"] == "o3"].set_index(["sid", "date"])
    out["o3_1h"] = s["max"].where((s["n"] >= 20) | (s["max"] > O3_1H_LIMIT))
    out["n_o3_1h"] = s["n"]
    frame = pd.DataFrame(out)
    m8 = o3_8h(h)
    frame = frame.join(m8, how="left")
    frame["n_o3_8h"] = frame["n_o3_8h"].fillna(0).astype(int)
    return frame.sort_index()


def o3_8h(h: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for sid, g in h[h["col"] == "o3"].groupby("sid"):
        s = g.set_index("time")["value"].sort_index()
        # every hour up to the last natural day's 24:00: a window ending at an hour
        # without a value still counts when 6 of its 8 hours have one (HJ 663)
        last_day_end = (s.index.max() - pd.Timedelta(hours=1)).normalize() + pd.Timedelta(days=1)
        grid = pd.date_range(s.index.min(), last_day_end, freq="h")
        s = s.reindex(grid)
        mean = s.rolling(8, min_periods=1).mean()
        count = s.rolling(8, min_periods=1).count()
        start = grid - pd.Timedelta(hours=1)
        keep = start.hour >= 7  # windows ending 08:00 .. 24:00 of the natural day
        frame = pd.DataFrame({"m": mean.values, "n": count.values, "date": start.date})[keep]
        frame = frame[frame["n"] >= 6]
        d = frame.groupby("date")["m"].agg(["max", "count"])
        d["sid"] = sid
        parts.append(d.reset_index())
    if not parts:
        return pd.DataFrame(columns=["o3_8h", "n_o3_8h"])
    d = pd.concat(parts)
    d["o3_8h"] = d["max"].where((d["count"] >= 14) | (d["max"] > O3_8H_LIMIT))
    return d.set_index(["sid", "date"]).rename(columns={"count": "n_o3_8h"})[["o3_8h", "n_o3_8h"]]


def annual(d: pd.DataFrame, year: int) -> pd.DataFrame:
    """Annual HJ 663 items per sid for ``year`` from the daily values."""
    d = d.reset_index()
    d = d[pd.to_datetime(d["date"]).dt.year == year].copy()
    d["month"] = pd.to_datetime(d["date"]).dt.month
    rows = []
    for sid, g in d.groupby("sid"):
        row = {"sid": sid}
        for col, p in PERCENTILES.items():
            vals = g[col].dropna().to_numpy(dtype=float)
            dec = 1 if col == "co" else 0
            row[f"n_{col}"] = len(vals)
            per_month = g.groupby("month")[col].count()
            months_ok = sum(1 for m, n in per_month.items() if n >= (25 if m == 2 else 27))
            row[f"valid_{col}"] = len(vals) >= 324 and months_ok == 12
            if col in MEANS:
                row[f"{col}_mean"] = round_half_even(vals.mean(), dec) if len(vals) else np.nan
            row[f"{col}_p{p}"] = round_half_even(np.percentile(vals, p), dec) if len(vals) else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("sid").sort_index()
