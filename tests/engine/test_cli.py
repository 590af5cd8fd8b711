"""``ecoplan export parquet`` and the global engine options (--engine, --data, --spark-master)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ecoplan.cli import app

from .compare import assert_engines_equal

runner = CliRunner()


def text(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


def test_export_command_then_duckdb_over_the_files_equals_the_store(exchange, tmp_path) -> None:
    exchange.need("flow")
    data = tmp_path / "exchange"
    res = runner.invoke(
        app,
        ["--db", str(exchange.db), "export", "parquet", str(data), "--table", "flows", "--table", "gauges"],
    )
    assert res.exit_code == 0, res.output
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["tables"]) == {"flows", "gauges"}
    assert "flows" in res.output and f"{manifest['tables']['flows']['rows']:,}" in res.output

    res = runner.invoke(app, ["--db", str(exchange.db), "export", "parquet", str(data)])
    assert res.exit_code == 2 and "not empty" in text(res.output) and "--overwrite" in text(res.output)

    a, b = tmp_path / "store.parquet", tmp_path / "files.parquet"
    res = runner.invoke(
        app, ["--db", str(exchange.db), "flow", "compliance", "--year", "2000", "--out", str(a)]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["flow", "compliance", "--year", "2000", "--out", str(b)],
        env={"ECOPLAN_ENGINE": "duckdb", "ECOPLAN_DATA": str(data)},
    )
    assert res.exit_code == 0, res.output
    got = assert_engines_equal(pq.read_table(a), pq.read_table(b), ["gauge", "year", "period_order"])
    assert list(got["period"]) == ["year", "non_flood", "flood"]


def test_engine_options_report_what_is_missing(tmp_path) -> None:
    res = runner.invoke(app, ["--engine", "spark", "air", "annual", "--year", "2019"])
    assert res.exit_code == 2 and "--data DIR" in text(res.output)
    res = runner.invoke(app, ["--engine", "nope", "air", "annual", "--year", "2019"])
    assert res.exit_code == 2 and "duckdb, spark" in text(res.output)
    res = runner.invoke(app, ["--data", str(tmp_path), "air", "annual", "--year", "2019"])
    assert res.exit_code == 2 and "not an ecoplan exchange directory" in text(res.output)


@pytest.mark.spark
def test_spark_command_writes_the_same_parquet_as_duckdb(exchange, spark_local, tmp_path) -> None:
    exchange.need("air")
    a, b = tmp_path / "duckdb.parquet", tmp_path / "spark.parquet"
    query = ["air", "hourly", "--station", "1081A", "--from", "2019-01-01", "--to", "2019-01-02"]
    res = runner.invoke(app, ["--db", str(exchange.db), *query, "--out", str(a)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "--engine",
            "spark",
            "--data",
            str(exchange.data),
            "--spark-master",
            "local[2]",
            *query,
            "--out",
            str(b),
        ],
    )
    assert res.exit_code == 0, res.output
    iaqi = [c for c in pq.read_schema(a).names if c.startswith("iaqi_")]
    got = assert_engines_equal(
        pq.read_table(a),
        pq.read_table(b),
        ["station", "time"],
        exact=["aqi", "level", "published_aqi", *iaqi],
    )
    assert len(got) == 48 and (got["aqi"] == got["published_aqi"]).mean() > 0.9
