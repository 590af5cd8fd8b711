"""The plan: summary, targets (with their status), indicator vocabulary and values, status tables."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..plan import indicators as plan_indicators
from ..plan import progress
from ..plan import status as plan_status
from .auth import require_read
from .common import backend_of, check_year, check_years, clean
from .errors import READ_RESPONSES, ApiError
from .respond import TABLE_RESPONSES, PageDep, from_rows, respond, rows
from .status import TARGET_STATUS_COLUMNS, rollup, status_rows, status_table

router = APIRouter(
    prefix="/api", tags=["plan"], dependencies=[Depends(require_read)], responses=READ_RESPONSES
)

Categories = Annotated[list[str] | None, Query(description="Category id, e.g. air, water (repeatable).")]
Scopes = Annotated[
    list[str] | None,
    Query(
        description="Scope, e.g. province, city:太原市, group:jjj-4; 'basin:' for every basin (repeatable)."
    ),
]
Kind = Annotated[
    Literal["computed", "reported"] | None,
    Query(description="computed from monitoring data, or reported in yearly statistics."),
]
Roles = Annotated[
    list[Literal["target", "trigger", "context"]] | None,
    Query(description="target (default: targets and triggers), trigger or context (repeatable)."),
]
Indicators = Annotated[list[str] | None, Query(description="Indicator id, e.g. air.pm25_mean (repeatable).")]
StatusYear = Annotated[
    int | None, Query(description="Status as of this year (default: the latest year with data).")
]

ALL_STATUSES = (*progress.STATUSES, plan_status.CONTEXT, plan_status.TRIGGERED, plan_status.NOT_TRIGGERED)
Statuses = Annotated[
    list[str] | None,
    Query(description=f"Only targets in this status (repeatable): {', '.join(ALL_STATUSES)}."),
]


def _plan(request: Request):
    return request.app.state.plan


def _check_categories(plan, category: list[str] | None) -> list[str] | None:
    category = clean(category)
    unknown = sorted(set(category or []) - set(plan.categories))
    if unknown:
        raise ApiError(
            422,
            "invalid_parameter",
            f"unknown category {', '.join(map(repr, unknown))}; the plan has {', '.join(plan.categories)}",
        )
    return category


@router.get("/plan", summary="Plan summary")
def plan_summary(request: Request) -> dict[str, Any]:
    """Title, issuer, period, baseline year, source, counts of targets per category, role and
    kind, the categories and the groups with their members."""
    p = _plan(request)
    out = p.summary()
    out["scopes"] = {
        "province": p.scopes.province.model_dump(),
        "cities": dict(p.scopes.cities),
        "basins": dict(p.scopes.basins),
        "rivers": dict(p.scopes.rivers),
        "lakes": dict(p.scopes.lakes),
        "aliases": dict(p.scopes.aliases),
    }
    return out


def _statuses(status: list[str] | None) -> list[str] | None:
    status = clean(status)
    unknown = sorted(set(status or []) - set(ALL_STATUSES))
    if unknown:
        raise ApiError(
            422,
            "invalid_parameter",
            f"unknown status {', '.join(map(repr, unknown))}; one of {', '.join(ALL_STATUSES)}",
        )
    return status


def _target_rows(
    request: Request, category, scope, kind, role, indicator, status, year
) -> list[dict[str, Any]]:
    p = _plan(request)
    selected = p.target_rows(
        category=_check_categories(p, category),
        scope=clean(scope),
        role=list(role) if role else ["target", "trigger"],
    )
    indicator = clean(indicator)
    if kind:
        selected = [r for r in selected if r["kind"] == kind]
    if indicator:
        selected = [r for r in selected if r["indicator"] in indicator]
    if not selected:
        return []
    states = status_rows(request, year=year, target_ids=[r["id"] for r in selected])
    for r in selected:
        s = states.get(r["id"], {})
        for col in TARGET_STATUS_COLUMNS:
            r[col] = s.get(col)
        r["status_note"] = s.get("note")
    status = _statuses(status)
    if status:
        selected = [r for r in selected if r["status"] in status]
    return selected


@router.get("/plan/targets", summary="Targets", responses=TABLE_RESPONSES)
def targets(
    request: Request,
    page: PageDep,
    category: Categories = None,
    scope: Scopes = None,
    kind: Kind = None,
    role: Roles = None,
    indicator: Indicators = None,
    status: Statuses = None,
    status_year: StatusYear = None,
) -> Response:
    """One row per target with every field of the plan file (the quoted clause included) and
    where it stands (status, latest value and year, rates, projection to the target year; the
    method is the Open SDG / Statistics Canada progress measure, see ``ecoplan.plan.status``)."""
    check_year(status_year, "status_year")
    items = _target_rows(request, category, scope, kind, role, indicator, status, status_year)
    return respond(request, from_rows(items), page, name="targets")


@router.get("/plan/targets/{target_id}", summary="One target")
def target(request: Request, target_id: str, status_year: StatusYear = None) -> dict[str, Any]:
    """A target with its clause, its status and the stored values of its indicator for its scope."""
    check_year(status_year, "status_year")
    p = _plan(request)
    try:
        t = p.target(target_id)
    except KeyError as exc:
        raise ApiError(404, "unknown_target", f"unknown target id {target_id!r}") from exc
    row = next(r for r in p.target_rows() if r["id"] == target_id)
    row["status"] = status_rows(request, year=status_year, target_ids=[target_id]).get(target_id)
    values = plan_indicators.indicator_values(
        backend_of(request), plan=p, indicators=[t.indicator], scopes=[t.scope]
    )
    row["values"] = rows(values)
    return row


@router.get("/plan/indicators", summary="Indicator vocabulary", responses=TABLE_RESPONSES)
def vocabulary(request: Request, page: PageDep, kind: Kind = None) -> Response:
    """Every indicator the plan may use: id, names, unit, better direction, kind, assessment."""
    items = _plan(request).indicator_rows(kind=kind)
    return respond(request, from_rows(items), page, name="indicators")


@router.get("/indicators", summary="Indicator values", responses=TABLE_RESPONSES)
def indicator_values(
    request: Request,
    page: PageDep,
    indicator: Indicators = None,
    scope: Annotated[
        list[str] | None,
        Query(description="Scope, e.g. province, city:太原市, basin:汾河 (repeatable; aliases resolved)."),
    ] = None,
    origin: Annotated[
        list[Literal["computed", "reported"]] | None, Query(description="computed or reported (repeatable).")
    ] = None,
    year: Annotated[list[int] | None, Query(description="Year (repeatable).")] = None,
    year_from: Annotated[int | None, Query(description="First year.")] = None,
    year_to: Annotated[int | None, Query(description="Last year.")] = None,
) -> Response:
    """Stored indicator values (computed from monitoring data or reported), by indicator, scope
    and year, with unit, method and note."""
    p = _plan(request)
    years = check_years(year)
    check_year(year_from, "year_from")
    check_year(year_to, "year_to")
    if year_from is not None or year_to is not None:
        if years:
            raise ApiError(422, "invalid_parameter", "give either year or year_from/year_to, not both")
        lo = year_from if year_from is not None else 1949
        hi = year_to if year_to is not None else 2100
        if hi < lo:
            raise ApiError(422, "invalid_parameter", f"year_to {hi} is before year_from {lo}")
        years = list(range(lo, hi + 1))
    scopes = clean(scope)
    if scopes:
        unknown = []
        for s in scopes:
            try:
                p.resolve_scope(s)
            except KeyError:
                unknown.append(s)
        if unknown:
            raise ApiError(
                404, "unknown_scope", f"unknown scope {', '.join(map(repr, unknown))} in plan {p.id}"
            )
    table = plan_indicators.indicator_values(
        backend_of(request),
        plan=p,
        indicators=clean(indicator),
        scopes=scopes,
        origins=list(origin) if origin else None,
        years=years,
    )
    return respond(request, table, page, name="indicator-values")


@router.get("/status", summary="Status of every target", responses=TABLE_RESPONSES)
def status(
    request: Request,
    page: PageDep,
    year: Annotated[
        int | None, Query(description="As the data stood at the end of this year (default: latest).")
    ] = None,
    category: Categories = None,
    scope: Scopes = None,
    role: Roles = None,
    status: Statuses = None,
    id: Annotated[list[str] | None, Query(description="Target id (repeatable).")] = None,
) -> Response:
    """One row per target: baseline, latest value, target, status (achieved, on track,
    acceleration needed, limited progress, deterioration, not achieved, not assessable; triggers
    triggered or not), rates, projection, score and the yearly values behind it (``values``, JSON)."""
    check_year(year)
    p = _plan(request)
    table = status_table(
        request,
        year=year,
        category=_check_categories(p, category),
        scope=clean(scope),
        role=list(role) if role else ["target", "trigger"],
        status=_statuses(status),
        ids=clean(id),
    )
    return respond(request, table, page, name=f"status-{year}" if year else "status")


@router.get("/status/rollup", summary="Status counts", responses=TABLE_RESPONSES)
def status_rollup(
    request: Request,
    page: PageDep,
    by: Annotated[
        list[Literal["category", "scope"]] | None,
        Query(
            description="Count per category and/or scope (repeatable; default both; none given twice: overall)."
        ),
    ] = None,
    overall: Annotated[bool, Query(description="One row for the whole plan (ignores by).")] = False,
    year: Annotated[
        int | None, Query(description="As the data stood at the end of this year (default: latest).")
    ] = None,
    category: Categories = None,
    scope: Scopes = None,
) -> Response:
    """Counts of targets per status, by category and scope (targets proper only; triggers and
    context figures are not judged)."""
    check_year(year)
    p = _plan(request)
    table = status_table(
        request, year=year, category=_check_categories(p, category), scope=clean(scope), role=["target"]
    )
    keys = () if overall else tuple(dict.fromkeys(by or ["category", "scope"]))
    return respond(request, rollup(table, keys), page, name="status-rollup")
