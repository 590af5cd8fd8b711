"""Ecological flow: compliance per gauge, year and season; the daily status behind it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..flow import queries
from .auth import require_read
from .common import assessed, check_years, clean, date_range, known_codes
from .errors import READ_RESPONSES
from .respond import TABLE_RESPONSES, PageDep, respond

router = APIRouter(
    prefix="/api/flow",
    tags=["flow"],
    dependencies=[Depends(require_read)],
    responses={**READ_RESPONSES, **TABLE_RESPONSES},
)

Gauges = Annotated[list[str] | None, Query(description="Gauge code (repeatable). An unknown code is a 404.")]
Rivers = Annotated[list[str] | None, Query(description="River name, e.g. 汾河 (repeatable).")]


@router.get("/compliance", summary="Eco-flow compliance")
def compliance(
    request: Request,
    page: PageDep,
    year: Annotated[
        list[int] | None, Query(description="Assessment year (repeatable; default every year).")
    ] = None,
    gauge: Gauges = None,
    river: Rivers = None,
) -> Response:
    """Eco-flow compliance per gauge, assessment year and period (year, non-flood and flood
    season): expected, observed and missing days, thresholds [m3/s], compliant days, the
    compliance rate, the longest shortfall run and the lowest 7-day mean. The rule's parameters
    are the defaults of ``flow/ecoflow_defaults.toml``."""
    years = check_years(year)
    table = assessed(
        request,
        "flow",
        lambda b: queries.compliance(
            b, year=years, gauges=known_codes(request, "gauge", gauge), rivers=clean(river)
        ),
    )
    return respond(request, table, page, name="flow-compliance")


@router.get("/daily", summary="Daily eco-flow status")
def daily(
    request: Request,
    page: PageDep,
    gauge: Gauges = None,
    river: Rivers = None,
    start: Annotated[dt.date | None, Query(description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[dt.date | None, Query(description="Last day, YYYY-MM-DD.")] = None,
) -> Response:
    """Daily discharge of each gauge with its threshold, compliance, shortfall run and 7-day mean;
    missing days included with NULL discharge."""
    s, e = date_range(start, end)
    table = assessed(
        request,
        "flow",
        lambda b: queries.daily_status(
            b, gauges=known_codes(request, "gauge", gauge), rivers=clean(river), start=s, end=e
        ),
    )
    return respond(request, table, page, name="flow-daily")
