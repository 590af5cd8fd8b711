"""``ecoplan serve`` starts a real server: fetch the OpenAPI document and endpoints over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ecoplan.api.auth import create_token
from ecoplan.store import Store


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, attempts: int = 600) -> httpx.Response:
    for _ in range(attempts):
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the server exited with {proc.returncode}: {out}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


def test_serve_answers_over_loopback(tmp_path: Path) -> None:
    db = tmp_path / "served.duckdb"
    with Store(db) as store, store.transaction():
        _, token = create_token(store, "served test", "write")
    port = _free_port()
    env = {**os.environ, "ECOPLAN_API_MAX_UPLOAD_MB": "1"}
    cmd = [
        sys.executable,
        "-c",
        "from ecoplan.cli import main; main()",
        "--db",
        str(db),
        "serve",
        "--port",
        str(port),
        "--auth-read",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        doc = _wait(f"{base}/openapi.json", proc)
        assert doc.status_code == 200 and doc.json()["info"]["title"] == "ecoplan API"
        assert doc.headers["x-frame-options"] == "DENY"
        assert "server" not in doc.headers
        # --auth-read: reads need a token
        assert httpx.get(f"{base}/api/plan", timeout=10).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        plan = httpx.get(f"{base}/api/plan", headers=auth, timeout=30)
        assert plan.status_code == 200 and plan.json()["id"] == "shanxi-2021-2025"
        up = httpx.post(
            f"{base}/api/ingest/stations",
            headers=auth,
            files={"files": ("stations.csv", "code,city,name\n1081A,太原市,尖草坪\n".encode(), "text/csv")},
            timeout=60,
        )
        assert up.status_code == 200 and up.json()["totals"]["stored"] == 1
        sites = httpx.get(f"{base}/api/sites", headers=auth, timeout=30).json()
        assert [s["code"] for s in sites["items"]] == ["1081A"]
        # the environment's upload limit (1 MiB) holds
        big = httpx.post(
            f"{base}/api/ingest/stations",
            headers=auth,
            files={"files": ("big.csv", b"code,city\n" + b"1234A,x\n" * 200_000, "text/csv")},
            timeout=60,
        )
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
