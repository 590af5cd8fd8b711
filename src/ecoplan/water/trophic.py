"""Trophic level index TLI(Σ) of lakes and reservoirs (总站生字〔2001〕090号), as Ibis expressions.

    TLI(j) = 10 (a_j + b_j ln C_j)            C: chl-a mg/m3, SD m, TP TN CODMn mg/L
    TLI(Σ) = Σ_j W_j TLI(j),  W_j = r_j^2 / Σ r^2

with the coefficients and the correlations r_j (chl-a 1, TP 0.84, TN 0.82,
SD -0.83, CODMn 0.83) read from ``standards/tli_2001.toml`` [secondary].
When an item is missing the weights are renormalised over the items
present (a project choice); ``items_used`` names them and ``weights_note``
says what was left out. A value <= 0 has no logarithm and counts as missing.

Classes: TLI < 30 oligotrophic (贫营养); 30 <= TLI <= 50 mesotrophic (中营养);
50 < TLI <= 60 light, 60 < TLI <= 70 middle, TLI > 70 hyper eutrophic
(轻度 / 中度 / 重度富营养) [secondary; inclusive ends as most copies write them].

Worked example (the project's hand case): chl-a 10 mg/m3, TP 0.05, TN 1.0
mg/L, SD 1.0 m, CODMn 4.0 mg/L give TLI(Σ) = 48.0 (mesotrophic).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from . import standard as sd

__all__ = ["TLI_ITEMS", "tli_class", "tli_item", "trophic_level_index"]


def _formulas() -> dict:
    return sd.tli_table()["formulas"]


TLI_ITEMS = ("chla", "TP", "TN", "SD", "CODMn")


def tli_item(conc: ir.NumericValue, item: str) -> ir.FloatingValue:
    """TLI(j) of one item's concentration; NULL for NULL or a value <= 0."""
    f = _formulas()[item]
    return ibis.ifelse(conc > 0, 10.0 * (f["a"] + f["b"] * conc.ln()), ibis.null("float64"))


def tli_class(tli: ir.NumericValue, lang: str = "zh") -> ir.StringValue:
    """Trophic class of TLI(Σ) from the table file's classes."""
    classes = sd.tli_table()["classes"]
    branches = []
    for c in classes:
        name = ibis.literal(c["name_zh"] if lang == "zh" else c["name_en"])
        if "upper" not in c:
            continue
        cond = tli <= c["upper"] if c.get("upper_inclusive", True) else tli < c["upper"]
        branches.append((cond, name))
    last = classes[-1]
    return ibis.cases(
        (tli.isnull(), ibis.null("string")),
        *branches,
        else_=ibis.literal(last["name_zh"] if lang == "zh" else last["name_en"]),
    )


def trophic_level_index(means: ir.Table, keys: list[str]) -> ir.Table:
    """TLI of each row group ``keys`` from long item means (``item``, ``mean``).

    Returns ``keys``, the five means (``chla, TP, TN, SD, CODMn``), their
    ``tli_<item>``, ``tli`` (TLI(Σ)), ``items_used``, ``weights_note``,
    ``trophic_zh`` and ``trophic_en``. Groups without any of the five items
    are left out.
    """
    m = means.filter(means.item.isin(list(TLI_ITEMS)))
    wide = m.group_by(keys).aggregate(**{i: m["mean"].max(where=m.item == i) for i in TLI_ITEMS})
    r = sd.tli_table()["weights"]["r"]
    parts = {i: tli_item(wide[i], i) for i in TLI_ITEMS}
    r2 = {i: float(r[i]) ** 2 for i in TLI_ITEMS}
    num = sum(ibis.ifelse(parts[i].notnull(), parts[i] * r2[i], 0.0) for i in TLI_ITEMS)
    den = sum(ibis.ifelse(parts[i].notnull(), r2[i], 0.0) for i in TLI_ITEMS)
    tli = ibis.ifelse(den > 0, num / den, ibis.null("float64"))

    def listed(present: bool) -> ir.StringValue:
        return _join(
            [
                ibis.ifelse(parts[i].notnull() == present, ibis.literal(i), ibis.null("string"))
                for i in TLI_ITEMS
            ]
        )

    used, missing = listed(True), listed(False)
    note = ibis.ifelse(
        missing == "",
        "all five items",
        "weights renormalised over " + used + "; missing " + missing,
    )
    out = wide.mutate(
        **{f"tli_{i}": parts[i] for i in TLI_ITEMS},
        tli=tli,
        items_used=used,
        weights_note=ibis.ifelse(used == "", "no trophic item", note),
    )
    out = out.mutate(trophic_zh=tli_class(out.tli, "zh"), trophic_en=tli_class(out.tli, "en"))
    return out.filter(out.tli.notnull())


def _join(texts: list[ir.StringValue], sep: str = ", ") -> ir.StringValue:
    """Join the non-NULL texts with ``sep`` (CONCAT_WS skips NULLs on DuckDB and Spark); "" when all are NULL."""
    return ibis.coalesce(ibis.literal(sep).join(texts), ibis.literal(""))
