"""Property-based tests over the readers: any bytes either ingest or fail clearly, never half.

Hypothesis writes CSV files from each family's header and cells, mixed with
hostile ones: columns dropped, repeated, shuffled or renamed; cells of random
text (commas, quotes, line breaks, Chinese, control characters), numbers out
of range, NaN and infinity, below-detection marks, times in several formats;
UTF-8, UTF-8 with BOM, GB18030 or undecodable bytes; LF or CRLF; the file cut
at a random byte. For every such file:

- the reader returns a result or raises ``ReadError`` naming the file (never
  another exception);
- through ``ingest_files``, a failed file adds nothing but its log entry and
  one reject naming the reason; a file that is read stores no NaN, keeps
  ``ecoplan check`` passing, and every rejected value names its line or
  column and a reason.

Example counts are bounded (``ECOPLAN_FUZZ_EXAMPLES``, default 20 per family)
so that the suite stays fast; raise it for a longer hunt.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecoplan import maintenance
from ecoplan.ingest import ingest_files
from ecoplan.readers.base import ReadError
from ecoplan.store import Store

from . import formats as fm

EXAMPLES = int(os.environ.get("ECOPLAN_FUZZ_EXAMPLES", "20"))
# The CI run draws the same examples every time (a failure there is a bug, never luck);
# ECOPLAN_FUZZ_RANDOM=1 draws new ones, as a hunt should.
RANDOM = os.environ.get("ECOPLAN_FUZZ_RANDOM", "") not in ("", "0")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    derandomize=not RANDOM,
)

HOSTILE = [
    "",
    " ",
    "--",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "-5",
    "0",
    "1e-320",
    "9" * 40,
    "0.025L",
    "<0.05",
    "ND",
    "维护",
    "Ⅳ",
    "劣Ⅴ",
    '"quoted, with comma"',
    '"line\nbreak"',
    '"',
    "a,b",
    "\x00",
    "\x1b[31m",
    "'; DROP TABLE sites; --",
    "🙂",
    "2021-13-45 25:61",
    "2021-02-30",
    "20210230",
    "2021/1/2 1:00",
    "2021-01-02T01:00+08:00",
    "2021-01-01T17:00Z",
    "1900-01-01",
    "9999-12-31 23:00",
    "00:00",
    "24",
    "-1",
    "1001A",
    "SX01",
    "FH001",
    "全省",
    "太原市",
]


@st.composite
def csv_files(draw, family: fm.Family) -> bytes:
    header = list(family.header)
    n_rows = draw(st.integers(0, 6))
    rows = [list(draw(st.sampled_from(family.rows))) for _ in range(n_rows)]
    # columns: dropped, repeated, shuffled, renamed
    cols = list(range(len(header)))
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    if draw(st.integers(0, 4)) == 0 and len(cols) > 1:
        cols.pop(draw(st.integers(0, len(cols) - 1)))
    if draw(st.integers(0, 5)) == 0:
        cols.append(draw(st.sampled_from(cols)))
    names = [header[c] for c in cols]
    if draw(st.integers(0, 5)) == 0:
        names[draw(st.integers(0, len(names) - 1))] = draw(
            st.sampled_from([*HOSTILE, "PM2.5", "氨氮", "value"])
        )
    cells = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12), st.floats(allow_nan=True).map(repr))
    body = []
    for r in rows:
        line = [r[c] for c in cols]
        for _ in range(draw(st.integers(0, 3))):
            line[draw(st.integers(0, len(line) - 1))] = draw(cells)
        if draw(st.integers(0, 8)) == 0:
            line = line[: draw(st.integers(0, len(line)))]  # a short line
        if draw(st.integers(0, 8)) == 0:
            line.append(draw(cells))  # a long line
        body.append(line)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(",".join(str(c) for c in line) for line in [names, *body])
    if draw(st.booleans()):
        text += newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "latin-1 bytes"]))
    if encoding == "latin-1 bytes":
        data = bytes(ord(ch) % 256 for ch in text)  # not valid UTF-8 wherever text is Chinese
    else:
        data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 4)) == 0 and data:
        data = data[: draw(st.integers(0, len(data)))]  # cut at any byte, inside a character too
    return data


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fuzz")
    stores = {}
    yield root, stores
    for s in stores.values():
        s.close()


COUNTED = ("ingest_log", "rejects", *fm.TABLES_WRITTEN)


def _counts(store: Store) -> dict[str, int]:
    return {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}


@pytest.mark.parametrize("family", [f.name for f in fm.FAMILIES])
def test_any_file_ingests_or_fails_clearly(family: str, workspace) -> None:
    root, stores = workspace
    f = fm.BY_NAME[family]
    store = stores.setdefault(family, Store(root / f"{len(stores)}.duckdb"))
    path = root / f"{len(stores)}-fuzz.csv"

    @FUZZ
    @given(data=csv_files(f))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        # the reader alone: a result or a ReadError naming the file
        try:
            reader = f.reader_for()(str(path), data[:65536])
            result = reader(str(path), data)
            assert result.file == str(path)
        except ReadError as exc:
            assert exc.file == str(path) and exc.message
        # through the ingest: all or nothing, clear rejects
        before = _counts(store)
        (o,) = ingest_files(store, [str(path)], f.reader_for(), domain=f.domain).outcomes
        assert "the reader failed on this file" not in o.message, o.message
        after = _counts(store)
        last = store.con.execute(
            "SELECT status, file FROM ingest_log ORDER BY ingest_id DESC LIMIT 1"
        ).fetchone()
        assert last == (o.status, str(path))
        if o.status == "failed":
            assert str(path) in o.message
            assert after == {
                **before,
                "ingest_log": before["ingest_log"] + 1,
                "rejects": before["rejects"] + 1,
            }
        else:
            bad = store.con.execute(
                "SELECT count(*) FROM rejects WHERE ingest_id = ? AND (reason IS NULL OR reason = '' "
                'OR (line IS NULL AND "column" IS NULL))',
                [o.ingest_id],
            ).fetchone()[0]
            assert bad == 0
            report = maintenance.check(store)
            assert report.ok, report.findings

    check()
