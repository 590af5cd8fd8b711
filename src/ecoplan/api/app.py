"""The FastAPI application: :func:`create_app`.

``create_app(db_path, settings)`` opens the store (or takes an open
:class:`~ecoplan.store.Store`), loads the plan, and assembles the routers,
the JSON error handlers and the middleware (security headers on every
response, a request-body limit, CORS only when origins are configured).
The OpenAPI document is at ``/openapi.json``; the interactive docs pages are
off because they load their scripts from a CDN and nothing here may fetch
from the internet.

The dashboard hook
------------------
When a package ``ecoplan.web`` exists and defines ``install(app)``, it is
called last, after every API route: it may add pages under ``/`` and mount
``/static``, and may set ``app.state.content_security_policy`` if its pages
need a different policy (the default one allows scripts and styles from the
same origin, inline styles and data:/blob: images, which Plotly served from
the same origin needs). Without it ``/`` answers with a pointer to the
OpenAPI document.

Concurrency: see :mod:`ecoplan.api.db`. Security: :mod:`ecoplan.api.auth`
(tokens), :mod:`ecoplan.api.uploads` (files), :mod:`ecoplan.api.middleware`
(headers and body limit).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from ..plan import PlanError, resolve_plan
from ..store import Store
from . import errors
from .cache import ResultCache
from .db import Database
from .middleware import (
    CONTENT_SECURITY_POLICY,
    BodyLimit,
    RejectNul,
    ResponseCache,
    SecurityHeaders,
    TokenGate,
)
from .settings import Settings

log = logging.getLogger("ecoplan.api")

# Bodies of other requests (token creation) are small.
SMALL_BODY = 64 * 1024
# Requests whose token is checked before their body is read (methods, path prefix, scope).
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GATED = [(_WRITES, "/api/ingest", "write"), (_WRITES, "/api/tokens", "admin")]

DESCRIPTION = """\
The figures of ecoplan over HTTP: the plan and where each target stands,
indicator values, air quality (hourly and daily AQI, HJ 663 statistics, the
composite-index ranking), surface water (GB 3838 classes, attainment, TLI),
eco-flow compliance, warnings, and what is stored (stations, sections,
gauges, the ingest log and its rejects).

**Tables.** List endpoints answer with `{"items": [...], "total": N, "limit": L,
"offset": O}` (and `X-Total-Count`), or with CSV (UTF-8 with BOM, for Excel)
when asked with `format=csv` or `Accept: text/csv`. `limit` has a maximum; a
larger one is refused. Repeatable filters are given as `?city=太原市&city=大同市`.
Times are naive China Standard Time; an hourly value is labelled by the end of
its hour.

**Errors** are JSON: `{"error": {"code": "...", "message": "..."}}`.

**Tokens.** Read endpoints are open unless the server requires a read token;
uploads need a `write` token, token administration an `admin` token. Send
`Authorization: Bearer <token>`. Tokens are created with
`ecoplan token create NAME --scope read|write|admin`.
"""

TAGS = [
    {"name": "plan", "description": "The plan, its targets, their status and indicator values."},
    {"name": "air", "description": "Air quality (HJ 633 AQI, HJ 663 statistics, GB 3095)."},
    {"name": "water", "description": "Surface water (GB 3838-2002, 2011 assessment method, TLI)."},
    {"name": "flow", "description": "Ecological flow."},
    {"name": "warnings", "description": "Warnings: active and past."},
    {"name": "meta", "description": "Stations, sections, gauges; health."},
    {"name": "ingest", "description": "Uploads (write scope) and the ingest log."},
    {"name": "tokens", "description": "Token administration (admin scope)."},
]

ROUTER_MODULES = (
    "routes_meta",
    "routes_plan",
    "routes_air",
    "routes_water",
    "routes_flow",
    "routes_warnings",
    "routes_ingest",
    "routes_tokens",
)


def _version() -> str:
    try:
        return version("ecoplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def create_app(db_path: str | Path | Store, settings: Settings | None = None) -> FastAPI:
    """The API over the store at ``db_path`` (a path, or an open Store the caller keeps owning)."""
    settings = settings or Settings()
    try:
        plan = resolve_plan(settings.plan)
    except PlanError as exc:
        raise ValueError(f"cannot serve the plan: {exc}") from exc
    db = Database(db_path)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.close()

    app = FastAPI(
        title="ecoplan API",
        version=_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.plan = plan
    app.state.cache = ResultCache(settings.cache_bytes)
    app.state.content_security_policy = CONTENT_SECURITY_POLICY
    errors.install(app)
    for name in ROUTER_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        app.include_router(module.router)

    # middleware: the last added is the outermost
    app.add_middleware(ResponseCache, state=app.state)
    app.add_middleware(RejectNul)
    app.add_middleware(BodyLimit, limits={"/api/ingest": settings.max_upload_bytes}, default=SMALL_BODY)
    app.add_middleware(TokenGate, rules=GATED, state=app.state)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["X-Total-Count", "X-Limit", "X-Offset", "Content-Disposition"],
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, state=app.state)

    install_web(app)
    if not any(getattr(r, "path", None) == "/" for r in app.routes):

        @app.get("/", include_in_schema=False)
        def root() -> dict[str, Any]:
            return {"name": "ecoplan API", "openapi": "/openapi.json", "health": "/api/health"}

    return app


def install_web(app: FastAPI) -> bool:
    """Call ``ecoplan.web.install(app)`` when that package provides it (the dashboard hook)."""
    try:
        web = importlib.import_module("ecoplan.web")
    except ModuleNotFoundError as exc:
        if exc.name in ("ecoplan.web", "ecoplan"):
            return False
        raise
    install = getattr(web, "install", None)
    if not callable(install):
        return False
    install(app)
    return True


def close_app(app: FastAPI) -> None:
    """Close the app's store connections (what the app's shutdown does)."""
    app.state.db.close()
