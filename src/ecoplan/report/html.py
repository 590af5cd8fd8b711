"""The yearly report as one self-contained HTML file.

The page holds everything it shows: the styles, the figures' data and
Plotly's JavaScript (read from the installed ``plotly`` package, as the
dashboard serves it), so it opens offline and nothing is fetched. A print
stylesheet lays it out on A4 landscape pages, one section per page.

The tables are those of :func:`ecoplan.report.build.collect`; this module
only chooses what to show and formats the numbers (concentrations at the
reporting precision of the statistics, shares in %). Figures are the
dashboard's builders (:mod:`ecoplan.charts`) plus the monthly ones of
:mod:`ecoplan.report.figures`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape

from .. import charts
from ..air.statistics import STAT_POLLUTANT
from ..flow import ecoflow
from ..plan import progress
from ..water import standard as water_standard
from ..web.i18n import comparator_text
from . import figures
from . import labels as L
from .build import TABLES, ReportData

__all__ = ["AIR_STATS", "SECTION_IDS", "render_html", "write_html"]

#: The ids of the page's sections, in order.
SECTION_IDS = ("status", "air", "water", "ecoflow", "warnings", "provenance")

#: The annual statistics shown in the air table, in order (HJ 663 annual items).
AIR_STATS = (
    "pm2_5_mean",
    "pm2_5_p95",
    "pm10_mean",
    "pm10_p95",
    "so2_mean",
    "so2_p98",
    "no2_mean",
    "no2_p98",
    "co_p95",
    "o3_8h_p90",
)

DASH = "–"
LEVEL_COLOURS = {"blue": "#2b7bba", "yellow": "#e6c200", "orange": "#f08c00", "red": "#d7301f"}


# ---------------------------------------------------------------------------
# cells and tables


@dataclass
class Cell:
    text: str
    cls: str = ""
    title: str = ""
    style: str = ""


@dataclass
class HtmlTable:
    headers: list[str]
    rows: list[list[Cell]]
    source: str = ""
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    header_notes: list[str] | None = None  # a second header row (limits)
    empty: str = "no_rows"  # the string shown without rows


def on_colour(background: str) -> str:
    """A CSS style: ``background`` with black or white text, whichever reads better on it."""
    c = background.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) / 255 for i in (0, 2, 4))
    light = 0.2126 * r + 0.7152 * g + 0.0722 * b  # relative luminance, sRGB weights (no gamma)
    return f"background:{background};color:{'#000000' if light > 0.5 else '#ffffff'}"


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def num(v: Any, decimals: int = 0) -> str:
    """A number at ``decimals`` places (``–`` for none)."""
    if _is_missing(v):
        return DASH
    return f"{float(v):.{decimals}f}"


def count(v: Any) -> str:
    return DASH if _is_missing(v) else f"{int(v):,}"


def pct(fraction: Any, decimals: int = 1) -> str:
    """A fraction as a percentage."""
    return DASH if _is_missing(fraction) else f"{float(fraction) * 100:.{decimals}f}%"


def pct_of(share: Any, decimals: int = 1) -> str:
    """A share already in percent."""
    return DASH if _is_missing(share) else f"{float(share):.{decimals}f}%"


def short(v: Any) -> str:
    """A value of any indicator: up to three decimals, trailing zeros dropped."""
    if _is_missing(v):
        return DASH
    if isinstance(v, bool):
        return str(v).lower()
    s = f"{float(v):.3f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def when(v: Any, with_time: bool = True) -> str:
    if v is None:
        return DASH
    if isinstance(v, dt.datetime):
        if not with_time or v.time() == dt.time():  # a day boundary: the day says it
            return v.strftime("%Y-%m-%d")
        return v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def yes_no(v: Any, lang: str) -> str:
    if v is None:
        return DASH
    return L.text("yes" if v else "no", lang)


def _rows(table) -> list[dict[str, Any]]:
    return table.to_pylist() if table is not None else []


# ---------------------------------------------------------------------------
# figures


@dataclass
class Figure:
    id: str
    json: str


def _figure(fid: str, fig: go.Figure) -> Figure:
    # the JSON goes into a <script type="application/json"> element: "</" must not close it
    return Figure(fid, fig.to_json().replace("</", "<\\/"))


# ---------------------------------------------------------------------------
# sections


def _status_section(data: ReportData, lang: str, figs: list[Figure]) -> dict[str, Any]:
    plan = data.plan
    names = {cid: (c.en if lang == "en" else c.zh) for cid, c in plan.categories.items()}
    rollup = [r for r in _rows(data.tables["status_rollup"]) if r["total"]]
    statuses = [s for s in progress.STATUSES if any(r[s] for r in rollup)]
    counts = HtmlTable(
        headers=[
            L.text("category", lang),
            *[charts.status_label(s, lang) for s in statuses],
            L.text("total", lang),
        ],
        rows=[
            [
                Cell(names.get(r["category"], r["category"])),
                *[Cell(str(r[s]) if r[s] else "", "num") for s in statuses],
                Cell(str(r["total"]), "num strong"),
            ]
            for r in rollup
        ],
        source=data.source("status_rollup"),
    )
    if rollup:
        totals = [sum(r[s] for r in rollup) for s in statuses]
        counts.rows.append(
            [
                Cell(L.text("total", lang), "strong"),
                *[Cell(str(n), "num strong") for n in totals],
                Cell(str(sum(r["total"] for r in rollup)), "num strong"),
            ]
        )
        figs.append(
            _figure(
                "fig-status",
                charts.status_counts(data.tables["status_rollup"], category_names=names, lang=lang),
            )
        )
    targets = []
    order = {cid: i for i, cid in enumerate(plan.categories)}
    rows = sorted(_rows(data.tables["status"]), key=lambda r: (order.get(r["category"], 99), r["id"]))
    for r in rows:
        unit = r["unit"] or ""
        shown_unit = "" if unit in ("bool", "") else unit
        base = DASH
        if r["baseline_value"] is not None:
            base = f"{short(r['baseline_value'])} ({r['baseline_year']})"
        latest = DASH
        if r["latest_value"] is not None:
            latest = f"{short(r['latest_value'])} ({r['latest_year']})"
        value = short(r["target_value"]) + (f" {shown_unit}" if shown_unit else "")
        goal = comparator_text(r["comparator"], value, lang)
        if r["target_year"]:
            goal += f" ({r['target_year']})"
        projection = DASH
        if r["projected_value"] is not None:
            mark = r["projected_meets"]
            projection = short(r["projected_value"])
            if mark is not None:
                projection += " · " + L.text("meets" if mark else "misses", lang)
        colour = charts.STATUS_COLOURS.get(r["status"], "#ffffff")
        name = r["name_en"] if lang == "en" else r["name_zh"]
        if r["role"] == "trigger":
            name += f" [{L.text('trigger', lang)}]"
        targets.append(
            [
                Cell(names.get(r["category"], r["category"])),
                Cell(name or r["id"], title=r["id"]),
                Cell(scope_name(plan, r["scope"], lang), title=r["scope"]),
                Cell(shown_unit),
                Cell(base, "num"),
                Cell(latest, "num"),
                Cell(goal),
                Cell(
                    charts.status_label(r["status"], lang),
                    "status",
                    title=r["note"] or "",
                    style=on_colour(colour),
                ),
                Cell(
                    projection,
                    "num"
                    if r["projected_meets"] is None
                    else "num " + ("ok" if r["projected_meets"] else "bad"),
                ),
            ]
        )
    table = HtmlTable(
        headers=[
            L.text("category", lang),
            L.text("target", lang),
            L.text("scope", lang),
            L.text("unit", lang),
            L.text("baseline", lang),
            L.text("latest", lang),
            L.text("target_value", lang),
            L.text("status", lang),
            L.text("projection", lang),
        ],
        rows=targets,
        source=data.source("status"),
    )
    return {
        "counts": counts,
        "counts_text": L.text("status_counts_text", lang, year=data.year),
        "targets": table,
        "has_chart": bool(rollup),
    }


def scope_name(plan, scope: str, lang: str) -> str:
    """A target's scope as people name it: the province, a group's name, or the city, basin, river or lake."""
    try:
        r = plan.resolve_scope(scope)
    except KeyError:
        return scope
    if r.type == "province":
        p = plan.scopes.province
        return (p.en if lang == "en" else p.zh) or p.zh
    if r.type == "group":
        g = plan.group(r.name).name
        return (g.en if lang == "en" else g.zh) or g.zh
    return r.name


def _limit_of(limits: dict[str, Any], stat: str) -> float | None:
    pol, kind, _ = L.stat_parts(stat) or (None, None, None)
    if pol is None:
        return None
    averaging = "annual" if kind == "mean" else ("8h" if pol == "o3_8h" else "24h")
    return limits["grade2"].get(STAT_POLLUTANT[pol], {}).get(averaging)


def _air_section(data: ReportData, lang: str, figs: list[Figure]) -> dict[str, Any]:
    limits = data.air_limits
    annual = _rows(data.tables["air_annual"])
    headers = [L.text("city", lang)]
    notes = [L.text("limit", lang)]
    for stat in AIR_STATS:
        headers.append(L.column_label(stat, lang))
        lim = _limit_of(limits, stat)
        notes.append(short(lim) if lim is not None else DASH)
    headers += [L.text("good_ratio", lang), L.text("heavy_days", lang), L.text("days_aqi", lang)]
    notes += ["", "", ""]
    rows = []
    for r in annual:
        cells = [Cell(r["city"])]
        for stat in AIR_STATS:
            pol = (L.stat_parts(stat) or ("",))[0]
            decimals = L.reporting_decimals(pol)
            value = r.get(stat)
            index = r.get(f"{stat}_index")
            over = index is not None and value is not None and index > 1
            complete = r.get(f"valid_{pol}")
            text = num(value, decimals) + ("" if complete or value is None else "*")
            cls = "num " + ("bad" if over else ("ok" if value is not None else ""))
            title = "" if index is None else f"{L.text('limit', lang)}: {index * 100:.0f}%"
            cells.append(Cell(text, cls.strip(), title=title))
        cells += [
            Cell(pct(r.get("good_ratio")), "num"),
            Cell(count(r.get("heavy_days")), "num"),
            Cell(count(r.get("days_aqi")), "num"),
        ]
        rows.append(cells)
    annual_table = HtmlTable(headers=headers, rows=rows, source=data.source("air_annual"), header_notes=notes)
    ranking_rows = []
    for r in _rows(data.tables["air_ranking"]):
        item = r.get("max_index_item")
        ranking_rows.append(
            [
                Cell(DASH if r["rank"] is None else str(r["rank"]), "num"),
                Cell(r["city"]),
                Cell(num(r.get("composite_index"), 2), "num"),
                Cell(L.column_label(item, lang).split(" (")[0] if item else DASH),
                Cell(yes_no(r.get("valid"), lang)),
            ]
        )
    ranking = HtmlTable(
        headers=[
            L.text("rank", lang),
            L.text("city", lang),
            L.text("composite_index", lang),
            L.text("max_index_item", lang),
            L.text("complete", lang),
        ],
        rows=ranking_rows,
        source=data.source("air_ranking"),
    )
    if any(r.get("composite_index") is not None for r in _rows(data.tables["air_ranking"])):
        figs.append(
            _figure("fig-ranking", charts.composite_index_ranking(data.tables["air_ranking"], lang=lang))
        )
    monthly = data.tables["air_monthly"]
    has_monthly = monthly.num_rows > 0
    if has_monthly:
        figs.append(
            _figure(
                "fig-monthly-pm25",
                figures.monthly_pollutant(monthly, lang=lang, title=L.text("monthly_pm25", lang)),
            )
        )
        figs.append(
            _figure(
                "fig-monthly-good",
                figures.monthly_good_ratio(monthly, lang=lang, title=L.text("monthly_good", lang)),
            )
        )
    return {
        "annual": annual_table,
        "annual_text": L.text(
            "air_annual_text",
            lang,
            edition=limits["edition"],
            phase="" if limits["phase"] == limits["edition"] else f" ({limits['phase']})",
        ),
        "ranking": ranking,
        "has_ranking_chart": any(f.id == "fig-ranking" for f in figs),
        "has_monthly": has_monthly,
        "monthly_source": data.source("air_monthly"),
    }


def _method_label(method: str | None, mean_class: str | None, lang: str) -> str:
    """The 2011 method's way of judging a group (the section count that decides it from the table file)."""
    n = water_standard.method()["group"]["min_sections"]
    if method == "shares":
        return L.text("method_shares", lang, n=n)
    if method == "item means":
        label = L.text("method_means", lang, n=n)
        n_class = _class_n(mean_class) if mean_class else None
        return label + (f": {charts.class_label(n_class, lang)}" if n_class else "")
    return method or DASH


def _water_section(data: ReportData, lang: str, figs: list[Figure]) -> dict[str, Any]:
    att = _rows(data.tables["water_attainment"])
    rows = []
    for r in att:
        level = r["level_en"] if lang == "en" else r["level_zh"]
        rows.append(
            [
                Cell(r["group"]),
                Cell(count(r["n_sections"]), "num"),
                Cell(f"{count(r['n_I_III'])} · {pct_of(r['share_I_III'])}", "num"),
                Cell(f"{count(r['n_IV'])} · {pct_of(r['share_IV'])}", "num"),
                Cell(f"{count(r['n_V'])} · {pct_of(r['share_V'])}", "num"),
                Cell(f"{count(r['n_worse_than_V'])} · {pct_of(r['share_worse_than_V'])}", "num"),
                Cell(level or DASH),
                Cell(_method_label(r["method"], r.get("mean_class"), lang)),
                Cell(r["main_pollutants"] or DASH),
            ]
        )
    sections_word = L.text("sections", lang)
    attainment = HtmlTable(
        headers=[
            L.text("basin", lang),
            sections_word,
            "I-III",
            "IV",
            "V",
            charts.class_label(6, lang),
            L.text("quality_level", lang),
            L.text("method", lang),
            L.text("main_pollutants", lang),
        ],
        rows=rows,
        source=data.source("water_attainment"),
    )
    if att:
        figs.append(
            _figure(
                "fig-water-classes", charts.class_bars_by_basin(data.tables["water_attainment"], lang=lang)
            )
        )
    classes = {r["group"]: r for r in _rows(data.tables["lake_classes"])}
    lake_rows = []
    for r in _rows(data.tables["lakes"]):
        c = classes.get(r["lake"], {})
        cls = c.get("mean_class")
        lake_rows.append(
            [
                Cell(r["lake"]),
                Cell(
                    DASH
                    if cls is None
                    else (charts.class_label(_class_n(cls), lang) if _class_n(cls) else cls)
                ),
                Cell((c.get("level_en") if lang == "en" else c.get("level_zh")) or DASH),
                Cell(num(r["tli"], 1), "num"),
                Cell((r["trophic_en"] if lang == "en" else r["trophic_zh"]) or DASH),
                Cell(r["items_used"] or DASH),
            ]
        )
    lakes = HtmlTable(
        headers=[
            L.text("lake", lang),
            L.text("water_class", lang),
            L.text("quality_level", lang),
            L.text("tli", lang),
            L.text("trophic", lang),
            L.column_label("items_used", lang),
        ],
        rows=lake_rows,
        source=f"{data.source('lakes')}; {data.source('lake_classes')}",
    )
    if lake_rows:
        figs.append(_figure("fig-tli", charts.tli_bars(data.tables["lakes"], lang=lang)))
    return {
        "attainment": attainment,
        "attainment_text": L.text("water_attainment_text", lang),
        "lakes": lakes,
        "lakes_text": L.text("lakes_text", lang),
        "has_classes_chart": bool(att),
        "has_tli_chart": bool(lake_rows),
    }


def _class_n(text: str) -> int | None:
    for n, name in water_standard.class_names().items():
        if name == text:
            return n
    return None


def _ecoflow_section(data: ReportData, lang: str, figs: list[Figure]) -> dict[str, Any]:
    rows = _rows(data.tables["ecoflow"])
    by_gauge: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_gauge.setdefault(r["gauge"], {})[r["period"]] = r
    out = []
    for gauge, periods in sorted(
        by_gauge.items(), key=lambda kv: (next(iter(kv[1].values())).get("river") or "", kv[0])
    ):
        year = periods.get("year", {})
        nf, fl = periods.get("non_flood", {}), periods.get("flood", {})
        any_row = year or nf or fl
        rates = [x.get("compliance_rate") for x in (nf, fl)]
        short_days = sum(x.get("shortfall_days") or 0 for x in (nf, fl))
        longest = [
            x.get("longest_shortfall_run") for x in (nf, fl) if x.get("longest_shortfall_run") is not None
        ]
        vol = " / ".join(yes_no(x.get("volume_compliant"), lang) for x in (nf, fl))
        out.append(
            [
                Cell(any_row.get("river") or DASH),
                Cell(f"{any_row.get('name') or gauge} ({gauge})"),
                *[Cell(pct(v), "num " + ("" if v is None else ("ok" if v >= 1 else "bad"))) for v in rates],
                Cell(count(short_days), "num"),
                Cell(count(max(longest)) if longest else DASH, "num"),
                Cell(count(year.get("missing_days")), "num"),
                Cell(vol),
            ]
        )
    table = HtmlTable(
        headers=[
            L.text("river", lang),
            L.text("gauge", lang),
            L.text("non_flood", lang),
            L.text("flood", lang),
            L.text("shortfall_days", lang),
            L.text("longest_run", lang),
            L.text("missing_days", lang),
            L.text("volume", lang),
        ],
        rows=out,
        source=data.source("ecoflow"),
    )
    if out:
        figs.append(_figure("fig-ecoflow", charts.ecoflow_compliance_bars(data.tables["ecoflow"], lang=lang)))
    rule = ecoflow.load_rule()
    months = (
        "、".join(str(m) for m in rule.flood_months)
        if lang == "zh"
        else ", ".join(str(m) for m in rule.flood_months)
    )
    return {
        "table": table,
        "text": L.text(
            "ecoflow_text",
            lang,
            non_flood=f"{rule.non_flood_share * 100:g}%",
            flood=f"{rule.flood_share * 100:g}%",
            months=months,
        ),
        "has_chart": bool(out),
    }


def _warning_table(table, lang: str, source: str) -> HtmlTable:
    rows = []
    for r in _rows(table):
        colour = LEVEL_COLOURS.get(r["level"], "#999999")
        rows.append(
            [
                Cell(L.optional(f"level_{r['level']}", lang, r["level"]), "level", style=on_colour(colour)),
                Cell(L.optional(f"kind_{r['kind']}", lang, r["kind"])),
                Cell(r["scope"]),
                Cell(when(r["start_time"])),
                Cell(when(r["end_time"])),
                Cell(yes_no(r["active"], lang)),
                Cell((r["message_en"] if lang == "en" else r["message_zh"]) or DASH),
            ]
        )
    return HtmlTable(
        empty="warnings_none",
        headers=[
            L.text("level", lang),
            L.text("kind", lang),
            L.text("scope", lang),
            L.text("start", lang),
            L.text("end", lang),
            L.text("active", lang),
            L.text("message", lang),
        ],
        rows=rows,
        source=source,
    )


def _warning_counts(table, lang: str, source: str) -> HtmlTable:
    """Warnings per kind and level (levels from the least severe)."""
    from ..alerts.store import KINDS, LEVELS

    rows = _rows(table)
    kinds = [k for k in KINDS if any(r["kind"] == k for r in rows)]
    kinds += sorted({r["kind"] for r in rows} - set(kinds))
    levels = [lv for lv in LEVELS if any(r["level"] == lv for r in rows)]
    out = []
    for k in kinds:
        counts = [sum(r["kind"] == k and r["level"] == lv for r in rows) for lv in levels]
        out.append(
            [
                Cell(L.optional(f"kind_{k}", lang, k)),
                *[Cell(str(n) if n else "", "num") for n in counts],
                Cell(str(sum(counts)), "num strong"),
            ]
        )
    if out:
        out.append(
            [
                Cell(L.text("total", lang), "strong"),
                *[Cell(str(sum(r["level"] == lv for r in rows)), "num strong") for lv in levels],
                Cell(str(len(rows)), "num strong"),
            ]
        )
    return HtmlTable(
        headers=[
            L.text("kind", lang),
            *[L.optional(f"level_{lv}", lang, lv) for lv in levels],
            L.text("total", lang),
        ],
        rows=out,
        source=source,
        empty="warnings_none",
    )


def _provenance_section(data: ReportData, lang: str) -> dict[str, Any]:
    ingest = HtmlTable(
        headers=[
            L.text("domain", lang),
            L.text("reader", lang),
            L.text("files", lang),
            L.text("failed", lang),
            L.text("rows_read", lang),
            L.text("rows_stored", lang),
            L.text("rows_rejected", lang),
            L.text("first_ingest", lang),
            L.text("last_ingest", lang),
        ],
        rows=[
            [
                Cell(r["domain"] or DASH),
                Cell(r["reader"] or DASH),
                Cell(count(r["files"]), "num"),
                Cell(count(r["failed"]), "num" + (" bad" if r["failed"] else "")),
                Cell(count(r["rows_read"]), "num"),
                Cell(count(r["rows_stored"]), "num"),
                Cell(count(r["rows_rejected"]), "num" + (" bad" if r["rows_rejected"] else "")),
                Cell(when(r["first_ingest"])),
                Cell(when(r["last_ingest"])),
            ]
            for r in _rows(data.ingest)
        ],
        source=data.source("ingest_log"),
    )
    rejects = HtmlTable(
        headers=[
            L.text("domain", lang),
            L.text("reason", lang),
            L.text("values", lang),
            L.text("files", lang),
            L.text("example", lang),
        ],
        rows=[
            [
                Cell(r["domain"] or DASH),
                Cell(r["reason"] or DASH),
                Cell(count(r["values"]), "num"),
                Cell(count(r["files"]), "num"),
                Cell(r["example"] or DASH),
            ]
            for r in _rows(data.rejects)
        ],
        empty="none",
    )
    standards = HtmlTable(
        headers=[
            L.text("standard", lang),
            L.text("edition", lang),
            L.text("title_col", lang),
            L.text("used_for", lang),
            L.text("certainty", lang),
        ],
        rows=[
            [
                Cell(s["standard"] or DASH),
                Cell(
                    s["edition"] + (f" ({s['phase']})" if s.get("phase") not in (None, s["edition"]) else "")
                ),
                Cell(
                    (s["title_en"] if lang == "en" else s["title"]) or s["title"] or DASH,
                    title=s.get("source") or "",
                ),
                Cell(s["used_for"]),
                Cell(s.get("certainty") or DASH),
            ]
            for s in data.standards
        ],
    )
    queries = HtmlTable(
        headers=[L.text("table", lang), L.text("source", lang)],
        rows=[[Cell(L.table_title(t, lang)), Cell(data.source(t), "code")] for t in TABLES],
    )
    return {"ingest": ingest, "rejects": rejects, "standards": standards, "queries": queries}


# ---------------------------------------------------------------------------
# the page


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("ecoplan.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _plotly_js() -> str:
    import plotly.offline

    return plotly.offline.get_plotlyjs()


def render_html(data: ReportData, *, lang: str = "zh") -> str:
    """The report of ``data`` as an HTML document (a string)."""
    L.check_lang(lang)
    figs: list[Figure] = []
    status = _status_section(data, lang, figs)
    air = _air_section(data, lang, figs)
    water = _water_section(data, lang, figs)
    flow = _ecoflow_section(data, lang, figs)
    warnings = {
        "active": _warning_table(data.tables["warnings_active"], lang, data.source("warnings_active")),
        "year_counts": _warning_counts(data.tables["warnings_year"], lang, data.source("warnings_year")),
        "year": _warning_table(data.tables["warnings_year"], lang, ""),
        "year_n": data.tables["warnings_year"].num_rows,
    }
    provenance = _provenance_section(data, lang)
    plan = data.plan
    template = _environment().get_template("report.html")
    return template.render(
        lang=lang,
        t=lambda key, **kw: L.text(key, lang, **kw),
        data=data,
        plan_title=plan.title.en if lang == "en" else plan.title.zh,
        plan_id=plan.id,
        store=Path(data.store).name if data.store else DASH,
        generated_at=data.generated_at.strftime("%Y-%m-%d %H:%M"),
        status=status,
        air=air,
        water=water,
        flow=flow,
        warnings=warnings,
        provenance=provenance,
        figures=figs,
        figure_ids={f.id for f in figs},
        plotly_js=_plotly_js(),
        sections=[(sid, L.text(f"sec_{sid}", lang)) for sid in SECTION_IDS],
    )


def write_html(data: ReportData, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the HTML report to ``path`` (UTF-8)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data, lang=lang), encoding="utf-8")
    return path
