"""Water assessments over a store: the tables the CLI, the API and the reports show.

Each function takes an Ibis backend holding ``sections``, ``water_samples``
and ``water_published`` (the DuckDB store, or Spark over the exchange
layout) and returns an Ibis expression; :func:`execute` runs it. Filters are
Ibis expressions, never SQL text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from . import attainment as wa
from . import classification as wc
from . import trophic as wt

__all__ = [
    "attainment",
    "change",
    "classify",
    "execute",
    "items",
    "published_agreement",
    "section_table",
    "trend",
    "trophic",
]

META = ["name", "river", "basin", "city", "province", "kind", "control_level"]
BY = tuple(wa.GROUPS)


def section_table(
    backend,
    *,
    sections: Sequence[str] | None = None,
    basins: Sequence[str] | None = None,
    rivers: Sequence[str] | None = None,
    cities: Sequence[str] | None = None,
    provinces: Sequence[str] | None = None,
    control: Sequence[str] | None = None,
) -> tuple[ir.Table, bool]:
    """The ``sections`` table filtered by the given lists, and whether any filter applied."""
    t = backend.table("sections")
    filtered = False
    for col, values in (
        ("code", sections),
        ("basin", basins),
        ("river", rivers),
        ("city", cities),
        ("province", provinces),
        ("control_level", control),
    ):
        if values:
            t = t.filter(t[col].isin(list(values)))
            filtered = True
    return t, filtered


def _samples(
    backend,
    secs: ir.Table,
    filtered: bool,
    *,
    years: Sequence[int] | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sample_kind: str | None = None,
    codes: Sequence[str] | None = None,
) -> ir.Table:
    s = backend.table("water_samples")
    if years:
        lo, hi = dt.datetime(min(years), 1, 1), dt.datetime(max(years) + 1, 1, 1)
        s = s.filter((s.time >= lo) & (s.time < hi))
        if len(set(years)) < max(years) - min(years) + 1:
            s = s.filter(s.time.year().isin(list(years)))
    if start is not None:
        s = s.filter(s.time >= dt.datetime.combine(start, dt.time()))
    if end is not None:
        s = s.filter(s.time < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    if sample_kind:
        s = s.filter(s.sample_kind == sample_kind)
    if codes:
        s = s.filter(s.section.isin(list(codes)))
    elif filtered:
        s = s.filter(s.section.isin(secs.code))
    return s


def _pipeline(
    backend,
    *,
    period: str,
    years: Sequence[int] | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sample_kind: str | None = None,
    ph_rule: str | None = None,
    **filters,
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """(classified items, section results, sections) for the filters."""
    secs, filtered = section_table(backend, **filters)
    s = _samples(backend, secs, filtered, years=years, start=start, end=end, sample_kind=sample_kind)
    pi = wc.period_items(s, backend.table("sections"), period)
    ci = wc.classify_items(pi, ph_rule=ph_rule)
    sc = wc.section_classes(ci)
    return ci, sc, backend.table("sections")


def _with_meta(t: ir.Table, sections: ir.Table, key: str = "section") -> ir.Table:
    """Add the section metadata columns ``t`` does not have yet."""
    meta = sections.select("code", *[c for c in META if c not in t.columns])
    return t.left_join(meta, t[key] == meta.code).drop("code")


def classify(
    backend,
    *,
    period: str = "year",
    year: int | None = None,
    years: Sequence[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    sample_kind: str | None = None,
    ph_rule: str | None = None,
    sections: Sequence[str] | None = None,
    basins: Sequence[str] | None = None,
    rivers: Sequence[str] | None = None,
    cities: Sequence[str] | None = None,
    provinces: Sequence[str] | None = None,
    control: Sequence[str] | None = None,
) -> ir.Table:
    """One row per section and period: class (text and 1..6), deciding items, main pollutants.

    With ``period="sample"`` the published class of the same sample time is
    joined (``published_class``, ``published_status``, ``matches_published``).
    """
    yrs = list(years or ([year] if year is not None else []))
    _ci, sc, secs = _pipeline(
        backend,
        period=period,
        years=yrs,
        start=start,
        end=end,
        sample_kind=sample_kind,
        ph_rule=ph_rule,
        sections=sections,
        basins=basins,
        rivers=rivers,
        cities=cities,
        provinces=provinces,
        control=control,
    )
    t = _with_meta(sc, secs)
    if period == "sample":
        pub = backend.table("water_published")
        pub = pub.select(
            p_section=pub.section, p_time=pub.time, published_class=pub["class"], published_status=pub.status
        )
        t = t.left_join(pub, (t.section == pub.p_section) & (t.period_start == pub.p_time)).drop(
            "p_section", "p_time"
        )
        t = t.mutate(
            matches_published=ibis.ifelse(
                t.published_class.isnull(), ibis.null("boolean"), t.published_class == t["class"]
            )
        )
    else:
        t = t.mutate(
            published_class=ibis.null("string"),
            published_status=ibis.null("string"),
            matches_published=ibis.null("boolean"),
        )
    cols = [
        "section",
        "name",
        "river",
        "basin",
        "city",
        "province",
        "kind",
        "control_level",
        "year",
        "period",
        "period_start",
        "class",
        "class_n",
        "level_zh",
        "level_en",
        "deciding_items",
        "main_pollutants",
        "class_with_tn",
        "tn_class",
        "n_items",
        "n_samples",
        "ph_out_of_range",
        "published_class",
        "published_status",
        "matches_published",
    ]
    return t.select(*cols).order_by(["section", "period_start"])


def items(
    backend,
    *,
    period: str = "year",
    year: int | None = None,
    sample_kind: str | None = None,
    ph_rule: str | None = None,
    **filters,
) -> ir.Table:
    """Per section, period and item: mean, class, exceedance multiple against class III."""
    ci, _sc, secs = _pipeline(
        backend,
        period=period,
        years=[year] if year is not None else None,
        sample_kind=sample_kind,
        ph_rule=ph_rule,
        **filters,
    )
    t = _with_meta(wc.item_results(ci), secs)
    return t.order_by(["section", "period_start", "item"])


def attainment(
    backend,
    *,
    by: str = "basin",
    period: str = "year",
    year: int | None = None,
    years: Sequence[int] | None = None,
    heavy_max_good_share: float | None = None,
    sample_kind: str | None = None,
    ph_rule: str | None = None,
    **filters,
) -> ir.Table:
    """Class shares, the method's level label and main pollutants of each group and period."""
    yrs = list(years or ([year] if year is not None else []))
    ci, sc, secs = _pipeline(
        backend, period=period, years=yrs, sample_kind=sample_kind, ph_rule=ph_rule, **filters
    )
    t = wa.group_attainment(sc, ci, secs, by=by, heavy_max_good_share=heavy_max_good_share)
    return t.order_by(["group", "period_start"])


def change(
    backend,
    *,
    by: str = "basin",
    from_year: int,
    to_year: int,
    comparable: bool = True,
    heavy_max_good_share: float | None = None,
    sample_kind: str | None = None,
    **filters,
) -> ir.Table:
    """Change of each group's water quality between two years (the method's rules)."""
    ci, sc, secs = _pipeline(
        backend, period="year", years=[from_year, to_year], sample_kind=sample_kind, **filters
    )
    a, b = str(from_year), str(to_year)
    if comparable:
        sc = wa.comparable(sc, [a, b])
        ci = ci.filter(ci.section.isin(sc.section))
    if by == "section":
        att = _section_levels(sc)
    else:
        att = wa.group_attainment(sc, ci, secs, by=by, heavy_max_good_share=heavy_max_good_share)
    out = wa.group_change(att, a, b)
    return out.mutate(from_year=from_year, to_year=to_year).order_by("group")


def _section_levels(sc: ir.Table) -> ir.Table:
    """Section results shaped like group rows (one section per group) for the level rule."""
    good = (sc.class_n <= 3).cast("float64") * 100.0
    worst = (sc.class_n == 6).cast("float64") * 100.0
    return sc.select(
        group="section",
        period="period",
        n_sections=ibis.literal(1),
        share_I_III=good,
        share_worse_than_V=worst,
        level=wa._level_of_class(sc.class_n),
        level_zh="level_zh",
    )


def trend(
    backend,
    *,
    by: str = "basin",
    from_year: int,
    to_year: int,
    alpha: float | None = None,
    heavy_max_good_share: float | None = None,
    sample_kind: str | None = None,
    **filters,
) -> ir.Table:
    """Spearman trend over the years ``from_year..to_year``.

    ``by`` a group column: trend of the group's I-III and 劣V shares.
    ``by="section"``: trend of each section's yearly item means.
    """
    years = list(range(from_year, to_year + 1))
    ci, sc, secs = _pipeline(backend, period="year", years=years, sample_kind=sample_kind, **filters)
    if by == "section":
        t = wa.item_trend(ci, len(years), alpha)
        return _with_meta(t, secs).order_by(["section", "item"])
    att = wa.group_attainment(sc, ci, secs, by=by, heavy_max_good_share=heavy_max_good_share)
    return wa.group_trend(att, len(years), alpha).order_by("group")


def trophic(
    backend,
    *,
    period: str = "year",
    year: int | None = None,
    by: str = "section",
    sample_kind: str | None = None,
    **filters,
) -> ir.Table:
    """TLI(Σ) and trophic class of lake and reservoir sections (``by="section"``) or whole lakes (``by="lake"``).

    A lake is the ``river`` (water body) of its sections; its item means are
    the means over its sections.
    """
    secs, filtered = section_table(backend, **filters)
    s = _samples(backend, secs, filtered, years=[year] if year is not None else None, sample_kind=sample_kind)
    pi = wc.period_items(s, backend.table("sections"), period)
    pi = pi.filter(pi.body == "lake")
    all_secs = backend.table("sections")
    keys = ["year", "period", "period_start"]
    if by == "section":
        t = wt.trophic_level_index(pi, ["section", *keys])
        return _with_meta(t, all_secs).order_by(["section", "period_start"])
    if by != "lake":
        raise ValueError("by must be section or lake")
    names = all_secs.select(code="code", lake=ibis.coalesce(all_secs.river, all_secs.name, all_secs.code))
    j = pi.inner_join(names, pi.section == names.code)
    means = j.group_by(["lake", *keys, "item"]).aggregate(
        mean=j["mean"].mean(), n_sections=j.section.nunique()
    )
    t = wt.trophic_level_index(means, ["lake", *keys])
    return t.order_by(["lake", "period_start"])


def published_agreement(backend, **filters) -> ir.Table:
    """Sample rows that carry a published class, with the computed class beside it."""
    t = classify(backend, period="sample", **filters)
    return t.filter(t.published_class.notnull())


def execute(backend, expr: ir.Table) -> pa.Table:
    """Run an expression on its backend and return Arrow."""
    return backend.to_pyarrow(expr)
