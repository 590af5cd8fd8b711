"""Machinery of the reliability tests and benchmarks: store digests, generated feeds, subprocesses.

A *digest* sums a hash of every row of every table of a store (order does
not matter) with the row count:

- :func:`strict_digest` hashes every column as stored: two stores with the
  same strict digest hold the same rows, ingest ids and log times included.
  "Exactly as before" a killed ingest is this digest unchanged.
- :func:`content_digest` leaves out what differs between two runs of the same
  ingest and nothing else: ingest ids are replaced by the file they name
  (``ingest_id``, ``replaced_by``, the ``*_ingest`` cell columns), station ids
  by station codes, and the wall-clock columns (``started_at``,
  ``finished_at``, ``replaced_at``, ``created_at``) are dropped. "Exactly as
  after" is this digest equal to that of a clean run of the same ingest.

The benchmarks (``benchmarks/kill_ingest.py``) import this module too.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx

# columns that record when something ran, not what is stored
CLOCK_COLUMNS = {"started_at", "finished_at", "replaced_at", "created_at"}
CLOCK_TABLES = {"auth_log"}  # every column of auth_log is about a request, "time" included
ID_COLUMNS = re.compile(r"^(ingest_id|replaced_by|.+_ingest)$")
# Derived from the stored hours after an ingest commits, in a transaction of its own
# (ecoplan.air.daily_store): a kill between the two leaves the days marked pending in
# meta, and the queries compute from the hours until the next ingest derives them.
# The digests leave the table and its meta keys out; the data they derive from is in.
DERIVED_TABLES = {"air_daily"}
DERIVED_META_KEYS = ("air_daily_fingerprint", "air_daily_pending")

CLI = [sys.executable, "-c", "from ecoplan.cli import main; main()"]


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY table_name"
        ).fetchall()
        if r[0] not in DERIVED_TABLES
    ]


def _rows(table: str) -> str:
    """The FROM item of a table's digest: meta without the derived table's keys."""
    if table == "meta":
        keys = ", ".join(f"'{k}'" for k in DERIVED_META_KEYS)
        return f"(SELECT * FROM meta WHERE key NOT IN ({keys})) AS meta"
    return _q(table)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main' "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def strict_digest(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) per table, every column included."""
    out = {}
    for t in _tables(con):
        cols = ", ".join(_q(c) for c in _columns(con, t))
        n, h = con.execute(
            f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM {_rows(t)}"
        ).fetchone()
        out[t] = (int(n), int(h))
    return out


def content_digest(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) per table, without ingest ids, station ids and clock times."""
    out = {}
    maps = (
        "WITH _ids AS (SELECT map(list(ingest_id), list(file)) AS m FROM ingest_log), "
        "_sites AS (SELECT map(list(site_id), list(code)) AS m FROM sites) "
    )
    for t in _tables(con):
        if t in CLOCK_TABLES:
            n = con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()[0]
            out[t] = (int(n), 0)
            continue
        exprs = []
        for c in _columns(con, t):
            if c in CLOCK_COLUMNS:
                continue
            if ID_COLUMNS.match(c):
                exprs.append(f"_ids.m[{_q(c)}]")
            elif c == "site_id" and t != "sites":
                exprs.append(f"_sites.m[{_q(c)}]")
            elif c == "message":  # "same content as ingest #12" names an id
                exprs.append(f"regexp_replace({_q(c)}, '#[0-9]+', '#', 'g')")
            else:
                exprs.append(_q(c))
        n, h = con.execute(
            f"{maps}SELECT count(*), coalesce(sum(hash({', '.join(exprs)})::HUGEINT), 0) "
            f"FROM {_rows(t)}, _ids, _sites"
        ).fetchone()
        out[t] = (int(n), int(h))
    return out


@dataclass
class StoreState:
    strict: dict[str, tuple[int, int]]
    content: dict[str, tuple[int, int]]
    check_ok: bool
    check_detail: str
    wal_bytes: int  # size of the write-ahead log left beside the file (0: none)

    def rows(self, table: str) -> int:
        return self.strict.get(table, (0, 0))[0]


def store_state(db: Path) -> StoreState:
    """Open the store (replaying its write-ahead log, as any later command would) and digest it."""
    from ecoplan import maintenance
    from ecoplan.store import Store

    wal = db.with_name(db.name + ".wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    store = Store(db)  # read-write: the next command after a crash opens it so
    try:
        report = maintenance.check(store)
        detail = "; ".join(f"{f.check}: {f.detail}" for f in report.findings if not f.ok)
        return StoreState(strict_digest(store.con), content_digest(store.con), report.ok, detail, wal_bytes)
    finally:
        store.close()


def copy_store(src: Path, dst: Path) -> Path:
    """Copy a (closed, checkpointed) store file; any write-ahead log beside ``dst`` is removed."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for p in (dst, dst.with_name(dst.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dst.with_name(dst.name + ".wal"))
    return dst


# -- a generated hourly feed ------------------------------------------------------------


@dataclass
class Feed:
    """A store holding the first days of a generated feed, and the files of the next ingest.

    ``base`` is a closed store holding the station list and days
    ``[0, base_days)``; ``incoming`` holds days ``[base_days - overlap, days)``,
    of which ``changed`` files in the overlap carry different values (their
    values are replaced, the old ones kept in history), plus one file cut in
    the middle of a line (some values rejected) and one that is not a table at
    all (logged as failed): every kind of write an ingest does.
    """

    root: Path
    base: Path
    stations: Path
    incoming: Path
    files: list[Path] = field(default_factory=list)


def make_feed(root: Path, *, days: int = 40, base_days: int = 10, overlap: int = 4, changed: int = 2) -> Feed:
    from ecoplan.demo import air as demo_air
    from ecoplan.ingest import ingest_files
    from ecoplan.readers import air_reader_for, station_reader
    from ecoplan.store import Store

    root.mkdir(parents=True, exist_ok=True)
    net = demo_air.shanxi_network()
    start = dt.date(2021, 1, 1)
    end = start + dt.timedelta(days=days - 1)
    stations = demo_air.write_station_list(net, root / "stations.csv")
    pool = demo_air.write_daily_files(net, root / "pool", start, end)
    other = demo_air.write_daily_files(
        net, root / "pool-other", start, start + dt.timedelta(days=base_days - 1), seed=7
    )
    base_dir = root / "base-files"
    base_dir.mkdir(exist_ok=True)
    for p in pool[:base_days]:
        shutil.copyfile(p, base_dir / p.name)
    incoming = root / "incoming"
    incoming.mkdir(exist_ok=True)
    first = base_days - overlap
    for p in pool[first:]:
        shutil.copyfile(p, incoming / p.name)
    for p in other[first : first + changed]:
        shutil.copyfile(p, incoming / p.name)  # same day, other values
    # a file cut in the middle of a line (a transfer that stopped)
    cut = pool[-1].read_bytes()
    (incoming / "china_sites_cut.csv").write_bytes(cut[: len(cut) // 2])
    (incoming / "zz-not-a-table.csv").write_bytes("这不是一个表格\x01\x02\n".encode("gb18030"))

    base = root / "base.duckdb"
    with Store(base) as store:
        ingest_files(store, [str(stations)], station_reader, domain="air")
        known = {r[0] for r in store.con.execute("SELECT code FROM sites").fetchall()}
        ingest_files(
            store,
            sorted(str(p) for p in base_dir.iterdir()),
            lambda f, h: air_reader_for(f, h, stations=known),
            domain="air",
        )
        store.con.execute("CHECKPOINT")
    files = sorted(incoming.iterdir())
    return Feed(root, base, stations, incoming, files)


def ingest_command(db: Path, feed: Feed) -> list[str]:
    """The hourly feed's command: every incoming file, stations required to be known."""
    return [*CLI, "--db", str(db), "ingest", "air", str(feed.incoming), "--require-stations"]


def run_cli(args: Sequence[str], *, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=_env())


def _env() -> dict[str, str]:
    # no colour codes, a wide console: messages are read by the tests
    return {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}


@dataclass
class Kill:
    """One SIGKILL: when (seconds after start), and whether the process had already exited."""

    at: float
    exited_first: bool
    returncode: int | None


def timed_run(args: Sequence[str], db: Path, *, timeout: float = 600) -> tuple[float, float, int]:
    """Run ``args`` to the end: (seconds, seconds until the store's write-ahead log appeared, exit code).

    The log appears when the command first writes the store (opening it
    migrates the schema), so the second figure is the start-up time before
    the store is touched.
    """
    wal = db.with_name(db.name + ".wal")
    proc = subprocess.Popen(
        list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), start_new_session=True
    )
    started = time.perf_counter()
    opened = None
    while proc.poll() is None:
        if opened is None and wal.exists():
            opened = time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise TimeoutError(f"{args} ran longer than {timeout} s")
        time.sleep(0.005)
    took = time.perf_counter() - started
    return took, opened if opened is not None else 0.0, proc.returncode


def kill_after(args: Sequence[str], seconds: float) -> Kill:
    """Start ``args`` and SIGKILL it ``seconds`` later (unless it ended first)."""
    proc = subprocess.Popen(
        list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), start_new_session=True
    )
    started = time.perf_counter()
    try:
        proc.wait(timeout=seconds)
        return Kill(time.perf_counter() - started, True, proc.returncode)
    except subprocess.TimeoutExpired:
        pass
    os.killpg(proc.pid, signal.SIGKILL)
    at = time.perf_counter() - started
    proc.wait()
    return Kill(at, False, proc.returncode)


def kill_in_commit(args: Sequence[str], db: Path, delay: float, *, threshold: int = 65536) -> Kill:
    """Start ``args`` and SIGKILL it ``delay`` seconds after its commit began writing.

    The commit is seen as the store's write-ahead log growing past
    ``threshold`` bytes (opening the store writes a few kilobytes); the delay
    then lands the kill in the commit or the checkpoint that follows it. A
    command that ends first is reported as such.
    """
    wal = db.with_name(db.name + ".wal")
    proc = subprocess.Popen(
        list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(), start_new_session=True
    )
    started = time.perf_counter()
    while proc.poll() is None:
        try:
            if wal.stat().st_size > threshold:
                break
        except OSError:
            pass
        time.sleep(0.001)
    else:
        return Kill(time.perf_counter() - started, True, proc.returncode)
    try:
        proc.wait(timeout=delay)
        return Kill(time.perf_counter() - started, True, proc.returncode)
    except subprocess.TimeoutExpired:
        pass
    os.killpg(proc.pid, signal.SIGKILL)
    at = time.perf_counter() - started
    proc.wait()
    return Kill(at, False, proc.returncode)


# -- a server on loopback ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``ecoplan serve`` on a free loopback port in a subprocess (its own process group)."""

    def __init__(self, db: Path, *extra: str, env: dict[str, str] | None = None, log: Path | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log or db.with_suffix(".server.log")
        self.log.write_text("")
        cmd = [
            *CLI,
            "--db",
            str(db),
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *extra,
        ]
        self._cmd, self._env = cmd, {**_env(), **(env or {})}
        self._start()

    def _start(self) -> None:
        self._out = open(self.log, "a")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self._cmd, stdout=self._out, stderr=subprocess.STDOUT, env=self._env, start_new_session=True
        )

    def restart(self) -> None:
        """Start the stopped server again on the same port and wait for it."""
        self.stop()
        self._start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}: {self.output()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"no answer from {self.base} within {timeout} s: {self.output()}")

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._out.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._out.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def upload_files(files: Sequence[Path]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, p.read_bytes(), "text/csv")) for p in files]


def make_token(db: Path, scope: str = "write") -> str:
    from ecoplan.api.auth import create_token
    from ecoplan.store import Store

    with Store(db) as store, store.transaction():
        _, token = create_token(store, f"reliability {scope}", scope)
        return token


# -- the kill loop ------------------------------------------------------------------------


@dataclass
class KillOutcome:
    """What one SIGKILL left: the store as before the ingest, as after it, or neither."""

    kill: Kill
    outcome: str  # before | after | neither
    check_ok: bool
    check_detail: str
    wal_bytes: int
    differs: list[str] = field(default_factory=list)  # tables that match neither state


def classify(state: StoreState, before: StoreState, after: StoreState) -> tuple[str, list[str]]:
    if state.strict == before.strict:
        return "before", []
    if state.content == after.content:
        return "after", []
    differs = sorted(
        t
        for t in set(state.content) | set(after.content)
        if state.content.get(t) != after.content.get(t) and state.strict.get(t) != before.strict.get(t)
    )
    return "neither", differs


def kill_loop(
    command: Callable[[Path], list[str]],
    base: Path,
    work: Path,
    times: Sequence[float],
    before: StoreState,
    after: StoreState,
    *,
    on_outcome: Callable[[int, KillOutcome], None] | None = None,
    duration: float | None = None,
    retries: int = 2,
) -> tuple[list[KillOutcome], Path]:
    """SIGKILL ``command(db)`` after each of ``times`` seconds and classify the store it leaves.

    A store left as before is used for the next kill (a feed crashing again
    and again on the same store); after a complete ingest the next kill starts
    from a fresh copy of ``base``. Returns the outcomes and the store to go
    on with, which is as before the ingest.

    On a shared machine a run's length varies. With ``duration`` (the length
    ``times`` were spread over), a command that ended before its kill is run
    again (up to ``retries`` times) and killed at the same fraction of the
    length it just took, so that kills land where they were meant to.
    """
    outcomes = []
    db = copy_store(base, work / "killed-0.duckdb")
    for i, at in enumerate(times):
        for attempt in range(retries + 1):
            k = kill_after(command(db), at)
            state = store_state(db)
            outcome, differs = classify(state, before, after)
            o = KillOutcome(k, outcome, state.check_ok, state.check_detail, state.wal_bytes, differs)
            outcomes.append(o)
            if on_outcome is not None:
                on_outcome(i, o)
            if outcome != "before":
                db = copy_store(base, work / f"killed-{i + 1}-{attempt}.duckdb")
            if not k.exited_first or duration is None or attempt == retries:
                break
            at = at / duration * k.at  # the same fraction of the run just seen
            duration = k.at
    return outcomes, db


def spread(n: int, lo: float, hi: float, rng) -> list[float]:
    """``n`` times between ``lo`` and ``hi``: one uniformly at random in each of ``n`` equal slices."""
    width = (hi - lo) / n
    return [lo + width * (i + rng.random()) for i in range(n)]
