"""The demo as a whole: determinism, ingest with only the intended rejects, steps, and the CLI end to end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoplan.cli import app
from ecoplan.demo import flow as demo_flow
from ecoplan.demo import run as demo
from ecoplan.demo import water as demo_water
from ecoplan.store import Store

from .conftest import SEED, domains


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_files_other_seed_other_values(tmp_path):
    """Every generated file (all domains, a few weeks across a new year) is identical for one seed."""
    start, end = dt.date(2021, 12, 20), dt.date(2022, 1, 10)
    a = demo.generate(tmp_path / "a", start, end, seed=7)
    demo.generate(tmp_path / "b", start, end, seed=7)
    demo.generate(tmp_path / "c", start, end, seed=8)
    ta, tb, tc = (_tree(tmp_path / x / "data") for x in "abc")
    assert set(a) >= {
        "air",
        "air-stations",
        "water",
        "water-sections",
        "water-auto",
        "gauges",
        "flow",
        "indicators",
    }
    assert ta == tb
    assert ta.keys() == tc.keys()
    differ = [k for k in ta if ta[k] != tc[k]]
    # everything but the fixed lists (stations, sections, gauges) and the README depends on the seed
    assert set(ta) - set(differ) <= {"README.txt", "air-stations.csv", "water-sections.csv", "gauges.csv"}
    assert "GENERATED" in (tmp_path / "a" / "data" / "README.txt").read_text(encoding="utf-8")


def test_only_the_intended_rejects(demo_2020):
    """The generated files ingest without a reject but the fecal-coliform results written beyond the
    method's range (">240000"), one reject per such cell."""
    beyond = sum(
        p.read_text(encoding="utf-8").count(demo_water.FECAL_BEYOND) for p in demo_2020.files["water"]
    )
    assert beyond > 0
    with Store(demo_2020.db, read_only=True) as store:
        rows = store.con.execute('SELECT "column", value, reason FROM rejects').fetchall()
        failed = store.con.execute("SELECT count(*) FROM ingest_log WHERE status = 'failed'").fetchone()[0]
    assert failed == 0
    assert len(rows) == beyond
    assert all(v == demo_water.FECAL_BEYOND and "beyond" in reason for _c, v, reason in rows)
    for name, summary in demo_2020.ingests.items():
        expected = beyond if name == "water" else 0
        assert summary.total("rejected") == expected, name


def test_summaries_of_the_latest_year(demo_2020):
    titles = [o.title for o in demo_2020.outputs]
    assert "water quality by basin, 2020 (manual samples, GENERATED data)" in titles
    assert any(t.startswith("eco-flow compliance by river, 2020") for t in titles)
    basins = next(o.table for o in demo_2020.outputs if o.title.startswith("water quality by basin"))
    assert set(basins.column("basin").to_pylist()) == set(demo_water.BASIN_CODES)
    text = " ".join(o.text or "" for o in demo_2020.outputs)
    assert "national sections 2020: 41 of 58" in text
    assert "reported indicators:" in text


def test_a_step_added_after_the_domains(tmp_path):
    """A later step runs on the ingested store and its outputs are shown after the domains'."""
    seen: list[int] = []

    def count_flows(store: Store, run: demo.DemoRun, ui: demo.UI) -> list[demo.Output]:
        n = store.con.execute("SELECT count(*) FROM flows").fetchone()[0]
        seen.append(n)
        return [demo.Output("flows", text=f"{n} daily flows")]

    run = demo.run_demo(
        tmp_path,
        start=dt.date(2023, 1, 1),
        end=dt.date(2023, 1, 31),
        seed=SEED,
        domains=domains("flow"),
        steps=[demo.Step("count", count_flows)],
    )
    assert seen and seen[0] > 0
    assert run.outputs[-1].text == f"{seen[0]} daily flows"
    assert "count" in run.timings


def test_latest_year():
    run = demo.DemoRun(Path("x"), Path("x.db"), dt.date(2020, 1, 1), dt.date(2026, 11, 28), 1)
    assert run.latest_year == 2025
    run.end = dt.date(2025, 12, 31)
    assert run.latest_year == 2025
    run.start, run.end = dt.date(2026, 1, 1), dt.date(2026, 3, 1)
    assert run.latest_year == 2026


@pytest.fixture(scope="module")
def cli_demo(tmp_path_factory: pytest.TempPathFactory):
    """``ecoplan demo`` for one year, every domain, into a temporary folder."""
    directory = tmp_path_factory.mktemp("cli-demo")
    result = CliRunner().invoke(
        app,
        ["demo", "--dir", str(directory), "--from-year", "2024", "--until", "2024-12-31", "--seed", "11"],
        env={"COLUMNS": "200"},
    )
    return directory, result


def test_cli_demo_one_year(cli_demo):
    directory, result = cli_demo
    assert result.exit_code == 0, result.output
    out = result.output
    for title in (
        "air quality by city, 2024",
        "water quality by basin, 2024",
        "eco-flow compliance by river, 2024",
        "reported indicators:",
        "ingest summary",
        "timings:",
    ):
        assert title in out
    assert "太原市" in out and "汾河" in out and "涑水河" in out
    assert "rejected on purpose" in out  # the intended rejects are said to be intended
    assert (directory / "data" / "README.txt").exists()


def test_cli_demo_store_contents(cli_demo):
    directory, _ = cli_demo
    with Store(directory / "ecoplan.duckdb", read_only=True) as store:
        con = store.con
        n_sites = con.execute("SELECT count(*) FROM sites WHERE kind = 'air'").fetchone()[0]
        obs_years = con.execute("SELECT DISTINCT year(time) FROM observations").fetchall()
        sections = con.execute("SELECT count(*) FROM sections").fetchone()[0]
        sample_years = {r[0] for r in con.execute("SELECT DISTINCT year(time) FROM water_samples").fetchall()}
        gauges = con.execute("SELECT count(*) FROM gauges").fetchone()[0]
        flow_span = con.execute("SELECT min(date), max(date) FROM flows").fetchone()
        ind_years = con.execute(
            "SELECT min(year), max(year) FROM indicator_values WHERE origin = 'reported'"
        ).fetchone()
        computed = con.execute("SELECT count(*) FROM indicator_values WHERE origin = 'computed'").fetchone()[
            0
        ]
        n_warnings = con.execute("SELECT count(*) FROM warnings").fetchone()[0]
    assert n_sites == 60
    assert {r[0] for r in obs_years} == {2024}
    assert sections == len(demo_water.sections())
    assert sample_years == {2024}
    assert gauges == len(demo_flow.GAUGES)
    assert flow_span == (dt.date(2010, 1, 1), dt.date(2024, 12, 31))
    assert ind_years == (2020, 2024)
    # the demo's last steps assessed the plan: computed indicators and warnings are stored
    assert computed > 0 and n_warnings > 0
