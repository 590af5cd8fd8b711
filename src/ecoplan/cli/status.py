"""``ecoplan status``, ``indicators``, ``warnings``, ``alerts``, ``assess`` and ``ingest indicators``.

The plan's figures in four steps, each a command and a Python function:

1. indicator values: ``ecoplan indicators compute`` (computed from the store,
   :func:`ecoplan.plan.indicators.write_indicators`) and ``ecoplan ingest
   indicators FILE`` (reported figures, :mod:`ecoplan.readers.indicators`);
2. status of every target: ``ecoplan status`` (:func:`ecoplan.plan.status.status_table`);
3. warnings: ``ecoplan warnings --refresh`` (:func:`ecoplan.alerts.store.refresh_warnings`)
   and ``ecoplan warnings`` to list them;
4. ``ecoplan assess`` runs 1 (computed values), 2 and 3 in one go.

``ecoplan alerts --forecast FILE`` grades a forecast of daily AQI by city
without touching the store (unless ``--save``).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer

from ..alerts import store as alert_store
from ..output import json_records, to_frame
from ..plan import PlanError, resolve_plan
from ..plan import indicators as plan_indicators
from ..plan import status as plan_status
from ..plan.model import Plan
from ..readers import indicators as indicator_reader
from ..readers.base import ReadError
from ..readers.tables import read_table
from .common import OutOption, app, console, emit, err_console, open_store
from .ingest import FilesArg, finish, ingest_app, run_ingest

PlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="Bundled plan id or path to a plan YAML file (default: shanxi-2021-2025)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")]

SHOW_STATUS = [
    "id",
    "scope",
    "baseline_value",
    "latest_value",
    "latest_year",
    "comparator",
    "target_value",
    "target_year",
    "status_zh",
    "projected_value",
]
SHOW_WARNINGS = ["kind", "level", "scope", "start_time", "end_time", "active", "message_zh"]
SHOW_VALUES = ["indicator", "scope", "year", "origin", "value", "unit", "note"]
SHOW_EPISODES = ["city", "level_zh", "start", "end", "duration_hours", "max_aqi", "rule_zh", "lifted"]


def _plan(value: str | None) -> Plan:
    try:
        return resolve_plan(value)
    except PlanError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _years(text: str | None) -> list[int] | None:
    """``2020-2025``, ``2023`` or ``2020,2022`` -> a list of years."""
    if not text:
        return None
    years: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                years.extend(range(lo, hi + 1))
            else:
                years.append(int(part))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: give years as 2020-2025, 2023 or 2020,2022", param_hint="--years"
        ) from None
    return sorted(set(years))


def _output(data, out: Path | None, as_json: bool, *, title: str, columns: list[str]) -> None:
    if as_json and out is None:
        records = json_records(to_frame(data))
        for r in records:
            for key in ("evidence", "values"):
                if isinstance(r.get(key), str):
                    with contextlib.suppress(json.JSONDecodeError):
                        r[key] = json.loads(r[key])
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    emit(data, out, title=title, columns=columns)


def _print_gaps(gaps: list[str], limit: int = 12) -> None:
    for g in gaps[:limit]:
        console.print(f"[dim]not computed: {g}[/dim]")
    if len(gaps) > limit:
        console.print(f"[dim]... and {len(gaps) - limit} more[/dim]")


# ---------------------------------------------------------------------------
# indicators

indicators_app = typer.Typer(
    help="Indicator values of the plan: compute them from the store, or list what is stored.",
    no_args_is_help=True,
)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("compute")
def indicators_compute(
    ctx: typer.Context,
    plan: PlanOption = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Years, e.g. 2020-2025 (default: all with data).")
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial", help="Also store incomplete years (with a note) instead of leaving them out."
        ),
    ] = False,
    all_sections: Annotated[
        bool,
        typer.Option(
            "--all-sections",
            help="Province water figures over every section, not only national-control ones.",
        ),
    ] = False,
) -> None:
    """Compute every indicator the data allow (air, water, lakes, eco-flow) and store it.

    Re-running replaces the values (replaced ones kept in the history); computed values the data
    no longer give are retired to the history.
    """
    p = _plan(plan)
    with open_store(ctx) as store:
        summary = plan_indicators.write_indicators(
            store,
            p,
            years=_years(years),
            complete_only=not partial,
            province_control=None if all_sections else ("national",),
        )
    console.print(
        f"{summary['values']} values computed ({', '.join(summary['domains']) or 'no data'}): "
        f"{summary['stored']} stored, {summary['replaced']} replaced, {summary['unchanged']} unchanged, "
        f"{summary['retired']} retired"
    )
    _print_gaps(summary["gaps"])


@indicators_app.command("show")
def indicators_show(
    ctx: typer.Context,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="Indicator id (repeatable).")
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Scope, e.g. province, city:太原市 (repeatable).")
    ] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="computed or reported.")] = None,
    years: Annotated[str | None, typer.Option("--years", help="Years, e.g. 2020-2025.")] = None,
    plan: PlanOption = None,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """Stored indicator values (every origin), with the method and note behind each."""
    p = _plan(plan)
    try:
        scopes = [plan_indicators.scope_key(p, s) for s in scope or []] or None
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="--scope") from exc
    with open_store(ctx, read_only=True) as store:
        table = plan_indicators.indicator_values(
            store.ibis,
            indicators=indicator,
            scopes=scopes,
            origins=[origin] if origin else None,
            years=_years(years),
        )
    _output(table, out, as_json, title=f"{table.num_rows} indicator values", columns=SHOW_VALUES)


@ingest_app.command("indicators")
def ingest_indicators(ctx: typer.Context, files: FilesArg, plan: PlanOption = None) -> None:
    """Ingest reported indicator values (CSV/Excel: indicator, scope, year, value, source, note; 指标, 范围, 年份, 数值, 来源, 备注)."""
    from ..ingest import expand_paths

    p = _plan(plan)
    with open_store(ctx) as store:
        summary = run_ingest(
            store, expand_paths(files), indicator_reader.reader_for(p), domain="plan", label="indicators"
        )
    finish(summary)


# ---------------------------------------------------------------------------
# status


@app.command("status")
def status(
    ctx: typer.Context,
    plan: PlanOption = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Status as it stood at the end of this year.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Only this category (repeatable).")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope", help="Only this scope (province, city:太原市, basin:, group:jjj-4 ...; repeatable)."
        ),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="target, trigger or context (default: target and trigger)."),
    ] = None,
    rollup: Annotated[
        str | None,
        typer.Option(
            "--rollup", help="Instead of targets, count statuses by 'category', 'scope' or 'category,scope'."
        ),
    ] = None,
    baseline_from: Annotated[
        str,
        typer.Option(
            "--baseline-from", help="data (the series' base-year value) or plan (the plan's figure)."
        ),
    ] = "data",
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """One row per target: baseline, latest value, target, status (zh/en), projection and required rate.

    Reads the stored indicator values; run `ecoplan assess` (or `indicators compute`) first.
    """
    p = _plan(plan)
    unknown = sorted(set(category or []) - set(p.categories))
    if unknown:
        raise typer.BadParameter(
            f"unknown category {', '.join(unknown)}; the plan has {', '.join(p.categories)}",
            param_hint="--category",
        )
    if baseline_from not in ("data", "plan"):
        raise typer.BadParameter("data or plan", param_hint="--baseline-from")
    with open_store(ctx, read_only=True) as store:
        table = plan_status.status_table(
            store, p, year=year, category=category, scope=scope, role=role or ("target", "trigger"),
            baseline_from=baseline_from,
        )  # fmt: skip
    if table.num_rows == 0:
        err_console.print("no target matches")
        raise typer.Exit(1)
    if rollup:
        by = [b.strip() for b in rollup.split(",") if b.strip()]
        if not set(by) <= {"category", "scope"}:
            raise typer.BadParameter("category, scope or category,scope", param_hint="--rollup")
        counts = plan_status.rollup_table(table, by=by)
        _output(counts, out, as_json, title=f"statuses by {', '.join(by)}", columns=list(counts.column_names))
        return
    title = f"{p.id}: {table.num_rows} targets" + (f", as of {year}" if year else "")
    _output(table, out, as_json, title=title, columns=SHOW_STATUS)
    if out is None and not as_json:
        frame = table.to_pandas()
        counts = frame["status_zh"].value_counts()
        console.print("; ".join(f"{k} {v}" for k, v in counts.items()))


# ---------------------------------------------------------------------------
# warnings and alerts


@app.command("warnings")
def warnings(
    ctx: typer.Context,
    active: Annotated[
        bool, typer.Option("--active", help="Only warnings whose condition still holds.")
    ] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="heavy_pollution, ecoflow, deterioration or target (repeatable)."),
    ] = None,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="Only this scope (repeatable).")] = None,
    level: Annotated[
        list[str] | None, typer.Option("--level", help="yellow, orange, red ... (repeatable).")
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="First recompute the indicator values and every warning from the store (as `ecoplan assess`).",
        ),
    ] = False,
    plan: PlanOption = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Alert rules file overriding rules.toml.")
    ] = None,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """Stored warnings: level, scope, start, end, whether still active, the rule and its evidence.

    With --refresh the warnings are recomputed first; re-running never duplicates a warning.
    """
    for k in kind or []:
        if k not in alert_store.KINDS:
            raise typer.BadParameter(f"{k}: use one of {', '.join(alert_store.KINDS)}", param_hint="--kind")
    if refresh:
        p = _plan(plan)
        with open_store(ctx) as store:
            summary = _refresh(store, p, rules)
        _print_refresh(summary)
    with open_store(ctx, read_only=True) as store:
        table = alert_store.read_warnings(
            store, active=True if active else None, kinds=kind, scopes=scope, levels=level
        )
    _output(table, out, as_json, title=f"{table.num_rows} warnings", columns=SHOW_WARNINGS)


def _refresh(store, p: Plan, rules: Path | None, *, compute: bool = True, years=None) -> dict:
    try:
        return alert_store.refresh_warnings(store, p, rules_file=rules, compute=compute, years=years)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _print_refresh(summary: dict) -> None:
    ind = summary.get("indicators")
    if ind:
        console.print(
            f"indicators: {ind['values']} values ({', '.join(ind['domains']) or 'no data'}): {ind['stored']} stored, "
            f"{ind['replaced']} replaced, {ind['unchanged']} unchanged, {ind['retired']} retired"
        )
        _print_gaps(ind["gaps"], limit=6)
    found = ", ".join(f"{k} {v}" for k, v in summary["found"].items()) or "none"
    saved = summary["saved"]
    console.print(
        f"warnings since {summary['since']}: found {found}; {saved['inserted']} new, {saved['updated']} updated, "
        f"{saved['unchanged']} unchanged, {saved['retired']} no longer raised"
    )


@app.command("assess")
def assess(
    ctx: typer.Context,
    plan: PlanOption = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Years to compute, e.g. 2020-2025 (default: all).")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Alert rules file overriding rules.toml.")
    ] = None,
    out: OutOption = None,
) -> None:
    """Compute indicator values, target statuses and warnings in one go, and summarise them.

    Steps: `indicators compute`, then every warning (`warnings --refresh`), then the status roll-up.
    --out writes the status table.
    """
    p = _plan(plan)
    with open_store(ctx) as store:
        summary = _refresh(store, p, rules, years=_years(years))
        table = plan_status.status_table(store, p)
        active = alert_store.read_warnings(store, active=True)
    _print_refresh(summary)
    counts = plan_status.rollup_table(table, by=("category",)).to_pandas()
    shown = counts[counts["total"] > counts["not_assessable"]]
    if len(shown):
        emit(shown, None, title="targets by category (categories with data)")
    frame = table.to_pandas()
    targets = frame[frame["role"] == "target"]
    console.print("targets: " + "; ".join(f"{k} {v}" for k, v in targets["status_zh"].value_counts().items()))
    console.print(f"active warnings: {active.num_rows}")
    if out is not None:
        emit(table, out)


@app.command("alerts")
def alerts(
    ctx: typer.Context,
    forecast: Annotated[
        Path,
        typer.Option(
            "--forecast", help="Forecast of daily AQI by city (CSV/Excel: city, date, aqi; 城市, 日期, AQI)."
        ),
    ],
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Warning table overriding heavy_pollution.toml (e.g. stricter cities)."),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Also store the warnings (in --db) as forecast warnings.")
    ] = False,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    """Grade a forecast of daily AQI into heavy-pollution warnings (yellow/orange/red, merged, lifted).

    Nothing is written to the store unless --save is given.
    """
    try:
        frame = read_table(str(forecast), forecast.read_bytes())
    except OSError as exc:
        err_console.print(f"[red]{forecast}: cannot read ({exc.strerror or exc})[/red]")
        raise typer.Exit(2) from exc
    except ReadError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    try:
        episodes, found = alert_store.forecast_warnings(frame, rules_file=rules, plan=_plan(None))
    except ValueError as exc:
        err_console.print(f"[red]{forecast}: {exc}[/red]")
        raise typer.Exit(2) from exc
    from ..alerts.pollution import episodes_frame

    table = episodes_frame(episodes)
    if save:
        with open_store(ctx) as store:
            counts = alert_store.save_warnings(store, found)
        console.print(
            f"stored: {counts['inserted']} new, {counts['updated']} updated, {counts['unchanged']} unchanged"
        )
    if not len(table) and out is None and not as_json:
        console.print("no warning: the forecast stays below the yellow condition")
        return
    _output(table, out, as_json, title=f"{len(table)} warning episodes", columns=SHOW_EPISODES)


__all__ = ["alerts", "assess", "indicators_app", "status", "warnings"]
