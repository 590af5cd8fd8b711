"""The HTML report: one self-contained page that opens offline, with its sections and figures.

"Self-contained" is checked on the parsed page: no script, stylesheet,
image or frame is loaded from anywhere (no ``src``/``href`` on script and
link elements at all, so nothing is fetched, not even from the file's
folder); Plotly's script is inline (its banner names the version of the
installed package); every figure's data parses and has its element.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pyarrow as pa
import pytest
from plotly.offline import get_plotlyjs_version

from ecoplan.report import collect, labels
from ecoplan.report.html import AIR_STATS, SECTION_IDS, render_html, write_html
from ecoplan.store import Store

from .conftest import YEAR


class Page(HTMLParser):
    """The elements the tests look at: ids, script/link/img/iframe tags, tables with their cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.tables: list[dict[str, list]] = []  # {"section": id, "rows": [[cell text, ...], ...]}
        self.headings: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []
        self._section: str | None = None
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        self.tags.append((tag, a))
        if tag == "section":
            self._section = a.get("id")
        elif tag == "script":
            self._script, self._text = a, []
        elif tag == "table":
            self.tables.append({"section": self._section, "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture(scope="module")
def html_zh(data, tmp_path_factory) -> str:
    path = write_html(data, tmp_path_factory.mktemp("html") / "report.html", lang="zh")
    return path.read_text(encoding="utf-8")


def test_nothing_is_fetched(html_zh):
    page = parse(html_zh)
    scripts = [a for t, a in page.tags if t == "script"]
    links = [a for t, a in page.tags if t == "link"]
    assert scripts, "the page has scripts"
    # nothing loaded by a script or link element: no src or href at all
    assert all("src" not in a for a in scripts), [a for a in scripts if "src" in a]
    assert all("href" not in a for a in links), links
    for tag, a in page.tags:
        for attr in ("src", "href", "data", "poster", "srcset"):
            value = a.get(attr) or ""
            assert not re.match(r"^\s*(https?:)?//", value), (tag, attr, value)
            if tag in ("img", "iframe", "embed", "object", "source", "video", "audio"):
                pytest.fail(f"unexpected <{tag}> element")
    # the only links are to the page's own sections
    hrefs = [a["href"] for t, a in page.tags if t == "a" and "href" in a]
    assert hrefs and all(h.startswith("#") and h[1:] in page.ids for h in hrefs)
    # styles are inline and import nothing
    styles = re.findall(r"<style>(.*?)</style>", html_zh, flags=re.S)
    assert len(styles) == 1
    assert "@import" not in styles[0] and "url(" not in styles[0]


def test_plotly_is_embedded_and_every_figure_has_data(html_zh):
    page = parse(html_zh)
    banner = f"plotly.js v{get_plotlyjs_version()}"
    inline = [text for a, text in page.scripts if "src" not in a and banner in text[:200]]
    assert len(inline) == 1, "Plotly's script is inline, once"
    figures = [(a["data-figure"], text) for a, text in page.scripts if a.get("data-figure")]
    ids = {f for f, _ in figures}
    # status counts, ranking, two monthly charts, water classes, TLI, eco-flow
    assert ids == {
        "fig-status",
        "fig-ranking",
        "fig-monthly-pm25",
        "fig-monthly-good",
        "fig-water-classes",
        "fig-tli",
        "fig-ecoflow",
    }
    for fid, text in figures:
        assert fid in page.ids, f"no element for {fid}"
        fig = json.loads(text)
        assert fig["data"], fid


def test_sections_and_print_stylesheet(html_zh):
    page = parse(html_zh)
    for sid in (*SECTION_IDS, "cover"):
        assert page.ids.count(sid) == 1, sid
    assert "generated-notice" in page.ids  # the store holds the demo's data
    assert "@media print" in html_zh and "@page" in html_zh
    assert "生成数据,非监测数据" in html_zh


def _table_in(page: Page, section: str, *headers: str) -> list[list[str]]:
    """The rows (header row included) of the table of ``section`` whose first headers are ``headers``."""
    for t in page.tables:
        if t["section"] == section and t["rows"] and t["rows"][0][: len(headers)] == list(headers):
            return t["rows"]
    raise AssertionError(f"no table in {section} starting with {headers}")


def test_air_table_shows_the_api_figures_at_reporting_precision(html_zh, client):
    """Each city's annual means and percentiles as /api/air/annual gives them (μg/m³ integers, CO one
    decimal; the statistics are already rounded per GB/T 8170, so the page shows them unchanged)."""
    rows = _table_in(parse(html_zh), "air", "城市")
    body = {r[0]: r for r in rows[2:]}  # two header rows: names and limits
    api = client.get("/api/air/annual", params={"year": YEAR, "by": "city", "limit": 1000}).json()["items"]
    assert set(body) == {r["city"] for r in api} and len(api) == 11
    for r in api:
        cells = body[r["city"]]
        for i, stat in enumerate(AIR_STATS, 1):
            shown = cells[i].rstrip("*")
            expected = f"{r[stat]:.1f}" if stat.startswith("co_") else f"{r[stat]:.0f}"
            assert shown == expected, (r["city"], stat)
            # a month of data: no annual item is complete, and each is marked so
            pollutant = labels.stat_parts(stat)[0]
            assert r[f"valid_{pollutant}"] is False
            assert cells[i].endswith("*")
        assert cells[len(AIR_STATS) + 1] == f"{r['good_ratio'] * 100:.1f}%"
        assert cells[len(AIR_STATS) + 2] == str(r["heavy_days"])


def test_limits_row_comes_from_the_gb3095_table(html_zh, data):
    """The second header row holds the grade II limits of GB 3095-2012 Table 1 (in force in 2021):
    PM2.5 35 (annual) / 75 (24 h), PM10 70 / 150, SO2 60 / 150, NO2 40 / 80, CO 4 (24 h), O3 160 (8 h)."""
    rows = _table_in(parse(html_zh), "air", "城市")
    assert data.air_limits["edition"] == "2012"
    assert rows[1][1:11] == ["35", "75", "70", "150", "60", "150", "40", "80", "4", "160"]


def test_ranking_and_water_tables_follow_the_api(html_zh, client):
    page = parse(html_zh)
    ranking = _table_in(page, "air", "排名")[1:]
    api = client.get("/api/air/ranking", params={"year": YEAR}).json()["items"]
    assert [(r[0], r[1], r[2]) for r in ranking] == [
        (str(a["rank"]), a["city"], f"{a['composite_index']:.2f}") for a in api
    ]
    basins = _table_in(page, "water", "流域")[1:]
    api = client.get("/api/water/attainment", params={"by": "basin", "year": YEAR}).json()["items"]
    assert [r[0] for r in basins] == [a["group"] for a in api]
    for row, a in zip(basins, api, strict=True):
        assert row[1] == str(a["n_sections"])
        assert row[2] == f"{a['n_I_III']} · {a['share_I_III']:.1f}%"
        assert row[5] == f"{a['n_worse_than_V']} · {a['share_worse_than_V']:.1f}%"


def test_status_tables_follow_the_api(html_zh, client):
    page = parse(html_zh)
    api = client.get("/api/status", params={"year": YEAR, "limit": 5000}).json()["items"]
    targets = _table_in(page, "status", "领域", "目标")[1:]
    assert len(targets) == len(api)
    by_id = {r["id"]: r for r in api}
    names = {r["id"]: r["name_zh"] for r in api}
    assert sorted(row[7] for row in targets) == sorted(r["status_zh"] for r in api)
    assert sorted(row[1].removesuffix(" [触发条件]") for row in targets) == sorted(names.values())
    assert {r["status"] for r in by_id.values()} - {"not_assessable"}, "some targets are judged"
    # the counts per category: the last row sums the roll-up of the targets proper
    rollup = client.get("/api/status/rollup", params={"by": "category", "year": YEAR}).json()["items"]
    totals = next(
        t["rows"][-1] for t in page.tables if t["section"] == "status" and t["rows"][-1][0] == "合计"
    )
    assert totals[-1] == str(sum(r["total"] for r in rollup))
    assert int(totals[-1]) == sum(r["role"] == "target" for r in api)


def test_english(data):
    text = render_html(data, lang="en")
    page = parse(text)
    assert "2. Air quality" in page.headings
    assert "GENERATED DATA, NOT MEASUREMENTS" in text
    assert '<html lang="en">' in text


def test_an_empty_store_gives_a_report_without_data(tmp_path):
    """A store with nothing in it: every section says there is no data; no generated-data notice."""
    with Store(tmp_path / "empty.duckdb") as store:
        data = collect(store, 2024)
    assert not data.is_generated
    assert all(isinstance(t, pa.Table) for t in data.tables.values())
    assert data.tables["air_annual"].num_rows == 0
    text = render_html(data, lang="en")
    page = parse(text)
    for sid in SECTION_IDS:
        assert sid in page.ids
    assert "generated-notice" not in page.ids
    assert "No data for this year." in text
    # the status table lists the plan's targets even without values (not assessable)
    assert data.tables["status"].num_rows > 0
    assert set(data.tables["status"]["status"].to_pylist()) <= {"not_assessable"}
