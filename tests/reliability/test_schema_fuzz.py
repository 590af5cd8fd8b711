"""schemathesis against the OpenAPI document: no generated request gets a server error.

Every operation of ``/openapi.json`` is called with requests generated from
its schema (valid and invalid parameter values, multipart uploads of random
bytes with a write token, token administration with an admin token) against
the ASGI app over a small store holding every kind of data. The only check is
that no answer is a 5xx: a wrong request is the client's error and must be
answered as one. The number of examples per operation is bounded
(``ECOPLAN_SCHEMA_EXAMPLES``, default 5) to keep the suite fast.

After the run, ``ecoplan check`` passes on the store and no token secret was
ever stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from ecoplan import maintenance
from ecoplan.api import create_app
from ecoplan.demo import air as demo_air
from ecoplan.store import Store

from ..api.conftest import DATA, INDICATORS_CSV, WATER_2020_CSV, make_api, upload

EXAMPLES = int(os.environ.get("ECOPLAN_SCHEMA_EXAMPLES", "5"))
# the same requests on every CI run unless ECOPLAN_FUZZ_RANDOM=1 (see test_fuzz.py)
RANDOM = os.environ.get("ECOPLAN_FUZZ_RANDOM", "") not in ("", "0")


def _build(folder: Path):
    store = Store(folder / "schema.duckdb")
    api = make_api(store)
    net = demo_air.shanxi_network()
    stations = demo_air.write_station_list(net, folder / "stations.csv")
    days = demo_air.write_daily_files(net, folder / "air", dt.date(2021, 1, 1), dt.date(2021, 1, 3))
    upload(api, "stations", [(stations.name, stations.read_bytes())])
    upload(api, "air", [(p.name, p.read_bytes()) for p in days])
    water, flow = DATA / "water", DATA / "flow"
    upload(api, "sections", [("sections.csv", (water / "sections.csv").read_bytes())])
    upload(api, "water", [(n, (water / n).read_bytes()) for n in ("samples_long.csv", "samples_wide.csv")])
    upload(api, "water", [("samples-2020.csv", WATER_2020_CSV)])
    upload(api, "gauges", [("gauges.csv", (flow / "gauges.csv").read_bytes())])
    upload(api, "flow", [("daily-zh.csv", (flow / "daily-zh.csv").read_bytes())])
    upload(api, "indicators", [("indicators.csv", INDICATORS_CSV)])
    api.client.close()
    return store, api.tokens


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    store, tokens = _build(tmp_path_factory.mktemp("schema"))
    app = create_app(store)
    yield app, store, tokens
    store.close()


def test_no_generated_request_gets_a_server_error(served) -> None:
    app, store, tokens = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        token = tokens["admin" if path.startswith(("/api/tokens", "/api/auth-log")) else "write"]
        with contextlib.suppress(AssertionError):
            _fuzz(operation, token, failures, calls)  # a failure is recorded; go on with the others
    assert len(calls) >= EXAMPLES * 20
    assert not failures, "\n\n".join(failures[:10])
    report = maintenance.check(store)
    assert report.ok, report.findings


def _fuzz(operation, token: str, failures: list[str], calls: list[int]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=not RANDOM,
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        calls.append(1)
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
        except AssertionError as exc:  # schemathesis' failure, with the request to replay
            failures.append(f"{operation.label}: {str(exc)[:800]}")
            raise

    run()
