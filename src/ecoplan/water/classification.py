"""GB 3838-2002 classes of samples, periods and sections (环办〔2011〕22号), as Ibis expressions.

Every limit comes from ``standards/gb3838_2002.toml`` and every rule of the
method from ``standards/water_assessment_2011.toml``; this module turns them
into a small limits table (:func:`limits_table`) joined to the data and into
CASE expressions. One definition runs on DuckDB and on Spark.

Rules, with their sources (certainty marks in the table files):

- Item class (GB 3838 Table 1): upper-bound items are in the first class
  whose limit they do not exceed, DO in the first class whose limit it
  reaches, pH 6-9 is class I and outside it 劣V; beyond the class V limit an
  item is 劣V (class 6). Limits are inclusive. Lake and reservoir sections
  use the lake TP limits [secondary].
- Section class: single factor, the worst of the method's 21 items
  (water temperature, TN and fecal coliform excluded) [secondary]. At lakes
  and reservoirs TN is classified separately: ``class`` is without TN,
  ``class_with_tn`` with it, ``tn_class`` TN alone.
- Periods (sample, month, season = calendar quarter, year): the arithmetic
  mean of each item over the period's samples, then classification
  [secondary]. pH is handled by the ``ph`` rule of the method file: ``mean``
  (default, a project choice: the method states no exception for pH, and
  one outlying reading does not decide a year) classifies the mean pH;
  ``worst`` classifies each sample's pH and takes the worst. Either way
  ``ph_out_of_range`` counts the samples outside 6-9.
- Below detection (环办监测函〔2020〕82号 [secondary]): half the detection
  limit enters the means; an item whose every value in the period is below
  detection is never put in a worse class than its detection limit itself
  would be [choice].
- Means are compared with the limits with a relative tolerance of 1e-9
  (the method file's ``relative_tolerance``) so that binary noise never
  moves a mean sitting on a limit [choice].
- Exceedance multiple of an item above the class III limit:
  (C - C_III) / C_III; not for water temperature, pH, DO [secondary].
- Main pollutants of a section worse than class III: up to three items
  worse than class III, cyanide and heavy metals first, then by worst
  class, ties by exceedance multiple [secondary].

Sections without a known kind are treated as rivers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from . import standard as sd

__all__ = [
    "PERIODS",
    "add_period",
    "class_label",
    "classify_items",
    "effective_samples",
    "item_class",
    "join_texts",
    "label_period",
    "level_label",
    "limits_table",
    "period_items",
    "section_classes",
    "water_body",
]

PERIODS = ("sample", "month", "season", "year")
N_CLASSES = 5


def _tolerance() -> float:
    return float(sd.method()["periods"]["relative_tolerance"])


def limits_table() -> ir.Table:
    """GB 3838 Table 1 as a table: one row per item and water body (river, lake).

    Columns: ``item, body, direction, l1..l5, lo, hi, number, assessed,
    lake_separate, priority, has_multiple``. ``assessed`` marks the method's
    21 items, ``lake_separate`` TN (classified apart at lakes), ``priority``
    cyanide and heavy metals (first among main pollutants), ``has_multiple``
    the items whose exceedance multiple is computed.
    """
    m = sd.method()
    assessed = set(m["items"]["assessed"])
    lake_sep = set(m["items"]["lake_separate"])
    prio = set(m["main_pollutants"]["priority_items"])
    no_mult = set(m["main_pollutants"]["no_multiple_items"])
    rows: dict[str, list] = {
        k: []
        for k in (
            "item",
            "body",
            "direction",
            *(f"l{i}" for i in range(1, N_CLASSES + 1)),
            "lo",
            "hi",
            "number",
            "assessed",
            "lake_separate",
            "priority",
            "has_multiple",
        )
    }
    for code, it in sd.gb3838_items().items():
        if it.direction == "none":
            continue
        for body in ("river", "lake"):
            lim = it.limits_for(body)
            rows["item"].append(code)
            rows["body"].append(body)
            rows["direction"].append(it.direction)
            for i in range(N_CLASSES):
                rows[f"l{i + 1}"].append(None if lim is None else lim[i])
            rows["lo"].append(it.range[0] if it.range else None)
            rows["hi"].append(it.range[1] if it.range else None)
            rows["number"].append(it.number)
            rows["assessed"].append(code in assessed)
            rows["lake_separate"].append(code in lake_sep)
            rows["priority"].append(code in prio)
            rows["has_multiple"].append(code not in no_mult and it.direction == "upper")
    schema = pa.schema(
        [
            ("item", pa.string()),
            ("body", pa.string()),
            ("direction", pa.string()),
            *[(f"l{i}", pa.float64()) for i in range(1, N_CLASSES + 1)],
            ("lo", pa.float64()),
            ("hi", pa.float64()),
            ("number", pa.int32()),
            ("assessed", pa.bool_()),
            ("lake_separate", pa.bool_()),
            ("priority", pa.bool_()),
            ("has_multiple", pa.bool_()),
        ]
    )
    return ibis.memtable(pa.table(rows, schema=schema))


def water_body(kind: ir.StringValue) -> ir.StringValue:
    """``lake`` for lake and reservoir sections, else ``river`` (unknown kinds too)."""
    return ibis.ifelse(kind.isin(list(sd.LAKE_KINDS)).fill_null(False), "lake", "river")


def item_class(value: ir.NumericValue, lim: ir.Table) -> ir.IntegerValue:
    """Class 1..6 of ``value`` against the limit columns of ``lim`` (a row of :func:`limits_table`).

    NULL for a NULL value. Upper items: 1 + the number of limits exceeded;
    DO: 1 + the number of limits not reached; pH: 1 inside [lo, hi], else 6.
    """
    tol = _tolerance()
    upper = sum(ibis.ifelse(value > lim[f"l{i}"] * (1 + tol), 1, 0) for i in range(1, N_CLASSES + 1))
    lower = sum(ibis.ifelse(value < lim[f"l{i}"] * (1 - tol), 1, 0) for i in range(1, N_CLASSES + 1))
    inside = (value >= lim.lo * (1 - tol)) & (value <= lim.hi * (1 + tol))
    return ibis.cases(
        (value.isnull(), ibis.null("int8")),
        (lim.direction == "upper", (upper + 1).cast("int8")),
        (lim.direction == "lower", (lower + 1).cast("int8")),
        (lim.direction == "range", ibis.ifelse(inside, 1, sd.WORST_CLASS).cast("int8")),
        else_=ibis.null("int8"),
    )


def class_label(cls: ir.IntegerValue) -> ir.StringValue:
    """ "I".."V", "劣V" for a class number 1..6."""
    return ibis.cases(
        *[(cls == i, ibis.literal(n)) for i, n in sd.class_names().items()], else_=ibis.null("string")
    )


def level_label(cls: ir.IntegerValue, lang: str = "zh") -> ir.StringValue:
    """The method's qualitative level (优 .. 重度污染) of a class number."""
    branches = []
    for lv in sd.levels():
        text = lv.label_zh if lang == "zh" else lv.label_en
        branches.append((cls.isin(list(lv.classes)), ibis.literal(text)))
    return ibis.cases(*branches, else_=ibis.null("string"))


# -- samples and periods ----------------------------------------------------------


def effective_samples(samples: ir.Table) -> ir.Table:
    """Samples with ``v``: the value, or the detection limit times the method's fraction when below it."""
    frac = float(sd.method()["below_detection"]["fraction"])
    below = samples.below_dl.fill_null(False)
    v = ibis.ifelse(below, samples.detection_limit * frac, samples.value)
    out = samples.mutate(v=v, below=below)
    return out.filter(out.v.notnull())


_TRUNCATE = {"month": "M", "season": "Q", "year": "Y"}


def add_period(t: ir.Table, period: str) -> ir.Table:
    """Add ``period_start``: the sample time, or the start of its month, quarter or year."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    if period == "sample":
        return t.mutate(period_start=t.time)
    return t.mutate(period_start=t.time.truncate(_TRUNCATE[period]))


def label_period(t: ir.Table, period: str) -> ir.Table:
    """Add ``year`` and ``period`` (text: ``2021-02-04 11:00``, ``2021-02``, ``2021-Q1``, ``2021``) from ``period_start``."""
    ps = t.period_start
    year = ps.year()
    if period == "sample":
        label = ps.strftime("%Y-%m-%d %H:%M")
    elif period == "month":
        label = ps.strftime("%Y-%m")
    elif period == "season":
        label = year.cast("string") + "-Q" + ps.quarter().cast("string")
    else:
        label = year.cast("string")
    return t.mutate(year=year, period=label)


def period_items(samples: ir.Table, sections: ir.Table, period: str = "year") -> ir.Table:
    """Per section, period and item: mean of the effective values and the facts behind it.

    Returns ``section, year, period, period_start, item, kind, body, mean,
    n, n_below_dl, max_dl`` (NULL unless every value was below detection)
    and ``ph_out_of_range`` (samples of pH outside its range).
    """
    s = add_period(effective_samples(samples), period)
    ph = sd.gb3838_items()["pH"].range
    out_of_range = (s.item == "pH") & ((s.v < ph[0]) | (s.v > ph[1]))
    agg = s.group_by(["section", "period_start", "item"]).aggregate(
        mean=s.v.mean(),
        n=s.v.count(),
        n_below_dl=s.below.cast("int32").sum(),
        max_dl=s.detection_limit.max(where=s.below),
        ph_out_of_range=out_of_range.cast("int32").sum(),
    )
    agg = agg.mutate(max_dl=ibis.ifelse(agg.n_below_dl == agg.n, agg.max_dl, ibis.null("float64")))
    agg = label_period(agg, period)
    sec = sections.select(code=sections.code, kind=sections.kind)
    j = agg.left_join(sec, agg.section == sec.code).drop("code")
    return j.mutate(body=water_body(j.kind))


def classify_items(pi: ir.Table, *, ph_rule: str | None = None) -> ir.Table:
    """Add the item class, limits and exceedance multiple to :func:`period_items` rows.

    Items without a GB 3838 class (chl-a, SD, conductivity ...) are kept with
    a NULL class. Adds ``cls`` (1..6), ``l3`` (the class III limit),
    ``multiple``, ``assessed``, ``lake_separate``, ``priority``, ``number``.
    """
    ph_rule = ph_rule or sd.method()["periods"]["ph"]
    if ph_rule not in sd.method()["periods"]["ph_alternatives"]:
        raise ValueError(f"ph rule must be one of {sd.method()['periods']['ph_alternatives']}")
    lim = limits_table()
    j = pi.left_join(lim, [pi.item == lim.item, pi.body == lim.body]).drop("item_right", "body_right")
    cls = item_class(j["mean"], j)
    if ph_rule == "worst":
        cls = ibis.ifelse(
            (j.item == "pH") & (j.ph_out_of_range > 0), ibis.literal(sd.WORST_CLASS, "int8"), cls
        )
    # every value below detection: never worse than the detection limit's own class
    dl_cls = item_class(j.max_dl, j)
    cls = ibis.ifelse(j.max_dl.notnull() & dl_cls.notnull() & (dl_cls < cls), dl_cls, cls)
    multiple = ibis.ifelse(
        j.has_multiple.fill_null(False) & (j["mean"] > j.l3 * (1 + _tolerance())),
        (j["mean"] - j.l3) / j.l3,
        ibis.null("float64"),
    )
    return j.mutate(
        cls=cls,
        multiple=multiple,
        assessed=j.assessed.fill_null(False),
        lake_separate=j.lake_separate.fill_null(False),
        priority=j.priority.fill_null(False),
    ).drop("l1", "l2", "l4", "l5", "lo", "hi", "direction", "has_multiple")


def join_texts(parts: list[ir.StringValue], sep: str = ", ") -> ir.StringValue:
    """The non-NULL ``parts`` joined in the given order; NULL when all are NULL.

    CONCAT_WS skips NULLs on DuckDB and Spark; ordered string aggregation is
    not portable (Spark has no ordered ``collect_list``), so callers pivot a
    bounded number of ranked values into ``parts``.
    """
    return ibis.literal(sep).join(parts).nullif("")


def ordered_items() -> list[str]:
    """The assessed items in the order of GB 3838 Table 1."""
    items = sd.gb3838_items()
    return sorted(sd.assessed_items(), key=lambda code: items[code].number)


def _fmt_multiple(x: ir.FloatingValue) -> ir.StringValue:
    return x.round(2).cast("string")


def section_classes(ci: ir.Table) -> ir.Table:
    """One row per section and period from :func:`classify_items` rows.

    Columns: ``section, year, period, period_start, kind, body, class_n``
    (1..6), ``class`` (I..V, 劣V), ``level_zh``, ``level_en``, ``deciding_items``
    (the assessed items at the section's class), ``main_pollutants`` (worse
    than III: up to three, with their exceedance multiples),
    ``class_with_tn_n``/``class_with_tn`` and ``tn_class`` (lakes and
    reservoirs), ``n_items`` (assessed items measured), ``n_samples`` (the
    most values of any assessed item), ``ph_out_of_range``.
    """
    keys = ["section", "year", "period", "period_start"]
    over = sd.method()["main_pollutants"]["over_class"]
    k = int(sd.method()["main_pollutants"]["count"])
    c = ci.filter(ci.cls.notnull())
    w = ibis.window(group_by=keys)
    ac = ibis.ifelse(c.assessed, c.cls, ibis.null("int8"))
    c = c.mutate(sec_cls=ac.max().over(w))
    order = [
        ibis.desc(c.priority.cast("int8")),
        ibis.desc(c.cls),
        ibis.desc(c.multiple.fill_null(-1.0)),
        c.number,
    ]
    is_pollutant = c.assessed & (c.cls > over)
    rank_w = ibis.window(group_by=[*keys, is_pollutant], order_by=order)
    c = c.mutate(prank=ibis.row_number().over(rank_w), is_pollutant=is_pollutant)
    label = ibis.ifelse(c.multiple.notnull(), c.item + "(" + _fmt_multiple(c.multiple) + ")", c.item)
    lake = c.body == "lake"
    agg = c.group_by(keys).aggregate(
        kind=c.kind.max(),
        body=c.body.max(),
        class_n=c.sec_cls.max(),
        class_with_tn_n=ibis.ifelse(lake & (c.assessed | c.lake_separate), c.cls, ibis.null("int8")).max(),
        tn_class_n=ibis.ifelse(lake & c.lake_separate, c.cls, ibis.null("int8")).max(),
        deciding_items=join_texts(
            [
                c.item.max(where=(c.item == code) & c.assessed & (c.cls == c.sec_cls))
                for code in ordered_items()
            ]
        ),
        main_pollutants=join_texts([label.max(where=c.is_pollutant & (c.prank == i)) for i in range(k)]),
        n_items=c.assessed.cast("int32").sum(),
        n_samples=ibis.ifelse(c.assessed, c.n, 0).max(),
        ph_out_of_range=c.ph_out_of_range.sum(),
    )
    return agg.mutate(
        **{"class": class_label(agg.class_n)},
        level_zh=level_label(agg.class_n, "zh"),
        level_en=level_label(agg.class_n, "en"),
        class_with_tn=class_label(agg.class_with_tn_n),
        tn_class=class_label(agg.tn_class_n),
    )


def item_results(ci: ir.Table) -> ir.Table:
    """Per section, period and item: mean, class, exceedance multiple (long form, for reports)."""
    return ci.mutate(item_class=class_label(ci.cls)).select(
        "section",
        "year",
        "period",
        "period_start",
        "item",
        "body",
        "mean",
        "n",
        "n_below_dl",
        "cls",
        "item_class",
        "multiple",
        "assessed",
    )


def year_bounds(year: int | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) of a calendar year (None, None without one)."""
    if year is None:
        return None, None
    return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)


def filter_years(samples: ir.Table, years: Sequence[int] | None) -> ir.Table:
    """Samples of the given calendar years (all when None)."""
    if not years:
        return samples
    return samples.filter(samples.time.year().isin(list(years)))
