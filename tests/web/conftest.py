"""A small store of GENERATED data for the dashboard's tests, built once per session.

Water, flow (gauges from 2010) and the plan's reported indicators for 2024-2025
and two months of hourly air data (January-February 2025) come from the demo
generator (deterministic with its seed) and are ingested with the demo's own
ingest steps. Indicator values are computed from the water, lake and flow data
(the air months make no complete year), and the eco-flow and target warnings
are raised from them, so that every page has figures, targets in several
states and active warnings.
"""

from __future__ import annotations

import datetime as dt
import html.parser
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecoplan.alerts.store import refresh_warnings
from ecoplan.demo import run as demo
from ecoplan.plan import resolve_plan
from ecoplan.plan.indicators import compute_indicators, write_indicators
from ecoplan.store import Store

SEED = 20201231
START, END = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
AIR_START, AIR_END = dt.date(2025, 1, 1), dt.date(2025, 2, 28)
AIR_YEAR = 2025
WATER_YEAR = 2025
CITY = "太原市"


def _domains(*names: str) -> list[demo.Domain]:
    return [d for d in demo.DOMAINS if d.name in names]


def build_store(directory: Path) -> Path:
    """Generate, ingest and assess the small store; returns the database path."""
    others = _domains("water", "flow", "indicators")
    air = _domains("air")
    run = demo.DemoRun(directory, directory / "web.duckdb", START, END, SEED)
    demo.generate(directory, START, END, seed=SEED, domains=others, run=run)
    air_run = demo.DemoRun(directory, run.db, AIR_START, AIR_END, SEED)
    demo.generate(directory, AIR_START, AIR_END, seed=SEED, domains=air, run=air_run)
    plan = resolve_plan(None)
    with Store(run.db) as store:
        demo.ingest(store, run, domains=others)
        demo.ingest(store, air_run, domains=air)
        comp = compute_indicators(store.ibis, plan, domains=("water", "lakes", "flow"))
        write_indicators(store, plan, computation=comp)
        refresh_warnings(store, plan, kinds=("ecoflow", "target"), compute=False)
    return run.db


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def web_store(web_db: Path) -> Iterator[Store]:
    """The store, open for one test module (closed before the next opens it again)."""
    with Store(web_db) as store:
        yield store


class Elements(html.parser.HTMLParser):
    """Start tags with their attributes and the text inside each (for reading pages in tests)."""

    VOID = frozenset({"br", "img", "input", "link", "meta", "hr", "col", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": [e["tag"] for e in self._open]}
        el["ancestors"] = list(self._open)
        self.elements.append(el)
        if tag not in self.VOID:
            self._open.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i]["tag"] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for el in self._open:
            el["text"] += data

    def find(self, tag: str | None = None, **attrs) -> list[dict]:
        out = []
        for el in self.elements:
            if tag is not None and el["tag"] != tag:
                continue
            if all(el["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(el)
        return out

    def having(self, tag: str, attr: str) -> list[dict]:
        """Elements ``tag`` that have the attribute ``attr``."""
        return [el for el in self.elements if el["tag"] == tag and attr in el["attrs"]]

    def by_id(self, ident: str) -> dict:
        found = [el for el in self.elements if el["attrs"].get("id") == ident]
        assert found, f"no element with id {ident!r}"
        return found[0]


def parse(text: str) -> Elements:
    p = Elements()
    p.feed(text)
    p.close()
    return p
