"""Pieces shared by the routers: checks of codes, years and date ranges."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
from fastapi import Request

from .cache import VERSION_SQL
from .db import Database
from .errors import ApiError

MIN_YEAR, MAX_YEAR = 1949, 2100

# table, code column and the word used in messages
CODE_TABLES = {
    "station": ("sites", "code"),
    "section": ("sections", "code"),
    "gauge": ("gauges", "code"),
}


def db_of(request: Request) -> Database:
    return request.app.state.db


def backend_of(request: Request):
    return request.app.state.db.backend()


def clean(values: Sequence[str] | None) -> list[str] | None:
    """Repeated query values without blanks and repeats (None when nothing is left)."""
    if not values:
        return None
    out = list(dict.fromkeys(v.strip() for v in values if v is not None and v.strip()))
    return out or None


def known_codes(request: Request, kind: str, codes: Sequence[str] | None) -> list[str] | None:
    """``codes`` when every one is stored; else 404 naming the unknown ones."""
    codes = clean(codes)
    if not codes:
        return None
    table, col = CODE_TABLES[kind]
    found = {
        r[0]
        for r in db_of(request).fetch(
            f"SELECT {col} FROM {table} WHERE {col} IN (SELECT unnest(?::VARCHAR[]))", [codes]
        )
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise ApiError(
            404, f"unknown_{kind}", f"unknown {kind} code{'s' if len(unknown) > 1 else ''}: {shown}{more}"
        )
    return codes


def check_year(year: int | None, name: str = "year") -> int | None:
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise ApiError(
            422,
            "invalid_parameter",
            f"query parameter {name!r}: {year} is not a year in {MIN_YEAR}..{MAX_YEAR}",
        )
    return year


def check_years(years: Sequence[int] | None, name: str = "year") -> list[int] | None:
    if not years:
        return None
    for y in years:
        check_year(y, name)
    return sorted(set(years))


def date_range(
    start: dt.date | None,
    end: dt.date | None,
    *,
    year: int | None = None,
    max_days: int | None = None,
    required: bool = False,
) -> tuple[dt.date | None, dt.date | None]:
    """Check a start..end range (or take a year's); refuse an empty, missing or too long one."""
    if year is not None:
        check_year(year)
        if start is not None or end is not None:
            raise ApiError(422, "invalid_parameter", "give either year or start/end, not both")
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if required and (start is None or end is None):
        raise ApiError(
            422, "invalid_parameter", "query parameters 'start' and 'end' are required (YYYY-MM-DD)"
        )
    if start is not None and end is not None:
        if end < start:
            raise ApiError(422, "invalid_parameter", f"end {end} is before start {start}")
        if max_days is not None and (end - start).days + 1 > max_days:
            raise ApiError(
                422,
                "range_too_long",
                f"the range {start}..{end} is {(end - start).days + 1} days; at most {max_days} days per request",
            )
    for d, name in ((start, "start"), (end, "end")):
        if d is not None:
            check_year(d.year, name)
    return start, end


@contextlib.contextmanager
def client_errors() -> Iterator[None]:
    """Argument errors of an assessment (ValueError, LookupError while building it) as 422."""
    try:
        yield
    except ApiError:
        raise
    except (ValueError, LookupError) as exc:
        raise ApiError(422, "invalid_parameter", str(exc)) from exc


PAGING_PARAMS = frozenset({"limit", "offset", "format"})


def assessed(request: Request, domain: str, build: Callable[[Any], Any]) -> pa.Table:
    """The table of an assessment: ``build(backend)`` gives its Ibis expression.

    Served from the app's result cache when the same endpoint was asked the
    same question over the same data (see :mod:`ecoplan.api.cache`).
    Argument errors raised while building are answered with 422.
    """
    db = db_of(request)
    key = (
        domain,
        request.url.path,
        tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k not in PAGING_PARAMS)),
    )

    def compute() -> pa.Table:
        backend = db.backend()
        with client_errors():
            expr = build(backend)
        return backend.to_pyarrow(expr)

    # the version and the table it is cached under come from the same committed state
    with db.snapshot():
        version = tuple(db.fetch(VERSION_SQL)[0])
        return request.app.state.cache.get_or_compute(key, version, compute)
