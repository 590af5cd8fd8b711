"""``ecoplan check``, ``ecoplan backup FILE`` and ``ecoplan restore FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .. import maintenance
from .common import app, console, err_console, open_store, settings


@app.command("check")
def check_command(ctx: typer.Context) -> None:
    """Verify the store: unique keys, references, canonical units, no NaN, ingest log consistent with rows."""
    with open_store(ctx, read_only=True) as store:
        report = maintenance.check(store)
    t = Table(title=f"check of {settings(ctx).db}")
    t.add_column("check")
    t.add_column("result")
    t.add_column("detail", overflow="fold")
    for f in report.findings:
        t.add_row(f.check, "[green]ok[/green]" if f.ok else "[red]FAILED[/red]", f.detail)
    console.print(t)
    if not report.ok:
        raise typer.Exit(1)


@app.command("backup")
def backup_command(
    ctx: typer.Context, target: Annotated[Path, typer.Argument(help="New DuckDB file to write the copy to.")]
) -> None:
    """Write a consistent copy of the whole store to a new file."""
    with open_store(ctx) as store:
        try:
            path = maintenance.backup(store, target)
        except FileExistsError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    console.print(f"backup written to {path}")


@app.command("restore")
def restore_command(
    ctx: typer.Context, backup: Annotated[Path, typer.Argument(help="A file written by ecoplan backup.")]
) -> None:
    """Replace the store by a backup (the current store is kept beside it as .bak)."""
    db = settings(ctx).db
    try:
        maintenance.restore(backup, db)
    except (ValueError, OSError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"restored {db} from {backup}")
