"""Files as they come, for every reader family: same content written another way stores the same.

Encodings (UTF-8, UTF-8 with BOM, GB18030, GBK), CRLF line ends, columns in
another order, the time formats people use (20190101, 2019/1/1 1:00,
2019-01-01T01:00+08:00, UTC with Z, compact digits), Excel with a merged
title row and a merged two-row header: each must store exactly the rows the
canonical file stores. Times are stored as naive China Standard Time (UTC+8):
a time with an offset or Z is converted, a time without one is taken as China
time. Empty files, a header alone, a file cut in the middle of a line and
duplicated columns either store nothing new and give a clear error naming the
file (and the line or column), or store only rows the canonical file holds
and name each rejected line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoplan import maintenance
from ecoplan.store import Store

from . import formats as fm

CASES = [(f.name, v) for f in fm.FAMILIES for v in fm.variants(f)]


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """What each family's canonical file stores."""
    out = {}
    root = tmp_path_factory.mktemp("canonical")
    for f in fm.FAMILIES:
        with Store(root / f"{len(out)}.duckdb") as store:
            (o,) = fm.ingest_bytes(store, root / str(len(out)), f, "canonical.csv", fm.canonical(f)).outcomes
            assert o.status == "ok", (f.name, o.message)
            rows = fm.stored(store, f)
            assert len(rows) >= len(f.rows) - 1, (f.name, rows)
            out[f.name] = rows
    return out


@pytest.mark.parametrize("family, variant", CASES, ids=[f"{f}: {v}" for f, v in CASES])
def test_the_same_content_written_another_way_stores_the_same(
    family: str, variant: str, expected, tmp_path: Path
) -> None:
    f = fm.BY_NAME[family]
    name, data = fm.variants(f)[variant]
    with Store(":memory:") as store:
        (o,) = fm.ingest_bytes(store, tmp_path / "in", f, name, data).outcomes
        assert o.status == "ok", o.message
        assert fm.stored(store, f) == expected[family]
        assert maintenance.check(store).ok


def test_times_are_stored_in_china_time(expected) -> None:
    """The air long table's first time is 2021-01-02 01:00 China time however it was written."""
    import datetime as dt

    first = expected["air long table"][0]
    assert first[1] == dt.datetime(2021, 1, 2, 1, 0)


# -- files that are not right ---------------------------------------------------------------


def _nothing_new_but_the_failure(store: Store, before: dict, outcome) -> None:
    assert fm.counts(store) == before
    log = store.con.execute("SELECT status, file, message FROM ingest_log").fetchall()
    assert log == [("failed", outcome.file, outcome.message)]
    rej = store.con.execute('SELECT file, line, "column", reason FROM rejects').fetchall()
    assert len(rej) == 1 and rej[0][0] == outcome.file


@pytest.mark.parametrize("family", [f.name for f in fm.FAMILIES])
@pytest.mark.parametrize("case", ["empty", "blank lines only", "header only", "not text"])
def test_empty_and_unreadable_files_store_nothing(family: str, case: str, tmp_path: Path) -> None:
    f = fm.BY_NAME[family]
    data = {
        "empty": b"",
        "blank lines only": b"\n\r\n  \n",
        "header only": (",".join(f.header) + "\n").encode("utf-8"),
        "not text": bytes(range(256)) * 4,
    }[case]
    with Store(":memory:") as store:
        before = fm.counts(store)
        (o,) = fm.ingest_bytes(store, tmp_path / "in", f, "bad.csv", data).outcomes
        if case == "header only" and o.status == "ok":
            # a table without rows stores no value (a site file's header names its stations,
            # which are registered)
            after = fm.counts(store)
            assert {t: n for t, n in after.items() if t != "sites"} == {
                t: n for t, n in before.items() if t != "sites"
            }
            assert after["sites"] in (0, len(f.header) - 3)
            return
        assert o.status == "failed", (o.status, o.message)
        assert str(tmp_path / "in" / "bad.csv") in o.message
        _nothing_new_but_the_failure(store, before, o)


@pytest.mark.parametrize("family", [f.name for f in fm.FAMILIES])
def test_a_file_cut_in_the_middle_of_a_line(family: str, expected, tmp_path: Path) -> None:
    """A transfer that stopped: the last line lacks its last fields. Whatever is stored is
    what the whole file holds; the cut line is rejected naming its line, or the file fails."""
    f = fm.BY_NAME[family]
    text = fm.csv_text(f.header, f.rows)
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    cut_at = len(text.rstrip("\n")) - len(last) + last.index(",") + 1  # after the first field
    data = text[:cut_at].encode("utf-8")
    cut_line = len(f.rows) + 1
    with Store(":memory:") as store:
        before = fm.counts(store)
        (o,) = fm.ingest_bytes(store, tmp_path / "in", f, "cut.csv", data).outcomes
        if o.status == "failed":
            _nothing_new_but_the_failure(store, before, o)
            return
        assert set(fm.stored(store, f)) <= set(expected[family])
        lines = store.con.execute("SELECT DISTINCT line FROM rejects").fetchall()
        assert (cut_line,) in lines or len(fm.stored(store, f)) == len(expected[family]), (o.status, lines)
        assert maintenance.check(store).ok


@pytest.mark.parametrize("family", [f.name for f in fm.FAMILIES])
def test_a_duplicated_column_is_named(family: str, tmp_path: Path) -> None:
    """Two columns of the same name: which one holds the values? The file is refused, naming it."""
    f = fm.BY_NAME[family]
    dup = len(f.header) - 1  # a value column
    header = [*f.header, f.header[dup]]
    rows = [[*r, r[dup]] for r in f.rows]
    with Store(":memory:") as store:
        before = fm.counts(store)
        (o,) = fm.ingest_bytes(
            store, tmp_path / "in", f, "dup.csv", fm.csv_text(header, rows).encode()
        ).outcomes
        assert o.status == "failed", (o.status, o.message)
        assert "twice" in o.message and f.header[dup].strip() in o.message and "line 1" in o.message
        _nothing_new_but_the_failure(store, before, o)


def test_a_header_with_an_aqi_column_and_no_rows(tmp_path: Path) -> None:
    """Regression (found by the hypothesis run): a per-hour national file with only a header
    holding ``aqi`` but no primary-pollutant column made the reader raise a TypeError (an empty
    list of flags became a float array)."""
    f = fm.BY_NAME["air per-hour national file"]
    data = b"timepoint,stationcode,area,positionname,aqi,,pm10,co,no2"
    with Store(":memory:") as store:
        before = fm.counts(store)
        (o,) = fm.ingest_bytes(store, tmp_path / "in", f, "header.csv", data).outcomes
        assert "the reader failed on this file" not in o.message, o.message
        after = fm.counts(store)
        assert {t: n for t, n in after.items() if t not in ("ingest_log", "rejects")} == {
            t: n for t, n in before.items() if t not in ("ingest_log", "rejects")
        }
