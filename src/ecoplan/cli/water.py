"""``ecoplan water ...`` and ``ecoplan ingest water``: GB 3838 classes, group attainment, change, trend, TLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..ingest import expand_paths
from ..readers.water import FORMAT_ALIASES, WATER_FORMATS, section_reader, water_reader_for
from ..water import queries
from ..water import standard as sd
from ..water.classification import PERIODS
from .common import (
    FromOption,
    OutOption,
    ToOption,
    app,
    as_date,
    console,
    emit,
    emit_query,
    open_backend,
    open_store,
)
from .ingest import FilesArg, finish, ingest_app, run_ingest

water_app = typer.Typer(
    help="Surface water: GB 3838-2002 classes (2011 method), basin attainment, change, trend, TLI.",
    no_args_is_help=True,
)
app.add_typer(water_app, name="water")

SectionOpt = Annotated[list[str] | None, typer.Option("--section", help="Section code (repeatable).")]
BasinOpt = Annotated[list[str] | None, typer.Option("--basin", help="Basin, e.g. 黄河流域 (repeatable).")]
RiverOpt = Annotated[list[str] | None, typer.Option("--river", help="River or lake (repeatable).")]
CityOpt = Annotated[list[str] | None, typer.Option("--city", help="City (repeatable).")]
ProvinceOpt = Annotated[list[str] | None, typer.Option("--province", help="Province (repeatable).")]
ControlOpt = Annotated[
    list[str] | None, typer.Option("--control", help="Control level: national, provincial ... (repeatable).")
]
YearOpt = Annotated[int | None, typer.Option("--year", help="Calendar year.")]
PeriodOpt = Annotated[str, typer.Option("--period", help=f"One of {', '.join(PERIODS)}.")]
KindOpt = Annotated[
    str | None, typer.Option("--sample-kind", help="Use only manual or auto samples (default: both).")
]
PhOpt = Annotated[
    str | None,
    typer.Option("--ph-rule", help="pH of a period: mean (default) or worst (worst sample's class)."),
]
HeavyOpt = Annotated[
    float | None,
    typer.Option(
        "--heavy-threshold",
        help="I-III share below which a group with >=40% 劣V is 重度污染: 60 (default) or 75.",
    ),
]
ByOpt = Annotated[str, typer.Option("--by", help=f"Group by: {', '.join(queries.BY)}.")]

SHOW_CLASSIFY = [
    "section",
    "name",
    "basin",
    "kind",
    "period",
    "class",
    "level_zh",
    "deciding_items",
    "main_pollutants",
    "class_with_tn",
    "published_class",
]
SHOW_ITEMS = ["section", "name", "period", "item", "mean", "n", "item_class", "multiple"]
SHOW_ATTAIN = [
    "group",
    "period",
    "n_sections",
    "n_I_III",
    "n_IV",
    "n_V",
    "n_worse_than_V",
    "share_I_III",
    "share_worse_than_V",
    "method",
    "level_zh",
    "main_pollutants",
]
SHOW_TROPHIC = [
    "section",
    "lake",
    "name",
    "period",
    "chla",
    "TP",
    "TN",
    "SD",
    "CODMn",
    "tli",
    "trophic_zh",
    "weights_note",
]
SHOW_CHANGE = [
    "group",
    "n_sections_a",
    "n_sections_b",
    "share_I_III_a",
    "share_I_III_b",
    "dG_minus_dD",
    "level_zh_a",
    "level_zh_b",
    "rule",
    "change_zh",
]
SHOW_TREND = [
    "group",
    "section",
    "item",
    "n_years",
    "r_s_I_III",
    "r_s_worse_than_V",
    "r_s",
    "critical_value",
    "verdict_zh",
    "trend",
    "deterioration",
]


def _filters(section, basin, river, city, province, control) -> dict:
    return {
        "sections": section,
        "basins": basin,
        "rivers": river,
        "cities": city,
        "provinces": province,
        "control": control,
    }


def _check(value, allowed, name: str) -> None:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{name} must be one of {', '.join(map(str, allowed))}")


# -- ingest ------------------------------------------------------------------------


@ingest_app.command("water")
def ingest_water(
    ctx: typer.Context,
    files: FilesArg,
    sections: Annotated[
        Path | None,
        typer.Option(
            "--sections", help="Section list (CSV/Excel); with it, values of other sections are rejected."
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"Force a reader: {', '.join([*FORMAT_ALIASES, *WATER_FORMATS])} (default: by content).",
        ),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Year of automatic-station exports whose times have none.")
    ] = None,
    sample_kind: Annotated[
        str | None,
        typer.Option("--sample-kind", help="manual or auto, for files without a sample-kind column."),
    ] = None,
    require_sections: Annotated[
        bool, typer.Option("--require-sections", help="Reject sections not already in the store.")
    ] = False,
) -> None:
    """Ingest water-quality files: long or wide sample tables, automatic-station exports."""
    _check(sample_kind, ("manual", "auto"), "--sample-kind")
    with open_store(ctx) as store:
        known = None
        if sections is not None:
            s = run_ingest(store, [str(sections)], section_reader, domain="water", label="sections")
            if s.nothing_read:
                finish(s)
        if sections is not None or require_sections:
            known = {r[0] for r in store.con.execute("SELECT code FROM sections").fetchall()}
        summary = run_ingest(
            store,
            expand_paths(files),
            lambda f, h: water_reader_for(f, h, fmt=fmt, sections=known, year=year, sample_kind=sample_kind),
            domain="water",
            label="water",
        )
    finish(summary)


@ingest_app.command("water-sections")
def ingest_water_sections(ctx: typer.Context, files: FilesArg) -> None:
    """Ingest water section lists (断面编码, 断面名称, 河流, 流域, 城市, 类型, 控制级别, 经度, 纬度)."""
    with open_store(ctx) as store:
        summary = run_ingest(store, expand_paths(files), section_reader, domain="water", label="sections")
    finish(summary)


# -- assessments -------------------------------------------------------------------


@water_app.command("classify")
def classify(
    ctx: typer.Context,
    period: PeriodOpt = "year",
    year: YearOpt = None,
    start: FromOption = None,
    end: ToOption = None,
    section: SectionOpt = None,
    basin: BasinOpt = None,
    river: RiverOpt = None,
    city: CityOpt = None,
    province: ProvinceOpt = None,
    control: ControlOpt = None,
    sample_kind: KindOpt = None,
    ph_rule: PhOpt = None,
    items: Annotated[
        bool, typer.Option("--items", help="One row per item instead: mean, class, exceedance multiple.")
    ] = False,
    out: OutOption = None,
) -> None:
    """Section classes (GB 3838-2002, single factor): one row per section and period."""
    _check(period, PERIODS, "--period")
    _check(ph_rule, ("mean", "worst"), "--ph-rule")
    filters = _filters(section, basin, river, city, province, control)
    with open_backend(ctx) as backend:
        if items:
            expr = queries.items(
                backend.ibis, period=period, year=year, sample_kind=sample_kind, ph_rule=ph_rule, **filters
            )
            emit_query(backend, expr, out, title="item classes", columns=SHOW_ITEMS)
            return
        expr = queries.classify(
            backend.ibis,
            period=period,
            year=year,
            start=as_date(start),
            end=as_date(end),
            sample_kind=sample_kind,
            ph_rule=ph_rule,
            **filters,
        )
        emit_query(
            backend,
            expr,
            out,
            title=f"section classes ({period})",
            columns=SHOW_CLASSIFY,
        )


@water_app.command("attainment")
def attainment(
    ctx: typer.Context,
    by: ByOpt = "basin",
    period: PeriodOpt = "year",
    year: YearOpt = None,
    section: SectionOpt = None,
    basin: BasinOpt = None,
    river: RiverOpt = None,
    city: CityOpt = None,
    province: ProvinceOpt = None,
    control: ControlOpt = None,
    sample_kind: KindOpt = None,
    heavy: HeavyOpt = None,
    out: OutOption = None,
) -> None:
    """Class shares (I-III, IV, V, 劣V), the method's label and main pollutants per group."""
    _check(by, queries.BY, "--by")
    _check(period, [p for p in PERIODS if p != "sample"], "--period")
    _check(heavy, sd.method()["group"]["heavy_max_good_share_alternatives"], "--heavy-threshold")
    with open_backend(ctx) as backend:
        expr = queries.attainment(
            backend.ibis,
            by=by,
            period=period,
            year=year,
            heavy_max_good_share=heavy,
            sample_kind=sample_kind,
            **_filters(section, basin, river, city, province, control),
        )
        emit_query(backend, expr, out, title=f"attainment by {by}", columns=SHOW_ATTAIN)


@water_app.command("trophic")
def trophic(
    ctx: typer.Context,
    year: YearOpt = None,
    period: PeriodOpt = "year",
    by: Annotated[
        str, typer.Option("--by", help="section or lake (a lake's sections averaged).")
    ] = "section",
    section: SectionOpt = None,
    basin: BasinOpt = None,
    river: RiverOpt = None,
    city: CityOpt = None,
    province: ProvinceOpt = None,
    control: ControlOpt = None,
    sample_kind: KindOpt = None,
    out: OutOption = None,
) -> None:
    """Trophic level index TLI(Σ) and trophic class of lakes and reservoirs."""
    _check(period, PERIODS, "--period")
    _check(by, ("section", "lake"), "--by")
    with open_backend(ctx) as backend:
        expr = queries.trophic(
            backend.ibis,
            period=period,
            year=year,
            by=by,
            sample_kind=sample_kind,
            **_filters(section, basin, river, city, province, control),
        )
        emit_query(backend, expr, out, title="trophic state", columns=SHOW_TROPHIC)


@water_app.command("change")
def change(
    ctx: typer.Context,
    from_year: Annotated[int, typer.Option("--from-year", help="Earlier year.")],
    to_year: Annotated[int, typer.Option("--to-year", help="Later year.")],
    by: Annotated[str, typer.Option("--by", help=f"Group by: {', '.join(queries.BY)} or section.")] = "basin",
    all_sections: Annotated[
        bool,
        typer.Option(
            "--all-sections", help="Count every section of each year, not only those assessed in both."
        ),
    ] = False,
    section: SectionOpt = None,
    basin: BasinOpt = None,
    river: RiverOpt = None,
    city: CityOpt = None,
    province: ProvinceOpt = None,
    control: ControlOpt = None,
    sample_kind: KindOpt = None,
    heavy: HeavyOpt = None,
    out: OutOption = None,
) -> None:
    """Change between two years: the method's |dG - dD| rule (>= 5 sections) or the level rule."""
    _check(by, (*queries.BY, "section"), "--by")
    with open_backend(ctx) as backend:
        expr = queries.change(
            backend.ibis,
            by=by,
            from_year=from_year,
            to_year=to_year,
            comparable=not all_sections,
            heavy_max_good_share=heavy,
            sample_kind=sample_kind,
            **_filters(section, basin, river, city, province, control),
        )
        result = queries.execute(backend.ibis, expr)
        emit(result, out, title=f"change {from_year} -> {to_year} by {by}", columns=SHOW_CHANGE)
        worse = [
            g
            for g, d in zip(
                result.column("group").to_pylist(), result.column("deterioration").to_pylist(), strict=True
            )
            if d
        ]
        if worse:
            console.print(f"[red]deterioration:[/red] {', '.join(map(str, worse))}")


@water_app.command("trend")
def trend(
    ctx: typer.Context,
    from_year: Annotated[int, typer.Option("--from-year", help="First year.")],
    to_year: Annotated[int, typer.Option("--to-year", help="Last year.")],
    by: Annotated[
        str,
        typer.Option("--by", help=f"{', '.join(queries.BY)} (class shares) or section (item means)."),
    ] = "basin",
    alpha: Annotated[
        float | None, typer.Option("--alpha", help="Significance: 0.05 (default) or 0.01.")
    ] = None,
    section: SectionOpt = None,
    basin: BasinOpt = None,
    river: RiverOpt = None,
    city: CityOpt = None,
    province: ProvinceOpt = None,
    control: ControlOpt = None,
    sample_kind: KindOpt = None,
    out: OutOption = None,
) -> None:
    """Trend over years by Spearman rank correlation, with deterioration flagged."""
    _check(by, (*queries.BY, "section"), "--by")
    _check(alpha, (0.05, 0.01), "--alpha")
    with open_backend(ctx) as backend:
        expr = queries.trend(
            backend.ibis,
            by=by,
            from_year=from_year,
            to_year=to_year,
            alpha=alpha,
            sample_kind=sample_kind,
            **_filters(section, basin, river, city, province, control),
        )
        result = queries.execute(backend.ibis, expr)
        emit(result, out, title=f"trend {from_year}-{to_year} by {by}", columns=SHOW_TREND)
        n_worse = sum(bool(d) for d in result.column("deterioration").to_pylist())
        if n_worse:
            console.print(f"[red]{n_worse} significant deterioration(s)[/red]")


@water_app.command("published")
def published(
    ctx: typer.Context,
    section: SectionOpt = None,
    basin: BasinOpt = None,
    province: ProvinceOpt = None,
    out: OutOption = None,
) -> None:
    """Computed class beside the published one, for every sample that carries a published class."""
    with open_backend(ctx) as backend:
        expr = queries.published_agreement(backend.ibis, sections=section, basins=basin, provinces=province)
        result = queries.execute(backend.ibis, expr)
        emit(result, out, title="computed vs published class", columns=[*SHOW_CLASSIFY, "matches_published"])
        m = result.column("matches_published").to_pylist()
        if m:
            console.print(
                f"agreement: {sum(bool(x) for x in m)} of {len(m)} ({100 * sum(bool(x) for x in m) / len(m):.1f}%)"
            )
