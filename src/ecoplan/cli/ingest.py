"""``ecoplan ingest ...``: load files into the store."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..ingest import IngestSummary, expand_paths, ingest_files
from ..readers import AIR_FORMATS, air_reader_for, station_reader
from ..store import Store
from .common import app, console, err_console, open_store, progress_bar

ingest_app = typer.Typer(
    help="Load monitoring files into the store (nothing stored twice, rejects kept).", no_args_is_help=True
)
app.add_typer(ingest_app, name="ingest")

FilesArg = Annotated[list[Path], typer.Argument(help="Files or folders to read.", exists=False)]


def run_ingest(
    store: Store,
    files: list[str],
    reader_for: Callable,
    *,
    domain: str,
    label: str,
    commit_every: int | None = None,
) -> IngestSummary:
    """Ingest with a progress bar and print the summary."""
    total = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
    with progress_bar() as bar:
        task = bar.add_task(label, total=total or None, file="")

        def advance(n: int, file: str) -> None:
            bar.update(task, advance=n, file=Path(file).name)

        summary = ingest_files(
            store, files, reader_for, domain=domain, progress=advance, commit_every=commit_every
        )
    print_summary(store, summary)
    return summary


def print_summary(store: Store, summary: IngestSummary, *, max_rejects: int = 10) -> None:
    t = Table(title="ingest summary")
    for col in ("files", "read", "failed", "rows stored", "replaced", "unchanged", "rejected"):
        t.add_column(col, justify="right")
    failed = len(summary.outcomes) - summary.files_read
    t.add_row(
        str(len(summary.outcomes)),
        str(summary.files_read),
        str(failed),
        str(summary.total("stored")),
        str(summary.total("replaced")),
        str(summary.total("unchanged")),
        str(summary.total("rejected")),
    )
    console.print(t)
    for o in summary.outcomes:
        if o.status == "failed":
            err_console.print(f"[red]failed[/red] {o.message}")
    ids = [o.ingest_id for o in summary.outcomes if o.rejected and o.status != "failed"]
    if ids:
        rows = store.con.execute(
            'SELECT file, line, "column", value, reason FROM rejects WHERE ingest_id IN '
            "(SELECT unnest(?)) ORDER BY ingest_id, line LIMIT ?",
            [ids, max_rejects],
        ).fetchall()
        rt = Table(title=f"first rejected values (all {summary.total('rejected')} are in the rejects table)")
        for col in ("file", "line", "column", "value", "reason"):
            rt.add_column(col)
        for r in rows:
            rt.add_row(Path(r[0]).name, str(r[1]), str(r[2] or ""), str(r[3] or ""), r[4])
        console.print(rt)


def finish(summary: IngestSummary) -> None:
    if summary.nothing_read:
        err_console.print("[red]nothing could be read[/red]")
        raise typer.Exit(1)


@ingest_app.command("air")
def ingest_air(
    ctx: typer.Context,
    files: FilesArg,
    stations: Annotated[
        Path | None,
        typer.Option(
            "--stations", help="Station list (CSV); with it, values of other stations are rejected."
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"Force a reader: {', '.join(AIR_FORMATS)} (default: by content)."),
    ] = None,
    require_stations: Annotated[
        bool,
        typer.Option("--require-stations", help="Reject stations not already in the store's station list."),
    ] = False,
    commit_every: Annotated[
        int | None,
        typer.Option(
            "--commit-every",
            min=1,
            help="Commit after each N files (each group atomic) instead of once: "
            "for archives too large to hold in one transaction's memory.",
        ),
    ] = None,
) -> None:
    """Ingest air-quality files: daily site files, per-hour national files, long or wide tables."""
    with open_store(ctx) as store:
        known = None
        if stations is not None:
            s = run_ingest(store, [str(stations)], station_reader, domain="air", label="stations")
            if s.nothing_read:
                finish(s)
        if stations is not None or require_stations:
            known = {r[0] for r in store.con.execute("SELECT code FROM sites WHERE kind = 'air'").fetchall()}
        paths = expand_paths(files)
        summary = run_ingest(
            store,
            paths,
            lambda f, h: air_reader_for(f, h, fmt=fmt, stations=known),
            domain="air",
            label="air",
            commit_every=commit_every,
        )
    finish(summary)


@ingest_app.command("stations")
def ingest_stations(ctx: typer.Context, files: FilesArg) -> None:
    """Ingest air station lists (code, city, name, background flag, coordinates)."""
    with open_store(ctx) as store:
        summary = run_ingest(store, expand_paths(files), station_reader, domain="air", label="stations")
    finish(summary)
