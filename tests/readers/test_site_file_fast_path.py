"""The site-file reader's fast path gives what the general CSV parser gives, value for value.

Regular daily site files (every line whole, every station cell a number or
blank) are parsed as one column of cells instead of a table of 1,600 columns;
anything else goes to the general parser, which rejects cell by cell. Both are
run here on the same bytes and their results compared: the real 2019 Shanxi
files of the national platform (``../shared/reference/air/cnemc-2019-shanxi``)
and hand-made files covering blanks, the platform's NA spellings, CRLF, a
missing final newline, and the files the fast path must hand over.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecoplan.readers import cnemc_sites
from ecoplan.readers.base import ReadResult
from tests.conftest import AIR_2019, need

HEADER = b"date,hour,type,1001A,1002A\n"

FAST = {
    "blank last cell": HEADER + b"20190101,1,PM2.5,10,\n20190101,1,PM10,,\n",
    "blank first cell": HEADER + b"20190101,1,PM2.5,,4\n",
    "no final newline": HEADER + b"20190101,1,PM2.5,10,\n20190101,1,PM10,,5",
    "NA spellings": HEADER + b"20190101,1,PM2.5,NA,-\n20190101,2,PM10,--,nan\n",
    "CRLF": (HEADER + b"20190101,1,PM2.5,10,3\n20190101,2,PM10,4,\n").replace(b"\n", b"\r\n"),
    "negative value": HEADER + b"20190101,1,PM2.5,-3,3\n",
    "bad hours": HEADER + b"20190101,25,PM2.5,3,4\n20190101,,PM2.5,3,4\n",
    "duplicate lines": HEADER + b"20190101,1,PM2.5,3,4\n20190101,1,PM2.5,5,6\n",
    "unknown type": HEADER + b"20190101,1,XX,3,4\n",
    "published types": HEADER + b"20190101,1,AQI,15,29\n20190101,1,PM2.5_24h,11,21\n",
}
GENERAL = {
    "a cell that is not a number": HEADER + b"20190101,1,PM2.5,abc,3\n",
    "a short line": HEADER + b"20190101,1,PM2.5,3\n20190101,2,PM2.5,3,4\n",
    "a long line": HEADER + b"20190101,1,PM2.5,3,4,5\n",
    "quoted cells": HEADER + b'20190101,1,PM2.5,"3",4\n',
}


def both(path: str, data: bytes, monkeypatch: pytest.MonkeyPatch, **kw) -> tuple[ReadResult, ReadResult]:
    fast = cnemc_sites.read(path, data, **kw)
    with monkeypatch.context() as m:
        m.setattr(cnemc_sites, "_parse_regular", lambda body: None)
        general = cnemc_sites.read(path, data, **kw)
    return fast, general


def assert_same(a: ReadResult, b: ReadResult) -> None:
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
    assert a.rejects.table().equals(b.rejects.table())
    assert (a.rows_read, a.values_read, a.time_range) == (b.rows_read, b.values_read, b.time_range)


@pytest.mark.parametrize("case", sorted(FAST))
def test_regular_files_take_the_fast_path_and_agree(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = FAST[case]
    assert cnemc_sites._parse_regular(data) is not None
    for stations in (None, {"1001A"}):  # all stations, or one unknown station rejected
        assert_same(*both("x.csv", data, monkeypatch, stations=stations))


@pytest.mark.parametrize("case", sorted(GENERAL))
def test_irregular_files_go_to_the_general_parser(case: str) -> None:
    assert cnemc_sites._parse_regular(GENERAL[case]) is None


def test_blank_cells_and_na_spellings_are_blank_values() -> None:
    _header, _dates, _hours, types, values, lines = cnemc_sites._parse_regular(FAST["NA spellings"])
    assert types == ["PM2.5", "PM10"]
    assert np.isnan(values).all() and values.shape == (2, 2)
    assert lines.tolist() == [2, 3]


def test_line_numbers_count_blank_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    data = HEADER + b"20190101,1,PM2.5,-3,3\n\n20190101,2,PM2.5,-4,3\n"
    fast, general = both("x.csv", data, monkeypatch)
    # the negative values are rejected with the line they are on in the file, by either parser
    assert sorted(fast.rejects.table().column("line").to_pylist()) == [2, 4]
    assert_same(fast, general)


def test_real_2019_files_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted(need(AIR_2019).glob("china_sites_*.csv"))
    assert len(files) > 300
    for f in files[::7]:  # one file a week across the year
        data = Path(f).read_bytes()
        assert cnemc_sites._parse_regular(cnemc_sites.utf8_bytes(data, f)) is not None, f
        assert_same(*both(str(f), data, monkeypatch))
