"""Where the assessments run: the DuckDB store, or Spark over the exchange format.

Every assessment (``air/queries.py``, ``water/queries.py``,
``flow/queries.py``) is an Ibis expression built from a backend holding the
tables ``observations, sites, air_published, sections, water_samples,
water_published, gauges, flows`` (and ``indicator_values``), with the six AQI
pollutants also one row per station-hour in ``air_hourly`` where the data
have it (the store always; an exchange directory written by ecoplan). This
module makes such a backend:

- ``duckdb`` over the store file (the default): :class:`StoreBackend`, read only.
- ``duckdb`` over an exchange directory (``data=DIR``): an in-memory DuckDB
  with a view per table over its Parquet files (:class:`ExchangeDuckDBBackend`);
  mostly to check an export, or to run without a store.
- ``spark`` over an exchange directory: :class:`SparkBackend`, Ibis' PySpark
  backend with a temporary view per table. Spark runs in local mode
  (``local[2]``) unless a master URL is given (``spark://host:7077``,
  ``yarn``, ``k8s://...``); the directory must then be reachable from every
  executor (a shared file system, HDFS, S3), and may be given as a URL.

The exchange format (layout, manifest, types) is described in
:mod:`ecoplan.export` and ``docs/exchange-format.md``.

Spark session
-------------
:func:`spark_session` creates (or reuses) the process' Spark session with
these settings, each overridable through ``config``:

``spark.sql.session.timeZone = UTC``
    Spark keeps zone-aware ``TIMESTAMP`` values as UTC instants and shows
    them in the session zone; with UTC, literals and any zone-aware value
    mean the wall-clock time written. The exchange times are naive China
    Standard Time and are read as ``TIMESTAMP_NTZ`` (the schema comes from
    the manifest and ``spark.sql.parquet.inferTimestampNTZ.enabled`` is on),
    so a label such as 2019-01-01 01:00 comes back as 2019-01-01 01:00
    whatever the zone of the driver, the executors or the session.
``spark.sql.sources.partitionColumnTypeInference.enabled = false``
    Partition values are never guessed (the schema is given).
``spark.sql.constraintPropagation.enabled = false``
    The optimizer's inference of constraints grows with the size of the
    CASE expressions the standards' tables become, and dominated planning:
    the water attainment query spent 80-96 s there with it and 6-11 s
    without. Nothing is lost: filters are still pushed down.
``spark.sql.shuffle.partitions``
    Twice the local threads in local mode (4 for ``local[2]``), where the
    default 200 tasks per shuffle cost more than they save; Spark's default
    on a cluster. Adaptive execution coalesces them further.
``spark.sql.execution.arrow.pyspark.enabled = true``
    Results reach Python through Arrow.
``spark.ui.enabled = false``, ``spark.ui.showConsoleProgress = false``
    No web UI, no progress bars on the terminal.
``spark.driver.memory = 2g`` (local mode)
    The local JVM's heap; Spark spills beyond it.
``spark.driver.host = spark.driver.bindAddress = 127.0.0.1`` (local mode)
    A local run needs no network name.
``spark.sql.ansi.enabled``
    Left at Spark's default (on since Spark 4): an overflow or an invalid
    cast fails instead of giving NULL. The assessments guard their
    divisions, so no result depends on it.
Log level
    ``ERROR``: a log4j2 configuration (written to the temporary directory)
    is passed to the driver JVM and the level is set again once the context
    runs.

After connecting, ``ibis.options.pyspark.treat_nan_as_null`` is set: Spark
counts NaN as a value, and a NaN must never reach a mean or a count
(the exchange holds NULLs only).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .export import DERIVED_TYPE, ExportError, read_manifest
from .store import Store, ibis_duckdb, ibis_options

__all__ = [
    "DEFAULT_MASTER",
    "ENGINES",
    "Backend",
    "EngineError",
    "ExchangeDuckDBBackend",
    "SparkBackend",
    "StoreBackend",
    "open_backend",
    "spark_available",
    "spark_config",
    "spark_session",
]

ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "2g"


class EngineError(RuntimeError):
    """A backend that cannot be opened (missing store, directory, Java or PySpark)."""


class Backend:
    """An Ibis backend holding ecoplan's tables; a context manager that closes it.

    ``ibis`` is the Ibis backend the query modules take; ``engine`` is
    ``"duckdb"`` or ``"spark"``.
    """

    engine: str = ""
    ibis: Any = None

    def table(self, name: str):
        return self.ibis.table(name)

    def close(self) -> None:  # pragma: no cover - overridden
        pass

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class StoreBackend(Backend):
    """The DuckDB store file, opened read only."""

    engine = "duckdb"

    def __init__(self, path: str | os.PathLike[str]):
        path = Path(path)
        if not path.exists():
            raise EngineError(f"no store at {path} (ingest data first, or pass --db)")
        self.store = Store(path, read_only=True)
        self.ibis = self.store.ibis

    def close(self) -> None:
        self.store.close()


def _is_url(data: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", data)) and not data.startswith("file://")


def _local(data: str | os.PathLike[str]) -> Path:
    text = str(data)
    return Path(text[len("file://") :] if text.startswith("file://") else text)


def _join(data: str, *parts: str) -> str:
    return "/".join([data.rstrip("/"), *parts])


class ExchangeDuckDBBackend(Backend):
    """An in-memory DuckDB with one view per exchange table over its Parquet files."""

    engine = "duckdb"

    def __init__(self, data: str | os.PathLike[str]):
        import duckdb

        root = _local(data)
        try:
            self.manifest = read_manifest(root)
        except ExportError as exc:
            raise EngineError(str(exc)) from exc
        self.con = duckdb.connect(":memory:")
        for name, entry in self.manifest["tables"].items():
            self.con.execute(_duckdb_view(name, entry, root))
        self.ibis = ibis_duckdb(self.con)

    def close(self) -> None:
        self.con.close()


_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "float64": "DOUBLE",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _duckdb_view(name: str, entry: dict[str, Any], root: Path) -> str:
    cols = entry["columns"]
    typed = ", ".join(f"CAST({_q(c['name'])} AS {_DUCKDB_TYPES[c['type']]}) AS {_q(c['name'])}" for c in cols)
    target = root / entry["path"]
    parts = entry["partitioning"]
    if parts and not any(target.rglob("*.parquet")):
        empty = ", ".join(f"CAST(NULL AS {_DUCKDB_TYPES[c['type']]}) AS {_q(c['name'])}" for c in cols)
        return f"CREATE VIEW {_q(name)} AS SELECT {empty} WHERE false"
    if parts:
        types = {c["name"]: _DUCKDB_TYPES[c["type"]] for c in cols}
        hive = ", ".join(f"{_lit(p)}: {_lit(types.get(p, 'INTEGER'))}" for p in parts)
        source = (
            f"read_parquet({_lit(str(target / '**' / '*.parquet'))}, hive_partitioning = true, "
            f"hive_types = {{{hive}}})"
        )
    else:
        source = f"read_parquet({_lit(str(target))})"
    return f"CREATE VIEW {_q(name)} AS SELECT {typed} FROM {source}"


# -- Spark ------------------------------------------------------------------------


def spark_available() -> str | None:
    """None when PySpark and Java are present, else the reason Spark cannot run."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'ecoplan[spark]')"
    import shutil

    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and (Path(java_home) / "bin" / "java").exists()) and shutil.which("java") is None:
        return "Java is not installed (Spark needs Java 17; set JAVA_HOME or put java on the PATH)"
    return None


def _local_threads(master: str) -> int | None:
    m = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?", master.strip())
    if not m:
        return None
    n = m.group(1)
    if n is None:
        return 1
    return os.cpu_count() or 1 if n == "*" else int(n)


_LOG4J2 = """\
# ecoplan: Spark logs errors only
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
# at the root's level, so that Spark does not announce a shell log level
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""


def _log4j2_file() -> Path:
    path = Path(tempfile.gettempdir()) / "ecoplan-spark-log4j2.properties"
    if not path.exists() or path.read_text() != _LOG4J2:
        path.write_text(_LOG4J2)
    return path


def spark_config(master: str | None = None, config: Mapping[str, str] | None = None) -> dict[str, str]:
    """The session settings :func:`spark_session` uses (see the module docstring)."""
    master = master or DEFAULT_MASTER
    conf = {
        "spark.master": master,
        "spark.app.name": "ecoplan",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.sql.constraintPropagation.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{_log4j2_file()}",
    }
    threads = _local_threads(master)
    if threads is not None:
        conf |= {
            "spark.sql.shuffle.partitions": str(max(2 * threads, 2)),
            "spark.driver.memory": DEFAULT_DRIVER_MEMORY,
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
        }
    for key, value in (config or {}).items():
        if key == "spark.driver.extraJavaOptions":  # added to ours (the log configuration)
            value = f"{conf[key]} {value}"
        conf[key] = value
    return conf


def spark_session(master: str | None = None, config: Mapping[str, str] | None = None):
    """The process' Spark session, created with :func:`spark_config` on first use.

    A session that already runs is reused as it is (Spark allows one context
    per process); its SQL settings are brought in line with ours.
    """
    reason = spark_available()
    if reason:
        raise EngineError(reason)
    from pyspark.sql import SparkSession

    conf = spark_config(master, config)
    active = SparkSession.getActiveSession()
    if active is not None:
        for key, value in conf.items():
            if key.startswith("spark.sql."):
                active.conf.set(key, value)
        return active
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_type(name: str):
    from pyspark.sql import types as T

    return {
        "string": T.StringType(),
        "float64": T.DoubleType(),
        "int64": T.LongType(),
        "int32": T.IntegerType(),
        "boolean": T.BooleanType(),
        "timestamp": T.TimestampNTZType(),
        "date": T.DateType(),
    }[name]


def _spark_manifest(session, data: str) -> dict[str, Any]:
    """The manifest of an exchange directory given as a URL (read through Spark's file systems)."""
    from .export import FORMAT, MANIFEST, SCHEMA_VERSION

    url = _join(data, MANIFEST)
    try:
        text = session.read.text(url, wholetext=True).first()[0]
    except Exception as exc:
        raise EngineError(f"cannot read {url}: {exc}") from exc
    manifest = json.loads(text)
    if manifest.get("format") != FORMAT or str(manifest.get("schema_version")) != SCHEMA_VERSION:
        raise EngineError(f"{url}: not an ecoplan exchange of schema version {SCHEMA_VERSION}")
    return manifest


class SparkBackend(Backend):
    """Ibis' PySpark backend over an exchange directory, one temporary view per table.

    Each backend works in its own Spark session (``newSession()``: the same
    Spark context, separate views and SQL settings), so several exchange
    directories can be open at once.
    """

    engine = "spark"

    def __init__(
        self,
        data: str | os.PathLike[str],
        *,
        master: str | None = None,
        session=None,
        config: Mapping[str, str] | None = None,
    ):
        import ibis

        base = session if session is not None else spark_session(master, config)
        self.session = base.newSession()
        text = str(data)
        if _is_url(text):
            self.manifest = _spark_manifest(self.session, text)
            location = text.rstrip("/")
        else:
            root = _local(text).resolve()
            try:
                self.manifest = read_manifest(root)
            except ExportError as exc:
                raise EngineError(str(exc)) from exc
            location = root.as_uri()
        self.views = []
        for name, entry in self.manifest["tables"].items():
            self._register(name, entry, location)
        ibis_options()
        self.ibis = ibis.pyspark.connect(self.session)
        ibis.options.pyspark.treat_nan_as_null = True

    def _register(self, name: str, entry: dict[str, Any], location: str) -> None:
        from pyspark.sql import types as T

        cols = entry["columns"]
        parts = entry["partitioning"]
        path = _join(location, entry["path"])
        fields = [
            T.StructField(c["name"], _spark_type(c["type"]), True) for c in cols if c["name"] not in parts
        ]
        types = {c["name"]: c["type"] for c in cols}
        fields += [T.StructField(p, _spark_type(types.get(p, DERIVED_TYPE)), True) for p in parts]
        schema = T.StructType(fields)
        if parts and entry.get("rows", 1) == 0:
            df = self.session.createDataFrame([], schema)
        elif parts:
            df = self.session.read.schema(schema).option("basePath", path).parquet(path)
        else:
            df = self.session.read.schema(schema).parquet(path)
        df.select(*[c["name"] for c in cols]).createOrReplaceTempView(name)
        self.views.append(name)

    def close(self) -> None:
        for name in self.views:
            self.session.catalog.dropTempView(name)
        self.views = []


def open_backend(
    engine: str = "duckdb",
    *,
    db: str | os.PathLike[str] | None = None,
    data: str | os.PathLike[str] | None = None,
    master: str | None = None,
    session=None,
    config: Mapping[str, str] | None = None,
) -> Backend:
    """A backend holding ecoplan's tables, for the query modules.

    Parameters
    ----------
    engine
        ``"duckdb"`` (default) or ``"spark"``.
    db
        The DuckDB store (``duckdb`` without ``data``; default as :class:`ecoplan.store.Store`).
    data
        An exchange directory (:mod:`ecoplan.export`): required for Spark,
        optional for DuckDB (then the store is not used).
    master
        Spark master URL; default ``local[2]``.
    session, config
        An existing Spark session to use, or settings added to :func:`spark_config`.
    """
    if engine not in ENGINES:
        raise EngineError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "duckdb":
        if data is not None:
            return ExchangeDuckDBBackend(data)
        from .store import default_db_path

        return StoreBackend(db if db is not None else default_db_path())
    if data is None:
        raise EngineError(
            "the Spark engine reads an exchange directory: pass --data DIR "
            "(write one from the store with `ecoplan export parquet DIR`)"
        )
    return SparkBackend(data, master=master, session=session, config=config)
