"""Air quality: hourly and daily AQI, annual and monthly HJ 663 statistics, the city ranking."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import ibis
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..air import queries
from ..standards import available_editions
from .auth import require_read
from .common import assessed, check_years, clean, date_range, known_codes
from .errors import READ_RESPONSES, ApiError
from .respond import TABLE_RESPONSES, PageDep, respond

router = APIRouter(
    prefix="/api/air",
    tags=["air"],
    dependencies=[Depends(require_read)],
    responses={**READ_RESPONSES, **TABLE_RESPONSES},
)

By = Annotated[
    Literal["station", "city"],
    Query(
        description="One row per station, or per city (mean of its stations, background stations excluded)."
    ),
]
Stations = Annotated[
    list[str] | None, Query(description="Station code, e.g. 1081A (repeatable). An unknown code is a 404.")
]
Cities = Annotated[list[str] | None, Query(description="City name, e.g. 太原市 (repeatable).")]
Start = Annotated[dt.date | None, Query(description="First natural day, YYYY-MM-DD.")]
End = Annotated[dt.date | None, Query(description="Last natural day, YYYY-MM-DD.")]
Edition = Annotated[str | None, Query(description="Force an HJ 633 edition (2012 or 2026); default by date.")]
Years = Annotated[list[int], Query(description="Calendar year (repeatable for several years).")]


def _edition(edition: str | None) -> str | None:
    if edition is None:
        return None
    known = available_editions("hj633")
    if edition not in known:
        raise ApiError(
            422, "invalid_parameter", f"unknown HJ 633 edition {edition!r}; known: {', '.join(known)}"
        )
    return edition


def _filters(request: Request, station: list[str] | None, city: list[str] | None) -> dict:
    return {"stations": known_codes(request, "station", station), "cities": clean(city)}


@router.get("/hourly", summary="Hourly AQI")
def hourly(
    request: Request,
    page: PageDep,
    start: Annotated[dt.date, Query(description="First natural day, YYYY-MM-DD (required).")],
    end: Annotated[dt.date, Query(description="Last natural day, YYYY-MM-DD (required).")],
    by: By = "station",
    station: Stations = None,
    city: Cities = None,
    edition: Edition = None,
    so2_rule: Annotated[
        Literal["platform", "text"],
        Query(
            description="SO2 1-hour above 800: platform (IAQI 200, as published) or text (2012: 24-hour IAQI)."
        ),
    ] = "platform",
) -> Response:
    """Real-time AQI (HJ 633): one row per station (or city) and hour with the IAQIs, the AQI,
    the primary pollutant, the category and, for stations, the published AQI. Hours are labelled
    by their end (China Standard Time). At most ``hourly_max_days`` (366) days per request."""
    s, e = date_range(start, end, max_days=request.app.state.settings.hourly_max_days, required=True)
    table = assessed(
        request,
        "air",
        lambda b: queries.hourly(
            b,
            by=by,
            start=s,
            end=e,
            edition=_edition(edition),
            so2_rule=so2_rule,
            **_filters(request, station, city),
        ),
    )
    return respond(request, table, page, name=f"air-hourly-{by}")


@router.get("/daily", summary="Daily AQI")
def daily(
    request: Request,
    page: PageDep,
    by: By = "station",
    station: Stations = None,
    city: Cities = None,
    start: Start = None,
    end: End = None,
    year: Annotated[int | None, Query(description="Calendar year (instead of start/end).")] = None,
    edition: Edition = None,
) -> Response:
    """Daily AQI (HJ 663 daily values, HJ 633 IAQIs): reported daily concentrations, AQI,
    primary pollutant, level and category, one row per station (or city) and natural day."""
    s, e = date_range(start, end, year=year)
    table = assessed(
        request,
        "air",
        lambda b: queries.daily(
            b, by=by, start=s, end=e, edition=_edition(edition), **_filters(request, station, city)
        ),
    )
    return respond(request, table, page, name=f"air-daily-{by}")


def _period(request: Request, page, period: str, year, by, station, city, edition) -> Response:
    years = check_years(year)
    table = assessed(
        request,
        "air",
        lambda b: queries.period(
            b, year=years, period=period, by=by, edition=_edition(edition), **_filters(request, station, city)
        ),
    )
    return respond(request, table, page, name=f"air-{'annual' if period == 'year' else 'monthly'}-{by}")


@router.get("/annual", summary="Annual statistics (HJ 663)")
def annual(
    request: Request,
    page: PageDep,
    year: Years,
    by: Annotated[Literal["station", "city"], Query(description="station or city.")] = "city",
    station: Stations = None,
    city: Cities = None,
    edition: Edition = None,
) -> Response:
    """Annual HJ 663 statistics per station or city: means and percentiles at reporting precision,
    completeness, indices against GB 3095 grade II, the composite index, good days and heavy days."""
    return _period(request, page, "year", year, by, station, city, edition)


@router.get("/monthly", summary="Monthly statistics (HJ 663)")
def monthly(
    request: Request,
    page: PageDep,
    year: Years,
    by: Annotated[Literal["station", "city"], Query(description="station or city.")] = "city",
    station: Stations = None,
    city: Cities = None,
    edition: Edition = None,
) -> Response:
    """Monthly HJ 663 statistics (a month is valid with 27 daily values, February 25)."""
    return _period(request, page, "month", year, by, station, city, edition)


RANK_FIRST = ("rank", "city", "composite_index", "max_index", "max_index_item", "valid")


def ranked_cities(backend, *, year: int, cities: list[str] | None, edition: str | None):
    """The annual city statistics of ``year`` with the composite-index rank (an Ibis expression)."""
    t = queries.period(backend, year=year, period="year", by="city", cities=cities, edition=edition)
    valid = t.valid_pm2_5 & t.valid_pm10 & t.valid_so2 & t.valid_no2 & t.valid_co & t.valid_o3_8h
    t = t.mutate(
        rank=ibis.ifelse(
            t.composite_index.isnull(), ibis.null("int64"), ibis.rank().over(order_by=t.composite_index) + 1
        ),
        valid=valid,
    )
    t = t.select(*RANK_FIRST, *[c for c in t.columns if c not in RANK_FIRST])
    return t.order_by([t["rank"].asc(nulls_first=False), t.city])


@router.get("/ranking", summary="Composite-index ranking of cities")
def ranking(
    request: Request,
    page: PageDep,
    year: Annotated[int, Query(description="Calendar year.")],
    city: Cities = None,
    edition: Edition = None,
) -> Response:
    """Cities ranked by the annual composite index (HJ 663; lower is better, rank 1 is the cleanest).
    Equal indices share a rank; a city without a composite index has no rank and comes last.
    ``valid`` says whether every item of the index met the annual completeness rule."""
    check_years([year])
    table = assessed(
        request, "air", lambda b: ranked_cities(b, year=year, cities=clean(city), edition=_edition(edition))
    )
    return respond(request, table, page, name=f"air-ranking-{year}")
