"""Configuration of the REST API.

Every setting has a safe default: read endpoints open, write endpoints behind
a token, no cross-origin access, uploads limited in size and type. Settings
come from keyword arguments (tests, ``create_app``), from ``ecoplan serve``
options, or from the environment (:meth:`Settings.from_env`):

==============================  ==============================================
``ECOPLAN_API_AUTH_READ``        ``1``/``true``: read endpoints need a token too
``ECOPLAN_API_CORS_ORIGINS``     comma-separated origins allowed cross-origin
``ECOPLAN_API_MAX_UPLOAD_MB``    largest request body of an upload [MiB]
``ECOPLAN_API_MAX_FILES``        most files in one upload
``ECOPLAN_API_MAX_LIMIT``        largest page (``limit``) a client may ask for
``ECOPLAN_API_CACHE_MB``         memory for cached assessment results [MiB]
``ECOPLAN_PLAN``                 plan id or plan file (default: the bundled plan)
==============================  ==============================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

MIB = 1024 * 1024

# What an upload may be: the suffixes the readers take, with the leading bytes
# ("magic") a file of that type starts with. Text files have no magic; they
# must not contain NUL bytes (the readers take UTF-8 and GB18030 text only).
UPLOAD_TYPES: dict[str, bytes | None] = {
    ".csv": None,
    ".txt": None,
    ".xlsx": b"PK\x03\x04",
    ".xlsm": b"PK\x03\x04",
    ".parquet": b"PAR1",
    ".pq": b"PAR1",
}


def _flag(value: str | None) -> bool | None:
    if value is None or value.strip() == "":
        return None
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Settings of one API app.

    Attributes
    ----------
    auth_read
        Require a token (any scope) on read endpoints as well. Default False:
        reads are open, writes always need a ``write`` token.
    cors_origins
        Origins allowed to call the API from a browser page of another origin.
        Empty (the default): no CORS headers at all, so browsers refuse
        cross-origin calls.
    max_upload_bytes
        Largest request body of an upload, all files together [bytes]. A
        larger body is refused with 413 before it is stored anywhere.
    max_files
        Most files in one upload request.
    upload_types
        Accepted file suffixes and the leading bytes their content must have.
    default_limit, max_limit
        Rows per page when ``limit`` is not given, and the most a client may
        ask for (a larger ``limit`` is refused with 422).
    hourly_max_days
        Longest date range of one hourly-AQI request [days].
    plan
        Plan id or plan file served under ``/api/plan`` (None: the bundled
        default plan).
    cache_bytes
        Memory for cached assessment results [bytes]; 0 turns the cache off
        (see :mod:`ecoplan.api.cache`).
    """

    auth_read: bool = False
    cors_origins: tuple[str, ...] = ()
    max_upload_bytes: int = 100 * MIB
    max_files: int = 400
    upload_types: Mapping[str, bytes | None] = field(default_factory=lambda: dict(UPLOAD_TYPES))
    default_limit: int = 1000
    max_limit: int = 50_000
    hourly_max_days: int = 366
    plan: str | None = None
    cache_bytes: int = 256 * MIB

    def __post_init__(self) -> None:
        if self.max_upload_bytes <= 0:
            raise ValueError("max_upload_bytes must be positive")
        if self.max_files <= 0:
            raise ValueError("max_files must be positive")
        if self.default_limit < 1 or self.max_limit < 1:
            raise ValueError("default_limit and max_limit must be positive")
        if self.default_limit > self.max_limit:
            object.__setattr__(self, "default_limit", self.max_limit)
        if "*" in self.cors_origins:
            raise ValueError("a wildcard CORS origin is not allowed; list the origins")
        object.__setattr__(self, "cors_origins", tuple(o.rstrip("/") for o in self.cors_origins if o))

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``ECOPLAN_API_*`` variables, then ``overrides`` (None ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        auth = _flag(env.get("ECOPLAN_API_AUTH_READ"))
        if auth is not None:
            values["auth_read"] = auth
        origins = env.get("ECOPLAN_API_CORS_ORIGINS")
        if origins:
            values["cors_origins"] = tuple(o.strip() for o in origins.split(",") if o.strip())
        mb = env.get("ECOPLAN_API_MAX_UPLOAD_MB")
        if mb:
            values["max_upload_bytes"] = int(float(mb) * MIB)
        if env.get("ECOPLAN_API_MAX_FILES"):
            values["max_files"] = int(env["ECOPLAN_API_MAX_FILES"])
        if env.get("ECOPLAN_API_MAX_LIMIT"):
            values["max_limit"] = int(env["ECOPLAN_API_MAX_LIMIT"])
        if env.get("ECOPLAN_API_CACHE_MB"):
            values["cache_bytes"] = int(float(env["ECOPLAN_API_CACHE_MB"]) * MIB)
        if env.get("ECOPLAN_PLAN"):
            values["plan"] = env["ECOPLAN_PLAN"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
