"""The tables of a yearly report, collected from a store with the API's own functions.

Every table of the report is the answer of one REST endpoint for the same
year: it is computed by the query function that endpoint calls, with the
arguments the endpoint passes (:data:`SOURCES` names the endpoint and query
of each table). So the report, the API and the dashboard show the same
numbers for the same store and year.

==================  ===========================================================
table               endpoint
==================  ===========================================================
status              ``/api/status?year=Y`` (targets and triggers)
status_rollup       ``/api/status/rollup?by=category&year=Y``
air_annual          ``/api/air/annual?year=Y&by=city``
air_ranking         ``/api/air/ranking?year=Y``
air_monthly         ``/api/air/monthly?year=Y&by=city``
water_attainment    ``/api/water/attainment?by=basin&period=year&year=Y``
water_sections      ``/api/water/classes?period=year&year=Y``
lake_classes        ``/api/water/attainment?by=river&period=year&year=Y``
                    (the rows of lakes)
lakes               ``/api/water/trophic?by=lake&period=year&year=Y``
ecoflow             ``/api/flow/compliance?year=Y``
warnings_active     ``/api/warnings``
warnings_year       ``/api/warnings?history=true&start=Y-01-01&end=Y-12-31``
                    (warnings in force on some day of the year)
ingest_log          ``/api/ingests`` (every ingested file, newest first)
==================  ===========================================================

The annual statistics of the cities come from the ranking's expression (the
same statistics with the rank added), so the year's air data are assessed
twice (annual and monthly), not three times.

Besides the tables, :func:`collect` gathers the provenance of the figures:
a summary of the ingest log and of the rejected values, the editions of the
standards in force in the year, and whether the store holds GENERATED data
(the demo's), with the evidence (:func:`generated_data_evidence`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from ..air import queries as air_queries
from ..air.aqi import editions_between
from ..alerts.store import read_warnings
from ..flow import ecoflow
from ..flow import queries as flow_queries
from ..plan import Plan, resolve_plan
from ..plan import status as plan_status
from ..standards import air_limits, load
from ..water import queries as water_queries

__all__ = [
    "GENERATED_MARK",
    "SOURCES",
    "TABLES",
    "ReportData",
    "collect",
    "generated_data_evidence",
    "ingest_summary",
    "standards_used",
]

#: The tables of a report, in the order the Excel workbook has them.
TABLES = (
    "status",
    "status_rollup",
    "air_annual",
    "air_ranking",
    "air_monthly",
    "water_attainment",
    "water_sections",
    "lake_classes",
    "lakes",
    "ecoflow",
    "warnings_active",
    "warnings_year",
    "ingest_log",
)

#: The API endpoint (path, query) whose answer each table is; ``{year}`` is the report's year.
SOURCES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "status": ("/api/status", (("year", "{year}"),)),
    "status_rollup": ("/api/status/rollup", (("by", "category"), ("year", "{year}"))),
    "air_annual": ("/api/air/annual", (("year", "{year}"), ("by", "city"))),
    "air_ranking": ("/api/air/ranking", (("year", "{year}"),)),
    "air_monthly": ("/api/air/monthly", (("year", "{year}"), ("by", "city"))),
    "water_attainment": (
        "/api/water/attainment",
        (("by", "basin"), ("period", "year"), ("year", "{year}")),
    ),
    "water_sections": ("/api/water/classes", (("period", "year"), ("year", "{year}"))),
    "lake_classes": ("/api/water/attainment", (("by", "river"), ("period", "year"), ("year", "{year}"))),
    "lakes": ("/api/water/trophic", (("by", "lake"), ("period", "year"), ("year", "{year}"))),
    "ecoflow": ("/api/flow/compliance", (("year", "{year}"),)),
    "warnings_active": ("/api/warnings", ()),
    "warnings_year": (
        "/api/warnings",
        (("history", "true"), ("start", "{year}-01-01"), ("end", "{year}-12-31")),
    ),
    "ingest_log": ("/api/ingests", ()),
}

#: The words the demo writes beside and into its generated data.
GENERATED_MARK = "GENERATED"
# meta keys a generator may set to declare the store's data generated
_META_FLAGS = ("generated_data", "demo")
# how many folders above an ingested file are searched for the demo's README
_README_DEPTH = 2


def source_query(table: str, year: int) -> str:
    """The endpoint and query of ``table`` for ``year``, as people read it."""
    path, params = SOURCES[table]
    query = "&".join(f"{k}={v.format(year=year)}" for k, v in params)
    return path + ("?" + query if query else "")


@dataclass
class ReportData:
    """Everything a report shows: the tables of one year and where their figures come from."""

    year: int
    plan: Plan
    store: str | None
    generated_at: dt.datetime
    tables: dict[str, pa.Table]
    ingest: pa.Table
    rejects: pa.Table
    standards: list[dict[str, Any]]
    generated: list[str]
    air_limits: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def is_generated(self) -> bool:
        """Whether the store holds GENERATED (demo) data."""
        return bool(self.generated)

    def source(self, table: str) -> str:
        return source_query(table, self.year)


# ---------------------------------------------------------------------------
# the tables


def _status(backend, plan: Plan, year: int) -> tuple[pa.Table, pa.Table]:
    """``/api/status?year=Y`` and ``/api/status/rollup?by=category&year=Y``."""
    full = plan_status.status_table(backend, plan, year=year, role=None)
    role = full["role"]
    shown = full.filter(pc.is_in(role, value_set=pa.array(["target", "trigger"])))
    targets = full.filter(pc.equal(role, "target"))
    return shown, plan_status.rollup_table(targets, by=("category",))


def _ranking(backend, year: int):
    # the API's own expression (imported here: the API package pulls in FastAPI)
    from ..api.routes_air import ranked_cities

    return ranked_cities(backend, year=year, cities=None, edition=None)


def _annual_from_ranking(ranking: pa.Table, backend, year: int) -> pa.Table:
    """The annual city statistics (``/api/air/annual``): the ranking's rows without the rank, by city."""
    columns = air_queries.period(backend, year=year, period="year", by="city").columns
    annual = ranking.select(list(columns))
    return annual.sort_by([("city", "ascending"), ("period", "ascending")])


def _in_force(table: pa.Table, year: int) -> pa.Table:
    """Warnings in force on some day of ``year`` (the API's ``start``/``end`` filter)."""
    since = pa.scalar(dt.datetime(year, 1, 1), pa.timestamp("us"))
    until = pa.scalar(dt.datetime(year + 1, 1, 1), pa.timestamp("us"))
    table = table.filter(
        pc.or_kleene(pc.is_null(table["end_time"]), pc.greater_equal(table["end_time"], since))
    )
    return table.filter(pc.less(table["start_time"], until))


def _lake_classes(attainment_by_river: pa.Table, lakes: pa.Table) -> pa.Table:
    """The rows of ``/api/water/attainment?by=river`` whose group is a lake of the TLI table."""
    names = pa.array(sorted(set(lakes["lake"].to_pylist()) - {None}), pa.string())
    return attainment_by_river.filter(pc.is_in(attainment_by_river["group"], value_set=names))


def _ingest_log(backend) -> pa.Table:
    t = backend.table("ingest_log")
    return backend.to_pyarrow(t.order_by(t.ingest_id.desc()))


def ingest_summary(backend) -> tuple[pa.Table, pa.Table]:
    """(files, rows and rejects per domain and reader; rejected values per domain and reason)."""
    log = backend.table("ingest_log")
    by_reader = (
        log.group_by(["domain", "reader"])
        .aggregate(
            files=log.count(),
            failed=log.count(where=log.status == "failed"),
            partial=log.count(where=log.status == "partial"),
            rows_read=log.rows_read.sum(),
            values_read=log.values_read.sum(),
            rows_stored=log.rows_stored.sum(),
            rows_rejected=log.rows_rejected.sum(),
            size_bytes=log.size_bytes.sum(),
            first_ingest=log.started_at.min(),
            last_ingest=log.finished_at.max(),
        )
        .order_by(["domain", "reader"])
    )
    rej = backend.table("rejects")
    j = rej.left_join(log.select("ingest_id", "domain"), rej.ingest_id == log.ingest_id)
    reasons = (
        j.group_by(["domain", "reason"])
        .aggregate(values=j.count(), files=j.file.nunique(), example=j.value.arbitrary())
        .order_by([ibis.desc("values"), "domain", "reason"])
    )
    return backend.to_pyarrow(by_reader), backend.to_pyarrow(reasons)


# ---------------------------------------------------------------------------
# provenance


def _readme_says_generated(folder: Path) -> Path | None:
    for d in [folder, *list(folder.parents)[:_README_DEPTH]]:
        readme = d / "README.txt"
        try:
            head = readme.read_text(encoding="utf-8", errors="replace")[:200]
        except OSError:
            continue
        if head.startswith(f"{GENERATED_MARK} DATA"):
            return readme
    return None


def generated_data_evidence(backend) -> list[str]:
    """Why the store is taken to hold GENERATED data (empty: no sign of it).

    Three signs are looked for:

    - a ``meta`` entry ``generated_data`` or ``demo`` (a generator may set one);
    - stored indicator values whose method or note says ``GENERATED`` (the
      demo's reported indicators are ingested with the source
      "GENERATED (ecoplan demo)", which the reader keeps in the method);
    - a ``README.txt`` beginning "GENERATED DATA" in the folder of an ingested
      file or the two above it (``ecoplan demo`` writes one in its data
      folder); only found while the files are still where they were ingested
      from.
    """
    found: list[str] = []
    names = set(backend.list_tables())
    if "meta" in names:
        meta = backend.table("meta")
        rows = backend.to_pyarrow(meta.filter(meta.key.isin(list(_META_FLAGS)))).to_pylist()
        for r in rows:
            if (r["value"] or "").strip().lower() not in ("", "0", "false", "no"):
                found.append(f"store flag meta.{r['key']} = {r['value']}")
    if "indicator_values" in names:
        iv = backend.table("indicator_values")
        mark = iv.method.contains(GENERATED_MARK) | iv.note.contains(GENERATED_MARK)
        n = backend.to_pyarrow(iv.aggregate(n=iv.count(where=mark.fill_null(False)))).to_pylist()[0]["n"]
        if n:
            found.append(f"{n} indicator values say {GENERATED_MARK} in their method or note")
    if "ingest_log" in names:
        log = backend.table("ingest_log")
        files = backend.to_pyarrow(log.select("file").distinct())["file"].to_pylist()
        folders = sorted({str(Path(f).parent) for f in files if f})
        readmes = sorted({str(r) for f in folders if (r := _readme_says_generated(Path(f))) is not None})
        for r in readmes:
            found.append(f"ingested files lie under {Path(r).parent}, whose README.txt says GENERATED DATA")
    return found


def _meta_row(name: str, used_for: str, **extra: Any) -> dict[str, Any]:
    m = load(name)["meta"]
    return {
        "standard": m["standard"],
        "edition": str(m["edition"]),
        "title": m.get("title"),
        "title_en": m.get("title_en"),
        "source": m.get("source"),
        "certainty": m.get("certainty"),
        "used_for": used_for,
        **extra,
    }


def standards_used(year: int) -> list[dict[str, Any]]:
    """The table files whose figures the report's assessments of ``year`` use, with their editions."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = [_meta_row(f"hj633_{ed}", "air: AQI, levels") for ed in editions_between(first, last)]
    limits = air_limits(last)
    rows.append(
        _meta_row(
            f"gb3095_{limits['edition']}",
            "air: grade II limits (in force on the year's last day), validity",
            phase=limits["phase"],
        )
    )
    rows.append(_meta_row("hj663_2013", "air: annual statistics, percentiles, composite index"))
    rows.append(_meta_row("gb3838_2002", "water: class limits (Table 1)"))
    rows.append(_meta_row("water_assessment_2011", "water: section classes, basin levels"))
    rows.append(_meta_row("tli_2001", "lakes: trophic level index"))
    flow = ecoflow.defaults()["meta"]
    rows.append(
        {
            "standard": flow.get("method") or flow.get("rule"),
            "edition": str(flow.get("edition")),
            "title": flow.get("title"),
            "title_en": flow.get("title_en"),
            "source": flow.get("source"),
            "certainty": flow.get("certainty"),
            "used_for": "eco-flow: seasonal thresholds",
        }
    )
    return rows


# ---------------------------------------------------------------------------
# collecting


def _backend_and_path(source: Any) -> tuple[Any, str | None]:
    backend = getattr(source, "ibis", None)
    if backend is not None:  # a Store
        return backend, str(getattr(source, "path", "")) or None
    return source, None


def collect(source: Any, year: int, *, plan: Plan | str | Path | None = None) -> ReportData:
    """The report's tables for ``year`` from a :class:`~ecoplan.store.Store` (or an Ibis backend).

    ``plan``: a :class:`~ecoplan.plan.Plan`, a bundled plan id or a plan file
    (default: the bundled plan).
    """
    backend, path = _backend_and_path(source)
    plan = plan if isinstance(plan, Plan) else resolve_plan(plan)
    timings: dict[str, float] = {}
    tables: dict[str, pa.Table] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0
        return out

    run = backend.to_pyarrow
    tables["status"], tables["status_rollup"] = timed("status", lambda: _status(backend, plan, year))
    ranking = timed("air annual", lambda: run(_ranking(backend, year)))
    tables["air_annual"] = _annual_from_ranking(ranking, backend, year)
    tables["air_ranking"] = ranking
    tables["air_monthly"] = timed(
        "air monthly", lambda: run(air_queries.period(backend, year=year, period="month", by="city"))
    )
    tables["water_attainment"] = timed(
        "water",
        lambda: run(water_queries.attainment(backend, by="basin", period="year", year=year)),
    )
    tables["water_sections"] = timed(
        "water", lambda: run(water_queries.classify(backend, period="year", year=year))
    )
    tables["lakes"] = timed(
        "water", lambda: run(water_queries.trophic(backend, period="year", year=year, by="lake"))
    )
    by_river = timed(
        "water", lambda: run(water_queries.attainment(backend, by="river", period="year", year=year))
    )
    tables["lake_classes"] = _lake_classes(by_river, tables["lakes"])
    tables["ecoflow"] = timed("eco-flow", lambda: run(flow_queries.compliance(backend, year=[year])))
    history = timed("warnings", lambda: read_warnings(backend))
    tables["warnings_active"] = history.filter(pc.equal(history["active"], True))
    tables["warnings_year"] = _in_force(history, year)
    tables["ingest_log"] = timed("provenance", lambda: _ingest_log(backend))
    ingest, rejects = timed("provenance", lambda: ingest_summary(backend))
    generated = timed("provenance", lambda: generated_data_evidence(backend))
    return ReportData(
        year=year,
        plan=plan,
        store=path,
        generated_at=dt.datetime.now().replace(microsecond=0),
        tables=tables,
        ingest=ingest,
        rejects=rejects,
        standards=standards_used(year),
        generated=generated,
        air_limits=air_limits(dt.date(year, 12, 31)),
        timings=timings,
    )
