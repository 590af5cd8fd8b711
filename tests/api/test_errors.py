"""Errors as JSON naming the problem, security headers, CORS, the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoplan.api import Settings, create_app
from ecoplan.api.middleware import CONTENT_SECURITY_POLICY
from ecoplan.store import Store

from .conftest import Api

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}


def _error(res, status: int, code: str) -> str:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/json")
    body = res.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in res.text
    return body["error"]["message"]


@pytest.mark.parametrize(
    "path, params, status, code, words",
    [
        ("/api/nowhere", {}, 404, "not_found", "no such endpoint: GET /api/nowhere"),
        ("/api/air/daily", {"start": "2021-13-01"}, 422, "invalid_parameter", "query parameter 'start'"),
        ("/api/air/daily", {"year": "twenty"}, 422, "invalid_parameter", "'twenty'"),
        ("/api/air/daily", {"year": 1800}, 422, "invalid_parameter", "1800 is not a year"),
        (
            "/api/air/daily",
            {"year": 2021, "start": "2021-01-01"},
            422,
            "invalid_parameter",
            "either year or start",
        ),
        ("/api/air/daily", {"by": "province"}, 422, "invalid_parameter", "query parameter 'by'"),
        ("/api/air/daily", {"edition": "1999"}, 422, "invalid_parameter", "unknown HJ 633 edition '1999'"),
        ("/api/air/daily", {"station": "ZZZZ"}, 404, "unknown_station", "unknown station code: 'ZZZZ'"),
        ("/api/air/annual", {}, 422, "invalid_parameter", "query parameter 'year': Field required"),
        ("/api/water/classes", {"period": "week"}, 422, "invalid_parameter", "query parameter 'period'"),
        ("/api/water/attainment", {"heavy_threshold": 50}, 422, "invalid_parameter", "heavy_max_good_share"),
        (
            "/api/water/change",
            {"from_year": 2021, "to_year": 2020},
            422,
            "invalid_parameter",
            "must be after",
        ),
        ("/api/ingests/abc", {}, 422, "invalid_parameter", "path parameter 'ingest_id'"),
        (
            "/api/indicators",
            {"year_from": 2022, "year_to": 2020},
            422,
            "invalid_parameter",
            "before year_from",
        ),
    ],
)
def test_errors_name_the_problem(fresh: Api, path, params, status, code, words) -> None:
    msg = _error(fresh.client.get(path, params=params), status, code)
    assert words in msg


def test_method_not_allowed(fresh: Api) -> None:
    msg = _error(fresh.client.delete("/api/sites"), 405, "method_not_allowed")
    assert "DELETE" in msg


def test_an_internal_error_is_a_json_500_without_details(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecoplan.air import queries

    def broken(*_a, **_k):
        raise RuntimeError("secret internals /home/user/db password=hunter2")

    monkeypatch.setattr(queries, "daily", broken)
    store = Store(tmp_path / "x.duckdb")
    try:
        client = TestClient(create_app(store), raise_server_exceptions=False)
        res = client.get("/api/air/daily")
        msg = _error(res, 500, "internal_error")
        assert "hunter2" not in res.text and "secret" not in msg
        for k, v in HEADERS.items():
            assert res.headers[k] == v
    finally:
        store.close()


def test_security_headers_on_every_kind_of_response(fresh: Api) -> None:
    for res in (
        fresh.client.get("/api/plan"),
        fresh.client.get("/openapi.json"),
        fresh.client.get("/api/nowhere"),
        fresh.client.get("/api/sites", params={"format": "csv"}),
        fresh.client.post("/api/ingest/air"),  # refused: no token
        fresh.client.get("/"),
    ):
        for k, v in HEADERS.items():
            assert res.headers.get(k) == v, (res.request.url, k)
    assert (
        "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
    )


def test_cors_is_closed_by_default(fresh: Api) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    res = fresh.client.get("/api/sites", headers=origin)
    assert res.status_code == 200 and "access-control-allow-origin" not in res.headers
    pre = fresh.client.options("/api/ingest/air", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_opens_to_configured_origins_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "cors.duckdb")
    try:
        client = TestClient(create_app(store, Settings(cors_origins=("https://dash.example/",))))
        ok = client.get("/api/sites", headers={"Origin": "https://dash.example"})
        assert ok.headers["access-control-allow-origin"] == "https://dash.example"
        assert "x-total-count" in ok.headers["access-control-expose-headers"].lower()
        other = client.get("/api/sites", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        pre = client.options(
            "/api/ingest/air",
            headers={
                "Origin": "https://dash.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://dash.example"
    finally:
        store.close()
    with pytest.raises(ValueError, match="wildcard"):
        Settings(cors_origins=("*",))


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "ECOPLAN_API_AUTH_READ": "yes",
            "ECOPLAN_API_CORS_ORIGINS": "https://a.example, https://b.example",
            "ECOPLAN_API_MAX_UPLOAD_MB": "2",
            "ECOPLAN_API_MAX_LIMIT": "500",
        }
    )
    assert s.auth_read and s.cors_origins == ("https://a.example", "https://b.example")
    assert s.max_upload_bytes == 2 * 1024 * 1024 and s.max_limit == 500 and s.default_limit == 500
    assert Settings.from_env({}, auth_read=None) == Settings()
    with pytest.raises(ValueError):
        Settings.from_env({"ECOPLAN_API_AUTH_READ": "perhaps"})


def test_openapi_document_describes_every_operation(fresh: Api) -> None:
    res = fresh.client.get("/openapi.json")
    assert res.status_code == 200
    doc = res.json()
    assert doc["info"]["title"] == "ecoplan API" and "Errors" in doc["info"]["description"]
    assert "token" in doc["components"]["securitySchemes"]
    n = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            n += 1
            assert op.get("summary"), (method, path)
            assert op.get("description"), (method, path)
            for p in op.get("parameters", []):
                assert p.get("schema"), (path, p["name"])
                if p["in"] == "query":
                    assert p.get("description"), (path, p["name"])
    assert n >= 35
    # typed parameters: dates, integers, enumerations
    daily = {p["name"]: p for p in doc["paths"]["/api/air/daily"]["get"]["parameters"]}
    assert daily["start"]["schema"]["anyOf"][0]["format"] == "date"
    assert daily["year"]["schema"]["anyOf"][0]["type"] == "integer"
    assert daily["by"]["schema"]["enum"] == ["station", "city"]
    # the docs pages load scripts from a CDN: they are off
    assert fresh.client.get("/docs").status_code == 404
