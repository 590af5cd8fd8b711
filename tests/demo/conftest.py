"""A demo data set without air (water, flow, reported indicators) for 2020, generated and ingested once."""

from __future__ import annotations

import datetime as dt

import pytest

from ecoplan.demo import run as demo
from ecoplan.store import Store

SEED = 20201231


def domains(*names: str) -> list[demo.Domain]:
    return [d for d in demo.DOMAINS if d.name in names]


@pytest.fixture(scope="session")
def demo_2020(tmp_path_factory: pytest.TempPathFactory) -> demo.DemoRun:
    """The whole of 2020 for water, flow (from 2010) and the reported indicators, in a fresh store."""
    directory = tmp_path_factory.mktemp("demo-2020")
    return demo.run_demo(
        directory,
        start=dt.date(2020, 1, 1),
        end=dt.date(2020, 12, 31),
        seed=SEED,
        domains=domains("water", "flow", "indicators"),
        steps=[],
    )


@pytest.fixture
def demo_store(demo_2020: demo.DemoRun):
    with Store(demo_2020.db, read_only=True) as store:
        yield store
