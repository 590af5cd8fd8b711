"""The embedded store: one DuckDB file holding everything ecoplan knows.

Conventions
-----------
- Times are naive ``TIMESTAMP`` values in China Standard Time (UTC+8, no
  daylight saving). Readers convert zone-aware input to it. An hourly value is
  labelled with the *end* of its hour, as the national platform does: the
  value labelled 01:00 covers 00:00-01:00, so the natural day of a label is
  ``date(time - 1 hour)``.
- Canonical units: air ug/m3, CO mg/m3; water mg/L (fecal coliform count/L);
  discharge m3/s.
- Missing values are NULL, never NaN; a blank cell is not stored at all.
- Observations carry no database key constraint (an index over hundreds of
  millions of rows costs more than it guards); uniqueness of the key is kept
  by :meth:`Store.upsert` and verified by ``ecoplan check``.
- Air values are stored as integer-keyed rows (``obs_values``: site_id, time,
  param_id, value, ingest_id) and read through the long-form view
  ``observations`` (site, time, parameter, value, unit, source, ingest_id):
  text columns repeated on every row cost DuckDB several times more to write
  than the values themselves. ``air_published`` is likewise a view over
  ``air_pub``. ``source`` is the file the value came from, through the
  ingest log.

Every ingest goes through :meth:`Store.upsert` inside one transaction: a new
key is inserted, an equal value is left alone, a different value replaces the
stored one and the replaced row is copied to the table's ``*_history`` twin.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

SCHEMA_VERSION = "1"
DEFAULT_DB = "ecoplan.duckdb"

# Logical tables that readers produce and the integer-keyed tables that store
# them: text code columns are replaced by ids looked up in (table, code, id).
LOGICAL: dict[str, dict[str, Any]] = {
    # long rows: the six AQI pollutants go to air_hourly (see below), any other parameter to obs_values
    "observations": {
        "table": "obs_values",
        "codes": {"site": ("sites", "code", "site_id"), "parameter": ("parameters", "code", "param_id")},
    },
    # one row per station-hour with a column per pollutant (what the daily site files hold)
    "air_hourly": {"table": "air_hourly", "codes": {"site": ("sites", "code", "site_id")}},
    "air_published": {"table": "air_pub", "codes": {"site": ("sites", "code", "site_id")}},
}

# Parameters known from the start (ids are stable across stores).
PARAMETERS = [
    (1, "PM2.5", "ug/m3", "细颗粒物", "fine particulate matter", "air"),
    (2, "PM10", "ug/m3", "可吸入颗粒物", "inhalable particulate matter", "air"),
    (3, "SO2", "ug/m3", "二氧化硫", "sulphur dioxide", "air"),
    (4, "NO2", "ug/m3", "二氧化氮", "nitrogen dioxide", "air"),
    (5, "O3", "ug/m3", "臭氧", "ozone", "air"),
    (6, "CO", "mg/m3", "一氧化碳", "carbon monoxide", "air"),
]

# The six pollutants of the AQI, stored one row per station-hour in air_hourly:
# parameter code -> value column (its provenance column is <column>_ingest).
AIR_COLUMNS = {"PM2.5": "pm2_5", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "O3": "o3", "CO": "co"}
AIR_PARAM_IDS = {code: pid for pid, code, *_ in PARAMETERS}

# Key and value columns of the tables written by upsert. Provenance columns
# (source, ingest_id) are not compared: re-reading a value from another file
# keeps its first provenance.
TABLES: dict[str, dict[str, Any]] = {
    # --- air --------------------------------------------------------------
    "sites": {
        "keys": ["code"],
        "values": ["name", "city", "province", "lat", "lon", "kind", "is_background"],
        "coalesce": True,
        # kept when a row is replaced; new rows take the default
        "carry": {"site_id": "nextval('site_id_seq')"},
    },
    "obs_values": {
        "keys": ["site_id", "time", "param_id"],
        "values": ["value"],
        "source": False,
    },
    # each value cell is compared, replaced and attributed on its own
    "air_hourly": {
        "keys": ["site_id", "time"],
        "values": list(AIR_COLUMNS.values()),
        "cells": True,
    },
    "air_pub": {
        "source": False,
        "keys": ["site_id", "time"],
        "values": [
            "aqi",
            "primary_pollutant",
            "pm2_5_24h",
            "pm10_24h",
            "so2_24h",
            "no2_24h",
            "o3_24h",
            "o3_8h",
            "o3_8h_24h",
            "co_24h",
        ],
        "coalesce": True,
    },
    # --- water ------------------------------------------------------------
    "sections": {
        "keys": ["code"],
        "values": [
            "name",
            "river",
            "basin",
            "city",
            "province",
            "kind",
            "control_level",
            "lat",
            "lon",
        ],
        "coalesce": True,
    },
    "water_samples": {
        "keys": ["section", "time", "item"],
        "values": ["value", "unit", "below_dl", "detection_limit", "sample_kind"],
    },
    "water_published": {
        "keys": ["section", "time"],
        "values": ["class", "status"],
        "coalesce": True,
    },
    # --- flow -------------------------------------------------------------
    "gauges": {
        "keys": ["code"],
        "values": ["name", "river", "section", "basin", "lat", "lon"],
        "coalesce": True,
    },
    "flows": {
        "keys": ["gauge", "date"],
        "values": ["discharge"],
    },
    # --- plan -------------------------------------------------------------
    "indicator_values": {
        "keys": ["indicator", "scope", "year", "origin"],
        "values": ["value", "unit", "method", "note"],
    },
}

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE SEQUENCE IF NOT EXISTS ingest_id_seq START 1",
    """CREATE TABLE IF NOT EXISTS ingest_log (
        ingest_id BIGINT PRIMARY KEY,
        domain VARCHAR,
        reader VARCHAR,
        file VARCHAR,
        checksum VARCHAR,
        size_bytes BIGINT,
        rows_read BIGINT,
        values_read BIGINT,
        rows_stored BIGINT,
        rows_replaced BIGINT,
        rows_unchanged BIGINT,
        rows_rejected BIGINT,
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        status VARCHAR,
        message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS rejects (
        ingest_id BIGINT, file VARCHAR, line BIGINT, "column" VARCHAR,
        value VARCHAR, reason VARCHAR)""",
    # air
    "CREATE SEQUENCE IF NOT EXISTS site_id_seq START 1",
    "CREATE SEQUENCE IF NOT EXISTS param_id_seq START 100",
    """CREATE TABLE IF NOT EXISTS sites (
        code VARCHAR PRIMARY KEY, site_id INTEGER NOT NULL UNIQUE DEFAULT nextval('site_id_seq'),
        name VARCHAR, city VARCHAR, province VARCHAR,
        lat DOUBLE, lon DOUBLE, kind VARCHAR, is_background BOOLEAN,
        source VARCHAR, ingest_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS parameters (
        param_id SMALLINT PRIMARY KEY, code VARCHAR NOT NULL UNIQUE, unit VARCHAR,
        name_zh VARCHAR, name_en VARCHAR, domain VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS air_hourly (
        site_id INTEGER NOT NULL, time TIMESTAMP NOT NULL,
        pm2_5 DOUBLE, pm10 DOUBLE, so2 DOUBLE, no2 DOUBLE, o3 DOUBLE, co DOUBLE,
        pm2_5_ingest BIGINT, pm10_ingest BIGINT, so2_ingest BIGINT, no2_ingest BIGINT,
        o3_ingest BIGINT, co_ingest BIGINT)""",
    """CREATE TABLE IF NOT EXISTS obs_values (
        site_id INTEGER NOT NULL, time TIMESTAMP NOT NULL, param_id SMALLINT NOT NULL,
        value DOUBLE, ingest_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS air_pub (
        site_id INTEGER NOT NULL, time TIMESTAMP NOT NULL, aqi DOUBLE,
        primary_pollutant VARCHAR, pm2_5_24h DOUBLE, pm10_24h DOUBLE, so2_24h DOUBLE,
        no2_24h DOUBLE, o3_24h DOUBLE, o3_8h DOUBLE, o3_8h_24h DOUBLE, co_24h DOUBLE,
        ingest_id BIGINT)""",
    # water
    """CREATE TABLE IF NOT EXISTS sections (
        code VARCHAR PRIMARY KEY, name VARCHAR, river VARCHAR, basin VARCHAR,
        city VARCHAR, province VARCHAR, kind VARCHAR, control_level VARCHAR,
        lat DOUBLE, lon DOUBLE, source VARCHAR, ingest_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS water_samples (
        section VARCHAR NOT NULL, time TIMESTAMP NOT NULL, item VARCHAR NOT NULL,
        value DOUBLE, unit VARCHAR, below_dl BOOLEAN, detection_limit DOUBLE,
        sample_kind VARCHAR, source VARCHAR, ingest_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS water_published (
        section VARCHAR NOT NULL, time TIMESTAMP NOT NULL, class VARCHAR,
        status VARCHAR, source VARCHAR, ingest_id BIGINT)""",
    # flow
    """CREATE TABLE IF NOT EXISTS gauges (
        code VARCHAR PRIMARY KEY, name VARCHAR, river VARCHAR, section VARCHAR,
        basin VARCHAR, lat DOUBLE, lon DOUBLE, source VARCHAR, ingest_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS flows (
        gauge VARCHAR NOT NULL, date DATE NOT NULL, discharge DOUBLE,
        source VARCHAR, ingest_id BIGINT)""",
    # plan
    """CREATE TABLE IF NOT EXISTS indicator_values (
        indicator VARCHAR NOT NULL, scope VARCHAR NOT NULL, year INTEGER NOT NULL,
        origin VARCHAR NOT NULL, value DOUBLE, unit VARCHAR, method VARCHAR,
        note VARCHAR, source VARCHAR, ingest_id BIGINT)""",
    """CREATE TABLE IF NOT EXISTS warnings (
        warning_id VARCHAR PRIMARY KEY, kind VARCHAR, rule VARCHAR, level VARCHAR,
        scope VARCHAR, scope_type VARCHAR, start_time TIMESTAMP, end_time TIMESTAMP,
        active BOOLEAN, evidence VARCHAR, message_zh VARCHAR, message_en VARCHAR,
        raised_at TIMESTAMP, updated_at TIMESTAMP)""",
    # api: tokens are stored as a hash of the token only (see ecoplan.api.auth);
    # failed authentication attempts are logged without the token
    """CREATE TABLE IF NOT EXISTS api_tokens (
        token_id VARCHAR PRIMARY KEY, name VARCHAR, token_hash VARCHAR NOT NULL, scope VARCHAR NOT NULL,
        created_at TIMESTAMP, revoked_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS auth_log (
        time TIMESTAMP, reason VARCHAR, token_id VARCHAR, scope_needed VARCHAR,
        method VARCHAR, path VARCHAR, client VARCHAR)""",
]


_AIR_CELLS = "\n            UNION ALL ".join(
    f"SELECT site_id, time, {AIR_PARAM_IDS[code]} AS param_id, {col} AS value, {col}_ingest AS ingest_id "
    f"FROM air_hourly WHERE {col} IS NOT NULL"
    for code, col in AIR_COLUMNS.items()
)

_VIEWS = [
    # every air value as a long row: the air_hourly cells and obs_values
    f"""CREATE OR REPLACE VIEW observations AS
        WITH cells AS (
            {_AIR_CELLS}
            UNION ALL SELECT site_id, time, param_id, value, ingest_id FROM obs_values)
        SELECT s.code AS site, c.time, p.code AS parameter, c.value, p.unit,
               l.file AS source, c.ingest_id
        FROM cells c JOIN sites s ON s.site_id = c.site_id
        JOIN parameters p ON p.param_id = c.param_id
        LEFT JOIN ingest_log l ON l.ingest_id = c.ingest_id""",
    # replaced air values (from air_hourly cells and obs_values rows alike)
    """CREATE OR REPLACE VIEW observations_history AS
        SELECT s.code AS site, o.time, p.code AS parameter, o.value, p.unit,
               l.file AS source, o.ingest_id, o.replaced_by, o.replaced_at
        FROM obs_values_history o JOIN sites s ON s.site_id = o.site_id
        JOIN parameters p ON p.param_id = o.param_id
        LEFT JOIN ingest_log l ON l.ingest_id = o.ingest_id""",
    """CREATE OR REPLACE VIEW air_published AS
        SELECT s.code AS site, a.* EXCLUDE (site_id, ingest_id), l.file AS source, a.ingest_id
        FROM air_pub a JOIN sites s ON s.site_id = a.site_id
        LEFT JOIN ingest_log l ON l.ingest_id = a.ingest_id""",
    """CREATE OR REPLACE VIEW air_published_history AS
        SELECT s.code AS site, a.* EXCLUDE (site_id)
        FROM air_pub_history a JOIN sites s ON s.site_id = a.site_id""",
]


def _history_ddl(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table}_history AS "
        f"SELECT *, CAST(NULL AS BIGINT) AS replaced_by, "
        f"CAST(NULL AS TIMESTAMP) AS replaced_at FROM {table} WITH NO DATA"
    )


#: The environment variable that caps DuckDB's memory (its ``memory_limit``:
#: '3GB', '500MB'); beyond it DuckDB spills to a temporary directory beside
#: the store. Unset, DuckDB's default applies (80% of the machine's memory).
MEMORY_LIMIT_ENV = "ECOPLAN_MEMORY_LIMIT"


def ibis_options() -> None:
    """Set the Ibis options every ecoplan backend runs with (DuckDB and Spark alike).

    ``sql.fuse_selects`` off. By default Ibis merges each projection into the
    one it reads from, inlining the expressions its columns stand for, and
    weighs every merge by walking both expression trees. The assessments are
    long chains of projections over hundreds of expressions (IAQIs, AQI,
    level and names; daily values, rounding, period statistics), where the
    search costs about a third of the compile time: compiling the national daily
    report took 0.60 s with it and 0.42 s without, the annual statistics by
    station 1.16 s and 0.75 s, by city 1.17 s and 0.88 s. Unmerged, the SQL
    keeps one subquery per step and means the same; the engines merge the
    projections in their own planners.
    """
    import ibis

    ibis.options.sql.fuse_selects = False


def ibis_duckdb(con: duckdb.DuckDBPyConnection):
    """An Ibis backend over a DuckDB connection, with :func:`ibis_options` set."""
    import ibis

    ibis_options()
    return ibis.duckdb.from_connection(con)


def default_db_path() -> Path:
    """``$ECOPLAN_DB`` or ``./ecoplan.duckdb``."""
    return Path(os.environ.get("ECOPLAN_DB") or DEFAULT_DB)


@dataclass
class UpsertCounts:
    """What an upsert did: rows inserted (new keys and replacements), replaced, unchanged."""

    stored: int = 0
    replaced: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.stored += other.stored
        self.replaced += other.replaced
        self.unchanged += other.unchanged
        return self


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StoreBusy(OSError):
    """The store file is held by another process.

    DuckDB lets one process at a time open a file for writing (and none read
    it meanwhile): while ``ecoplan serve`` runs over a store, load files
    through its upload endpoints, or stop it first.
    """

    def __init__(self, path: Path, cause: Exception):
        holder = ""
        m = re.search(r"PID (\d+)", str(cause))
        if m:
            holder = f" (process {m.group(1)})"
        super().__init__(
            f"the store {path} is in use by another process{holder}. A store is opened by one "
            "process at a time: wait for that command to finish, or, if it is `ecoplan serve`, "
            "upload the files through its API (POST /api/ingest/...) or stop it first. "
            "Nothing was changed."
        )
        self.path = path


class Store:
    """A DuckDB file with ecoplan's schema.

    Parameters
    ----------
    path
        The database file; ``":memory:"`` for a throw-away store.
    read_only
        Open without write access (no schema migration).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False):
        self.path = Path(path) if path is not None else default_db_path()
        target = ":memory:" if str(path) == ":memory:" else str(self.path)
        if not read_only and target != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # insertion order is never relied on; without it DuckDB writes in parallel
        config: dict[str, str | bool] = {"preserve_insertion_order": False}
        limit = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
        if limit:
            config["memory_limit"] = limit
        try:
            self.con = duckdb.connect(target, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(self.path, exc) from exc
            raise
        except (duckdb.InvalidInputException, duckdb.ParserException) as exc:
            if limit and "memory" in str(exc).lower():
                raise ValueError(
                    f"{MEMORY_LIMIT_ENV}={limit!r} is not a memory size ('3GB', '500MB'): {exc}"
                ) from exc
            raise
        self.read_only = read_only
        self._ibis = None
        if not read_only:
            self._migrate()

    # -- lifecycle ---------------------------------------------------------
    def _migrate(self) -> None:
        for ddl in _DDL:
            self.con.execute(ddl)
        for table in TABLES:
            if not TABLES[table].get("cells"):  # replaced cells go to obs_values_history
                self.con.execute(_history_ddl(table))
        for view in _VIEWS:
            self.con.execute(view)
        self.con.executemany(
            "INSERT INTO parameters VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", PARAMETERS
        )
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def ibis(self):
        """An Ibis DuckDB backend sharing this store's connection."""
        if self._ibis is None:
            self._ibis = ibis_duckdb(self.con)
        return self._ibis

    def table(self, name: str):
        """An Ibis table expression over a stored table."""
        return self.ibis.table(name)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic unit of work: committed on success, rolled back on any error."""
        self.con.begin()
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        else:
            self.con.commit()

    # -- ingest log ----------------------------------------------------------
    def log_ingest(self, ingest_id: int, **fields: Any) -> None:
        cols = ["ingest_id", *fields]
        marks = ", ".join("?" for _ in cols)
        self.con.execute(
            f"INSERT INTO ingest_log ({', '.join(cols)}) VALUES ({marks})",
            [ingest_id, *fields.values()],
        )

    def next_ingest_ids(self, n: int) -> list[int]:
        return [
            int(r[0])
            for r in self.con.execute("SELECT nextval('ingest_id_seq') FROM range(?)", [n]).fetchall()
        ]

    def log_ingests(self, rows: pa.Table) -> None:
        """Write several ingest log entries (columns named as in ``ingest_log``)."""
        self._insert_arrow("ingest_log", rows)

    def add_rejects(self, rows: pa.Table) -> int:
        """Store reject records (ingest_id, file, line, column, value, reason)."""
        if rows.num_rows:
            self._insert_arrow("rejects", rows)
        return rows.num_rows

    def _insert_arrow(self, table: str, rows: pa.Table) -> None:
        name = f"_in_{table}"
        self.con.register(name, rows)
        try:
            cols = ", ".join(_q(c) for c in rows.column_names)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
        finally:
            self.con.unregister(name)

    # -- writes --------------------------------------------------------------
    def physical(self, name: str, rows: pa.Table) -> list[tuple[str, pa.Table]]:
        """The stored tables for a reader's table ``name``, with codes replaced by ids.

        A station code the store does not know yet is registered (readers
        describe stations before their values; a trusted station list may
        not have). A parameter not yet known is added with its unit. Long
        rows of the six AQI pollutants are pivoted into ``air_hourly``.
        """
        spec = LOGICAL.get(name)
        if spec is None:
            return [(name, rows)]
        for col, (table, code_col, id_col) in spec["codes"].items():
            arr = rows.column(col)
            if table == "parameters":
                self._ensure_parameters(rows)
            else:
                self.con.register("_codes_in", pa.table({"code": pc.unique(arr.cast(pa.string()))}))
                self.con.execute(
                    f"INSERT INTO {table} ({code_col}, kind) SELECT code, 'air' FROM _codes_in "
                    f"WHERE code NOT IN (SELECT {code_col} FROM {table})"
                )
                self.con.unregister("_codes_in")
            codes, ids = self._code_ids(table, code_col, id_col)
            if pa.types.is_dictionary(arr.type):
                arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
                new = pc.take(pc.take(ids, pc.index_in(arr.dictionary, value_set=codes)), arr.indices)
            else:
                new = pc.take(ids, pc.index_in(arr, value_set=codes))
            if new.null_count:
                missing = sorted(set(pc.filter(arr.cast(pa.string()), pc.is_null(new)).to_pylist()))[:5]
                raise KeyError(f"{name}: unknown {col} code(s) {missing} (not in {table})")
            i = rows.column_names.index(col)
            rows = rows.set_column(i, id_col, new.cast(pa.int32() if id_col == "site_id" else pa.int16()))
        target = spec["table"]
        keep = set(TABLES[target]["keys"]) | set(TABLES[target]["values"]) | {"_file"}
        rows = rows.drop_columns([c for c in rows.column_names if c not in keep])
        if name != "observations":
            return [(target, rows)]
        air_ids = list(AIR_PARAM_IDS.values())
        is_air = pc.is_in(rows.column("param_id"), value_set=pa.array(air_ids, pa.int16()))
        parts = []
        air = rows.filter(is_air)
        if air.num_rows:
            parts.append(("air_hourly", self._pivot_air(air)))
        other = rows.filter(pc.invert(is_air))
        if other.num_rows:
            parts.append(("obs_values", other))
        return parts

    def _pivot_air(self, rows: pa.Table) -> pa.Table:
        """Long air rows (site_id, time, param_id, value[, _file]) as air_hourly rows."""
        cols = ", ".join(
            f"max(value) FILTER (param_id = {AIR_PARAM_IDS[code]}) AS {col}"
            for code, col in AIR_COLUMNS.items()
        )
        file_col = ", min(_file) AS _file" if "_file" in rows.column_names else ""
        self.con.register("_long_air", rows)
        try:
            return self.con.execute(
                f"SELECT site_id, time{file_col}, {cols} FROM _long_air GROUP BY site_id, time"
            ).to_arrow_table()
        finally:
            self.con.unregister("_long_air")

    def _code_ids(self, table: str, code_col: str, id_col: str) -> tuple[pa.Array, pa.Array]:
        got = self.con.execute(f"SELECT {code_col}, {id_col} FROM {table}").to_arrow_table()
        return got.column(0).combine_chunks(), got.column(1).combine_chunks()

    def _ensure_parameters(self, rows: pa.Table) -> None:
        names = pc.unique(rows.column("parameter").cast(pa.string())).to_pylist()
        known = {r[0] for r in self.con.execute("SELECT code FROM parameters").fetchall()}
        for name in names:
            if name not in known:
                unit = None
                if "unit" in rows.column_names:
                    mask = pc.equal(rows.column("parameter").cast(pa.string()), name)
                    units = pc.unique(pc.filter(rows.column("unit"), mask)).to_pylist()
                    unit = units[0] if units else None
                self.con.execute(
                    "INSERT INTO parameters (param_id, code, unit) VALUES (nextval('param_id_seq'), ?, ?)",
                    [name, unit],
                )

    def upsert(
        self,
        table: str,
        rows: pa.Table,
        *,
        ingest_id: int | None = None,
        source: str | None = None,
        ingest_ids: Sequence[int] | None = None,
        sources: Sequence[str] | None = None,
    ) -> dict[int, UpsertCounts]:
        """Insert or replace ``rows`` in ``table`` by its key; keep replaced rows.

        ``table`` is a stored table of :data:`TABLES` or a reader's table of
        :data:`LOGICAL` (its codes are turned into ids first). ``rows`` holds
        key and value columns with unique keys. Rows from several files carry
        a ``_file`` column (int) indexing ``ingest_ids`` and ``sources``;
        without it every row takes the first (or ``ingest_id`` and ``source``
        for rows of one file). Returns counts per ``_file`` value. Call inside
        :meth:`transaction`.

        For tables marked ``coalesce`` a missing (NULL) new value keeps the
        stored one, so partial metadata never erases what is known. When the
        rows' time range holds nothing yet (the usual bulk load) they are
        inserted directly, without comparing.
        """
        ingest_ids = list(ingest_ids) if ingest_ids is not None else [ingest_id or 0]
        sources = list(sources) if sources is not None else [source]
        total: dict[int, UpsertCounts] = {}
        for part, part_rows in self.physical(table, rows):
            if TABLES[part].get("cells"):
                counts = self._upsert_cells(part, part_rows, ingest_ids)
            else:
                counts = self._upsert_rows(part, part_rows, ingest_ids, sources)
            for f, c in counts.items():
                total.setdefault(f, UpsertCounts()).__iadd__(c)
        return total

    def _upsert_rows(
        self, table: str, rows: pa.Table, ingest_ids: list[int], sources: list[str | None]
    ) -> dict[int, UpsertCounts]:
        """Row-wise upsert of a stored table (see :meth:`upsert`)."""
        spec = TABLES[table]
        keys: list[str] = spec["keys"]
        values: list[str] = [v for v in spec["values"] if v in rows.column_names]
        coalesce = bool(spec.get("coalesce"))
        carry: dict[str, str] = spec.get("carry", {})
        with_source = spec.get("source", True)
        if rows.num_rows == 0:
            return {}
        con = self.con
        stg = f"_stg_{table}"
        con.register(stg, rows)
        try:
            file_idx = "s._file" if "_file" in rows.column_names else "0"
            provenance = f"(?::BIGINT[])[{file_idx} + 1] AS ingest_id, {file_idx} AS _file"
            params: list[Any] = [[int(i) for i in ingest_ids]]
            if with_source:
                provenance = f"(?::VARCHAR[])[{file_idx} + 1] AS source, " + provenance
                params.insert(0, list(sources))
            extra = [*(["source"] if with_source else []), "ingest_id", *carry]
            cols = ", ".join(_q(c) for c in [*keys, *values, *extra])
            time_key = next((k for k in keys if k in ("time", "date", "year")), None)
            window = ""
            if time_key is not None:
                lo, hi = con.execute(f"SELECT min({_q(time_key)}), max({_q(time_key)}) FROM {stg}").fetchone()
                stored = con.execute(
                    f"SELECT count(*) FROM {table} WHERE {_q(time_key)} BETWEEN ? AND ?", [lo, hi]
                ).fetchone()[0]
                if stored == 0:
                    select = ", ".join(
                        [f"s.{_q(c)}" for c in [*keys, *values]]
                        + [provenance]
                        + [f"{default} AS {_q(c)}" for c, default in carry.items()]
                    )
                    con.execute(
                        f"INSERT INTO {table} ({cols}) SELECT * EXCLUDE (_file) FROM "
                        f"(SELECT {select} FROM {stg} s)",
                        params,
                    )
                    return {
                        int(f): UpsertCounts(stored=int(n))
                        for f, n in con.execute(
                            f"SELECT {file_idx}, count(*) FROM {stg} s GROUP BY ALL"
                        ).fetchall()
                    }
                window = f"WHERE {_q(time_key)} BETWEEN ? AND ?"
                params += [lo, hi]
            on = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in keys)
            new = {v: (f"COALESCE(s.{_q(v)}, t.{_q(v)})" if coalesce else f"s.{_q(v)}") for v in values}
            differs = " OR ".join(f"t.{_q(v)} IS DISTINCT FROM {new[v]}" for v in values) or "FALSE"
            select = ", ".join(
                [f"s.{_q(k)}" for k in keys]
                + [f"{new[v]} AS {_q(v)}" for v in values]
                + [provenance]
                + [f"COALESCE(t.{_q(c)}, {default}) AS {_q(c)}" for c, default in carry.items()]
            )
            first_key = _q(keys[0])
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _cmp AS SELECT {select}, "
                f"t.{first_key} IS NOT NULL AS _exists, "
                f"t.{first_key} IS NOT NULL AND ({differs}) AS _differs "
                f"FROM {stg} s LEFT JOIN (SELECT * FROM {table} {window}) t ON {on}",
                params,
            )
            per_file = {
                int(f): UpsertCounts(stored=int(n_new + n_diff), replaced=int(n_diff), unchanged=int(n_same))
                for f, n_new, n_diff, n_same in con.execute(
                    "SELECT _file, count(*) FILTER (NOT _exists), count(*) FILTER (_differs), "
                    "count(*) FILTER (_exists AND NOT _differs) FROM _cmp GROUP BY _file"
                ).fetchall()
            }
            if any(c.replaced for c in per_file.values()):
                match = " AND ".join(f"{table}.{_q(k)} = c.{_q(k)}" for k in keys)
                con.execute(
                    f"INSERT INTO {table}_history BY NAME SELECT {table}.*, "
                    f"c.ingest_id AS replaced_by, ? AS replaced_at FROM {table} "
                    f"JOIN (SELECT * FROM _cmp WHERE _differs) c ON {match}",
                    [now()],
                )
                con.execute(f"DELETE FROM {table} USING _cmp c WHERE c._differs AND {match}")
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _cmp WHERE NOT _exists OR _differs")
            con.execute("DROP TABLE _cmp")
        finally:
            con.unregister(stg)
        return per_file

    def _upsert_cells(self, table: str, rows: pa.Table, ingest_ids: list[int]) -> dict[int, UpsertCounts]:
        """Cell-wise upsert of a wide table: each value is new, equal or replaced on its own.

        A NULL cell in ``rows`` keeps the stored value. A replaced value goes to
        ``obs_values_history`` as a long row with its own ingest id; each cell
        keeps the ingest id of the file it came from (``<column>_ingest``).
        Counts are of values (cells), as for long tables.
        """
        if rows.num_rows == 0:
            return {}
        spec = TABLES[table]
        keys: list[str] = spec["keys"]
        values: list[str] = spec["values"]
        for v in values:  # a pollutant the rows do not carry is NULL: it keeps what is stored
            if v not in rows.column_names:
                rows = rows.append_column(v, pa.nulls(rows.num_rows, pa.float64()))
        con = self.con
        stg = f"_stg_{table}"
        con.register(stg, rows)
        file_idx = "s._file" if "_file" in rows.column_names else "0"
        fid = f"(?::BIGINT[])[{file_idx} + 1]"
        ids = [[int(i) for i in ingest_ids]]
        all_cols = [*keys, *values, *(f"{v}_ingest" for v in values)]
        col_list = ", ".join(_q(c) for c in all_cols)
        try:
            lo, hi = con.execute(f"SELECT min(time), max(time) FROM {stg}").fetchone()
            stored = con.execute(
                f"SELECT count(*) FROM {table} WHERE time BETWEEN ? AND ?", [lo, hi]
            ).fetchone()[0]
            if stored == 0:
                sel = ", ".join(
                    [f"s.{_q(c)}" for c in [*keys, *values]]
                    + [f"CASE WHEN s.{_q(v)} IS NOT NULL THEN {fid} END" for v in values]
                )
                con.execute(f"INSERT INTO {table} ({col_list}) SELECT {sel} FROM {stg} s", ids * len(values))
                counted = " + ".join(f"count(s.{_q(v)})" for v in values)
                return {
                    int(f): UpsertCounts(stored=int(n))
                    for f, n in con.execute(
                        f"SELECT {file_idx}, {counted} FROM {stg} s GROUP BY ALL"
                    ).fetchall()
                }
            on = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in keys)
            parts = [f"s.{_q(k)}" for k in keys] + [f"{fid} AS _fid", f"{file_idx} AS _file"]
            for v in values:
                sv, tv = f"s.{_q(v)}", f"t.{_q(v)}"
                parts += [
                    f"COALESCE({sv}, {tv}) AS {_q(v)}",
                    f"CASE WHEN {sv} IS NOT NULL AND {tv} IS DISTINCT FROM {sv} THEN {fid} "
                    f"ELSE t.{_q(v + '_ingest')} END AS {_q(v + '_ingest')}",
                    f"({sv} IS NOT NULL AND {tv} IS NULL) AS {_q(v + '_new')}",
                    f"({sv} IS NOT NULL AND {tv} IS NOT NULL AND {tv} <> {sv}) AS {_q(v + '_chg')}",
                    # NOT DISTINCT: a cell with nothing stored is new, not unknown (NULL would
                    # drop the whole row from the sums below)
                    f"({sv} IS NOT NULL AND {tv} IS NOT DISTINCT FROM {sv}) AS {_q(v + '_same')}",
                    f"{tv} AS {_q(v + '_old')}",
                    f"t.{_q(v + '_ingest')} AS {_q(v + '_old_ingest')}",
                ]
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _cmp AS SELECT {', '.join(parts)}, t.{_q(keys[0])} IS NOT NULL AS _exists "
                f"FROM {stg} s LEFT JOIN (SELECT * FROM {table} WHERE time BETWEEN ? AND ?) t ON {on}",
                ids * (len(values) + 1) + [lo, hi],
            )
            new = " + ".join(f"{_q(v + '_new')}::INT" for v in values)
            chg = " + ".join(f"{_q(v + '_chg')}::INT" for v in values)
            same = " + ".join(f"{_q(v + '_same')}::INT" for v in values)
            per_file = {
                int(f): UpsertCounts(stored=int(n + c), replaced=int(c), unchanged=int(u))
                for f, n, c, u in con.execute(
                    f"SELECT _file, sum({new}), sum({chg}), sum({same}) FROM _cmp GROUP BY _file"
                ).fetchall()
            }
            if any(c.replaced for c in per_file.values()):
                history = " UNION ALL ".join(
                    f"SELECT site_id, time, {AIR_PARAM_IDS[code]}::SMALLINT AS param_id, {_q(v + '_old')} AS value, "
                    f"{_q(v + '_old_ingest')} AS ingest_id, _fid AS replaced_by, ?::TIMESTAMP AS replaced_at "
                    f"FROM _cmp WHERE {_q(v + '_chg')}"
                    for code, v in AIR_COLUMNS.items()
                    if v in values
                )
                con.execute(f"INSERT INTO obs_values_history BY NAME {history}", [now()] * len(values))
            touched = " OR ".join(f"{_q(v + '_new')} OR {_q(v + '_chg')}" for v in values)
            match = " AND ".join(f"{table}.{_q(k)} = c.{_q(k)}" for k in keys)
            con.execute(f"DELETE FROM {table} USING _cmp c WHERE c._exists AND ({touched}) AND {match}")
            con.execute(f"INSERT INTO {table} ({col_list}) SELECT {col_list} FROM _cmp WHERE {touched}")
            con.execute("DROP TABLE _cmp")
            return per_file
        finally:
            con.unregister(stg)

    # -- reads ---------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a parameterised SQL query and return an Arrow table."""
        return self.con.execute(sql, params or []).to_arrow_table()

    def count(self, table: str) -> int:
        if (
            table not in TABLES
            and table not in LOGICAL
            and table not in {"ingest_log", "rejects", "warnings"}
        ):
            raise KeyError(table)
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


CHINA_TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """China Standard Time, naive like every stored time, for log entries."""
    return dt.datetime.now(CHINA_TZ).replace(tzinfo=None, microsecond=0)
