"""The stations' daily values kept in the store (``air_daily``): equal to those computed from the hours.

The computed path is the one the 2019 reference tests check against the
platform's published daily values (``test_reference_2019.py``); here the
stored table must give the same reports, and follow every change of the hours.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from ecoplan.air import daily_store, queries
from ecoplan.ingest import ingest_files
from ecoplan.readers import air_reader_for
from ecoplan.store import Store

HEADER = "date,hour,type,1001A,1002A\n"


def day_file(tmp_path: Path, day: dt.date, pm25: float, *, name: str | None = None) -> Path:
    """A platform daily site file: every hour 00..23 of ``day``, PM2.5 ``pm25`` at 1001A and 20 at 1002A."""
    label = day.strftime("%Y%m%d")
    lines = [f"{label},{h},PM2.5,{pm25},20\n{label},{h},CO,0.5,0.6\n" for h in range(24)]
    p = tmp_path / (name or f"china_sites_{label}.csv")
    p.write_text(HEADER + "".join(lines), encoding="utf-8")
    return p


def ingest(store: Store, *paths: Path) -> None:
    ingest_files(store, [str(p) for p in paths], lambda f, h: air_reader_for(f, h), domain="air")


def computed(backend, monkeypatch: pytest.MonkeyPatch, query) -> pa.Table:
    """``query`` computed from the hours, as on a backend without the table."""
    with monkeypatch.context() as m:
        m.setattr(daily_store, "stored", lambda backend: None)
        return backend.to_pyarrow(query())


def daily_pm25(store: Store) -> dict[tuple[str, str], float | None]:
    rows = store.con.execute(
        "SELECT s.code, d.date::VARCHAR, d.pm2_5 FROM air_daily d JOIN sites s USING (site_id)"
    ).fetchall()
    return {(code, day): v for code, day, v in rows}


@pytest.mark.slow
def test_reports_from_the_table_equal_the_reports_from_the_hours(reference_store, monkeypatch) -> None:
    """Real data: Shanxi's national stations in 2019 (../shared/reference/air/cnemc-2019-shanxi)."""
    b = reference_store.ibis
    assert daily_store.stored(b) is not None  # the table is current: the queries read it
    some = [
        r[0] for r in reference_store.con.execute("SELECT code FROM sites ORDER BY code LIMIT 3").fetchall()
    ]
    city = reference_store.con.execute("SELECT city FROM sites WHERE code = ?", [some[2]]).fetchone()[0]
    cases = [
        lambda: queries.daily(b),
        lambda: queries.daily(b, stations=some[:2], start=dt.date(2019, 2, 27), end=dt.date(2019, 3, 2)),
        lambda: queries.daily(b, cities=[city], edition="2012"),
        lambda: queries.period(b, year=2019, by="station"),
        lambda: queries.period(b, year=2019, period="month", by="station", stations=some),
    ]
    for query in cases:
        got = b.to_pyarrow(query())
        want = computed(b, monkeypatch, query)
        assert got.num_rows > 0
        assert got.equals(want)


def test_a_changed_hour_derives_its_days_again(store: Store, tmp_path: Path, monkeypatch) -> None:
    ingest(store, *(day_file(tmp_path, dt.date(2023, 1, d), 30.0) for d in (1, 2, 3)))
    # hours 01..23 of a file are its day's; its hour 00 ends the day before (HJ 663 natural day)
    assert daily_pm25(store)[("1001A", "2023-01-02")] == pytest.approx(30.0)
    assert daily_pm25(store)[("1001A", "2022-12-31")] is None  # one hour: no valid mean

    ingest(store, day_file(tmp_path, dt.date(2023, 1, 2), 54.0, name="corrected.csv"))
    pm = daily_pm25(store)
    assert pm[("1001A", "2023-01-02")] == pytest.approx((23 * 54.0 + 30.0) / 24)  # 00:00 of Jan 3 unchanged
    assert pm[("1001A", "2023-01-01")] == pytest.approx((23 * 30.0 + 54.0) / 24)  # its 24th hour changed
    assert pm[("1001A", "2023-01-03")] == pytest.approx(30.0)
    assert pm[("1002A", "2023-01-02")] == pytest.approx(20.0)
    b = store.ibis
    assert daily_store.pending(store.con) == []
    assert b.to_pyarrow(queries.daily(b)).equals(computed(b, monkeypatch, lambda: queries.daily(b)))


def test_pending_days_are_computed_from_the_hours_until_derived(
    store: Store, tmp_path: Path, monkeypatch
) -> None:
    second = day_file(tmp_path, dt.date(2023, 1, 2), 30.0)
    ingest(store, day_file(tmp_path, dt.date(2023, 1, 1), 30.0), second)
    # a process killed after the ingest committed and before the refresh: the days stay pending
    with store.transaction():
        store.con.execute(
            "UPDATE air_hourly SET pm2_5 = 90 WHERE time BETWEEN '2023-01-01 01:00' AND '2023-01-01 23:00'"
        )
        daily_store.mark_stale(store, [(dt.datetime(2023, 1, 1, 1), dt.datetime(2023, 1, 1, 23))])
    assert daily_store.pending(store.con) == [(dt.date(2023, 1, 1), dt.date(2023, 1, 1))]
    b = store.ibis
    assert daily_store.stored(b) is None
    report = b.to_pyarrow(queries.daily(b, stations=["1001A"])).to_pylist()
    assert [r["pm2_5"] for r in report if r["date"] == dt.date(2023, 1, 1)] == [88.0]  # (23 * 90 + 30) / 24

    ingest(store, second)  # its hours are unchanged, but the ingest takes the record up
    assert daily_store.pending(store.con) == []
    assert daily_store.stored(b) is not None
    assert daily_pm25(store)[("1001A", "2023-01-01")] == pytest.approx((23 * 90 + 30) / 24)
    assert b.to_pyarrow(queries.daily(b)).equals(computed(b, monkeypatch, lambda: queries.daily(b)))


def test_a_table_from_another_computation_is_not_read_and_is_rebuilt(store: Store, tmp_path: Path) -> None:
    ingest(store, day_file(tmp_path, dt.date(2023, 1, 1), 30.0))
    store.con.execute("UPDATE air_daily SET pm2_5 = -1")
    store.con.execute("UPDATE meta SET value = 'another' WHERE key = ?", [daily_store.FINGERPRINT_KEY])
    b = store.ibis
    assert daily_store.stored(b) is None
    assert b.to_pyarrow(queries.daily(b, stations=["1001A"])).column("pm2_5").to_pylist() == [None, 30.0]

    ingest(store, day_file(tmp_path, dt.date(2023, 1, 5), 40.0))  # an ingest rebuilds every day
    assert daily_store.stored(b) is not None
    pm = daily_pm25(store)
    assert pm[("1001A", "2023-01-01")] == pytest.approx(30.0)
    assert pm[("1001A", "2023-01-05")] == pytest.approx(40.0)
    assert min(v for v in pm.values() if v is not None) > 0


def test_a_dropped_table_is_rebuilt(store: Store, tmp_path: Path) -> None:
    ingest(store, day_file(tmp_path, dt.date(2023, 1, 1), 30.0))
    store.con.execute("DROP TABLE air_daily")
    assert daily_store.stored(store.ibis) is None
    ingest(store, day_file(tmp_path, dt.date(2023, 1, 2), 40.0))
    pm = daily_pm25(store)
    assert pm[("1001A", "2023-01-01")] == pytest.approx((23 * 30.0 + 40.0) / 24)
    assert pm[("1001A", "2023-01-02")] == pytest.approx(40.0)


def test_natural_days_of_hour_spans() -> None:
    t = dt.datetime
    # an hour labelled 00:00 ends the day before
    assert daily_store.natural_days([(t(2023, 1, 2, 0), t(2023, 1, 2, 23))]) == [
        (dt.date(2023, 1, 1), dt.date(2023, 1, 2))
    ]
    # adjacent or overlapping ranges join; others stay apart, sorted
    spans = [
        (t(2023, 3, 1, 1), t(2023, 3, 2, 0)),
        (t(2023, 1, 3, 1), t(2023, 1, 4, 0)),
        (t(2023, 1, 1, 1), t(2023, 1, 3, 0)),
    ]
    assert daily_store.natural_days(spans) == [
        (dt.date(2023, 1, 1), dt.date(2023, 1, 3)),
        (dt.date(2023, 3, 1), dt.date(2023, 3, 1)),
    ]
