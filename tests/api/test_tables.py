"""Pagination, CSV output and hostile filter values."""

from __future__ import annotations

import csv
import io

import pytest

from ecoplan.api.respond import BOM

from .test_read import READ_CALLS


def test_pages_cut_the_same_table(filled) -> None:
    full = filled.client.get("/api/sites", params={"limit": 1000}).json()
    assert full["total"] == 60 and len(full["items"]) == 60
    pages = []
    for offset in range(0, 60, 25):
        res = filled.client.get("/api/sites", params={"limit": 25, "offset": offset})
        body = res.json()
        assert body["total"] == 60 and body["limit"] == 25 and body["offset"] == offset
        assert res.headers["x-total-count"] == "60" and res.headers["x-offset"] == str(offset)
        pages.extend(body["items"])
    assert pages == full["items"]
    past = filled.client.get("/api/sites", params={"limit": 10, "offset": 500}).json()
    assert past["items"] == [] and past["total"] == 60


def test_pages_of_an_assessment(filled) -> None:
    params = {"by": "city", "year": 2021}
    full = filled.client.get("/api/air/daily", params=params).json()
    half = filled.client.get("/api/air/daily", params={**params, "limit": 50}).json()
    rest = filled.client.get("/api/air/daily", params={**params, "limit": 1000, "offset": 50}).json()
    assert half["total"] == rest["total"] == full["total"] > 50
    assert half["items"] + rest["items"] == full["items"]


def test_default_and_maximum_limit(filled) -> None:
    settings = filled.client.app.state.settings
    body = filled.client.get("/api/plan/targets").json()
    assert body["limit"] == settings.default_limit
    res = filled.client.get("/api/sites", params={"limit": settings.max_limit + 1})
    assert res.status_code == 422
    err = res.json()["error"]
    assert err["code"] == "limit_too_large" and str(settings.max_limit) in err["message"]
    assert filled.client.get("/api/sites", params={"limit": settings.max_limit}).status_code == 200
    for bad in ({"limit": 0}, {"limit": -1}, {"offset": -5}, {"limit": "ten"}):
        res = filled.client.get("/api/sites", params=bad)
        assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_parameter"


def _csv_rows(res) -> list[dict]:
    assert res.content.startswith(BOM)
    text = res.content[len(BOM) :].decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_by_parameter_and_by_accept_header(filled) -> None:
    res = filled.client.get("/api/sites", params={"format": "csv", "city": "太原市"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/csv")
    assert 'filename="sites.csv"' in res.headers["content-disposition"]
    rows = _csv_rows(res)
    assert rows and {r["city"] for r in rows} == {"太原市"}
    assert len(rows) == int(res.headers["x-total-count"])
    json_rows = filled.client.get("/api/sites", params={"city": "太原市"}).json()["items"]
    assert [r["code"] for r in rows] == [r["code"] for r in json_rows]
    # NULL is an empty cell, numbers are written as numbers
    assert {r["lat"] for r in rows} == {"" if r["lat"] is None else str(r["lat"]) for r in json_rows}
    by_accept = filled.client.get("/api/sites", params={"city": "太原市"}, headers={"Accept": "text/csv"})
    assert by_accept.content == res.content


def test_csv_of_an_assessment_is_paginated_too(filled) -> None:
    res = filled.client.get("/api/air/daily", params={"by": "city", "format": "csv", "limit": 5})
    rows = _csv_rows(res)
    assert len(rows) == 5 and int(res.headers["x-total-count"]) > 5
    # Chinese text survives (the first day, the hour-0 label before the data, has no AQI and no category)
    assert any(r["category_zh"] for r in rows)
    assert all(bool(r["category_zh"]) == bool(r["aqi"]) for r in rows)
    json_rows = filled.client.get("/api/air/daily", params={"by": "city", "limit": 5}).json()["items"]
    assert [r["city"] for r in rows] == [r["city"] for r in json_rows]
    assert [r["aqi"] for r in rows] == ["" if r["aqi"] is None else str(r["aqi"]) for r in json_rows]


INJECTIONS = [
    "' OR 1=1 --",
    '"; DROP TABLE sites; --',
    "太原市'); DELETE FROM observations; --",
    "%' UNION SELECT token_hash FROM api_tokens --",
    "1) OR (1=1",
    "\\x00'",
]

# values for required parameters, so that the injected one is what is tested
REQUIRED = {
    "year": "2021",
    "start": "2021-01-02",
    "end": "2021-01-02",
    "from_year": "2020",
    "to_year": "2021",
}


def _string_params(doc: dict, path: str) -> dict[str, bool]:
    """Free-text query parameters of a GET operation: name -> whether it is repeatable."""
    out = {}
    for p in doc["paths"][path]["get"].get("parameters", []):
        if p["in"] != "query":
            continue
        variants = p.get("schema", {}).get("anyOf", [p.get("schema", {})])
        for v in variants:
            if v.get("type") == "string" and "enum" not in v:
                out[p["name"]] = False
            elif (
                v.get("type") == "array"
                and v.get("items", {}).get("type") == "string"
                and "enum" not in v["items"]
            ):
                out[p["name"]] = True
    return out


# The assessments build their filters in one place per domain (air: the station and
# city selection, water: the section table, flow: the gauge selection): each filter is
# tried alone on one endpoint of the domain, and all filters at once on the others
# (building an assessment's SQL takes about a second).
ONE_BY_ONE = {"/api/air/daily", "/api/water/classes", "/api/flow/compliance"}
ASSESSMENTS = ("/api/air/", "/api/water/", "/api/flow/")


def test_injection_strings_in_every_filter_are_plain_values(filled) -> None:
    """Every free-text filter of every GET endpoint, given SQL-looking values: no server error,
    no row matched, nothing changed. Repeatable filters get all the values in one request."""
    doc = filled.client.get("/openapi.json").json()
    before = filled.counts()
    tokens_before = filled.store.con.execute("SELECT count(*) FROM api_tokens").fetchone()[0]
    tried = set()
    for template, (path, _params) in READ_CALLS.items():
        if path is None:
            continue
        required = {k: v for k, v in REQUIRED.items() if k in _required(doc, template)}
        filters = _string_params(doc, template)
        if template.startswith(ASSESSMENTS) and template not in ONE_BY_ONE:
            cases = (
                [{n: INJECTIONS if rep else INJECTIONS[0] for n, rep in filters.items()}] if filters else []
            )
        else:
            cases = [
                {name: values if repeatable else values[0]}
                for name, repeatable in filters.items()
                for values in ([INJECTIONS] if repeatable else [[v] for v in INJECTIONS])
            ]
        for case in cases:
            res = filled.client.get(path, params={**required, **case})
            tried.update((template, n) for n in case)
            assert res.status_code in (200, 404, 422), (path, case, res.status_code, res.text)
            body = res.json()
            if res.status_code == 200:
                # a filter that matches nothing gives nothing, never everything
                assert body.get("total", 0) == 0, (path, case, body.get("total"))
            else:
                assert set(body["error"]) >= {"code", "message"}
    assert len(tried) > 60
    assert filled.counts() == before
    assert filled.store.con.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == tokens_before


def _required(doc: dict, path: str) -> set[str]:
    return {p["name"] for p in doc["paths"][path]["get"].get("parameters", []) if p.get("required")}


@pytest.mark.parametrize("value", INJECTIONS[:3])
def test_injection_in_a_path_parameter(filled, value: str) -> None:
    for path in ("/api/plan/targets/{}", "/api/warnings/{}"):
        res = filled.client.get(path.format(value.replace("/", "%2F")))
        assert res.status_code == 404
        assert "error" in res.json()
