"""``ecoplan report``: the yearly report as a self-contained HTML page or an Excel workbook."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..plan import PlanError, resolve_plan
from .common import app, console, err_console, open_store


@app.command("report")
def report(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="The year reported on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The report file (.html or .xlsx).")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="html or xlsx (default: from the --out suffix)."),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan", help="Bundled plan id or path to a plan YAML file (default: shanxi-2021-2025)."
        ),
    ] = None,
) -> None:
    """Write the report of one year: plan status, air, water, eco-flow, warnings and data provenance.

    The HTML page opens offline (charts included, nothing fetched) and prints
    on A4; the workbook has a cover sheet and one sheet per table. Every table
    holds the numbers the REST API returns for the same year (the cover and the
    provenance section name the query).
    """
    from ..report import format_for, write_report
    from ..report.build import collect

    try:
        chosen = format_for(out, fmt)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from exc
    if lang not in ("zh", "en"):
        raise typer.BadParameter(f"{lang!r}: use zh or en", param_hint="--lang")
    if not 1949 <= year <= 2100:
        raise typer.BadParameter(f"{year} is not a year in 1949..2100", param_hint="--year")
    try:
        p = resolve_plan(plan)
    except PlanError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    t0 = time.perf_counter()
    with open_store(ctx, read_only=True) as store:
        data = collect(store, year, plan=p)
    t1 = time.perf_counter()
    path = write_report(None, year, out, fmt=chosen, lang=lang, data=data)
    t2 = time.perf_counter()
    empty = [
        name
        for name, keys in (
            ("air", ("air_annual",)),
            ("water", ("water_attainment",)),
            ("eco-flow", ("ecoflow",)),
            ("plan status", ("status",)),
        )
        if all(data.tables[k].num_rows == 0 for k in keys)
    ]
    if empty:
        err_console.print(f"[yellow]no {', '.join(empty)} data for {year}[/yellow]")
    if data.is_generated:
        console.print("[bold red]the store holds GENERATED data: the report says so[/bold red]")
    size = path.stat().st_size
    console.print(
        f"wrote {path} ({chosen}, {size / 1e6:.1f} MB) in {t2 - t0:.1f} s "
        f"(tables {t1 - t0:.1f} s, {chosen} {t2 - t1:.1f} s)"
    )
