"""Standards as data: one loader for the versioned table files of this folder.

Every number of a national standard used by ecoplan is written once, in a
TOML file here that names the standard, its edition, its effective dates, the
table it transcribes and how sure we are of each entry (``text``, ``data``,
``secondary`` or ``choice``). The assessments build their expressions from
what this module returns; no module types a breakpoint or a limit again.

Which edition applies is chosen by date (the 2012/2013 editions until
2026-02-28, the 2026 editions from 2026-03-01) and can be forced.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "AqiLevel",
    "AqiTable",
    "Breakpoints",
    "StandardError",
    "air_limits",
    "aqi_edition_for",
    "aqi_table",
    "assessment_rules",
    "available_editions",
    "limit",
    "load",
    "validity_rules",
]


class StandardError(LookupError):
    """A figure or an edition that no table file gives."""


@cache
def load(name: str) -> dict[str, Any]:
    """Parse the table file ``name`` (without ``.toml``) of this package."""
    try:
        text = resources.files(__package__).joinpath(f"{name}.toml").read_bytes()
    except FileNotFoundError as exc:
        raise StandardError(f"no standard table file {name}.toml") from exc
    return tomllib.loads(text.decode("utf-8"))


def available_editions(standard: str) -> list[str]:
    """Editions of ``standard`` (e.g. ``"hj633"``) that have a table file, oldest first."""
    names = [
        p.name[: -len(".toml")]
        for p in resources.files(__package__).iterdir()
        if p.name.startswith(standard + "_") and p.name.endswith(".toml")
    ]
    return sorted(n.split("_", 1)[1] for n in names)


def _edition_for(standard: str, day: dt.date) -> str:
    chosen = None
    for edition in available_editions(standard):
        meta = load(f"{standard}_{edition}")["meta"]
        start = meta.get("effective_from")
        # An edition applies from its start date; the oldest edition also
        # covers earlier data, for which no older table is kept.
        if chosen is None or (start is not None and day >= start):
            chosen = edition
    if chosen is None:
        raise StandardError(f"no edition of {standard} is available")
    return chosen


@dataclass(frozen=True)
class Breakpoints:
    """One row set of the AQI table: concentrations at the IAQI breakpoints."""

    item: str
    values: tuple[float, ...]
    iaqi: tuple[int, ...]
    unit: str
    certainty: str
    note: str = ""

    @property
    def top(self) -> float:
        return self.values[-1]

    def segments(self) -> list[tuple[float, float, int, int]]:
        """(BP_lo, BP_hi, IAQI_lo, IAQI_hi) for each segment of the row."""
        return [
            (self.values[i], self.values[i + 1], self.iaqi[i], self.iaqi[i + 1])
            for i in range(len(self.values) - 1)
        ]


@dataclass(frozen=True)
class AqiLevel:
    level: int
    aqi_min: int
    aqi_max: int
    name_zh: str
    category_zh: str
    category_en: str
    colour: str


@dataclass(frozen=True)
class AqiTable:
    """An edition of HJ 633: breakpoints, rules and levels."""

    edition: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    source: str
    breakpoints: dict[str, Breakpoints]
    rules: dict[str, Any]
    levels: tuple[AqiLevel, ...]
    meta: dict[str, Any] = field(repr=False, default_factory=dict)

    def row(self, item: str) -> Breakpoints:
        try:
            return self.breakpoints[item]
        except KeyError as exc:
            raise StandardError(f"HJ 633-{self.edition} has no breakpoint row {item!r}") from exc


@cache
def aqi_table(edition: str) -> AqiTable:
    """The HJ 633 table of ``edition`` ("2012" or "2026")."""
    if edition not in available_editions("hj633"):
        raise StandardError(
            f"HJ 633 edition {edition!r} has no table file; "
            f"available: {', '.join(available_editions('hj633'))}"
        )
    raw = load(f"hj633_{edition}")
    iaqi = tuple(int(v) for v in raw["iaqi"])
    bps = {}
    for item, row in raw["breakpoints"].items():
        values = tuple(float(v) for v in row["values"])
        bps[item] = Breakpoints(
            item=item,
            values=values,
            iaqi=iaqi[: len(values)],
            unit=row["unit"],
            certainty=row.get("certainty", raw["meta"].get("certainty", "")),
            note=row.get("note", ""),
        )
    levels = tuple(
        AqiLevel(
            level=lv["level"],
            aqi_min=lv["aqi_min"],
            aqi_max=lv["aqi_max"],
            name_zh=lv["name_zh"],
            category_zh=lv["category_zh"],
            category_en=lv["category_en"],
            colour=lv["colour"],
        )
        for lv in raw["levels"]
    )
    meta = raw["meta"]
    return AqiTable(
        edition=edition,
        effective_from=meta.get("effective_from"),
        effective_to=meta.get("effective_to"),
        source=meta["source"],
        breakpoints=bps,
        rules=raw["rules"],
        levels=levels,
        meta=meta,
    )


def aqi_edition_for(day: dt.date | dt.datetime) -> str:
    """The HJ 633 edition in force on ``day``."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return _edition_for("hj633", day)


def air_limits(day: dt.date | dt.datetime, edition: str | None = None) -> dict[str, Any]:
    """GB 3095 grade II limits in force on ``day``.

    Returns a dict with ``edition``, ``phase``, ``source`` and ``grade2``
    (pollutant -> averaging -> limit; ug/m3, CO mg/m3). With ``edition`` the
    phase of that edition covering ``day`` is used (its first phase when the
    day is before it, its last when after).
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    edition = edition or _edition_for("gb3095", day)
    raw = load(f"gb3095_{edition}")
    phases = raw["phases"]
    chosen = phases[0]
    for phase in phases:
        if day >= phase["valid_from"]:
            chosen = phase
    return {
        "standard": raw["meta"]["standard"],
        "edition": edition,
        "phase": chosen["name"],
        "source": raw["meta"]["source"],
        "grade2": chosen["grade2"],
        "validity": raw["validity"],
    }


def limit(limits: dict[str, Any], pollutant: str, averaging: str) -> float:
    """One grade II limit, or a :class:`StandardError` naming what is missing."""
    try:
        return float(limits["grade2"][pollutant][averaging])
    except KeyError as exc:
        raise StandardError(
            f"GB 3095-{limits['edition']} ({limits['phase']}) gives no grade II "
            f"{averaging} limit for {pollutant}"
        ) from exc


def validity_rules() -> dict[str, Any]:
    """GB 3095 data validity (Table 4) of the latest edition: minimum values for each average."""
    return load(f"gb3095_{available_editions('gb3095')[-1]}")["validity"]


def assessment_rules() -> dict[str, Any]:
    """HJ 663 statistics: percentiles, validity of daily maxima, rounding, composite index."""
    return load("hj663_2013")
