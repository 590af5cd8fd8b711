"""Groups of sections (环办〔2011〕22号): class shares, qualitative label, main pollutants, change, trend.

Inputs are the Ibis tables of :mod:`ecoplan.water.classification`: section
results (:func:`~ecoplan.water.classification.section_classes`), classified
item means (:func:`~ecoplan.water.classification.classify_items`) and the
``sections`` table. Rules and thresholds come from
``standards/water_assessment_2011.toml``:

- A group (river, basin, city, province, control level, or all sections)
  with at least 5 sections is labelled by the shares of its sections' classes:
  优 I-III >= 90%; 良好 75% <= I-III < 90%; 轻度污染 I-III < 75% and 劣V < 20%;
  中度污染 I-III < 75% and 20% <= 劣V < 40%; 重度污染 I-III < H and 劣V >= 40%
  with H = 60 by default or 75 (``heavy_max_good_share``; the two secondary
  readings, a documented choice). Shares are compared as integers
  (count x 100 against threshold x sections), so 90% exactly is 优.
- With fewer sections: the mean of each item over the sections, then the
  single-factor class of the means and its level; lake TP limits only when
  every section is a lake or reservoir [choice].
- Main pollutants of a group: with 5 or more sections, the (up to) three
  items with the highest section over-standard rate (share of sections
  where the item is worse than class III), ties by mean exceedance multiple;
  with fewer, those of the item means, as for a section.
- Change between two periods: with at least 5 sections in both, dG - dD
  of the I-III and 劣V shares (percentage points), |dG - dD| <= 10 no marked
  change, <= 20 some change, > 20 marked change; otherwise the change of the
  qualitative level (one level: some change; two or more: marked). Only
  sections assessed in both periods count (comparable sections) unless
  asked otherwise.
- Trend: Spearman rank correlation (average ranks for ties) of a yearly
  series against the year, compared with the one-sided critical value of
  the method's table for the number of years (at least 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from . import classification as wc
from . import standard as sd

__all__ = ["GROUPS", "group_attainment", "group_change", "group_trend", "item_trend", "spearman"]

# --by value -> sections column (None: every section in one group "all")
GROUPS = {
    "basin": "basin",
    "river": "river",
    "city": "city",
    "province": "province",
    "control": "control_level",
    "all": None,
}
PERIOD_KEYS = ["year", "period", "period_start"]


def _group_column(sections: ir.Table, by: str) -> ir.Table:
    if by not in GROUPS:
        raise ValueError(f"by must be one of {', '.join(GROUPS)}")
    col = GROUPS[by]
    grp = sections[col] if col else ibis.literal("all")
    return sections.select(code=sections.code, grp=grp.cast("string"))


def _level_from_number(level: ir.IntegerValue, lang: str) -> ir.StringValue:
    return ibis.cases(
        *[
            (level == lv.level, ibis.literal(lv.label_zh if lang == "zh" else lv.label_en))
            for lv in sd.levels()
        ],
        else_=ibis.null("string"),
    )


def _level_of_class(cls: ir.IntegerValue) -> ir.IntegerValue:
    return ibis.cases(
        *[(cls.isin(list(lv.classes)), ibis.literal(lv.level, "int8")) for lv in sd.levels()],
        else_=ibis.null("int8"),
    )


def _share_level(n, n_good, n_worst, heavy: float) -> ir.IntegerValue:
    """Level number 1..5 by the shares of I-III (``n_good``) and 劣V (``n_worst``) among ``n`` sections."""
    g = sd.method()["group"]
    levels = sorted(sd.levels(), key=lambda lv: lv.level)
    good100, worst100 = n_good * 100, n_worst * 100
    return ibis.cases(
        ((good100 < heavy * n) & (worst100 >= g["moderate_max_worst_share"] * n), levels[4].level),
        (
            (good100 < g["good_min_good_share"] * n) & (worst100 >= g["light_max_worst_share"] * n),
            levels[3].level,
        ),
        (good100 < g["good_min_good_share"] * n, levels[2].level),
        (good100 < g["excellent_min_good_share"] * n, levels[1].level),
        else_=levels[0].level,
    ).cast("int8")


def group_attainment(
    sc: ir.Table,
    ci: ir.Table,
    sections: ir.Table,
    *,
    by: str = "basin",
    heavy_max_good_share: float | None = None,
) -> ir.Table:
    """Class counts and shares, level label and main pollutants of each group and period.

    Columns: ``by`` value as ``group``, ``year, period, period_start,
    n_sections, n_I, n_II, n_III, n_IV, n_V, n_worse_than_V, n_I_III``,
    ``share_I_III, share_IV, share_V, share_worse_than_V`` (%), ``method``
    (``shares`` or ``item means``), ``mean_class`` (groups under 5 sections),
    ``level`` (1..5), ``level_zh``, ``level_en``, ``main_pollutants``.
    """
    g = sd.method()["group"]
    heavy = float(heavy_max_good_share if heavy_max_good_share is not None else g["heavy_max_good_share"])
    if heavy not in [float(x) for x in g["heavy_max_good_share_alternatives"]]:
        raise ValueError(f"heavy_max_good_share must be one of {g['heavy_max_good_share_alternatives']}")
    min_n = int(g["min_sections"])
    over = int(sd.method()["main_pollutants"]["over_class"])
    k = int(sd.method()["main_pollutants"]["count"])
    names = sd.class_names()

    grp = _group_column(sections, by)
    s = sc.filter(sc.class_n.notnull())
    s = s.left_join(grp, s.section == grp.code).drop("code")
    keys = ["grp", *PERIOD_KEYS]
    counts = {f"n_{names[i]}": (s.class_n == i).cast("int32").sum() for i in range(1, 6)}
    counts["n_worse_than_V"] = (s.class_n == sd.WORST_CLASS).cast("int32").sum()
    agg = s.group_by(keys).aggregate(
        n_sections=s.section.nunique(),
        n_rivers=(s.body != "lake").cast("int32").sum(),
        **counts,
    )
    agg = agg.mutate(n_I_III=agg[f"n_{names[1]}"] + agg[f"n_{names[2]}"] + agg[f"n_{names[3]}"])
    pct = {
        "share_I_III": agg.n_I_III,
        "share_IV": agg[f"n_{names[4]}"],
        "share_V": agg[f"n_{names[5]}"],
        "share_worse_than_V": agg.n_worse_than_V,
    }
    agg = agg.mutate(**{k_: (100.0 * v / agg.n_sections) for k_, v in pct.items()})
    agg = agg.mutate(share_level=_share_level(agg.n_sections, agg.n_I_III, agg.n_worse_than_V, heavy))

    # groups with fewer sections: classify the mean of each item over the sections
    c = ci.filter(ci.cls.notnull())
    c = c.inner_join(s.select("section", *PERIOD_KEYS, "grp"), ["section", *PERIOD_KEYS])
    means = c.group_by([*keys, "item"]).aggregate(
        mean=c["mean"].mean(),
        n=c.section.nunique(),
        n_below_dl=c.n_below_dl.sum(),
        ph_out_of_range=c.ph_out_of_range.sum(),
    )
    bodies = agg.select(*keys, body=ibis.ifelse(agg.n_rivers == 0, "lake", "river"))
    means = means.inner_join(bodies, keys)
    means = means.mutate(section=means.grp, kind=ibis.null("string"), max_dl=ibis.null("float64")).drop("grp")
    mc = wc.section_classes(wc.classify_items(means)).select(
        grp="section",
        year="year",
        period="period",
        period_start="period_start",
        mean_class_n="class_n",
        mean_pollutants="main_pollutants",
    )

    # groups with 5 or more: items by section over-standard rate
    bad = c.filter(c.assessed & (c.cls > over))
    rate = bad.group_by([*keys, "item", "number"]).aggregate(
        n_over=bad.section.nunique(), mean_multiple=bad.multiple.mean()
    )
    rate = rate.inner_join(agg.select(*keys, "n_sections"), keys)
    rate = rate.mutate(rate=100.0 * rate.n_over / rate.n_sections)
    w = ibis.window(
        group_by=keys,
        order_by=[ibis.desc(rate.rate), ibis.desc(rate.mean_multiple.fill_null(-1.0)), rate.number],
    )
    rate = rate.mutate(r=ibis.row_number().over(w))
    label = rate.item + "(" + rate.rate.round(1).cast("string") + "%)"
    top = rate.group_by(keys).aggregate(
        rate_pollutants=wc.join_texts([label.max(where=rate.r == i) for i in range(k)])
    )

    out = agg.left_join(mc, keys).drop(*(f"{x}_right" for x in keys))
    out = out.left_join(top, keys).drop(*(f"{x}_right" for x in keys))
    few = out.n_sections < min_n
    level = ibis.ifelse(few, _level_of_class(out.mean_class_n), out.share_level).cast("int8")
    out = out.mutate(
        method=ibis.ifelse(few, "item means", "shares"),
        mean_class=ibis.ifelse(few, wc.class_label(out.mean_class_n), ibis.null("string")),
        level=level,
        level_zh=_level_from_number(level, "zh"),
        level_en=_level_from_number(level, "en"),
        main_pollutants=ibis.ifelse(few, out.mean_pollutants, out.rate_pollutants),
    )
    cols = [
        "grp",
        *PERIOD_KEYS,
        "n_sections",
        *(f"n_{names[i]}" for i in range(1, 6)),
        "n_worse_than_V",
        "n_I_III",
        "share_I_III",
        "share_IV",
        "share_V",
        "share_worse_than_V",
        "method",
        "mean_class",
        "level",
        "level_zh",
        "level_en",
        "main_pollutants",
    ]
    return out.select(*cols).rename(group="grp")


# -- change between two periods -------------------------------------------------------


def comparable(sc: ir.Table, periods: Sequence[str]) -> ir.Table:
    """Section results restricted to the sections assessed in every one of ``periods``."""
    s = sc.filter(sc.class_n.notnull() & sc.period.isin(list(periods)))
    both = s.group_by("section").aggregate(n=s.period.nunique())
    both = both.filter(both.n == len(set(periods))).select(code="section")
    return s.filter(s.section.isin(both.code))


def group_change(att: ir.Table, period_a: str, period_b: str) -> ir.Table:
    """Change of each group between ``period_a`` and ``period_b`` from :func:`group_attainment` rows.

    Columns: ``group``, ``n_sections_a/b``, ``share_I_III_a/b``,
    ``share_worse_than_V_a/b``, ``dG``, ``dD``, ``dG_minus_dD``, ``level_a/b``,
    ``level_zh_a/b``, ``rule`` (``shares`` or ``level``), ``change_zh``,
    ``change_en``, ``deterioration`` (bool).
    """
    ch = sd.method()["change"]
    min_n = int(sd.method()["group"]["min_sections"])
    cols = ["group", "n_sections", "share_I_III", "share_worse_than_V", "level", "level_zh"]
    a = att.filter(att.period == period_a).select(*cols)
    b = att.filter(att.period == period_b).select(*cols)
    a = a.rename(**{f"{c}_a": c for c in cols if c != "group"})
    b = b.rename(**{f"{c}_b": c for c in cols if c != "group"})
    j = a.outer_join(b, a.group == b.group)
    j = j.mutate(group=j.group.fill_null(j.group_right)).drop("group_right")
    dg = j.share_I_III_b - j.share_I_III_a
    dd = j.share_worse_than_V_b - j.share_worse_than_V_a
    diff = dg - dd
    by_shares = (j.n_sections_a >= min_n) & (j.n_sections_b >= min_n)
    step = (j.level_b - j.level_a).cast("int32")  # > 0: worse
    some, marked = float(ch["some_change"]), float(ch["marked_change"])
    steps_marked = int(ch["level_steps_marked"])
    # -2 markedly better, -1 somewhat better, 0 none, 1 somewhat worse, 2 markedly worse
    share_grade = ibis.cases(
        (diff.abs() <= some, 0),
        ((diff.abs() <= marked) & (diff > 0), -1),
        (diff.abs() <= marked, 1),
        (diff > 0, -2),
        else_=2,
    )
    level_grade = ibis.cases(
        (step == 0, 0),
        (step <= -steps_marked, -2),
        (step < 0, -1),
        (step >= steps_marked, 2),
        else_=1,
    )
    grade = ibis.ifelse(by_shares, share_grade, level_grade)
    grade = ibis.ifelse(j.level_a.isnull() | j.level_b.isnull(), ibis.null("int32"), grade)
    zh = {0: "无明显变化", -1: "有所好转", 1: "有所变差", -2: "明显好转", 2: "明显变差"}
    en = {
        0: "no marked change",
        -1: "somewhat better",
        1: "somewhat worse",
        -2: "markedly better",
        2: "markedly worse",
    }
    return j.mutate(
        dG=dg,
        dD=dd,
        dG_minus_dD=diff,
        rule=ibis.ifelse(by_shares, "shares", "level"),
        change_grade=grade,
        change_zh=ibis.cases(*[(grade == k, v) for k, v in zh.items()], else_=ibis.null("string")),
        change_en=ibis.cases(*[(grade == k, v) for k, v in en.items()], else_=ibis.null("string")),
        deterioration=(grade > 0).fill_null(False),
    )


# -- trend ---------------------------------------------------------------------------


def _avg_rank(t: ir.Table, group: list[str], col: str) -> ir.FloatingValue:
    """Average rank (1-based, ties share the mean of their ranks) of ``col`` within ``group``."""
    w = ibis.window(group_by=group, order_by=t[col])
    ties = t[col].count().over(ibis.window(group_by=[*group, col]))
    return t[col].rank().over(w).cast("float64") + 1.0 + (ties.cast("float64") - 1.0) / 2.0


def spearman(t: ir.Table, group: list[str], x: str, y: str) -> ir.Table:
    """Spearman r_s of ``y`` against ``x`` within ``group`` (Pearson correlation of average ranks).

    Rows with NULL ``y`` are left out. Returns ``group..., n, r_s`` with
    ``r_s`` NULL when either series is constant.
    """
    t = t.filter(t[y].notnull() & t[x].notnull())
    t = t.mutate(rank_x_=_avg_rank(t, group, x), rank_y_=_avg_rank(t, group, y))
    rx, ry = t["rank_x_"], t["rank_y_"]
    a = t.group_by(group).aggregate(
        n=rx.count(),
        cov_=rx.cov(ry, how="pop"),
        sx_=rx.std(how="pop"),
        sy_=ry.std(how="pop"),
    )
    ok = (a.sx_ > 1e-12) & (a.sy_ > 1e-12)
    rs = ibis.ifelse(ok, a.cov_ / (a.sx_ * a.sy_), ibis.null("float64"))
    return a.mutate(r_s=rs).drop("cov_", "sx_", "sy_")


def critical_value_expr(n: ir.IntegerValue, max_n: int, alpha: float | None = None) -> ir.FloatingValue:
    """The method's critical value W_p for ``n`` periods (NULL below the table), as a CASE."""
    branches = []
    for k in range(1, max_n + 1):
        w = sd.critical_value(k, alpha)
        if w is not None:
            branches.append((n == k, ibis.literal(w)))
    if not branches:
        return ibis.null("float64")
    return ibis.cases(*branches, else_=ibis.null("float64"))


def _trend_words(rs: ir.FloatingValue, w: ir.FloatingValue) -> tuple[ir.IntegerValue, ir.StringValue]:
    sign = ibis.cases(
        (w.isnull(), ibis.null("int8")),
        (rs.isnull(), 0),
        (rs > w, 1),
        (rs < -w, -1),
        else_=0,
    ).cast("int8")
    words = ibis.cases(
        (sign == 1, "significant rise"),
        (sign == -1, "significant fall"),
        (sign == 0, "no significant trend"),
        else_="too few periods",
    )
    return sign, words


def group_trend(att: ir.Table, n_years: int, alpha: float | None = None) -> ir.Table:
    """Trend of each group's I-III and 劣V shares over the years of :func:`group_attainment` rows (period year).

    Columns: ``group, n_years, first_year, last_year, r_s_I_III, r_s_worse_than_V,
    critical_value, trend_I_III, trend_worse_than_V, verdict_zh, verdict_en,
    deterioration``. Deterioration: the I-III share falls or the 劣V share
    rises significantly.
    """
    t = att.mutate(year_f=att.year.cast("float64"))
    g = spearman(t, ["group"], "year_f", "share_I_III").rename(r_s_I_III="r_s")
    d = spearman(t, ["group"], "year_f", "share_worse_than_V").select("group", r_s_worse_than_V="r_s")
    span = t.group_by("group").aggregate(first_year=t.year.min(), last_year=t.year.max())
    j = g.inner_join(d, "group").inner_join(span, "group")
    w = critical_value_expr(j.n, n_years, alpha)
    sg, words_g = _trend_words(j.r_s_I_III, w)
    sdd, words_d = _trend_words(j.r_s_worse_than_V, w)
    worse = (sg == -1) | (sdd == 1)
    better = ((sg == 1) | (sdd == -1)) & ~worse
    return j.mutate(
        n_years=j.n,
        critical_value=w,
        trend_I_III=words_g,
        trend_worse_than_V=words_d,
        verdict_zh=ibis.cases(
            (w.isnull(), "时段不足"), (worse, "显著变差"), (better, "显著好转"), else_="无显著变化"
        ),
        verdict_en=ibis.cases(
            (w.isnull(), "too few periods"),
            (worse, "significantly worse"),
            (better, "significantly better"),
            else_="no significant trend",
        ),
        deterioration=worse.fill_null(False),
    ).drop("n")


def item_trend(ci: ir.Table, n_years: int, alpha: float | None = None) -> ir.Table:
    """Trend of each section's yearly item means (Spearman against the year).

    A significant rise of an upper-bound item (or a fall of DO) is
    deterioration. Columns: ``section, item, n_years, r_s, critical_value,
    trend, deterioration``.
    """
    c = ci.filter(ci["mean"].notnull())
    c = c.mutate(year_f=c.year.cast("float64"))
    r = spearman(c, ["section", "item"], "year_f", "mean")
    w = critical_value_expr(r.n, n_years, alpha)
    sign, words = _trend_words(r.r_s, w)
    lower = r.item == "DO"
    worse = ibis.ifelse(lower, sign == -1, sign == 1) & r.item.isin(list(sd.assessed_items()))
    return r.mutate(
        n_years=r.n,
        critical_value=w,
        trend=words,
        deterioration=worse.fill_null(False),
    ).drop("n")
