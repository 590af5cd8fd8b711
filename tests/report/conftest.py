"""A small GENERATED store for the reports, and the API over it.

The demo's generators (deterministic with their seed) write January 2021 of
hourly air data for Shanxi's national stations, the water sections with
their samples and the gauges with daily flow (from 2010); the plan's
reported indicators are generated for 2020-2023 so that targets have
series to judge. The demo's readers ingest them, then the indicator values
are computed and the warnings refreshed (:func:`ecoplan.alerts.store.refresh_warnings`),
as ``ecoplan demo`` does. The report's year is 2021.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoplan.alerts.store import refresh_warnings
from ecoplan.api import create_app
from ecoplan.demo import indicators as demo_indicators
from ecoplan.demo import run as demo
from ecoplan.ingest import ingest_files
from ecoplan.plan import resolve_plan
from ecoplan.readers.indicators import reader_for as indicator_reader_for
from ecoplan.report import collect
from ecoplan.report.build import ReportData
from ecoplan.store import Store

SEED = 20201231
YEAR = 2021
START, END = dt.date(2021, 1, 1), dt.date(2021, 1, 31)
INDICATOR_YEARS = (2020, 2023)


@dataclass
class Generated:
    directory: Path
    db: Path


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    directory = tmp_path_factory.mktemp("report-demo")
    run = demo.DemoRun(directory, directory / "ecoplan.duckdb", START, END, SEED)
    domains = [d for d in demo.DOMAINS if d.name in ("air", "water", "flow")]
    demo.generate(directory, START, END, seed=SEED, domains=domains, run=run)
    indicators = demo_indicators.write(run.data / "indicators.csv", *INDICATOR_YEARS, seed=SEED)
    with Store(run.db) as store:
        demo.ingest(store, run, domains=domains)
        ingest_files(store, [str(indicators)], indicator_reader_for(None), domain="plan")
        refresh_warnings(store, resolve_plan(None))
    return Generated(directory, run.db)


@pytest.fixture(scope="session")
def report_store(generated: Generated) -> Iterator[Store]:
    """The generated store, read only (tests must not change it)."""
    with Store(generated.db, read_only=True) as s:
        yield s


@pytest.fixture(scope="session")
def data(report_store: Store) -> ReportData:
    return collect(report_store, YEAR)


@pytest.fixture(scope="session")
def client(report_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(report_store)) as c:
        yield c
