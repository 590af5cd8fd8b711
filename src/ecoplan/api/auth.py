"""API tokens: random, stored hashed, compared in constant time, scoped, revocable.

A token looks like ``ecp_<id>_<secret>``: ``id`` (8 hex digits) names the
token in lists and logs, ``secret`` is 32 random bytes (``secrets``, URL-safe
base64). The store keeps only ``sha256:<hex digest of the whole token>``; the
token itself is shown once, when it is created. SHA-256 without salt or
stretching is enough here because the token is 256 random bits, not a
password: there is no dictionary to try.

Checking a presented token: parse the id, fetch that row, compare the digest
with :func:`hmac.compare_digest` (constant time; an unknown id is compared
against a dummy digest so that both paths take the same time), then refuse a
revoked token, then compare scopes. Scopes are ordered ``read`` < ``write`` <
``admin``: a token of a scope may do everything a lower scope may.

Every refused attempt is written to the ``auth_log`` table and to the
``ecoplan.api.auth`` logger with the reason (missing, malformed, unknown,
wrong, revoked, scope), the token id when it names a stored token, the
method, path and client address. The presented token is never logged.

Clients send the token as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..store import Store, now
from .errors import ApiError

log = logging.getLogger("ecoplan.api.auth")

SCOPES = ("read", "write", "admin")
PREFIX = "ecp"
_TOKEN = re.compile(r"^ecp_([0-9a-f]{8})_([A-Za-z0-9_-]{20,128})$")
_DUMMY = "sha256:" + "0" * 64

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `ecoplan token create NAME --scope read|write|admin`.",
)


class TokenError(ValueError):
    """A token operation that cannot be done (unknown id, bad scope)."""


@dataclass(frozen=True)
class Principal:
    """Who made an authenticated request."""

    token_id: str
    name: str
    scope: str

    def allows(self, needed: str) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(needed)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise TokenError(f"unknown scope {scope!r}; one of {', '.join(SCOPES)}")
    return scope


# -- token administration (the CLI and the admin endpoints) ---------------------------


def create_token(store: Store, name: str, scope: str = "read") -> tuple[str, str]:
    """Create a token; returns ``(token_id, token)``. The token is not stored and cannot be shown again."""
    _check_scope(scope)
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name (who or what uses it)")
    if len(name) > 200:
        raise TokenError("a token name is at most 200 characters")
    for _ in range(10):
        token_id = secrets.token_hex(4)
        taken = store.con.execute("SELECT count(*) FROM api_tokens WHERE token_id = ?", [token_id]).fetchone()
        if not taken[0]:
            break
    else:  # pragma: no cover - 10 collisions in 2**32
        raise TokenError("could not find a free token id")
    token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    store.con.execute(
        "INSERT INTO api_tokens (token_id, name, token_hash, scope, created_at, revoked_at) "
        "VALUES (?, ?, ?, ?, ?, NULL)",
        [token_id, name, hash_token(token), scope, now()],
    )
    return token_id, token


def list_tokens(store_or_cursor: Any) -> list[dict[str, Any]]:
    """Every token (never its hash): id, name, scope, created, revoked, active."""
    con = getattr(store_or_cursor, "con", store_or_cursor)
    rows = con.execute(
        "SELECT token_id, name, scope, created_at, revoked_at FROM api_tokens ORDER BY created_at, token_id"
    ).fetchall()
    return [
        {
            "token_id": r[0],
            "name": r[1],
            "scope": r[2],
            "created_at": r[3],
            "revoked_at": r[4],
            "active": r[4] is None,
        }
        for r in rows
    ]


def revoke_token(store: Store, token_id: str) -> dict[str, Any]:
    """Revoke a token by id (revoking twice keeps the first time). Raises TokenError when unknown."""
    row = store.con.execute("SELECT revoked_at FROM api_tokens WHERE token_id = ?", [token_id]).fetchone()
    if row is None:
        raise TokenError(f"no token with id {token_id!r}")
    if row[0] is None:
        store.con.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", [now(), token_id])
    return next(t for t in list_tokens(store) if t["token_id"] == token_id)


# -- checking a presented token -----------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    message: str
    token_id: str | None = None


def check_token(con: Any, token: str | None, needed: str) -> Principal | Refusal:
    """The principal of ``token`` if it may do ``needed``, else why not (no side effects)."""
    if not token:
        return Refusal(
            401, "missing", f"missing token: this endpoint needs a {needed} token (Authorization: Bearer ...)"
        )
    m = _TOKEN.match(token.strip())
    if m is None:
        hmac.compare_digest(_DUMMY, _DUMMY)
        return Refusal(401, "malformed", "invalid token: not an ecoplan token (ecp_<id>_<secret>)")
    token_id = m.group(1)
    row = con.execute(
        "SELECT name, token_hash, scope, revoked_at FROM api_tokens WHERE token_id = ?", [token_id]
    ).fetchone()
    digest = hash_token(token.strip())
    if row is None:
        hmac.compare_digest(digest, _DUMMY)
        return Refusal(401, "unknown", "invalid token: unknown or wrong token")
    name, stored, scope, revoked_at = row
    if not hmac.compare_digest(digest, stored or _DUMMY):
        return Refusal(401, "wrong", "invalid token: unknown or wrong token", token_id)
    if revoked_at is not None:
        when = revoked_at.isoformat(sep=" ") if isinstance(revoked_at, dt.datetime) else str(revoked_at)
        return Refusal(401, "revoked", f"revoked token: token {token_id} was revoked at {when}", token_id)
    principal = Principal(token_id, name, scope)
    if not principal.allows(needed):
        return Refusal(
            403, "scope", f"token {token_id} has scope {scope}; this endpoint needs {needed}", token_id
        )
    return principal


def _client(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def record_refusal(request: Request, refusal: Refusal, needed: str) -> None:
    """Log a refused attempt (table and logger), without the token."""
    db = request.app.state.db
    client = _client(request)
    log.warning(
        "refused %s %s: %s (token id %s, client %s)",
        request.method,
        request.url.path,
        refusal.reason,
        refusal.token_id or "-",
        client or "-",
    )
    try:
        db.append_log(
            "INSERT INTO auth_log (time, reason, token_id, scope_needed, method, path, client) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [now(), refusal.reason, refusal.token_id, needed, request.method, request.url.path[:500], client],
        )
    except Exception:  # the refusal stands even when the log cannot be written
        log.exception("could not write the auth log")


def require(needed: str):
    """A dependency: the request's principal with at least scope ``needed``.

    For ``read`` it lets every request through (returning None) unless the
    app's settings close read endpoints (``auth_read``).
    """
    _check_scope(needed)

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Principal | None:
        if needed == "read" and not request.app.state.settings.auth_read:
            return None
        token = credentials.credentials if credentials is not None else None
        result = check_token(request.app.state.db.cursor(), token, needed)
        if isinstance(result, Refusal):
            record_refusal(request, result, needed)
            raise ApiError(
                result.status,
                {"scope": "insufficient_scope"}.get(result.reason, f"{result.reason}_token"),
                result.message,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return result

    dependency.__name__ = f"require_{needed}"
    return dependency


require_read = require("read")
require_write = require("write")
require_admin = require("admin")

ReadToken = Annotated[Principal | None, Depends(require_read)]
WriteToken = Annotated[Principal, Depends(require_write)]
AdminToken = Annotated[Principal, Depends(require_admin)]
