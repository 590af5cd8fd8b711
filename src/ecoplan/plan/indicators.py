"""Computed indicator values of a plan: from the assessments to ``indicator_values``.

Every value a target is judged by lives in one store table,
``indicator_values`` (key: indicator, scope, year, origin), with where it
came from: ``origin = "computed"`` rows are made here from the monitoring
data, with ``method`` naming the assessment and the standard editions, and
``note`` saying how the value of a group of places was formed;
``origin = "reported"`` rows are read from yearly statistics files
(:mod:`ecoplan.readers.indicators`).

What is computed (scopes are those the plan knows, see
:meth:`ecoplan.plan.model.Plan.resolve_scope`)
------------------------------------------------------------------------------

Air (HJ 663 annual statistics of each city, :func:`ecoplan.air.queries.period`)
    ``air.pm25_mean``, ``air.pm10_mean``, ``air.so2_mean``, ``air.no2_mean``
    (annual means), ``air.co_p95``, ``air.o3_8h_p90``, ``air.good_day_ratio``
    (good days over valid AQI days, in %), ``air.heavy_days`` (days with AQI
    above 200) and ``air.heavy_day_ratio`` (%), per ``city:<name>``, for the
    province and for every group of cities (``group:jjj-4`` ...).

    *A city's value* is its HJ 663 statistic, valid when GB 3095's annual
    completeness holds (at least 324 daily values and every month complete;
    for the day counts: at least 324 days with an AQI).

    *The province's and a group's value* is the arithmetic mean of the
    member cities' annual values, the way provincial bulletins state
    "全省11个设区市平均" figures [choice, following the bulletins' practice;
    HJ 663 itself defines statistics for a city and its stations only]. The
    alternative, the mean of the cities' daily values turned into one annual
    statistic, is not used: it would give a different percentile and
    good-day ratio from those the bulletins publish. A group value is only
    given when every member city has a valid annual value (otherwise it is
    listed among the gaps). Means are rounded half to even (GB/T 8170) to
    the city values' precision (ug/m3 integers, CO mg/m3 one decimal) and
    shares and day counts to one decimal.

    A group target such as "京津冀及周边区域4市细颗粒物浓度下降20%" is judged on
    the group's value per year, so its 2020 baseline is the mean of the four
    cities' 2020 annual values.

Water (GB 3838-2002 annual class of each section, :func:`ecoplan.water.queries.classify`)
    ``water.class_i_iii_count`` / ``_share``, ``water.class_i_iv_share``,
    ``water.worse_than_v_count`` / ``_share`` per ``basin:<name>`` (sections
    whose ``basin``, with a trailing 流域 dropped, is the basin, or whose
    ``river`` is the basin's main river), per ``river:<name>``, per group of
    sections (``group:<id>`` with member type ``section``: members are section
    codes or names) and for the province over the national-control sections
    (``control_level = "national"``; the plan's "国考断面"). Shares are in %
    of the sections with a class that year, rounded to one decimal.

Lakes (the sections of kind lake or reservoir whose water body, ``river``, or
else ``name``, is the lake)
    ``water.lake_class``: the class (1..5 = I..V, 6 = 劣V) of the lake's item
    means over its sections, single-factor, TN excluded (环办〔2011〕22号:
    a water body of fewer than five sections is classed on the mean of its
    sections; the same is done for larger lakes [choice]).
    ``water.lake_tli``: TLI(Σ) of the lake (:func:`ecoplan.water.queries.trophic`).

Eco-flow (:func:`ecoplan.flow.queries.compliance`, gauges linked to rivers by ``gauges.river``)
    ``ecoflow.compliance_rate`` per ``river:<name>``: the share of observed
    days meeting the seasonal threshold, in %, at the river's worst gauge.
    ``ecoflow.rivers_meeting`` per group of rivers (``group:seven-rivers``):
    how many member rivers meet the rule that year; a river meets it when
    each of its gauges does: by default the plan's literal seasonal reading
    (``river_rule="volume"``: each season's mean flow reaches its threshold,
    :mod:`ecoplan.flow.ecoflow`), or with ``river_rule="daily"`` a daily
    compliance of at least ``min_daily_rate``. Given only when every member
    river has a gauge assessed that year.

Years whose data are incomplete (an invalid annual statistic, an eco-flow year
flagged for gaps) are left out unless ``complete_only=False``, when they are
kept with a note saying so.

Re-computing replaces the stored values (the store keeps replaced ones in
``indicator_values_history``) and retires computed values the data no longer
support (copied to the history too), so the table always shows what the
current data say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from ..standards import aqi_edition_for, assessment_rules, available_editions, load, validity_rules
from .model import Plan

__all__ = [
    "AIR_ITEMS",
    "COMPUTED_INDICATORS",
    "VALUE_SCHEMA",
    "Computation",
    "air_indicators",
    "compute_indicators",
    "flow_indicators",
    "indicator_values",
    "lake_indicators",
    "scope_key",
    "water_indicators",
    "write_indicators",
]

VALUE_SCHEMA = pa.schema(
    [
        ("indicator", pa.string()),
        ("scope", pa.string()),
        ("year", pa.int32()),
        ("origin", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("method", pa.string()),
        ("note", pa.string()),
    ]
)

# indicator -> (column of the annual statistics, completeness test, decimals of a group mean)
# completeness: "item:<col>" the HJ 663 validity of that item; "days" the count of AQI days.
AIR_ITEMS: dict[str, tuple[str, str, int | None]] = {
    "air.pm25_mean": ("pm2_5_mean", "item:pm2_5", None),
    "air.pm10_mean": ("pm10_mean", "item:pm10", None),
    "air.so2_mean": ("so2_mean", "item:so2", None),
    "air.no2_mean": ("no2_mean", "item:no2", None),
    "air.co_p95": ("co_p95", "item:co", None),
    "air.o3_8h_p90": ("o3_8h_p90", "item:o3_8h", None),
    "air.good_day_ratio": ("good_ratio", "days", 1),
    "air.heavy_days": ("heavy_days", "days", 1),
    "air.heavy_day_ratio": ("heavy_ratio", "days", 1),
}
WATER_ITEMS = (
    "water.class_i_iii_count",
    "water.class_i_iii_share",
    "water.class_i_iv_share",
    "water.worse_than_v_count",
    "water.worse_than_v_share",
)
LAKE_ITEMS = ("water.lake_class", "water.lake_tli")
FLOW_ITEMS = ("ecoflow.compliance_rate", "ecoflow.rivers_meeting")
#: Every indicator this module computes.
COMPUTED_INDICATORS = (*AIR_ITEMS, *WATER_ITEMS, *LAKE_ITEMS, *FLOW_ITEMS)
SHARE_DECIMALS = 1  # shares in % and group day counts [choice]
RIVER_RULES = ("volume", "daily")


@dataclass
class Computation:
    """Computed indicator rows (:data:`VALUE_SCHEMA`) and what could not be computed."""

    values: pa.Table
    gaps: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return self.values.to_pandas()


def scope_key(plan: Plan, scope: str) -> str:
    """The canonical form of a scope string (aliases such as ``rivers:seven`` resolved)."""
    plan.resolve_scope(scope)  # KeyError for a scope the plan does not know
    return plan.scopes.aliases.get(scope, scope)


# ---------------------------------------------------------------------------
# method texts


def _meta(name: str) -> dict[str, Any]:
    return load(name)["meta"]


def _edition_text(name: str) -> str:
    m = _meta(name)
    return f"{m['standard']}-{m['edition']}"


def _gb3095_for(year: int) -> str:
    chosen = available_editions("gb3095")[0]
    for ed in available_editions("gb3095"):
        start = _meta(f"gb3095_{ed}").get("effective_from")
        if start is None or dt.date(year, 12, 31) >= start:
            chosen = ed
    return f"GB 3095-{chosen}"


def air_method(indicator: str, year: int) -> str:
    """What an air value is: the HJ 663 statistic and the editions in force in ``year``."""
    col = AIR_ITEMS[indicator][0]
    hj663 = _edition_text("hj663_2013")
    hj633 = f"HJ 633-{aqi_edition_for(dt.date(year, 12, 31))}"
    what = {
        "good_ratio": f"{hj663} good-day ratio (daily AQI <= 100 over valid days; daily AQI by {hj633})",
        "heavy_days": f"{hj663} heavy-pollution days (daily AQI > 200; {hj633})",
        "heavy_ratio": f"{hj663} share of heavy-pollution days (daily AQI > 200; {hj633})",
    }.get(col, f"{hj663} annual statistic {col} of daily values")
    return f"{what}; {_gb3095_for(year)} validity"


def water_method() -> str:
    return f"annual section class, {_edition_text('gb3838_2002')} single factor; {_edition_text('water_assessment_2011')}"


def lake_method(indicator: str) -> str:
    if indicator == "water.lake_tli":
        return f"TLI(Σ) of the lake's annual item means; {_edition_text('tli_2001')}"
    return f"class of the lake's annual item means over its sections, TN apart; {water_method()}"


def flow_method(indicator: str, river_rule: str, min_daily_rate: float) -> str:
    m = load_flow_meta()
    base = f"eco-flow rule {m.get('rule', 'ecoflow')} {m.get('edition', '')} ({m.get('method', '')})".strip()
    if indicator == "ecoflow.compliance_rate":
        return f"share of observed days at or above the seasonal threshold, worst gauge of the river; {base}"
    how = (
        "each season's mean flow reaches its threshold at every gauge"
        if river_rule == "volume"
        else f"daily compliance >= {min_daily_rate * 100:g} % at every gauge"
    )
    return f"rivers meeting the rule ({how}); {base}"


def load_flow_meta() -> dict[str, Any]:
    from ..flow import ecoflow

    return ecoflow.defaults()["meta"]


def _round_half_even(x: ir.NumericValue, decimals: int) -> ir.FloatingValue:
    from ..air.statistics import round_half_even

    return round_half_even(x, decimals)


# ---------------------------------------------------------------------------
# helpers


def _years_between(lo: Any, hi: Any) -> list[int]:
    if lo is None or hi is None:
        return []
    return list(range(int(lo), int(hi) + 1))


def _has_rows(backend, table: str) -> bool:
    try:
        t = backend.table(table)
    except Exception:  # a backend without that table (Spark exchange layouts)
        return False
    return bool(backend.to_pyarrow(t.limit(1)).num_rows)


def _membership(rows: Iterable[tuple[str, str]]) -> ir.Table:
    rows = list(rows)
    return ibis.memtable(
        pa.table(
            {"scope": [r[0] for r in rows], "member": [r[1] for r in rows]},
            schema=pa.schema([("scope", pa.string()), ("member", pa.string())]),
        )
    )


def _city_groups(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Scopes made of cities: the province (every city of the plan) and the city groups."""
    out = {"province": tuple(plan.scopes.cities)}
    for g in plan.groups:
        if g.member_type == "city" and g.members:
            out[f"group:{g.id}"] = tuple(g.members)
    return out


def _empty() -> pa.Table:
    return VALUE_SCHEMA.empty_table()


def _finish(frame: pd.DataFrame) -> pa.Table:
    if frame.empty:
        return _empty()
    frame = frame.copy()
    frame["origin"] = "computed"
    frame["year"] = frame["year"].astype("int32")
    frame["value"] = frame["value"].astype(float)
    for col in ("unit", "method", "note"):
        if col not in frame:
            frame[col] = None
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame = frame[[f.name for f in VALUE_SCHEMA]]
    return pa.Table.from_pandas(frame, schema=VALUE_SCHEMA, preserve_index=False)


def _units(plan: Plan, frame: pd.DataFrame) -> pd.Series:
    vocab = plan.vocabulary
    return frame["indicator"].map(lambda i: vocab[i].unit if i in vocab else None)


# ---------------------------------------------------------------------------
# air


def air_city_statistics(backend, years: Sequence[int], cities: Sequence[str]) -> ir.Table:
    """HJ 663 annual statistics of the plan's cities (:func:`ecoplan.air.queries.period`)."""
    from ..air import queries as air_queries

    return air_queries.period(backend, year=list(years), by="city", cities=list(cities))


def air_city_values(stats: ir.Table, *, complete_only: bool = True) -> ir.Table:
    """Long city values ``indicator, city, year, value, complete, n_days`` from annual statistics.

    ``stats`` has the columns of :func:`ecoplan.air.statistics.period_statistics`
    with ``city`` (one row per city and year).
    """
    min_days = int(validity_rules()["annual_min_days"])
    parts = []
    for indicator, (col, test, _dec) in AIR_ITEMS.items():
        if col == "good_ratio":
            value = _round_half_even(stats.good_ratio * 100.0, SHARE_DECIMALS)
        elif col == "heavy_ratio":
            value = ibis.ifelse(
                stats.days_aqi > 0,
                _round_half_even(stats.heavy_days.cast("float64") * 100.0 / stats.days_aqi, SHARE_DECIMALS),
                ibis.null("float64"),
            )
        else:
            value = stats[col].cast("float64")
        if test == "days":
            complete = stats.days_aqi >= min_days
            n_days = stats.days_aqi
        else:
            item = test.split(":", 1)[1]
            complete = stats[f"valid_{item}"].fill_null(False)
            n_days = stats[f"n_{item}"]
        parts.append(
            stats.select(
                indicator=ibis.literal(indicator),
                city=stats.city,
                year=stats.period.year().cast("int32"),
                value=value,
                complete=complete,
                n_days=n_days.cast("int64"),
            )
        )
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    out = out.filter(out.value.notnull())
    if complete_only:
        out = out.filter(out.complete)
    return out


def _group_means(city_values: ir.Table, members: ir.Table) -> ir.Table:
    j = city_values.inner_join(members, city_values.city == members.member)
    return j.group_by(["scope", "indicator", "year"]).aggregate(
        raw=j.value.mean(),
        n=j.city.nunique(),
        n_incomplete=(~j.complete).cast("int32").sum(),
        present=j.city.group_concat(",", order_by=j.city),
    )


def air_indicators(
    backend,
    plan: Plan,
    *,
    years: Sequence[int] | None = None,
    complete_only: bool = True,
    stats: ir.Table | None = None,
) -> Computation:
    """Air indicator values of the plan's cities, the province and the city groups.

    ``stats`` replaces the annual statistics read from the store (a table
    with the columns of :func:`ecoplan.air.statistics.period_statistics` and
    ``city``), e.g. statistics computed elsewhere.
    """
    cities = list(plan.scopes.cities)
    if stats is None:
        if years is None:
            years = _air_years(backend)
        if not years:
            return Computation(_empty(), ["air: no observations in the store"], ["air"])
        stats = air_city_statistics(backend, years, cities)
    # a few rows per city and year: computed once here, then read by every indicator below
    # (an expression would be recomputed by each of the unions that follow)
    stats = ibis.memtable(backend.to_pyarrow(stats))
    cv = air_city_values(stats, complete_only=complete_only)
    if years is not None:
        cv = cv.filter(cv.year.isin([int(y) for y in years]))
    cv = cv.filter(cv.city.isin(cities))
    # the city values are computed once; the group means run on that small table
    city_table = backend.to_pyarrow(cv)
    city_rows = city_table.to_pandas()
    groups = _city_groups(plan)
    members = _membership((s, m) for s, ms in groups.items() for m in ms)
    gm = backend.to_pyarrow(_group_means(ibis.memtable(city_table), members)).to_pandas()

    frames = []
    if not city_rows.empty:
        c = city_rows.copy()
        c["scope"] = "city:" + c["city"]
        c["note"] = c.apply(
            lambda r: (
                None
                if r["complete"]
                else f"incomplete year: {int(r['n_days'])} valid days (HJ 663 annual validity not met)"
            ),
            axis=1,
        )
        frames.append(c[["indicator", "scope", "year", "value", "note"]])
    gaps: list[str] = []
    if not gm.empty:
        gm["n_members"] = gm["scope"].map(lambda s: len(groups[s]))
        full = gm["n"] == gm["n_members"]
        for _, r in gm[~full].iterrows():
            missing = sorted(set(groups[r["scope"]]) - set(str(r["present"]).split(",")))
            gaps.append(
                f"{r['indicator']} {r['scope']} {int(r['year'])}: no valid annual value for "
                f"{'、'.join(missing)} ({int(r['n'])} of {int(r['n_members'])} cities)"
            )
        g = gm[full].copy()
        if not g.empty:
            g["value"] = [
                _round_value(v, _air_decimals(plan, ind))
                for v, ind in zip(g["raw"], g["indicator"], strict=True)
            ]
            g["note"] = [
                _group_note(scope, groups[scope], inc)
                for scope, inc in zip(g["scope"], g["n_incomplete"], strict=True)
            ]
            frames.append(g[["indicator", "scope", "year", "value", "note"]])
    if not frames:
        return Computation(_empty(), gaps, ["air"])
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = _units(plan, out)
    out["method"] = [air_method(i, int(y)) for i, y in zip(out["indicator"], out["year"], strict=True)]
    return Computation(_finish(out), gaps, ["air"])


def _air_years(backend) -> list[int]:
    from ..air import queries as air_queries

    obs = air_queries.station_hours(backend)
    row = backend.to_pyarrow(obs.aggregate(lo=obs.time.min(), hi=obs.time.max())).to_pylist()[0]
    if row["lo"] is None:
        return []
    # labels mark the end of the hour: 00:00 of January 1 belongs to the year before
    lo = (row["lo"] - dt.timedelta(hours=1)).year
    hi = (row["hi"] - dt.timedelta(hours=1)).year
    return _years_between(lo, hi)


def _air_decimals(plan: Plan, indicator: str) -> int:
    dec = AIR_ITEMS[indicator][2]
    if dec is not None:
        return dec
    unit = plan.vocabulary[indicator].unit
    return int(assessment_rules()["rounding"]["decimals"][unit])


def _round_value(x: float, decimals: int) -> float:
    """Round half to even at ``decimals`` (GB/T 8170), halves recognised within 1e-9 as the engine does."""
    import math

    scale = 10.0**decimals
    y = x * scale
    f = math.floor(y)
    d = y - f
    if d > 0.5 + 1e-9 or (d >= 0.5 - 1e-9 and f % 2 == 1):
        f += 1
    return f / scale


def _group_note(scope: str, members: Sequence[str], n_incomplete: int) -> str:
    what = "province" if scope == "province" else scope
    note = f"{what}: mean of the annual values of {len(members)} cities ({'、'.join(members)})"
    if n_incomplete:
        note += f"; {int(n_incomplete)} of them incomplete"
    return note


# ---------------------------------------------------------------------------
# water


def _basin_name(col: ir.StringValue) -> ir.StringValue:
    """A basin name without a trailing 流域."""
    return col.strip().re_replace("流域$", "")


def section_scopes(sections: ir.Table, plan: Plan, *, province_control: Sequence[str] | None) -> ir.Table:
    """``section, scope``: the plan scopes each stored section belongs to (see the module docstring)."""
    basins = list(plan.scopes.basins)
    rivers = list(plan.scopes.rivers)
    parts = []
    if basins:
        b = sections.mutate(_b=_basin_name(sections.basin.fill_null("")))
        by_basin = b.filter(b._b.isin(basins)).select(section=b.code, scope="basin:" + b._b)
        by_main = sections.filter(sections.river.isin(basins)).select(
            section=sections.code, scope="basin:" + sections.river
        )
        parts += [by_basin, by_main]
    if rivers:
        r = sections.filter(sections.river.isin(rivers))
        parts.append(r.select(section=r.code, scope="river:" + r.river))
    p = sections
    if province_control:
        p = p.filter(p.control_level.isin(list(province_control)))
    parts.append(p.select(section=p.code, scope=ibis.literal("province")))
    section_groups = [
        (f"group:{g.id}", m) for g in plan.groups if g.member_type == "section" for m in g.members
    ]
    if section_groups:
        mem = _membership(section_groups)
        j = sections.inner_join(mem, (sections.code == mem.member) | (sections.name == mem.member))
        parts.append(j.select(section=j.code, scope=j.scope))
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out.distinct()


def water_indicators(
    backend,
    plan: Plan,
    *,
    years: Sequence[int] | None = None,
    province_control: Sequence[str] | None = ("national",),
    classes: ir.Table | None = None,
) -> Computation:
    """Section counts and shares per basin, river, section group and the province.

    ``classes`` replaces the annual section classes read from the store (a
    table with ``section, year, class_n``).
    """
    from ..water import queries as water_queries

    if classes is None:
        classes = water_queries.classify(backend, years=list(years) if years else None)
    c = classes.filter(classes.class_n.notnull())
    if years:
        c = c.filter(c.year.isin([int(y) for y in years]))
    scopes = section_scopes(backend.table("sections"), plan, province_control=province_control)
    j = c.select("section", "year", "class_n").inner_join(scopes, "section")
    agg = j.group_by(["scope", "year"]).aggregate(
        n=j.section.nunique(),
        good=(j.class_n <= 3).cast("int64").sum(),
        fair=(j.class_n <= 4).cast("int64").sum(),
        worst=(j.class_n >= 6).cast("int64").sum(),
    )
    frame = backend.to_pyarrow(agg).to_pandas()
    gaps = []
    if province_control and not (frame["scope"] == "province").any():
        gaps.append(
            "water province: no section with control level "
            f"{'/'.join(province_control)} has a class (the plan's figures are over national sections)"
        )
    for g in plan.groups:
        if g.member_type == "section" and not g.members:
            gaps.append(f"water group:{g.id}: the group lists no sections ({g.note.strip()})")
    if frame.empty:
        return Computation(_empty(), gaps, ["water"])
    rows = []
    for ind, col, share in (
        ("water.class_i_iii_count", "good", False),
        ("water.class_i_iii_share", "good", True),
        ("water.class_i_iv_share", "fair", True),
        ("water.worse_than_v_count", "worst", False),
        ("water.worse_than_v_share", "worst", True),
    ):
        part = frame[["scope", "year", "n", col]].copy()
        part["indicator"] = ind
        if share:
            part["value"] = [
                _round_value(100.0 * k / n, SHARE_DECIMALS) for k, n in zip(part[col], part["n"], strict=True)
            ]
        else:
            part["value"] = part[col].astype(float)
        part["note"] = [
            f"{int(k)} of {int(n)} sections with a class" for k, n in zip(part[col], part["n"], strict=True)
        ]
        rows.append(part[["indicator", "scope", "year", "value", "note"]])
    out = pd.concat(rows, ignore_index=True)
    prov = out["scope"] == "province"
    if province_control:
        out.loc[prov, "note"] = out.loc[prov, "note"] + f" (control level {'/'.join(province_control)})"
    out["unit"] = _units(plan, out)
    out["method"] = water_method()
    return Computation(_finish(out), gaps, ["water"])


def lake_indicators(backend, plan: Plan, *, years: Sequence[int] | None = None) -> Computation:
    """Class and TLI of the plan's lakes (see the module docstring)."""
    from ..water import classification as wc
    from ..water import queries as water_queries

    lakes = list(plan.scopes.lakes)
    if not lakes:
        return Computation(_empty(), [], ["lakes"])
    secs = backend.table("sections")
    samples = backend.table("water_samples")
    if years:
        lo, hi = dt.datetime(min(years), 1, 1), dt.datetime(max(years) + 1, 1, 1)
        samples = samples.filter((samples.time >= lo) & (samples.time < hi))
    pi = wc.period_items(samples, secs, "year")
    pi = pi.filter(pi.body == "lake")
    names = secs.select(code=secs.code, lake=ibis.coalesce(secs.river, secs.name, secs.code))
    names = names.filter(names.lake.isin(lakes))
    j = pi.inner_join(names, pi.section == names.code)
    keys = ["lake", "year", "period", "period_start"]
    means = j.group_by([*keys, "item"]).aggregate(
        mean=j["mean"].mean(),
        n=j["n"].sum(),
        n_below_dl=j.n_below_dl.sum(),
        ph_out_of_range=j.ph_out_of_range.sum(),
        n_sections=j.section.nunique(),
    )
    means = means.mutate(
        section=means.lake,
        kind=ibis.literal("lake"),
        body=ibis.literal("lake"),
        max_dl=ibis.null("float64"),
    )
    sc = wc.section_classes(wc.classify_items(means))
    sizes = j.group_by(["lake", "year"]).aggregate(n_sections=j.section.nunique())
    cls = sc.select(lake=sc.section, year=sc.year, value=sc.class_n.cast("float64"))
    cls = cls.inner_join(sizes, ["lake", "year"])
    frame = backend.to_pyarrow(cls).to_pandas()
    frames = []
    if not frame.empty:
        frame["indicator"] = "water.lake_class"
        frame["note"] = [f"item means of {int(n)} section(s)" for n in frame["n_sections"]]
        frames.append(frame)
    tli = water_queries.trophic(backend, by="lake", year=None)
    tli = tli.filter(tli.lake.isin(lakes))
    if years:
        tli = tli.filter(tli.year.isin([int(y) for y in years]))
    tframe = backend.to_pyarrow(tli.select("lake", "year", value=tli.tli, note=tli.weights_note)).to_pandas()
    if not tframe.empty:
        tframe["indicator"] = "water.lake_tli"
        tframe["value"] = [_round_value(v, 1) for v in tframe["value"]]
        frames.append(tframe)
    if not frames:
        return Computation(_empty(), [], ["lakes"])
    out = pd.concat(frames, ignore_index=True)
    out["scope"] = "lake:" + out["lake"]
    out["unit"] = _units(plan, out)
    out["method"] = out["indicator"].map(lake_method)
    return Computation(_finish(out), [], ["lakes"])


# ---------------------------------------------------------------------------
# eco-flow


def flow_indicators(
    backend,
    plan: Plan,
    *,
    years: Sequence[int] | None = None,
    complete_only: bool = True,
    river_rule: str = "volume",
    min_daily_rate: float = 1.0,
    rule=None,
    compliance: ir.Table | None = None,
) -> Computation:
    """Eco-flow compliance per river and the number of rivers meeting the rule per river group."""
    from ..flow import queries as flow_queries

    if river_rule not in RIVER_RULES:
        raise ValueError(f"river_rule must be one of {', '.join(RIVER_RULES)}")
    rivers = list(plan.scopes.rivers)
    if compliance is None:
        compliance = flow_queries.compliance(backend, year=list(years) if years else None, rule=rule)
    t = compliance.filter((compliance.period == "year") & compliance.river.isin(rivers))
    if years:
        t = t.filter(t.year.isin([int(y) for y in years]))
    t = t.select("gauge", "river", "year", "compliance_rate", "gap_flag", "volume_compliant", "observed_days")
    frame = backend.to_pyarrow(t).to_pandas()
    gaps: list[str] = []
    if frame.empty:
        return Computation(_empty(), ["eco-flow: no gauge linked to a river of the plan has flows"], ["flow"])
    frame = frame[frame["compliance_rate"].notna()]
    if complete_only:
        flagged = frame[frame["gap_flag"]]
        for _, r in flagged.iterrows():
            gaps.append(f"eco-flow gauge {r['gauge']} ({r['river']}) {int(r['year'])}: too many missing days")
        frame = frame[~frame["gap_flag"]]
    if river_rule == "volume":
        frame = frame.assign(meets=frame["volume_compliant"])
    else:
        frame = frame.assign(meets=frame["compliance_rate"] >= min_daily_rate)
    rows = []
    for (river, year), g in frame.groupby(["river", "year"], sort=True):
        worst = g.loc[g["compliance_rate"].idxmin()]
        gauges = "、".join(sorted(g["gauge"].astype(str)))
        note = f"{len(g)} gauge(s): {gauges}; worst {worst['gauge']}"
        if g["gap_flag"].any():
            note += "; incomplete year (gaps)"
        rows.append(
            {
                "indicator": "ecoflow.compliance_rate",
                "scope": f"river:{river}",
                "year": int(year),
                "value": _round_value(100.0 * float(worst["compliance_rate"]), SHARE_DECIMALS),
                "note": note,
                "meets": None if g["meets"].isna().any() else bool(g["meets"].all()),
            }
        )
    per_river = pd.DataFrame(rows)
    out_rows = list(rows)
    for g in plan.groups:
        if g.member_type != "river" or not g.members:
            continue
        for year in sorted(per_river["year"].unique()) if not per_river.empty else []:
            sel = per_river[
                (per_river["year"] == year) & per_river["scope"].isin([f"river:{m}" for m in g.members])
            ]
            known = {
                s.split(":", 1)[1]: m
                for s, m in zip(sel["scope"], sel["meets"], strict=True)
                if m is not None
            }
            missing = [m for m in g.members if m not in known]
            if missing:
                gaps.append(
                    f"ecoflow.rivers_meeting group:{g.id} {int(year)}: no assessed gauge on {'、'.join(missing)}"
                )
                continue
            failing = [m for m in g.members if not known[m]]
            out_rows.append(
                {
                    "indicator": "ecoflow.rivers_meeting",
                    "scope": f"group:{g.id}",
                    "year": int(year),
                    "value": float(len(g.members) - len(failing)),
                    "note": f"{len(g.members) - len(failing)} of {len(g.members)} rivers meet the rule"
                    + (f"; not: {'、'.join(failing)}" if failing else ""),
                }
            )
    out = pd.DataFrame(out_rows).drop(columns=["meets"], errors="ignore")
    out["unit"] = _units(plan, out)
    out["method"] = out["indicator"].map(lambda i: flow_method(i, river_rule, min_daily_rate))
    return Computation(_finish(out), gaps, ["flow"])


# ---------------------------------------------------------------------------
# all together


def compute_indicators(
    backend,
    plan: Plan,
    *,
    years: Sequence[int] | None = None,
    domains: Sequence[str] = ("air", "water", "lakes", "flow"),
    complete_only: bool = True,
    province_control: Sequence[str] | None = ("national",),
    river_rule: str = "volume",
    min_daily_rate: float = 1.0,
) -> Computation:
    """Every computed indicator the data allow, for the scopes of ``plan``.

    A domain whose tables are empty is skipped (and said so in ``gaps``).
    Returns the rows (:data:`VALUE_SCHEMA`, ``origin = "computed"``) and the
    gaps: group values that could not be formed, and why.
    """
    values: list[pa.Table] = []
    gaps: list[str] = []
    done: list[str] = []
    yrs = [int(y) for y in years] if years else None
    for domain in domains:
        if domain == "air":
            if not _has_rows(backend, "observations"):
                gaps.append("air: no observations in the store")
                continue
            comp = air_indicators(backend, plan, years=yrs, complete_only=complete_only)
        elif domain in ("water", "lakes"):
            if not _has_rows(backend, "water_samples"):
                gaps.append(f"{domain}: no water samples in the store")
                continue
            if domain == "water":
                comp = water_indicators(backend, plan, years=yrs, province_control=province_control)
            else:
                comp = lake_indicators(backend, plan, years=yrs)
        elif domain == "flow":
            if not _has_rows(backend, "flows"):
                gaps.append("flow: no discharge in the store")
                continue
            comp = flow_indicators(
                backend,
                plan,
                years=yrs,
                complete_only=complete_only,
                river_rule=river_rule,
                min_daily_rate=min_daily_rate,
            )
        else:
            raise ValueError(f"unknown domain {domain!r}; use air, water, lakes, flow")
        values.append(comp.values)
        gaps.extend(comp.gaps)
        done.append(domain)
    table = pa.concat_tables(values) if values else _empty()
    return Computation(table, gaps, done)


def write_indicators(
    store,
    plan: Plan,
    *,
    years: Sequence[int] | None = None,
    computation: Computation | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Compute (unless ``computation`` is given) and store the computed indicator values.

    One transaction: the values are upserted into ``indicator_values``
    (replaced ones kept in its history); computed values of the same
    indicators and years that the data no longer give are retired to the
    history; an ``ingest_log`` entry (domain ``plan``, reader
    ``indicators.compute``) records the run. Returns counts and the gaps.
    """
    from ..store import now

    comp = computation or compute_indicators(store.ibis, plan, years=years, **options)
    rows = comp.values
    started = now()
    with store.transaction():
        iid = store.next_ingest_ids(1)[0]
        source = f"computed from the store ({', '.join(comp.domains) or 'nothing'}; plan {plan.id})"
        counts = store.upsert("indicator_values", rows, ingest_id=iid, source=source)
        total = counts.get(0)
        retired = _retire_stale(store, rows, comp.domains, years, iid)
        store.log_ingest(
            iid,
            domain="plan",
            reader="indicators.compute",
            file=source,
            checksum=None,
            size_bytes=0,
            rows_read=rows.num_rows,
            values_read=rows.num_rows,
            rows_stored=total.stored if total else 0,
            rows_replaced=total.replaced if total else 0,
            rows_unchanged=total.unchanged if total else 0,
            rows_rejected=0,
            started_at=started,
            finished_at=now(),
            status="ok",
            message="; ".join(comp.gaps)[:4000] or None,
        )
    return {
        "ingest_id": iid,
        "values": rows.num_rows,
        "stored": total.stored if total else 0,
        "replaced": total.replaced if total else 0,
        "unchanged": total.unchanged if total else 0,
        "retired": retired,
        "gaps": comp.gaps,
        "domains": comp.domains,
    }


_DOMAIN_INDICATORS = {
    "air": tuple(AIR_ITEMS),
    "water": WATER_ITEMS,
    "lakes": LAKE_ITEMS,
    "flow": FLOW_ITEMS,
}


def _retire_stale(
    store, rows: pa.Table, domains: Sequence[str], years: Sequence[int] | None, iid: int
) -> int:
    """Move computed values of the computed domains that ``rows`` no longer holds to the history."""
    from ..store import now

    indicators = [i for d in domains for i in _DOMAIN_INDICATORS.get(d, ())]
    if not indicators:
        return 0
    keep = rows.select(["indicator", "scope", "year"])
    con = store.con
    con.register("_keep_iv", keep)
    try:
        cond = "origin = 'computed' AND indicator IN (SELECT unnest(?))"
        params: list[Any] = [indicators]
        if years:
            cond += " AND year IN (SELECT unnest(?))"
            params.append([int(y) for y in years])
        stale = (
            f"SELECT v.* FROM indicator_values v WHERE {cond} AND NOT EXISTS ("
            "SELECT 1 FROM _keep_iv k WHERE k.indicator = v.indicator AND k.scope = v.scope AND k.year = v.year)"
        )
        n = con.execute(f"SELECT count(*) FROM ({stale})", params).fetchone()[0]
        if n:
            con.execute(
                f"INSERT INTO indicator_values_history BY NAME SELECT s.*, ? AS replaced_by, ? AS replaced_at "
                f"FROM ({stale}) s",
                [iid, now(), *params],
            )
            con.execute(
                f"DELETE FROM indicator_values v WHERE {cond} AND NOT EXISTS ("
                "SELECT 1 FROM _keep_iv k WHERE k.indicator = v.indicator AND k.scope = v.scope AND k.year = v.year)",
                params,
            )
    finally:
        con.unregister("_keep_iv")
    return int(n)


# ---------------------------------------------------------------------------
# reading


def indicator_values(
    backend,
    *,
    plan: Plan | None = None,
    indicators: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    origins: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
) -> pa.Table:
    """Stored indicator values, filtered; scopes given as aliases are resolved with ``plan``."""
    t = backend.table("indicator_values")
    if indicators:
        t = t.filter(t.indicator.isin(list(indicators)))
    if scopes:
        keys = [scope_key(plan, s) if plan is not None else s for s in scopes]
        t = t.filter(t.scope.isin(keys))
    if origins:
        t = t.filter(t.origin.isin(list(origins)))
    if years:
        t = t.filter(t.year.isin([int(y) for y in years]))
    t = t.order_by(["indicator", "scope", "year", "origin"])
    return backend.to_pyarrow(t)
