"""ASGI middleware: security headers, the request-body limit, the last-resort error handler.

Pure ASGI (no BaseHTTPMiddleware), so streaming bodies are not buffered.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("ecoplan.api")

# A policy for the API and a dashboard served from the same origin with its own
# Plotly bundle: scripts only from this origin (no inline script, no eval);
# inline styles allowed because Plotly sets style attributes and injects
# <style> elements; images from this origin and data:/blob: URLs (Plotly's
# image export); no framing by other sites; no plugins. The WebGL traces of
# Plotly's full bundle (scattergl ...) compile shaders' glue code with
# ``new Function``: a dashboard using them needs Plotly's strict bundle or
# 'unsafe-eval' added through ``app.state.content_security_policy``.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def _json_error(status: int, code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode("utf-8")


class SecurityHeaders:
    """Adds the security headers to every HTTP response and turns an unhandled error into a JSON 500.

    The policy is read from ``app.state.content_security_policy`` at each
    response, so the dashboard can adjust it when it installs itself.
    """

    def __init__(self, app: ASGIApp, *, state: Any = None):
        self.app = app
        self.state = state

    def _headers(self) -> list[tuple[bytes, bytes]]:
        csp = getattr(self.state, "content_security_policy", None) or CONTENT_SECURITY_POLICY
        items = {**SECURITY_HEADERS, "content-security-policy": csp}
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in items.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        extra = self._headers()

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = _json_error(
                500, "internal_error", "internal error: the server could not answer this request"
            )
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": body})


class _Answer:
    """A complete response kept by :class:`ResponseCache`."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def nbytes(self) -> int:
        return len(self.body) + 64 * len(self.headers)


class ResponseCache:
    """Keeps whole answers of open GET requests for one version of the data.

    The result cache (:mod:`ecoplan.api.cache`) saves building an assessment,
    but turning a year of rows into JSON costs tens of milliseconds on every
    request. Answers of ``GET /api/...`` (status 200) are therefore kept whole,
    keyed by path, query and the format asked (``Accept``), for one
    :attr:`~ecoplan.api.db.Database.version` (every write through the app moves
    it on; no other process can write the store meanwhile), in the same byte
    budget as the result cache. Only while read endpoints are open (the
    default): with ``auth_read`` every request goes through its token check.
    Token administration and the auth log are never kept.
    """

    PRIVATE = ("/api/tokens", "/api/auth-log")

    def __init__(self, app: ASGIApp, *, state: Any):
        self.app = app
        self.state = state

    def _key(self, scope: Scope) -> tuple | None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            return None
        path = scope.get("path", "")
        if not path.startswith("/api/") or path.startswith(self.PRIVATE):
            return None
        if self.state.settings.auth_read or not self.state.cache.enabled:
            return None
        accept = b""
        for k, v in scope.get("headers", []):
            if k == b"accept":
                accept = v
        wants_csv = b"text/csv" in accept and b"application/json" not in accept
        return ("answer", path, scope.get("query_string", b""), wants_csv)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        cache, version = self.state.cache, self.state.db.version
        hit = cache.get(key, version)
        if hit is not None:
            await send({"type": "http.response.start", "status": hit.status, "headers": hit.headers})
            await send({"type": "http.response.body", "body": hit.body})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def keeping_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start.get("status") == 200:
                    cache.put(key, version, _Answer(200, list(start.get("headers", [])), b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, keeping_send)


class RejectNul:
    """Refuses (422) a request whose path or query holds a NUL character.

    No name, code or date holds one, and the engine cannot take one: Ibis
    writes filter values into the SQL text as quoted literals, and DuckDB's
    parser stops at a NUL, so the query would fail with a parser error (a
    500) instead of an answer naming the bad parameter.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            from urllib.parse import unquote_to_bytes

            query = scope.get("query_string", b"")
            if "\x00" in scope.get("path", "") or b"\x00" in unquote_to_bytes(query.replace(b"+", b" ")):
                body = _json_error(
                    422, "invalid_parameter", "invalid parameter: a path or query value holds a NUL character"
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 422,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _TooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=f"file too large: the request body is above {limit} bytes")


class BodyLimit:
    """Refuses request bodies above a limit (413), before or while they are read.

    ``limits`` maps path prefixes to byte limits; other requests get
    ``default``. A declared ``Content-Length`` above the limit is refused
    without reading; a streamed body is counted and cut at the limit.
    """

    def __init__(self, app: ASGIApp, *, limits: dict[str, int], default: int):
        self.app = app
        self.limits = sorted(limits.items(), key=lambda kv: -len(kv[0]))
        self.default = default

    def _limit(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = None
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    declared = int(v)
                except ValueError:
                    declared = None
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = _json_error(
            413, "too_large", f"file too large: the request body is above the limit of {limit} bytes"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class TokenGate:
    """Checks the token of a write or admin request before its body is read.

    The endpoints check the token again (their dependencies also document it
    in the OpenAPI document); this gate makes sure an upload without a valid
    token is refused before a single byte of it is parsed or spooled to disk.
    ``rules`` are ``(methods, path prefix, scope needed)``.
    """

    def __init__(self, app: ASGIApp, *, rules: list[tuple[frozenset[str], str, str]], state: Any):
        self.app = app
        self.rules = rules
        self.state = state

    def _needed(self, method: str, path: str) -> str | None:
        for methods, prefix, needed in self.rules:
            if method in methods and path.startswith(prefix):
                return needed
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        needed = self._needed(scope.get("method", ""), scope.get("path", ""))
        if needed is None:
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request

        from .auth import Refusal, check_token, record_refusal

        request = Request(scope)
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        token = token.strip() if kind.lower() == "bearer" else ""
        db = self.state.db
        result = await run_in_threadpool(lambda: check_token(db.cursor(), token or None, needed))
        if isinstance(result, Refusal):
            await run_in_threadpool(record_refusal, request, result, needed)
            code = "insufficient_scope" if result.reason == "scope" else f"{result.reason}_token"
            body = _json_error(result.status, code, result.message)
            await send(
                {
                    "type": "http.response.start",
                    "status": result.status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b"Bearer"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        # the endpoint's own dependency checks again; no need to log twice
        await self.app(scope, receive, send)
