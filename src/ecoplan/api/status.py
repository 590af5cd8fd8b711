"""Target status for the API, over :mod:`ecoplan.plan.status`.

The status of every row of the plan is computed once per year asked for
(``None``: as the latest data stand) and kept in the app's result cache until
``indicator_values`` changes (see :mod:`ecoplan.api.cache`); the endpoints
filter that table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import Request

from ..plan import status as plan_status
from .cache import VERSION_SQL
from .common import db_of

# Status columns added to a target row of /api/plan/targets (the row has the plan's fields already).
TARGET_STATUS_COLUMNS = (
    "status",
    "status_zh",
    "status_en",
    "origin",
    "latest_year",
    "latest_value",
    "target_resolved",
    "ratio",
    "observed_rate",
    "required_rate",
    "needed_rate",
    "projected_value",
    "projected_meets",
    "projected_linear",
    "score",
    "n_values",
    "as_of",
)


def full_status(request: Request, year: int | None) -> pa.Table:
    """Status rows of every row of the plan (context rows and triggers included), cached."""
    db = db_of(request)
    plan = request.app.state.plan

    def compute() -> pa.Table:
        return plan_status.status_table(db.backend(), plan, year=year, role=None)

    # the version and the table it is cached under come from the same committed state
    with db.snapshot():
        version = tuple(db.fetch(VERSION_SQL)[0])
        return request.app.state.cache.get_or_compute(("status", plan.id, year), version, compute)


def _isin(table: pa.Table, column: str, values: Sequence[str] | None) -> pa.Table:
    if not values:
        return table
    return table.filter(pc.is_in(table[column], value_set=pa.array(list(values), pa.string())))


def status_table(
    request: Request,
    *,
    year: int | None = None,
    category: Sequence[str] | None = None,
    scope: Sequence[str] | None = None,
    role: Sequence[str] | None = ("target", "trigger"),
    status: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> pa.Table:
    """The status table filtered; ``scope`` entries match a scope, its canonical form or a ``type:`` prefix."""
    t = full_status(request, year)
    t = _isin(t, "role", role)
    t = _isin(t, "category", category)
    t = _isin(t, "status", status)
    t = _isin(t, "id", ids)
    if scope:
        plan = request.app.state.plan
        aliases = plan.scopes.aliases
        wanted = list(scope) + [aliases.get(s, s) for s in scope]
        keep = [
            any(s == w or aliases.get(s, s) == w or (w.endswith(":") and s.startswith(w)) for w in wanted)
            for s in t["scope"].to_pylist()
        ]
        t = t.filter(pa.array(keep, pa.bool_()))
    return t


def status_rows(request: Request, *, year: int | None, target_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Status rows by target id."""
    t = status_table(request, year=year, role=None, ids=target_ids)
    return {r["id"]: r for r in t.to_pylist()}


def rollup(status: pa.Table, by: Sequence[str]) -> pa.Table:
    return plan_status.rollup_table(status, by=tuple(by))
