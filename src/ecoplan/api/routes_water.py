"""Surface water: GB 3838-2002 classes (2011 method), group attainment, change, trend, TLI."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..water import queries
from .auth import require_read
from .common import assessed, check_year, clean, date_range, known_codes
from .errors import READ_RESPONSES, ApiError
from .respond import TABLE_RESPONSES, PageDep, respond

router = APIRouter(
    prefix="/api/water",
    tags=["water"],
    dependencies=[Depends(require_read)],
    responses={**READ_RESPONSES, **TABLE_RESPONSES},
)

Period = Annotated[
    Literal["sample", "month", "season", "year"],
    Query(description="Period of the assessment: each sample, month, season or year."),
]
Year = Annotated[int | None, Query(description="Calendar year.")]
Sections = Annotated[
    list[str] | None, Query(description="Section code (repeatable). An unknown code is a 404.")
]
Basins = Annotated[list[str] | None, Query(description="Basin, e.g. 黄河流域 (repeatable).")]
Rivers = Annotated[list[str] | None, Query(description="River or lake (repeatable).")]
Cities = Annotated[list[str] | None, Query(description="City (repeatable).")]
Provinces = Annotated[list[str] | None, Query(description="Province (repeatable).")]
Control = Annotated[list[str] | None, Query(description="Control level, e.g. 国控 (repeatable).")]
SampleKind = Annotated[
    Literal["manual", "auto"] | None, Query(description="Only manual or automatic samples (default both).")
]
PhRule = Annotated[
    Literal["mean", "worst"] | None,
    Query(description="pH of a period: mean (default) or worst (the worst sample's class)."),
]
Heavy = Annotated[
    float | None,
    Query(
        description="I-III share [%] below which a group with >=40% 劣V is 重度污染: 60 (default) or 75.",
        ge=0,
        le=100,
    ),
]
GroupBy = Annotated[
    Literal["basin", "river", "city", "province", "control", "all"], Query(description="Group sections by.")
]


def _filters(request: Request, section, basin, river, city, province, control) -> dict:
    return {
        "sections": known_codes(request, "section", section),
        "basins": clean(basin),
        "rivers": clean(river),
        "cities": clean(city),
        "provinces": clean(province),
        "control": clean(control),
    }


@router.get("/classes", summary="Section classes")
def classes(
    request: Request,
    page: PageDep,
    period: Period = "year",
    year: Year = None,
    start: Annotated[dt.date | None, Query(description="First day of samples, YYYY-MM-DD.")] = None,
    end: Annotated[dt.date | None, Query(description="Last day of samples, YYYY-MM-DD.")] = None,
    section: Sections = None,
    basin: Basins = None,
    river: Rivers = None,
    city: Cities = None,
    province: Provinces = None,
    control: Control = None,
    sample_kind: SampleKind = None,
    ph_rule: PhRule = None,
) -> Response:
    """GB 3838-2002 class of each section and period (single-factor method, total nitrogen
    reported apart for rivers): class, deciding items, main pollutants; for ``period=sample``
    also the published class of the same sample and whether it matches."""
    check_year(year)
    s, e = date_range(start, end)
    table = assessed(
        request,
        "water",
        lambda b: queries.classify(
            b,
            period=period,
            year=year,
            start=s,
            end=e,
            sample_kind=sample_kind,
            ph_rule=ph_rule,
            **_filters(request, section, basin, river, city, province, control),
        ),
    )
    return respond(request, table, page, name=f"water-classes-{period}")


@router.get("/items", summary="Item means and classes")
def items(
    request: Request,
    page: PageDep,
    period: Period = "year",
    year: Year = None,
    section: Sections = None,
    basin: Basins = None,
    river: Rivers = None,
    city: Cities = None,
    province: Provinces = None,
    control: Control = None,
    sample_kind: SampleKind = None,
    ph_rule: PhRule = None,
) -> Response:
    """Per section, period and item: the mean, its class and the exceedance multiple against class III."""
    check_year(year)
    table = assessed(
        request,
        "water",
        lambda b: queries.items(
            b,
            period=period,
            year=year,
            sample_kind=sample_kind,
            ph_rule=ph_rule,
            **_filters(request, section, basin, river, city, province, control),
        ),
    )
    return respond(request, table, page, name=f"water-items-{period}")


@router.get("/attainment", summary="Group attainment")
def attainment(
    request: Request,
    page: PageDep,
    by: GroupBy = "basin",
    period: Period = "year",
    year: Year = None,
    section: Sections = None,
    basin: Basins = None,
    river: Rivers = None,
    city: Cities = None,
    province: Provinces = None,
    control: Control = None,
    sample_kind: SampleKind = None,
    heavy_threshold: Heavy = None,
) -> Response:
    """Class shares (I-III, IV, V, 劣V) of each group and period, the 2011 method's water-quality
    level (优, 良好, 轻度污染 ...) and the main pollutants."""
    check_year(year)
    table = assessed(
        request,
        "water",
        lambda b: queries.attainment(
            b,
            by=by,
            period=period,
            year=year,
            heavy_max_good_share=heavy_threshold,
            sample_kind=sample_kind,
            **_filters(request, section, basin, river, city, province, control),
        ),
    )
    return respond(request, table, page, name=f"water-attainment-{by}")


@router.get("/trophic", summary="Trophic state (TLI)")
def trophic(
    request: Request,
    page: PageDep,
    by: Annotated[
        Literal["section", "lake"], Query(description="Each lake or reservoir section, or whole lakes.")
    ] = "section",
    period: Period = "year",
    year: Year = None,
    section: Sections = None,
    basin: Basins = None,
    river: Rivers = None,
    city: Cities = None,
    sample_kind: SampleKind = None,
) -> Response:
    """Comprehensive trophic level index TLI(Σ) and trophic class of lakes and reservoirs."""
    check_year(year)
    table = assessed(
        request,
        "water",
        lambda b: queries.trophic(
            b,
            period=period,
            year=year,
            by=by,
            sample_kind=sample_kind,
            **_filters(request, section, basin, river, city, None, None),
        ),
    )
    return respond(request, table, page, name=f"water-trophic-{by}")


def _two_years(from_year: int, to_year: int) -> None:
    check_year(from_year, "from_year")
    check_year(to_year, "to_year")
    if to_year <= from_year:
        raise ApiError(422, "invalid_parameter", f"to_year {to_year} must be after from_year {from_year}")


@router.get("/change", summary="Change between two years")
def change(
    request: Request,
    page: PageDep,
    from_year: Annotated[int, Query(description="Earlier year.")],
    to_year: Annotated[int, Query(description="Later year.")],
    by: Annotated[
        Literal["basin", "river", "city", "province", "control", "all", "section"],
        Query(description="Group by, or each section."),
    ] = "basin",
    comparable: Annotated[bool, Query(description="Only sections assessed in both years.")] = True,
    section: Sections = None,
    basin: Basins = None,
    river: Rivers = None,
    city: Cities = None,
    heavy_threshold: Heavy = None,
) -> Response:
    """Change of each group's water quality between two years (2011 method: level change or the
    difference of the I-III and 劣V share changes)."""
    _two_years(from_year, to_year)
    table = assessed(
        request,
        "water",
        lambda b: queries.change(
            b,
            by=by,
            from_year=from_year,
            to_year=to_year,
            comparable=comparable,
            heavy_max_good_share=heavy_threshold,
            **_filters(request, section, basin, river, city, None, None),
        ),
    )
    return respond(request, table, page, name=f"water-change-{by}")


@router.get("/trend", summary="Trend over years (Spearman)")
def trend(
    request: Request,
    page: PageDep,
    from_year: Annotated[int, Query(description="First year.")],
    to_year: Annotated[int, Query(description="Last year.")],
    by: Annotated[
        Literal["basin", "river", "city", "province", "control", "all", "section"],
        Query(description="Group by, or each section."),
    ] = "basin",
    alpha: Annotated[
        float | None, Query(description="Significance level (default 0.05).", gt=0, lt=1)
    ] = None,
    section: Sections = None,
    basin: Basins = None,
    river: Rivers = None,
    city: Cities = None,
) -> Response:
    """Spearman rank-correlation trend of the groups' I-III and 劣V shares, or of each section's
    yearly item means (``by=section``)."""
    _two_years(from_year, to_year)
    table = assessed(
        request,
        "water",
        lambda b: queries.trend(
            b,
            by=by,
            from_year=from_year,
            to_year=to_year,
            alpha=alpha,
            **_filters(request, section, basin, river, city, None, None),
        ),
    )
    return respond(request, table, page, name=f"water-trend-{by}")
