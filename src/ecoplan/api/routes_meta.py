"""What is stored: stations, sections, gauges, the ingest log and its rejects; health."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..store import SCHEMA_VERSION
from .auth import require_read
from .common import backend_of, clean, date_range, db_of
from .errors import READ_RESPONSES, ApiError
from .respond import TABLE_RESPONSES, Lazy, PageDep, json_cell, respond

router = APIRouter(prefix="/api", dependencies=[Depends(require_read)], responses=READ_RESPONSES)


def _isin(t, col: str, values: list[str] | None):
    values = clean(values)
    return t if not values else t.filter(t[col].isin(values))


@router.get("/health", tags=["meta"], summary="Health")
def health(request: Request) -> dict[str, Any]:
    """Whether the API can read its store: the schema version and the last ingest."""
    row = db_of(request).fetch(
        "SELECT ingest_id, domain, file, status, finished_at FROM ingest_log ORDER BY ingest_id DESC LIMIT 1"
    )
    last = (
        dict(zip(("ingest_id", "domain", "file", "status", "finished_at"), row[0], strict=True))
        if row
        else None
    )
    return {
        "status": "ok",
        "schema_version": SCHEMA_VERSION,
        "store": db_of(request).path.name,
        "last_ingest": {k: json_cell(v) for k, v in last.items()} if last else None,
    }


@router.get("/sites", tags=["meta"], summary="Air stations", responses=TABLE_RESPONSES)
def sites(
    request: Request,
    page: PageDep,
    city: Annotated[list[str] | None, Query(description="City (repeatable).")] = None,
    province: Annotated[list[str] | None, Query(description="Province (repeatable).")] = None,
    code: Annotated[list[str] | None, Query(description="Station code (repeatable).")] = None,
    background: Annotated[
        bool | None, Query(description="Only background (对照点) stations, or only others.")
    ] = None,
) -> Response:
    """Air monitoring stations: code, name, city, province, coordinates, background flag."""
    t = backend_of(request).table("sites")
    t = _isin(_isin(_isin(t, "city", city), "province", province), "code", code)
    if background is not None:
        t = t.filter(t.is_background == background)
    return respond(request, Lazy(t, [t.code]), page, name="sites")


@router.get("/sections", tags=["meta"], summary="Water sections", responses=TABLE_RESPONSES)
def sections(
    request: Request,
    page: PageDep,
    basin: Annotated[list[str] | None, Query(description="Basin (repeatable).")] = None,
    river: Annotated[list[str] | None, Query(description="River or lake (repeatable).")] = None,
    city: Annotated[list[str] | None, Query(description="City (repeatable).")] = None,
    kind: Annotated[list[str] | None, Query(description="Kind, e.g. 河流, 湖库 (repeatable).")] = None,
    control: Annotated[list[str] | None, Query(description="Control level (repeatable).")] = None,
    code: Annotated[list[str] | None, Query(description="Section code (repeatable).")] = None,
) -> Response:
    """Water-quality sections: code, name, river, basin, city, kind, control level, coordinates."""
    t = backend_of(request).table("sections")
    for col, values in (
        ("basin", basin),
        ("river", river),
        ("city", city),
        ("kind", kind),
        ("control_level", control),
        ("code", code),
    ):
        t = _isin(t, col, values)
    return respond(request, Lazy(t, [t.code]), page, name="sections")


@router.get("/gauges", tags=["meta"], summary="Flow gauges", responses=TABLE_RESPONSES)
def gauges(
    request: Request,
    page: PageDep,
    river: Annotated[list[str] | None, Query(description="River (repeatable).")] = None,
    basin: Annotated[list[str] | None, Query(description="Basin (repeatable).")] = None,
    code: Annotated[list[str] | None, Query(description="Gauge code (repeatable).")] = None,
) -> Response:
    """Hydrological gauges: code, name, river, the water-quality section served, basin, coordinates."""
    t = backend_of(request).table("gauges")
    t = _isin(_isin(_isin(t, "river", river), "basin", basin), "code", code)
    return respond(request, Lazy(t, [t.code]), page, name="gauges")


@router.get("/ingests", tags=["ingest"], summary="Ingest log", responses=TABLE_RESPONSES)
def ingests(
    request: Request,
    page: PageDep,
    domain: Annotated[list[str] | None, Query(description="air, water, flow, plan ... (repeatable).")] = None,
    status: Annotated[
        list[Literal["ok", "partial", "failed"]] | None,
        Query(description="ok, partial (some values rejected) or failed (nothing read) (repeatable)."),
    ] = None,
    start: Annotated[dt.date | None, Query(description="Ingests started on or after this day.")] = None,
    end: Annotated[dt.date | None, Query(description="Ingests started on or before this day.")] = None,
) -> Response:
    """One row per ingested file, newest first: reader, checksum, rows read, stored, replaced,
    unchanged and rejected, status and message."""
    s, e = date_range(start, end)
    t = backend_of(request).table("ingest_log")
    t = _isin(t, "domain", domain)
    if status:
        t = t.filter(t.status.isin(list(status)))
    if s is not None:
        t = t.filter(t.started_at >= dt.datetime.combine(s, dt.time()))
    if e is not None:
        t = t.filter(t.started_at < dt.datetime.combine(e + dt.timedelta(days=1), dt.time()))
    return respond(request, Lazy(t, [t.ingest_id.desc()]), page, name="ingests")


def _ingest_row(request: Request, ingest_id: int) -> dict[str, Any]:
    cur = db_of(request).cursor()
    res = cur.execute("SELECT * FROM ingest_log WHERE ingest_id = ?", [ingest_id])
    names = [d[0] for d in res.description]
    row = res.fetchone()
    if row is None:
        raise ApiError(404, "unknown_ingest", f"unknown ingest id {ingest_id}")
    return {k: json_cell(v) for k, v in zip(names, row, strict=True)}


@router.get("/ingests/{ingest_id}", tags=["ingest"], summary="One ingest")
def ingest(request: Request, ingest_id: int) -> dict[str, Any]:
    """The ingest log entry of one file."""
    return _ingest_row(request, ingest_id)


@router.get(
    "/ingests/{ingest_id}/rejects",
    tags=["ingest"],
    summary="Rejected values of one ingest",
    responses=TABLE_RESPONSES,
)
def rejects(request: Request, page: PageDep, ingest_id: int) -> Response:
    """Every value the reader rejected in that file: line, column, value and reason (a file that
    could not be read at all has one row with the reason)."""
    _ingest_row(request, ingest_id)
    t = backend_of(request).table("rejects")
    t = t.filter(t.ingest_id == ingest_id)
    return respond(
        request, Lazy(t, [t.line, t["column"], t.value, t.reason]), page, name=f"rejects-{ingest_id}"
    )
