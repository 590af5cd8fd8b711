"""check, backup and restore of a store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoplan import maintenance
from ecoplan.cli import app
from ecoplan.ingest import ingest_files
from ecoplan.readers import air_reader_for
from ecoplan.store import Store
from tests.readers.test_air_ingest import daily_file, site_lines


def filled(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.duckdb")
    a = daily_file(tmp_path, "a.csv", site_lines("20190101", 1, pm25="10"))
    b = daily_file(tmp_path, "b.csv", site_lines("20190101", 1, pm25="12") + "20190101,2,PM2.5,x,3\n")
    for f in (a, b, a):  # a value replaced twice, one reject, a re-ingest
        ingest_files(store, [str(f)], lambda p, h: air_reader_for(p, h), domain="air")
    return store


def test_check_passes_on_a_sound_store(tmp_path: Path) -> None:
    store = filled(tmp_path)
    report = maintenance.check(store)
    assert report.ok, [f for f in report.findings if not f.ok]
    assert {f.check for f in report.findings} == {
        "keys unique",
        "references resolve",
        "units canonical",
        "no NaN",
        "ingest log consistent",
    }
    # the replaced values are in history, and the log adds up with them
    assert store.con.execute("SELECT count(*) FROM observations_history").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("damage", "check"),
    [
        ("INSERT INTO air_hourly SELECT * FROM air_hourly LIMIT 1", "keys unique"),
        ("UPDATE air_hourly SET pm2_5 = 'NaN'::DOUBLE", "no NaN"),
        ("UPDATE parameters SET unit = 'ppm' WHERE code = 'CO'", "units canonical"),
        ("DELETE FROM sites WHERE code = '1002A'", "references resolve"),
        ("UPDATE ingest_log SET rows_stored = rows_stored + 1 WHERE ingest_id = 1", "ingest log consistent"),
        ("DELETE FROM rejects", "ingest log consistent"),
    ],
)
def test_check_finds_damage(tmp_path: Path, damage: str, check: str) -> None:
    store = filled(tmp_path)
    store.con.execute(damage)
    failed = {f.check for f in maintenance.check(store).findings if not f.ok}
    assert check in failed


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    store = filled(tmp_path)
    before = store.con.execute("SELECT * FROM observations ORDER BY ALL").fetchall()
    target = maintenance.backup(store, tmp_path / "copy.duckdb")
    with pytest.raises(FileExistsError):
        maintenance.backup(store, target)
    store.con.execute("DELETE FROM air_hourly")
    store.close()
    maintenance.restore(target, tmp_path / "s.duckdb")
    again = Store(tmp_path / "s.duckdb")
    assert again.con.execute("SELECT * FROM observations ORDER BY ALL").fetchall() == before
    assert maintenance.check(again).ok
    assert (tmp_path / "s.duckdb.bak").exists()


def test_restore_refuses_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    bogus = tmp_path / "x.duckdb"
    bogus.write_bytes(b"not a database")
    with pytest.raises(ValueError, match="not a DuckDB file"):
        maintenance.restore(bogus, tmp_path / "s.duckdb")


def test_cli_check_backup_restore(tmp_path: Path) -> None:
    filled(tmp_path).close()
    db = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    r = runner.invoke(app, ["--db", db, "check"])
    assert r.exit_code == 0, r.output
    assert "ingest log consistent" in r.output
    r = runner.invoke(app, ["--db", db, "backup", str(tmp_path / "b.duckdb")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", db, "restore", str(tmp_path / "b.duckdb")])
    assert r.exit_code == 0, r.output
    s = Store(db)
    s.con.execute("UPDATE air_hourly SET co = 'NaN'::DOUBLE")
    s.close()
    r = runner.invoke(app, ["--db", db, "check"])
    assert r.exit_code == 1 and "FAILED" in r.output


def test_memory_limit_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecoplan.store import MEMORY_LIMIT_ENV

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    store = Store(tmp_path / "m.duckdb")
    # DuckDB reports the limit in binary units: 1 GB = 10**9 bytes = 953.6 MiB
    assert store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    store.close()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match="ECOPLAN_MEMORY_LIMIT='lots' is not a memory size"):
        Store(tmp_path / "m.duckdb")
