"""Tokens: none, malformed, unknown, wrong, revoked, too low a scope; storage; the log; the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoplan.api import Settings
from ecoplan.api import auth as auth_module
from ecoplan.cli import app as cli_app
from ecoplan.store import Store

from .conftest import Api, make_api

runner = CliRunner()
CSV = ("stations.csv", b"code,city\n9001A,Test City\n", "text/csv")


def _post(api: Api, headers: dict[str, str] | None = None):
    return api.client.post("/api/ingest/stations", files=[("files", CSV)], headers=headers or {})


def _log(api: Api) -> list[tuple]:
    return api.store.con.execute(
        "SELECT reason, token_id, scope_needed, method, path FROM auth_log ORDER BY time, reason"
    ).fetchall()


def _refused(res, status: int, code: str) -> str:
    assert res.status_code == status, res.text
    err = res.json()["error"]
    assert err["code"] == code
    assert res.headers.get("www-authenticate") == "Bearer"
    return err["message"]


def test_no_token(fresh: Api) -> None:
    msg = _refused(_post(fresh), 401, "missing_token")
    assert "needs a write token" in msg
    assert _log(fresh) == [("missing", None, "write", "POST", "/api/ingest/stations")]
    assert fresh.counts()["sites"] == 0


def test_malformed_unknown_and_wrong_tokens(fresh: Api) -> None:
    good = fresh.tokens["write"]
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")  # right id, wrong secret
    unknown = "ecp_00000000_" + good.split("_", 2)[2]  # a secret under an id that does not exist
    _refused(_post(fresh, {"Authorization": "Bearer not-a-token"}), 401, "malformed_token")
    _refused(_post(fresh, {"Authorization": f"Bearer {unknown}"}), 401, "unknown_token")
    _refused(_post(fresh, {"Authorization": f"Bearer {wrong}"}), 401, "wrong_token")
    _refused(_post(fresh, {"Authorization": f"Basic {good}"}), 401, "missing_token")
    reasons = sorted((r[0], r[1]) for r in _log(fresh))
    assert reasons == [
        ("malformed", None),
        ("missing", None),
        ("unknown", None),  # an id no token has is not recorded
        ("wrong", fresh.token_ids["write"]),
    ]
    assert fresh.counts()["sites"] == 0


def test_revoked_token(fresh: Api) -> None:
    msg = _refused(_post(fresh, fresh.auth("revoked")), 401, "revoked_token")
    assert fresh.token_ids["revoked"] in msg and "revoked" in msg
    assert _log(fresh)[-1][:2] == ("revoked", fresh.token_ids["revoked"])


def test_read_token_on_a_write_endpoint(fresh: Api) -> None:
    msg = _refused(_post(fresh, fresh.auth("read")), 403, "insufficient_scope")
    assert "scope read" in msg and "needs write" in msg
    assert _log(fresh)[-1][:3] == ("scope", fresh.token_ids["read"], "write")


def test_write_and_admin_tokens_may_upload(fresh: Api) -> None:
    assert _post(fresh, fresh.auth("write")).status_code == 200
    assert _post(fresh, fresh.auth("admin")).status_code == 200
    assert _log(fresh) == []


def test_the_log_and_the_store_never_hold_a_token(fresh: Api) -> None:
    good = fresh.tokens["write"]
    secret = good.split("_", 2)[2]
    _post(fresh, {"Authorization": f"Bearer {good[:-1]}x"})
    _post(fresh, {"Authorization": "Bearer ecp_12345678_" + secret})
    stored = fresh.store.con.execute("SELECT token_id, token_hash FROM api_tokens").fetchall()
    hashes = dict(stored)
    assert hashes[fresh.token_ids["write"]] == "sha256:" + hashlib.sha256(good.encode()).hexdigest()
    text = " ".join(
        str(v) for row in fresh.store.con.execute("SELECT * FROM auth_log").fetchall() for v in row
    )
    text += " ".join(
        str(v) for row in fresh.store.con.execute("SELECT * FROM api_tokens").fetchall() for v in row
    )
    for token in fresh.tokens.values():
        assert token.split("_", 2)[2] not in text
    assert secret[:16] not in text


def test_tokens_are_compared_in_constant_time(fresh: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = auth_module.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_module.hmac, "compare_digest", spy)
    _post(fresh, fresh.auth("write"))
    _post(fresh, {"Authorization": "Bearer ecp_00000000_" + "x" * 43})
    assert len(calls) >= 2  # the known id and the unknown one both go through compare_digest


def test_tokens_are_random(fresh: Api) -> None:
    with fresh.store.transaction():
        made = [auth_module.create_token(fresh.store, f"t{i}", "read")[1] for i in range(20)]
    assert len(set(made)) == 20
    assert all(len(t.split("_", 2)[2]) >= 43 for t in made)  # 32 random bytes, URL-safe base64


def test_token_administration_over_http(fresh: Api) -> None:
    c = fresh.client
    _refused(c.get("/api/tokens", headers=fresh.auth("write")), 403, "insufficient_scope")
    _refused(
        c.post("/api/tokens", json={"name": "x"}, headers=fresh.auth("write")), 403, "insufficient_scope"
    )
    listed = c.get("/api/tokens", headers=fresh.auth("admin"))
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    items = listed.json()["items"]
    assert {t["token_id"] for t in items} == set(fresh.token_ids.values())
    assert all("token_hash" not in t and "token" not in t for t in items)
    made = c.post("/api/tokens", json={"name": "station feed", "scope": "write"}, headers=fresh.auth("admin"))
    assert made.status_code == 201
    new = made.json()
    assert new["scope"] == "write" and new["token"].startswith(f"ecp_{new['token_id']}_")
    assert _post(fresh, {"Authorization": f"Bearer {new['token']}"}).status_code == 200
    gone = c.delete(f"/api/tokens/{new['token_id']}", headers=fresh.auth("admin"))
    assert gone.status_code == 200 and gone.json()["active"] is False
    _refused(_post(fresh, {"Authorization": f"Bearer {new['token']}"}), 401, "revoked_token")
    assert c.delete("/api/tokens/ffffffff", headers=fresh.auth("admin")).status_code == 404
    bad = c.post("/api/tokens", json={"name": "x", "scope": "root"}, headers=fresh.auth("admin"))
    assert bad.status_code == 422
    log = c.get("/api/auth-log", headers=fresh.auth("admin")).json()["items"]
    assert {r["reason"] for r in log} == {"scope", "revoked"}
    assert (
        c.get("/api/auth-log", params={"reason": "revoked"}, headers=fresh.auth("admin")).json()["total"] == 1
    )


def test_read_endpoints_open_by_default_closable_by_setting(tmp_path: Path) -> None:
    store = Store(tmp_path / "closed.duckdb")
    try:
        open_api = make_api(store)
        assert open_api.client.get("/api/sites").status_code == 200
        closed = make_api(store, Settings(auth_read=True))
        for path in ("/api/sites", "/api/plan", "/api/air/daily", "/api/status"):
            _refused(closed.client.get(path), 401, "missing_token")
            assert closed.client.get(path, headers=closed.auth("read")).status_code == 200
        _refused(closed.client.get("/api/sites", headers=closed.auth("revoked")), 401, "revoked_token")
        # the OpenAPI document stays readable: it holds no data
        assert closed.client.get("/openapi.json").status_code == 200
    finally:
        store.close()


def test_token_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    made = runner.invoke(cli_app, ["--db", db, "token", "create", "feeder", "--scope", "write"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("ecp_")
    token_id = token.split("_")[1]
    listed = runner.invoke(cli_app, ["--db", db, "token", "list"])
    assert listed.exit_code == 0 and token_id in listed.output and "feeder" in listed.output
    assert token.split("_", 2)[2] not in listed.output
    revoked = runner.invoke(cli_app, ["--db", db, "token", "revoke", token_id])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    with Store(db) as store:
        row = store.con.execute(
            "SELECT scope, revoked_at FROM api_tokens WHERE token_id = ?", [token_id]
        ).fetchone()
        assert row[0] == "write" and row[1] is not None
        assert isinstance(auth_module.check_token(store.con, token, "read"), auth_module.Refusal)
    assert runner.invoke(cli_app, ["--db", db, "token", "create", "x", "--scope", "root"]).exit_code == 2
    assert runner.invoke(cli_app, ["--db", db, "token", "revoke", "nope"]).exit_code == 1
