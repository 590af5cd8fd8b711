"""Tables as responses: pagination, JSON envelope or CSV.

Every list endpoint answers with a page of rows:

- JSON (default): ``{"items": [...], "total": N, "limit": L, "offset": O}``;
  NULL is ``null``, times are ISO 8601 text (naive China Standard Time).
- CSV (``?format=csv`` or ``Accept: text/csv``): UTF-8 with a byte-order
  mark so that Excel shows Chinese text correctly; the same page of rows.

Both carry ``X-Total-Count`` (rows before pagination), ``X-Limit`` and
``X-Offset`` headers. ``limit`` defaults to the app's ``default_limit``; a
``limit`` above ``max_limit`` is refused (422) rather than cut silently.

A table is either an Arrow table (an assessment, computed in full and then
sliced) or an Ibis expression with its sort keys (a stored table, counted and
sliced by the engine).
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from .errors import ApiError

Format = Literal["json", "csv"]
BOM = "\ufeff".encode()


class Page(BaseModel):
    """A page of rows."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": Page,
        "description": "A page of rows (JSON envelope), or CSV with `format=csv` / `Accept: text/csv`.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {
            "X-Total-Count": {"description": "Rows before pagination", "schema": {"type": "integer"}},
        },
    }
}


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    format: Format


def paging(
    request: Request,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            description="Rows per page (default 1000; at most the server's max_limit, 50000 unless set).",
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
    format: Annotated[
        Format | None,
        Query(description="json (default) or csv (UTF-8 with BOM); `Accept: text/csv` also selects csv."),
    ] = None,
) -> Paging:
    settings = request.app.state.settings
    if limit is None:
        limit = settings.default_limit
    elif limit > settings.max_limit:
        raise ApiError(
            422,
            "limit_too_large",
            f"limit {limit} is above the maximum of {settings.max_limit} rows per page",
        )
    if format is None:
        accept = request.headers.get("accept", "")
        format = "csv" if "text/csv" in accept and "application/json" not in accept else "json"
    return Paging(limit=limit, offset=offset, format=format)


@dataclass
class Lazy:
    """A stored table as an Ibis expression, sliced by the engine in ``order`` (a unique key)."""

    expr: Any
    order: list[Any]


def page_of(backend: Any, data: pa.Table | Lazy, p: Paging) -> tuple[pa.Table, int]:
    """The requested page and the total row count."""
    if isinstance(data, Lazy):
        total = int(backend.execute(data.expr.count()))
        if p.offset >= total:
            page = backend.to_pyarrow(data.expr.limit(0))
        else:
            page = backend.to_pyarrow(data.expr.order_by(data.order).limit(p.limit, offset=p.offset))
        return page, total
    return data.slice(p.offset, p.limit), data.num_rows


def json_cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list):
        return [json_cell(x) for x in v]
    if isinstance(v, dict):
        return {k: json_cell(x) for k, x in v.items()}
    return v


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """Arrow rows as JSON-safe dicts (NULL and NaN as None, times as ISO text)."""
    return [{k: json_cell(v) for k, v in r.items()} for r in table.to_pylist()]


def _csv_ready(table: pa.Table) -> pa.Table:
    """Columns CSV cannot hold as they are (lists, structs, maps) as text."""
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            text = [
                None if v is None else ",".join("" if x is None else str(x) for x in v)
                for v in col.to_pylist()
            ]
            col = pa.chunked_array([pa.array(text, pa.string())])
        elif pa.types.is_struct(t) or pa.types.is_map(t) or pa.types.is_binary(t):
            col = pa.chunked_array(
                [pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())]
            )
        elif pa.types.is_floating(t):
            # NaN is written as NULL, as everywhere in ecoplan
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, t), col)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def csv_bytes(table: pa.Table) -> bytes:
    """UTF-8 CSV with BOM, header included."""
    sink = io.BytesIO()
    sink.write(BOM)
    if table.num_columns:
        pacsv.write_csv(_csv_ready(table), sink, pacsv.WriteOptions(include_header=True))
    return sink.getvalue()


def respond(
    request: Request,
    data: pa.Table | Lazy,
    p: Paging,
    *,
    name: str = "table",
    extra: dict[str, Any] | None = None,
) -> Response:
    """A page of ``data`` as JSON (envelope, plus ``extra`` keys) or CSV (``name``.csv)."""
    if isinstance(data, Lazy):
        db = request.app.state.db
        with db.snapshot():  # the page and its total from the same committed state
            page, total = page_of(db.backend(), data, p)
    else:
        page, total = page_of(None, data, p)
    headers = {"X-Total-Count": str(total), "X-Limit": str(p.limit), "X-Offset": str(p.offset)}
    if p.format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return Response(csv_bytes(page), media_type="text/csv; charset=utf-8", headers=headers)
    body = {"items": rows(page), "total": total, "limit": p.limit, "offset": p.offset}
    if extra:
        body.update(extra)
    return JSONResponse(body, headers=headers)


def from_rows(items: list[dict[str, Any]]) -> pa.Table:
    """An Arrow table from Python rows (keys of the first row first)."""
    if not items:
        return pa.table({})
    names: dict[str, None] = {}
    for r in items:
        names.update(dict.fromkeys(r))
    return pa.Table.from_pylist([{k: r.get(k) for k in names} for r in items])


PageDep = Annotated[Paging, Depends(paging)]
