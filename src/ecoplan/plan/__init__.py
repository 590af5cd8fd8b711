"""Plans as data: the bundled plan files, the indicator vocabulary and their loader.

``load_plan("shanxi-2021-2025")`` reads a plan bundled under ``plans/``;
``load_plan(Path("my-plan.yaml"))`` reads any file in the same schema
(:mod:`ecoplan.plan.model`). ``resolve_plan(value)`` is what commands with a
``--plan`` option call: an id, a path, or ``None`` for the default plan.

Group members the plan names without listing (e.g. "京津冀及周边地区4市") have
a documented default in the plan file and can be replaced when loading:
``load_plan(ref, groups={"jjj-4": ["太原市", ...]})``.

Only pydantic and PyYAML are needed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import (
    COMPARATORS,
    FLAGS,
    ROLES,
    Group,
    Indicator,
    Plan,
    ResolvedScope,
    Target,
    Text,
    Value,
    clause_problems,
    numbers_in,
)

__all__ = [
    "COMPARATORS",
    "DEFAULT_PLAN",
    "FLAGS",
    "ROLES",
    "Group",
    "Indicator",
    "Plan",
    "PlanError",
    "ResolvedScope",
    "Target",
    "Text",
    "Value",
    "available_plans",
    "clause_problems",
    "load_plan",
    "load_vocabulary",
    "numbers_in",
    "resolve_plan",
]

DEFAULT_PLAN = "shanxi-2021-2025"


class PlanError(ValueError):
    """A plan that cannot be found, read or validated; the message names the file."""


# libyaml's loader when PyYAML was built with it (several times faster), else the pure one
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(data: bytes, where: str) -> Any:
    try:
        return yaml.load(data.decode("utf-8"), Loader=_Loader)
    except UnicodeDecodeError as exc:
        raise PlanError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        pos = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlanError(f"{where}:{pos}: not valid YAML: {problem}") from exc


@cache
def load_vocabulary() -> dict[str, Indicator]:
    """The bundled indicator vocabulary (``indicators.yaml``), by id."""
    where = "ecoplan/plan/indicators.yaml"
    raw = _read_yaml(resources.files(__package__).joinpath("indicators.yaml").read_bytes(), where)
    out: dict[str, Indicator] = {}
    for i, entry in enumerate(raw.get("indicators", []), 1):
        try:
            ind = Indicator.model_validate(entry)
        except ValidationError as exc:
            raise PlanError(f"{where}: indicator #{i}: {_first_errors(exc)}") from exc
        if ind.id in out:
            raise PlanError(f"{where}: indicator {ind.id} defined twice")
        out[ind.id] = ind
    return out


def available_plans() -> list[str]:
    """Ids of the plans bundled with ecoplan."""
    folder = resources.files(__package__).joinpath("plans")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _is_path(ref: str | Path) -> bool:
    if isinstance(ref, Path):
        return True
    return ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref


def load_plan(ref: str | Path, *, groups: Mapping[str, Sequence[str]] | None = None) -> Plan:
    """Load a bundled plan by id, or a plan file by path, and validate it.

    ``groups`` replaces the members of named groups (``{group_id: members}``).
    Raises :class:`PlanError` naming the file and every problem found.
    """
    if _is_path(ref):
        path = Path(ref)
        where = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlanError(f"{where}: cannot read the plan file ({exc.strerror})") from exc
    else:
        where = f"bundled plan {ref}"
        node = resources.files(__package__).joinpath("plans", f"{ref}.yaml")
        if not node.is_file():
            known = ", ".join(available_plans()) or "none"
            raise PlanError(f"no bundled plan {ref!r} (bundled: {known}); pass a file path instead")
        data = node.read_bytes()
    raw = _read_yaml(data, where)
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: a plan file is a mapping with id, title, ..., targets")
    if groups:
        raw = _override_groups(raw, groups, where)
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        raise PlanError(f"{where}: {_first_errors(exc, raw)}") from exc


def resolve_plan(value: str | Path | None) -> Plan:
    """The plan a ``--plan`` option names: an id, a path, or ``None`` for the default."""
    return load_plan(DEFAULT_PLAN if value in (None, "") else value)


def _override_groups(raw: dict, groups: Mapping[str, Sequence[str]], where: str) -> dict:
    raw = dict(raw)
    known = {g.get("id"): g for g in raw.get("groups", []) if isinstance(g, dict)}
    unknown = sorted(set(groups) - set(known))
    if unknown:
        raise PlanError(f"{where}: no group {', '.join(unknown)} to override (groups: {', '.join(known)})")
    new = []
    for g in raw.get("groups", []):
        if isinstance(g, dict) and g.get("id") in groups:
            g = {**g, "members": list(groups[g["id"]]), "note": f"{g.get('note', '')} (members overridden)"}
        new.append(g)
    raw["groups"] = new
    return raw


def _first_errors(exc: ValidationError, raw: Any = None, limit: int = 12) -> str:
    """Pydantic errors as 'location: message' with target ids instead of list indexes."""
    parts = []
    for err in exc.errors()[:limit]:
        loc = list(err["loc"])
        label = []
        node = raw
        for key in loc:
            if isinstance(node, list) and isinstance(key, int) and key < len(node):
                item = node[key]
                ident = item.get("id") if isinstance(item, dict) else None
                label.append(f"{ident}" if ident else f"#{key + 1}")
                node = item
            else:
                label.append(str(key))
                node = node.get(key) if isinstance(node, dict) else None
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{'.'.join(label) or 'plan'}: {msg}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
