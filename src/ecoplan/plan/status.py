"""Where each target of a plan stands: status, projection, required rate, roll-ups.

For every row of the plan this module reads the indicator's yearly values
from ``indicator_values`` and judges them with the Open SDG / Statistics
Canada method of :func:`ecoplan.plan.progress.assess` (statuses achieved, on
track, acceleration needed, limited progress, deterioration; pass/fail targets
achieved or not; fewer than two values not assessable), with the projected
value in the target year (CAGR and straight-line trends) and the annual rate
needed from the latest year on.

How a target's series is chosen (documented choices)
-----------------------------------------------------
- Values of the target's indicator and scope (aliases resolved,
  ``rivers:seven`` is ``group:seven-rivers``). One origin is used for the
  whole series: ``computed`` for a computed indicator when there is any such
  value, else ``reported``; the other way round for a reported indicator
  (``prefer=`` changes it). Mixing origins in one trend would compare
  figures made in different ways.
- Base: the plan's baseline year. Its value is the series' own value of
  that year when there is one (``baseline_from="data"``, the default: the
  trend compares like with like, a figure computed from the stored data
  with figures computed the same way), else the figure the plan states
  (``baseline_plan`` column); ``baseline_from="plan"`` always uses the
  plan's figure when it states one. A target without a baseline takes the
  plan's baseline year (2020 for the bundled plan) and the series' value of
  that year, or of the first later year with a value (the method's rule for
  a missing base year). The note says when the two figures differ.
- ``all_meet`` (pass/fail): the value that means "every member meets it" is
  100 for a share (%), 1 for a yes/no (``bool``) indicator and the number of
  members for a count over a group (7 rivers for the seven rivers).
- A target whose figure is set outside the plan (flag ``assigned``, no value)
  is judged by the method's no-target trend until the figure is filled in.
- ``per_member`` targets (each member of a group must meet it) are judged per
  member; the row shows the worst member (the most severe status, its latest
  value) and achieved only when every member is; the note lists the members.
- ``steady`` targets (to hold every year): the note lists the years within
  the plan period that missed the target; the status is the method's.
- Context rows (role ``context``) are not judged (status ``context``); triggers
  (role ``trigger``) are conditions: ``triggered`` when the latest value
  breaks the threshold, ``not_triggered`` when it holds.

``status_table`` returns one row per target; ``rollup_table`` counts statuses
per category and scope; ``status_history`` gives the status as it stood at the
end of each year (used by the target warnings).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from . import progress
from .model import Plan, Target

__all__ = [
    "CONTEXT",
    "NOT_TRIGGERED",
    "SEVERITY",
    "STATUS_COLUMNS",
    "TRIGGERED",
    "ValueIndex",
    "all_meet_value",
    "assess_target",
    "labels",
    "load_values",
    "rollup_table",
    "status_frame",
    "status_history",
    "status_table",
    "target_series",
]

CONTEXT = "context"
TRIGGERED = "triggered"
NOT_TRIGGERED = "not_triggered"
EXTRA_LABELS = {
    CONTEXT: ("背景数据(不评价)", "Context figure (not judged)"),
    TRIGGERED: ("已触发", "Triggered"),
    NOT_TRIGGERED: ("未触发", "Not triggered"),
}
#: Statuses from the most severe to the best (for per-member rows and warnings).
SEVERITY = (
    progress.DETERIORATION,
    progress.NOT_ACHIEVED,
    progress.LIMITED_PROGRESS,
    progress.ACCELERATION_NEEDED,
    progress.ON_TRACK,
    progress.ACHIEVED,
)

STATUS_COLUMNS = [
    "id",
    "role",
    "category",
    "category_zh",
    "category_en",
    "name_zh",
    "name_en",
    "scope",
    "scope_type",
    "indicator",
    "indicator_zh",
    "unit",
    "kind",
    "origin",
    "baseline_value",
    "baseline_year",
    "baseline_plan",
    "latest_value",
    "latest_year",
    "comparator",
    "target_value",
    "target_resolved",
    "target_year",
    "flags",
    "status",
    "status_zh",
    "status_en",
    "ratio",
    "observed_rate",
    "required_rate",
    "needed_rate",
    "projected_value",
    "projected_meets",
    "projected_linear",
    "score",
    "n_values",
    "as_of",
    "method",
    "values",
    "note",
]

_COUNT_UNITS_PER_MEMBER = {"rivers", "sections", "lakes", "cities", "counties"}


def labels(status: str) -> tuple[str, str]:
    """(zh, en) label of a status, including ``context``, ``triggered`` and ``not_triggered``."""
    if status in progress.STATUS_LABELS:
        return progress.STATUS_LABELS[status]
    return EXTRA_LABELS[status]


# ---------------------------------------------------------------------------
# values


def load_values(source: Any) -> pd.DataFrame:
    """Every stored indicator value as a frame (``source``: a Store, an Ibis backend or a table)."""
    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, pa.Table):
        return source.to_pandas()
    backend = getattr(source, "ibis", source)
    t = backend.table("indicator_values")
    t = t.select("indicator", "scope", "year", "origin", "value", "unit", "method", "note")
    return backend.to_pyarrow(t).to_pandas()


def _scope_key(plan: Plan, scope: str) -> str:
    return plan.scopes.aliases.get(scope, scope)


class ValueIndex:
    """Indicator values grouped by (indicator, scope, origin): ``{year: value}`` and the last method."""

    def __init__(self, values: pd.DataFrame):
        self.groups: dict[tuple[str, str, str], tuple[dict[int, float], str | None]] = {}
        if values.empty:
            return
        v = values[values["value"].notna()].sort_values("year")
        for (ind, scope, origin), part in v.groupby(["indicator", "scope", "origin"], sort=False):
            series = {int(y): float(x) for y, x in zip(part["year"], part["value"], strict=True)}
            methods = [m for m in part["method"].tolist() if isinstance(m, str)]
            self.groups[(ind, scope, origin)] = (series, methods[-1] if methods else None)


def _index(values: pd.DataFrame | ValueIndex) -> ValueIndex:
    return values if isinstance(values, ValueIndex) else ValueIndex(values)


def target_series(
    values: pd.DataFrame | ValueIndex,
    indicator: str,
    scope: str,
    *,
    kind: str,
    prefer: Sequence[str] | None = None,
) -> tuple[dict[int, float], str | None, str | None]:
    """``({year: value}, origin, method)`` of one indicator and scope (see the module docstring)."""
    index = _index(values)
    order = (
        list(prefer)
        if prefer
        else (["computed", "reported"] if kind == "computed" else ["reported", "computed"])
    )
    for origin in order:
        hit = index.groups.get((indicator, scope, origin))
        if hit is not None and hit[0]:
            return dict(hit[0]), origin, hit[1]
    return {}, None, None


def all_meet_value(plan: Plan, target: Target) -> float | None:
    """The value meaning "every member meets it" for an ``all_meet`` target."""
    unit = target.unit
    if unit == "%":
        return 100.0
    if unit == "bool":
        return 1.0
    resolved = plan.resolve_scope(target.scope)
    if resolved.members and unit in _COUNT_UNITS_PER_MEMBER:
        return float(len(resolved.members))
    return None


def _holds(comparator: str, value: float, target: float | None, base: float | None) -> bool | None:
    """Whether ``value`` satisfies a comparator (None when it cannot be said)."""
    if comparator == "zero":
        return value == 0
    ref = base if comparator in ("not_decreasing", "not_increasing", "increasing", "decreasing") else target
    if ref is None:
        return None
    return {
        ">=": value >= ref,
        ">": value > ref,
        "<=": value <= ref,
        "<": value < ref,
        "=": value == ref,
        "reduce_by_pct": value <= ref,
        "increase_by_pct": value >= ref,
        "increase_by": value >= ref,
        "all_meet": value >= ref,
        "not_decreasing": value >= ref,
        "not_increasing": value <= ref,
        "increasing": value > ref,
        "decreasing": value < ref,
    }.get(comparator)


# ---------------------------------------------------------------------------
# one target


def _base(
    plan: Plan, target: Target, baseline_from: str, series: dict[int, float] | None = None
) -> tuple[int, float | None]:
    """(base year, base value or None to take the series' value) of a target."""
    b = target.baseline
    if b is None:
        return plan.baseline_year, None
    if baseline_from == "plan" or b.value is None:
        return b.year, b.value
    # "data": the series' own value of the base year; the plan's figure only when it has none
    if series and b.year in series:
        return b.year, None
    return b.year, b.value


def _assess_series(
    plan: Plan,
    target: Target,
    series: dict[int, float],
    *,
    as_of: int | None,
    baseline_from: str,
) -> tuple[progress.Progress, list[str]]:
    """Run the progress method on one series; returns the result and notes of this module."""
    notes: list[str] = []
    ind = plan.indicator(target.indicator)
    hib = ind.direction == "higher"
    comp = target.comparator
    if comp == "all_meet":
        meets_at = all_meet_value(plan, target)
        if meets_at is None:
            notes.append("no value means 'all members meet it' for this unit")
        return progress.assess(
            series, comparator="all_meet", target=meets_at, target_year=target.year, as_of=as_of
        ), notes
    base = _base(plan, target, baseline_from, series)
    stated = target.baseline.value if target.baseline else None
    if stated is not None and base[1] is None and base[0] in series and series[base[0]] != stated:
        notes.append(
            f"base {base[0]}: the series' {series[base[0]]:g} used; the plan states {stated:g} "
            "(like is compared with like; baseline_from='plan' uses the plan's figure)"
        )
    if series and base[0] > max(series) and base[1] is None:
        notes.append(f"no value from the base year {base[0]} on")
        base = (min(series), None)
    if target.value is None and comp in (">=", ">", "<=", "<", "="):
        notes.append("figure set outside the plan (assigned): trend without target until it is filled in")
        return progress.assess(
            series, comparator=None, higher_is_better=hib, baseline=base, as_of=as_of
        ), notes
    if target.value_high is not None:
        notes.append(f"range {target.value:g}-{target.value_high:g}: judged against its lower end")
    target_year = target.year
    if base[0] >= (target_year or 0):
        notes.append(f"base year {base[0]} not before the target year {target_year}")
        return progress.assess(
            series, comparator=None, higher_is_better=hib, baseline=None, as_of=as_of
        ), notes
    result = progress.assess(
        series,
        comparator=comp,
        target=target.value,
        target_year=target_year,
        baseline=base,
        as_of=as_of,
    )
    return result, notes


def _steady_note(
    plan: Plan, target: Target, series: dict[int, float], result: progress.Progress, as_of: int | None
) -> str | None:
    if "steady" not in target.flags or not series:
        return None
    start = plan.period.start
    last = min(as_of or 9999, target.year or 9999)
    misses = [
        y
        for y, v in sorted(series.items())
        if start <= y <= last
        and _holds(target.comparator or "", v, result.target, result.baseline_value) is False
    ]
    if misses:
        return "steady target missed in " + ", ".join(str(y) for y in misses)
    return None


def assess_target(
    plan: Plan,
    target: Target,
    values: pd.DataFrame | ValueIndex,
    *,
    as_of: int | None = None,
    baseline_from: str = "data",
    prefer: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One status row (:data:`STATUS_COLUMNS`) for ``target``."""
    if baseline_from not in ("data", "plan"):
        raise ValueError("baseline_from is 'plan' or 'data'")
    ind = plan.indicator(target.indicator)
    resolved = plan.resolve_scope(target.scope)
    category = plan.categories.get(target.category)
    row: dict[str, Any] = {
        "id": target.id,
        "role": target.role,
        "category": target.category,
        "category_zh": category.zh if category else None,
        "category_en": category.en if category else None,
        "name_zh": target.name.zh,
        "name_en": target.name.en,
        "scope": target.scope,
        "scope_type": resolved.type,
        "indicator": target.indicator,
        "indicator_zh": ind.name.zh,
        "unit": target.unit,
        "kind": target.kind,
        "comparator": target.comparator,
        "target_value": target.value,
        "target_year": target.year,
        "flags": ",".join(target.flags) or None,
        "as_of": as_of,
        "baseline_year": target.baseline.year if target.baseline else None,
        "baseline_value": target.baseline.value if target.baseline else None,
        "baseline_plan": target.baseline.value if target.baseline else None,
    }
    key = _scope_key(plan, target.scope)
    values = _index(values)
    notes: list[str] = []

    if target.per_member:
        return _per_member(
            plan, target, values, row, resolved, as_of=as_of, baseline_from=baseline_from, prefer=prefer
        )

    series, origin, method = target_series(values, target.indicator, key, kind=target.kind, prefer=prefer)
    if as_of is not None:
        series = {y: v for y, v in series.items() if y <= as_of}
    row.update(
        origin=origin, method=method, n_values=len(series), values=json.dumps(series) if series else None
    )

    if target.role == "context":
        latest = max(series) if series else None
        row.update(
            status=CONTEXT,
            latest_year=latest,
            latest_value=series.get(latest) if latest is not None else None,
            note="a figure the plan states as a fact; not judged",
        )
        return _labelled(row)

    if target.role == "trigger":
        return _trigger(plan, target, series, row)

    result, notes = _assess_series(plan, target, series, as_of=as_of, baseline_from=baseline_from)
    steady = _steady_note(plan, target, series, result, as_of)
    if steady:
        notes.append(steady)
    meets_at = all_meet_value(plan, target) if target.comparator == "all_meet" else None
    row.update(_progress_fields(result, series, meets_at))
    if not series:
        how = (
            "ingest it with `ecoplan ingest indicators`"
            if target.kind == "reported"
            else "compute it with `ecoplan assess`"
        )
        row["note"] = "; ".join([f"no value stored ({how})", *notes])
    else:
        row["note"] = "; ".join(n for n in [result.note, *notes] if n) or None
    return _labelled(row)


def _progress_fields(
    result: progress.Progress, series: dict[int, float] | None = None, meets_at: float | None = None
) -> dict[str, Any]:
    """The row fields of a progress result; a pass/fail row shows the stored value, not True/False."""
    latest = result.latest_value
    target = result.target
    if result.method == "pass_fail":
        if series and result.latest_year in series:
            latest = series[result.latest_year]
        target = meets_at
    if isinstance(latest, bool):
        latest = 1.0 if latest else 0.0
    return {
        "status": result.status,
        "latest_value": latest,
        "latest_year": result.latest_year,
        "baseline_year": result.baseline_year,
        "baseline_value": result.baseline_value,
        "target_resolved": target,
        "ratio": result.ratio,
        "observed_rate": result.observed_rate if result.observed_rate is not None else None,
        "required_rate": result.required_rate,
        "needed_rate": result.needed_rate,
        "projected_value": result.projected_value,
        "projected_meets": result.projected_meets,
        "projected_linear": result.projected_linear,
        "score": result.score,
    }


def _trigger(plan: Plan, target: Target, series: dict[int, float], row: dict[str, Any]) -> dict[str, Any]:
    if not series:
        row.update(status=progress.NOT_ASSESSABLE, note="no value stored: the trigger cannot be evaluated")
        return _labelled(row)
    year = max(series)
    value = series[year]
    holds = _holds(target.comparator or "", value, target.value, None)
    row.update(
        latest_year=year,
        latest_value=value,
        target_resolved=target.value,
        status=progress.NOT_ASSESSABLE if holds is None else (NOT_TRIGGERED if holds else TRIGGERED),
        note=f"condition {target.comparator} {target.value:g} {'holds' if holds else 'broken'} in {year}"
        if holds is not None and target.value is not None
        else None,
    )
    return _labelled(row)


def _per_member(plan, target, values, row, resolved, *, as_of, baseline_from, prefer) -> dict[str, Any]:
    kinds = {"city": "city", "lake": "lake", "river": "river"}
    prefix = kinds.get(resolved.member_type or "")
    if prefix is None or not resolved.members:
        why = (
            "the group lists no members"
            if not resolved.members
            else f"no scope for {resolved.member_type} members"
        )
        row.update(status=progress.NOT_ASSESSABLE, n_values=0, note=why)
        return _labelled(row)
    members = []
    for m in resolved.members:
        series, origin, method = target_series(
            values, target.indicator, f"{prefix}:{m}", kind=target.kind, prefer=prefer
        )
        if as_of is not None:
            series = {y: v for y, v in series.items() if y <= as_of}
        if target.role == "trigger":
            sub = _trigger(plan, target, series, {})
            members.append(
                (
                    m,
                    sub["status"],
                    sub.get("latest_value"),
                    sub.get("latest_year"),
                    origin,
                    method,
                    series,
                    None,
                )
            )
        else:
            result, _notes = _assess_series(plan, target, series, as_of=as_of, baseline_from=baseline_from)
            members.append(
                (
                    m,
                    result.status,
                    _progress_fields(result, series)["latest_value"],
                    result.latest_year,
                    origin,
                    method,
                    series,
                    result,
                )
            )
    statuses = [s for _, s, *_ in members]
    if target.role == "trigger":
        fired = [m for m, s, *_ in members if s == TRIGGERED]
        known = [s for s in statuses if s != progress.NOT_ASSESSABLE]
        status = TRIGGERED if fired else (NOT_TRIGGERED if known else progress.NOT_ASSESSABLE)
        worst = next((x for x in members if x[1] == TRIGGERED), None) or next(
            (x for x in members if x[1] != progress.NOT_ASSESSABLE), None
        )
    else:
        assessed = [s for s in statuses if s != progress.NOT_ASSESSABLE]
        if not assessed:
            status = progress.NOT_ASSESSABLE
        else:
            status = min(assessed, key=SEVERITY.index)
            if status == progress.ACHIEVED and len(assessed) < len(statuses):
                status = progress.NOT_ASSESSABLE
        ranked = sorted(
            (x for x in members if x[1] != progress.NOT_ASSESSABLE),
            key=lambda x: SEVERITY.index(x[1]) if x[1] in SEVERITY else 99,
        )
        worst = ranked[0] if ranked else None
    counts: dict[str, list[str]] = {}
    for m, s, *_ in members:
        counts.setdefault(s, []).append(m)
    parts = [f"{labels(s)[1].lower()}: {'、'.join(ms)}" for s, ms in counts.items()]
    row.update(
        status=status,
        n_values=sum(len(x[6]) for x in members),
        origin=",".join(sorted({x[4] for x in members if x[4]})) or None,
        method=next((x[5] for x in members if x[5]), None),
        values=json.dumps({x[0]: x[6] for x in members if x[6]}, ensure_ascii=False) or None,
        note=f"each of {len(members)} members judged: " + "; ".join(parts),
    )
    if worst is not None:
        row.update(latest_value=worst[2], latest_year=worst[3])
        row["note"] += f"; value shown: {worst[0]}"
        if worst[7] is not None:
            fields = _progress_fields(
                worst[7], worst[6], all_meet_value(plan, target) if target.comparator == "all_meet" else None
            )
            for k in (
                "target_resolved",
                "ratio",
                "observed_rate",
                "required_rate",
                "needed_rate",
                "projected_value",
                "projected_meets",
                "projected_linear",
            ):
                row[k] = fields[k]
    return _labelled(row)


def _labelled(row: dict[str, Any]) -> dict[str, Any]:
    zh, en = labels(row["status"])
    row["status_zh"], row["status_en"] = zh, en
    for col in STATUS_COLUMNS:
        row.setdefault(col, None)
    for k, v in list(row.items()):
        if isinstance(v, float) and math.isnan(v):
            row[k] = None
    return {c: row[c] for c in STATUS_COLUMNS}


# ---------------------------------------------------------------------------
# tables


def _select(plan: Plan, *, categories, scopes, roles, ids) -> list[Target]:
    out = []
    keys = [_scope_key(plan, s) for s in scopes or []]
    for t in plan.targets:
        if roles and t.role not in roles:
            continue
        if categories and t.category not in categories:
            continue
        if ids and t.id not in ids:
            continue
        if scopes:
            k = _scope_key(plan, t.scope)
            if not any(
                k == s or t.scope == s or (s.endswith(":") and k.startswith(s)) for s in [*scopes, *keys]
            ):
                continue
        out.append(t)
    return out


def status_frame(
    values: pd.DataFrame | ValueIndex,
    plan: Plan,
    *,
    year: int | None = None,
    categories: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    roles: Sequence[str] | None = ("target", "trigger"),
    ids: Sequence[str] | None = None,
    baseline_from: str = "data",
    prefer: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Status rows of the selected targets from a frame of indicator values."""
    index = _index(values)
    rows = [
        assess_target(plan, t, index, as_of=year, baseline_from=baseline_from, prefer=prefer)
        for t in _select(plan, categories=categories, scopes=scopes, roles=roles, ids=ids)
    ]
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


_ARROW_TYPES = {
    "baseline_value": pa.float64(),
    "baseline_year": pa.int32(),
    "baseline_plan": pa.float64(),
    "latest_value": pa.float64(),
    "latest_year": pa.int32(),
    "target_value": pa.float64(),
    "target_resolved": pa.float64(),
    "target_year": pa.int32(),
    "ratio": pa.float64(),
    "observed_rate": pa.float64(),
    "required_rate": pa.float64(),
    "needed_rate": pa.float64(),
    "projected_value": pa.float64(),
    "projected_meets": pa.bool_(),
    "projected_linear": pa.float64(),
    "score": pa.float64(),
    "n_values": pa.int32(),
    "as_of": pa.int32(),
}
STATUS_SCHEMA = pa.schema([(c, _ARROW_TYPES.get(c, pa.string())) for c in STATUS_COLUMNS])


def _to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    cols = {}
    for f in schema:
        vals = frame[f.name].tolist() if f.name in frame else [None] * len(frame)
        vals = [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in vals]
        if pa.types.is_integer(f.type):
            vals = [None if v is None else int(v) for v in vals]
        elif pa.types.is_floating(f.type):
            vals = [None if v is None else float(v) for v in vals]
        elif pa.types.is_boolean(f.type):
            vals = [None if v is None else bool(v) for v in vals]
        else:
            vals = [None if v is None else str(v) for v in vals]
        cols[f.name] = pa.array(vals, f.type)
    return pa.table(cols, schema=schema)


def status_table(
    source: Any,
    plan: Plan | None = None,
    *,
    year: int | None = None,
    category: Sequence[str] | str | None = None,
    scope: Sequence[str] | str | None = None,
    role: Sequence[str] | str | None = ("target", "trigger"),
    ids: Sequence[str] | None = None,
    baseline_from: str = "data",
    prefer: Sequence[str] | None = None,
) -> pa.Table:
    """One row per target (:data:`STATUS_COLUMNS`) as it stands at the end of ``year`` (default: latest data).

    ``source`` is a :class:`~ecoplan.store.Store`, an Ibis backend holding
    ``indicator_values``, or a frame/table of indicator values. ``scope``
    entries match a target's scope, its canonical form, or a type prefix
    such as ``basin:``.
    """
    if plan is None:
        from . import resolve_plan

        plan = resolve_plan(None)
    values = load_values(source)
    frame = status_frame(
        values,
        plan,
        year=year,
        categories=_listify(category),
        scopes=_listify(scope),
        roles=_listify(role),
        ids=ids,
        baseline_from=baseline_from,
        prefer=prefer,
    )
    return _to_arrow(frame, STATUS_SCHEMA)


def _listify(x: Sequence[str] | str | None) -> list[str] | None:
    if x is None:
        return None
    if isinstance(x, str):
        return [x]
    return list(x) or None


ROLLUP_STATUSES = (*progress.STATUSES,)


def rollup_table(status: pa.Table | pd.DataFrame, *, by: Sequence[str] = ("category", "scope")) -> pa.Table:
    """Counts of statuses per category and scope (``by=("category",)`` per category, ``()`` overall).

    Only targets proper are counted (triggers and context rows are not
    judged by the progress method). Columns: ``category``, ``scope`` (``*``
    when not grouped by it), one count per status of
    :data:`ecoplan.plan.progress.STATUSES` and ``total``.
    """
    frame = status.to_pandas() if isinstance(status, pa.Table) else status
    frame = frame[frame["role"] == "target"]
    by = tuple(by)
    rows = progress.rollup(
        (
            r["category"] if "category" in by else "*",
            r["scope"] if "scope" in by else "*",
            r["status"],
        )
        for _, r in frame.iterrows()
    )
    schema = pa.schema(
        [("category", pa.string()), ("scope", pa.string())]
        + [(s, pa.int64()) for s in ROLLUP_STATUSES]
        + [("total", pa.int64())]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def status_history(
    source: Any,
    plan: Plan,
    *,
    years: Iterable[int] | None = None,
    ids: Sequence[str] | None = None,
    baseline_from: str = "data",
) -> pa.Table:
    """The status of each target (role ``target``) as it stood at the end of each year.

    ``years`` default: every year from the plan's baseline year + 1 to the
    latest year with any value. A target appears for a year only when its
    series has a value in that year (a year without new data changes nothing).
    """
    values = load_values(source)
    if years is None:
        if values.empty:
            return _to_arrow(pd.DataFrame(columns=STATUS_COLUMNS), STATUS_SCHEMA)
        years = range(plan.baseline_year + 1, int(values["year"].max()) + 1)
    frames = []
    index = ValueIndex(values)
    for y in years:
        frame = status_frame(
            index, plan, year=int(y), roles=("target",), ids=ids, baseline_from=baseline_from
        )
        frame = frame[frame["latest_year"] == int(y)]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=STATUS_COLUMNS)
    return _to_arrow(out, STATUS_SCHEMA)
