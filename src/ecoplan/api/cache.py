"""A small result cache for the assessments (air, water, flow tables).

Building an assessment's SQL from its Ibis expression takes most of a
request's time (about a second for a daily AQI report, against a few tens of
milliseconds in DuckDB), and the dashboard asks the same questions again and
again. Results are therefore kept, least recently used first out, up to a
byte budget (``Settings.cache_bytes``; 0 turns the cache off).

A result is keyed by the endpoint and its query parameters (pagination and
format aside: every page is cut from the same table) and is valid for one
*version* of the data: the last ingest id and the number of ingest log
entries. Every write of data goes through the ingest log (uploads, ``ecoplan
ingest``, computed indicator values), and while the API runs no other
process can write the store (DuckDB holds the file for one writing
process), so a new version is seen by the next request. Code that writes the
store in the API's own process without an ingest log entry must call
``app.state.cache.clear()``.

The same budget also keeps whole answers of open GET requests
(:class:`ecoplan.api.middleware.ResponseCache`), for one version of the
app's write counter (:attr:`ecoplan.api.db.Database.version`): writes through
the app's write lock move it on; any other write in the app's process must
call ``app.state.cache.clear()`` as well.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import pyarrow as pa

VERSION_SQL = "SELECT max(ingest_id), count(*) FROM ingest_log"


class ResultCache:
    """Arrow tables by (key, version), least recently used evicted beyond ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[Hashable, tuple[Hashable, pa.Table]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: Hashable, version: Hashable) -> pa.Table | None:
        if not self.enabled:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != version:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: Hashable, version: Hashable, table: pa.Table) -> None:
        size = table.nbytes  # an Arrow table, or anything with nbytes (a cached response)
        if not self.enabled or size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1].nbytes
            self._items[key] = (version, table)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _k, (_v, t) = self._items.popitem(last=False)
                self._bytes -= t.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def get_or_compute(self, key: Hashable, version: Hashable, compute: Callable[[], pa.Table]) -> pa.Table:
        hit = self.get(key, version)
        if hit is not None:
            return hit
        table = compute()
        self.put(key, version, table)
        return table
