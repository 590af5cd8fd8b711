"""Concurrent use of a real server on loopback: reads during uploads, uploads at once, a CLI beside it.

``ecoplan serve`` runs in a subprocess on a free 127.0.0.1 port over a store
holding six days of a generated feed; clients are threads with their own
httpx connections.

- Reads go on while uploads run, and no read sees part of an upload: an
  upload of several day files is one transaction, so each day a read shows
  is either absent or complete, and the days of one upload appear together;
  the ingest log's page and its total come from the same state.
- Uploads sent at the same moment are serialised: each request's ingest ids
  form one unbroken run that no other request's ids interleave, the result
  equals one upload of the same files, and ``ecoplan check`` passes.
- A command line ingest against the store the server holds fails at once
  with a message saying so (DuckDB lets one process hold the file) and
  changes nothing.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from ecoplan.api import create_app
from ecoplan.store import Store

from . import harness as h

STATION = "1081A"


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> h.Feed:
    return h.make_feed(tmp_path_factory.mktemp("feed"), days=18, base_days=6, overlap=0, changed=0)


def _days(feed: h.Feed) -> list[Path]:
    return sorted((feed.root / "pool").iterdir())


@pytest.fixture(scope="module")
def served(feed: h.Feed, tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("served")
    db = h.copy_store(feed.base, work / "served.duckdb")
    token = h.make_token(db)
    server = h.Server(db, env={"TMPDIR": str(work)})
    try:
        server.wait_ready()
        yield server, db, token
    finally:
        server.stop()


def _post(base: str, token: str, files: list[Path], timeout: float = 600) -> httpx.Response:
    return httpx.post(
        f"{base}/api/ingest/air",
        headers={"Authorization": f"Bearer {token}"},
        files=h.upload_files(files),
        timeout=timeout,
    )


def _hours_per_day(base: str, start: str, end: str) -> Counter:
    res = httpx.get(
        f"{base}/api/air/hourly",
        params={"station": STATION, "start": start, "end": end, "limit": 50000},
        timeout=300,
    )
    assert res.status_code == 200, res.text
    items = res.json()["items"]
    assert res.json()["total"] == len(items)
    # hours are labelled by their end: the label's day is the file's day
    return Counter(r["time"][:10] for r in items)


def test_reads_during_uploads_never_see_part_of_one(served, feed: h.Feed) -> None:
    server, _db, token = served
    days = _days(feed)[6:12]
    chunks = [days[i : i + 2] for i in range(0, len(days), 2)]
    labels = [{f"upload/{p.name}" for p in c} for c in chunks]
    start, end = "2021-01-07", "2021-01-12"
    done = threading.Event()
    problems: list[str] = []
    seen_days: list[Counter] = []
    reads = Counter()

    def writer() -> None:
        try:
            for c in chunks:
                res = _post(server.base, token, c)
                if res.status_code != 200:
                    problems.append(f"upload answered {res.status_code}: {res.text[:300]}")
        finally:
            done.set()

    def log_reader() -> None:
        while not done.is_set():
            res = httpx.get(f"{server.base}/api/ingests", params={"limit": 50000}, timeout=120)
            if res.status_code != 200:
                problems.append(f"ingest log answered {res.status_code}")
                continue
            body = res.json()
            reads["log"] += 1
            if body["total"] != len(body["items"]):
                problems.append(f"ingest log total {body['total']} but {len(body['items'])} rows")
            files = {r["file"] for r in body["items"]}
            for want in labels:
                if 0 < len(want & files) < len(want):
                    problems.append(f"part of one upload logged: {sorted(want & files)}")

    def value_reader() -> None:
        while not done.is_set():
            seen_days.append(_hours_per_day(server.base, start, end))
            reads["values"] += 1

    threads = [threading.Thread(target=f) for f in (writer, log_reader, log_reader, value_reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert not problems, problems[:5]
    assert reads["log"] >= 2 and reads["values"] >= 1, reads
    final = _hours_per_day(server.base, start, end)
    assert sorted(final) == [f"2021-01-{d:02d}" for d in range(7, 13)]
    chunk_days = [{p.name[12:16] + "-" + p.name[16:18] + "-" + p.name[18:20] for p in c} for c in chunks]
    for seen in seen_days:
        for day, n in seen.items():
            assert n == final[day], (day, n, final[day])  # a day is absent or complete
        for cd in chunk_days:
            present = {d for d in cd if d in seen}
            assert present in (set(), cd), present  # the days of one upload appear together


def test_uploads_at_once_are_serialised(served, feed: h.Feed, tmp_path: Path) -> None:
    server, db, token = served
    days = _days(feed)[12:18]
    chunks = [days[0:2], days[2:4], days[4:6], days[0:2]]  # the first chunk twice
    answers: list[httpx.Response | None] = [None] * len(chunks)
    barrier = threading.Barrier(len(chunks))

    def send(i: int) -> None:
        barrier.wait()
        answers[i] = _post(server.base, token, chunks[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(chunks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert all(a is not None and a.status_code == 200 for a in answers), [a and a.text[:200] for a in answers]
    runs = sorted([o["ingest_id"] for o in a.json()["files"]] for a in answers)
    for ids in runs:
        assert ids == list(range(ids[0], ids[0] + len(ids))), runs  # one unbroken run per request
    for a, b in itertools.pairwise(runs):
        assert a[-1] < b[0], runs  # no interleaving
    # the chunk sent twice: stored once, the other time every value unchanged
    twice = [a.json()["totals"] for a, c in zip(answers, chunks, strict=True) if c == chunks[0]]
    assert sorted(t["stored"] > 0 for t in twice) == [False, True]
    # what the concurrent uploads stored equals one upload of the same files into the base store
    with Store(h.copy_store(feed.base, tmp_path / "one.duckdb")) as store:
        from fastapi.testclient import TestClient

        from ecoplan.api.auth import create_token

        with store.transaction():
            _, write = create_token(store, "one upload", "write")
        with TestClient(create_app(store)) as client:
            for c in (days[0:2], days[2:4], days[4:6]):
                res = client.post(
                    "/api/ingest/air", headers={"Authorization": f"Bearer {write}"}, files=h.upload_files(c)
                )
                assert res.status_code == 200
        one = _air_values(store, "2021-01-13")
    server.stop()  # the store is free again: compare it with the single upload
    state = h.store_state(db)
    assert state.check_ok, state.check_detail
    with Store(db) as store:
        assert _air_values(store, "2021-01-13") == one
    server.restart()


def _air_values(store: Store, since: str) -> tuple:
    """Rows and a digest of every air value from ``since`` on, with the file each came from."""
    return store.con.execute(
        "SELECT count(*), sum(hash(site, time, parameter, value, source))::HUGEINT FROM observations "
        "WHERE time >= ?::TIMESTAMP",
        [since],
    ).fetchone()


def test_a_cli_ingest_beside_the_server_is_refused_clearly(served, feed: h.Feed) -> None:
    server, db, _token = served
    before = httpx.get(f"{server.base}/api/ingests", params={"limit": 1}, timeout=60).json()["total"]
    for args in (
        ["--db", str(db), "ingest", "air", str(_days(feed)[0])],
        ["--db", str(db), "serve", "--port", str(h.free_port())],
    ):
        res = h.run_cli([*h.CLI, *args], timeout=300)
        message = " ".join((res.stdout + res.stderr).split())
        assert res.returncode == 2, (args, message)
        assert "is in use by another process" in message and "Traceback" not in message, message
        assert "upload the files through its API" in message
    # nothing changed, and the server goes on answering
    after = httpx.get(f"{server.base}/api/ingests", params={"limit": 1}, timeout=60).json()["total"]
    assert after == before


# -- the answer cache never outlives the data or a token ----------------------------------


def test_cached_answers_follow_every_write_and_never_skip_a_token_check(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from ecoplan.api import Settings
    from ecoplan.api.auth import create_token, revoke_token

    with Store(tmp_path / "c.duckdb") as store:
        with store.transaction():
            _, write = create_token(store, "w", "write")
            read_id, read = create_token(store, "r", "read")
        with TestClient(create_app(store)) as client:
            first = client.get("/api/ingests")
            assert first.json()["total"] == 0 and client.get("/api/ingests").content == first.content
            res = client.post(
                "/api/ingest/stations",
                headers={"Authorization": f"Bearer {write}"},
                files={"files": ("s.csv", "code,city\n1081A,太原市\n".encode(), "text/csv")},
            )
            assert res.status_code == 200
            assert client.get("/api/ingests").json()["total"] == 1  # not the answer kept before
            assert client.get("/api/sites").json()["total"] == 1
        # reads behind tokens: every request is checked, a revoked token at once refused
        with TestClient(create_app(store, Settings(auth_read=True))) as client:
            auth = {"Authorization": f"Bearer {read}"}
            assert client.get("/api/sites", headers=auth).status_code == 200
            assert client.get("/api/sites").status_code == 401
            revoke_token(store, read_id)
            assert client.get("/api/sites", headers=auth).status_code == 401
