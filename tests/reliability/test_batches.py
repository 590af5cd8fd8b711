"""Files as a feed sends them: yesterday's file again beside today's, a changed file among new ones.

Regression: a batch holding a day already stored and a new day made the cell-wise
upsert sum NULLs (a cell with nothing stored compared as unknown), and the whole
ingest failed with a TypeError: an hourly feed that re-sends the previous file
could never be ingested.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ecoplan import maintenance
from ecoplan.demo import air as demo_air
from ecoplan.ingest import ingest_files
from ecoplan.readers import air_reader_for
from ecoplan.store import Store


def _days(folder: Path, n: int, *, seed: int = 20201231) -> list[Path]:
    net = demo_air.shanxi_network()
    start = dt.date(2021, 1, 1)
    return demo_air.write_daily_files(net, folder, start, start + dt.timedelta(days=n - 1), seed=seed)


def _values(store: Store) -> int:
    return int(store.con.execute("SELECT count(*) FROM observations").fetchone()[0])


def test_a_stored_day_and_a_new_day_in_one_ingest(tmp_path: Path) -> None:
    days = _days(tmp_path / "air", 3)
    with Store(tmp_path / "s.duckdb") as store:
        first = ingest_files(store, [str(days[0])], air_reader_for, domain="air").outcomes[0]
        values_day0 = _values(store)
        again, new = ingest_files(store, [str(days[0]), str(days[1])], air_reader_for, domain="air").outcomes
        # day 0 again: every value unchanged, nothing stored; day 1: every value new
        assert (again.stored, again.replaced, again.unchanged) == (0, 0, first.values_read)
        assert (new.stored, new.replaced) == (new.values_read, 0)
        assert _values(store) == values_day0 + new.values_read
        assert maintenance.check(store).ok


def test_changed_values_among_new_files_are_replaced_and_kept(tmp_path: Path) -> None:
    days = _days(tmp_path / "air", 3)
    other = _days(tmp_path / "other", 1, seed=7)  # day 0 with other values
    with Store(tmp_path / "s.duckdb") as store:
        ingest_files(store, [str(days[0])], air_reader_for, domain="air")
        before = _values(store)
        changed, *new = ingest_files(
            store, [str(other[0]), str(days[1]), str(days[2])], air_reader_for, domain="air"
        ).outcomes
        assert changed.replaced > 0
        history = store.con.execute("SELECT count(*) FROM observations_history").fetchone()[0]
        assert history == changed.replaced
        # values the first file lacked (missing hours) are new; none is lost
        assert _values(store) == before + (changed.stored - changed.replaced) + sum(
            o.values_read for o in new
        )
        report = maintenance.check(store)
        assert report.ok, report.findings
