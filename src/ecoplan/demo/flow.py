"""Generated daily discharge at gauges on the seven rivers' main stems.

GENERATED DATA: nothing here is a measurement. Gauge codes, names, positions
and flows are invented; each gauge sits at a water-quality section of the
demo (:mod:`ecoplan.demo.water`) and names it, so flow and quality can be
read together.

How the figures are made
------------------------
- **Record**: from 2010 (a reference period for the multi-year mean) to the
  last day asked for, generated year by year so that a year's values do not
  depend on where the record ends.
- **Base flow**: a monthly profile of the gauge's long-term mean (low in
  winter and in the irrigation months of May-June, higher with the autumn
  recession), times the year's wetness (shared by the province, with a part
  per basin), times a slow persistence on the log scale (AR(1)).
- **Floods**: pulses in the flood season (mid-June to September) with a fast
  rise and an exponential recession, more and larger in wet years; the
  autumn 2021 flood is in every record.
- **Low flows**: some gauges have a fragile base flow (upstream abstraction,
  reservoir regulation) that falls below the plan's thresholds (10 % of the
  multi-year mean outside the flood season, 20 % in it) in dry years; some
  rivers get ecological water replenishment after 2020 (base flow rising).
- **Gaps**: a few missing days in some years (blank cells) and one long
  outage, so that the gap flags of the assessment appear.

Files: ``gauges.csv`` (站码, 站名, 河流, 断面编码, 流域, 纬度, 经度) and one
``flow-<code>.csv`` per gauge (站码, 日期, 日平均流量(m3/s)).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from . import water as demo_water

TAG = 3
FIRST_YEAR = 2010


@dataclass(frozen=True)
class Gauge:
    """A gauge at a demo section: long-term mean flow [m3/s] and the traits of its regime."""

    section: str  # name of the water-quality section it sits at
    river: str  # the plan's river (the main stem it measures)
    stream: str  # the stream's own name when it differs (浊漳河 ...)
    mean: float  # long-term mean discharge [m3/s]
    low: float = 1.0  # scale of the base flow outside floods (below 1: fragile)
    dry_exponent: float = 1.0  # how strongly a dry year lowers the base flow
    replenish: float = 0.0  # yearly rise of the base flow after 2020 (ecological water)
    flashy: float = 1.0  # size of the flood pulses


GAUGES: tuple[Gauge, ...] = (
    Gauge("河西村", "汾河", "汾河", 3.5, low=0.8, dry_exponent=1.3, replenish=0.06),
    Gauge("上兰", "汾河", "汾河", 7.0, replenish=0.08),
    Gauge("义棠", "汾河", "汾河", 11.0, low=0.45, dry_exponent=1.8, replenish=0.10),
    Gauge("柴庄", "汾河", "汾河", 16.0, low=0.6, dry_exponent=1.6, replenish=0.08),
    Gauge("庙前村", "汾河", "汾河", 20.0, low=0.45, dry_exponent=1.8, replenish=0.10),
    Gauge("东榆林水库出口", "桑干河", "桑干河", 2.5, low=0.4, dry_exponent=2.0, replenish=0.03),
    Gauge("固定桥", "桑干河", "桑干河", 6.0, low=0.22, dry_exponent=2.0),
    Gauge("界河铺", "滹沱河", "滹沱河", 3.0, low=0.9),
    Gauge("南庄", "滹沱河", "滹沱河", 8.0),
    Gauge("石梁", "漳河", "浊漳河", 9.0, flashy=1.2),
    Gauge("蔡家庄", "漳河", "清漳河", 5.0, flashy=1.3),
    Gauge("飞岭", "沁河", "沁河", 6.0, flashy=1.2),
    Gauge("润城", "沁河", "沁河", 12.0, low=0.6, dry_exponent=1.5, flashy=1.2),
    Gauge("张留庄", "涑水河", "涑水河", 1.0, low=0.18, dry_exponent=2.0, flashy=0.8),
    Gauge("城头会", "大清河", "唐河", 2.5, low=0.5, dry_exponent=1.6),
)

# base flow relative to the long-term mean, by month (mid-month values, interpolated daily)
BASE_PROFILE = (0.42, 0.40, 0.62, 0.50, 0.36, 0.35, 0.55, 0.75, 0.80, 0.70, 0.55, 0.45)
# wetness of some years, the same in every record (others are drawn from the seed)
WET_YEARS = {2015: 0.62, 2019: 0.7, 2021: 1.7, 2025: 0.78, 2026: 0.8}
# a long outage: (gauge section, year, first day of year index, days)
OUTAGE = ("东榆林水库出口", 2016, 150, 55)


@dataclass(frozen=True)
class GaugeRow:
    code: str
    name: str
    river: str
    section: str
    basin: str
    lat: float
    lon: float


@cache
def gauge_rows() -> tuple[GaugeRow, ...]:
    """The gauge list: codes ``Q<section code>``, each at its section."""
    by_name = {s.name: s for s in demo_water.sections()}
    out = []
    for g in GAUGES:
        s = by_name[g.section]
        name = g.section.removesuffix("水库出口") + "站"
        if g.stream != g.river:
            name += f"({g.stream})"
        out.append(GaugeRow(f"Q{s.code}", name, g.river, s.code, s.basin, s.lat, s.lon))
    return tuple(out)


def _wetness(seed: int, years: range) -> dict[tuple[str, int], float]:
    """Wetness of each year per river: a province-wide part and a part per river."""
    rivers = sorted({g.river for g in GAUGES})
    out = {}
    for y in years:
        # one draw per year whatever the range, so a year's wetness does not depend on the range
        yr = np.random.default_rng((seed, TAG, 0, y))
        shared = WET_YEARS.get(y, float(np.exp(yr.normal(0, 0.28))))
        for r in rivers:
            out[(r, y)] = shared * float(np.exp(yr.normal(0, 0.12)))
    return out


def _daily_profile(days: np.ndarray) -> np.ndarray:
    """BASE_PROFILE interpolated to days of the year (1..366)."""
    mid = np.array([15.5 + 30.4 * i for i in range(12)])
    x = np.concatenate([mid - 365.25, mid, mid + 365.25])
    y = np.tile(np.array(BASE_PROFILE), 3)
    return np.interp(days, x, y)


def year_flows(g_index: int, year: int, wet: float, state: float, *, seed: int) -> tuple[np.ndarray, float]:
    """Daily discharge [m3/s] of one gauge in one year (NaN on missing days) and the AR state at its end."""
    g = GAUGES[g_index]
    rng = np.random.default_rng((seed, TAG, g_index + 1, year))
    n = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    doy = np.arange(1, n + 1, dtype=float)
    flood = (doy >= dt.date(year, 6, 1).timetuple().tm_yday) & (
        doy < dt.date(year, 10, 1).timetuple().tm_yday
    )
    # slow persistence on the log scale
    e = rng.normal(0, 0.07, n)
    ar = np.empty(n)
    for i in range(n):
        state = 0.93 * state + e[i]
        ar[i] = state
    replenish = 1 + g.replenish * max(year - 2020, 0)
    base = g.mean * _daily_profile(doy) * replenish * np.exp(ar)
    # a fragile base flow is lowest outside the flood season, and dry years hurt it most
    base *= np.where(flood, max(g.low, 0.6), g.low) * wet ** np.where(flood, 1.0, g.dry_exponent)
    # flood pulses: fast rise, exponential recession
    pulses = np.zeros(n)
    n_events = rng.poisson(3.5 * wet)
    starts = rng.integers(
        dt.date(year, 6, 15).timetuple().tm_yday, dt.date(year, 9, 20).timetuple().tm_yday, 8
    )
    peaks = rng.uniform(2.0, 10.0, 8) * g.mean * g.flashy * wet**1.2
    decay = rng.uniform(0.25, 0.6, 8)
    events = list(zip(starts[:n_events], peaks[:n_events], decay[:n_events], strict=True))
    if year == 2021:  # the autumn flood of 2021, in the non-flood season
        events.append((dt.date(2021, 10, 3).timetuple().tm_yday, 14.0 * g.mean * g.flashy, 0.3))
    t = doy[None, :]
    for start, peak, k in events:
        lag = t[0] - start
        pulses += np.where(lag < 0, 0.0, np.where(lag < 1, peak * 0.6, peak * np.exp(-k * (lag - 1))))
    q = base + pulses
    # gaps: now and then a run of missing days; one long outage
    if rng.random() < 0.25:
        a = int(rng.integers(0, n - 12))
        q[a : a + int(rng.integers(2, 11))] = np.nan
    if (g.section, year) == OUTAGE[:2]:
        q[OUTAGE[2] : OUTAGE[2] + OUTAGE[3]] = np.nan
    return q, state


def _round(q: np.ndarray) -> list[str]:
    """Three significant figures, as discharge is published; blank for a missing day."""
    out = []
    for v in q:
        if not np.isfinite(v):
            out.append("")
        else:
            out.append(f"{float(f'{v:.3g}'):g}")
    return out


def write_gauges(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["站码", "站名", "河流", "断面编码", "流域", "纬度", "经度"])
        for r in gauge_rows():
            w.writerow([r.code, r.name, r.river, r.section, r.basin, f"{r.lat:.4f}", f"{r.lon:.4f}"])
    return path


def write_all(
    directory: Path,
    start: dt.date,
    end: dt.date,
    *,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> dict[str, list[Path]]:
    """Write ``gauges.csv`` and one daily file per gauge from 2010 (or ``start`` if earlier) to ``end``."""
    directory.mkdir(parents=True, exist_ok=True)
    first = min(FIRST_YEAR, start.year)
    years = range(first, end.year + 1)
    wet = _wetness(seed, years)
    gauges = write_gauges(directory / "gauges.csv")
    files = []
    for gi, (g, row) in enumerate(zip(GAUGES, gauge_rows(), strict=True)):
        state = 0.0
        parts = []
        for y in years:
            q, state = year_flows(gi, y, wet[(g.river, y)], state, seed=seed)
            parts.append(q)
        q = np.concatenate(parts)
        day0 = dt.date(first, 1, 1)
        n = (end - day0).days + 1
        dates = np.arange(np.datetime64(day0), np.datetime64(day0) + n)
        path = directory / f"flow-{row.code}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write("站码,日期,日平均流量(m3/s)\n")
            for d, v in zip(dates.astype(str), _round(q[:n]), strict=True):
                fh.write(f"{row.code},{d},{v}\n")
        files.append(path)
        if progress is not None:
            progress(gi)
    return {"gauges": [gauges], "flow": files}
