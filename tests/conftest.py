"""Shared fixtures: the reference data beside the project and stores built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoplan.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
REFERENCE = SHARED / "reference"
AIR_2019 = REFERENCE / "air" / "cnemc-2019-shanxi"
STATIONS = REFERENCE / "air" / "shanxi-stations.csv"
DATA = Path(__file__).resolve().parent / "data"


def need(path: Path) -> Path:
    """Skip the test when reference data beside the project is absent (a user's fresh clone)."""
    if not path.exists():
        pytest.skip(f"reference data not found at {path} (it lives beside the project in ../shared)")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the real 2019 Shanxi station data and the station list (built once)."""
    from ecoplan.ingest import expand_paths, ingest_files
    from ecoplan.readers import air_reader_for, station_reader

    need(AIR_2019)
    need(STATIONS)
    path = tmp_path_factory.mktemp("reference") / "shanxi-2019.duckdb"
    s = Store(path)
    ingest_files(s, [str(STATIONS)], station_reader, domain="air")
    known = {r[0] for r in s.con.execute("SELECT code FROM sites").fetchall()}
    ingest_files(s, expand_paths([AIR_2019]), lambda f, h: air_reader_for(f, h, stations=known), domain="air")
    yield s
    s.close()
