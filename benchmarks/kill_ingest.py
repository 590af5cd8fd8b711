"""The long kill loop: SIGKILL a real ingest (and a server during an upload) many times.

Builds a generated hourly feed (the demo generator's daily site files for
Shanxi's 60 national stations; GENERATED data), a store holding its first
days, and the next ingest's files (new days, days already stored, days whose
values changed, a file cut in the middle, a file that is not a table). Then:

1. runs ``ecoplan ingest air`` once to completion on a copy: the clean
   result, and how long a run takes;
2. starts the same command again and again on a store, SIGKILLs it at a time
   spread over the whole run (one kill drawn at random in each of ``--kills``
   equal slices of it), and checks the store each time: exactly as before
   (every row, ingest ids and times included) or exactly as after (every row,
   ingest ids replaced by file names), and ``ecoplan check`` passes. A store
   left as before is killed again; one left as after is replaced by a fresh
   copy;
3. runs the command to completion on the last store: it must equal the clean
   result;
4. does the same to ``ecoplan serve`` during an upload of the same files
   (``--upload-kills``).

    python benchmarks/kill_ingest.py                  # 100 CLI kills, 30 server kills
    python benchmarks/kill_ingest.py --kills 20 --upload-kills 5 --days 30

Writes ``benchmarks/results/kill_ingest.json`` and prints the figures that
``docs/reliability.md`` quotes.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.reliability import harness as h  # noqa: E402

from common import RESULTS  # noqa: E402


def cli_loop(feed: h.Feed, work: Path, kills: int, commit_kills: int, rng: random.Random) -> dict:
    before = h.store_state(h.copy_store(feed.base, work / "before.duckdb"))
    clean = h.copy_store(feed.base, work / "clean.duckdb")
    took, opened, code = h.timed_run(h.ingest_command(clean, feed), clean)
    assert code == 0, "the clean ingest failed"
    after = h.store_state(clean)
    print(f"clean CLI ingest: {took:.1f} s (store opened after {opened:.1f} s)", flush=True)
    times = h.spread(kills, 0.0, took * 1.02, rng)

    def show(i: int, o: h.KillOutcome) -> None:
        print(
            f"  kill {i + 1:3d} at {o.kill.at:6.2f} s: {o.outcome:7s} check {'ok' if o.check_ok else 'FAILED'}"
            f"{' (had exited)' if o.kill.exited_first else ''}{' wal ' + str(o.wal_bytes) if o.wal_bytes else ''}",
            flush=True,
        )

    outcomes, last = h.kill_loop(
        lambda db: h.ingest_command(db, feed),
        feed.base,
        work,
        times,
        before,
        after,
        on_outcome=show,
        duration=took * 1.02,
    )
    code = h.run_cli(h.ingest_command(last, feed)).returncode
    final = h.store_state(last)
    # kills aimed at the commit and the checkpoint: a short delay after the commit starts writing
    in_commit = []
    db = h.copy_store(feed.base, work / "commit-0.duckdb")
    for i in range(commit_kills):
        delay = rng.uniform(0.0, 0.05) if i % 2 == 0 else rng.uniform(0.05, 0.6)
        k = h.kill_in_commit(h.ingest_command(db, feed), db, delay)
        state = h.store_state(db)
        outcome, differs = h.classify(state, before, after)
        o = h.KillOutcome(k, outcome, state.check_ok, state.check_detail, state.wal_bytes, differs)
        in_commit.append(o)
        show(i, o)
        db = h.copy_store(feed.base, work / f"commit-{i + 1}.duckdb")
    return {
        "clean_seconds": round(took, 2),
        "store_opened_after_seconds": round(opened, 2),
        **_summary(outcomes, opened),
        "aimed_at_the_commit": _summary(in_commit, 0.0),
        "rerun_exit_code": code,
        "rerun_equals_clean": final.content == after.content and final.check_ok,
        "rows_after": {
            t: after.rows(t) for t in ("air_hourly", "obs_values_history", "ingest_log", "rejects")
        },
    }


def _summary(outcomes: list[h.KillOutcome], opened: float) -> dict:
    counts = Counter(o.outcome for o in outcomes)
    return {
        "kills": len(outcomes),
        "killed_before_store_opened": sum(o.kill.at < opened and not o.kill.exited_first for o in outcomes),
        "killed_while_running": sum(not o.kill.exited_first for o in outcomes),
        "had_exited_before_the_kill": sum(o.kill.exited_first for o in outcomes),
        "left_as_before": counts["before"],
        "left_as_after": counts["after"],
        "left_as_neither": counts["neither"],
        "check_failed": sum(not o.check_ok for o in outcomes),
        "wal_left_behind": sum(o.wal_bytes > 0 for o in outcomes),
        "neither_detail": [o.differs for o in outcomes if o.outcome == "neither"],
    }


def upload_loop(feed: h.Feed, work: Path, kills: int, rng: random.Random) -> dict:
    import httpx

    base = h.copy_store(feed.base, work / "api-base.duckdb")
    token = h.make_token(base)
    before = h.store_state(h.copy_store(base, work / "api-before.duckdb"))

    def served(db: Path, kill_at: float | None, tmp: Path) -> tuple[list, float]:
        tmp.mkdir(parents=True, exist_ok=True)
        server = h.Server(db, env={"TMPDIR": str(tmp)})
        sink: list = []
        try:
            server.wait_ready()

            def send() -> None:
                try:
                    res = httpx.post(
                        f"{server.base}/api/ingest/air",
                        headers={"Authorization": f"Bearer {token}"},
                        files=h.upload_files(feed.files),
                        timeout=600,
                    )
                    sink.append(res.status_code)
                except httpx.TransportError as exc:
                    sink.append(type(exc).__name__)

            t = threading.Thread(target=send)
            started = time.perf_counter()
            t.start()
            t.join(timeout=kill_at)
            took = time.perf_counter() - started
            if kill_at is not None:
                server.kill()
            t.join()
        finally:
            server.stop()
        return sink, took

    clean = h.copy_store(base, work / "api-clean.duckdb")
    status, took = served(clean, None, work / "tmp-clean")
    assert status == [200], status
    after = h.store_state(clean)
    print(f"clean upload: {took:.1f} s", flush=True)
    outcomes = []
    leftovers = 0
    db = h.copy_store(base, work / "api-killed-0.duckdb")
    for i, at in enumerate(h.spread(kills, 0.0, took * 1.02, rng)):
        tmp = work / f"tmp-{i}"
        sink, _ = served(db, at, tmp)
        leftovers += sum(1 for _ in tmp.iterdir())
        state = h.store_state(db)
        outcome, differs = h.classify(state, before, after)
        exited = sink == [200]
        o = h.KillOutcome(
            h.Kill(at, exited, None), outcome, state.check_ok, state.check_detail, state.wal_bytes, differs
        )
        outcomes.append(o)
        print(f"  server kill {i + 1:3d} at {at:6.2f} s: {outcome:7s} answer {sink}", flush=True)
        if outcome != "before":
            db = h.copy_store(base, work / f"api-killed-{i + 1}.duckdb")
    status, _ = served(db, None, work / "tmp-again")
    final = h.store_state(db)
    return {
        "clean_seconds": round(took, 2),
        **_summary(outcomes, 0.0),
        "upload_folders_left_by_kills": leftovers,
        "rerun_status": status,
        "rerun_equals_clean": final.content == after.content and final.check_ok,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--commit-kills", type=int, default=40, help="CLI kills aimed at the commit")
    ap.add_argument("--upload-kills", type=int, default=30)
    ap.add_argument("--days", type=int, default=60, help="days of the feed (the store holds the first third)")
    ap.add_argument("--seed", type=int, default=20210101)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="ecoplan-kill-"))
    try:
        t0 = time.perf_counter()
        base_days = max(2, args.days // 3)
        feed = h.make_feed(
            work / "feed", days=args.days, base_days=base_days, overlap=min(5, base_days), changed=3
        )
        print(f"feed: {len(feed.files)} files to ingest, {base_days} days stored first", flush=True)
        result = {
            "feed": {"days": args.days, "stored_first": base_days, "files": len(feed.files)},
            "cli": cli_loop(feed, work / "cli", args.kills, args.commit_kills, rng) if args.kills else None,
            "upload": upload_loop(feed, work / "api", args.upload_kills, rng) if args.upload_kills else None,
            "seconds": None,
        }
        result["seconds"] = round(time.perf_counter() - t0, 1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "kill_ingest.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written to {out}")
    bad = [
        part
        for part in ("cli", "upload")
        if result[part]
        and (
            result[part]["left_as_neither"]
            or result[part]["check_failed"]
            or not result[part]["rerun_equals_clean"]
        )
    ]
    if bad:
        raise SystemExit(f"data safety violated in: {', '.join(bad)}")


if __name__ == "__main__":
    main()
