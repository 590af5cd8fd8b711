"""The exchange format: layout, manifest, escaping, and rows read back identical on every reader."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

from ecoplan.engine import open_backend
from ecoplan.export import LAYOUT, ExportError, escape_partition_value, export_parquet, read_table
from ecoplan.store import Store


def store_rows(store_con, table: str, schema: pa.Schema) -> pa.Table:
    """The store's rows of an exchange table (its table, view or, for ``air_hourly``, subquery)."""
    return store_con.execute(f"SELECT * FROM {LAYOUT[table].relation}").to_arrow_table().cast(schema)


def assert_same_rows(a: pa.Table, b: pa.Table, name: str) -> None:
    """Identical rows, in any order (sorted by every column)."""
    assert a.schema.equals(b.schema), name
    keys = [(c, "ascending") for c in a.column_names]
    assert a.num_rows == b.num_rows, name
    assert a.sort_by(keys).equals(b.sort_by(keys)), name


def test_every_table_reads_back_identical(exchange) -> None:
    with Store(exchange.db, read_only=True) as store:
        manifest = json.loads((exchange.data / "manifest.json").read_text(encoding="utf-8"))
        assert set(manifest["tables"]) == set(LAYOUT)
        with open_backend("duckdb", data=exchange.data) as over_files:
            for name in LAYOUT:
                got = read_table(exchange.data, name)
                want = store_rows(store.con, name, got.schema)
                assert_same_rows(got, want, name)
                assert manifest["tables"][name]["rows"] == want.num_rows
                via_duckdb = over_files.con.execute(f"SELECT * FROM {name}").to_arrow_table().cast(got.schema)
                assert_same_rows(via_duckdb, want, f"{name} (DuckDB over the files)")
        assert manifest["tables"]["observations"]["rows"] > 300_000


def test_layout_and_manifest(exchange) -> None:
    root = exchange.data
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "ecoplan-exchange" and manifest["schema_version"] == "1"
    exported = dt.datetime.fromisoformat(manifest["exported_at"].replace("Z", "+00:00"))
    assert exported.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - exported) < dt.timedelta(hours=6)

    pattern = re.compile(r"observations/parameter=([^/]+)/year=(\d{4})/month=(\d{1,2})/part-\d+\.parquet")
    found = set()
    for f in (root / "observations").rglob("*.parquet"):
        m = pattern.fullmatch(f.relative_to(root).as_posix())
        assert m, f
        found.add((m[1], int(m[2]), int(m[3])))
    with Store(exchange.db, read_only=True) as store:
        con = store.con
        want = set(
            con.execute("SELECT DISTINCT parameter, year(time), month(time) FROM observations").fetchall()
        )
        assert found == want
        assert {p for p, _, _ in found} == {"PM2.5", "PM10", "SO2", "NO2", "O3", "CO"}
        for table, column in (("observations", "time"), ("water_samples", "time"), ("flows", "date")):
            entry = manifest["tables"][table]
            lo, hi = con.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchone()
            assert (entry["time_min"], entry["time_max"]) == (lo.isoformat(), hi.isoformat())
    items = {p.name for p in (root / "water_samples").iterdir()}
    assert "item=NH3-N" in items and "item=pH" in items
    assert all(re.fullmatch(r"year=\d{4}", p.name) for p in (root / "flows").iterdir())
    for name in ("sites", "sections", "gauges", "indicator_values"):
        assert (root / f"{name}.parquet").is_file()
        assert manifest["tables"][name]["partitioning"] == []
    cols = {c["name"]: c["type"] for c in manifest["tables"]["observations"]["columns"]}
    assert cols["time"] == "timestamp" and cols["value"] == "float64" and "year" not in cols


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PM2.5", "PM2.5"),
        ("NH3-N", "NH3-N"),
        ("氨氮", "氨氮"),  # non-ASCII stays as it is (Spark decodes %XX one byte per character)
        ("a/b", "a%2Fb"),
        ("k=v:w", "k%3Dv%3Aw"),
        ("50%", "50%25"),
        ("tab\there", "tab%09here"),
        ("空格 和 space", "空格 和 space"),
    ],
)
def test_partition_values_are_escaped_as_hive_and_spark_escape_them(value: str, expected: str) -> None:
    assert escape_partition_value(value) == expected


ODD_ITEMS = ["氨氮", "总磷/TP:x=1", "50%", "pH"]


@pytest.fixture(scope="module")
def odd_exchange(tmp_path_factory) -> tuple[Path, Path]:
    """A store whose water items need escaping, no air data at all, and China-time samples."""
    root = tmp_path_factory.mktemp("odd")
    db = root / "odd.duckdb"
    with Store(db) as store:
        with store.transaction():
            store.upsert(
                "sections",
                pa.table({"code": ["s1", "s2"], "name": ["甲", "乙"], "kind": ["river", "lake"]}),
                ingest_id=1,
                source="test",
            )
            times = [dt.datetime(2021, 1, 1, 0, 0), dt.datetime(2021, 12, 31, 23, 59, 59, 999999)]
            rows = [(s, t, i) for s in ("s1", "s2") for t in times for i in ODD_ITEMS]
            store.upsert(
                "water_samples",
                pa.table(
                    {
                        "section": [r[0] for r in rows],
                        "time": pa.array([r[1] for r in rows], pa.timestamp("us")),
                        "item": [r[2] for r in rows],
                        "value": [float(k) / 7 for k in range(len(rows))],
                        "unit": ["mg/L"] * len(rows),
                    }
                ),
                ingest_id=1,
                source="test",
            )
        data = root / "exchange"
        export_parquet(store, data)
    return db, data


def test_odd_partition_values_and_empty_tables_read_back(odd_exchange) -> None:
    db, data = odd_exchange
    dirs = sorted(p.name for p in (data / "water_samples").iterdir())
    assert dirs == sorted(f"item={escape_partition_value(i)}" for i in ODD_ITEMS)
    assert "item=总磷%2FTP%3Ax%3D1" in dirs
    with Store(db, read_only=True) as store, open_backend("duckdb", data=data) as over_files:
        for name in ("water_samples", "sections", "observations", "flows"):
            got = read_table(data, name)
            assert_same_rows(got, store_rows(store.con, name, got.schema), name)
            via = over_files.con.execute(f"SELECT * FROM {name}").to_arrow_table().cast(got.schema)
            assert_same_rows(via, got, f"{name} (DuckDB over the files)")
    assert read_table(data, "observations").num_rows == 0
    assert not list((data / "observations").rglob("*.parquet"))


def test_export_refuses_a_used_directory_unless_asked(odd_exchange, tmp_path) -> None:
    db, data = odd_exchange
    target = tmp_path / "x"
    target.mkdir()
    (target / "note.txt").write_text("mine")
    with Store(db, read_only=True) as store:
        with pytest.raises(ExportError, match="not empty"):
            export_parquet(store, target)
        export_parquet(store, target, overwrite=True)
        export_parquet(store, target, overwrite=True)  # replaces its own earlier export
        with pytest.raises(ExportError, match="not exchange tables"):
            export_parquet(store, tmp_path / "y", tables=["observations", "nope"])
    assert (target / "note.txt").read_text() == "mine"
    assert read_table(target, "water_samples").num_rows == read_table(data, "water_samples").num_rows


@pytest.mark.spark
def test_spark_reads_odd_partitions_empty_tables_and_exact_times(odd_exchange, spark_local) -> None:
    db, data = odd_exchange
    with Store(db, read_only=True) as store, open_backend("spark", data=data, session=spark_local) as sp:
        for name in ("water_samples", "observations", "sections"):
            got = sp.ibis.to_pyarrow(sp.ibis.table(name))
            want = store_rows(store.con, name, got.schema)
            assert_same_rows(got, want, f"{name} on Spark")
        assert sp.session.table("water_samples").schema["time"].dataType.typeName() == "timestamp_ntz"


@pytest.mark.spark
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_china_time_labels_round_trip_unchanged_on_spark(exchange, spark, zone: str) -> None:
    """Stored labels (naive China Standard Time) come back unchanged whatever the session's time zone."""
    exchange.need("air")
    spark.session.conf.set("spark.sql.session.timeZone", zone)
    try:
        t = spark.ibis.table("observations")
        lo, hi = dt.datetime(2019, 3, 31, 0), dt.datetime(2019, 4, 1, 1)  # across a month partition
        expr = t.filter((t.site == "1081A") & (t.time >= lo) & (t.time <= hi))
        got = spark.ibis.to_pyarrow(expr)
    finally:
        spark.session.conf.set("spark.sql.session.timeZone", "UTC")
    with Store(exchange.db, read_only=True) as store:
        want = store.con.execute(
            "SELECT * FROM observations WHERE site = '1081A' AND time BETWEEN ? AND ?", [lo, hi]
        ).to_arrow_table()
    assert_same_rows(got, want.cast(got.schema), zone)
    times = sorted(set(got.column("time").to_pylist()))
    assert times[0] == lo and times[-1] == hi and len(times) == 26
