"""``ecoplan demo``: generate Shanxi data for every domain, ingest, assess and summarise in one command."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..demo import run as demo
from ..ingest import IngestSummary
from ..store import Store
from .common import app, console, emit, err_console, settings


class _ConsoleUI(demo.UI):
    """Progress bars on stderr, tables on stdout."""

    def __init__(self) -> None:
        self.ingest_rows: list[tuple[str, IngestSummary]] = []
        self.ingests_printed = False

    @contextlib.contextmanager
    def task(self, label: str, total: float | None) -> Iterator[Callable[..., None]]:
        bar = Progress(
            TextColumn("[bold]{task.description:<20}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[file]}"),
            console=err_console,
        )
        with bar:
            task = bar.add_task(label, total=total, file="")

            def update(completed: float | None = None, advance: float = 0, text: str = "") -> None:
                if completed is not None:
                    bar.update(task, completed=completed * (total or 1) if completed <= 1 else completed)
                if advance:
                    bar.update(task, advance=advance)
                if text:
                    bar.update(task, file=text)

            yield update
            if total:
                bar.update(task, completed=total, file="")

    def ingested(self, store: Store, domain: str, summary: IngestSummary, note: str | None = None) -> None:
        self.ingest_rows.append((domain, summary))
        ids = [o.ingest_id for o in summary.outcomes if o.rejected and o.status != "failed"]
        for o in summary.outcomes:
            if o.status == "failed":
                err_console.print(f"[red]failed[/red] {o.file}: {o.message}")
        if ids:
            rows = store.con.execute(
                'SELECT file, line, "column", value, reason FROM rejects WHERE ingest_id IN '
                "(SELECT unnest(?)) ORDER BY ingest_id, line LIMIT 5",
                [ids],
            ).fetchall()
            t = Table(
                title=f"{domain}: first rejected values (all {summary.total('rejected')} in the rejects table)"
            )
            for col in ("file", "line", "column", "value", "reason"):
                t.add_column(col, overflow="fold")
            for r in rows:
                t.add_row(Path(r[0]).name, str(r[1]), str(r[2] or ""), str(r[3] or ""), r[4])
            console.print(t)
            if note:
                console.print(f"[dim]{domain}: {note} (see data/README.txt)[/dim]")

    def print_ingests(self) -> None:
        if self.ingests_printed:
            return
        self.ingests_printed = True
        t = Table(title="ingest summary")
        for col in ("data", "files", "failed", "values stored", "rejected"):
            t.add_column(col, justify="right" if col != "data" else "left")
        for name, s in self.ingest_rows:
            t.add_row(
                name,
                str(len(s.outcomes)),
                str(len(s.outcomes) - s.files_read),
                str(s.total("stored")),
                str(s.total("rejected")),
            )
        console.print(t)

    def output(self, out: demo.Output) -> None:
        self.print_ingests()  # once, before the first assessment
        if out.table is not None:
            emit(out.table, None, title=out.title, columns=out.columns)
        if out.text:
            console.print(out.text)


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
    """Generate a demonstration data set for Shanxi (GENERATED, not measured), ingest and assess it.

    Air (hourly, the 60 national stations), water (sections of the seven
    rivers, the Yellow River and the five lakes; monthly samples and
    automatic stations), daily flow at gauges on the seven rivers (from
    2010) and the plan's reported indicators.
    """
    root = ctx.find_root()
    source = root.get_parameter_source("db")
    explicit_db = source is not None and source.name != "DEFAULT"
    db = settings(ctx).db if explicit_db else directory / "ecoplan.duckdb"
    start = dt.date(start_year, 1, 1)
    end = until.date() if until else demo.default_end()
    if end < start:
        raise typer.BadParameter(f"--until {end} is before --from-year {start_year}", param_hint="--until")
    directory.mkdir(parents=True, exist_ok=True)
    console.print(
        Panel.fit(
            f"ecoplan demo - GENERATED data for Shanxi, {start} to {end}\n"
            f"files: {directory / 'data'}\nstore: {db}",
            title="demo",
        )
    )
    ui = _ConsoleUI()
    t0 = time.perf_counter()
    run = demo.run_demo(directory, start=start, end=end, seed=seed, db=db, ui=ui)
    ui.print_ingests()
    total = time.perf_counter() - t0
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items())
    console.print(f"timings: {timings}; total {total:.1f} s")
    console.print(
        f"next: ecoplan --db {db} air annual --year {run.latest_year} --by city --out annual.csv\n"
        f"      ecoplan --db {db} water attainment --year {run.latest_year} --by basin\n"
        f"      ecoplan --db {db} flow compliance --year {run.latest_year}"
    )
