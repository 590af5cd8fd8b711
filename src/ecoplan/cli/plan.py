"""``ecoplan plan ...``: the plan's targets, groups and indicator vocabulary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..plan import PlanError, clause_problems, resolve_plan
from ..plan.model import Plan
from .common import OutOption, app, console, emit, err_console

plan_app = typer.Typer(help="The plan: targets, groups and indicators.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

PlanOption = Annotated[
    str | None,
    typer.Option(
        "--plan",
        help="Bundled plan id or path to a plan YAML file (default: the bundled shanxi-2021-2025).",
    ),
]

SHOW_TARGETS = [
    "id",
    "name_zh",
    "scope",
    "comparator",
    "value",
    "unit",
    "year",
    "flags",
    "kind",
    "baseline_value",
]
SHOW_INDICATORS = ["id", "name_zh", "name_en", "unit", "direction", "kind", "origin"]


def load(value: str | None) -> Plan:
    """The plan named by ``--plan``, or exit with the loader's message."""
    try:
        return resolve_plan(value)
    except PlanError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@plan_app.command("show")
def show(
    plan: PlanOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Title, period, counts of targets per category and kind, and the groups."""
    p = load(plan)
    summary = p.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{p.title.zh}[/bold]")
    console.print(p.title.en)
    console.print(
        f"{p.issuer.zh} / {p.issuer.en}; period {p.period.start}-{p.period.end}, "
        f"baseline year {p.baseline_year}; source {p.source.file}"
    )
    c = summary["counts"]
    console.print(
        f"{c['targets']} targets, {c['triggers']} triggers, {c['context']} context figures; "
        f"{c['computed']} computed from monitoring data, {c['reported']} reported"
    )
    table = Table(title="Targets by category")
    for col in ("category", "zh", "en", "target", "trigger", "context", "computed", "reported"):
        table.add_column(col, justify="right" if col not in ("category", "zh", "en") else "left")
    for cid, row in summary["categories"].items():
        table.add_row(
            cid,
            row["zh"],
            row["en"],
            *[str(row.get(k, 0)) for k in ("target", "trigger", "context", "computed", "reported")],
        )
    console.print(table)
    groups = Table(title="Groups")
    for col in ("id", "zh", "members", "source"):
        groups.add_column(col, overflow="fold")
    for g in summary["groups"]:
        groups.add_row(g["id"], g["zh"], "、".join(g["members"]) or "(none listed)", g["source"])
    console.print(groups)


@plan_app.command("targets")
def targets(
    plan: PlanOption = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Only this category (repeatable).")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="Only this scope, e.g. province, basin:汾河, group:jjj-4; 'basin:' for every basin (repeatable).",
        ),
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="target, trigger or context (repeatable).")
    ] = None,
    out: OutOption = None,
) -> None:
    """One row per target with every field, the quoted clause included."""
    p = load(plan)
    unknown = sorted(set(category or []) - set(p.categories))
    if unknown:
        raise typer.BadParameter(
            f"unknown category {', '.join(unknown)}; the plan has {', '.join(p.categories)}",
            param_hint="--category",
        )
    rows = p.target_rows(category=category, scope=scope, role=role)
    if not rows:
        err_console.print("no target matches")
        raise typer.Exit(1)
    emit(
        _typed(rows) if out is not None else rows,
        out,
        title=f"{p.id}: {len(rows)} rows",
        columns=SHOW_TARGETS,
    )


def _typed(rows: list[dict]) -> object:
    """Rows as a frame whose years stay integers and flags booleans beside empty cells."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    for col in ("year", "baseline_year", "baseline_from_year"):
        frame[col] = frame[col].astype("Int64")
    for col in ("per_member", "baseline_achieved", "baseline_derived"):
        frame[col] = frame[col].astype("boolean")
    return frame


@plan_app.command("indicators")
def indicators(plan: PlanOption = None, out: OutOption = None) -> None:
    """The indicator vocabulary the plan uses (bundled ones and the plan's own)."""
    rows = load(plan).indicator_rows()
    emit(rows, out, title=f"{len(rows)} indicators", columns=SHOW_INDICATORS)


@plan_app.command("check")
def check(
    text: Annotated[Path, typer.Option("--text", help="The plan's text file (UTF-8).")],
    plan: PlanOption = None,
) -> None:
    """Check every quoted clause, and the figures in it, against the plan's text."""
    p = load(plan)
    try:
        body = text.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err_console.print(f"[red]{text}: cannot read the text ({exc})[/red]")
        raise typer.Exit(2) from exc
    problems = clause_problems(p, body)
    for line in problems:
        console.print(line)
    if problems:
        err_console.print(f"[red]{len(problems)} problems in {len(p.targets)} rows[/red]")
        raise typer.Exit(1)
    console.print(f"all {len(p.targets)} clauses found in {text.name}, every figure in its clause")
