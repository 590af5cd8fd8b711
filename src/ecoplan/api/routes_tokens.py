"""Token administration over HTTP (``admin`` scope); the same operations as ``ecoplan token``.

The first admin token can only come from the command line
(``ecoplan token create NAME --scope admin``): nothing over HTTP creates a
token without one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from .auth import AdminToken, TokenError, create_token, list_tokens, revoke_token
from .common import backend_of, date_range, db_of
from .errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError
from .respond import TABLE_RESPONSES, Lazy, PageDep, from_rows, respond

router = APIRouter(prefix="/api", tags=["tokens"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})

NO_STORE = {"Cache-Control": "no-store"}


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Who or what uses the token.")
    scope: Literal["read", "write", "admin"] = Field("read", description="read, write or admin.")


class TokenInfo(BaseModel):
    token_id: str
    name: str
    scope: str
    created_at: dt.datetime | None
    revoked_at: dt.datetime | None
    active: bool


class CreatedToken(TokenInfo):
    token: str = Field(description="The token: shown once, not stored (only its hash is).")


def _info(t: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in t.items()}


@router.get("/tokens", summary="List tokens", responses=TABLE_RESPONSES)
def tokens(request: Request, page: PageDep, _p: AdminToken) -> Response:
    """Every token: id, name, scope, when created and revoked (never the token or its hash)."""
    items = list_tokens(db_of(request).cursor())
    r = respond(request, from_rows(items), page, name="tokens")
    r.headers.update(NO_STORE)
    return r


@router.post("/tokens", summary="Create a token", status_code=201, response_model=CreatedToken)
def create(request: Request, _p: AdminToken, body: NewToken) -> JSONResponse:
    """Create a token. The response holds the token once; store it where its user keeps secrets."""
    with db_of(request).writing() as store:
        try:
            token_id, token = create_token(store, body.name, body.scope)
        except TokenError as exc:
            raise ApiError(422, "invalid_parameter", str(exc)) from exc
        info = next(t for t in list_tokens(store) if t["token_id"] == token_id)
    return JSONResponse({**_info(info), "token": token}, status_code=201, headers=NO_STORE)


@router.delete("/tokens/{token_id}", summary="Revoke a token", response_model=TokenInfo)
def revoke(request: Request, _p: AdminToken, token_id: str) -> JSONResponse:
    """Revoke a token: every later request with it is refused (401, revoked token)."""
    with db_of(request).writing() as store:
        try:
            info = revoke_token(store, token_id)
        except TokenError as exc:
            raise ApiError(404, "unknown_token", str(exc)) from exc
    return JSONResponse(_info(info), headers=NO_STORE)


@router.get("/auth-log", summary="Refused requests", responses=TABLE_RESPONSES)
def auth_log(
    request: Request,
    page: PageDep,
    _p: AdminToken,
    reason: Annotated[
        list[Literal["missing", "malformed", "unknown", "wrong", "revoked", "scope"]] | None,
        Query(description="Why the request was refused (repeatable)."),
    ] = None,
    start: Annotated[dt.date | None, Query(description="From this day.")] = None,
    end: Annotated[dt.date | None, Query(description="Up to this day.")] = None,
) -> Response:
    """Requests refused for want of a valid token, newest first: time, reason, token id (when it
    names a stored token), method, path and client address. Tokens are never logged."""
    s, e = date_range(start, end)
    t = backend_of(request).table("auth_log")
    if reason:
        t = t.filter(t.reason.isin(list(reason)))
    if s is not None:
        t = t.filter(t.time >= dt.datetime.combine(s, dt.time()))
    if e is not None:
        t = t.filter(t.time < dt.datetime.combine(e + dt.timedelta(days=1), dt.time()))
    return respond(request, Lazy(t, [t.time.desc(), t.path, t.reason]), page, name="auth-log")
