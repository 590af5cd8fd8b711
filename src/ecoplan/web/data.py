"""The tables behind the dashboard's pages, taken from the API's own functions.

Every figure of a page is the answer of one REST endpoint: the page names
the endpoint (:class:`Source`: path and query), and the table is computed by
the same query function with the same arguments as that endpoint, through
the API's result cache under the endpoint's own cache key
(:func:`ecoplan.api.common.assessed` on a request for that endpoint). So a
page and the endpoint it names show the same numbers, and viewing a page
warms the cache for the API (and the other way round).

- overview: ``/api/status/rollup?by=category`` and ``overall=true``,
  ``/api/status`` (targets falling behind), ``/api/warnings``;
- target: ``/api/status?id=ID``, ``/api/plan/targets/ID``;
- air: ``/api/air/daily?by=city&city=C&year=Y``,
  ``/api/air/monthly?year=Y&by=city&city=C``, ``/api/air/ranking?year=Y`` (the
  annual statistics of every city with the rank);
- water: ``/api/water/attainment?by=basin&period=year``,
  ``/api/water/classes?period=year&year=Y`` with ``/api/sections``,
  ``/api/water/trophic?by=lake&period=year``, ``/api/flow/compliance?year=Y``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import pyarrow as pa
from fastapi import Request

from ..air import queries as air_queries
from ..alerts.store import read_warnings
from ..api.common import assessed
from ..api.routes_air import ranked_cities
from ..api.status import rollup, status_rows, status_table
from ..flow import queries as flow_queries
from ..plan import indicators as plan_indicators
from ..plan import progress
from ..plan import status as plan_status
from ..water import queries as water_queries

#: Statuses of targets falling behind (besides a projection that misses the target).
BEHIND = (progress.DETERIORATION, progress.NOT_ACHIEVED, progress.LIMITED_PROGRESS)
#: Statuses whose projection may still miss the target.
PROJECTED = (progress.ON_TRACK, progress.ACCELERATION_NEEDED)


@dataclass(frozen=True)
class Source:
    """An API endpoint and its query: what a figure of a page is the answer of."""

    path: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        return self.path + ("?" + urlencode(self.params) if self.params else "")

    @property
    def text(self) -> str:
        """The URL as people read it (Chinese names not percent-encoded)."""
        return unquote(self.url)


def source(path: str, **params: Any) -> Source:
    items = [(k, str(v)) for k, v in params.items() if v is not None]
    return Source(path, tuple(items))


def _request_for(request: Request, src: Source) -> Request:
    """A request for ``src`` on the same app (for the API's cache key)."""
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": request.url.scheme,
        "server": (request.url.hostname or "localhost", request.url.port or 80),
        "root_path": "",
        "path": src.path,
        "raw_path": src.path.encode(),
        "query_string": urlencode(src.params).encode(),
        "headers": [],
        "app": request.app,
    }
    return Request(scope)


@contextlib.contextmanager
def one_state(request: Request) -> Iterator[None]:
    """Read every table of a page from one committed state of the store.

    Uses the database's read transaction (``Database.snapshot``) when it has
    one, so that an ingest committing while a page is built cannot give the
    page figures from before and after it; otherwise each read is its own.
    """
    snapshot = getattr(request.app.state.db, "snapshot", None)
    if snapshot is None:
        yield
        return
    with snapshot():
        yield


def table(request: Request, domain: str, src: Source, build) -> pa.Table:
    """The endpoint's table: ``build(backend)`` is its Ibis expression (cached as the API caches it)."""
    return assessed(_request_for(request, src), domain, build)


def records(t: pa.Table) -> list[dict[str, Any]]:
    return t.to_pylist()


# ---------------------------------------------------------------------------
# overview


@dataclass
class Overview:
    by_category: list[dict[str, Any]]
    overall: dict[str, Any]
    behind: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    sources: dict[str, Source] = field(default_factory=dict)


def _behind(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        misses = r["status"] in PROJECTED and r.get("projected_meets") is False
        if r["status"] in BEHIND or misses:
            out.append({**r, "projection_misses": misses})
    severity = {s: i for i, s in enumerate(plan_status.SEVERITY)}
    out.sort(key=lambda r: (severity.get(r["status"], 99), r["category"], r["id"]))
    return out


def overview(request: Request) -> Overview:
    targets = status_table(request, role=["target"])
    counts = records(rollup(targets, ("category",)))
    overall = records(rollup(targets, ()))
    warnings = records(read_warnings(request.app.state.db.backend(), active=True))
    for w in warnings:
        w["evidence"] = None  # not shown; the warning's endpoint has it
    return Overview(
        by_category=counts,
        overall=overall[0] if overall else {s: 0 for s in (*progress.STATUSES, "total")},
        behind=_behind(records(targets)),
        warnings=warnings,
        sources={
            "rollup": source("/api/status/rollup", by="category"),
            "overall": source("/api/status/rollup", overall="true"),
            "status": source("/api/status", role="target"),
            "warnings": source("/api/warnings"),
        },
    )


# ---------------------------------------------------------------------------
# target


@dataclass
class TargetPage:
    row: dict[str, Any]
    status: dict[str, Any]
    series: dict[int, float]
    values: list[dict[str, Any]]
    sources: dict[str, Source]


def target(request: Request, target_id: str) -> TargetPage | None:
    """The target's plan row, status, judged series and stored values; None for an unknown id."""
    plan = request.app.state.plan
    try:
        t = plan.target(target_id)
    except KeyError:
        return None
    row = next(r for r in plan.target_rows() if r["id"] == target_id)
    status = status_rows(request, year=None, target_ids=[target_id]).get(target_id) or {}
    series = {int(k): v for k, v in json.loads(status.get("values") or "{}").items() if v is not None}
    values = plan_indicators.indicator_values(
        request.app.state.db.backend(), plan=plan, indicators=[t.indicator], scopes=[t.scope]
    )
    return TargetPage(
        row=row,
        status=status,
        series=dict(sorted(series.items())),
        values=records(values),
        sources={
            "status": source("/api/status", id=target_id),
            "target": source(f"/api/plan/targets/{target_id}"),
        },
    )


# ---------------------------------------------------------------------------
# air


def air_cities(request: Request) -> list[str]:
    """Cities with stations, in the plan's order first."""
    stored = [
        r[0] for r in request.app.state.db.fetch("SELECT DISTINCT city FROM sites WHERE city IS NOT NULL")
    ]
    order = list(request.app.state.plan.scopes.cities)
    return [c for c in order if c in stored] + sorted(c for c in stored if c not in order)


def air_years(request: Request) -> list[int]:
    """Years with hourly air data (an hour is labelled by its end: 00:00 belongs to the day before)."""
    row = request.app.state.db.fetch("SELECT min(time), max(time) FROM air_hourly")[0]
    if row[0] is None:
        return []
    # the first label may be the last hour of the year before (00:00 on 1 January): not a year of data
    first, last = row[0].year, (row[1] - dt.timedelta(hours=1)).year
    return list(range(first, last + 1))


@dataclass
class AirPage:
    daily: list[dict[str, Any]]
    monthly: list[dict[str, Any]]
    ranking: list[dict[str, Any]]  # the annual statistics of every city, with the rank
    sources: dict[str, Source]


def air(request: Request, city: str, year: int) -> AirPage:
    """One city's daily AQI and monthly statistics, and every city's annual statistics with the rank.

    The annual table is the ranking endpoint's (its rows are ``/api/air/annual``'s
    with the rank added), so the page asks the engine for it once.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    src = {
        "daily": source("/api/air/daily", by="city", city=city, year=year),
        "monthly": source("/api/air/monthly", year=year, by="city", city=city),
        "ranking": source("/api/air/ranking", year=year),
    }
    daily = table(
        request,
        "air",
        src["daily"],
        lambda b: air_queries.daily(
            b, by="city", start=start, end=end, edition=None, stations=None, cities=[city]
        ),
    )
    monthly = table(
        request,
        "air",
        src["monthly"],
        lambda b: air_queries.period(
            b, year=[year], period="month", by="city", edition=None, stations=None, cities=[city]
        ),
    )
    ranking = table(
        request, "air", src["ranking"], lambda b: ranked_cities(b, year=year, cities=None, edition=None)
    )
    return AirPage(records(daily), records(monthly), records(ranking), src)


# ---------------------------------------------------------------------------
# water


def water_years(request: Request) -> list[int]:
    rows = request.app.state.db.fetch("SELECT DISTINCT year(time) AS y FROM water_samples ORDER BY y")
    return [int(r[0]) for r in rows if r[0] is not None]


def flow_years(request: Request) -> list[int]:
    rows = request.app.state.db.fetch("SELECT DISTINCT year(date) AS y FROM flows ORDER BY y")
    return [int(r[0]) for r in rows if r[0] is not None]


_NO_FILTERS = {
    "sections": None,
    "basins": None,
    "rivers": None,
    "cities": None,
    "provinces": None,
    "control": None,
}


@dataclass
class WaterPage:
    attainment: list[dict[str, Any]]  # every year
    classes: list[dict[str, Any]]  # sections of the year, with coordinates
    trophic: list[dict[str, Any]]  # every year
    flow: list[dict[str, Any]]  # the year
    basin_order: list[str]
    sources: dict[str, Source]


def water(request: Request, year: int) -> WaterPage:
    src = {
        "attainment": source("/api/water/attainment", by="basin", period="year"),
        "classes": source("/api/water/classes", period="year", year=year),
        "sections": source("/api/sections"),
        "trophic": source("/api/water/trophic", by="lake", period="year"),
        "flow": source("/api/flow/compliance", year=year),
    }
    att = table(
        request,
        "water",
        src["attainment"],
        lambda b: water_queries.attainment(
            b,
            by="basin",
            period="year",
            year=None,
            heavy_max_good_share=None,
            sample_kind=None,
            **_NO_FILTERS,
        ),
    )
    cls = table(
        request,
        "water",
        src["classes"],
        lambda b: water_queries.classify(
            b,
            period="year",
            year=year,
            start=None,
            end=None,
            sample_kind=None,
            ph_rule=None,
            **_NO_FILTERS,
        ),
    )
    tro = table(
        request,
        "water",
        src["trophic"],
        lambda b: water_queries.trophic(
            b, period="year", year=None, by="lake", sample_kind=None, **_NO_FILTERS
        ),
    )
    flow = table(
        request,
        "flow",
        src["flow"],
        lambda b: flow_queries.compliance(b, year=[year], gauges=None, rivers=None),
    )
    coords = {
        code: (lon, lat)
        for code, lon, lat in request.app.state.db.fetch("SELECT code, lon, lat FROM sections")
    }
    classes = []
    for r in records(cls):
        lon, lat = coords.get(r["section"], (None, None))
        classes.append({**r, "lon": lon, "lat": lat})
    basins = list(request.app.state.plan.scopes.basins)
    return WaterPage(
        attainment=records(att),
        classes=classes,
        trophic=records(tro),
        flow=records(flow),
        basin_order=basins,
        sources=src,
    )
