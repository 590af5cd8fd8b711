"""The exchange format: a store's tables as a directory of Parquet files.

ecoplan's assessments run on the DuckDB store or, when the data outgrow one
machine, on Spark (:mod:`ecoplan.engine`). Spark reads the data from this
layout, which :func:`export_parquet` writes from a store and any other tool
(Spark itself, DuckDB, pyarrow, pandas) can write or read::

    DIR/
      manifest.json
      observations/parameter=PM2.5/year=2019/month=1/part-0.parquet
      observations/parameter=PM2.5/year=2019/month=2/part-0.parquet
      ...
      air_hourly/year=2019/month=1/part-0.parquet
      air_published/year=2019/month=1/part-0.parquet
      water_samples/item=NH3-N/year=2021/part-0.parquet
      water_published/year=2021/part-0.parquet
      flows/year=1966/part-0.parquet
      sites.parquet
      sections.parquet
      gauges.parquet
      indicator_values.parquet

Tables and their layout (:data:`LAYOUT`)
----------------------------------------
- ``observations`` (air, long: one row per station, hour and parameter):
  partitioned by ``parameter``, then ``year`` and ``month`` of ``time``.
- ``air_hourly`` (air, wide: the six AQI pollutants one row per station and
  hour, with the station's code, as the store keeps them): by ``year`` and
  ``month`` of ``time``. The same values as ``observations``; the
  assessments read it instead of pivoting the long rows. Optional for other
  writers: without it the long rows are pivoted.
- ``air_published`` (the platform's published hourly AQI): by ``year`` and
  ``month`` of ``time``.
- ``water_samples``: by ``item``, then ``year`` of ``time``.
- ``water_published``: by ``year`` of ``time``; ``flows``: by ``year`` of ``date``.
- ``sites``, ``sections``, ``gauges``, ``indicator_values`` (metadata): one
  file each, ``DIR/<table>.parquet``.

Columns are those of the store (``ecoplan.store``), in its order and with its
types (string, float64, int64, int32, boolean, timestamp, date), including
the provenance columns ``source`` and ``ingest_id``. A partition column that
is a table column (``parameter``, ``item``) lives in the directory names
only, as Hive and Spark write it; ``year`` and ``month`` are derived from the
row's time (``year(time)``, ``month(time)``: the hour *label*, so the hour
labelled 2020-01-01 00:00, which closes natural day 2019-12-31, lies in
``year=2020/month=1``) and are not table columns: readers drop them.

Values
------
- Times are naive China Standard Time (UTC+8), as in the store, written as
  Parquet ``TIMESTAMP(isAdjustedToUTC=false, MICROS)``; Spark reads them as
  ``TIMESTAMP_NTZ`` and DuckDB and pyarrow as naive timestamps, so a label
  never shifts with a reader's time zone. Hourly labels mark the end of the
  hour.
- Missing values are NULL, never NaN.
- Partition values are escaped as Hive and Spark escape them: the
  characters ``"#%'*/:=?\\{[]^``, control characters and DEL as ``%XX``;
  everything else (non-ASCII letters included) is written as it is, UTF-8.
- Files are compressed with zstd; their names (``part-<n>.parquet``) carry
  no meaning. A directory holds any number of them.

Manifest
--------
``manifest.json`` is written last; a directory without it is an incomplete
export. It holds ``format`` (``"ecoplan-exchange"``), ``schema_version``
(:data:`SCHEMA_VERSION`, raised on any incompatible change),
``store_schema_version``, ``exported_at`` (UTC, ISO 8601), ``time_zone`` of
the stored times, ``ecoplan_version`` and per table: ``path``,
``partitioning``, ``rows``, ``files``, ``columns`` (name, type, nullable),
``time_column`` and ``time_min`` / ``time_max`` (ISO text, NULL for an empty
table). Readers take the schema from the manifest
 rather than inferring it from the files, so an empty table (no file
at all) still reads as a table with its columns.

:func:`read_table` reads a table back with pyarrow; the rows are identical
to the store's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from .store import SCHEMA_VERSION as STORE_SCHEMA_VERSION
from .store import Store

__all__ = [
    "LAYOUT",
    "SCHEMA_VERSION",
    "ExportError",
    "TableLayout",
    "arrow_schema",
    "escape_partition_value",
    "export_parquet",
    "read_manifest",
    "read_table",
    "table_columns",
]

FORMAT = "ecoplan-exchange"
SCHEMA_VERSION = "1"
MANIFEST = "manifest.json"
TIME_ZONE = "Asia/Shanghai (UTC+8), naive"


@dataclass(frozen=True)
class TableLayout:
    """Where a table lives in the exchange directory and how it is partitioned.

    ``partitioning`` lists the directory levels in order: a table column
    (``parameter``) or ``year`` / ``month`` derived from ``time_column``.
    """

    name: str
    partitioning: tuple[str, ...] = ()
    time_column: str | None = None
    source: str | None = None  # the store relation (SQL) the rows come from; default the table of that name

    @property
    def relation(self) -> str:
        """The store table or subquery exported under this name."""
        return self.source or _q(self.name)

    @property
    def path(self) -> str:
        return self.name if self.partitioning else f"{self.name}.parquet"

    def derived(self) -> tuple[str, ...]:
        """Partition columns that are not table columns (``year``, ``month``)."""
        return tuple(p for p in self.partitioning if p in ("year", "month"))


# The six AQI pollutants one row per station and hour, as the store keeps them,
# with the station's code in place of its id (column ``site``, first).
AIR_HOURLY = (
    "(SELECT s.code AS site, a.* EXCLUDE (site_id) FROM air_hourly a JOIN sites s ON s.site_id = a.site_id)"
)

LAYOUT: dict[str, TableLayout] = {
    t.name: t
    for t in (
        TableLayout("observations", ("parameter", "year", "month"), "time"),
        TableLayout("air_hourly", ("year", "month"), "time", source=AIR_HOURLY),
        TableLayout("air_published", ("year", "month"), "time"),
        TableLayout("sites"),
        TableLayout("sections"),
        TableLayout("water_samples", ("item", "year"), "time"),
        TableLayout("water_published", ("year",), "time"),
        TableLayout("gauges"),
        TableLayout("flows", ("year",), "date"),
        TableLayout("indicator_values", (), "year"),
    )
}

# store (DuckDB) type -> exchange type name -> Arrow type
_TYPES = {
    "VARCHAR": "string",
    "DOUBLE": "float64",
    "BIGINT": "int64",
    "INTEGER": "int32",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
}
ARROW_TYPES = {
    "string": pa.string(),
    "float64": pa.float64(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}
DERIVED_TYPE = "int32"  # year, month

# characters Hive and Spark escape in partition directory names (besides control characters)
_ESCAPED = set("\"#%'*/:=?\\{[]^")


class ExportError(RuntimeError):
    """An export that cannot be written (or an exchange directory that cannot be read)."""


def escape_partition_value(value: object) -> str:
    """A partition value as a directory name, escaped the way Hive and Spark escape it."""
    text = str(value)
    out = []
    for ch in text:
        if ch in _ESCAPED or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"%{ord(ch):02X}")
        else:
            out.append(ch)
    return "".join(out)


def table_columns(con, table: str) -> list[tuple[str, str, bool]]:
    """``(name, exchange type, nullable)`` of an exchange table's columns in the store, in order."""
    layout = LAYOUT.get(table)
    if layout is not None and layout.source is not None:
        described = con.execute(f"DESCRIBE SELECT * FROM {layout.source}").fetchall()
        rows = [(r[0], r[1], r[2]) for r in described]
    else:
        rows = con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
            [table],
        ).fetchall()
    if not rows:
        raise ExportError(f"the store has no table {table}")
    cols = []
    for col, typ, nullable in rows:
        if typ not in _TYPES:
            raise ExportError(f"store column {table}.{col} has type {typ}, not one of the exchange types")
        cols.append((col, _TYPES[typ], nullable == "YES"))
    return cols


def arrow_schema(columns: list[dict[str, Any]]) -> pa.Schema:
    """The Arrow schema of a manifest table entry's ``columns``."""
    return pa.schema([pa.field(c["name"], ARROW_TYPES[c["type"]], nullable=c["nullable"]) for c in columns])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _respell_partitions(root: Path) -> None:
    """Rename DuckDB's percent-encoded partition directories to the Hive/Spark spelling.

    DuckDB encodes every byte outside a safe set (non-ASCII text too) as
    ``%XX``; Spark decodes ``%XX`` one byte per character, which would garble
    UTF-8. Directories are renamed deepest first.
    """
    dirs = sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
    for d in dirs:
        key, sep, value = d.name.partition("=")
        if not sep:
            continue
        name = f"{key}={escape_partition_value(urllib.parse.unquote(value))}"
        if name != d.name:
            target = d.with_name(name)
            if target.exists():
                raise ExportError(f"two partition values map to the same directory {target}")
            d.rename(target)


def export_parquet(
    store: Store,
    directory: str | os.PathLike[str],
    *,
    tables: list[str] | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the store's tables to ``directory`` in the exchange format; return the manifest.

    Parameters
    ----------
    store
        The DuckDB store to export (read-only is enough).
    directory
        The exchange directory. It must be empty or absent unless
        ``overwrite`` is set, which replaces the tables and manifest there.
    tables
        Tables to write (default: every table of :data:`LAYOUT`).

    The manifest is written last, so a directory with a manifest holds a
    complete export.
    """
    root = Path(directory)
    names = list(LAYOUT) if tables is None else list(tables)
    unknown = [t for t in names if t not in LAYOUT]
    if unknown:
        raise ExportError(f"not exchange tables: {', '.join(unknown)} (known: {', '.join(LAYOUT)})")
    if root.exists() and not root.is_dir():
        raise ExportError(f"{root} exists and is not a directory")
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise ExportError(
                f"{root} is not empty (to replace an earlier export: --overwrite, overwrite=True)"
            )
        (root / MANIFEST).unlink(missing_ok=True)
        for layout in LAYOUT.values():
            target = root / layout.path
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    root.mkdir(parents=True, exist_ok=True)

    con = store.con
    manifest_tables: dict[str, Any] = {}
    for name in names:
        layout = LAYOUT[name]
        cols = table_columns(con, name)
        select = [_q(c) for c, _, _ in cols]
        tcol = layout.time_column
        if "year" in layout.partitioning:
            select.append(f"CAST(year({_q(tcol)}) AS INTEGER) AS year")
        if "month" in layout.partitioning:
            select.append(f"CAST(month({_q(tcol)}) AS INTEGER) AS month")
        query = f"SELECT {', '.join(select)} FROM {layout.relation}"
        target = root / layout.path
        if layout.partitioning:
            target.mkdir(parents=True, exist_ok=True)
            parts = ", ".join(_q(p) for p in layout.partitioning)
            con.execute(
                f"COPY ({query}) TO {_sql_path(target)} (FORMAT parquet, COMPRESSION zstd, "
                f"PARTITION_BY ({parts}), FILENAME_PATTERN 'part-{{i}}', OVERWRITE_OR_IGNORE true)"
            )
            _respell_partitions(target)
            files = sorted(target.rglob("*.parquet"))
        else:
            con.execute(f"COPY ({query}) TO {_sql_path(target)} (FORMAT parquet, COMPRESSION zstd)")
            files = [target]
        rows = int(con.execute(f"SELECT count(*) FROM {layout.relation}").fetchone()[0])
        lo = hi = None
        if tcol is not None:
            lo, hi = con.execute(f"SELECT min({_q(tcol)}), max({_q(tcol)}) FROM {layout.relation}").fetchone()
        manifest_tables[name] = {
            "path": layout.path,
            "partitioning": list(layout.partitioning),
            "rows": rows,
            "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "columns": [{"name": c, "type": t, "nullable": n} for c, t, n in cols],
            "time_column": tcol,
            "time_min": _iso(lo),
            "time_max": _iso(hi),
        }
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "store_schema_version": STORE_SCHEMA_VERSION,
        "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "time_zone": TIME_ZONE,
        "ecoplan_version": _version(),
        "source": str(store.path),
        "tables": manifest_tables,
    }
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(root / MANIFEST)
    return manifest


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ecoplan")
    except Exception:  # not installed (a source checkout on the path)
        return "unknown"


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of an exchange directory, checked for format and version."""
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise ExportError(
            f"{Path(directory)} is not an ecoplan exchange directory (no {MANIFEST}); "
            "write one with `ecoplan export parquet DIR`"
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ExportError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    if str(manifest.get("schema_version")) != SCHEMA_VERSION:
        raise ExportError(
            f"{path}: exchange schema version {manifest.get('schema_version')!r}; "
            f"this ecoplan reads version {SCHEMA_VERSION}"
        )
    return manifest


def read_table(directory: str | os.PathLike[str], table: str) -> pa.Table:
    """Read one exchange table with pyarrow: the exported columns, types and rows (order not kept)."""
    import pyarrow.dataset as ds

    entry = read_manifest(directory)["tables"].get(table)
    if entry is None:
        raise ExportError(f"{directory}: the export holds no table {table}")
    schema = arrow_schema(entry["columns"])
    partitioning = entry["partitioning"]
    target = Path(directory) / entry["path"]
    if not partitioning:
        return ds.dataset(target, format="parquet", schema=schema).to_table()
    if not any(target.rglob("*.parquet")):
        return schema.empty_table()
    part_fields = [
        schema.field(p) if p in schema.names else pa.field(p, ARROW_TYPES[DERIVED_TYPE]) for p in partitioning
    ]
    file_fields = [f for f in schema if f.name not in partitioning]
    dataset = ds.dataset(
        target,
        format="parquet",
        partitioning=ds.partitioning(pa.schema(part_fields), flavor="hive"),
        schema=pa.schema([*file_fields, *part_fields]),
    )
    return dataset.to_table(columns=schema.names).cast(schema)
