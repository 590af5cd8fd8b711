"""National-scale surface-water benchmark: 3,600 sections x 6 automatic readings a day for a year.

Generated data (no real values): 3,600 sections in 10 basins (one in ten a
lake or reservoir), readings every four hours with the nine items of the
automatic stations (water temperature, pH, DO, conductivity, turbidity,
CODMn, NH3-N, TP, TN) plus chl-a and SD at lakes. Steps, each timed with
the process's peak memory so far (``resource.getrusage``, which includes
DuckDB's memory) and, with ``--trace-python``, the peak of Python
allocations (``tracemalloc``, which slows Ibis compilation several-fold):

1. read and ingest one day as a wide CSV through ``ingest_files`` and the
   water reader (the file path users take), to give reader throughput;
2. write the whole year month by month through ``Store.upsert`` (the same
   idempotent upsert every reader's rows go through);
3. yearly section classes (GB 3838 single factor) of every section;
4. monthly section classes of every section;
5. attainment (class shares and label) by basin and by province;
6. TLI of the lake and reservoir sections;
7. re-upsert one month unchanged (idempotence at scale).

    python benchmarks/water_year.py                         # the full year
    python benchmarks/water_year.py --sections 300 --days 31  # a quick run
    python benchmarks/water_year.py --days 3652 --db DIR/water10.duckdb   # ten years (2021-2030)

Steps 3-6 assess every year the generated days cover.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ecoplan.ingest import ingest_files
from ecoplan.readers.water import water_reader_for
from ecoplan.readers.water_values import SAMPLE_SCHEMA
from ecoplan.store import Store
from ecoplan.water import queries

# item -> (unit, median, spread of the log) for the generated values
ITEMS = {
    "water_temperature": ("degC", 15.0, 0.5),
    "pH": ("dimensionless", 7.9, 0.04),
    "DO": ("mg/L", 8.0, 0.25),
    "conductivity": ("uS/cm", 700.0, 0.4),
    "turbidity": ("NTU", 20.0, 0.8),
    "CODMn": ("mg/L", 3.5, 0.35),
    "NH3-N": ("mg/L", 0.35, 0.8),
    "TP": ("mg/L", 0.09, 0.6),
    "TN": ("mg/L", 2.5, 0.5),
}
LAKE_ITEMS = {"chla": ("mg/m3", 8.0, 0.7), "SD": ("m", 1.0, 0.4)}
BASINS = [
    "长江流域",
    "黄河流域",
    "珠江流域",
    "松花江流域",
    "淮河流域",
    "海河流域",
    "辽河流域",
    "浙闽片河流",
    "西北诸河",
    "西南诸河",
]
PROVINCES = [f"省{i:02d}" for i in range(31)]


TRACE_PYTHON = False


@contextmanager
def step(name: str, results: list):
    """Time a step; peak RSS of the process so far (getrusage, DuckDB included); Python peak if traced."""
    if TRACE_PYTHON:
        tracemalloc.start()
    t0 = time.perf_counter()
    box: dict = {}
    try:
        yield box
    finally:
        secs = time.perf_counter() - t0
        py_peak = None
        if TRACE_PYTHON:
            py_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
        rows = box.get("rows")
        results.append((name, secs, rss, py_peak, rows))
        extra = f"  rows {rows:,}" if rows is not None else ""
        py = f"  python peak {py_peak:6.0f} MB" if py_peak is not None else ""
        print(f"  {name:<40} {secs:9.2f} s  peak RSS {rss:7.0f} MB{py}{extra}", flush=True)


def section_table(n: int, rng: np.random.Generator) -> pa.Table:
    codes = [f"W{i:05d}" for i in range(n)]
    kinds = np.where(rng.random(n) < 0.1, np.where(rng.random(n) < 0.5, "lake", "reservoir"), "river")
    return pa.table(
        {
            "code": codes,
            "name": [f"断面{i}" for i in range(n)],
            "river": [f"河{i % 400:03d}" for i in range(n)],
            "basin": [BASINS[i % len(BASINS)] for i in range(n)],
            "city": [f"市{i % 330:03d}" for i in range(n)],
            "province": [PROVINCES[i % len(PROVINCES)] for i in range(n)],
            "kind": kinds.tolist(),
            "control_level": ["national" if i % 3 == 0 else "provincial" for i in range(n)],
        }
    )


def month_rows(
    codes: np.ndarray, lake: np.ndarray, start: dt.datetime, days: int, per_day: int, rng: np.random.Generator
) -> pa.Table:
    """All readings of ``days`` days from ``start``: one row per section, time and item."""
    step_h = 24 // per_day
    times = np.array(
        [np.datetime64(start + dt.timedelta(hours=h)) for h in range(0, days * 24, step_h)],
        dtype="datetime64[us]",
    )
    n_s, n_t = len(codes), len(times)
    sec_idx = np.repeat(np.arange(n_s), n_t)
    time_idx = np.tile(np.arange(n_t), n_s)
    # a section-level factor so that sections differ in class
    level = rng.lognormal(0.0, 0.5, n_s)
    parts = []
    items = dict(ITEMS)
    for item, (unit, median, spread) in {**items, **LAKE_ITEMS}.items():
        if item in LAKE_ITEMS:
            keep = lake[sec_idx]
            s_idx, t_idx = sec_idx[keep], time_idx[keep]
        else:
            s_idx, t_idx = sec_idx, time_idx
        n = len(s_idx)
        if item == "pH":
            vals = rng.normal(median, 0.3, n)
        elif item in ("DO", "SD", "water_temperature"):
            vals = median * rng.lognormal(0.0, spread, n)
        else:
            vals = median * level[s_idx] * rng.lognormal(0.0, spread, n)
        parts.append(
            pa.table(
                {
                    "section": pa.array(codes[s_idx]),
                    "time": pa.array(times[t_idx], pa.timestamp("us")),
                    "item": pa.array(np.full(n, item)),
                    "value": pa.array(np.round(vals, 4)),
                    "unit": pa.array(np.full(n, unit)),
                    "below_dl": pa.array(np.zeros(n, dtype=bool)),
                    "detection_limit": pa.nulls(n, pa.float64()),
                    "sample_kind": pa.array(np.full(n, "auto")),
                },
                schema=SAMPLE_SCHEMA,
            )
        )
    return pa.concat_tables(parts)


def one_day_csv(
    path: Path, codes: np.ndarray, day: dt.datetime, per_day: int, rng: np.random.Generator
) -> int:
    """A wide CSV of one day, as a lab or an export would write it (Chinese headers with units)."""
    times = [day + dt.timedelta(hours=h) for h in range(0, 24, 24 // per_day)]
    n = len(codes) * len(times)
    cols = {
        "断面编码": np.repeat(codes, len(times)),
        "监测时间": np.tile([t.strftime("%Y-%m-%d %H:%M") for t in times], len(codes)),
        "水温(℃)": np.round(rng.normal(15, 5, n), 1),
        "pH(无量纲)": np.round(rng.normal(7.9, 0.3, n), 2),
        "溶解氧(mg/L)": np.round(rng.lognormal(np.log(8), 0.25, n), 2),
        "高锰酸盐指数(mg/L)": np.round(rng.lognormal(np.log(3.5), 0.4, n), 2),
        "氨氮(mg/L)": np.round(rng.lognormal(np.log(0.35), 0.8, n), 3),
        "总磷(mg/L)": np.round(rng.lognormal(np.log(0.09), 0.6, n), 3),
        "总氮(mg/L)": np.round(rng.lognormal(np.log(2.5), 0.5, n), 2),
    }
    pacsv.write_csv(pa.table(cols), path)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", type=int, default=3600)
    ap.add_argument("--per-day", type=int, default=6, help="readings a day (6 = every four hours)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--year", type=int, default=2021)
    ap.add_argument("--db", type=Path, default=None, help="store file (default: a temporary one, removed)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--trace-python",
        action="store_true",
        help="also trace Python allocations with tracemalloc (slows the Python-heavy steps several-fold)",
    )
    args = ap.parse_args()
    global TRACE_PYTHON
    TRACE_PYTHON = args.trace_python

    rng = np.random.default_rng(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="water-bench-"))
    db = args.db or tmp / "water.duckdb"
    results: list = []
    print(
        f"water benchmark: {args.sections:,} sections x {args.per_day} readings a day x {args.days} days "
        f"({args.sections * args.per_day * args.days:,} section-times, GENERATED data)",
        flush=True,
    )
    try:
        store = Store(db)
        secs = section_table(args.sections, rng)
        with store.transaction():
            store.upsert("sections", secs, ingest_id=0, source="benchmark")
        codes = np.array(secs.column("code").to_pylist())
        lake = np.isin(np.array(secs.column("kind").to_pylist()), ["lake", "reservoir"])

        csv = tmp / "one-day.csv"
        n_lines = one_day_csv(csv, codes, dt.datetime(args.year - 1, 12, 31), args.per_day, rng)
        with step("1 ingest one day (wide CSV, reader)", results) as box:
            summary = ingest_files(store, [str(csv)], lambda f, h: water_reader_for(f, h), domain="water")
            box["rows"] = summary.total("stored")
        assert summary.outcomes[0].status == "ok", summary.outcomes[0].message
        print(f"     ({n_lines:,} lines, {csv.stat().st_size / 2**20:.1f} MB)")

        start = dt.datetime(args.year, 1, 1)
        end = start + dt.timedelta(days=args.days)
        total = 0
        first_month = None
        generating = 0.0
        with step("2 upsert every month, one at a time", results) as box:
            m = start
            while m < end:
                nxt = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                days = (min(nxt, end) - m).days
                g0 = time.perf_counter()
                rows = month_rows(codes, lake, m, days, args.per_day, rng)
                generating += time.perf_counter() - g0
                if first_month is None:
                    first_month = rows
                with store.transaction():
                    counts = store.upsert("water_samples", rows, ingest_id=1, source="benchmark")
                total += sum(c.stored for c in counts.values())
                m = nxt
            box["rows"] = total
        name, secs_, rss, py, rows_ = results[-1]
        results[-1] = (f"{name} (of which generating {generating:.0f} s)", secs_, rss, py, rows_)
        print(f"     of which generating the data: {generating:.1f} s; upserting {secs_ - generating:.1f} s")
        size = db.stat().st_size / 2**20
        print(f"     store file {size:,.0f} MB")

        b = store.ibis
        years = list(range(start.year, (end - dt.timedelta(days=1)).year + 1))  # every year generated
        with step("3 yearly section classes", results) as box:
            t = queries.execute(b, queries.classify(b, period="year", years=years))
            box["rows"] = t.num_rows
        dist = t.group_by("class").aggregate([("section", "count")]).to_pylist()
        print(f"     classes: {sorted((d['class'] or '-', d['section_count']) for d in dist)}")
        with step("4 monthly section classes", results) as box:
            box["rows"] = queries.execute(b, queries.classify(b, period="month", years=years)).num_rows
        with step("5 attainment by basin and by province", results) as box:
            a = queries.execute(b, queries.attainment(b, by="basin", years=years))
            p = queries.execute(b, queries.attainment(b, by="province", years=years))
            box["rows"] = a.num_rows + p.num_rows
        with step("6 TLI of lakes and reservoirs", results) as box:  # one query a year (trophic takes a year)
            box["rows"] = sum(queries.execute(b, queries.trophic(b, year=y)).num_rows for y in years)
        with step("7 re-upsert one month unchanged", results) as box:
            with store.transaction():
                counts = store.upsert("water_samples", first_month, ingest_id=2, source="benchmark")
            box["rows"] = sum(c.unchanged for c in counts.values())
            assert sum(c.stored for c in counts.values()) == 0
        print(f"     stored values: {store.count('water_samples'):,}")
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n| step | seconds | peak RSS so far (MB) | python peak (MB) | rows |\n|---|---:|---:|---:|---:|")
    for name, secs_, rss, py, rows in results:
        py_text = "" if py is None else f"{py:.0f}"
        print(f"| {name} | {secs_:.1f} | {rss:.0f} | {py_text} | {'' if rows is None else f'{rows:,}'} |")


if __name__ == "__main__":
    sys.exit(main())
