"""The store as the API uses it: one DuckDB database per app, shared by every request.

Concurrency model
-----------------
- The app opens the store once (one DuckDB database instance in the
  process). DuckDB lets one process hold a database file for writing, so
  ``ecoplan serve`` runs one process (no ``--workers``); it serves requests
  from a thread pool.
- Reads use cursors: each worker thread gets its own cursor (a connection to
  the same database) and an Ibis backend over it, created on first use and
  kept for the thread's life. A read sees the last committed state: an ingest
  is one transaction, so no request sees half of one. A response built from
  several statements (a page and its total; a cached result and the data
  version it is kept under) runs them in one read transaction
  (:meth:`Database.snapshot`), so they all see the same state.
- Ingests and token changes go through the store's own connection, one at a
  time (:meth:`Database.writing` holds a lock). Concurrent uploads wait for
  each other; reads go on meanwhile.
- Failed authentication attempts are appended to ``auth_log`` through a
  separate cursor under its own small lock, so logging a failure never waits
  for a long ingest.
- :attr:`Database.version` counts the writes done through the app: the
  response cache (:class:`ecoplan.api.middleware.ResponseCache`) keeps an
  answer for one version.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from ..store import Store, ibis_duckdb


class Database:
    """The app's store with per-thread read cursors and a write lock."""

    def __init__(self, store: Store | str | Path, *, owned: bool | None = None):
        if isinstance(store, Store):
            self.store = store
            self.owned = bool(owned)
        else:
            self.store = Store(store)
            self.owned = True if owned is None else owned
        self._write_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._log_cursor: duckdb.DuckDBPyConnection | None = None
        self.closed = False
        # bumped after every write through this app (see writing); nothing else writes the
        # file while the app holds it, so equal versions mean equal data
        self.version = 0

    @property
    def path(self) -> Path:
        return self.store.path

    # -- reads -----------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's read cursor."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            if self.closed:
                raise RuntimeError("the database is closed")
            cur = self.store.con.cursor()
            with self._cursors_lock:
                self._cursors.append(cur)
            self._local.cursor = cur
        return cur

    def backend(self) -> Any:
        """This thread's Ibis backend (over its read cursor)."""
        b = getattr(self._local, "backend", None)
        if b is None:
            b = ibis_duckdb(self.cursor())
            self._local.backend = b
        return b

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read transaction on this thread's cursor: every statement inside sees one committed state.

        Without it each statement is its own transaction, and a response built
        from two (a page and its total, a cache version and its table) could
        mix the states before and after an ingest that commits in between.
        Nested uses join the outer transaction.
        """
        cur = self.cursor()
        if getattr(self._local, "in_snapshot", False):
            yield cur
            return
        cur.begin()
        self._local.in_snapshot = True
        try:
            yield cur
        finally:
            self._local.in_snapshot = False
            cur.rollback()  # nothing was written: ending the transaction is all

    def fetch(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """Rows of a parameterised query on this thread's cursor."""
        return self.cursor().execute(sql, params or []).fetchall()

    # -- writes ----------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self) -> Iterator[Store]:
        """Hold the write lock and give the store (its connection is the writer).

        :attr:`version` moves on when the lock is released (after the commit),
        so that cached answers of the data before are not served again.
        """
        with self._write_lock:
            try:
                yield self.store
            finally:
                self.version += 1

    def append_log(self, sql: str, params: list[Any]) -> None:
        """One small append (the auth log), outside the write lock."""
        with self._log_lock:
            if self._log_cursor is None:
                self._log_cursor = self.store.con.cursor()
            self._log_cursor.execute(sql, params)

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with self._cursors_lock:
            cursors, self._cursors = self._cursors, []
        if self._log_cursor is not None:
            cursors.append(self._log_cursor)
        for cur in cursors:
            with contextlib.suppress(Exception):
                cur.close()
        if self.owned:
            self.store.close()
