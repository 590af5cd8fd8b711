"""The water table files as Python objects: GB 3838-2002, the 2011 method, TLI.

Nothing here types a limit: every figure is read from
``standards/gb3838_2002.toml``, ``standards/water_assessment_2011.toml`` and
``standards/tli_2001.toml``. This module imports no engine, so readers can
use it for item names and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from ..standards import StandardError, load

GB3838 = "gb3838_2002"
METHOD = "water_assessment_2011"
TLI = "tli_2001"

# Class numbers 1..6; 6 is 劣V (worse than V).
WORST_CLASS = 6

# water body of a section kind: which limits apply
LAKE_KINDS = ("lake", "reservoir")


@dataclass(frozen=True)
class ItemLimits:
    """One item of GB 3838 Table 1."""

    item: str
    number: int
    name_zh: str
    name_en: str
    unit: str
    direction: str  # upper | lower | range | none
    limits: tuple[float, ...] | None  # classes I..V
    lake_limits: tuple[float, ...] | None
    range: tuple[float, float] | None
    certainty: str

    def limits_for(self, body: str) -> tuple[float, ...] | None:
        """Class I..V limits for a water body (``river`` or ``lake``)."""
        if body == "lake" and self.lake_limits is not None:
            return self.lake_limits
        return self.limits


@cache
def gb3838_items() -> dict[str, ItemLimits]:
    """Table 1 items by code, in the table's order."""
    raw = load(GB3838)
    out: dict[str, ItemLimits] = {}
    for code, it in sorted(raw["items"].items(), key=lambda kv: kv[1]["number"]):
        limits = tuple(float(v) for v in it["limits"]) if "limits" in it else None
        lake = tuple(float(v) for v in it["lake_limits"]) if "lake_limits" in it else None
        for lim in (limits, lake):
            if lim is not None and len(lim) != len(raw["classes"]):
                raise StandardError(f"{GB3838}: item {code} needs {len(raw['classes'])} limits")
        rng = tuple(float(v) for v in it["range"]) if "range" in it else None
        out[code] = ItemLimits(
            item=code,
            number=int(it["number"]),
            name_zh=it["name_zh"],
            name_en=it["name_en"],
            unit=it["unit"],
            direction=it["direction"],
            limits=limits,
            lake_limits=lake,
            range=rng,  # type: ignore[arg-type]
            certainty=it.get("certainty", raw["meta"]["certainty"]),
        )
    return out


def load_gb3838() -> dict[str, Any]:
    """The GB 3838-2002 table file (parsed TOML)."""
    return load(GB3838)


@cache
def class_names() -> dict[int, str]:
    """Class number -> text: 1..5 -> "I".."V", 6 -> "劣V" (from the table file)."""
    raw = load(GB3838)
    names = [*raw["classes"], raw["worse_than_v"]]
    if len(names) != WORST_CLASS:
        raise StandardError(f"{GB3838}: expected {WORST_CLASS - 1} classes and 劣V")
    return {i + 1: n for i, n in enumerate(names)}


def class_text(n: int) -> str:
    return class_names()[n]


@cache
def method() -> dict[str, Any]:
    """The 2011 assessment method's table file (parsed TOML)."""
    return load(METHOD)


def assessed_items() -> tuple[str, ...]:
    """The 21 items of the section class (2011 method 1.1)."""
    return tuple(method()["items"]["assessed"])


def lake_separate_items() -> tuple[str, ...]:
    """Items classified separately at lakes and reservoirs (TN)."""
    return tuple(method()["items"]["lake_separate"])


@dataclass(frozen=True)
class Level:
    level: int
    classes: tuple[int, ...]
    label_zh: str
    label_en: str
    colour: str


@cache
def levels() -> tuple[Level, ...]:
    """Qualitative levels 优 .. 重度污染 and the classes each covers."""
    return tuple(
        Level(
            level=int(lv["level"]),
            classes=tuple(int(c) for c in lv["classes"]),
            label_zh=lv["label_zh"],
            label_en=lv["label_en"],
            colour=lv["colour"],
        )
        for lv in method()["levels"]
    )


def level_of_class(n: int) -> Level:
    for lv in levels():
        if n in lv.classes:
            return lv
    raise StandardError(f"no qualitative level for class {n}")


def level_by_label(label_zh: str) -> Level:
    for lv in levels():
        if lv.label_zh == label_zh:
            return lv
    raise StandardError(f"no qualitative level {label_zh!r}")


def critical_value(n: int, alpha: float | None = None) -> float | None:
    """One-sided Spearman critical value W_p for ``n`` periods (None below the table).

    Between rows the next smaller ``n`` is used; beyond the last row the
    normal approximation ``z / sqrt(n - 1)`` that the table's large-n rows
    follow. ``alpha`` is 0.05 or 0.01 (default: the method's).
    """
    trend = method()["trend"]
    alpha = trend["alpha"] if alpha is None else alpha
    key = {0.05: "a05", 0.01: "a01"}.get(alpha)
    if key is None:
        raise StandardError(f"no Spearman critical values at alpha={alpha}")
    rows = [r for r in trend["critical_values"] if key in r]
    if not rows or n < rows[0]["n"]:
        return None
    last = rows[-1]
    if n > last["n"]:
        return float(trend["z"][key]) / (n - 1) ** 0.5
    chosen = max((r for r in rows if r["n"] <= n), key=lambda r: r["n"])
    return float(chosen[key])


@cache
def tli_table() -> dict[str, Any]:
    """The TLI table file (parsed TOML)."""
    return load(TLI)


def tli_weights(items: tuple[str, ...] | None = None) -> dict[str, float]:
    """W_j = r_j^2 / Σ r^2 over ``items`` (default all five)."""
    r = tli_table()["weights"]["r"]
    items = tuple(r) if items is None else items
    total = sum(float(r[i]) ** 2 for i in items)
    return {i: float(r[i]) ** 2 / total for i in items}
