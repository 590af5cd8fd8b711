"""Uploads: ``POST /api/ingest/{domain}`` with one or more files (multipart field ``files``).

Needs a token with the ``write`` scope. The files go through the same readers
and :func:`~ecoplan.ingest.ingest_files` as ``ecoplan ingest``, with the same
guarantees: one transaction for the whole request, nothing stored twice, a
changed value kept in the history, every rejected cell kept with its line,
column and reason, a file that cannot be read logged as failed and storing
nothing. Uploads are serialised (one ingest at a time); reads go on meanwhile.

Answers 200 with one outcome per file when at least one file was read, 422
(error ``unreadable_upload``, with the outcomes) when none could be, 415 when
a file's type is not accepted (nothing read), 413 when the body is too large.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..ingest import IngestSummary
from ..readers import AIR_FORMATS, air_reader_for, station_reader
from ..readers.flow import UNIT_FACTORS, flow_reader_for, flow_unit, gauge_reader
from ..readers.water import FORMAT_ALIASES, WATER_FORMATS, section_reader, water_reader_for
from ..store import Store
from .auth import WriteToken
from .common import check_year, db_of
from .errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from .uploads import ingest_staged, staged

router = APIRouter(prefix="/api/ingest", tags=["ingest"])

MAX_REJECTS_SHOWN = 20


class FileResult(BaseModel):
    file: str
    status: Literal["ok", "partial", "failed"]
    ingest_id: int | None
    reader: str
    rows_read: int
    stored: int
    replaced: int
    unchanged: int
    rejected: int
    message: str


class Totals(BaseModel):
    files: int
    read: int
    failed: int
    stored: int
    replaced: int
    unchanged: int
    rejected: int


class RejectRow(BaseModel):
    ingest_id: int
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


class IngestResponse(BaseModel):
    """What an upload did."""

    domain: str
    files: list[FileResult]
    totals: Totals
    rejects: list[RejectRow]
    rejects_note: str


RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    **AUTH_RESPONSES,
    413: {"model": ErrorBody, "description": "Body above the upload limit, or too many files"},
    415: {"model": ErrorBody, "description": "A file of an unsupported type (nothing was read)"},
    422: {
        "model": ErrorBody,
        "description": "No file could be read (each is logged as failed), or a bad parameter",
    },
}

Files = Annotated[
    list[UploadFile],
    File(description="One or more files (CSV, Excel .xlsx or Parquet), as with `ecoplan ingest`."),
]


def _summary_body(store: Store, domain: str, summary: IngestSummary) -> dict[str, Any]:
    outcomes = [o.as_row() for o in summary.outcomes]
    ids = [o.ingest_id for o in summary.outcomes if o.rejected and o.ingest_id is not None]
    first = []
    if ids:
        res = store.con.execute(
            'SELECT ingest_id, file, line, "column", value, reason FROM rejects WHERE ingest_id IN '
            "(SELECT unnest(?::BIGINT[])) ORDER BY ingest_id, line LIMIT ?",
            [ids, MAX_REJECTS_SHOWN],
        ).fetchall()
        first = [
            {"ingest_id": r[0], "file": r[1], "line": r[2], "column": r[3], "value": r[4], "reason": r[5]}
            for r in res
        ]
    total_rejected = summary.total("rejected")
    return {
        "domain": domain,
        "files": outcomes,
        "totals": {
            "files": len(summary.outcomes),
            "read": summary.files_read,
            "failed": len(summary.outcomes) - summary.files_read,
            "stored": summary.total("stored"),
            "replaced": summary.total("replaced"),
            "unchanged": summary.total("unchanged"),
            "rejected": total_rejected,
        },
        "rejects": first,
        "rejects_note": (
            f"first {len(first)} of {total_rejected} rejected values; all are at /api/ingests/{{id}}/rejects"
            if total_rejected
            else "nothing rejected"
        ),
    }


def run_upload(
    request: Request,
    files: list[UploadFile],
    domain: str,
    make_reader_for: Callable[[Store], Callable[[str, bytes], Any]],
    *,
    log_domain: str | None = None,
) -> JSONResponse:
    """Stage the files, ingest them under the write lock, answer with the outcomes."""
    settings = request.app.state.settings
    db = db_of(request)
    with staged(files, dict(settings.upload_types), settings.max_files) as items, db.writing() as store:
        summary = ingest_staged(store, items, make_reader_for(store), domain=log_domain or domain)
        body = _summary_body(store, domain, summary)
    if summary.nothing_read:
        reasons = "; ".join(o.message for o in summary.outcomes if o.message)[:2000]
        return JSONResponse(
            {
                "error": {
                    "code": "unreadable_upload",
                    "message": f"no file could be read (each is logged as failed): {reasons}",
                    **body,
                }
            },
            status_code=422,
        )
    return JSONResponse(body)


def _codes(store: Store, sql: str) -> set[str]:
    return {r[0] for r in store.con.execute(sql).fetchall()}


# -- air ----------------------------------------------------------------------------


@router.post("/air", summary="Upload air-quality files", response_model=IngestResponse, responses=RESPONSES)
def ingest_air(
    request: Request,
    _principal: WriteToken,
    files: Files,
    format: Annotated[
        str | None, Query(description=f"Force a reader: {', '.join(AIR_FORMATS)} (default: by content).")
    ] = None,
    require_stations: Annotated[
        bool, Query(description="Reject values of stations not in the stored station list.")
    ] = False,
) -> JSONResponse:
    """Daily site files or per-hour files of the national platform, long or wide tables."""
    if format is not None and format not in AIR_FORMATS:
        raise ApiError(
            422, "invalid_parameter", f"unknown air format {format!r}; known: {', '.join(AIR_FORMATS)}"
        )

    def make(store: Store):
        known = _codes(store, "SELECT code FROM sites WHERE kind = 'air'") if require_stations else None
        return lambda f, h: air_reader_for(f, h, fmt=format, stations=known)

    return run_upload(request, files, "air", make)


@router.post(
    "/stations", summary="Upload air station lists", response_model=IngestResponse, responses=RESPONSES
)
def ingest_stations(request: Request, files: Files, _principal: WriteToken) -> JSONResponse:
    """Station lists: code, city, name, background flag, coordinates."""
    return run_upload(request, files, "stations", lambda _s: station_reader, log_domain="air")


# -- water --------------------------------------------------------------------------


@router.post(
    "/water", summary="Upload water-quality files", response_model=IngestResponse, responses=RESPONSES
)
def ingest_water(
    request: Request,
    _principal: WriteToken,
    files: Files,
    format: Annotated[
        str | None,
        Query(
            description=f"Force a reader: {', '.join([*FORMAT_ALIASES, *WATER_FORMATS])} (default: by content)."
        ),
    ] = None,
    year: Annotated[
        int | None, Query(description="Year of automatic-station exports whose times have none.")
    ] = None,
    sample_kind: Annotated[
        Literal["manual", "auto"] | None, Query(description="For files without a sample-kind column.")
    ] = None,
    require_sections: Annotated[bool, Query(description="Reject values of sections not stored.")] = False,
) -> JSONResponse:
    """Long or wide sample tables (CSV/Excel) and automatic-station exports."""
    check_year(year)
    if format is not None and FORMAT_ALIASES.get(format, format) not in WATER_FORMATS:
        known = ", ".join([*FORMAT_ALIASES, *WATER_FORMATS])
        raise ApiError(422, "invalid_parameter", f"unknown water format {format!r}; known: {known}")

    def make(store: Store):
        known = _codes(store, "SELECT code FROM sections") if require_sections else None
        return lambda f, h: water_reader_for(
            f, h, fmt=format, sections=known, year=year, sample_kind=sample_kind
        )

    return run_upload(request, files, "water", make)


@router.post(
    "/sections", summary="Upload water section lists", response_model=IngestResponse, responses=RESPONSES
)
def ingest_sections(request: Request, files: Files, _principal: WriteToken) -> JSONResponse:
    """Section lists: 断面编码, 断面名称, 河流, 流域, 城市, 类型, 控制级别, 经度, 纬度."""
    return run_upload(request, files, "sections", lambda _s: section_reader, log_domain="water")


# -- flow ---------------------------------------------------------------------------


@router.post(
    "/flow", summary="Upload daily discharge files", response_model=IngestResponse, responses=RESPONSES
)
def ingest_flow(
    request: Request,
    _principal: WriteToken,
    files: Files,
    gauge: Annotated[
        str | None,
        Query(description="Gauge code of files without a gauge column (default: from the file name)."),
    ] = None,
    unit: Annotated[
        str | None, Query(description=f"Discharge unit of files that give none: {', '.join(UNIT_FACTORS)}.")
    ] = None,
    require_gauges: Annotated[bool, Query(description="Reject discharge of gauges not stored.")] = False,
) -> JSONResponse:
    """Daily discharge (gauge, date, discharge) and gauge lists, by content."""
    if unit is not None and flow_unit(unit) is None:
        raise ApiError(
            422, "invalid_parameter", f"unknown unit {unit!r}; use one of {', '.join(UNIT_FACTORS)}"
        )

    def make(store: Store):
        known = (
            dict(store.con.execute("SELECT code, name FROM gauges").fetchall()) if require_gauges else None
        )
        return lambda f, h: flow_reader_for(f, h, known, gauge=gauge, unit=unit)

    return run_upload(request, files, "flow", make)


@router.post("/gauges", summary="Upload gauge lists", response_model=IngestResponse, responses=RESPONSES)
def ingest_gauges(request: Request, files: Files, _principal: WriteToken) -> JSONResponse:
    """Gauge lists: code, name, river, section, basin, coordinates."""
    return run_upload(request, files, "gauges", lambda _s: gauge_reader, log_domain="flow")


# -- reported indicators ----------------------------------------------------------------


@router.post(
    "/indicators",
    summary="Upload reported indicator values",
    response_model=IngestResponse,
    responses=RESPONSES,
)
def ingest_indicators(request: Request, files: Files, _principal: WriteToken) -> JSONResponse:
    """Yearly statistics of the plan's reported indicators: indicator (id or Chinese name), scope,
    year, value, optional unit, source and note; checked against the served plan's vocabulary and
    scopes (see ``ecoplan.readers.indicators``)."""
    from ..readers.indicators import reader_for

    plan = request.app.state.plan
    return run_upload(request, files, "indicators", lambda _s: reader_for(plan), log_domain="plan")
