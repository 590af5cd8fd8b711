"""Every read endpoint over the filled store, checked against the functions it serves."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ecoplan.air import queries as air_queries
from ecoplan.api.respond import rows
from ecoplan.flow import queries as flow_queries
from ecoplan.plan import indicators as plan_indicators
from ecoplan.plan import resolve_plan
from ecoplan.plan import status as plan_status
from ecoplan.water import queries as water_queries

from .conftest import FOREST_TARGET

# One call of every GET endpoint (path template -> a concrete call).
READ_CALLS = {
    "/api/health": ("/api/health", {}),
    "/api/plan": ("/api/plan", {}),
    "/api/plan/targets": ("/api/plan/targets", {"category": "air"}),
    "/api/plan/targets/{target_id}": (f"/api/plan/targets/{FOREST_TARGET}", {}),
    "/api/plan/indicators": ("/api/plan/indicators", {}),
    "/api/indicators": ("/api/indicators", {"indicator": "eco.forest_cover"}),
    "/api/status": ("/api/status", {}),
    "/api/status/rollup": ("/api/status/rollup", {}),
    "/api/air/hourly": ("/api/air/hourly", {"start": "2021-01-02", "end": "2021-01-02", "station": "1081A"}),
    "/api/air/daily": ("/api/air/daily", {"by": "city", "city": "太原市"}),
    "/api/air/annual": ("/api/air/annual", {"year": 2021}),
    "/api/air/monthly": ("/api/air/monthly", {"year": 2021, "by": "station", "city": "大同市"}),
    "/api/air/ranking": ("/api/air/ranking", {"year": 2021}),
    "/api/water/classes": ("/api/water/classes", {"year": 2021}),
    "/api/water/items": ("/api/water/items", {"year": 2021}),
    "/api/water/attainment": ("/api/water/attainment", {"by": "basin", "year": 2021}),
    "/api/water/trophic": ("/api/water/trophic", {}),
    "/api/water/change": ("/api/water/change", {"from_year": 2020, "to_year": 2021}),
    "/api/water/trend": ("/api/water/trend", {"from_year": 2017, "to_year": 2021}),
    "/api/flow/compliance": ("/api/flow/compliance", {}),
    "/api/flow/daily": ("/api/flow/daily", {"gauge": "FH001"}),
    "/api/warnings": ("/api/warnings", {}),
    "/api/warnings/{warning_id}": (None, {}),  # id taken from /api/warnings
    "/api/sites": ("/api/sites", {}),
    "/api/sections": ("/api/sections", {}),
    "/api/gauges": ("/api/gauges", {}),
    "/api/ingests": ("/api/ingests", {}),
    "/api/ingests/{ingest_id}": (None, {}),
    "/api/ingests/{ingest_id}/rejects": (None, {}),
}
ADMIN_ONLY = {"/api/tokens", "/api/auth-log"}


def _get(filled, path, **params):
    res = filled.client.get(path, params=params)
    assert res.status_code == 200, res.text
    return res.json()


def test_every_get_endpoint_of_the_openapi_document_is_listed_here(filled) -> None:
    doc = filled.client.get("/openapi.json").json()
    gets = {p for p, ops in doc["paths"].items() if "get" in ops}
    assert gets == set(READ_CALLS) | ADMIN_ONLY


@pytest.mark.parametrize("template", [t for t, (p, _) in READ_CALLS.items() if p is not None])
def test_every_read_endpoint_answers(filled, template: str) -> None:
    path, params = READ_CALLS[template]
    res = filled.client.get(path, params=params)
    assert res.status_code == 200, res.text
    body = res.json()
    assert res.headers["content-type"].startswith("application/json")
    assert res.headers["x-content-type-options"] == "nosniff"
    if "items" in body:
        assert set(body) >= {"items", "total", "limit", "offset"}
        assert body["total"] == int(res.headers["x-total-count"])
        assert body["total"] > 0, f"{template} returned no rows over the filled store"


def _same(api_items: list[dict], table: pa.Table) -> None:
    assert api_items == rows(table)


def test_air_daily_is_the_daily_report(filled) -> None:
    b = filled.store.ibis
    want = air_queries.execute(b, air_queries.daily(b, by="city", cities=["太原市"]))
    got = _get(filled, "/api/air/daily", by="city", city="太原市")
    assert got["total"] == want.num_rows == 11  # ten days and the hour-0 label of 2021-01-01
    _same(got["items"], want)
    assert {r["city"] for r in got["items"]} == {"太原市"}


def test_air_daily_by_year_and_by_range_agree(filled) -> None:
    a = _get(filled, "/api/air/daily", station="1081A", year=2021)
    b = _get(filled, "/api/air/daily", station="1081A", start="2021-01-01", end="2021-12-31")
    assert a["items"] == b["items"] and a["total"] > 0
    assert all(r["date"].startswith("2021-") for r in a["items"])


def test_air_hourly_of_one_station_and_day(filled) -> None:
    got = _get(filled, "/api/air/hourly", start="2021-01-02", end="2021-01-02", station="1081A")
    assert got["total"] == 24
    assert (
        got["items"][0]["time"] == "2021-01-02T01:00:00" and got["items"][-1]["time"] == "2021-01-03T00:00:00"
    )
    assert {r["station"] for r in got["items"]} == {"1081A"}


def test_air_hourly_needs_a_bounded_range(filled) -> None:
    res = filled.client.get("/api/air/hourly", params={"start": "2019-01-01", "end": "2021-01-01"})
    assert res.status_code == 422
    assert res.json()["error"]["code"] == "range_too_long"
    res = filled.client.get("/api/air/hourly", params={"start": "2021-01-05", "end": "2021-01-01"})
    assert res.status_code == 422 and "before start" in res.json()["error"]["message"]


def test_air_annual_and_monthly_are_the_period_statistics(filled) -> None:
    b = filled.store.ibis
    want = air_queries.execute(b, air_queries.period(b, year=2021, period="year", by="city"))
    got = _get(filled, "/api/air/annual", year=2021)
    _same(got["items"], want)
    assert got["total"] == 11
    monthly = _get(filled, "/api/air/monthly", year=2021, by="station", city="大同市")
    assert {r["city"] for r in monthly["items"]} == {"大同市"}
    assert all(r["period"] == "2021-01-01" for r in monthly["items"])


def test_air_ranking_orders_cities_by_composite_index(filled) -> None:
    got = _get(filled, "/api/air/ranking", year=2021)["items"]
    assert len(got) == 11
    assert [r["rank"] for r in got] == sorted(r["rank"] for r in got)
    assert got[0]["rank"] == 1
    indices = [r["composite_index"] for r in got]
    assert indices == sorted(indices)
    # ten days of data: no city meets the annual completeness rule
    assert not any(r["valid"] for r in got)
    sub = _get(filled, "/api/air/ranking", year=2021, city=["太原市", "大同市"])["items"]
    assert [r["city"] for r in sub] == [r["city"] for r in got if r["city"] in ("太原市", "大同市")]
    assert [r["rank"] for r in sub] == [1, 2]


def test_water_endpoints_are_the_water_queries(filled) -> None:
    b = filled.store.ibis
    _same(
        _get(filled, "/api/water/classes", year=2021)["items"],
        water_queries.execute(b, water_queries.classify(b, year=2021)),
    )
    _same(
        _get(filled, "/api/water/classes", period="sample", basin="海河流域")["items"],
        water_queries.execute(b, water_queries.classify(b, period="sample", basins=["海河流域"])),
    )
    att = _get(filled, "/api/water/attainment", by="basin", year=2021)
    _same(att["items"], water_queries.execute(b, water_queries.attainment(b, by="basin", year=2021)))
    # SX99 of samples_long.csv is in no section list: its group is unknown (None)
    assert {r["group"] for r in att["items"]} == {"黄河流域", "海河流域", None}
    troph = _get(filled, "/api/water/trophic")["items"]
    assert {r["section"] for r in troph} <= {"SX03", "SX05"}  # the reservoirs of sections.csv
    lakes = _get(filled, "/api/water/trophic", by="lake")["items"]
    _same(lakes, water_queries.execute(b, water_queries.trophic(b, by="lake")))


def test_flow_endpoints_are_the_flow_queries(filled) -> None:
    b = filled.store.ibis
    got = _get(filled, "/api/flow/compliance", gauge="FH002")
    _same(got["items"], flow_queries.execute(b, flow_queries.compliance(b, gauges=["FH002"])))
    assert {r["gauge"] for r in got["items"]} == {"FH002"}
    daily = _get(filled, "/api/flow/daily", gauge="FH001", start="2020-01-01", end="2020-01-05")
    assert [r["date"] for r in daily["items"]] == [f"2020-01-0{d}" for d in range(1, 6)]
    assert daily["items"][0]["discharge"] == 12.5 and daily["items"][2]["discharge"] is None


def test_unknown_codes_are_named(filled) -> None:
    for path, params, code in (
        ("/api/air/daily", {"station": ["1081A", "XXXX"]}, "unknown_station"),
        ("/api/water/classes", {"section": "NOPE"}, "unknown_section"),
        ("/api/flow/compliance", {"gauge": "G404"}, "unknown_gauge"),
    ):
        res = filled.client.get(path, params=params)
        assert res.status_code == 404
        err = res.json()["error"]
        assert err["code"] == code
        assert (
            repr(
                params.get("station", params.get("section", params.get("gauge")))[-1]
                if isinstance(params.get("station"), list)
                else next(iter(params.values()))
            )[1:-1]
            in err["message"]
        )


def test_warnings_active_and_history(filled) -> None:
    active = _get(filled, "/api/warnings")
    assert [w["kind"] for w in active["items"]] == ["heavy_pollution"]
    history = _get(filled, "/api/warnings", history="true")
    assert history["total"] == 2
    assert [w["kind"] for w in _get(filled, "/api/warnings", history="true", kind="ecoflow")["items"]] == [
        "ecoflow"
    ]
    assert _get(filled, "/api/warnings", history="true", start="2021-01-09")["total"] == 0
    assert _get(filled, "/api/warnings", history="true", end="2020-12-31")["total"] == 1
    one = active["items"][0]
    assert _get(filled, f"/api/warnings/{one['warning_id']}")["message_zh"] == "太原市重污染天气橙色预警"
    assert filled.client.get("/api/warnings/nope").status_code == 404


def test_stations_sections_gauges(filled) -> None:
    counts = filled.counts()
    assert _get(filled, "/api/sites")["total"] == counts["sites"] == 60
    ty = _get(filled, "/api/sites", city="太原市")["items"]
    assert ty and {s["city"] for s in ty} == {"太原市"}
    assert _get(filled, "/api/sections")["total"] == counts["sections"]
    assert {s["code"] for s in _get(filled, "/api/sections", basin="海河流域")["items"]} == {"SX04", "SX05"}
    assert {g["code"] for g in _get(filled, "/api/gauges", river="汾河")["items"]} == {"FH001", "FH002"}


def test_ingest_log_and_rejects(filled) -> None:
    log = _get(filled, "/api/ingests", limit=1000)["items"]
    ids = [r["ingest_id"] for r in log]
    assert ids == sorted(ids, reverse=True)
    assert all(r["file"].startswith("upload/") for r in log)
    flow = next(r for r in log if r["file"] == "upload/daily-zh.csv")
    assert _get(filled, f"/api/ingests/{flow['ingest_id']}")["rows_rejected"] == 5
    rejects = _get(filled, f"/api/ingests/{flow['ingest_id']}/rejects")["items"]
    assert len(rejects) == 5
    assert {r["reason"] for r in rejects} >= {"negative discharge", "missing gauge code"}
    assert _get(filled, "/api/ingests", domain="plan")["items"][0]["file"] == "upload/indicators.csv"
    res = filled.client.get("/api/ingests/999999/rejects")
    assert res.status_code == 404 and res.json()["error"]["code"] == "unknown_ingest"


def test_indicator_values(filled) -> None:
    got = _get(filled, "/api/indicators", indicator="eco.forest_cover", scope="rivers:seven")
    assert [(r["scope"], r["year"], r["value"]) for r in got["items"]] == [
        ("group:seven-rivers", 2020, 23.0),
        ("group:seven-rivers", 2021, 23.4),
        ("group:seven-rivers", 2022, 23.8),
        ("group:seven-rivers", 2023, 24.2),
    ]
    plan = resolve_plan(None)
    _same(
        got["items"],
        plan_indicators.indicator_values(
            filled.store.ibis, plan=plan, indicators=["eco.forest_cover"], scopes=["rivers:seven"]
        ),
    )
    assert [r["year"] for r in _get(filled, "/api/indicators", year_from=2021, year_to=2022)["items"]] == [
        2021,
        2022,
    ]
    res = filled.client.get("/api/indicators", params={"scope": "city:火星市"})
    assert res.status_code == 404 and res.json()["error"]["code"] == "unknown_scope"


def test_status_is_the_plan_status_table(filled) -> None:
    plan = resolve_plan(None)
    want = plan_status.status_table(filled.store, plan)
    got = _get(filled, "/api/status", limit=1000)
    _same(got["items"], want)
    forest = next(r for r in got["items"] if r["id"] == FOREST_TARGET)
    # 23.0 -> 24.2 in three years against 25 % in 2025: CAGR 1.71 %/yr, needed 1.68 %/yr
    assert forest["status"] == "on_track" and forest["latest_year"] == 2023
    on_track = _get(filled, "/api/status", status="on_track")["items"]
    assert [r["id"] for r in on_track] == [FOREST_TARGET]
    assert _get(filled, "/api/status", year=2021, id=FOREST_TARGET)["items"][0]["latest_year"] == 2021


def test_status_rollup_counts_every_target(filled) -> None:
    plan = resolve_plan(None)
    overall = _get(filled, "/api/status/rollup", overall="true")["items"]
    assert len(overall) == 1 and overall[0]["total"] == len(plan.goals())
    assert overall[0]["on_track"] == 1
    by_cat = _get(filled, "/api/status/rollup", by="category")["items"]
    assert sum(r["total"] for r in by_cat) == len(plan.goals())
    assert {r["category"] for r in by_cat} == {t.category for t in plan.goals()}


def test_plan_summary_targets_and_vocabulary(filled) -> None:
    plan = resolve_plan(None)
    summary = _get(filled, "/api/plan")
    assert summary["id"] == plan.id and summary["counts"] == plan.summary()["counts"]
    air = _get(filled, "/api/plan/targets", category="air")["items"]
    assert [r["id"] for r in air] == [
        r["id"] for r in plan.target_rows(category=["air"], role=["target", "trigger"])
    ]
    assert all("status" in r and r["clause"] for r in air)
    reported = _get(filled, "/api/plan/targets", kind="reported", limit=1000)["items"]
    assert reported and all(r["kind"] == "reported" for r in reported)
    by_scope = _get(filled, "/api/plan/targets", scope="basin:", limit=1000)["items"]
    assert by_scope and all(r["scope"].startswith("basin:") for r in by_scope)
    on_track = _get(filled, "/api/plan/targets", status="on_track")["items"]
    assert [r["id"] for r in on_track] == [FOREST_TARGET]
    one = _get(filled, f"/api/plan/targets/{FOREST_TARGET}")
    assert one["status"]["status"] == "on_track"
    assert [v["year"] for v in one["values"]] == [2020, 2021, 2022, 2023]
    assert filled.client.get("/api/plan/targets/no-such-target").status_code == 404
    res = filled.client.get("/api/plan/targets", params={"category": "weather"})
    assert res.status_code == 422 and "unknown category" in res.json()["error"]["message"]
    vocab = _get(filled, "/api/plan/indicators", limit=1000)
    assert vocab["total"] == len(plan.vocabulary)


def test_health_counts_rows(filled) -> None:
    body = _get(filled, "/api/health")
    assert body["status"] == "ok" and body["schema_version"]
    last = filled.store.con.execute("SELECT max(ingest_id) FROM ingest_log").fetchone()[0]
    assert body["last_ingest"]["ingest_id"] == last
