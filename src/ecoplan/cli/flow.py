"""``ecoplan ingest flow`` and ``ecoplan flow ...``: daily discharge and eco-flow compliance."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from ..flow import queries
from ..flow.ecoflow import EcoflowRule, load_rule
from ..ingest import expand_paths
from ..readers.flow import UNIT_FACTORS, flow_reader_for, flow_unit, gauge_reader
from .common import FromOption, OutOption, ToOption, app, as_date, emit_query, open_backend, open_store
from .ingest import FilesArg, finish, ingest_app, run_ingest

flow_app = typer.Typer(
    help="Ecological flow: daily compliance with the plan's seasonal thresholds.", no_args_is_help=True
)
app.add_typer(flow_app, name="flow")


@ingest_app.command("flow")
def ingest_flow(
    ctx: typer.Context,
    files: FilesArg,
    gauges: Annotated[
        Path | None,
        typer.Option(
            "--gauges", help="Gauge list (CSV/Excel); with it, discharge of other gauges is rejected."
        ),
    ] = None,
    gauge: Annotated[
        str | None,
        typer.Option(
            "--gauge", help="Gauge code for files without a gauge column (default: from the file name)."
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            help="Discharge unit of files that give none: m3/s or cfs (1 cfs = 0.028316846592 m3/s).",
        ),
    ] = None,
    require_gauges: Annotated[
        bool,
        typer.Option("--require-gauges", help="Reject gauges not already in the store's gauge list."),
    ] = False,
) -> None:
    """Ingest daily discharge files (gauge, date, discharge) and gauge lists."""
    if unit is not None and flow_unit(unit) is None:
        raise typer.BadParameter(
            f"unknown unit {unit!r}; use one of {', '.join(UNIT_FACTORS)}", param_hint="--unit"
        )
    with open_store(ctx) as store:
        known = None
        if gauges is not None:
            s = run_ingest(store, [str(gauges)], gauge_reader, domain="flow", label="gauges")
            if s.nothing_read:
                finish(s)
        if gauges is not None or require_gauges:
            known = dict(store.con.execute("SELECT code, name FROM gauges").fetchall())
        summary = run_ingest(
            store,
            expand_paths(files),
            lambda f, h: flow_reader_for(f, h, known, gauge=gauge, unit=unit),
            domain="flow",
            label="flow",
        )
    finish(summary)


@ingest_app.command("gauges")
def ingest_gauges(ctx: typer.Context, files: FilesArg) -> None:
    """Ingest gauge lists (code, name, river, section, basin, lat, lon)."""
    with open_store(ctx) as store:
        summary = run_ingest(store, expand_paths(files), gauge_reader, domain="flow", label="gauges")
    finish(summary)


# -- options of the rule ---------------------------------------------------------

GaugeOpt = Annotated[list[str] | None, typer.Option("--gauge", help="Gauge code (repeatable).")]
RiverOpt = Annotated[list[str] | None, typer.Option("--river", help="River name, e.g. 汾河 (repeatable).")]
ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference-years",
        help="Years of the multi-year mean: A-B or a list A,B,C (default: every year not flagged for gaps).",
    ),
]
FloodOpt = Annotated[
    str | None, typer.Option("--flood-months", help="Flood-season months, e.g. 6,7,8,9 (the default).")
]
ThresholdOpt = Annotated[
    str | None,
    typer.Option(
        "--thresholds", help="Non-flood and flood shares of the multi-year mean: 0.1,0.2 or 10%,20%."
    ),
]
BaseOpt = Annotated[
    str | None,
    typer.Option("--base", help="Multi-year mean the shares apply to: annual (default) or season."),
]
MissingOpt = Annotated[
    float | None,
    typer.Option(
        "--max-missing", help="Flag a year or season when more than this share of days is missing (0.1)."
    ),
]
YearStartOpt = Annotated[
    int | None,
    typer.Option(
        "--year-start-month", help="First month of the assessment year: 1 (calendar) or 10 (water year)."
    ),
]


def parse_years(text: str | None) -> list[int] | None:
    """``"1967-2018"`` -> that range; ``"1990,1995"`` -> those years."""
    if text is None:
        return None
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{4})\s*[-–~]\s*(\d{4})", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a > b:
                raise typer.BadParameter(f"{part}: first year after last", param_hint="--reference-years")
            years.update(range(a, b + 1))
        elif re.fullmatch(r"\d{4}", part):
            years.add(int(part))
        else:
            raise typer.BadParameter(f"{part!r} is not a year or A-B", param_hint="--reference-years")
    return sorted(years)


def _numbers(text: str, hint: str) -> list[float]:
    out = []
    for part in text.replace("，", ",").split(","):
        part = part.strip()
        try:
            out.append(float(part[:-1]) / 100 if part.endswith("%") else float(part))
        except ValueError as exc:
            raise typer.BadParameter(f"{part!r} is not a number", param_hint=hint) from exc
    return out


def rule_from_options(
    flood_months: str | None,
    thresholds: str | None,
    base: str | None,
    max_missing: float | None,
    year_start_month: int | None,
) -> EcoflowRule:
    months = None
    if flood_months is not None:
        months = [int(m) for m in _numbers(flood_months, "--flood-months")]
    shares = _numbers(thresholds, "--thresholds") if thresholds is not None else None
    try:
        return load_rule(
            flood_months=months,
            thresholds=shares,
            base=base,
            max_missing_share=max_missing,
            year_start_month=year_start_month,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


SHOW_COMPLIANCE = [
    "gauge",
    "name",
    "year",
    "period_zh",
    "expected_days",
    "observed_days",
    "missing_days",
    "gap_flag",
    "mean_flow",
    "threshold",
    "compliant_days",
    "compliance_rate",
    "longest_shortfall_run",
    "min_7day_mean",
    "min_7day_ratio",
]
SHOW_DAILY = [
    "gauge",
    "date",
    "season",
    "discharge",
    "threshold",
    "compliant",
    "shortfall_run",
    "flow_7d",
    "flow_7d_ratio",
]


@flow_app.command("compliance")
def compliance(
    ctx: typer.Context,
    year: Annotated[list[int] | None, typer.Option("--year", help="Assessment year (repeatable).")] = None,
    gauge: GaugeOpt = None,
    river: RiverOpt = None,
    reference_years: ReferenceOpt = None,
    flood_months: FloodOpt = None,
    thresholds: ThresholdOpt = None,
    base: BaseOpt = None,
    max_missing: MissingOpt = None,
    year_start_month: YearStartOpt = None,
    out: OutOption = None,
) -> None:
    """Eco-flow compliance per gauge and year, with non-flood and flood season rows."""
    rule = rule_from_options(flood_months, thresholds, base, max_missing, year_start_month)
    refs = parse_years(reference_years)
    with open_backend(ctx) as backend:
        expr = queries.compliance(
            backend.ibis, year=year or None, gauges=gauge, rivers=river, reference_years=refs, rule=rule
        )
        emit_query(backend, expr, out, title="eco-flow compliance", columns=SHOW_COMPLIANCE)


@flow_app.command("daily")
def daily(
    ctx: typer.Context,
    gauge: GaugeOpt = None,
    river: RiverOpt = None,
    start: FromOption = None,
    end: ToOption = None,
    reference_years: ReferenceOpt = None,
    flood_months: FloodOpt = None,
    thresholds: ThresholdOpt = None,
    base: BaseOpt = None,
    max_missing: MissingOpt = None,
    year_start_month: YearStartOpt = None,
    out: OutOption = None,
) -> None:
    """Daily flow with its threshold, compliance, shortfall run and 7-day mean (missing days included)."""
    rule = rule_from_options(flood_months, thresholds, base, max_missing, year_start_month)
    refs = parse_years(reference_years)
    with open_backend(ctx) as backend:
        expr = queries.daily_status(
            backend.ibis,
            gauges=gauge,
            rivers=river,
            start=as_date(start),
            end=as_date(end),
            reference_years=refs,
            rule=rule,
        )
        emit_query(backend, expr, out, title="daily eco-flow", columns=SHOW_DAILY)
