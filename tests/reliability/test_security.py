"""Hostile requests: tokens, uploads, file names, temporary files, headers, CORS.

Tokens are random, stored only as a hash (the secret is found nowhere in the
database file), compared in constant time on every path, scoped, revocable;
refused attempts are logged without the token (table and server log). Uploads
are limited in size (declared or streamed), checked for type, and the client's
file name never becomes a path; temporary files are gone after every kind of
answer. Every page, dashboard pages included, carries the security headers,
and no cross-origin access is granted by default.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import re
import tempfile
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ecoplan.api import Settings, create_app
from ecoplan.api import auth as auth_module
from ecoplan.api.auth import check_token, create_token, hash_token, revoke_token
from ecoplan.store import Store

from . import harness as h

STATIONS_CSV = "code,city,name\n1081A,太原市,尖草坪\n1082A,太原市,涧河\n".encode()


@pytest.fixture
def api(tmp_path: Path):
    store = Store(tmp_path / "sec.duckdb")
    tokens = {}
    with store.transaction():
        for scope in ("read", "write", "admin"):
            tokens[scope] = create_token(store, f"sec {scope}", scope)
    with TestClient(create_app(store)) as client:
        yield client, store, tokens
    store.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- tokens ---------------------------------------------------------------------------------


def test_tokens_are_random_and_only_their_hash_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "tokens.duckdb"
    with Store(db) as store, store.transaction():
        made = [create_token(store, f"t{i}", "read") for i in range(200)]
    secrets = [t.split("_", 2)[2] for _, t in made]
    assert len({t for _, t in made}) == len({i for i, _ in made}) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", s) for s in secrets)  # 32 random bytes
    # no two secrets share a long prefix (they are not counters or timestamps)
    assert max(len(_common_prefix(a, b)) for a, b in itertools.pairwise(secrets)) < 6
    with Store(db) as store:
        stored = dict(store.con.execute("SELECT token_id, token_hash FROM api_tokens").fetchall())
        store.con.execute("CHECKPOINT")
    assert all(stored[i] == "sha256:" + hashlib.sha256(t.encode()).hexdigest() for i, t in made)
    raw = db.read_bytes() + (
        db.with_name(db.name + ".wal").read_bytes() if db.with_name(db.name + ".wal").exists() else b""
    )
    assert not any(s.encode() in raw for s in secrets)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def test_every_path_of_the_token_check_compares_once_in_constant_time(
    api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, store, tokens = api
    _token_id, token = tokens["write"]
    revoked_id, revoked = create_token(store, "to revoke", "admin")
    revoke_token(store, revoked_id)
    calls: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def recording(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth_module.hmac, "compare_digest", recording)
    cases = {
        "malformed": ("not-a-token", "read"),
        "unknown": (f"ecp_{'0' * 8}_{token.split('_', 2)[2]}", "read"),
        "wrong": (token[:-1] + ("A" if token[-1] != "A" else "B"), "read"),
        "revoked": (revoked, "read"),
        "scope": (token, "admin"),
        "ok": (token, "write"),
    }
    for reason, (presented, needed) in cases.items():
        calls.clear()
        result = check_token(store.con, presented, needed)
        assert getattr(result, "reason", "ok") == reason
        # one comparison of two digests of equal length, whatever the outcome
        assert calls == [(len(hash_token(token)), len(hash_token(token)))], (reason, calls)
    # and nowhere a plain == on a secret or a digest
    source = Path(auth_module.__file__).read_text()
    assert not re.search(r"(digest|token_hash|stored|secret)\s*[!=]=", source)


def test_scopes_and_revocation(api) -> None:
    client, _store, tokens = api
    files = {"files": ("stations.csv", STATIONS_CSV, "text/csv")}
    assert (
        client.post("/api/ingest/stations", files=files, headers=_bearer(tokens["read"][1])).status_code
        == 403
    )
    assert client.get("/api/tokens", headers=_bearer(tokens["write"][1])).status_code == 403
    assert (
        client.post("/api/ingest/stations", files=files, headers=_bearer(tokens["write"][1])).status_code
        == 200
    )
    assert client.get("/api/tokens", headers=_bearer(tokens["admin"][1])).status_code == 200
    # revoked by an admin over HTTP: refused from the next request on
    res = client.delete(f"/api/tokens/{tokens['write'][0]}", headers=_bearer(tokens["admin"][1]))
    assert res.status_code == 200
    again = client.post("/api/ingest/stations", files=files, headers=_bearer(tokens["write"][1]))
    assert again.status_code == 401 and again.json()["error"]["code"] == "revoked_token"


def test_refused_attempts_are_logged_without_the_token(tmp_path: Path) -> None:
    """Over a real server: the auth log table and the server's own log name the attempt, not the token."""
    db = tmp_path / "served.duckdb"
    with Store(db) as store, store.transaction():
        token_id, token = create_token(store, "real", "read")
    wrong = token[:-6] + "Zz9Zz9"
    unknown = "ecp_deadbeef_" + "Q" * 43
    with h.Server(db, "--log-level", "info") as server:
        server.wait_ready()
        for presented in (wrong, unknown, token, "garbage-token-text-XYZ"):
            res = httpx.post(
                f"{server.base}/api/ingest/stations",
                headers=_bearer(presented),
                files={"files": ("s.csv", STATIONS_CSV, "text/csv")},
                timeout=60,
            )
            assert res.status_code in (401, 403)
            assert presented not in res.text
        output = server.output()
    with Store(db) as store:
        rows = store.con.execute("SELECT * FROM auth_log").fetchall()
    reasons = sorted(r[1] for r in rows)
    assert reasons.count("wrong") >= 1 and reasons.count("unknown") >= 1 and "scope" in reasons
    text = repr(rows) + output
    for secret in (wrong, unknown, token, "garbage-token-text-XYZ", token.split("_", 2)[2]):
        assert secret not in text
    assert token_id in repr(rows)  # the id names the token without revealing it


# -- uploads --------------------------------------------------------------------------------


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder uploads are staged in, watched by the tests."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _multipart(filename: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand, so that any bytes can stand in the file name."""
    boundary = "ecoplanboundary7d3f"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="'
        + filename
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


HOSTILE_NAMES = [
    b"../../etc/passwd",
    b"../../../../../../tmp/evil.csv",
    b"/etc/passwd.csv",
    b"/tmp/evil-absolute.csv",
    b"..\\..\\windows\\evil.csv",
    b"C:\\evil.csv",
    b"evil\x00.csv",
    b"a.csv\x00../../x",
    b"%2e%2e%2fevil.csv",
    b"....//....//evil.csv",
    b"~/.ssh/authorized_keys.csv",
    b"con.csv",
    b".csv",
    b"..",
    b"evil\r\nX-Header: 1.csv",
    "数据/../../评估.csv".encode(),
    b"x" * 5000 + b".csv",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_client_file_names_never_become_paths(api, scratch: Path, tmp_path: Path, name: bytes) -> None:
    client, store, tokens = api
    body, ctype = _multipart(name, STATIONS_CSV)
    res = client.post(
        "/api/ingest/stations", content=body, headers={**_bearer(tokens["write"][1]), "Content-Type": ctype}
    )
    assert res.status_code in (200, 400, 415, 422), res.text
    for outside in (Path("/tmp/evil.csv"), Path("/tmp/evil-absolute.csv"), tmp_path / "evil.csv"):
        assert not outside.exists()
    assert list(scratch.iterdir()) == []
    for (file,) in store.con.execute("SELECT file FROM ingest_log").fetchall():
        assert file.startswith("upload/") and "/" not in file[7:] and "\\" not in file
        assert "\x00" not in file and ".." not in file and len(file) <= 7 + 120


def test_types_are_checked_before_anything_is_read(api, scratch: Path) -> None:
    client, store, tokens = api
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("x.txt", "not a workbook")
    for name, data in [
        ("tool.exe", b"MZ\x90\x00"),
        ("stations.csv", b"code,city\n1081A,\x00\x00\n"),
        ("book.xlsx", b"code,city\n1081A,x\n"),
        ("data.parquet", b"PK\x03\x04 not parquet"),
        ("noext", STATIONS_CSV),
    ]:
        res = client.post(
            "/api/ingest/stations",
            files={"files": (name, data, "text/csv")},
            headers=_bearer(tokens["write"][1]),
        )
        assert res.status_code == 415, (name, res.text)
        assert res.json()["error"]["code"] == "unsupported_type"
    assert store.con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0
    assert list(scratch.iterdir()) == []


def test_size_limits_hold_for_declared_and_streamed_bodies(tmp_path: Path) -> None:
    """Over a real server: a declared Content-Length above the limit, and a chunked body
    without one, are both refused with 413; nothing is stored and no temporary file is left."""
    db = tmp_path / "limits.duckdb"
    token = h.make_token(db)
    tmp = tmp_path / "server-tmp"
    tmp.mkdir()
    big = b"code,city\n" + b"1234A,x\n" * 200_000  # 1.6 MB
    with h.Server(db, "--max-upload-mb", "1", env={"TMPDIR": str(tmp)}) as server:
        server.wait_ready()
        declared = httpx.post(
            f"{server.base}/api/ingest/stations",
            headers=_bearer(token),
            files={"files": ("big.csv", big, "text/csv")},
            timeout=60,
        )
        assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"
        body, ctype = _multipart(b"big.csv", big)

        def chunks():
            for i in range(0, len(body), 65536):
                yield body[i : i + 65536]

        try:
            streamed = httpx.post(
                f"{server.base}/api/ingest/stations",
                headers={**_bearer(token), "Content-Type": ctype},
                content=chunks(),
                timeout=60,
            )
            assert streamed.status_code == 413
        except httpx.TransportError:
            pass  # the server may close the connection while the client still sends
        # a small upload still works afterwards
        ok = httpx.post(
            f"{server.base}/api/ingest/stations",
            headers=_bearer(token),
            files={"files": ("s.csv", STATIONS_CSV, "text/csv")},
            timeout=60,
        )
        assert ok.status_code == 200
    assert list(tmp.iterdir()) == []
    with Store(db) as store:
        assert store.con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 1


def test_temporary_files_are_removed_whatever_the_answer(api, scratch: Path, monkeypatch) -> None:
    client, _store, tokens = api
    write = _bearer(tokens["write"][1])
    answers = [
        client.post(
            "/api/ingest/stations", files={"files": ("s.csv", STATIONS_CSV, "text/csv")}, headers=write
        ),
        client.post(
            "/api/ingest/stations", files={"files": ("bad.csv", b"\xff\xfe\xfa", "text/csv")}, headers=write
        ),
        client.post("/api/ingest/air", files={"files": ("x.exe", b"MZ", "text/csv")}, headers=write),
    ]
    assert [a.status_code for a in answers] == [200, 422, 415]
    assert list(scratch.iterdir()) == []
    # an error inside the ingest (the store failing) answers 500 and still cleans up
    from ecoplan.api import uploads

    def broken(*_a, **_k):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(uploads, "ingest_files", broken)
    failing = TestClient(client.app, raise_server_exceptions=False)
    res = failing.post(
        "/api/ingest/stations", files={"files": ("s.csv", STATIONS_CSV, "text/csv")}, headers=write
    )
    assert res.status_code == 500 and "disk full" not in res.text
    assert list(scratch.iterdir()) == []


# -- headers and CORS -----------------------------------------------------------------------

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def test_security_headers_on_every_page_and_no_cors_by_default(api) -> None:
    """Every GET route without path parameters (API, OpenAPI document, dashboard pages when the
    dashboard is installed, a static file) carries the headers; no CORS header is ever sent."""
    client, _store, _tokens = api
    paths = sorted(
        r.path
        for r in client.app.routes
        if "GET" in getattr(r, "methods", set())
        and "{" not in r.path
        and not r.path.startswith("/api/tokens")
    )
    paths = [p for p in paths if p not in ("/api/auth-log",)]
    static = next((r for r in client.app.routes if getattr(r, "path", "") == "/static"), None)
    if static is not None:
        folder = Path(getattr(static.app, "directory", "") or "")
        files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        if files:
            paths.append("/static/" + files[0].relative_to(folder).as_posix())
    assert "/" in paths and "/openapi.json" in paths
    origin = {"Origin": "https://evil.example"}
    for path in paths:
        params = (
            {"year": 2021, "start": "2021-01-01", "end": "2021-01-01"} if path.startswith("/api/") else {}
        )
        res = client.get(path, params=params, headers=origin)
        assert res.status_code < 500, (path, res.status_code)
        for k, v in HEADERS.items():
            assert res.headers.get(k) == v, (path, k, res.headers.get(k))
        csp = res.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, (path, csp)
        assert not any(k.lower().startswith("access-control-") for k in res.headers), path
    pre = client.options("/api/sites", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers


def test_a_wildcard_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="wildcard"):
        Settings(cors_origins=("*",))


def test_a_nul_character_in_a_filter_is_a_client_error(api) -> None:
    """Found by schemathesis: a NUL in a filter value stopped DuckDB's parser inside the quoted
    literal Ibis wrote (a 500). It is refused as a bad parameter before reaching the engine."""
    client, store, _tokens = api
    before = store.con.execute("SELECT count(*) FROM sites").fetchone()[0]
    for path, params in [
        ("/api/sites", {"code": "1081A\x00' OR 1=1 --"}),
        ("/api/gauges", {"river": ["汾河", "\x00"]}),
        ("/api/air/daily", {"by": "city", "city": "太原市\x00"}),
        ("/api/warnings/abc%00def", {}),
    ]:
        res = client.get(path, params=params)
        assert res.status_code == 422, (path, res.status_code, res.text)
        assert res.json()["error"]["code"] == "invalid_parameter"
    assert store.con.execute("SELECT count(*) FROM sites").fetchone()[0] == before
