"""``ecoplan serve`` (the REST API) and ``ecoplan token ...`` (API tokens)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from .common import app, console, err_console, open_store, settings

token_app = typer.Typer(
    help="API tokens: create (shown once, stored hashed), list, revoke.", no_args_is_help=True
)
app.add_typer(token_app, name="token")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
    auth_read: Annotated[
        bool,
        typer.Option("--auth-read", help="Require a token on read endpoints too (default: reads are open)."),
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin", help="Origin allowed to call the API cross-origin (repeatable; default none)."
        ),
    ] = None,
    max_upload_mb: Annotated[
        float | None,
        typer.Option("--max-upload-mb", help="Largest upload request [MiB] (default 100).", min=0.001),
    ] = None,
    plan: Annotated[
        str | None, typer.Option("--plan", help="Bundled plan id or plan file (default: the bundled plan).")
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="critical, error, warning, info or debug.")
    ] = "info",
) -> None:
    """Serve the REST API (and the dashboard when installed) over the store.

    One process serves every request (DuckDB lets one process write the
    file); reads run in parallel threads, uploads one at a time. Environment
    variables ECOPLAN_API_* set the same options (see ecoplan.api.settings).
    """
    import uvicorn

    from ..api import Settings, create_app

    try:
        cfg = Settings.from_env(
            auth_read=True if auth_read else None,
            cors_origins=tuple(cors_origin) if cors_origin else None,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024) if max_upload_mb else None,
            plan=plan,
        )
        api = create_app(settings(ctx).db, cfg)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if host not in LOOPBACK:
        err_console.print(
            f"[yellow]listening on {host}: the API is reachable from other machines; "
            "put it behind a TLS proxy and consider --auth-read[/yellow]"
        )
    reads = "need a token" if cfg.auth_read else "open"
    err_console.print(
        f"ecoplan API on http://{host}:{port}/ (OpenAPI at /openapi.json; reads {reads}, uploads need a write token)"
    )
    uvicorn.run(api, host=host, port=port, workers=1, log_level=log_level, server_header=False)


def _when(v: object) -> str:
    if v is None:
        return ""
    return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else str(v)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who or what uses the token.")],
    scope: Annotated[
        str, typer.Option("--scope", help="read, write (uploads) or admin (token administration).")
    ] = "read",
) -> None:
    """Create a token and print it once: only its hash is stored."""
    from ..api.auth import TokenError, create_token

    with open_store(ctx) as store:
        try:
            token_id, token = create_token(store, name, scope)
        except TokenError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    err_console.print(f"token {token_id} ({scope}) for {name}; it is shown once, keep it safe:")
    typer.echo(token)


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """Every token: id, name, scope, created, revoked (never the token)."""
    from ..api.auth import list_tokens

    with open_store(ctx) as store:
        rows = list_tokens(store)
    table = Table(title=f"{len(rows)} tokens")
    for col in ("id", "name", "scope", "created", "revoked"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["token_id"], r["name"], r["scope"], _when(r["created_at"]), _when(r["revoked_at"]))
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context, token_id: Annotated[str, typer.Argument(help="Token id (see token list).")]
) -> None:
    """Revoke a token: the API refuses it from now on."""
    from ..api.auth import TokenError, revoke_token

    with open_store(ctx) as store:
        try:
            info = revoke_token(store, token_id)
        except TokenError as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(f"token {info['token_id']} ({info['name']}) revoked at {_when(info['revoked_at'])}")
