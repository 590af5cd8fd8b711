"""SIGKILL during a real ingest: the store is exactly as before or exactly as after, never between.

A generated hourly feed (the demo generator's daily site files for Shanxi's
60 national stations) is ingested by a real ``ecoplan ingest air``
subprocess, killed at points spread over its whole run: start-up, reading,
writing each batch, the commit and the checkpoint. Each time the store is
opened as the next command would open it (its write-ahead log replayed) and
compared with the store before the ingest (every row, ingest ids and log
times included) and with a clean ingest of the same files (every row, ingest
ids replaced by the files they name); ``ecoplan check`` must pass. A store
left as before is killed again, then ingested to completion, and must equal
the clean ingest. The same is done to ``ecoplan serve`` during an upload.

The long loop (100+ kills) is ``benchmarks/kill_ingest.py``; its figures are
in ``docs/reliability.md``.
"""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import httpx
import pytest

from . import harness as h

KILLS = int(os.environ.get("ECOPLAN_TEST_KILLS", "5"))
SEED = int(os.environ.get("ECOPLAN_TEST_SEED", "20210101"))


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> h.Feed:
    return h.make_feed(tmp_path_factory.mktemp("feed"), days=16, base_days=6, overlap=3, changed=2)


@pytest.fixture(scope="module")
def clean_cli(feed: h.Feed, tmp_path_factory: pytest.TempPathFactory):
    """The store before the ingest, after a clean CLI ingest, and how long that took."""
    work = tmp_path_factory.mktemp("clean-cli")
    before = h.store_state(h.copy_store(feed.base, work / "before.duckdb"))
    db = h.copy_store(feed.base, work / "after.duckdb")
    took, opened, code = h.timed_run(h.ingest_command(db, feed), db)
    assert code == 0
    after = h.store_state(db)
    assert after.check_ok, after.check_detail
    # the ingest writes every kind of row: new values, replaced ones, rejects, a failed file
    assert after.rows("air_hourly") > before.rows("air_hourly")
    assert after.rows("obs_values_history") > 0
    assert after.rows("rejects") > 1
    return before, after, took, opened


def test_sigkill_during_a_cli_ingest_leaves_before_or_after(feed: h.Feed, clean_cli, tmp_path: Path) -> None:
    before, after, took, opened = clean_cli
    rng = random.Random(SEED)
    # spread over the run, from just before the store is opened to its end
    times = h.spread(KILLS, max(0.0, opened * 0.9), took * 1.02, rng)
    outcomes, last = h.kill_loop(
        lambda db: h.ingest_command(db, feed),
        feed.base,
        tmp_path,
        times,
        before,
        after,
        duration=took * 1.02,
        retries=1,
    )
    for o in outcomes:
        assert o.check_ok, (o.kill, o.check_detail)
        assert o.outcome in ("before", "after"), (o.kill, o.differs)
    assert sum(not o.kill.exited_first for o in outcomes) >= KILLS // 2, outcomes
    # the same command again completes the ingest: exactly a clean single ingest
    assert h.store_state(last).strict == before.strict
    assert h.run_cli(h.ingest_command(last, feed)).returncode == 0
    final = h.store_state(last)
    assert final.check_ok, final.check_detail
    assert final.content == after.content


# -- the server, killed during an upload -----------------------------------------------


def _upload(base: str, token: str, files: list[Path], sink: list) -> None:
    try:
        res = httpx.post(
            f"{base}/api/ingest/air",
            params={"require_stations": "true"},
            headers={"Authorization": f"Bearer {token}"},
            files=h.upload_files(files),
            timeout=300,
        )
        sink.append(res.status_code)
    except httpx.TransportError as exc:  # the server was killed
        sink.append(type(exc).__name__)


def _served_upload(db: Path, token: str, files: list[Path], kill_at: float | None, tmp: Path):
    """Start a server over ``db``, upload ``files``; kill the server ``kill_at`` s after the request."""
    import time

    tmp.mkdir(parents=True, exist_ok=True)
    server = h.Server(db, env={"TMPDIR": str(tmp)})
    try:
        server.wait_ready()
        sink: list = []
        started = time.perf_counter()
        t = threading.Thread(target=_upload, args=(server.base, token, files, sink))
        t.start()
        if kill_at is None:
            t.join()
            took = time.perf_counter() - started
        else:
            t.join(timeout=kill_at)
            took = time.perf_counter() - started
            server.kill()
            t.join()
    finally:
        server.stop()
    return sink, took


def test_sigkill_of_the_server_during_an_upload(feed: h.Feed, tmp_path: Path) -> None:
    base = h.copy_store(feed.base, tmp_path / "base.duckdb")
    token = h.make_token(base)
    before = h.store_state(h.copy_store(base, tmp_path / "before.duckdb"))
    clean = h.copy_store(base, tmp_path / "clean.duckdb")
    status, took = _served_upload(clean, token, feed.files, None, tmp_path / "tmp-clean")
    assert status == [200]
    after = h.store_state(clean)
    assert after.check_ok and after.rows("air_hourly") > before.rows("air_hourly")
    # a finished upload leaves no temporary file
    assert list((tmp_path / "tmp-clean").iterdir()) == []

    rng = random.Random(SEED + 1)
    db = h.copy_store(base, tmp_path / "killed.duckdb")
    seen = []
    for i, at in enumerate(h.spread(max(2, KILLS // 2), 0.05, took, rng)):
        sink, _ = _served_upload(db, token, feed.files, at, tmp_path / f"tmp-{i}")
        state = h.store_state(db)
        outcome, differs = h.classify(state, before, after)
        assert state.check_ok, state.check_detail
        assert outcome in ("before", "after"), (at, sink, differs)
        seen.append((at, sink, outcome))
        if outcome == "after":
            db = h.copy_store(base, tmp_path / f"killed-{i}.duckdb")
    # uploading again to the last store (as before: killed, or fresh) completes it
    assert h.store_state(db).strict == before.strict
    status, _ = _served_upload(db, token, feed.files, None, tmp_path / "tmp-again")
    assert status == [200]
    final = h.store_state(db)
    assert final.check_ok and final.content == after.content, seen


def test_an_upload_with_a_failed_file_commits_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a file that could not be read was relabelled in a second transaction after
    the ingest's, so a crash between the two left the temporary path in the log."""
    from fastapi.testclient import TestClient

    from ecoplan.api import create_app
    from ecoplan.api.auth import create_token
    from ecoplan.store import Store

    store = Store(tmp_path / "once.duckdb")
    with store.transaction():
        _, token = create_token(store, "once", "write")
    begun = []
    real = Store.transaction

    def counting(self):
        begun.append(1)
        return real(self)

    monkeypatch.setattr(Store, "transaction", counting)
    with TestClient(create_app(store)) as client:
        res = client.post(
            "/api/ingest/stations",
            headers={"Authorization": f"Bearer {token}"},
            files=[
                ("files", ("good.csv", "code,city\n1081A,太原市\n".encode(), "text/csv")),
                ("files", ("bad.csv", b"\xff\xfe\xfa", "text/csv")),
            ],
        )
    assert res.status_code == 200, res.text
    assert len(begun) == 1
    logged = sorted(store.con.execute("SELECT file, status FROM ingest_log").fetchall())
    assert logged == [("upload/bad.csv", "failed"), ("upload/good.csv", "ok")]
    assert store.con.execute("SELECT file FROM rejects").fetchall() == [("upload/bad.csv",)]
    store.close()
