"""Progress of an indicator toward its target: the Statistics Canada / Open SDG method.

The method
----------
Statistics Canada's progress measure for the Sustainable Development Goals,
inspired by Eurostat's, as integrated into Open SDG. Sources read for this
module (public copies):

- the method's documentation, ``docs/progress-methodology.md`` of the
  ``open-sdg/open-sdg`` repository (also published as "Progress Measurement
  for Canada's Sustainable Development Goals" on Canada's SDG data hub);
- the method's code, ``sdg/ProgressMeasure.py`` of the ``open-sdg/sdg-build``
  repository (commit 139fede74ba534d2ed8b9eee4cd878b41f54cb67 as stored).

What was confirmed there, and is implemented here (not copied):

- Observed compound annual growth rate from the base year ``t0`` to the latest
  year ``t``: ``CAGR_o = (y_t / y_0) ** (1 / (t - t0)) - 1``.
- With a quantitative target ``y_T`` in year ``T``: required rate
  ``CAGR_r = (y_T / y_0) ** (1 / (T - t0)) - 1`` and ratio
  ``R = s * d * CAGR_o / |CAGR_r|``, where ``d`` is +1 when higher is better and
  -1 when lower is better, and ``s`` is -1 when the base value is negative
  (+1 otherwise). Dividing by ``|CAGR_r|`` (not ``CAGR_r``) makes a move in the
  undesired direction negative even when the base value already lies beyond
  the target (an edge case the documentation names).
- Status from ``R`` (code: ``value >= high``; ``med <= value < high``;
  ``low <= value < med``; ``value < low``): ``R >= 0.95`` on track
  ("substantial progress"); ``0.60 <= R < 0.95`` acceleration needed
  ("moderate progress"); ``0 <= R < 0.60`` limited progress; ``R < 0``
  deterioration. Each threshold belongs to the *upper* category: exactly 0.95
  is on track, exactly 0.60 is acceleration needed, exactly 0 is limited
  progress.
- Without a target: the growth ``g = s * d * CAGR_o`` is graded with the same
  inclusive-lower-bound rule at 1.5 %/yr (on track), 0.5 %/yr (acceleration
  needed) and 0 (limited progress); below 0 deterioration.
- Target achieved (checked before any threshold, whatever the trend): the
  latest value meets the target in the desired direction, ``y_t >= y_T`` when
  higher is better, ``y_t <= y_T`` when lower is better. In the code the check
  runs even when fewer than two years are available, so a single value that
  already meets the target is "achieved"; a single value that does not is
  "not assessable" (documentation: "at least two years of data").
- A target of 0 and a base value of 0 are each replaced by 0.001 (code and
  documentation). The target is replaced when it is read, so the achievement
  test also compares with 0.001; this only matters for values in (0, 0.001].
- The base and latest values must have the same sign, else not assessable.
- Natural limits (no-target case only): thresholds above 0 are scaled by
  ``C = 1 - (y0/ylim) ** 4.44`` when ``|y0| <= |ylim|``,
  ``C = 1 - ((2 ylim - y0)/ylim) ** 4.44`` when ``|ylim| < |y0| < 2 |ylim|`` and
  ``C = 1`` beyond (absolute values); with ``C = 0`` a growth of 0 or more is on
  track.
- "Goldilocks" targets (reach a value, neither under nor over it): the
  documentation reflects values about the target, ``target + |y - target|``,
  and assesses a decrease toward the target. ``comparator="="`` does this.
- Score for aggregation (documentation, Figures 1 and 2): piecewise linear,
  target case ``R`` = -0.6, 0, 0.6, 0.95, 1.3 -> -5, -2.5, 0, 2.5, 5;
  no-target case ``g`` = -2 %, 0, 0.5 %, 1.5 %, 2 % (positive thresholds scaled by
  ``C``) -> -5, -2.5, 0, 2.5, 5; clamped to [-5, 5]; an achieved target scores 5.
  The code rounds the slopes (7.1429, 4.1667); the exact slopes are used here.

Choices made here (not in the method)
-------------------------------------
- The base year defaults to the first observed year (the method's default
  is 2015). A baseline year without a value takes the value of that year, or
  of the first later year with data (the method's rule for a missing base year).
- ``not_decreasing`` / ``not_increasing`` / ``increasing`` / ``decreasing``: the
  target is the base value itself. Met when the latest value is not below / not
  above / above / below it. Otherwise the required rate is 0 and the ratio is
  undefined: a move the wrong way is deterioration, no move at all limited progress.
  (The ``steady`` reading, every year against the year before, is not judged here.)
- ``>`` / ``<``: as ``>=`` / ``<=`` with a strict achievement test.
- ``increase_by``: the target is the base value plus ``target``.
- ``all_meet``: pass/fail on the latest value: achieved or not achieved.
- ``=``: achieved when ``|y_t - target| <= tolerance``; otherwise the reflected
  series is assessed as above, and the rates reported are those of the
  reflected series (the note says so).

Projection and needed rate
--------------------------
``projected_value`` (the default) extends the observed CAGR to the target
year: ``y_t * (1 + CAGR_o) ** (T - t)`` (equal to ``y_0 (1 + CAGR_o)^(T - t0)``).
``projected_linear`` is the least-squares straight line through the base point
and the observations after the base year, evaluated at ``T``. Both are given
when ``T >= t``; ``projected_meets`` tests the CAGR projection against the target
(for ``=``, reaching or crossing the target counts).
``needed_rate`` is the annual rate needed from now on:
``(y_T / y_t) ** (1 / (T - t)) - 1`` for ``T > t`` (zeros replaced as above).

Everything here is plain Python on a handful of yearly values: the plan's
indicator values are computed upstream (Ibis); this is the per-target step.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "ACCELERATION_NEEDED",
    "ACHIEVED",
    "COMPARATORS",
    "DETERIORATION",
    "LIMITED_PROGRESS",
    "METHOD_STATUS",
    "NOT_ACHIEVED",
    "NOT_ASSESSABLE",
    "ON_TRACK",
    "STATUSES",
    "STATUS_LABELS",
    "Progress",
    "assess",
    "limit_coefficient",
    "rollup",
    "status_from_growth",
    "status_from_ratio",
]

# Statuses, in the order rollups list them.
ACHIEVED = "achieved"
ON_TRACK = "on_track"
ACCELERATION_NEEDED = "acceleration_needed"
LIMITED_PROGRESS = "limited_progress"
DETERIORATION = "deterioration"
NOT_ACHIEVED = "not_achieved"
NOT_ASSESSABLE = "not_assessable"
STATUSES = (
    ACHIEVED,
    ON_TRACK,
    ACCELERATION_NEEDED,
    LIMITED_PROGRESS,
    DETERIORATION,
    NOT_ACHIEVED,
    NOT_ASSESSABLE,
)

#: (zh, en) labels of each status.
STATUS_LABELS = {
    ACHIEVED: ("已实现", "Target achieved"),
    ON_TRACK: ("按期可达", "On track"),
    ACCELERATION_NEEDED: ("需加快推进", "Progress made but acceleration needed"),
    LIMITED_PROGRESS: ("进展有限", "Limited progress"),
    DETERIORATION: ("退步", "Deterioration"),
    NOT_ACHIEVED: ("未实现", "Target not achieved"),
    NOT_ASSESSABLE: ("无法评估", "Unable to assess"),
}

#: The status names the method's code uses for ours.
METHOD_STATUS = {
    ACHIEVED: "target_achieved",
    ON_TRACK: "substantial_progress",
    ACCELERATION_NEEDED: "moderate_progress",
    LIMITED_PROGRESS: "limited_progress",
    DETERIORATION: "deterioration",
    NOT_ACHIEVED: "target_not_achieved",
    NOT_ASSESSABLE: "not_available",
}

# The method's constants (documentation and code agree).
RATIO_ON_TRACK = 0.95
RATIO_ACCELERATION = 0.60
RATIO_LIMITED = 0.0
GROWTH_ON_TRACK = 0.015
GROWTH_ACCELERATION = 0.005
GROWTH_LIMITED = 0.0
ZERO_REPLACEMENT = 0.001
LIMIT_EXPONENT = 4.44
# Score anchors (documentation, Figures 1 and 2): progress value -> score.
_RATIO_SCORE = ((-0.6, -5.0), (0.0, -2.5), (0.6, 0.0), (0.95, 2.5), (1.3, 5.0))
_GROWTH_SCORE = ((-0.02, -5.0), (0.0, -2.5), (0.005, 0.0), (0.015, 2.5), (0.02, 5.0))

#: Comparators a plan target may use.
COMPARATORS = (
    ">=",
    ">",
    "<=",
    "<",
    "=",
    "reduce_by_pct",
    "increase_by_pct",
    "increase_by",
    "not_decreasing",
    "not_increasing",
    "increasing",
    "decreasing",
    "zero",
    "all_meet",
)
# Comparators whose target is the base value itself, and those that always have a target.
_SELF_TARGET = ("not_decreasing", "not_increasing", "increasing", "decreasing")
_IMPLICIT_TARGET = ("reduce_by_pct", "increase_by_pct", "increase_by", "zero", "=", *_SELF_TARGET)
_ALIASES = {"≥": ">=", "≤": "<=", "==": "=", "≈": "="}
# Desired direction implied by each comparator (+1 higher is better); None: set by the target.
_DIRECTION = {
    ">=": 1,
    ">": 1,
    "<=": -1,
    "<": -1,
    "reduce_by_pct": -1,
    "increase_by_pct": 1,
    "increase_by": 1,
    "not_decreasing": 1,
    "not_increasing": -1,
    "increasing": 1,
    "decreasing": -1,
    "zero": -1,
    "=": None,
}


@dataclass(frozen=True)
class Progress:
    """Where one target stands.

    Rates are fractions per year (0.02 = 2 %/yr). ``ratio`` is the method's
    ``R`` (target case), ``growth`` the direction-adjusted observed rate
    (no-target case). ``None`` means not computable; ``note`` says why.
    """

    status: str
    ratio: float | None
    observed_rate: float | None
    required_rate: float | None
    projected_value: float | None
    projected_meets: bool | None
    needed_rate: float | None
    latest_year: int | None
    latest_value: float | bool | None
    baseline_year: int | None
    baseline_value: float | None
    note: str = ""
    comparator: str | None = None
    target: float | None = None
    target_year: int | None = None
    higher_is_better: bool | None = None
    method: str = "target"
    growth: float | None = None
    projected_linear: float | None = None
    projected_linear_meets: bool | None = None
    score: float | None = None

    @property
    def label_zh(self) -> str:
        return STATUS_LABELS[self.status][0]

    @property
    def label_en(self) -> str:
        return STATUS_LABELS[self.status][1]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict, with the zh/en labels."""
        out = asdict(self)
        out["label_zh"] = self.label_zh
        out["label_en"] = self.label_en
        return out


# ---------------------------------------------------------------------------
# Input


_YEAR = re.compile(r"^\s*(\d{4})")


def _year(key: object) -> int:
    if isinstance(key, bool):
        raise ValueError(f"not a year: {key!r}")
    if isinstance(key, int):
        return key
    if isinstance(key, float) and key.is_integer():
        return int(key)
    m = _YEAR.match(str(key))
    if not m:
        raise ValueError(f"not a year: {key!r}")
    # A reporting period such as "2015-16" counts as its first year (the method's rule).
    return int(m.group(1))


def _missing(v: object) -> bool:
    """None, NaN, pandas NA or NaT."""
    if v is None or type(v).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(v != v)  # NaN is the only value unequal to itself
    except (TypeError, ValueError):
        return False


def _series(values: Any, *, boolean: bool, meets_at: float | None = None) -> list[tuple[int, Any]]:
    """Sorted (year, value) pairs without missing values; duplicates are an error.

    With ``boolean``, values become pass/fail: booleans, 0/1, yes/no text, or
    numbers compared with ``meets_at`` (value >= meets_at passes).
    """
    items = values.items() if isinstance(values, Mapping) or hasattr(values, "items") else values
    out: dict[int, Any] = {}
    for pair in items:
        try:
            key, value = pair
        except (TypeError, ValueError) as exc:
            raise ValueError(f"expected (year, value) pairs, got {pair!r}") from exc
        year = _year(key)
        if _missing(value):
            continue
        if boolean:
            if isinstance(value, str):
                text = value.strip().lower()
                if text not in {"true", "false", "1", "0", "yes", "no", "是", "否"}:
                    raise ValueError(f"year {year}: not a pass/fail value: {value!r}")
                value = text in {"true", "1", "yes", "是"}
            elif isinstance(value, bool):
                pass
            elif meets_at is not None:
                value = float(value) >= meets_at
            elif value in (0, 1):
                value = bool(value)
            else:
                raise ValueError(
                    f"year {year}: {value!r} is not a pass/fail value; give the value that means "
                    "'all meet' as target (e.g. 100 for a share)"
                )
        else:
            try:
                value = float(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"year {year}: not a number: {value!r}") from exc
            if math.isnan(value):
                continue
        if year in out:
            raise ValueError(f"two values for year {year}")
        out[year] = value
    return sorted(out.items())


def _nonzero(x: float) -> float:
    return ZERO_REPLACEMENT if x == 0 else x


def _cagr(value: float, base: float, years: float) -> float:
    return (value / base) ** (1.0 / years) - 1.0


def _interp(x: float, anchors: Sequence[tuple[float, float]]) -> float:
    if x <= anchors[0][0]:
        return anchors[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(anchors):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return anchors[-1][1]


def limit_coefficient(base: float, limit: float) -> float:
    """The method's scaling factor C in [0, 1] for an indicator with a natural limit.

    Absolute values are used: ``C = 1 - (b/l)^4.44`` for ``b <= l``,
    ``1 - ((2l - b)/l)^4.44`` for ``l < b < 2l`` and 1 for ``b >= 2l``.
    """
    b, lim = abs(base), abs(limit)
    if b >= 2 * lim:  # also covers b = l = 0
        return 1.0
    if b <= lim:
        return 1.0 - (b / lim) ** LIMIT_EXPONENT
    return 1.0 - ((2 * lim - b) / lim) ** LIMIT_EXPONENT


def _grade(value: float, on_track: float, acceleration: float, limited: float) -> str:
    # Each threshold belongs to the category above it (the method's code).
    if value >= on_track:
        return ON_TRACK
    if value >= acceleration:
        return ACCELERATION_NEEDED
    if value >= limited:
        return LIMITED_PROGRESS
    return DETERIORATION


def _linear_at(points: Sequence[tuple[int, float]], year: int) -> float | None:
    """Least-squares straight line through ``points`` evaluated at ``year``."""
    if len({p[0] for p in points}) < 2:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in points)
    slope = sxy / sxx
    return my + slope * (year - mx)


# ---------------------------------------------------------------------------
# Assessment


def _meets(comparator: str, value: float, target: float, base: float | None, tolerance: float) -> bool:
    if comparator in (">=", "increase_by_pct", "increase_by"):
        return value >= target
    if comparator in ("<=", "reduce_by_pct", "zero"):
        return value <= target
    if comparator == ">":
        return value > target
    if comparator == "<":
        return value < target
    if base is None:
        return False
    if comparator == "not_decreasing":
        return value >= base
    if comparator == "not_increasing":
        return value <= base
    if comparator == "increasing":
        return value > base
    if comparator == "decreasing":
        return value < base
    if comparator == "=":
        return abs(value - target) <= tolerance
    raise ValueError(f"unknown comparator {comparator!r}")


def _projection_meets(
    comparator: str, value: float, target: float, base: float | None, tolerance: float
) -> bool:
    """Whether a projected value meets the target; for ``=``, reaching or crossing it counts."""
    if comparator == "=" and base is not None and (value - target) * (base - target) < 0:
        return True
    return _meets(comparator, value, target, base, tolerance)


def status_from_ratio(ratio: float) -> str:
    """The method's status for a ratio R of observed to required growth (target not met).

    ``R >= 0.95`` on track, ``0.60 <= R < 0.95`` acceleration needed,
    ``0 <= R < 0.60`` limited progress, ``R < 0`` deterioration.
    """
    return _grade(ratio, RATIO_ON_TRACK, RATIO_ACCELERATION, RATIO_LIMITED)


def status_from_growth(growth: float, coefficient: float = 1.0) -> str:
    """The method's status for a direction-adjusted growth rate without target.

    ``g >= 1.5 %`` on track, ``0.5 % <= g < 1.5 %`` acceleration needed,
    ``0 <= g < 0.5 %`` limited progress, ``g < 0`` deterioration; the positive
    thresholds are multiplied by ``coefficient`` (the limit factor C), and with
    ``C = 0`` any ``g >= 0`` is on track.
    """
    if coefficient == 0 and growth >= 0:
        return ON_TRACK
    return _grade(growth, GROWTH_ON_TRACK * coefficient, GROWTH_ACCELERATION * coefficient, GROWTH_LIMITED)


def _normalise_comparator(comparator: str | None) -> str | None:
    if comparator is None:
        return None
    c = _ALIASES.get(comparator.strip(), comparator.strip())
    if c not in COMPARATORS:
        raise ValueError(f"unknown comparator {comparator!r}; expected one of {', '.join(COMPARATORS)}")
    return c


def assess(
    values: Mapping[int, float] | Sequence[tuple[int, float]],
    *,
    comparator: str | None,
    target: float | None = None,
    target_year: int | None = None,
    baseline: tuple[int, float | None] | None = None,
    higher_is_better: bool | None = None,
    as_of: int | None = None,
    tolerance: float = 0.0,
    limit: float | None = None,
) -> Progress:
    """Assess the progress of one indicator series toward one target.

    Parameters
    ----------
    values
        Yearly values: ``{year: value}`` or ``[(year, value), ...]``; missing
        values (None/NaN) are skipped. For ``all_meet``, booleans (or 0/1), or
        numbers with ``target`` the value that means "all meet" (100 for a share).
    comparator
        One of :data:`COMPARATORS`, or None for a trend without target (then
        ``higher_is_better`` is required).
    target
        The target value; for ``reduce_by_pct`` / ``increase_by_pct`` the
        percentage (``target = base * (1 -/+ pct/100)``), for ``increase_by`` the
        increase (``target = base + increase``). Ignored by ``zero`` (0) and by
        ``not_decreasing``/``not_increasing``/``increasing``/``decreasing`` (the
        base value); for ``all_meet`` the value that means "all meet".
        None with ``>=``/``<=``: the no-target method in that direction.
    target_year
        Year by which the target is due; required whenever there is a target.
    baseline
        ``(year, value)``; ``value`` None takes the series' value of that year
        (or of the first later year with data). Default: the first observation.
    higher_is_better
        The desired direction; must agree with the comparator when both say it.
    as_of
        Use only the values of years up to ``as_of`` (status in that year).
    tolerance
        Absolute tolerance of ``=``.
    limit
        Natural limit of the indicator (no-target method only): scales the
        positive growth thresholds by :func:`limit_coefficient`.
    """
    comp = _normalise_comparator(comparator)
    meets_at = None if comp != "all_meet" or target is None else float(target)
    series = _series(values, boolean=comp == "all_meet", meets_at=meets_at)
    if as_of is not None:
        series = [(y, v) for y, v in series if y <= as_of]

    if comp == "all_meet":
        return _pass_fail(series, target_year)

    # Desired direction.
    implied = _DIRECTION.get(comp) if comp is not None else None
    if comp is None and higher_is_better is None:
        raise ValueError("a trend without comparator needs higher_is_better")
    if implied is not None and higher_is_better is not None and (implied > 0) != higher_is_better:
        raise ValueError(
            f"comparator {comp!r} means {'higher' if implied > 0 else 'lower'} is better, "
            f"but higher_is_better={higher_is_better}"
        )

    # Baseline.
    notes: list[str] = []
    if baseline is None:
        base_year, base_value = series[0] if series else (None, None)
    else:
        base_year, base_value = _year(baseline[0]), baseline[1]
        if _missing(base_value):
            later = [(y, v) for y, v in series if y >= base_year]
            if later:
                if later[0][0] != base_year:
                    notes.append(f"no value in base year {base_year}; base year moved to {later[0][0]}")
                base_year, base_value = later[0]
            else:
                base_value = None
        else:
            base_value = float(base_value)
    after = [(y, v) for y, v in series if base_year is not None and y > base_year]
    if baseline is not None and base_value is not None and any(y == base_year for y, _ in series):
        observed = dict(series)[base_year]
        if observed != base_value:
            notes.append(f"given base value {base_value:g} differs from the series' {observed:g}")
    latest_year, latest_value = series[-1] if series else (None, None)
    if latest_year is not None and base_year is not None and latest_year < base_year:
        latest_year, latest_value = None, None

    # Target value and direction.
    if comp == "increase_by":
        if target is None:
            raise ValueError("increase_by needs the increase as target")
        resolved = None if base_value is None else base_value + float(target)
    elif comp in ("reduce_by_pct", "increase_by_pct"):
        if target is None:
            raise ValueError(f"{comp} needs the percentage as target")
        pct = float(target)
        resolved = None
        factor = 1 - pct / 100 if comp == "reduce_by_pct" else 1 + pct / 100
        resolved = None if base_value is None else base_value * factor
    elif comp == "zero":
        resolved = 0.0
    elif comp in _SELF_TARGET:
        resolved = base_value
    elif comp == "=":
        if target is None:
            raise ValueError("comparator '=' needs a target")
        resolved = float(target)
    else:
        resolved = None if target is None else float(target)
    has_target = comp in _IMPLICIT_TARGET or resolved is not None
    if has_target and target_year is None and comp not in _SELF_TARGET:
        raise ValueError(f"comparator {comp!r} with a target needs target_year")
    if (
        has_target
        and comp not in _SELF_TARGET
        and target_year is not None
        and base_year is not None
        and target_year <= base_year
    ):
        raise ValueError(f"target year {target_year} is not after the base year {base_year}")

    if implied is None and comp == "=":
        d = -1  # the reflected series decreases toward the target
    elif implied is None:
        d = 1 if higher_is_better else -1
    else:
        d = implied
    hib = None if comp == "=" else d > 0

    common = dict(
        latest_year=latest_year,
        latest_value=latest_value,
        baseline_year=base_year,
        baseline_value=base_value,
        comparator=comp,
        target=resolved,
        target_year=target_year,
        higher_is_better=hib,
    )

    if not has_target:
        return _trend(series, after, d, limit, notes, common)
    return _target(comp, resolved, target_year, after, d, tolerance, notes, common)


def _pass_fail(series: list[tuple[int, Any]], target_year: int | None) -> Progress:
    if not series:
        return Progress(
            NOT_ASSESSABLE, None, None, None, None, None, None, None, None, None, None,
            note="no value", comparator="all_meet", target_year=target_year, method="pass_fail",
        )  # fmt: skip
    year, ok = series[-1]
    return Progress(
        ACHIEVED if ok else NOT_ACHIEVED, None, None, None, None, None, None, year, ok, None, None,
        note="pass/fail on the latest value",
        comparator="all_meet", target_year=target_year, method="pass_fail",
        score=5.0 if ok else None,
    )  # fmt: skip


def _unassessable(common: dict[str, Any], notes: list[str], why: str, method: str) -> Progress:
    return Progress(
        NOT_ASSESSABLE, None, None, None, None, None, None,
        note="; ".join([*notes, why]), method=method, **common,
    )  # fmt: skip


def _observed(common: dict[str, Any], notes: list[str]) -> tuple[float, float, int] | str:
    """(effective base, observed CAGR, years) or the reason it cannot be computed."""
    base, latest = common["baseline_value"], common["latest_value"]
    t0, t = common["baseline_year"], common["latest_year"]
    if base is None or latest is None or t is None or t0 is None:
        return "fewer than two values"
    if t - t0 < 1:
        return "fewer than two values"
    if base == 0:
        notes.append(f"base value 0 replaced by {ZERO_REPLACEMENT:g}")
    b = _nonzero(base)
    if (b > 0 and latest < 0) or (b < 0 and latest > 0):
        return "base and latest values have opposite signs"
    return b, _cagr(latest, b, t - t0), t - t0


def _trend(series, after, d, limit, notes, common) -> Progress:
    got = _observed(common, notes)
    if isinstance(got, str):
        return _unassessable(common, notes, got, "trend")
    b, cagr_o, _ = got
    sign = -1 if b < 0 else 1
    growth = sign * d * cagr_o
    coeff = 1.0 if limit is None else limit_coefficient(b, limit)
    if limit is not None:
        notes.append(f"thresholds scaled by C = {coeff:.4f} (limit {limit:g})")
    status = status_from_growth(growth, coeff)
    if coeff == 0 and growth >= 0:
        score = 5.0
    else:
        # Positive thresholds are scaled by C: normalise the growth to the unscaled anchors.
        score = _interp(growth if growth < 0 else growth / coeff, _GROWTH_SCORE)
    return Progress(
        status, None, cagr_o, None, None, None, None,
        note="; ".join(notes), method="trend", growth=growth, score=score, **common,
    )  # fmt: skip


def _reflect(value: float, target: float) -> float:
    """The method's reflection about a two-sided target: ``target + |value - target|``."""
    return target + abs(value - target)


def _target(comp, resolved, target_year, after, d, tolerance, notes, common) -> Progress:
    base, latest = common["baseline_value"], common["latest_value"]
    t0, t = common["baseline_year"], common["latest_year"]
    if resolved is None or latest is None:
        return _unassessable(common, notes, "no value" if latest is None else "no base value", "target")
    # The method replaces a zero target as it reads it, before the achievement test.
    target_eff = resolved
    if resolved == 0 and comp != "=":
        target_eff = ZERO_REPLACEMENT
        notes.append(f"target 0 replaced by {ZERO_REPLACEMENT:g}")
    achieved = _meets(comp, latest, target_eff, base, tolerance)
    got = _observed(common, notes)

    # Projection to the target year and the rate needed from now on (original scale).
    extra: dict[str, Any] = dict(
        projected_value=None, projected_meets=None, needed_rate=None,
        projected_linear=None, projected_linear_meets=None,
    )  # fmt: skip
    if target_year is not None and t is not None:
        if not isinstance(got, str) and target_year >= t:
            projected = latest * (1 + got[1]) ** (target_year - t)
            extra["projected_value"] = projected
            extra["projected_meets"] = _projection_meets(comp, projected, target_eff, base, tolerance)
            line = _linear_at([(t0, base), *after], target_year)
            if line is not None:
                extra["projected_linear"] = line
                extra["projected_linear_meets"] = _projection_meets(comp, line, target_eff, base, tolerance)
        if target_year > t:
            goal, now = _nonzero(resolved), _nonzero(latest)
            if (goal > 0) == (now > 0):
                extra["needed_rate"] = _cagr(goal, now, target_year - t)
        else:
            notes.append(f"target year {target_year} reached")

    if isinstance(got, str):
        return Progress(
            ACHIEVED if achieved else NOT_ASSESSABLE, None, None, None,
            note="; ".join([*notes, got]), method="target", score=5.0 if achieved else None,
            **extra, **common,
        )  # fmt: skip

    # The method's rates (for '=', of the reflected series, which decreases toward the target).
    if comp == "=":
        rb, rl, rt = _nonzero(_reflect(base, resolved)), _reflect(latest, resolved), _nonzero(resolved)
        notes.append("rates of the reflected series target + |value - target| (lower is better)")
    else:
        rb, rl, rt = got[0], latest, target_eff
    sign = -1 if rb < 0 else 1
    cagr_o = _cagr(rl, rb, t - t0)
    if comp in _SELF_TARGET:
        cagr_r = 0.0
    elif (rt > 0) != (rb > 0):
        return Progress(
            ACHIEVED if achieved else NOT_ASSESSABLE, None, cagr_o, None,
            note="; ".join([*notes, "base and target have opposite signs"]), method="target",
            score=5.0 if achieved else None, **extra, **common,
        )  # fmt: skip
    else:
        cagr_r = _cagr(rt, rb, target_year - t0)
    if cagr_r == 0:
        # The base already stands on the target, so R is undefined: a move away from it is
        # deterioration, no move at all (a strict target such as "increasing") limited progress.
        ratio = None
        moved = sign * d * cagr_o
        status = ACHIEVED if achieved else (DETERIORATION if moved < 0 else LIMITED_PROGRESS)
        notes.append("required rate is 0 (the base value is the target)")
        score = 5.0 if achieved else (-5.0 if moved < 0 else -2.5)
    else:
        ratio = sign * d * cagr_o / abs(cagr_r)
        status = ACHIEVED if achieved else status_from_ratio(ratio)
        score = 5.0 if achieved else _interp(ratio, _RATIO_SCORE)
    return Progress(
        status, ratio, cagr_o, cagr_r, note="; ".join(notes), method="target", score=score,
        **extra, **common,
    )  # fmt: skip


# ---------------------------------------------------------------------------
# Rollup


def rollup(statuses: Iterable[tuple[Any, Any, str | Progress]]) -> list[dict[str, Any]]:
    """Counts of statuses per (category, scope).

    ``statuses`` yields ``(category, scope, status)`` where status is a status
    string or a :class:`Progress`. Returns one dict per (category, scope) in
    order of first appearance: ``category``, ``scope``, one count per status of
    :data:`STATUSES` (zeros included) and ``total``.
    """
    rows: dict[tuple[Any, Any], dict[str, Any]] = {}
    for category, scope, status in statuses:
        s = status.status if isinstance(status, Progress) else status
        if s not in STATUS_LABELS:
            raise ValueError(f"unknown status {s!r} for ({category!r}, {scope!r})")
        row = rows.get((category, scope))
        if row is None:
            row = {"category": category, "scope": scope, **dict.fromkeys(STATUSES, 0), "total": 0}
            rows[(category, scope)] = row
        row[s] += 1
        row["total"] += 1
    return list(rows.values())
