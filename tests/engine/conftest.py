"""Fixtures of the cross-engine suite: one store of real inputs, its exchange directory, both engines.

The store holds, from ``../shared/reference`` (each part only when present):

- air: the 2019 hourly data of Taiyuan's nine national stations (one
  city-year, background station 上兰 included) and Shanxi's station list;
- water: the national automatic stations' snapshots of Shanxi and Jiangsu
  (year 2021 given, as in ``tests/water/test_auto_snapshot.py``);
- flow: the USGS daily discharge series 04135700 (1966-2019, with gaps).

It is exported once to the exchange format; the DuckDB store and Spark
(local mode, one session for the whole test run) then run the same
assessments on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from ecoplan.engine import open_backend, spark_available, spark_session
from ecoplan.export import export_parquet
from ecoplan.ingest import expand_paths, ingest_files
from ecoplan.readers import air_reader_for, station_reader
from ecoplan.readers.flow import flow_reader_for
from ecoplan.readers.water import water_reader_for
from ecoplan.store import Store

from ..conftest import AIR_2019, REFERENCE, STATIONS, need

SNAPSHOTS = REFERENCE / "water" / "auto-station-snapshot"
USGS_FILE = REFERENCE / "flow" / "usgs-04135700-daily-discharge-cfs.csv"
CITY = "太原市"
WATER_YEAR = 2021


HERE = Path(__file__).resolve().parent
# raised inside PySpark's and Ibis' pandas conversions under pandas 3, not by ecoplan
SPARK_WARNINGS = (
    "ignore:The copy keyword is deprecated",
    "ignore:The 'future.infer_string' option is deprecated",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().parent == HERE:
            for spec in SPARK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@dataclass
class Exchange:
    db: Path
    data: Path
    domains: set[str]

    def need(self, domain: str) -> None:
        if domain not in self.domains:
            pytest.skip(f"reference data for {domain} not found in {REFERENCE}")


@pytest.fixture(scope="session")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Exchange:
    """The store of real inputs and its exchange directory (built once per test run)."""
    need(REFERENCE)
    root = tmp_path_factory.mktemp("engine")
    db = root / "reference.duckdb"
    domains: set[str] = set()
    with Store(db) as store:
        if AIR_2019.exists() and STATIONS.exists():
            ingest_files(store, [str(STATIONS)], station_reader, domain="air")
            codes = pd.read_csv(STATIONS, dtype=str)
            city = set(codes.loc[codes["city"] == CITY, "code"])
            ingest_files(
                store,
                expand_paths([AIR_2019]),
                lambda f, h: air_reader_for(f, h, stations=city),
                domain="air",
            )
            domains.add("air")
        if SNAPSHOTS.exists():
            summary = ingest_files(
                store,
                expand_paths([SNAPSHOTS]),
                lambda f, h: water_reader_for(f, h, year=WATER_YEAR),
                domain="water",
            )
            assert all(o.status == "ok" for o in summary.outcomes)
            domains.add("water")
        if USGS_FILE.exists():
            ingest_files(store, [str(USGS_FILE)], lambda f, h: flow_reader_for(f, h), domain="flow")
            domains.add("flow")
        data = root / "exchange"
        export_parquet(store, data)
    return Exchange(db=db, data=data, domains=domains)


@pytest.fixture(scope="session")
def duck(exchange: Exchange):
    """The DuckDB store (read only)."""
    with open_backend("duckdb", db=exchange.db) as backend:
        yield backend


@pytest.fixture(scope="session")
def spark_local():
    """One local Spark session for the whole test run (skips without Java or PySpark)."""
    reason = spark_available()
    if reason:
        pytest.skip(reason)
    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark(exchange: Exchange, spark_local):
    """Spark over the exchange directory."""
    with open_backend("spark", data=exchange.data, session=spark_local) as backend:
        yield backend
