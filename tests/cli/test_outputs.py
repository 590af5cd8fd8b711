"""Writing assessment results to files: Parquet a batch at a time, with the engine's column types."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ecoplan.air import queries
from ecoplan.cli import app
from ecoplan.ingest import ingest_files
from ecoplan.output import OutputError, write_query
from ecoplan.readers import air_reader_for
from ecoplan.store import Store

runner = CliRunner()


@pytest.fixture
def air_db(tmp_path: Path) -> Path:
    """Two stations, three days of hours; 1002A has no PM2.5, so its PM2.5 IAQIs are NULL."""
    lines = ["date,hour,type,1001A,1002A"]
    for d in (1, 2, 3):
        for h in range(24):
            lines += [f"2023010{d},{h},PM2.5,{30 + h},", f"2023010{d},{h},CO,0.5,0.6"]
    f = tmp_path / "china_sites_2023.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "air.duckdb"
    with Store(db) as s:
        ingest_files(s, [str(f)], lambda p, h: air_reader_for(p, h), domain="air")
    return db


def test_parquet_output_keeps_the_engine_types_and_rows(air_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "hourly.parquet"
    res = runner.invoke(app, ["--db", str(air_db), "air", "hourly", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pq.read_table(out)
    assert f"wrote {got.num_rows} rows" in res.output and got.num_rows == 2 * 72
    with Store(air_db, read_only=True) as s:
        want = s.ibis.to_pyarrow(queries.hourly(s.ibis))
    assert got.equals(want)  # same rows, same order, same types
    assert got.schema.field("iaqi_pm2_5").type == pa.int32()  # NULLs at 1002A, still integers
    assert got.column("iaqi_pm2_5").null_count == 72
    assert list(tmp_path.glob("*.partial")) == []

    daily = tmp_path / "daily.parquet"
    res = runner.invoke(app, ["--db", str(air_db), "air", "daily", "--out", str(daily)])
    assert res.exit_code == 0, res.output
    assert pq.read_table(daily).schema.field("aqi").type == pa.int32()


def test_csv_output_has_the_same_rows(air_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "daily.csv"
    res = runner.invoke(app, ["--db", str(air_db), "air", "daily", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("station,date,") and len(text) == 1 + 2 * 4  # 2022-12-31 .. 2023-01-03


class _Failing:
    """A backend whose second batch fails, as an engine error halfway through a result would."""

    def to_pyarrow_batches(self, expr):
        schema = pa.schema([("x", pa.int64())])

        def batches():
            yield pa.record_batch([pa.array([1, 2])], schema=schema)
            raise RuntimeError("the engine failed")

        return pa.RecordBatchReader.from_batches(schema, batches())


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "result.parquet"
    with pytest.raises(RuntimeError, match="the engine failed"):
        write_query(_Failing(), None, out)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match=r"result\.csv.*only to \.parquet"):
        write_query(_Failing(), None, tmp_path / "result.csv")


def test_an_empty_result_is_a_file_with_its_columns(air_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "monthly.parquet"  # three days: no month has its 27 valid days (HJ 663)
    res = runner.invoke(app, ["--db", str(air_db), "air", "monthly", "--year", "2023", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pq.read_table(out)
    assert "wrote 0 rows" in res.output and got.num_rows == 0
    assert got.schema.field("period").type == pa.date32() and "n_pm2_5" in got.schema.names
