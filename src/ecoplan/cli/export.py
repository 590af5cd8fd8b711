"""``ecoplan export parquet DIR``: the store as an exchange directory for Spark (or any Parquet reader)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..export import LAYOUT, ExportError, export_parquet
from .common import app, console, err_console, open_store

export_app = typer.Typer(help="Export the store's tables.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("parquet")
def parquet(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Exchange directory to write (empty or new).")],
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help=f"Only this table (repeatable): {', '.join(LAYOUT)}."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the tables and manifest of an earlier export there.")
    ] = False,
) -> None:
    """Write the store as Parquet files partitioned for Spark, with a manifest (docs/exchange-format.md).

    Observations by parameter/year/month, water samples by item/year, flows by
    year, metadata tables as single files. Then run any assessment there with
    ``ecoplan --engine spark --data DIR ...``.
    """
    with open_store(ctx, read_only=True) as store:
        try:
            manifest = export_parquet(store, directory, tables=table, overwrite=overwrite)
        except ExportError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    out = Table(title=f"exported to {directory}")
    for col in ("table", "rows", "files", "MB", "first", "last"):
        out.add_column(col, justify="right" if col in ("rows", "files", "MB") else "left")
    for name, t in manifest["tables"].items():
        out.add_row(
            name,
            f"{t['rows']:,}",
            str(t["files"]),
            f"{t['bytes'] / 2**20:.1f}",
            t["time_min"] or "",
            t["time_max"] or "",
        )
    console.print(out)
