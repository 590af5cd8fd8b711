"""The REST API (FastAPI): :func:`create_app` serves a store; ``ecoplan serve`` runs it.

Endpoints (the OpenAPI document at ``/openapi.json`` describes every parameter)
------------------------------------------------------------------------------
Read (open by default; ``Settings.auth_read`` / ``ecoplan serve --auth-read``
requires a token of any scope):

- ``GET /api/plan``, ``/api/plan/targets`` (with status), ``/api/plan/targets/{id}``,
  ``/api/plan/indicators``, ``/api/indicators``, ``/api/status``, ``/api/status/rollup``
- ``GET /api/air/hourly|daily|annual|monthly``, ``/api/air/ranking``
- ``GET /api/water/classes|items|attainment|trophic|change|trend``
- ``GET /api/flow/compliance|daily``
- ``GET /api/warnings``, ``/api/warnings/{id}``
- ``GET /api/sites``, ``/api/sections``, ``/api/gauges``, ``/api/ingests``,
  ``/api/ingests/{id}``, ``/api/ingests/{id}/rejects``, ``/api/health``

Write (``write`` scope): ``POST /api/ingest/{air|stations|water|sections|flow|gauges|indicators}``.
Admin (``admin`` scope): ``GET|POST /api/tokens``, ``DELETE /api/tokens/{id}``, ``GET /api/auth-log``.

See :mod:`ecoplan.api.app` for the assembly and the dashboard hook,
:mod:`ecoplan.api.db` for the concurrency model, :mod:`ecoplan.api.auth` for
tokens, :mod:`ecoplan.api.uploads` for uploads, :mod:`ecoplan.api.respond` for
pagination and CSV, :mod:`ecoplan.api.cache` for the result cache and
:mod:`ecoplan.api.settings` for the configuration.
"""

from __future__ import annotations

from .app import close_app, create_app, install_web
from .settings import Settings

__all__ = ["Settings", "close_app", "create_app", "install_web"]
