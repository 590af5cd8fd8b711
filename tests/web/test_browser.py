"""End to end: the real app under uvicorn on loopback, driven by headless Chromium.

Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``) through
Playwright's Python package; no browser is downloaded. The store is the small
GENERATED one of ``conftest.py``. The test opens the overview, follows a
target falling behind to its page, opens the air calendar (and switches the
city with the selector) and the water page, and checks what the browser
shows against the API's figures fetched from the same server: the count of
targets per status and category (``/api/status/rollup``), the target's
latest value (``/api/status``), each calendar day's AQI and level
(``/api/air/daily``) and the colour painted on the screen for a day of each
level (HJ 633 Table 2 colour of the API's level), and the class counts per
basin (``/api/water/attainment``). Every request the browser makes outside
the server is refused and recorded (none may happen), and the pages must run
without a script error or a content-security-policy violation. Screenshots
go to the test's temporary folder.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from ecoplan.api import create_app
from ecoplan.charts import aqi_levels

from .conftest import AIR_YEAR, CITY, WATER_YEAR

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLOW = 240_000  # ms: a page's first visit computes its assessments on a loaded 2-core machine
OTHER_CITY = "大同市"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(web_db: Path) -> Iterator[str]:
    """The app over the test store, served by uvicorn on a free loopback port in a thread."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (.ci/run installs Debian's chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    import uvicorn

    app = create_app(web_db)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="dashboard-server", daemon=True)
    thread.start()
    for _ in range(600):
        if srv.started:
            break
        if not thread.is_alive():
            raise AssertionError("the server thread ended before it started")
        time.sleep(0.05)
    else:
        raise AssertionError("the server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=60)


@dataclass
class Browser:
    page: object
    base: str
    shots: Path
    outside: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path, timeout=SLOW)
        self.wait_for_charts()

    def wait_for_charts(self) -> None:
        # a selector, not a predicate: the page's policy forbids the eval a predicate needs
        self.page.wait_for_selector("body[data-charts]", state="attached", timeout=SLOW)
        failed = self.page.eval_on_selector_all(".chart[data-error]", "els => els.map(e => e.id)")
        assert failed == [], f"charts not drawn: {failed}"
        n = self.page.eval_on_selector_all(".chart", "els => els.length")
        drawn = self.page.eval_on_selector_all(".chart[data-rendered='true']", "els => els.length")
        assert drawn == n > 0

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def clean(self) -> None:
        assert self.outside == [], f"requests outside the server: {self.outside}"
        assert self.problems == [], f"errors in the page: {self.problems}"


@pytest.fixture(scope="module")
def browser(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    shots = tmp_path_factory.mktemp("screenshots")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            device_scale_factor=1,
            locale="zh-CN",
        )
        b = Browser(page=None, base=server, shots=shots)

        def guard(route) -> None:
            url = route.request.url
            if url.startswith(server + "/"):
                route.continue_()
            else:
                b.outside.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(SLOW)
        page.on("pageerror", lambda exc: b.problems.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                b.problems.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )
        b.page = page
        try:
            yield b
        finally:
            context.close()


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=300) as client:
        yield client


def items(client: httpx.Client, path: str, **params) -> list[dict]:
    res = client.get(path, params={**params, "limit": 50000})
    assert res.status_code == 200, res.text
    return res.json()["items"]


def png_pixel(data: bytes) -> tuple[int, int, int]:
    """The RGB of a 1x1 PNG (8-bit RGB or RGBA; every filter of a lone pixel leaves it as is)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None and header[0] == header[1] == 1 and header[2] == 8 and header[3] in (2, 6)
    raw = zlib.decompress(idat)
    return raw[1], raw[2], raw[3]


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


# -- overview --------------------------------------------------------------------


def test_overview_shows_the_status_rollup_and_warnings(browser: Browser, api: httpx.Client):
    browser.open("/?lang=en")
    page = browser.page
    shown = page.eval_on_selector_all(
        "#status-table tr[data-category] td[data-status]",
        "tds => tds.map(td => [td.closest('tr').dataset.category, td.dataset.status, td.textContent.trim()])",
    )
    rollup = {r["category"]: r for r in items(api, "/api/status/rollup", by="category")}
    overall = items(api, "/api/status/rollup", overall="true")[0]
    assert shown
    for category, status, text in shown:
        expected = overall if category == "*" else rollup[category]
        assert int(text) == expected[status], (category, status)
    assert {c for c, _, _ in shown} - {"*"} == {c for c, r in rollup.items() if r["total"]}
    cards = page.eval_on_selector_all(
        "#status-cards .card", "cs => cs.map(c => [c.dataset.status, c.querySelector('.count').textContent])"
    )
    assert {s: int(n) for s, n in cards} == {s: overall[s] for s, _ in cards}
    # the chart Plotly drew holds the same counts
    drawn = page.evaluate(
        "() => document.getElementById('status-chart').data.map(t => [t.customdata.map(c => c[0] + '|' + c[1]), t.x])"
    )
    for keys, xs in drawn:
        for key, x in zip(keys, xs, strict=True):
            status, category = key.split("|")
            assert x == rollup[category][status]
    warnings = api.get("/api/warnings", params={"limit": 1}).json()["total"]
    assert int(page.get_attribute("#warnings-count", "data-count")) == warnings > 0
    assert page.locator("#warnings-table tbody tr").count() == warnings
    browser.shot("overview-en")
    # the language switch in the header
    page.click("#lang-zh")
    browser.wait_for_charts()
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "已实现" in page.text_content("#status-table thead")
    browser.shot("overview-zh")
    browser.clean()


# -- a target ------------------------------------------------------------------


def test_a_target_falling_behind_agrees_with_the_status(browser: Browser, api: httpx.Client):
    browser.open("/?lang=en")
    page = browser.page
    first = page.locator("#behind-table tbody tr").first
    target_id = first.get_attribute("data-target")
    first.locator("a").click()
    page.wait_for_url(f"**/targets/{target_id}", timeout=SLOW)
    browser.wait_for_charts()
    status = items(api, "/api/status", id=target_id)[0]
    detail = api.get(f"/api/plan/targets/{target_id}").json()
    latest = page.get_attribute("[data-field='latest_value']", "data-value")
    assert (float(latest) if latest else None) == status["latest_value"]
    if status["latest_value"] is not None and status["unit"] != "bool":
        assert f"{status['latest_value']:.6g}" in page.text_content("[data-field='latest_value'] dd")
    assert status["status_en"] in page.text_content("#target-status")
    assert page.text_content("#target-clause") == detail["clause"]
    series = {int(k): v for k, v in json.loads(status["values"]).items() if v is not None}
    drawn = page.evaluate(
        "() => { const t = document.getElementById('series-chart').data[0]; return [t.x, t.y]; }"
    )
    assert dict(zip(drawn[0], drawn[1], strict=True)) == series
    browser.shot(f"target-{target_id}")
    browser.clean()


# -- air -------------------------------------------------------------------------

CELL_JS = """
([col, row]) => {
  const gd = document.getElementById('aqi-calendar');
  gd.scrollIntoView({block: 'center'});
  const box = gd.getBoundingClientRect();
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  const cx = box.left + fl._size.l + xa.l2p(col), cy = box.top + fl._size.t + ya.l2p(row);
  const hw = Math.abs(xa.l2p(1) - xa.l2p(0)) / 2, hh = Math.abs(ya.l2p(1) - ya.l2p(0)) / 2;
  return {cx: cx, cy: cy, hw: hw, hh: hh};
}
"""


def test_air_calendar_days_equal_the_daily_aqi(browser: Browser, api: httpx.Client):
    browser.open(f"/air?city={quote(CITY)}&year={AIR_YEAR}&lang=en")
    page = browser.page
    daily = items(api, "/api/air/daily", by="city", city=CITY, year=AIR_YEAR)
    days = {d["date"]: d for d in daily if d["aqi"] is not None}
    assert days
    cells = page.evaluate(
        "() => document.getElementById('aqi-calendar').data[0].customdata.flat().filter(c => c && c[1] !== null)"
    )
    assert {c[0]: (c[1], c[2]) for c in cells} == {k: (d["aqi"], d["level"]) for k, d in days.items()}
    colours = {lv.level: lv.colour for lv in aqi_levels()}
    # the colour painted for one day of each level present is the level's colour of HJ 633
    sampled = 0
    for level in sorted({d["level"] for d in days.values()}):
        day = next(d for k, d in sorted(days.items()) if d["level"] == level)
        cell = next(c for c in cells if c[0] == day["date"])
        col, row = next(
            (x, y)
            for y, line in enumerate(
                page.evaluate("() => document.getElementById('aqi-calendar').data[0].customdata")
            )
            for x, c in enumerate(line)
            if c and c[0] == day["date"]
        )
        at = page.evaluate(CELL_JS, [col, row])
        # inside the cell's corner, clear of the number printed in its middle
        x, y = at["cx"] - at["hw"] + 3, at["cy"] - at["hh"] + 3
        pixel = png_pixel(page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}))
        expected = _rgb(colours[day["level"]])
        assert all(abs(a - b) <= 3 for a, b in zip(pixel, expected, strict=True)), (
            day["date"],
            pixel,
            expected,
        )
        assert cell[5] == colours[day["level"]]
        sampled += 1
        last = (day, at)
    assert sampled >= 2
    # the hover label names the day and its AQI (after sampling: the label covers cells)
    day, at = last
    page.mouse.move(at["cx"], at["cy"])
    page.wait_for_selector(".hoverlayer .hovertext", timeout=10_000)
    label = page.text_content(".hoverlayer")
    assert day["date"] in label and f"AQI {day['aqi']}" in label
    page.mouse.move(0, 0)
    # the monthly table lists the API's months; the annual table the API's ranks
    months = items(api, "/api/air/monthly", year=AIR_YEAR, by="city", city=CITY)
    shown = page.eval_on_selector_all("#monthly-table tbody tr", "rs => rs.map(r => r.dataset.period)")
    assert shown == [m["period"] for m in months]
    ranking = {r["city"]: r["rank"] for r in items(api, "/api/air/ranking", year=AIR_YEAR)}
    ranks = page.eval_on_selector_all(
        "#annual-table tbody tr",
        "rs => rs.map(r => [r.dataset.city, r.querySelector('[data-col=rank]').textContent.trim()])",
    )
    assert {c: (None if r == "—" else int(r)) for c, r in ranks} == ranking
    browser.shot("air-calendar")
    # choosing another city in the selector shows its calendar
    page.select_option("#city-select", OTHER_CITY)
    page.wait_for_url(f"**city={quote(OTHER_CITY)}**", timeout=SLOW)
    browser.wait_for_charts()
    assert OTHER_CITY in page.text_content("#calendar-heading")
    other = items(api, "/api/air/daily", by="city", city=OTHER_CITY, year=AIR_YEAR)
    aqis = page.evaluate(
        "() => document.getElementById('aqi-calendar').data[0].customdata.flat().filter(c => c && c[1] !== null).map(c => [c[0], c[1]])"
    )
    assert dict(map(tuple, aqis)) == {d["date"]: d["aqi"] for d in other if d["aqi"] is not None}
    browser.clean()


# -- water -------------------------------------------------------------------------


def test_water_page_class_counts_equal_the_attainment(browser: Browser, api: httpx.Client):
    browser.open(f"/water?year={WATER_YEAR}&lang=en")
    page = browser.page
    attainment = {
        r["group"]: r for r in items(api, "/api/water/attainment", by="basin", period="year", year=WATER_YEAR)
    }
    shown = page.eval_on_selector_all(
        "#basin-classes tbody tr",
        "rs => rs.map(r => [r.dataset.group, Object.fromEntries([...r.querySelectorAll('td[data-col^=n_]')].map(td => [td.dataset.col, Number(td.textContent)]))])",
    )
    assert {g for g, _ in shown} == set(attainment)
    for group, counts in shown:
        assert counts == {k: attainment[group][k] for k in counts}, group
        assert len(counts) == 7  # sections and the six classes
    # the stacked bars Plotly drew for the year add up to the sections of each basin
    bars = page.evaluate(
        "() => document.getElementById('class-chart').data.map(t => ({x0: t.x[0], x1: t.x[1], y: t.y}))"
    )
    totals: dict[str, int] = {}
    for t in bars:
        for basin, year, y in zip(t["x0"], t["x1"], t["y"], strict=True):
            if year == str(WATER_YEAR):
                totals[basin] = totals.get(basin, 0) + y
    assert totals == {g: r["n_sections"] for g, r in attainment.items()}
    points = page.evaluate(
        "() => document.getElementById('section-map').data.reduce((n, t) => n + t.x.length, 0)"
    )
    classes = items(api, "/api/water/classes", period="year", year=WATER_YEAR)
    assert points == len(classes)
    browser.shot("water")
    browser.clean()
