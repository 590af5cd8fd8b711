"""Warnings: the active ones, or the whole history (:func:`ecoplan.alerts.store.read_warnings`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..alerts.store import read_warnings
from .auth import require_read
from .common import backend_of, clean, date_range, db_of
from .errors import READ_RESPONSES, ApiError
from .respond import TABLE_RESPONSES, PageDep, json_cell, respond

router = APIRouter(
    prefix="/api", tags=["warnings"], dependencies=[Depends(require_read)], responses=READ_RESPONSES
)


@router.get("/warnings", summary="Warnings", responses=TABLE_RESPONSES)
def warnings(
    request: Request,
    page: PageDep,
    history: Annotated[
        bool,
        Query(description="false (default): active warnings only; true: every warning, ended ones included."),
    ] = False,
    kind: Annotated[
        list[str] | None,
        Query(description="Kind, e.g. pollution, ecoflow, deterioration, target (repeatable)."),
    ] = None,
    level: Annotated[
        list[str] | None, Query(description="Level: blue, yellow, orange or red (repeatable).")
    ] = None,
    scope: Annotated[list[str] | None, Query(description="Scope, e.g. city:太原市 (repeatable).")] = None,
    start: Annotated[dt.date | None, Query(description="Warnings in force on or after this day.")] = None,
    end: Annotated[dt.date | None, Query(description="Warnings in force on or before this day.")] = None,
) -> Response:
    """Warnings newest first: kind, rule, level, scope, start and end (end exclusive), whether
    active, the evidence (JSON) and the message in Chinese and English."""
    s, e = date_range(start, end)
    table = read_warnings(
        backend_of(request),
        active=None if history else True,
        kinds=clean(kind),
        levels=clean(level),
        scopes=clean(scope),
    )
    if s is not None:
        since = pa.scalar(dt.datetime.combine(s, dt.time()), pa.timestamp("us"))
        table = table.filter(
            pc.or_kleene(pc.is_null(table["end_time"]), pc.greater_equal(table["end_time"], since))
        )
    if e is not None:
        until = pa.scalar(dt.datetime.combine(e + dt.timedelta(days=1), dt.time()), pa.timestamp("us"))
        table = table.filter(pc.less(table["start_time"], until))
    return respond(request, table, page, name="warnings-history" if history else "warnings-active")


@router.get("/warnings/{warning_id}", summary="One warning")
def warning(request: Request, warning_id: str) -> dict[str, Any]:
    """One warning by id, with its evidence."""
    res = db_of(request).cursor().execute("SELECT * FROM warnings WHERE warning_id = ?", [warning_id])
    names = [d[0] for d in res.description]
    row = res.fetchone()
    if row is None:
        raise ApiError(404, "unknown_warning", f"unknown warning id {warning_id!r}")
    return {k: json_cell(v) for k, v in zip(names, row, strict=True)}
