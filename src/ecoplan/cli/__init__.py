"""The ``ecoplan`` command line.

A single global option ``--db PATH`` (or ``$ECOPLAN_DB``) selects the DuckDB
store; the default is ``./ecoplan.duckdb``. Sub-commands live in one module
each and register themselves on :data:`app` when imported below.
"""

from __future__ import annotations

import importlib

from .common import app

# Modules defining sub-commands; each attaches its commands to ``app`` (or to
# a sub-app it owns) when imported.
COMMAND_MODULES = (
    "ingest",
    "air",
    "demo",
    "flow",
    "plan",
    "water",
    "serve",
    "status",
    "maintenance",
    "export",
    "report",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}")


def main() -> None:
    from ..store import StoreBusy

    try:
        app()
    except StoreBusy as exc:  # another process holds the store: say so, without a traceback
        from .common import err_console

        err_console.print(f"[red]{exc}[/red]", highlight=False)
        raise SystemExit(2) from None


__all__ = ["app", "main"]
