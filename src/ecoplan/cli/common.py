"""Shared pieces of the command line: the app, the store and engine options, output and progress."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..output import OutputError, to_frame, write_query, write_table
from ..store import DEFAULT_DB, Store

if TYPE_CHECKING:
    from ..engine import Backend

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="ecoplan",
    help="Monitoring, assessment and early warning for an ecological-protection plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class Settings:
    db: Path
    engine: str = "duckdb"
    data: str | None = None
    spark_master: str | None = None


ENGINES = ("duckdb", "spark")


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[
        Path,
        typer.Option("--db", envvar="ECOPLAN_DB", help="DuckDB store file.", show_default=True),
    ] = Path(DEFAULT_DB),
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            envvar="ECOPLAN_ENGINE",
            help="Where assessments run: duckdb (the store) or spark (an exchange directory, --data).",
        ),
    ] = "duckdb",
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            envvar="ECOPLAN_DATA",
            help="Exchange directory of Parquet files (`ecoplan export parquet`): "
            "needed by --engine spark; with duckdb it is read instead of the store.",
        ),
    ] = None,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            envvar="ECOPLAN_SPARK_MASTER",
            help="Spark master URL (default local[2]: local mode with two threads).",
        ),
    ] = None,
) -> None:
    if engine not in ENGINES:
        raise typer.BadParameter(f"must be one of {', '.join(ENGINES)}", param_hint="--engine")
    ctx.obj = Settings(db=db, engine=engine, data=data, spark_master=spark_master)


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if obj is None:  # called without the callback (tests)
        obj = Settings(
            db=Path(os.environ.get("ECOPLAN_DB") or DEFAULT_DB),
            engine=os.environ.get("ECOPLAN_ENGINE") or "duckdb",
            data=os.environ.get("ECOPLAN_DATA") or None,
            spark_master=os.environ.get("ECOPLAN_SPARK_MASTER") or None,
        )
    return obj


def open_store(ctx: typer.Context, *, read_only: bool = False) -> Store:
    path = settings(ctx).db
    if read_only and not path.exists():
        err_console.print(f"[red]no store at {path}[/red] (ingest data first, or pass --db)")
        raise typer.Exit(2)
    return Store(path, read_only=read_only)


def open_backend(ctx: typer.Context) -> Backend:
    """The backend the read commands assess: the store, or Spark (or DuckDB) over ``--data``.

    A context manager with ``.ibis`` (the Ibis backend the query modules take).
    """
    from ..engine import EngineError
    from ..engine import open_backend as _open

    s = settings(ctx)
    try:
        return _open(s.engine, db=s.db, data=s.data, master=s.spark_master)
    except EngineError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write the table to a .csv, .parquet or .json file instead of printing it."
    ),
]
FromOption = Annotated[
    dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD.")
]
ToOption = Annotated[
    dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, YYYY-MM-DD.")
]


def emit(
    data: Any, out: Path | None, *, title: str = "", max_rows: int = 60, columns: list[str] | None = None
) -> None:
    """Write ``data`` to ``out``, or print it as a table.

    The printed table shows the first ``max_rows`` rows and, when given, only
    ``columns`` (those present); files always get every row and column.
    """
    if out is not None:
        try:
            path = write_table(data, out)
        except OutputError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        n = data.num_rows if isinstance(data, pa.Table) else len(to_frame(data))
        console.print(f"wrote {n} rows to {path}")
        return
    frame = to_frame(data)
    hidden = 0
    if columns:
        shown = [c for c in columns if c in frame.columns]
        hidden = len(frame.columns) - len(shown)
        frame = frame[shown]
    table = Table(title=title or None, show_lines=False)
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*[_cell(v) for v in row.tolist()])
    console.print(table)
    if len(frame) > max_rows:
        console.print(f"[dim]{len(frame) - max_rows} more rows; use --out FILE for all {len(frame)}[/dim]")
    if hidden:
        console.print(f"[dim]{hidden} more columns; use --out FILE for all of them[/dim]")


def emit_query(
    backend: Any, expr: Any, out: Path | None, *, title: str = "", columns: list[str] | None = None
) -> None:
    """Print the rows of an Ibis expression, or write them to ``out``, as :func:`emit` does.

    A .parquet file is written without gathering the rows
    (:func:`ecoplan.output.write_query`: DuckDB writes it itself, another
    engine hands the rows over a batch at a time), so that a national year's
    report never sits in memory whole; the other outputs gather it.
    """
    if out is not None and out.suffix.lower() == ".parquet":
        path, rows = write_query(backend.ibis, expr, out)
        console.print(f"wrote {rows} rows to {path}")
        return
    emit(backend.ibis.to_pyarrow(expr), out, title=title, columns=columns)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN from pandas conversion of NULL
            return ""
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:.6g}"
    if hasattr(v, "isoformat"):
        text = v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
        return text
    return str(v)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[file]}"),
        console=err_console,
        transient=False,
    )


def as_date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None
