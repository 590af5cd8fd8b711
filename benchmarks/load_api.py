"""Load test of the API's hot read endpoints on the demo store, over loopback only.

Starts ``ecoplan serve`` on a free 127.0.0.1 port over a store (the demo
store by default; ``--build`` generates it first with ``ecoplan demo``), asks
each endpoint once (the first answer builds the assessment's SQL and fills
the result cache: its time is reported as "first"), then runs ``--clients``
concurrent clients against it for ``--seconds`` per endpoint, and reports
requests per second and the 50th and 99th percentile latency. Bounded in
time; sends traffic to 127.0.0.1 only.

The clients are ``wrk`` (Debian's package ``wrk``: ``--clients`` connections
on two threads, latency percentiles from its own histogram) when it is
installed, else Python clients (asyncio, one httpx connection each), which
cost the machine several times more than wrk and so load the server less
for the same CPU (``--client httpx`` forces them).

Endpoints: ``/api/status`` (the plan's status table), the daily AQI of one
city for one year (``/api/air/daily?by=city&city=太原市&year=Y``), water
attainment by basin for one year, and a mix of the three.

    python benchmarks/load_api.py --build demo-output           # generate the demo, then load it
    python benchmarks/load_api.py --db demo-output/ecoplan.duckdb --seconds 20 --clients 50

The client runs on the same 2-core machine as the server, so the figures
include its own cost. Writes ``benchmarks/results/load_api.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.reliability.harness import CLI, Server  # noqa: E402

from common import RESULTS  # noqa: E402


def endpoints(year: int, city: str) -> dict[str, tuple[str, dict]]:
    return {
        "status": ("/api/status", {}),
        "air daily, one city-year": ("/api/air/daily", {"by": "city", "city": city, "year": year}),
        "water attainment by basin": ("/api/water/attainment", {"by": "basin", "year": year}),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


async def load(base: str, calls: list[tuple[str, dict]], clients: int, seconds: float) -> dict:
    """``clients`` loops asking the calls in turn until ``seconds`` have passed."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(i: int, http: httpx.AsyncClient) -> None:
        n = i
        while time.perf_counter() < deadline:
            path, params = calls[n % len(calls)]
            n += 1
            t0 = time.perf_counter()
            try:
                res = await http.get(path, params=params)
                await res.aread()
                if res.status_code != 200:
                    errors[str(res.status_code)] = errors.get(str(res.status_code), 0) + 1
                    continue
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    took = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {
        "requests": len(ms),
        "errors": errors,
        "seconds": round(took, 1),
        "rps": round(len(ms) / took, 1),
        "p50_ms": round(percentile(ms, 0.50), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
    }


WRK_MIX = """
paths = {%s}
n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def url(path: str, params: dict) -> str:
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * factor, 2)
    raise ValueError(text)


def load_wrk(base: str, calls: list[tuple[str, dict]], clients: int, seconds: float) -> dict:
    """``wrk`` with ``clients`` connections on two threads; the calls in turn when several."""
    cmd = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(clients),
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "60s",
    ]
    script = None
    if len(calls) == 1:
        target = base + url(*calls[0])
    else:
        target = base + "/"
        quoted = ", ".join(json.dumps(url(*c)) for c in calls)
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(WRK_MIX % quoted)
        cmd += ["-s", str(script)]
    try:
        out = subprocess.run([*cmd, target], capture_output=True, text=True, check=True).stdout
    finally:
        if script is not None:
            script.unlink()
    found: dict = {"errors": {}}
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] in ("50%", "99%"):
            found[f"p{parts[0][:-1]}_ms"] = _ms(parts[1])
        elif parts[0] == "Latency" and len(parts) >= 2 and parts[1][0].isdigit():
            found["mean_ms"] = _ms(parts[1])
        elif line.strip().startswith("Requests/sec:"):
            found["rps"] = round(float(parts[1]), 1)
        elif "requests in" in line:
            found["requests"] = int(parts[0])
            found["seconds"] = round(_ms(parts[3].rstrip(",")) / 1000, 1)
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            found["errors"]["non-2xx"] = int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            found["errors"]["socket"] = line.split(":", 1)[1].strip()
    return {k: found.get(k) for k in ("requests", "errors", "seconds", "rps", "p50_ms", "p99_ms", "mean_ms")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=ROOT / "demo-output" / "ecoplan.duckdb")
    ap.add_argument("--build", type=Path, help="run `ecoplan demo --dir BUILD` first and load its store")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15.0, help="per endpoint (and for the mix)")
    ap.add_argument("--year", type=int, help="year asked (default: the last complete year in the store)")
    ap.add_argument("--city", default="太原市")
    ap.add_argument("--client", choices=["wrk", "httpx"], help="default: wrk when installed, else httpx")
    args = ap.parse_args()
    client = args.client or ("wrk" if shutil.which("wrk") else "httpx")
    db = args.db
    if args.build is not None:
        t0 = time.perf_counter()
        subprocess.run([*CLI, "demo", "--dir", str(args.build)], check=True)
        print(f"demo built in {time.perf_counter() - t0:.0f} s")
        db = args.build / "ecoplan.duckdb"
    if not db.exists():
        raise SystemExit(f"no store at {db}: pass --db or --build DIR")
    year = args.year or _last_full_year(db)
    calls = endpoints(year, args.city)
    result: dict = {
        "store": str(db),
        "store_mb": round(db.stat().st_size / 1e6, 1),
        "year": year,
        "clients": args.clients,
        "client": client,
        "seconds_per_run": args.seconds,
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg()[0],
        "runs": {},
    }
    log = Path(tempfile.gettempdir()) / "ecoplan-load-server.log"
    with Server(db, env={"ECOPLAN_API_MAX_LIMIT": "50000"}, log=log) as server:
        server.wait_ready(timeout=300)
        first = {}
        for name, (path, params) in calls.items():
            t0 = time.perf_counter()
            res = httpx.get(server.base + path, params=params, timeout=600)
            first[name] = round((time.perf_counter() - t0) * 1000, 1)
            if res.status_code != 200:
                raise SystemExit(f"{name}: {res.status_code} {res.text[:300]}")
            print(f"{name}: first answer {first[name]} ms, {res.json().get('total')} rows", flush=True)
        result["first_ms"] = first
        for name, call in [*calls.items(), ("mix of the three", None)]:
            chosen = list(calls.values()) if call is None else [call]
            if client == "wrk":
                r = load_wrk(server.base, chosen, args.clients, args.seconds)
            else:
                r = asyncio.run(load(server.base, chosen, args.clients, args.seconds))
            result["runs"][name] = r
            print(
                f"{name:28s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms"
                f"  ({r['requests']} requests, errors {r['errors'] or 'none'})",
                flush=True,
            )
    result["load_average_after"] = os.getloadavg()[0]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "load_api.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written to {out}")


def _last_full_year(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        last = con.execute("SELECT max(time) FROM air_hourly").fetchone()[0]
    finally:
        con.close()
    if last is None:
        raise SystemExit("the store holds no air data")
    return last.year - 1 if (last.month, last.day) != (12, 31) else last.year


if __name__ == "__main__":
    main()
