"""Reported indicator values: yearly statistics tables (CSV, Excel or Parquet).

One line per indicator, scope and year. Columns (English or Chinese headers):

=============  ==========================================  ==========
role           headers                                     required
=============  ==========================================  ==========
indicator      indicator, 指标, 指标代码, 指标名称            yes
scope          scope, 范围, 区域, 地区, 评价范围               yes
year           year, 年份, 年度                             yes
value          value, 数值, 值, 指标值                       yes
unit           unit, 单位                                   no
source         source, 来源, 数据来源                        no
note           note, 备注, 说明                              no
=============  ==========================================  ==========

Everything is checked against the plan's vocabulary and scopes
(:class:`ecoplan.plan.model.Plan`):

- ``indicator``: an id of the vocabulary (``eco.forest_cover``) or its
  Chinese name exactly as the vocabulary writes it (森林覆盖率).
- ``scope``: a scope the plan knows (``province``, ``city:太原市``,
  ``basin:汾河``, ``group:jjj-4``, an alias such as ``rivers:seven``, stored
  in its canonical form ``group:seven-rivers``), or a plain name: 全省 or the
  province's name, a city (太原市 or 太原), a lake, ``<basin>流域``, or a
  river or basin name when it is only one of them.
- ``year``: a whole year (2023, 2023.0 or 2023年) from 1949 to the current year.
- ``value``: a number (a trailing % is allowed for a share); for a ``bool``
  indicator also 是/否, 完成/未完成, yes/no, true/false.
- ``unit``, when given, must be the vocabulary's unit of the indicator.

A line failing a check is rejected (file, line, column, value and reason in
the ingest log's rejects); the other lines are stored. A second line for the
same indicator, scope and year rejects the earlier one (the later is kept).
Values are stored in ``indicator_values`` with ``origin = "reported"``;
``method`` holds the line's source ("reported: <source>") and ``note`` its note.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa

from .base import ReadError, ReadResult, Rejects, normalise_header, strip_cells, to_numbers
from .tables import read_table

NAME = "indicators"
DOMAIN = "plan"
FIRST_YEAR = 1949

COLUMNS = {
    "indicator": ["indicator", "indicator_id", "指标", "指标代码", "指标名称", "指标id"],
    "scope": ["scope", "范围", "区域", "地区", "评价范围", "地域"],
    "year": ["year", "年份", "年度", "年"],
    "value": ["value", "数值", "值", "指标值", "数据"],
    "unit": ["unit", "units", "单位", "计量单位"],
    "source": ["source", "来源", "数据来源", "出处"],
    "note": ["note", "notes", "备注", "说明", "注"],
}
REQUIRED = ("indicator", "scope", "year", "value")
_TRUE = {"是", "完成", "已完成", "达到", "yes", "y", "true", "1", "done"}
_FALSE = {"否", "未完成", "未达到", "no", "n", "false", "0", "not done"}
_PROVINCE_WORDS = {"全省", "省", "全省合计", "全省平均", "province"}

SCHEMA = pa.schema(
    [
        ("indicator", pa.string()),
        ("scope", pa.string()),
        ("year", pa.int32()),
        ("origin", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("method", pa.string()),
        ("note", pa.string()),
    ]
)


def find_columns(columns: list[str]) -> dict[str, str]:
    """Map the roles of a reported-indicator table to its columns."""
    found: dict[str, str] = {}
    norm = {c: normalise_header(c) for c in columns}
    for role, aliases in COLUMNS.items():
        for alias in aliases:
            hit = next((c for c, n in norm.items() if n == alias and c not in found.values()), None)
            if hit is not None:
                found[role] = hit
                break
    return found


def matches(header: list[str]) -> bool:
    found = find_columns(header)
    return all(r in found for r in REQUIRED)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


class _Vocabulary:
    """Indicator and scope lookups of one plan."""

    def __init__(self, plan):
        self.plan = plan
        self.vocab = plan.vocabulary
        by_zh: dict[str, list[str]] = {}
        for ind in self.vocab.values():
            by_zh.setdefault(_fold(ind.name.zh), []).append(ind.id)
        self.by_zh = by_zh

    def indicator(self, text: str) -> tuple[str | None, str]:
        if text in self.vocab:
            return text, ""
        folded = _fold(text)
        lowered = {k.lower(): k for k in self.vocab}
        if folded in lowered:
            return lowered[folded], ""
        ids = self.by_zh.get(folded, [])
        if len(ids) == 1:
            return ids[0], ""
        if len(ids) > 1:
            return None, f"indicator name {text!r} is ambiguous ({', '.join(ids)}); give the id"
        return None, "unknown indicator (not in the plan's vocabulary)"

    def scope(self, text: str) -> tuple[str | None, str]:
        plan = self.plan
        s = unicodedata.normalize("NFKC", text).strip()
        try:
            plan.resolve_scope(s)
            return plan.scopes.aliases.get(s, s), ""
        except KeyError:
            pass
        if s in _PROVINCE_WORDS or s in (plan.scopes.province.zh, plan.scopes.province.en):
            return "province", ""
        if ":" in s:
            return None, "unknown scope (not a scope of the plan)"
        cities, lakes = plan.scopes.cities, plan.scopes.lakes
        rivers, basins = plan.scopes.rivers, plan.scopes.basins
        for name in (s, s + "市"):
            if name in cities:
                return f"city:{name}", ""
        if s in lakes:
            return f"lake:{s}", ""
        if s.endswith("流域") and s[:-2] in basins:
            return f"basin:{s[:-2]}", ""
        in_river, in_basin = s in rivers, s in basins
        if in_river and in_basin:
            return None, f"{s} is both a river and a basin of the plan: write river:{s} or basin:{s}"
        if in_river:
            return f"river:{s}", ""
        if in_basin:
            return f"basin:{s}", ""
        groups = {g.name.zh: g.id for g in plan.groups}
        if s in groups:
            return f"group:{groups[s]}", ""
        return None, "unknown scope (not a scope of the plan)"


_YEAR = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*年?\s*$")


def _year(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if float(value).is_integer() else None
    if hasattr(value, "year") and not isinstance(value, str):
        return None  # a date is not a year
    m = _YEAR.match(unicodedata.normalize("NFKC", str(value)))
    return int(m.group(1)) if m else None


def _units_equal(a: str, b: str) -> bool:
    def norm(u: str) -> str:
        return _fold(u).replace("³", "3").replace("²", "2").replace("μ", "u").replace("µ", "u")

    return norm(a) == norm(b)


def read(path: str | Path, data: bytes, *, plan=None) -> ReadResult:
    """Read a reported-indicator table into ``indicator_values`` rows (``origin = "reported"``).

    ``plan`` gives the vocabulary and scopes (default: the bundled plan).
    """
    if plan is None:
        from ..plan import resolve_plan

        plan = resolve_plan(None)
    file = str(path)
    frame = read_table(file, data)
    columns = [str(c) for c in frame.columns]
    found = find_columns(columns)
    missing = [r for r in REQUIRED if r not in found]
    if missing:
        raise ReadError(
            file,
            "a reported-indicator table needs indicator (指标), scope (范围), year (年份) and value (数值) "
            f"columns; missing {', '.join(missing)}; header: {', '.join(columns[:8])}",
            line=int(frame.attrs.get("first_line", 2)) - 1,
        )
    first = int(frame.attrs.get("first_line", 2))
    n = len(frame)
    lines = np.arange(first, first + n, dtype=np.int64)
    rejects = Rejects()
    vocab = _Vocabulary(plan)
    this_year = dt.date.today().year

    def cells(role: str) -> np.ndarray:
        if role not in found:
            return np.full(n, None, dtype=object)
        return strip_cells(frame[found[role]].to_numpy(dtype=object))

    ind_raw, scope_raw, year_raw, value_raw = (cells(r) for r in REQUIRED)
    unit_raw, source_raw, note_raw = cells("unit"), cells("source"), cells("note")
    blank_line = np.array(
        [all(c is None for c in row) for row in zip(ind_raw, scope_raw, year_raw, value_raw, strict=True)],
        dtype=bool,
    )
    out = {k: [] for k in ("indicator", "scope", "year", "value", "unit", "method", "note", "line")}
    nums, _blank, _bad = to_numbers(value_raw)
    values_read = 0
    for i in range(n):
        if blank_line[i]:
            continue
        line = int(lines[i])
        ind, why = (None, "no indicator") if ind_raw[i] is None else vocab.indicator(str(ind_raw[i]))
        if ind is None:
            rejects.add(line, found["indicator"], ind_raw[i], why)
            continue
        unit = vocab.vocab[ind].unit
        scope, why = (None, "no scope") if scope_raw[i] is None else vocab.scope(str(scope_raw[i]))
        if scope is None:
            rejects.add(line, found["scope"], scope_raw[i], why)
            continue
        year = _year(year_raw[i])
        if year is None:
            rejects.add(line, found["year"], year_raw[i], "not a year (a whole number such as 2023)")
            continue
        if not (FIRST_YEAR <= year <= this_year):
            rejects.add(line, found["year"], year_raw[i], f"year out of range ({FIRST_YEAR}-{this_year})")
            continue
        if value_raw[i] is None:
            rejects.add(line, found["value"], None, "no value")
            continue
        values_read += 1
        value = _value(value_raw[i], nums[i], unit)
        if value is None:
            expected = "a number" + (" or 是/否" if unit == "bool" else "")
            rejects.add(line, found["value"], value_raw[i], f"not a number (expected {expected})")
            continue
        if unit == "bool" and value not in (0.0, 1.0):
            rejects.add(line, found["value"], value_raw[i], "a yes/no indicator takes 1 (是) or 0 (否)")
            continue
        if unit_raw[i] is not None and not _units_equal(str(unit_raw[i]), unit):
            rejects.add(line, found["unit"], unit_raw[i], f"unit differs from the indicator's unit {unit!r}")
            continue
        src = source_raw[i]
        out["indicator"].append(ind)
        out["scope"].append(scope)
        out["year"].append(year)
        out["value"].append(value)
        out["unit"].append(unit)
        out["method"].append(f"reported: {src}" if src is not None else "reported")
        out["note"].append(None if note_raw[i] is None else str(note_raw[i]))
        out["line"].append(line)

    # a second line for the same key: the later one is kept, the earlier rejected
    last: dict[tuple, int] = {}
    for j, key in enumerate(zip(out["indicator"], out["scope"], out["year"], strict=True)):
        last[key] = j
    keep = []
    for j, key in enumerate(zip(out["indicator"], out["scope"], out["year"], strict=True)):
        if last[key] == j:
            keep.append(j)
            continue
        rejects.add(
            out["line"][j],
            found["value"],
            out["value"][j],
            f"second value for {key[0]} {key[1]} {key[2]}: line {out['line'][last[key]]} kept",
        )
    table = pa.table(
        {
            "indicator": pa.array([out["indicator"][j] for j in keep], pa.string()),
            "scope": pa.array([out["scope"][j] for j in keep], pa.string()),
            "year": pa.array([out["year"][j] for j in keep], pa.int32()),
            "origin": pa.array(["reported"] * len(keep), pa.string()),
            "value": pa.array([out["value"][j] for j in keep], pa.float64()),
            "unit": pa.array([out["unit"][j] for j in keep], pa.string()),
            "method": pa.array([out["method"][j] for j in keep], pa.string()),
            "note": pa.array([out["note"][j] for j in keep], pa.string()),
        },
        schema=SCHEMA,
    )
    extra = [c for c in columns if c not in found.values()]
    for col in extra:
        count = int(frame[col].notna().sum())
        if count:
            rejects.add(
                first - 1, col, f"{count} values", "column not read (not part of a reported-indicator table)"
            )
    years = [out["year"][j] for j in keep]
    time_range = (min(years), max(years)) if years else None
    return ReadResult(
        file=file,
        reader=NAME,
        domain=DOMAIN,
        tables={"indicator_values": table},
        rejects=rejects,
        rows_read=int((~blank_line).sum()),
        values_read=values_read,
        time_range=time_range,
    )


def _value(raw: object, number: float, unit: str) -> float | None:
    if np.isfinite(number):
        return float(number)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if unit == "bool":
        low = text.lower()
        if low in _TRUE:
            return 1.0
        if low in _FALSE:
            return 0.0
        return None
    if text.endswith("%") and unit == "%":
        try:
            return float(text[:-1].replace(",", ""))
        except ValueError:
            return None
    cleaned = text.replace(",", "")
    try:
        return float(cleaned) if cleaned != text else None
    except ValueError:
        return None


def reader_for(plan=None):
    """A reader for :func:`ecoplan.ingest.ingest_files` bound to ``plan``: ``reader_for(plan)(path, head)``."""

    def pick(_file: str, _head: bytes):
        fn = functools.partial(read, plan=plan)
        fn.name = NAME  # type: ignore[attr-defined]
        return fn

    return pick
