"""Errors as JSON: ``{"error": {"code": ..., "message": ...}}``, never a stack trace.

Handlers turn every failure into that shape: :class:`ApiError` raised by the
endpoints, request validation errors (a bad date, a year that is not a
number, a value outside a list), HTTP errors of the framework (unknown path,
method not allowed, body too large) and, as a last resort, any other
exception (500, logged on the server with its traceback, a generic message to
the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("ecoplan.api")


class ApiError(Exception):
    """An error the client can act on: HTTP status, a stable code and a message naming the problem."""

    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Body of every error response."""

    error: ErrorDetail


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
) -> JSONResponse:
    return JSONResponse(error_body(code, message, **details), status_code=status, headers=headers)


# Documented on every route: the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request"},
    404: {"model": ErrorBody, "description": "Unknown code or id"},
    422: {"model": ErrorBody, "description": "Invalid parameter"},
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, unknown or revoked token"},
    403: {"model": ErrorBody, "description": "Token scope too low"},
}

READ_RESPONSES = {**ERROR_RESPONSES, **AUTH_RESPONSES}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_type",
    429: "too_many_requests",
}


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if not parts:
        return "request"
    where = {"query": "query parameter", "path": "path parameter", "body": "body field", "header": "header"}
    head = where.get(parts[0])
    if head is None:
        return ".".join(parts)
    name = parts[1] if len(parts) > 1 else ""
    return f"{head} {name!r}" if name else head


def validation_message(exc: RequestValidationError) -> str:
    """'query parameter 'start': Input should be a valid date (got '2019-13-01')'; several joined by '; '."""
    out = []
    for err in exc.errors()[:5]:
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        got = err.get("input")
        shown = ""
        if got is not None and not isinstance(got, dict | list) and err.get("type") != "missing":
            text = str(got)
            shown = f" (got {text[:60]!r})"
        out.append(f"{_location(err.get('loc', ()))}: {msg}{shown}")
    return "; ".join(out) or "invalid request"


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = exc.details.pop("headers", None)
        return error_response(exc.status, exc.code, exc.message, headers=headers, **exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_parameter", validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        elif exc.status_code == 413:
            message = str(exc.detail)
            if not message.startswith("file too large"):
                message = "file too large: the request body is above the upload limit"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))
