"""National-scale air benchmark: one year of 1,600 stations x 8,760 hours.

Generates the year as the national platform's daily site files (concentration
types only; generated data), then times, each with its CPU time and peak
memory:

1. ingest (read, validate, upsert into the DuckDB store, ingest log, and the
   stations' HJ 663 daily values derived into ``air_daily`` once committed);
2. hourly AQI of every station-hour, written to Parquet;
3. daily AQI of every station-day, written to Parquet;
4. annual statistics by station and by city, written to Parquet

(each file written as ``ecoplan ... --out FILE.parquet`` writes it:
:func:`ecoplan.output.write_query`), and compares the engine with a per-value Python loop on equal work: the AQI of
each station-hour from its six concentrations, the loop on a sample, the engine
on the whole year (returned as Arrow). The full hourly report's rate is set
against the loop too.

    python benchmarks/air_year.py                      # the full national year
    python benchmarks/air_year.py --stations 200 --days 60   # a quick run
    python benchmarks/air_year.py --days 3650 --commit-every 365 --name air_10y   # ten years (252 MB of files a year)

DuckDB's memory is capped at ``--memory-limit`` (default 3GB, through
``ECOPLAN_MEMORY_LIMIT``); beyond it DuckDB spills to disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Run
from ecoplan.air import queries
from ecoplan.air import statistics as st
from ecoplan.demo import air as demo_air
from ecoplan.ingest import ingest_files
from ecoplan.output import write_query
from ecoplan.readers import air_reader_for, station_reader
from ecoplan.standards import aqi_edition_for, aqi_table
from ecoplan.store import MEMORY_LIMIT_ENV, Store

REPEAT = 3  # runs of each side of the loop comparison; the fastest counts

HOURLY_ROWS = {
    "so2": "SO2_1h",
    "no2": "NO2_1h",
    "pm10": "PM10_24h",
    "co": "CO_1h",
    "o3": "O3_1h",
    "pm2_5": "PM2_5_24h",
}


def loop_aqi(rows: list[dict]) -> list[int | None]:
    """The per-value baseline: IAQI and AQI of each row in plain Python."""
    table = aqi_table("2012")
    out = []
    for r in rows:
        best = None
        for col, item in HOURLY_ROWS.items():
            c = r[col]
            if c is None or c != c or c < 0:
                continue
            row = table.row(item)
            if c > row.top:
                v = 200 if item == "SO2_1h" else 500
            else:
                v = None
                for lo, hi, ilo, ihi in row.segments():
                    if c <= hi:
                        v = math.ceil(round((ihi - ilo) / (hi - lo) * (c - lo) + ilo, 6))
                        break
            best = v if best is None else max(best, v)
        out.append(best)
    return out


def loop_sample(path: Path, n: int) -> list[dict]:
    """The first ``n`` station-hours of the hourly report that the 2012 tables govern.

    The loop knows the 2012 tables only. The file is read a batch at a time,
    so a ten-year report is never held in memory whole.
    """
    import pyarrow.parquet as pq

    editions: dict[dt.date, str] = {}
    rows: list[dict] = []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536, columns=["time", *HOURLY_ROWS, "aqi"]):
        for r in batch.to_pylist():
            day = (r.pop("time") - dt.timedelta(hours=1)).date()  # the hour's natural day
            if editions.setdefault(day, aqi_edition_for(day)) == "2012":
                rows.append(r)
                if len(rows) == n:
                    return rows
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=1600)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument(
        "--workdir", type=Path, default=None, help="where files and the store go (default: a temp dir)"
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated files and the store")
    ap.add_argument("--sample", type=int, default=200_000, help="station-hours for the per-value loop")
    ap.add_argument("--name", default="air_year")
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit ('' for DuckDB's default)")
    ap.add_argument(
        "--commit-every",
        type=int,
        default=None,
        help="commit the ingest after each N files (default: one transaction for all)",
    )
    args = ap.parse_args()
    os.environ[MEMORY_LIMIT_ENV] = args.memory_limit

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ecoplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    files_dir, db = work / "files", work / "bench.duckdb"
    start = dt.date(args.year, 1, 1)
    end = start + dt.timedelta(days=args.days - 1)
    years = list(range(start.year, end.year + 1))  # the annual statistics of every year covered
    run = Run(f"air year: {args.stations} stations x {args.days * 24} hours")
    run.facts.update(
        stations=args.stations,
        hours=args.days * 24,
        values=args.stations * args.days * 24 * 6,
        memory_limit=args.memory_limit or "DuckDB default",
        ingest_transactions=math.ceil(args.days / args.commit_every) if args.commit_every else 1,
    )
    print(run.title)

    net = demo_air.synthetic_network(args.stations)
    t0 = time.perf_counter()
    paths = sorted(files_dir.glob("china_sites_*.csv")) if files_dir.exists() else []
    if len(paths) != args.days:
        shutil.rmtree(files_dir, ignore_errors=True)
        paths = demo_air.write_daily_files(net, files_dir, start, end, seed=1)
    stations_csv = demo_air.write_station_list(net, work / "stations.csv")
    run.facts["generate_seconds"] = round(time.perf_counter() - t0, 2)
    run.facts["file_bytes"] = sum(p.stat().st_size for p in paths)
    print(
        f"  generated {len(paths)} files ({run.facts['file_bytes'] / 2**20:.0f} MB) in {run.facts['generate_seconds']} s"
    )

    db.unlink(missing_ok=True)
    store = Store(db)
    ingest_files(store, [str(stations_csv)], station_reader, domain="air")
    with run.step("ingest") as s:
        summary = ingest_files(
            store,
            [str(p) for p in paths],
            lambda f, h: air_reader_for(f, h),
            domain="air",
            commit_every=args.commit_every,
        )
        s.rows = summary.total("stored")
    b = store.ibis
    out = work / "out"
    out.mkdir(exist_ok=True)
    with run.step("hourly AQI -> parquet") as s:
        write_query(b, queries.hourly(b), out / "hourly.parquet")
    with run.step("daily AQI -> parquet") as s:
        write_query(b, queries.daily(b), out / "daily.parquet")
    with run.step("annual by station -> parquet") as s:
        write_query(b, queries.period(b, year=years, by="station"), out / "annual_station.parquet")
    with run.step("annual by city -> parquet") as s:
        write_query(b, queries.period(b, year=years, by="city"), out / "annual_city.parquet")
    total = sum(s.seconds for s in run.steps)
    run.facts["total_seconds"] = round(total, 2)

    import pyarrow.parquet as pq

    hourly_rows = pq.read_metadata(out / "hourly.parquet").num_rows
    run.steps[1].rows = hourly_rows
    sample = loop_sample(out / "hourly.parquet", args.sample)
    # Equal work: the loop turns each station-hour's six concentrations into its
    # AQI; the engine does the same for every station-hour of the store (with
    # the editions in force over the stored hours, as the hourly report chooses
    # them) and hands back (station, time, aqi) as Arrow. The two are timed in
    # turn, REPEAT times each, so that both meet the same machine; the fastest
    # run of each counts, which gives the loop its best case too.
    aqi_only = st.hourly_aqi(queries.series(b), edition=queries.editions(b)).select("sid", "time", "aqi")
    loop_runs, engine_runs = [], []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        got = loop_aqi(sample)
        loop_runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine_rows = b.to_pyarrow(aqi_only).num_rows
        engine_runs.append(time.perf_counter() - t0)
    agree = sum(a == r["aqi"] for a, r in zip(got, sample, strict=True)) / len(sample)
    loop_rate = len(sample) / min(loop_runs)
    engine_rate = engine_rows / min(engine_runs)
    report_rate = hourly_rows / run.steps[1].seconds
    run.facts.update(
        loop_sample_rows=len(sample),
        loop_seconds=[round(x, 3) for x in loop_runs],
        loop_rows_per_second=round(loop_rate),
        engine_aqi_seconds=[round(x, 3) for x in engine_runs],
        engine_aqi_rows_per_second=round(engine_rate),
        speedup_vs_loop=round(engine_rate / loop_rate, 1),
        engine_hourly_report_rows_per_second=round(report_rate),
        report_speedup_vs_loop=round(report_rate / loop_rate, 1),
        loop_agrees_with_engine=agree,
        loop_extrapolated_year_seconds=round(hourly_rows / loop_rate, 1),
    )
    print(
        f"  per-value loop: {len(sample):,} station-hours, best of {REPEAT} {min(loop_runs):.2f} s "
        f"({loop_rate:,.0f}/s); agreement {agree:.4%}\n"
        f"  engine, the same AQI of all {engine_rows:,} station-hours: best of {REPEAT} "
        f"{min(engine_runs):.2f} s ({engine_rate:,.0f}/s): x{engine_rate / loop_rate:.0f} the loop\n"
        f"  engine, the full hourly report (IAQIs, primary pollutant, level, names, sorted, Parquet): "
        f"{report_rate:,.0f}/s: x{report_rate / loop_rate:.0f}"
    )
    print(f"  total (ingest + hourly + daily + annual): {total:.1f} s")
    print(run.table())
    print(f"  results: {run.save(args.name)}")
    store.close()
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
