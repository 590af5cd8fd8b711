"""National-scale assessments on Spark local: the exchange format at 1,600 stations x 8,760 hours.

The data (generated, no real values) are written straight into the exchange
format (``ecoplan.export``, ``docs/exchange-format.md``), as a national
archive would hand them to Spark:

- air: ``ecoplan.demo.air.synthetic_network`` and ``generate_days`` (the
  generator behind ``write_daily_files``, same seeds, so the values are those
  of ``benchmarks/air_year.py``'s files), observations partitioned by
  parameter/year/month and the same values one row per station-hour
  (``air_hourly``, by year/month), as ecoplan's export writes them;
  ``--long-only`` leaves the wide table out, and the assessments then
  pivot the long rows (what an exchange written by another tool may need);
- water (``--water-sections``, default 3,600): the national water year of
  ``benchmarks/water_year.py`` (its ``section_table`` and ``month_rows``),
  samples partitioned by item/year.

The station and section lists and the manifest come from a real export of a
store holding only those lists; the bulk tables are then written beside them
and entered in the manifest. With ``--store PATH`` an existing store (for
instance one kept by ``benchmarks/air_year.py --keep --workdir DIR``) is
exported instead, and the export is timed.

Then, on Spark in local mode (``local[2]`` by default, the session settings
of ``ecoplan.engine``), each step timed with the peak resident memory of
this process and the Spark JVM it starts (sampled every 20 ms):

1. Spark session start and the views over the exchange directory;
2. hourly AQI of every station-hour -> Parquet (written by Spark);
3. daily AQI of every station-day -> Parquet;
4. annual statistics by station -> Parquet; by city -> Parquet;
5. yearly water classification of every section -> Parquet; attainment by basin.

    python benchmarks/spark_air.py                              # the national year
    python benchmarks/spark_air.py --stations 200 --days 31 --water-sections 300   # a quick run
    python benchmarks/spark_air.py --store DIR/bench.duckdb     # export a store, then the same
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import Run
from ecoplan.air import queries as air_queries
from ecoplan.demo import air as demo_air
from ecoplan.engine import open_backend, spark_session
from ecoplan.export import LAYOUT, MANIFEST, export_parquet, read_manifest
from ecoplan.ingest import ingest_files
from ecoplan.readers import station_reader
from ecoplan.readers.base import AIR_UNITS
from ecoplan.store import AIR_COLUMNS, Store
from ecoplan.water import queries as water_queries

SOURCE = "generated"


def _statm_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def tree_rss() -> int:
    """Resident memory of this process and its descendants (the Spark JVM), Linux only."""
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += _statm_rss(pid)
        todo += _children(pid)
    return total


# Run.step samples ``common.rss_bytes``: count the Spark JVM (a child process) too
common.rss_bytes = tree_rss


def _columns(manifest: dict, table: str) -> list[dict]:
    entry = manifest["tables"][table]
    return [c for c in entry["columns"] if c["name"] not in entry["partitioning"]]


def _finish_entry(root: Path, manifest: dict, table: str, rows: int, lo, hi) -> None:
    entry = manifest["tables"][table]
    files = sorted((root / entry["path"]).rglob("*.parquet"))
    entry.update(
        rows=rows,
        files=len(files),
        bytes=sum(f.stat().st_size for f in files),
        time_min=lo.isoformat() if lo is not None else None,
        time_max=hi.isoformat() if hi is not None else None,
    )


def _arrow(cols: list[dict], values: dict[str, pa.Array], n: int) -> pa.Table:
    """A table with the exchange columns ``cols``: given arrays, NULL for the others."""
    from ecoplan.export import ARROW_TYPES

    return pa.table({c["name"]: values.get(c["name"], pa.nulls(n, ARROW_TYPES[c["type"]])) for c in cols})


def write_air(root: Path, manifest: dict, net, start: dt.date, end: dt.date, *, wide: bool = True) -> int:
    """Observations of the generated network, one file per parameter and month.

    With ``wide`` the same values also go to ``air_hourly`` (one row per
    station-hour, a file per month), as ecoplan's export writes them;
    without it the exchange holds the long rows only, as another tool may
    write it, and the assessments pivot them.
    """
    cols = _columns(manifest, "observations")
    wide_cols = _columns(manifest, "air_hourly")
    codes = np.array(net.codes, dtype=object)
    pending: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    pending_wide: list[pa.Table] = []
    rows = wide_rows = 0
    lo = hi = None
    current = None

    def flush(month: tuple[int, int]) -> None:
        nonlocal rows, wide_rows
        if pending_wide:
            d = root / "air_hourly" / f"year={month[0]}" / f"month={month[1]}"
            d.mkdir(parents=True, exist_ok=True)
            table = pa.concat_tables(pending_wide)
            pq.write_table(table, d / f"part-{len(list(d.iterdir()))}.parquet", compression="zstd")
            wide_rows += table.num_rows
            pending_wide.clear()
        for p, parts in pending.items():
            site = np.concatenate([a for a, _, _ in parts])
            time_ = np.concatenate([b for _, b, _ in parts])
            value = np.concatenate([c for _, _, c in parts])
            n = len(value)
            table = _arrow(
                cols,
                {
                    "site": pa.array(codes[site], pa.string()),
                    "time": pa.array(time_, pa.timestamp("us")),
                    "value": pa.array(value, pa.float64()),
                    "unit": pa.array(np.full(n, AIR_UNITS.get(p, "ug/m3"), dtype=object), pa.string()),
                    "source": pa.array(np.full(n, SOURCE, dtype=object), pa.string()),
                },
                n,
            )
            d = root / "observations" / f"parameter={p}" / f"year={month[0]}" / f"month={month[1]}"
            d.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, d / f"part-{len(list(d.iterdir()))}.parquet", compression="zstd")
            rows += n
        pending.clear()

    for day, values in demo_air.generate_days(net, start, end, seed=20201231):
        base = np.datetime64(day, "us")
        for h in range(24):
            label = base + np.timedelta64(h, "h")
            # hour 0 of the file belongs to the month of its label (the exchange partitions by label)
            month = (int(str(label)[:4]), int(str(label)[5:7]))
            if current is not None and month != current:
                flush(current)
            current = month
            for p, v in values.items():
                ok = ~np.isnan(v[h])
                idx = np.nonzero(ok)[0]
                pending.setdefault(p, []).append(
                    (idx, np.full(len(idx), label, dtype="datetime64[us]"), v[h][ok].astype(float))
                )
            if wide:
                present = np.nonzero(np.any([~np.isnan(v[h]) for v in values.values()], axis=0))[0]
                n = len(present)
                cells = {}
                for p, v in values.items():
                    x = v[h][present].astype(float)
                    cells[AIR_COLUMNS[p]] = pa.array(x, pa.float64(), mask=np.isnan(x))
                cells["site"] = pa.array(codes[present], pa.string())
                cells["time"] = pa.array(np.full(n, label, dtype="datetime64[us]"), pa.timestamp("us"))
                pending_wide.append(_arrow(wide_cols, cells, n))
            lo = label if lo is None else lo
            hi = label
    if current is not None:
        flush(current)
    _finish_entry(root, manifest, "observations", rows, _py(lo), _py(hi))
    if wide:
        _finish_entry(root, manifest, "air_hourly", wide_rows, _py(lo), _py(hi))
    else:
        del manifest["tables"]["air_hourly"]
        shutil.rmtree(root / "air_hourly", ignore_errors=True)
    return rows


def _py(t):
    return None if t is None else t.astype("datetime64[us]").astype(dt.datetime)


def write_water(root: Path, manifest: dict, sections: pa.Table, year: int, per_day: int, seed: int) -> int:
    """The national water year of ``water_year.py``, partitioned by item and year (a file per month)."""
    from water_year import month_rows

    cols = _columns(manifest, "water_samples")
    rng = np.random.default_rng(seed)
    codes = np.array(sections.column("code").to_pylist(), dtype=object)
    lake = np.isin(np.array(sections.column("kind").to_pylist(), dtype=object), ["lake", "reservoir"])
    rows = 0
    for m in range(1, 13):
        first = dt.datetime(year, m, 1)
        days = ((dt.datetime(year + (m == 12), m % 12 + 1, 1)) - first).days
        t = month_rows(codes, lake, first, days, per_day, rng)
        n = t.num_rows
        values = {name: t.column(name) for name in t.column_names}
        values["source"] = pa.array(np.full(n, SOURCE, dtype=object), pa.string())
        table = _arrow([*cols, {"name": "item", "type": "string"}], values, n)
        for item in np.unique(t.column("item").to_numpy(zero_copy_only=False)):
            part = table.filter(pc.equal(table.column("item"), item)).drop(["item"])
            d = root / "water_samples" / f"item={item}" / f"year={year}"
            d.mkdir(parents=True, exist_ok=True)
            pq.write_table(part, d / f"part-{m}.parquet", compression="zstd")
        rows += n
    lo = dt.datetime(year, 1, 1)
    hi = dt.datetime(year, 12, 31, 24 - 24 // per_day)
    _finish_entry(root, manifest, "water_samples", rows, lo, hi)
    return rows


def build_exchange(args, work: Path, run: Run) -> Path:
    root = work / "exchange"
    shutil.rmtree(root, ignore_errors=True)
    if args.store is not None:
        with run.step("export store -> exchange") as s, Store(args.store, read_only=True) as store:
            tables = [t for t in LAYOUT if not (args.long_only and t == "air_hourly")]
            manifest = export_parquet(store, root, tables=tables)
            s.rows = manifest["tables"]["observations"]["rows"]
        return root
    net = demo_air.synthetic_network(args.stations)
    start = dt.date(args.year, 1, 1)
    end = start + dt.timedelta(days=args.days - 1)
    sections = None
    with Store(":memory:") as store:
        ingest_files(
            store,
            [str(demo_air.write_station_list(net, work / "stations.csv"))],
            station_reader,
            domain="air",
        )
        if args.water_sections:
            from water_year import section_table

            sections = section_table(args.water_sections, np.random.default_rng(args.seed))
            with store.transaction():
                store.upsert("sections", sections, ingest_id=0, source=SOURCE)
        export_parquet(store, root)
    manifest = read_manifest(root)
    t0 = time.perf_counter()
    n_air = write_air(root, manifest, net, start, end, wide=not args.long_only)
    run.facts["generate_air_seconds"] = round(time.perf_counter() - t0, 1)
    print(f"  generated {n_air:,} air values in {run.facts['generate_air_seconds']} s")
    if sections is not None:
        t0 = time.perf_counter()
        n_water = write_water(root, manifest, sections, args.water_year, args.per_day, args.seed)
        run.facts["generate_water_seconds"] = round(time.perf_counter() - t0, 1)
        run.facts["water_values"] = n_water
        print(f"  generated {n_water:,} water values in {run.facts['generate_water_seconds']} s")
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return root


def air_time_range(manifest: dict) -> tuple[dt.datetime, dt.datetime]:
    """The first and last hour labels of an exchange's air observations (from its manifest)."""
    obs = manifest["tables"]["observations"]
    return dt.datetime.fromisoformat(obs["time_min"]), dt.datetime.fromisoformat(obs["time_max"])


def exchange_extent(manifest: dict) -> dict:
    """Stations and hours of an exchange's air data (from its manifest)."""
    lo, hi = air_time_range(manifest)
    return {"stations": manifest["tables"]["sites"]["rows"], "hours": (hi - lo) // dt.timedelta(hours=1) + 1}


def _rows(path: Path) -> int:
    return sum(pq.read_metadata(f).num_rows for f in path.rglob("*.parquet"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=1600)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--water-sections", type=int, default=3600, help="0: no water")
    ap.add_argument("--water-year", type=int, default=2021)
    ap.add_argument("--per-day", type=int, default=6, help="water readings a day")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", type=Path, default=None, help="export this store instead of generating")
    ap.add_argument(
        "--long-only",
        action="store_true",
        help="air as long observations only, no wide air_hourly (the assessments pivot them)",
    )
    ap.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    ap.add_argument("--driver-memory", default=None, help="Spark driver memory (default: ecoplan's 2g)")
    ap.add_argument("--workdir", type=Path, default=None, help="where data and results go (default: temp)")
    ap.add_argument("--keep", action="store_true", help="keep the exchange directory and the results")
    ap.add_argument("--name", default="spark_air")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ecoplan-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    title = (
        f"Spark {args.master}: air {args.stations} stations x {args.days * 24} hours"
        + (f", water {args.water_sections} sections x {args.per_day}/day" if args.water_sections else "")
        if args.store is None
        else f"Spark {args.master}: export of {args.store}"
    )
    run = Run(title)
    run.facts.update(
        stations=args.stations, hours=args.days * 24, master=args.master, air_hourly=not args.long_only
    )
    print(run.title)
    root = build_exchange(args, work, run)
    manifest = read_manifest(root)
    run.facts["exchange_bytes"] = sum(t["bytes"] for t in manifest["tables"].values())
    run.facts["air_values"] = manifest["tables"]["observations"]["rows"]
    if args.store is not None:  # the exported store's extent, not the generator's arguments
        run.facts.update(exchange_extent(manifest))
    print(f"  exchange: {run.facts['exchange_bytes'] / 2**20:,.0f} MB at {root}")

    config = {"spark.driver.memory": args.driver_memory} if args.driver_memory else None
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    with run.step("Spark start + views") as s:
        session = spark_session(args.master, config)
        backend = open_backend("spark", data=root, session=session)
    run.facts["spark_config"] = {
        k: session.conf.get(k)
        for k in ("spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled", "spark.driver.memory")
    }
    b = backend.ibis
    # annual statistics of every year of the data, as air_year.py computes them: from the year of
    # the first file (whose 00:00 hour closes the day before) to the natural day of the last hour
    first, last = air_time_range(manifest)
    years = list(range(first.year, (last - dt.timedelta(hours=1)).year + 1))
    run.facts["years"] = years
    steps = [
        ("hourly AQI -> parquet", "hourly", lambda: air_queries.hourly(b)),
        ("daily AQI -> parquet", "daily", lambda: air_queries.daily(b)),
        (
            "annual by station -> parquet",
            "annual_station",
            lambda: air_queries.period(b, year=years, by="station"),
        ),
        ("annual by city -> parquet", "annual_city", lambda: air_queries.period(b, year=years, by="city")),
    ]
    if manifest["tables"]["water_samples"]["rows"]:
        wy = args.water_year
        steps += [
            ("water classes (year) -> parquet", "water_classes", lambda: water_queries.classify(b, year=wy)),
            ("attainment by basin -> parquet", "attainment", lambda: water_queries.attainment(b, year=wy)),
        ]
    for label, name, build in steps:
        with run.step(label) as s:
            b.to_parquet(build(), out / name)
        s.rows = _rows(out / name)
        print(f"    {s.rows:,} rows")
    total = sum(s.seconds for s in run.steps if s.name != "Spark start + views")
    run.facts["total_assessment_seconds"] = round(total, 1)
    print(run.table())
    print(f"  results: {run.save(args.name)}")
    session.stop()
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
