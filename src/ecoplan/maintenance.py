"""Keeping a store sound: verification, backup and restore.

``check`` verifies what the ingest guarantees promise:

- keys are unique in every upserted table and its history;
- air values reference known stations and parameters, and parameters carry
  their canonical unit;
- no stored number is NaN (missing values are NULL);
- the ingest log agrees with the rows: every row's ingest id is logged, and for
  each ingest the rows it stored (still current, or replaced and kept in
  history) add up to the ``rows_stored`` it logged, and its reject records to
  ``rows_rejected``.

``backup`` writes a complete, consistent copy of the store to a new DuckDB
file; ``restore`` replaces a store by a backup after checking it is one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .store import LOGICAL, PARAMETERS, SCHEMA_VERSION, TABLES, Store

# stored tables and their history twins (cell tables keep replaced cells in obs_values_history)
HISTORY = {t: f"{t}_history" for t, spec in TABLES.items() if not spec.get("cells")}

METADATA_TABLES = ("sites", "sections", "gauges")
CANONICAL_UNITS = {code: unit for _, code, unit, *_ in PARAMETERS}


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str = ""


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, check: str, problems: list[str]) -> None:
        self.findings.append(Finding(check, not problems, "; ".join(problems[:10])))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check(store: Store) -> CheckReport:
    """Verify the store; every finding says what was checked and what is wrong."""
    con = store.con
    report = CheckReport()

    problems = []
    for table, spec in TABLES.items():
        keys = ", ".join(_q(k) for k in spec["keys"])
        n = con.execute(
            f"SELECT count(*) FROM (SELECT {keys} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        if n:
            problems.append(f"{table}: {n} keys stored more than once")
    report.add("keys unique", problems)

    problems = []
    for spec in LOGICAL.values():
        physical = spec["table"]
        for _col, (table, _code, id_col) in spec["codes"].items():
            n = con.execute(
                f"SELECT count(*) FROM {physical} WHERE {id_col} NOT IN (SELECT {id_col} FROM {table})"
            ).fetchone()[0]
            if n:
                problems.append(f"{physical}: {n} rows reference a {id_col} missing from {table}")
    report.add("references resolve", problems)

    problems = []
    for code, unit in con.execute("SELECT code, unit FROM parameters").fetchall():
        want = CANONICAL_UNITS.get(code)
        if want is not None and unit != want:
            problems.append(f"parameter {code} has unit {unit!r}, canonical is {want!r}")
    report.add("units canonical", problems)

    problems = []
    for table in [*TABLES, *HISTORY.values()]:
        cols = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND data_type IN ('DOUBLE', 'FLOAT', 'REAL')",
            [table],
        ).fetchall()
        for (col,) in cols:
            n = con.execute(f"SELECT count(*) FROM {table} WHERE isnan({_q(col)})").fetchone()[0]
            if n:
                problems.append(f"{table}.{col}: {n} NaN values")
    report.add("no NaN", problems)

    problems = []
    logged = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT ingest_id, rows_stored, rows_rejected, status FROM ingest_log"
        ).fetchall()
    }
    stored: dict[int, int] = {}
    for t, iid, n in _rows_per_ingest(con):
        if iid is None and t in METADATA_TABLES:
            continue  # a station named by a trusted list before any file described it
        if iid not in logged:
            problems.append(f"{t}: {n} rows from ingest {iid}, which the log does not hold")
        stored[iid] = stored.get(iid, 0) + n
    rejected = dict(con.execute("SELECT ingest_id, count(*) FROM rejects GROUP BY ALL").fetchall())
    for iid, (rows_stored, rows_rejected, status) in logged.items():
        have = stored.get(iid, 0)
        if status != "failed" and rows_stored is not None and have != rows_stored:
            problems.append(f"ingest {iid}: log says {rows_stored} rows stored, the tables hold {have}")
        if rows_rejected is not None and rejected.get(iid, 0) != rows_rejected:
            problems.append(
                f"ingest {iid}: log says {rows_rejected} rejects, the rejects table holds {rejected.get(iid, 0)}"
            )
    report.add("ingest log consistent", problems)
    return report


def _rows_per_ingest(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int | None, int]]:
    """(table, ingest id, rows) for every stored row; cells count one by one in cell tables."""
    out = []
    for table, spec in TABLES.items():
        if spec.get("cells"):
            for v in spec["values"]:
                q = f"SELECT {_q(v + '_ingest')}, count(*) FROM {table} WHERE {_q(v)} IS NOT NULL GROUP BY ALL"
                out += [(table, iid, n) for iid, n in con.execute(q).fetchall()]
            continue
        for t in (table, HISTORY[table]):
            out += [
                (table, iid, n)
                for iid, n in con.execute(f"SELECT ingest_id, count(*) FROM {t} GROUP BY ALL").fetchall()
            ]
    return out


def backup(store: Store, target: str | os.PathLike[str]) -> Path:
    """Write a consistent copy of the whole store to a new DuckDB file ``target``."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    con = store.con
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH '{_sql_path(tmp)}' AS ecoplan_backup")
    try:
        con.execute("COPY FROM DATABASE " + _db_name(con) + " TO ecoplan_backup")
    finally:
        con.execute("DETACH ecoplan_backup")
    os.replace(tmp, target)
    return target


def restore(backup_file: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Replace the store file ``target`` by ``backup_file`` (checked first); the old one is kept as .bak."""
    backup_file, target = Path(backup_file), Path(target)
    try:
        con = duckdb.connect(str(backup_file), read_only=True)
    except duckdb.Error as exc:
        raise ValueError(f"{backup_file} is not a DuckDB file: {exc}") from exc
    try:
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error as exc:
        raise ValueError(f"{backup_file} is not an ecoplan store (no meta table)") from exc
    finally:
        con.close()
    if version is None or version[0] != SCHEMA_VERSION:
        raise ValueError(
            f"{backup_file} has schema version {version and version[0]}, expected {SCHEMA_VERSION}"
        )
    fd, tmp_name = tempfile.mkstemp(dir=target.parent if target.parent.exists() else None, suffix=".restore")
    os.close(fd)
    shutil.copyfile(backup_file, tmp_name)
    if target.exists():
        os.replace(target, target.with_name(target.name + ".bak"))
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        os.replace(wal, target.with_name(target.name + ".bak.wal"))
    os.replace(tmp_name, target)
    return target


def _db_name(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchone()[0]


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
