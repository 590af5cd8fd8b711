"""``ecoplan demo``: generate Shanxi data, ingest, assess and summarise in one command."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from ..demo import run as demo
from ..store import Store
from .common import app, console, emit, progress_bar, settings
from .ingest import print_summary

SHOW = [
    "city",
    "period",
    "pm2_5_mean",
    "pm10_mean",
    "o3_8h_p90",
    "good_ratio",
    "heavy_days",
    "composite_index",
]


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the generated files, the store and reports.")
    ] = Path("demo-output"),
    start_year: Annotated[int, typer.Option("--from-year", help="First year generated.")] = 2020,
    until: Annotated[
        dt.datetime | None,
        typer.Option("--until", formats=["%Y-%m-%d"], help="Last day generated (default: yesterday)."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the generator (same seed, same data).")
    ] = 20201231,
) -> None:
    """Generate a demonstration data set for Shanxi (GENERATED, not measured), ingest and assess it."""
    root = ctx.find_root()
    source = root.get_parameter_source("db")
    explicit_db = source is not None and source.name != "DEFAULT"
    db = settings(ctx).db if explicit_db else directory / "ecoplan.duckdb"
    start = dt.date(start_year, 1, 1)
    end = until.date() if until else demo.default_end()
    directory.mkdir(parents=True, exist_ok=True)
    console.print(
        Panel.fit(
            f"ecoplan demo - GENERATED data for Shanxi, {start} to {end}\nfiles: {directory / 'data'}\nstore: {db}",
            title="demo",
        )
    )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("generate", total=None, file="")

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        files = demo.generate(directory, start, end, seed=seed, step=step)
    timings["generate"] = time.perf_counter() - t0

    if db.exists():
        db.unlink()  # the demo store is rebuilt from the generated files every time
    t0 = time.perf_counter()
    with Store(db) as store:
        total = sum(p.stat().st_size for p in files["air"])
        with progress_bar() as bar:
            task = bar.add_task("ingest air", total=total, file="")
            summaries = demo.ingest(
                store, files, progress=lambda n, f: bar.update(task, advance=n, file=Path(f).name)
            )
        print_summary(store, summaries["air"])
        timings["ingest"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        years = list(range(start.year, end.year + 1))
        annual = demo.air_annual(store, years)
        timings["assess"] = time.perf_counter() - t0
    latest = (
        max(y for y in years if dt.date(y, 12, 31) <= end) if end >= dt.date(start.year, 12, 31) else end.year
    )
    rows = (
        annual.filter(annual.column("period").to_numpy() == dt.date(latest, 1, 1))
        if annual.num_rows
        else annual
    )
    emit(rows, None, title=f"air quality by city, {latest} (GENERATED data)", columns=SHOW)
    console.print(
        "timings: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f"\nnext: ecoplan --db {db} air annual --year {latest} --by city --out annual.csv"
    )
