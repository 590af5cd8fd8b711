"""Ingest files into the store: one transaction per file, nothing lost.

For each file: read its bytes and checksum, let the reader turn it into
canonical tables and rejected cells, then in one transaction upsert every
table, store the rejects and write the ingest log entry. A file the reader
cannot read at all is logged as ``failed`` with the reason and stores nothing.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .air import daily_store
from .readers.base import ReadError, ReadResult, checksum, read_bytes
from .store import LOGICAL, TABLES, Store, UpsertCounts, now

# readers' tables whose rows become station-hours of air_hourly (long rows: the six pollutants)
_AIR_HOURS = ("observations", "air_hourly")
# Tables are written parents first so that metadata precedes the values.
WRITE_ORDER = (
    "sites",
    "sections",
    "gauges",
    "observations",
    "air_hourly",
    "air_published",
    "water_samples",
    "water_published",
    "flows",
    "indicator_values",
)


class Reader(Protocol):
    def __call__(self, path: str, data: bytes) -> ReadResult: ...


@dataclass
class FileOutcome:
    """What happened to one file."""

    file: str
    status: str  # ok | partial | failed
    ingest_id: int | None = None
    reader: str = ""
    rows_read: int = 0
    values_read: int = 0
    stored: int = 0
    replaced: int = 0
    unchanged: int = 0
    rejected: int = 0
    message: str = ""
    same_as: int | None = None  # ingest id of an earlier file with the same checksum
    tables: dict[str, UpsertCounts] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "ingest_id": self.ingest_id,
            "reader": self.reader,
            "rows_read": self.rows_read,
            "stored": self.stored,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "message": self.message,
        }


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def files_read(self) -> int:
        return sum(o.status != "failed" for o in self.outcomes)

    @property
    def nothing_read(self) -> bool:
        return self.files_read == 0

    def total(self, attr: str) -> int:
        return sum(getattr(o, attr) for o in self.outcomes)


ProgressFn = Callable[[int, str], None]


def ingest_file(store: Store, path: str | os.PathLike[str], reader: Reader, *, domain: str) -> FileOutcome:
    """Read and store one file in one transaction."""
    return ingest_files(store, [path], lambda _f, _h: reader, domain=domain).outcomes[0]


@dataclass
class _Pending:
    result: ReadResult
    digest: str
    size: int
    started: Any


def ingest_files(
    store: Store,
    paths: Sequence[str | os.PathLike[str]],
    reader_for: Callable[[str, bytes], Reader],
    *,
    domain: str,
    progress: ProgressFn | None = None,
    batch_values: int = 4_000_000,
    workers: int = 2,
    labels: Mapping[str, str] | None = None,
    commit_every: int | None = None,
) -> IngestSummary:
    """Ingest many files in one transaction (or one per ``commit_every`` files).

    The store ends either as before the call or with every readable file
    stored: a killed process or a database error rolls everything back, and
    running the same call again completes it. A file its reader cannot read
    is logged as ``failed`` and stores nothing; the others go on.

    DuckDB holds the rows of an open transaction in memory, so one
    transaction over a very large archive (ten national years: 825 M values)
    needs memory in proportion. ``commit_every=N`` commits after each group
    of N files instead: each group is atomic, a killed run leaves the groups
    already committed, and running the same call again stores the rest (the
    files already stored are found unchanged).

    ``reader_for(path, head)`` picks the reader of a file from its name and
    first bytes. ``progress(n_bytes, file)`` is called after each file. Files
    are written in batches of about ``batch_values`` values; files whose time
    ranges overlap are never in the same batch, so a later file replaces an
    earlier one's values as if written one by one. Files are read by
    ``workers`` threads ahead of the writer; results are written in order.
    ``labels`` maps paths to the names under which a file that cannot be read
    is logged (an upload's temporary file is logged under its upload name,
    inside the same transaction); readers name the files they read themselves.
    """
    if commit_every is not None and commit_every < 1:
        raise ValueError("commit_every must be at least 1")
    files = list(paths)
    step = commit_every or max(len(files), 1)
    summary = IngestSummary()
    for first in range(0, len(files), step):
        _ingest_group(
            store,
            files[first : first + step],
            reader_for,
            summary,
            domain,
            progress,
            batch_values,
            workers,
            labels,
        )
    return summary


def _ingest_group(
    store: Store,
    paths: Sequence[str | os.PathLike[str]],
    reader_for: Callable[[str, bytes], Reader],
    summary: IngestSummary,
    domain: str,
    progress: ProgressFn | None,
    batch_values: int,
    workers: int,
    labels: Mapping[str, str] | None,
) -> None:
    """Ingest ``paths`` in one transaction, adding their outcomes to ``summary``."""
    with store.transaction():
        batch: list[_Pending] = []
        pending_values = 0
        air_spans: list[tuple[Any, Any]] = []  # the times of the air hours written
        for file, read in _read_ahead(paths, reader_for, workers=workers):
            if isinstance(read, _Failure):
                summary.outcomes.append(
                    _failed(
                        store,
                        file,
                        domain,
                        read.reader,
                        read.digest,
                        read.size,
                        read.started,
                        read.error,
                        logged_as=(labels or {}).get(file, file),
                    )
                )
                size = read.size
            else:
                result = read.result
                if batch and (pending_values >= batch_values or _overlaps(batch, result)):
                    summary.outcomes.extend(_flush(store, batch, air_spans))
                    batch, pending_values = [], 0
                batch.append(read)
                pending_values += sum(t.num_rows for t in result.tables.values())
                size = read.size
            if progress is not None:
                progress(size or _size(file), file)
        summary.outcomes.extend(_flush(store, batch, air_spans))
        if air_spans:
            daily_store.mark_stale(store, air_spans)
    if air_spans or daily_store.pending(store.con):  # stations' daily values, from the hours committed
        daily_store.refresh(store)


@dataclass
class _Failure:
    error: ReadError
    reader: str
    digest: str | None
    size: int
    started: Any


def _read_one(file: str, reader_for: Callable[[str, bytes], Reader]) -> _Pending | _Failure:
    """Read one file (in a worker thread): bytes, checksum and the reader's result."""
    started = now()
    digest, size, name = None, 0, ""
    try:
        reader = reader_for(file, _head(file))
        name = getattr(reader, "name", "")
        data = read_bytes(file)
        digest, size = checksum(data), len(data)
        return _Pending(reader(file, data), digest, size, started)
    except ReadError as exc:
        return _Failure(exc, name, digest, size, started)
    except Exception as exc:  # a reader's bug must not stop the other files of the feed
        error = ReadError(
            file, f"the reader failed on this file ({type(exc).__name__}: {exc}); please report it"
        )
        return _Failure(error, name, digest, size, started)


def _read_ahead(
    paths: Sequence[str | os.PathLike[str]], reader_for: Callable[[str, bytes], Reader], *, workers: int
) -> Iterator[tuple[str, _Pending | _Failure]]:
    """Read files in worker threads, a few ahead of the writer, yielding in the given order."""
    files = [str(p) for p in paths]
    if workers <= 1 or len(files) <= 1:
        for f in files:
            yield f, _read_one(f, reader_for)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        it = iter(files)
        for f in it:
            pending.append((f, pool.submit(_read_one, f, reader_for)))
            if len(pending) >= workers * 2:
                break
        while pending:
            f, fut = pending.popleft()
            nxt = next(it, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(_read_one, nxt, reader_for)))
            yield f, fut.result()


def _overlaps(batch: list[_Pending], result: ReadResult) -> bool:
    """True when ``result`` may share keys with a file of ``batch``."""
    if result.time_range is None:
        return True
    lo, hi = result.time_range
    for p in batch:
        if p.result.time_range is None:
            return True
        plo, phi = p.result.time_range
        if lo <= phi and plo <= hi:
            return True
    return False


def _flush(store: Store, batch: list[_Pending], air_spans: list[tuple[Any, Any]]) -> list[FileOutcome]:
    """Write a batch of read files (inside the caller's transaction).

    Adds to ``air_spans`` the time range of the air hours it stored or replaced.
    """
    if not batch:
        return []
    ids = store.next_ingest_ids(len(batch))
    digests = sorted({p.digest for p in batch})
    earlier = dict(
        store.con.execute(
            "SELECT checksum, min(ingest_id) FROM ingest_log WHERE status <> 'failed' "
            "AND checksum IN (SELECT unnest(?)) GROUP BY checksum",
            [digests],
        ).fetchall()
    )
    outcomes = [
        FileOutcome(
            file=p.result.file,
            status="ok",
            ingest_id=iid,
            reader=p.result.reader,
            rows_read=p.result.rows_read,
            values_read=p.result.values_read,
            same_as=earlier.get(p.digest),
        )
        for p, iid in zip(batch, ids, strict=True)
    ]
    sources = [p.result.file for p in batch]
    names = {n for p in batch for n in p.result.tables}
    unknown = names - set(WRITE_ORDER)
    if unknown:
        raise KeyError(f"reader produced unknown tables: {', '.join(sorted(unknown))}")
    for name in WRITE_ORDER:
        parts = []
        for i, p in enumerate(batch):
            t = p.result.tables.get(name)
            if t is not None and t.num_rows:
                parts.append(t.append_column("_file", pa.array(np.full(t.num_rows, i, dtype=np.int32))))
        if not parts:
            continue
        rows = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
        stored_as = LOGICAL[name]["table"] if name in LOGICAL else name
        if TABLES[stored_as].get("coalesce") and len(parts) > 1:
            rows = _last_per_key(rows, [k for k in rows.column_names if k in _logical_keys(name)])
        per_file = store.upsert(name, rows, ingest_ids=ids, sources=sources)
        for i, counts in per_file.items():
            outcomes[i].tables[name] = counts
        if name in _AIR_HOURS and any(c.stored or c.replaced for c in per_file.values()):
            lo, hi = pc.min_max(rows.column("time")).values()
            air_spans.append((lo.as_py(), hi.as_py()))

    reject_parts = []
    for p, o in zip(batch, outcomes, strict=True):
        # every row written counts, metadata (stations, sections, gauges) included,
        # so that the log adds up with the tables (see maintenance.check)
        o.stored = sum(c.stored for c in o.tables.values())
        o.replaced = sum(c.replaced for c in o.tables.values())
        o.unchanged = sum(c.unchanged for c in o.tables.values())
        rej = p.result.rejects.table()
        o.rejected = rej.num_rows
        if o.rejected:
            o.status = "partial"
            reject_parts.append(
                rej.add_column(0, "file", pa.array([o.file] * o.rejected, pa.string())).add_column(
                    0, "ingest_id", pa.array(np.full(o.rejected, o.ingest_id, dtype=np.int64))
                )
            )
        notes = list(p.result.notes)
        if o.same_as is not None:
            notes.append(f"same content as ingest #{o.same_as}")
        o.message = "; ".join(notes)
    if reject_parts:
        store.add_rejects(pa.concat_tables(reject_parts))
    finished = now()
    store.log_ingests(
        pa.Table.from_pylist(
            [
                {
                    "ingest_id": o.ingest_id,
                    "domain": p.result.domain,
                    "reader": p.result.reader,
                    "file": o.file,
                    "checksum": p.digest,
                    "size_bytes": p.size,
                    "rows_read": o.rows_read,
                    "values_read": o.values_read,
                    "rows_stored": o.stored,
                    "rows_replaced": o.replaced,
                    "rows_unchanged": o.unchanged,
                    "rows_rejected": o.rejected,
                    "started_at": p.started,
                    "finished_at": finished,
                    "status": o.status,
                    "message": o.message,
                }
                for p, o in zip(batch, outcomes, strict=True)
            ]
        )
    )
    return outcomes


def _logical_keys(name: str) -> list[str]:
    """Key columns of a reader's table (codes before they become ids)."""
    if name not in LOGICAL:
        return TABLES[name]["keys"]
    ids = {id_col: code for code, (_t, _c, id_col) in LOGICAL[name]["codes"].items()}
    return [ids.get(k, k) for k in TABLES[LOGICAL[name]["table"]]["keys"]]


def _last_per_key(rows: pa.Table, keys: list[str]) -> pa.Table:
    """One row per key: the last non-null value of each column, in file order (metadata tables)."""
    frame = rows.to_pandas(types_mapper=pd.ArrowDtype)
    merged = frame.groupby(keys, sort=False, dropna=False).last().reset_index()
    return pa.Table.from_pandas(merged, preserve_index=False).cast(rows.select(merged.columns).schema)


def _failed(
    store: Store,
    file: str,
    domain: str,
    reader: str,
    digest: str | None,
    size: int,
    started: Any,
    exc: ReadError,
    *,
    logged_as: str,
) -> FileOutcome:
    """Log a file that could not be read (inside the caller's transaction) under the name ``logged_as``."""
    iid = store.next_ingest_ids(1)[0]
    store.con.execute(
        "INSERT INTO rejects VALUES (?, ?, ?, ?, NULL, ?)",
        [iid, logged_as, exc.line, exc.column, exc.message],
    )
    store.log_ingest(
        iid,
        domain=domain,
        reader=reader,
        file=logged_as,
        checksum=digest,
        size_bytes=size,
        rows_read=0,
        values_read=0,
        rows_stored=0,
        rows_replaced=0,
        rows_unchanged=0,
        rows_rejected=1,
        started_at=started,
        finished_at=now(),
        status="failed",
        message=str(exc),
    )
    return FileOutcome(file=file, status="failed", ingest_id=iid, reader=reader, rejected=1, message=str(exc))


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files named, with directories expanded to the files they hold (sorted)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(str(f) for f in sorted(path.rglob("*")) if f.is_file() and not f.name.startswith("."))
        else:
            out.append(str(path))
    return out


def _head(file: str, n: int = 65536) -> bytes:
    try:
        with open(file, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise ReadError(file, f"cannot open: {exc.strerror or exc}") from exc


def _size(file: str) -> int:
    try:
        return os.path.getsize(file)
    except OSError:
        return 0
