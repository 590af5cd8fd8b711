"""A small store filled through the API's own upload endpoints, and clients over it.

The store holds ten days of GENERATED air data for Shanxi's national
stations (the demo generator, deterministic with its seed), the water and
flow test files of ``tests/data``, a few reported indicator values and two
warnings: enough for every endpoint to return rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecoplan.alerts.store import make_warning, save_warnings
from ecoplan.api import Settings, create_app
from ecoplan.api.auth import create_token, revoke_token
from ecoplan.demo import air as demo_air
from ecoplan.store import Store

DATA = Path(__file__).resolve().parents[1] / "data"
AIR_START, AIR_END = dt.date(2021, 1, 1), dt.date(2021, 1, 10)
DATA_TABLES = (
    "sites",
    "observations",
    "sections",
    "water_samples",
    "gauges",
    "flows",
    "indicator_values",
)

# Reported values (invented for the test): the seven-river basins' forest cover rises
# from 23.0 % (2020) to 24.2 % (2023) against a target of 25 % in 2025; the last line
# is rejected (not a number).
INDICATORS_CSV = (
    "indicator,scope,year,value,unit\n"
    "eco.forest_cover,rivers:seven,2020,23.0,%\n"
    "eco.forest_cover,rivers:seven,2021,23.4,%\n"
    "eco.forest_cover,rivers:seven,2022,23.8,%\n"
    "eco.forest_cover,rivers:seven,2023,24.2,%\n"
    "森林覆盖率,全省,2023,不详,%\n"
).encode()
FOREST_TARGET = "forest-seven-rivers-cover-2025"

# Samples of 2020 (invented) for the sections that tests/data/water samples in 2021,
# so that change and trend have two years.
WATER_2020_CSV = (
    "断面编码,采样时间,监测项目,监测值,单位,检出限,采样方式\n"
    + "".join(
        f"{code},2020-06-10 09:00,{item},{value},{unit},,手工\n"
        for code, values in (
            ("SX01", (7.6, 6.1, 5.5, 1.8, 0.25)),
            ("SX02", (7.9, 8.6, 3.0, 0.4, 0.07)),
            ("SX04", (8.0, 7.2, 4.1, 0.9, 0.12)),
        )
        for item, value, unit in zip(
            ("pH", "溶解氧", "高锰酸盐指数", "氨氮", "总磷"),
            values,
            ("无量纲", "mg/L", "mg/L", "mg/L", "mg/L"),
            strict=True,
        )
    )
).encode()


@dataclass
class Api:
    """A client over a store, with one token of each scope and a revoked one."""

    client: TestClient
    store: Store
    tokens: dict[str, str]
    token_ids: dict[str, str]

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    def counts(self) -> dict[str, int]:
        return {
            t: int(self.store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in DATA_TABLES
        }


def make_api(store: Store, settings: Settings | None = None, **client_options) -> Api:
    tokens, ids = {}, {}
    with store.transaction():
        for scope in ("read", "write", "admin"):
            ids[scope], tokens[scope] = create_token(store, f"test {scope}", scope)
        ids["revoked"], tokens["revoked"] = create_token(store, "test revoked", "write")
    revoke_token(store, ids["revoked"])
    client = TestClient(create_app(store, settings), **client_options)
    return Api(client, store, tokens, ids)


def upload(api: Api, domain: str, files: list[tuple[str, bytes]], **params) -> dict:
    res = api.client.post(
        f"/api/ingest/{domain}",
        files=[("files", (name, data, "text/csv")) for name, data in files],
        params=params,
        headers=api.auth("write"),
    )
    assert res.status_code == 200, res.text
    return res.json()


def generated_air(folder: Path) -> tuple[Path, list[Path]]:
    net = demo_air.shanxi_network()
    stations = demo_air.write_station_list(net, folder / "stations.csv")
    days = demo_air.write_daily_files(net, folder / "air", AIR_START, AIR_END)
    return stations, days


@pytest.fixture(scope="session")
def air_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    return generated_air(tmp_path_factory.mktemp("generated-air"))


@pytest.fixture(scope="session")
def filled(tmp_path_factory: pytest.TempPathFactory, air_files) -> Iterator[Api]:
    """The shared store, filled through the API (tests must not change it)."""
    store = Store(tmp_path_factory.mktemp("api") / "api.duckdb")
    api = make_api(store)
    stations, days = air_files
    upload(api, "stations", [(stations.name, stations.read_bytes())])
    upload(api, "air", [(p.name, p.read_bytes()) for p in days], require_stations="true")
    water = DATA / "water"
    upload(api, "sections", [("sections.csv", (water / "sections.csv").read_bytes())])
    upload(api, "water", [(n, (water / n).read_bytes()) for n in ("samples_long.csv", "samples_wide.csv")])
    upload(api, "water", [("samples-2020.csv", WATER_2020_CSV)])
    flow = DATA / "flow"
    upload(api, "gauges", [("gauges.csv", (flow / "gauges.csv").read_bytes())])
    upload(api, "flow", [("daily-zh.csv", (flow / "daily-zh.csv").read_bytes())])
    upload(api, "indicators", [("indicators.csv", INDICATORS_CSV)])
    save_warnings(
        store,
        [
            make_warning(
                kind="heavy_pollution",
                rule="observed_aqi",
                level="orange",
                scope="city:太原市",
                scope_type="city",
                start=dt.datetime(2021, 1, 5),
                end=dt.datetime(2021, 1, 8),
                active=True,
                evidence={"max_aqi": 260},
                message_zh="太原市重污染天气橙色预警",
                message_en="Taiyuan: orange heavy-pollution warning",
            ),
            make_warning(
                kind="ecoflow",
                rule="daily_below_threshold",
                level="yellow",
                scope="gauge:FH001",
                scope_type="gauge",
                start=dt.datetime(2020, 1, 2),
                end=dt.datetime(2020, 1, 3),
                active=False,
                evidence={"discharge": 0.0},
                message_zh="FH001 流量低于生态流量",
                message_en="FH001 below the eco-flow threshold",
            ),
        ],
    )
    with api.client:
        yield api
    store.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Api]:
    """An empty store of its own, for tests that write."""
    store = Store(tmp_path / "fresh.duckdb")
    api = make_api(store)
    with api.client:
        yield api
    store.close()
