"""The dashboard's pages over a small store of GENERATED data, read as HTML and checked against the API.

Each page names the API endpoint of every figure; the checks here fetch that
endpoint (or an equivalent one with other parameters) with the same client
and compare what the page shows with what the API answers.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from ecoplan.api import Settings, create_app
from ecoplan.api.auth import create_token, revoke_token
from ecoplan.api.middleware import CONTENT_SECURITY_POLICY
from ecoplan.plan import progress
from ecoplan.web import i18n
from ecoplan.web.pages import PLOTLY_JS

from .conftest import AIR_YEAR, CITY, WATER_YEAR, parse

PAGES = ["/", f"/air?city={quote(CITY)}&year={AIR_YEAR}", f"/water?year={WATER_YEAR}"]


@pytest.fixture(scope="module")
def client(web_store) -> Iterator[TestClient]:
    with TestClient(create_app(web_store)) as c:
        yield c


def with_limit(url: str, limit: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}limit={limit}"


def api(client: TestClient, url: str) -> dict:
    res = client.get(with_limit(url, 50000))
    assert res.status_code == 200, res.text
    return res.json()


def figure(page, ident: str) -> dict:
    """The Plotly figure embedded for the chart ``ident``."""
    block = page.by_id(f"{ident}-data")
    assert block["tag"] == "script" and block["attrs"]["type"] == "application/json"
    return json.loads(block["text"])


def a_target(client: TestClient) -> dict:
    """A target with at least two values, a target value and a projection (from the API)."""
    rows = api(client, "/api/status?role=target")["items"]
    rows = [r for r in rows if r["n_values"] and r["n_values"] >= 2 and r["target_resolved"] is not None]
    rows.sort(key=lambda r: (r["projected_value"] is None, r["id"]))
    assert rows, "the test store has no target with a series"
    return rows[0]


# -- every page ------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/targets/{target}"])
def test_pages_carry_the_security_headers_and_load_only_same_origin_scripts(client, path):
    if "{target}" in path:
        path = path.format(target=a_target(client)["id"])
    res = client.get(path)
    assert res.status_code == 200, res.text[:500]
    assert res.headers["content-type"].startswith("text/html")
    assert res.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in res.headers["content-security-policy"]
    assert res.headers["x-frame-options"] == "DENY"
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["cache-control"] == "no-store"
    page = parse(res.text)
    scripts = page.find("script")
    assert scripts
    for s in scripts:
        if "src" in s["attrs"]:
            assert s["attrs"]["src"].startswith("/static/")
        else:  # data blocks only: never executed, not subject to script-src
            assert s["attrs"].get("type") == "application/json", s
    assert any(s["attrs"].get("src", "").startswith("/static/plotly.min.js") for s in scripts)
    # nothing refers to another origin
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", res.text)
    assert not re.search(r"\son[a-z]+=", res.text)  # no inline event handlers
    # every chart has its figure and names the endpoint it shows
    charts = [e for e in page.find("div") if "chart" in e["attrs"].get("class", "").split()]
    assert charts
    for c in charts:
        fig = figure(page, c["attrs"]["id"])
        assert fig["data"], c["attrs"]["id"]
    for link in page.find("a"):
        if "data-source" in link["attrs"]:
            assert link["attrs"]["href"].startswith("/api/")
            assert client.get(with_limit(link["attrs"]["href"], 1)).status_code == 200


def test_plotly_is_served_from_the_installed_package(client):
    page = parse(client.get("/").text)
    src = next(s["attrs"]["src"] for s in page.find("script") if "plotly" in s["attrs"].get("src", ""))
    plain = client.get(src, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/javascript")
    assert plain.content == PLOTLY_JS.read_bytes()
    assert plain.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    zipped = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == PLOTLY_JS.read_bytes()  # the client unzips
    assert len(gzip.compress(PLOTLY_JS.read_bytes())) < len(PLOTLY_JS.read_bytes())
    again = client.get(src, headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["nothing.js", "..%2Fpages.py", "pages.py", "%2Fetc%2Fpasswd"])
def test_static_serves_named_files_only(client, name):
    assert client.get(f"/static/{name}").status_code == 404


# -- language ------------------------------------------------------------------


def test_language_switch_is_remembered(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in zh.text and i18n.text("overview_title", "zh") in zh.text
    en = client.get("/?lang=en")
    assert '<html lang="en">' in en.text and i18n.text("overview_title", "en") in html.unescape(en.text)
    assert en.cookies.get(i18n.COOKIE) == "en"
    # the cookie keeps English on the next page without ?lang
    air = client.get(f"/air?city={quote(CITY)}")
    assert i18n.text("air_title", "en") in html.unescape(air.text)
    # the switch links keep the other parameters
    page = parse(air.text)
    assert page.by_id("lang-zh")["attrs"]["href"] == f"/air?city={quote(CITY)}&lang=zh"
    back = client.get("/?lang=zh")
    assert back.cookies.get(i18n.COOKIE) == "zh"
    client.cookies.clear()
    # a browser preferring English gets English without asking
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB,en"}).text
    # an unknown language is ignored
    assert '<html lang="zh-CN">' in client.get("/?lang=fr").text


def test_labels_in_both_languages(client):
    rollup = api(client, "/api/status/rollup?by=category")["items"]
    plan = client.app.state.plan
    for lang in ("zh", "en"):
        text = html.unescape(client.get(f"/?lang={lang}").text)
        for r in rollup:
            if r["total"]:
                c = plan.categories[r["category"]]
                assert (c.en if lang == "en" else c.zh) in text
        for s in progress.STATUSES:
            zh, en = progress.STATUS_LABELS[s]
            assert (en if lang == "en" else zh) in text
    client.cookies.clear()


# -- overview ------------------------------------------------------------------


def test_overview_counts_equal_the_rollup(client):
    page = parse(client.get("/").text)
    rollup = {r["category"]: r for r in api(client, "/api/status/rollup?by=category")["items"]}
    overall = api(client, "/api/status/rollup?overall=true")["items"][0]
    shown = {}
    for el in page.find("td"):
        status = el["attrs"].get("data-status")
        row = next((a for a in reversed(el["ancestors"]) if a["tag"] == "tr"), None)
        if status and row and "data-category" in row["attrs"]:
            shown[(row["attrs"]["data-category"], status)] = int(el["text"])
    categories = {c for c, _ in shown} - {"*"}
    assert categories == {c for c, r in rollup.items() if r["total"]}
    for (category, status), n in shown.items():
        expected = overall if category == "*" else rollup[category]
        assert n == expected[status], (category, status)
    for card in page.find("div", **{"class": "card"}) + page.find("div", **{"class": "card total"}):
        s = card["attrs"]["data-status"]
        assert int(card["attrs"]["data-count"]) == overall[s]
    # the chart shows the same counts
    fig = figure(page, "status-chart")
    for trace in fig["data"]:
        status = trace["customdata"][0][0]
        for (s, cid), n in zip(trace["customdata"], trace["x"], strict=True):
            assert n == rollup[cid][s]


def test_overview_lists_targets_behind_and_active_warnings(client):
    page = parse(client.get("/").text)
    status = api(client, "/api/status?role=target")["items"]
    behind = {
        r["id"]
        for r in status
        if r["status"] in ("limited_progress", "deterioration", "not_achieved")
        or (r["status"] in ("on_track", "acceleration_needed") and r["projected_meets"] is False)
    }
    rows = page.having("tr", "data-target")
    assert {r["attrs"]["data-target"] for r in rows} == behind
    assert behind, "the test store should have targets falling behind"
    assert int(page.by_id("behind-count")["attrs"]["data-count"]) == len(behind)
    by_id = {r["id"]: r for r in status}
    for r in rows:
        assert r["attrs"]["data-status"] == by_id[r["attrs"]["data-target"]]["status"]
    warnings = api(client, "/api/warnings")
    shown = [e["attrs"]["data-warning"] for e in page.find("tr") if "data-warning" in e["attrs"]]
    assert shown == [w["warning_id"] for w in warnings["items"]]
    assert (
        warnings["total"] > 0
        and int(page.by_id("warnings-count")["attrs"]["data-count"]) == warnings["total"]
    )


# -- target page ---------------------------------------------------------------


def test_target_page_agrees_with_the_status(client):
    row = a_target(client)
    res = client.get(f"/targets/{row['id']}")
    assert res.status_code == 200
    page = parse(res.text)
    fields = {
        e["attrs"]["data-field"]: e["attrs"]["data-value"]
        for e in page.find("div")
        if "data-field" in e["attrs"]
    }
    assert float(fields["latest_value"]) == row["latest_value"]
    assert float(fields["target"]) == row["target_resolved"]
    assert float(fields["baseline_value"]) == row["baseline_value"]
    if row["projected_value"] is not None:
        assert float(fields["projected_value"]) == row["projected_value"]
    badge = page.by_id("target-status")
    assert row["status_zh"] in badge["text"]
    # the clause, verbatim from the plan
    plan = client.app.state.plan
    assert page.by_id("target-clause")["text"] == plan.target(row["id"]).clause
    # the chart's series is the one the status was judged on
    fig = figure(page, "series-chart")
    observed = fig["data"][0]
    series = {int(k): v for k, v in json.loads(row["values"]).items() if v is not None}
    assert dict(zip(observed["x"], observed["y"], strict=True)) == series
    target_line = next(t for t in fig["data"] if t["name"] == "目标值")
    assert set(target_line["y"]) == {row["target_resolved"]}
    # the stored values are those of the target endpoint
    detail = api(client, f"/api/plan/targets/{row['id']}")
    cells = [e for e in page.find("td") if "data-value" in e["attrs"]]
    assert [float(c["attrs"]["data-value"]) for c in cells if c["attrs"]["data-value"]] == [
        v["value"] for v in detail["values"] if v["value"] is not None
    ]


def test_unknown_target_is_a_404_page(client):
    res = client.get("/targets/no-such-target%3Cscript%3E")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("text/html")
    assert "<script>" not in res.text and "no-such-target&lt;script&gt;" in res.text


# -- air -----------------------------------------------------------------------


def test_air_page_calendar_and_tables_equal_the_api(client):
    res = client.get(f"/air?city={quote(CITY)}&year={AIR_YEAR}")
    page = parse(res.text)
    daily = api(client, f"/api/air/daily?by=city&city={quote(CITY)}&year={AIR_YEAR}")["items"]
    assert daily
    hm = figure(page, "aqi-calendar")["data"][0]
    cells = {c[0]: c for line in hm["customdata"] for c in line if c and c[1] is not None}
    assert {d["date"]: (d["aqi"], d["level"]) for d in daily if d["aqi"] is not None} == {
        k: (c[1], c[2]) for k, c in cells.items()
    }
    legend = {
        int(e["attrs"]["data-level"]): e["attrs"]["data-colour"]
        for e in page.find("li")
        if "data-level" in e["attrs"]
    }
    for c in cells.values():
        assert c[5] == legend[c[2]]
    monthly = api(client, f"/api/air/monthly?year={AIR_YEAR}&by=city&city={quote(CITY)}")["items"]
    rows = [e for e in page.find("tr") if "data-period" in e["attrs"]]
    assert [r["attrs"]["data-period"] for r in rows] == [m["period"] for m in monthly]
    annual = {r["city"]: r for r in api(client, f"/api/air/annual?year={AIR_YEAR}&by=city")["items"]}
    ranking = {r["city"]: r for r in api(client, f"/api/air/ranking?year={AIR_YEAR}")["items"]}
    shown = {}
    for td in page.find("td"):
        tr = next((a for a in reversed(td["ancestors"]) if a["tag"] == "tr"), None)
        if tr and "data-city" in tr["attrs"] and "data-col" in td["attrs"]:
            shown[(tr["attrs"]["data-city"], td["attrs"]["data-col"])] = td["text"].strip()
    assert {c for c, _ in shown} == set(annual)
    for city, r in annual.items():
        assert shown[(city, "good_days")] == str(r["good_days"])
        assert shown[(city, "pm2_5_mean")] == f"{r['pm2_5_mean']:.6g}"
        assert shown[(city, "rank")] == str(ranking[city]["rank"])
    bars = figure(page, "ranking-chart")["data"][0]
    assert [c[0] for c in bars["customdata"]] == [
        r["city"]
        for r in sorted(ranking.values(), key=lambda r: r["rank"])
        if r["composite_index"] is not None
    ]


def test_air_page_rejects_unknown_cities_and_bad_years(client):
    res = client.get("/air?city=%3Cb%3Ex%3C%2Fb%3E")
    assert res.status_code == 404 and "&lt;b&gt;x&lt;/b&gt;" in res.text
    assert client.get("/air?year=twenty").status_code == 422
    assert client.get("/air?year=99999").status_code == 422
    empty = client.get(f"/air?city={quote(CITY)}&year=2001")
    assert empty.status_code == 200  # a year without data: empty calendar


# -- water ---------------------------------------------------------------------


def test_water_page_class_counts_equal_the_attainment(client):
    page = parse(client.get(f"/water?year={WATER_YEAR}").text)
    api_rows = {
        r["group"]: r
        for r in api(client, f"/api/water/attainment?by=basin&period=year&year={WATER_YEAR}")["items"]
    }
    shown: dict[str, dict[str, int]] = {}
    for td in page.find("td"):
        tr = next((a for a in reversed(td["ancestors"]) if a["tag"] == "tr"), None)
        if tr and "data-group" in tr["attrs"] and td["attrs"].get("data-col", "").startswith("n_"):
            shown.setdefault(tr["attrs"]["data-group"], {})[td["attrs"]["data-col"]] = int(td["text"])
    assert set(shown) == set(api_rows)
    for basin, cols in shown.items():
        for col, n in cols.items():
            assert n == api_rows[basin][col], (basin, col)
        assert sum(v for k, v in cols.items() if k != "n_sections") == cols["n_sections"]
    # the map shows every classified section with coordinates
    classes = api(client, f"/api/water/classes?period=year&year={WATER_YEAR}")["items"]
    sections = {s["code"]: s for s in api(client, "/api/sections")["items"]}
    fig = figure(page, "section-map")
    points = {
        c[0]: (x, y) for t in fig["data"] for c, x, y in zip(t["customdata"], t["x"], t["y"], strict=True)
    }
    expected = {
        c["section"]: (sections[c["section"]]["lon"], sections[c["section"]]["lat"])
        for c in classes
        if sections[c["section"]]["lon"] is not None
    }
    assert points == expected
    # eco-flow bars equal the compliance rates of the year
    flow = api(client, f"/api/flow/compliance?year={WATER_YEAR}")["items"]
    bars = figure(page, "flow-chart")["data"]
    rates = {(r["gauge"], r["period"]): r["compliance_rate"] for r in flow}
    for trace, period in zip(bars, ("non_flood", "flood"), strict=True):
        for gauge, y in zip(trace["customdata"], trace["y"], strict=True):
            expected_rate = rates.get((gauge, period))
            assert y == (None if expected_rate is None else round(expected_rate * 100, 1))


# -- closed reads --------------------------------------------------------------


def test_pages_close_with_the_api_when_reads_need_a_token(web_store):
    with web_store.transaction():
        tid, token = create_token(web_store, "dashboard test", "read")
    app = create_app(web_store, Settings(auth_read=True))
    with TestClient(app) as c:
        before = web_store.con.execute("SELECT count(*) FROM auth_log").fetchone()[0]
        res = c.get("/")
        assert res.status_code == 401 and 'name="token"' in res.text
        assert "status-table" not in res.text
        assert c.get("/air").status_code == 401 and c.get("/water").status_code == 401
        assert c.get("/static/dashboard.css").status_code == 200  # files carry no data
        # a wrong token: refused and logged (without the token)
        bad = c.post("/login", data={"token": "ecp_00000000_" + "x" * 43, "next": "/water"})
        assert bad.status_code == 401 and "login-refused" in bad.text
        logged = web_store.con.execute("SELECT count(*) FROM auth_log").fetchone()[0]
        assert logged == before + 1
        # the read token opens the pages; the next page is local only
        ok = c.post("/login", data={"token": token, "next": "//evil.example/x"}, follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/").status_code == 200
        # a bearer header works without the cookie
        c.cookies.clear()
        assert c.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        # a revoked token no longer opens them
        revoke_token(web_store, tid)
        c.cookies.set("ecoplan_read", token)
        assert c.get("/").status_code == 401
        out = c.post("/logout", follow_redirects=False)
        assert out.status_code == 303 and "ecoplan_read=" in out.headers["set-cookie"]


def test_pages_of_an_empty_store(tmp_path):
    """A fresh store (nothing ingested yet): every page answers, saying there is no data."""
    from ecoplan.store import Store

    with Store(tmp_path / "empty.duckdb") as store, TestClient(create_app(store)) as c:
        for path in ("/?lang=en", "/air", "/water", "/targets/air-pm25-2025"):
            res = c.get(path)
            assert res.status_code == 200, (path, res.text[:300])
        overview = parse(c.get("/").text)
        cards = {
            e["attrs"]["data-status"]: int(e["attrs"]["data-count"])
            for e in overview.having("div", "data-count")
        }
        assert cards["total"] == cards["not_assessable"] > 0
        assert "warnings-none" in c.get("/").text
        assert i18n.text("no_data", "en") in c.get("/air?lang=en").text
