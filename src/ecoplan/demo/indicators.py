"""Generated yearly values of the plan's reported indicators (forest cover, coal use, straw use ...).

GENERATED DATA: nothing here is a statistic. The generator walks the plan
file: every target of kind ``reported`` (goals and triggers) gets a value per
year from the plan's baseline year to the last complete year, for its scope
or, for a per-member target, for each member (``city:太原市`` ...). Context
figures of the plan (a level stated for 2020, e.g. forest cover 23.5 %) are
written for their year as the plan states them.

Trajectories
------------
Each series runs from a start value in the baseline year toward the value
that would just meet the target in the target year, and lands in one of four
*fates*, drawn per target and member from the seed: ``met`` (overshoots a
little), ``near`` (80-95 % of the way), ``behind`` (30-60 %) or ``reverse``
(moves the wrong way). So targets land in different states.

- Start value: the plan's baseline when it gives one; otherwise a level
  derived from the target (a share some points short of it, a cap somewhat
  exceeded, zero for amounts counted since the baseline year), or for
  targets without a figure (increasing, decreasing, assigned) an
  illustrative level from :data:`LEVELS` (invented, per indicator or unit).
- The goal: the target value, the baseline changed by the percentage or the
  amount, the baseline moved a little for increasing / decreasing, 0 for
  zero, 100 % or 1 for pass/fail (``all_meet``) statements.
- Yes/no indicators switch from 0 to 1 in one year (before the target year
  when met, never when not).

The CSV has the columns ``indicator, scope, year, value, source, note``
(:mod:`ecoplan.readers.indicators` reads it).
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..plan import Plan, Target, resolve_plan

TAG = 4
SOURCE = "GENERATED (ecoplan demo)"
COLUMNS = ("indicator", "scope", "year", "value", "source", "note")
FATES = ("met", "near", "behind", "reverse")
FATE_WEIGHTS = (0.4, 0.25, 0.2, 0.15)
MEMBER_PREFIX = {"city": "city", "river": "river", "lake": "lake", "county": "county"}

# Illustrative 2020 levels where the plan states none (invented for the demo):
# by indicator first, then by unit.
LEVELS: dict[str, float] = {
    "energy.coal_share": 82.0,
    "energy.nonfossil_share": 8.5,
    "energy.coal_consumption": 9500.0,
    "energy.rural_clean_heating_rate": 62.0,
    "agri.fertiliser_use": 110.0,
    "agri.pesticide_use": 9000.0,
    "agri.efficient_sprayer_share": 35.0,
    "eco.wetland_area": 227.0,
    "waterres.water_use_per_gdp": 41.0,
    "waterres.water_use_per_industrial_va": 14.5,
    "soil.farmland_safe_use_rate": 92.0,
    "soil.contaminated_site_safe_use_rate": 90.0,
    "soil.groundwater_class_v_share": 18.0,
    "transport.old_diesel_trucks": 32000.0,
    "transport.old_heavy_diesel_trucks": 15000.0,
    "waste.raw_waste_landfilled": 6500.0,
    "air.dustfall_max": 9.0,
}
UNIT_LEVELS: dict[str, float] = {
    "%": 60.0,
    "‰": 1.0,
    "1": 0.5,
    "count": 12.0,
    "boilers": 180.0,
    "mines": 25.0,
    "vehicles": 20000.0,
    "10^4 t": 900.0,
    "t/d": 500.0,
    "t": 10000.0,
}
# units whose values are whole numbers
COUNT_UNITS = {
    "bool",
    "count",
    "boilers",
    "mines",
    "vehicles",
    "towns",
    "bases",
    "facilities",
    "households",
    "zones",
    "sections",
    "rivers",
}
DECIMALS = {"%": 1, "‰": 2, "1": 3}


@dataclass
class Row:
    indicator: str
    scope: str
    year: int
    value: float
    source: str = SOURCE
    note: str = ""


def _rng(seed: int, *keys: str) -> np.random.Generator:
    return np.random.default_rng((seed, TAG, *[zlib.crc32(k.encode("utf-8")) for k in keys]))


def _round(value: float, unit: str) -> float:
    if unit in COUNT_UNITS:
        return float(round(value))
    v = round(value, DECIMALS.get(unit, 1))
    return min(max(v, 0.0), 100.0) if unit == "%" else max(v, 0.0)


def _level(indicator: str, unit: str) -> float:
    return LEVELS.get(indicator, UNIT_LEVELS.get(unit, 100.0))


def start_and_goal(plan: Plan, t: Target, rng: np.random.Generator) -> tuple[float, float]:
    """(value in the baseline year, value that just meets the target in the target year)."""
    ind = plan.indicator(t.indicator)
    unit, higher = t.unit, ind.direction == "higher"
    b = t.baseline.value if t.baseline is not None else None
    notes = f"{ind.note or ''} {t.note or ''}".lower()
    c, v = t.comparator, t.value
    if c == "all_meet":
        goal = 1.0 if unit == "bool" else 100.0 if unit == "%" else max(v or 1.0, 1.0)
        start = 0.0 if unit == "bool" else b if b is not None else goal * rng.uniform(0.6, 0.9)
        return start, goal
    if c == "zero":
        if b is not None:
            start = b
        elif t.baseline is not None and t.baseline.achieved:
            start = 0.0
        else:
            start = _level(t.indicator, unit) * rng.uniform(0.7, 1.3)
        return start, 0.0
    if c in ("reduce_by_pct", "increase_by_pct", "increase_by"):
        start = b if b is not None else _level(t.indicator, unit) * rng.uniform(0.8, 1.2)
        assert v is not None
        if c == "reduce_by_pct":
            return start, start * (1 - v / 100)
        if c == "increase_by_pct":
            return start, start * (1 + v / 100)
        return start, start + v
    if c in ("increasing", "not_decreasing", "decreasing", "not_increasing") or v is None:
        start = b if b is not None else _level(t.indicator, unit) * rng.uniform(0.85, 1.15)
        return start, start * (1.06 if higher else 0.94)
    # >=, >, <=, <, = with a value
    if b is not None:
        return b, v
    if "since the plan's baseline year" in notes:
        return 0.0, v
    if "steady" in t.flags:
        return v * (0.97 if higher else 1.03), v
    if higher:
        if unit == "%":
            return max(v - min(15.0, 0.25 * v), 0.0), v
        if unit == "1":
            return v * 0.93, v
        return v * (0.5 if "cumulative" in notes else 0.3), v
    if unit == "%":
        return v + min(10.0, 0.15 * v), v
    return v * rng.uniform(1.15, 1.4), v


def series(plan: Plan, t: Target, years: list[int], rng: np.random.Generator, fate: str) -> list[float]:
    """Values of one target (one member) for ``years``."""
    unit = t.unit
    start, goal = start_and_goal(plan, t, rng)
    y0 = plan.baseline_year
    target_year = t.year or years[-1]
    span = max(target_year - y0, 1)
    if unit == "bool":
        switch = int(rng.integers(max(y0 + 1, target_year - 2), target_year + 1)) if fate == "met" else 10000
        return [1.0 if y >= switch else 0.0 for y in years]
    frac = {
        "met": rng.uniform(1.03, 1.15),
        "near": rng.uniform(0.8, 0.95),
        "behind": rng.uniform(0.3, 0.6),
        "reverse": -rng.uniform(0.1, 0.3),
    }[fate]
    out = []
    for y in years:
        p = min(max((y - y0) / span, 0.0), 1.0)
        if y > target_year:  # after the target year the series keeps its pace a little
            p = 1.0 + 0.1 * (y - target_year) / span
        value = start + (goal - start) * frac * p
        if goal == 0.0 and fate == "met" and y >= target_year:
            value = 0.0  # nothing left
        if start == goal == 0.0 and fate in ("behind", "reverse"):
            value = float(max(y - y0 - 2, 0))  # a state reached in the baseline year, lost again
        if t.comparator == "all_meet" and unit == "%" and fate == "met":
            value = min(value, 100.0)
        if 0 < p < 1:
            value *= float(np.exp(rng.normal(0, 0.01)))
        out.append(value)
    return out


def rows(plan: Plan, years: list[int], *, seed: int) -> list[Row]:
    """Every generated line: reported targets (per member where the target says so) and context figures."""
    out: dict[tuple[str, str, int], Row] = {}

    def key(indicator: str, scope: str, year: int) -> tuple[str, str, int]:
        return indicator, plan.scopes.aliases.get(scope, scope), year

    for t in plan.targets:
        if t.kind != "reported":
            continue
        if t.role == "context":
            b = t.baseline
            if b is None or b.value is None or b.from_year is not None or b.year not in years:
                continue  # a period total is not a yearly value
            k = key(t.indicator, t.scope, b.year)
            out.setdefault(
                k, Row(t.indicator, t.scope, b.year, b.value, "plan text (a figure the plan states)")
            )
            continue
        resolved = plan.resolve_scope(t.scope)
        if t.per_member:
            prefix = MEMBER_PREFIX.get(resolved.member_type or "")
            if prefix is None:
                continue
            scopes = [f"{prefix}:{m}" for m in resolved.members]
        else:
            scopes = [t.scope]
        for scope in scopes:
            rng = _rng(seed, t.id, scope)
            fate = str(rng.choice(FATES, p=np.array(FATE_WEIGHTS)))
            source = (
                f"{SOURCE}; the target figure is assigned by the State" if "assigned" in t.flags else SOURCE
            )
            for y, v in zip(years, series(plan, t, years, rng, fate), strict=True):
                out.setdefault(
                    key(t.indicator, scope, y), Row(t.indicator, scope, y, _round(v, t.unit), source)
                )
    return sorted(out.values(), key=lambda r: (r.indicator, r.scope, r.year))


def _fmt(value: float, unit: str) -> str:
    if unit in COUNT_UNITS:
        return str(int(value))
    return f"{value:.{DECIMALS.get(unit, 1)}f}"


def write(path: Path, first_year: int, last_year: int, *, seed: int, plan: Plan | None = None) -> Path:
    """Write the reported-indicator CSV for ``first_year..last_year`` (nothing when the range is empty)."""
    plan = plan or resolve_plan(None)
    years = list(range(first_year, last_year + 1))
    units = {i: ind.unit for i, ind in plan.vocabulary.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        if years:
            for r in rows(plan, years, seed=seed):
                w.writerow(
                    [r.indicator, r.scope, r.year, _fmt(r.value, units[r.indicator]), r.source, r.note]
                )
    return path
