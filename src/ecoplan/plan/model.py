"""The plan schema: targets, indicators, groups and scopes of a regional plan.

A plan file (YAML) lists every quantified statement of a plan as a *target*
row: what is measured (an indicator id from the vocabulary), where (a scope),
how it is judged (a comparator and a value), by when (a year), from what
starting point (a baseline), with the plan's hedges as flags, and the clause
of the plan text it comes from, quoted verbatim.

Comparators (``COMPARATORS``)
    ``>=``, ``>``, ``<=``, ``<``, ``=``
        the indicator against ``value`` in the target year.
    ``reduce_by_pct`` / ``increase_by_pct``
        the indicator changes by at least ``value`` percent of the baseline
        (the baseline year is required; its value may be left to the data).
    ``increase_by``
        the indicator rises by at least ``value`` (in the indicator's unit,
        percentage points for a share) above the baseline, e.g. "新增 ... 18350
        平方公里" over the cumulative area of the baseline year.
    ``not_decreasing`` / ``not_increasing``
        the indicator in the target year is not below / not above the baseline.
    ``increasing`` / ``decreasing``
        strictly above / below the baseline (逐步提升, 负增长, 持续减少); with
        the ``steady`` flag, every year above / below the year before.
    ``zero``
        nothing left (消除, 清零, 零填埋): the indicator is 0.
    ``all_meet``
        a pass/fail statement: every member of the scope meets the requirement
        (a share indicator [%] is then 100, a count the number of members, a
        ``bool`` indicator 1). ``requirement`` says what each member must meet.

Flags (``FLAGS``): ``strive`` (力争), ``approximately`` (左右), ``basically``
(基本), ``steady`` (稳定/保持/持续/每年/逐步/期间/日常: holds in every year up to
the target year, not only in it) and ``assigned`` (完成国家下达指标: the figure is set
outside the plan; ``value`` is empty until it is filled in).

Roles (``ROLES``): ``target`` (a goal or a milestone), ``trigger`` (a threshold
that sets off an action, not a goal in itself) and ``context``: a figure the
plan states as a fact (mostly 2020 or the 2016-2020 period) that no target of
the plan's text continues. A context row has no comparator and no value; its
figure is its ``baseline``. Where a stated fact matches a target, it is that
target's baseline instead.

Kinds: ``computed`` (ecoplan computes the indicator from monitoring data) or
``reported`` (read from a yearly statistics table).

This module needs only pydantic and PyYAML.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "COMPARATORS",
    "FLAGS",
    "ROLES",
    "Group",
    "Indicator",
    "Period",
    "Plan",
    "ResolvedScope",
    "Scopes",
    "Source",
    "Target",
    "Text",
    "Value",
    "clause_problems",
    "numbers_in",
    "unit_scale",
]

Comparator = Literal[
    ">=",
    ">",
    "<=",
    "<",
    "=",
    "reduce_by_pct",
    "increase_by_pct",
    "increase_by",
    "not_decreasing",
    "not_increasing",
    "increasing",
    "decreasing",
    "zero",
    "all_meet",
]
Flag = Literal["strive", "approximately", "basically", "steady", "assigned"]
Role = Literal["target", "trigger", "context"]
Kind = Literal["computed", "reported"]
Direction = Literal["higher", "lower"]
MemberType = Literal["city", "county", "river", "lake", "section"]

COMPARATORS: dict[str, str] = {
    ">=": "at least the value",
    ">": "above the value",
    "<=": "at most the value",
    "<": "below the value",
    "=": "equal to the value",
    "reduce_by_pct": "reduced by at least value % of the baseline",
    "increase_by_pct": "increased by at least value % of the baseline",
    "increase_by": "increased by at least value (indicator unit) above the baseline",
    "not_decreasing": "not below the baseline",
    "not_increasing": "not above the baseline",
    "increasing": "above the baseline (with steady: every year above the last)",
    "decreasing": "below the baseline (with steady: every year below the last)",
    "zero": "nothing left: the indicator is 0",
    "all_meet": "every member of the scope meets the requirement (share 100 %, flag 1)",
}
FLAGS: dict[str, str] = {
    "strive": "力争: the plan strives for it",
    "approximately": "左右: about the value",
    "basically": "基本: basically achieved",
    "steady": "稳定/保持/持续/每年/逐步/期间/日常: holds in every year up to the target year",
    "assigned": "完成国家下达指标: the value is assigned outside the plan",
}
ROLES: dict[str, str] = {
    "target": "a goal or milestone of the plan",
    "trigger": "a threshold that sets off an action",
    "context": "a figure stated as a fact, continued by no target",
}

# Comparators whose figure is judged against the baseline.
_NEEDS_BASELINE = {
    "reduce_by_pct",
    "increase_by_pct",
    "increase_by",
    "not_decreasing",
    "not_increasing",
    "increasing",
    "decreasing",
}
_NEEDS_VALUE = {">=", ">", "<=", "<", "=", "reduce_by_pct", "increase_by_pct", "increase_by"}
# Which way the indicator must move for the comparator to make sense.
COMPARATOR_DIRECTION: dict[str, str] = {
    ">=": "higher",
    ">": "higher",
    "increase_by_pct": "higher",
    "increase_by": "higher",
    "not_decreasing": "higher",
    "increasing": "higher",
    "<=": "lower",
    "<": "lower",
    "reduce_by_pct": "lower",
    "not_increasing": "lower",
    "decreasing": "lower",
    "zero": "lower",
}

_ID = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
_INDICATOR_ID = r"^[a-z][a-z0-9]*\.[a-z0-9_]+$"


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Base):
    """A label in Chinese and English."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Indicator(_Base):
    """One entry of the indicator vocabulary.

    ``direction`` says which way is better (``higher`` or ``lower``); a cap such
    as a plant's load rate counts as ``lower``. ``computed`` indicators name the
    ``assessment`` that produces them from monitoring data; ``reported`` ones
    are read from yearly statistics in ``unit``. A ``bool`` unit holds 1 (done)
    or 0 (not done).
    """

    id: str = Field(pattern=_INDICATOR_ID)
    name: Text
    unit: str = Field(min_length=1)
    direction: Direction
    kind: Kind
    assessment: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _assessment_for_computed(self) -> Indicator:
        if self.kind == "computed" and not self.assessment:
            raise ValueError(f"indicator {self.id}: a computed indicator names its assessment")
        return self


class Value(_Base):
    """A stated figure: a baseline or a context fact.

    ``value`` may be empty when the figure is implied (e.g. "下降10%" against
    the unstated 2020 level) or when the statement is pass/fail (``achieved``).
    ``from_year`` marks a figure over a period (the mean or the sum of
    ``from_year``..``year``). ``clause`` quotes the text that states it;
    ``year_in_clause`` is false when the year is not written there. ``derived``
    marks a value read from words rather than digits (explained in ``note``).
    """

    value: float | None = None
    year: int = Field(ge=1949, le=2100)
    from_year: int | None = Field(default=None, ge=1949, le=2100)
    achieved: bool | None = None
    qualifier: Literal["over", "approximately"] | None = None
    clause: str | None = None
    year_in_clause: bool = True
    derived: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Value:
        if self.from_year is not None and self.from_year > self.year:
            raise ValueError(f"from_year {self.from_year} after year {self.year}")
        if self.derived and not self.note:
            raise ValueError("a derived value says in its note how it was derived")
        return self


class Target(_Base):
    """One quantified statement of the plan (see the module docstring)."""

    id: str = Field(pattern=_ID)
    name: Text
    category: str
    role: Role = "target"
    scope: str
    per_member: bool = False
    indicator: str = Field(pattern=_INDICATOR_ID)
    unit: str
    comparator: Comparator | None = None
    value: float | None = None
    value_high: float | None = None
    year: int | None = Field(default=None, ge=1949, le=2100)
    date: dt.date | None = None
    year_in_clause: bool = True
    flags: list[Flag] = Field(default_factory=list)
    kind: Kind
    requirement: Text | None = None
    parameters: dict[str, float] = Field(default_factory=dict)
    baseline: Value | None = None
    clause: str = Field(min_length=4)
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Target:
        where = f"target {self.id}"
        if len(set(self.flags)) != len(self.flags):
            raise ValueError(f"{where}: repeated flag")
        if "\n" in self.clause:
            raise ValueError(f"{where}: a clause is quoted from one paragraph (no line break)")
        if self.role == "context":
            if self.comparator is not None or self.value is not None:
                raise ValueError(f"{where}: a context row has no comparator and no value")
            if self.baseline is None or (self.baseline.value is None and self.baseline.achieved is None):
                raise ValueError(f"{where}: a context row states its figure as the baseline")
            return self
        if self.comparator is None:
            raise ValueError(f"{where}: comparator missing")
        if self.year is None:
            raise ValueError(f"{where}: target year missing")
        if self.date is not None and self.date.year != self.year:
            raise ValueError(f"{where}: date {self.date} is not in year {self.year}")
        c = self.comparator
        if c in _NEEDS_VALUE:
            if "assigned" in self.flags:
                if self.value is not None:
                    raise ValueError(f"{where}: an assigned target has no value in the plan")
            elif self.value is None:
                raise ValueError(f"{where}: comparator {c} needs a value")
        elif c == "zero":
            if self.value not in (None, 0):
                raise ValueError(f"{where}: comparator zero takes no value other than 0")
        elif self.value is not None:
            raise ValueError(f"{where}: comparator {c} takes no value")
        if "assigned" in self.flags and c not in (">=", ">", "<=", "<", "="):
            raise ValueError(f"{where}: the assigned flag goes with >=, >, <=, < or =")
        if c in _NEEDS_BASELINE and self.baseline is None:
            raise ValueError(f"{where}: comparator {c} needs a baseline (at least its year)")
        if self.value_high is not None and (
            c not in (">=", ">") or self.value is None or self.value_high < self.value
        ):
            raise ValueError(f"{where}: value_high is the top of a range value..value_high after >=")
        if c == "all_meet" and self.requirement is None:
            raise ValueError(f"{where}: all_meet says what each member must meet (requirement)")
        if self.baseline is not None and self.baseline.year > self.year:
            raise ValueError(f"{where}: baseline year {self.baseline.year} after target year {self.year}")
        return self

    @property
    def baseline_clause(self) -> str | None:
        """The clause stating the baseline (a context row's is its own clause)."""
        if self.baseline is None:
            return None
        if self.baseline.clause is None and self.role == "context":
            return self.clause
        return self.baseline.clause


class Group(_Base):
    """A named list of members (cities, rivers, lakes, sections, counties).

    ``source`` is ``plan`` when the plan text lists the members, ``default``
    when it names the group only and the members are a documented default
    (``note`` says where it comes from). Members may be overridden when the
    plan is loaded; a default group may be empty when nothing can be assumed.
    """

    id: str = Field(pattern=_ID)
    name: Text
    member_type: MemberType
    members: list[str]
    source: Literal["plan", "default"]
    note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Group:
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"group {self.id}: repeated member")
        if not self.members and self.source == "plan":
            raise ValueError(f"group {self.id}: a group listed by the plan has members")
        return self


class Scopes(_Base):
    """The places a plan's targets refer to (Chinese name -> English name).

    A target's scope is ``province``, ``city:<name>``, ``basin:<name>``,
    ``river:<name>``, ``lake:<name>``, ``group:<id>``, or an alias of one of
    those (e.g. ``rivers:seven`` -> ``group:seven-rivers``).
    """

    province: Text
    cities: dict[str, str]
    basins: dict[str, str] = Field(default_factory=dict)
    rivers: dict[str, str] = Field(default_factory=dict)
    lakes: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)


class Period(_Base):
    start: int = Field(ge=1949, le=2100)
    end: int = Field(ge=1949, le=2100)

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError("period end before start")
        return self


class Source(_Base):
    file: str
    note: str
    url: str | None = None


@dataclass(frozen=True)
class ResolvedScope:
    """A scope string resolved against the plan: its type, name and members."""

    scope: str
    type: Literal["province", "city", "basin", "river", "lake", "group"]
    name: str
    members: tuple[str, ...]
    member_type: str | None


_SCOPE_TYPES = {"city": "cities", "basin": "basins", "river": "rivers", "lake": "lakes"}
_MEMBER_LISTS = {"city": "cities", "river": "rivers", "lake": "lakes"}


class Plan(_Base):
    """A plan file, validated against itself and the indicator vocabulary.

    The vocabulary is the bundled ``indicators.yaml`` plus the plan's own
    ``indicators``; a plan may add indicators but not redefine bundled ones.
    """

    id: str = Field(pattern=_ID)
    title: Text
    issuer: Text
    period: Period
    baseline_year: int = Field(ge=1949, le=2100)
    source: Source
    categories: dict[str, Text]
    groups: list[Group] = Field(default_factory=list)
    scopes: Scopes
    indicators: list[Indicator] = Field(default_factory=list)
    targets: list[Target]

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- vocabulary and lookups -------------------------------------------

    @property
    def vocabulary(self) -> dict[str, Indicator]:
        """Every indicator this plan may use: bundled ones, then the plan's."""
        from . import load_vocabulary

        vocab = dict(load_vocabulary())
        vocab.update({i.id: i for i in self.indicators})
        return vocab

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return self.vocabulary[indicator_id]
        except KeyError:
            raise KeyError(f"no indicator {indicator_id!r} in the vocabulary") from None

    def target(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r} in plan {self.id}")

    def group(self, group_id: str) -> Group:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(f"no group {group_id!r} in plan {self.id}")

    def goals(self) -> list[Target]:
        """Targets proper (role ``target``), without context rows and triggers."""
        return [t for t in self.targets if t.role == "target"]

    def resolve_scope(self, scope: str) -> ResolvedScope:
        """Resolve a scope string; ``KeyError`` when the plan does not know it."""
        key = self.scopes.aliases.get(scope, scope)
        if key == "province":
            return ResolvedScope(scope, "province", self.scopes.province.zh, (), None)
        kind, sep, name = key.partition(":")
        if not sep or not name:
            raise KeyError(f"scope {scope!r} is not province or type:name")
        if kind == "group":
            g = self.group(name)
            return ResolvedScope(scope, "group", name, tuple(g.members), g.member_type)
        if kind not in _SCOPE_TYPES:
            raise KeyError(f"scope {scope!r}: unknown type {kind!r}")
        known = getattr(self.scopes, _SCOPE_TYPES[kind])
        if name not in known:
            raise KeyError(f"scope {scope!r}: {name} is not among the plan's {_SCOPE_TYPES[kind]}")
        return ResolvedScope(scope, kind, name, (), None)  # type: ignore[arg-type]

    # -- validation -----------------------------------------------------------

    def problems(self) -> list[str]:
        """Every inconsistency of the plan (empty when it is valid)."""
        out: list[str] = []
        from . import load_vocabulary

        bundled = load_vocabulary()
        for name, ids in (
            ("target", [t.id for t in self.targets]),
            ("group", [g.id for g in self.groups]),
            ("indicator", [i.id for i in self.indicators]),
        ):
            for dup, n in Counter(ids).items():
                if n > 1:
                    out.append(f"{name} id {dup} appears {n} times")
        for i in self.indicators:
            if i.id in bundled:
                out.append(f"indicator {i.id} is in the bundled vocabulary; the plan may not redefine it")
        for g in self.groups:
            if g.member_type in _MEMBER_LISTS:
                known = getattr(self.scopes, _MEMBER_LISTS[g.member_type])
                for m in g.members:
                    if m not in known:
                        out.append(
                            f"group {g.id}: member {m} is not among the plan's {_MEMBER_LISTS[g.member_type]}"
                        )
        for alias, scope in self.scopes.aliases.items():
            if scope in self.scopes.aliases:
                out.append(f"scope alias {alias} points to another alias")
        vocab = self.vocabulary
        for t in self.targets:
            where = f"target {t.id}"
            if t.category not in self.categories:
                out.append(f"{where}: category {t.category} is not declared in categories")
            try:
                resolved = self.resolve_scope(t.scope)
            except KeyError as exc:
                out.append(f"{where}: {exc.args[0]}")
                resolved = None
            if t.per_member and resolved is not None and resolved.type != "group":
                out.append(f"{where}: per_member needs a group scope")
            ind = vocab.get(t.indicator)
            if ind is None:
                out.append(f"{where}: indicator {t.indicator} is not in the vocabulary")
            else:
                if t.unit != ind.unit:
                    out.append(f"{where}: unit {t.unit!r} differs from {ind.id}'s {ind.unit!r}")
                if t.kind != ind.kind:
                    out.append(f"{where}: kind {t.kind} differs from {ind.id}'s {ind.kind}")
                want = COMPARATOR_DIRECTION.get(t.comparator or "")
                if want and want != ind.direction:
                    out.append(
                        f"{where}: comparator {t.comparator} on {ind.id}, where {ind.direction} is better"
                    )
            if (
                t.role != "context"
                and t.year is not None
                and not (self.baseline_year <= t.year <= self.period.end)
            ):
                out.append(f"{where}: year {t.year} outside {self.baseline_year}..{self.period.end}")
            if t.baseline is not None and t.baseline.year > self.period.end:
                out.append(f"{where}: baseline year {t.baseline.year} after the plan period")
        return out

    # -- tables ---------------------------------------------------------------

    def indicator_rows(self, *, kind: str | None = None) -> list[dict[str, Any]]:
        """The vocabulary as rows (by id): names, unit, direction, kind, assessment, whether
        the plan defines it (``origin``) and whether a target uses it; only ``kind`` if given."""
        own = {i.id for i in self.indicators}
        used = {t.indicator for t in self.targets}
        return [
            {
                "id": i.id,
                "name_zh": i.name.zh,
                "name_en": i.name.en,
                "unit": i.unit,
                "direction": i.direction,
                "kind": i.kind,
                "assessment": i.assessment,
                "origin": "plan" if i.id in own else "bundled",
                "used": i.id in used,
                "note": i.note,
            }
            for i in sorted(self.vocabulary.values(), key=lambda i: i.id)
            if kind is None or i.kind == kind
        ]

    def target_rows(
        self,
        *,
        category: list[str] | None = None,
        scope: list[str] | None = None,
        role: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """One flat row per target with every field (clause included).

        ``scope`` entries match a target's scope exactly, or by type when they
        end with ``:`` (``basin:`` matches every basin).
        """
        vocab = self.vocabulary
        rows = []
        for t in self.targets:
            if category and t.category not in category:
                continue
            if role and t.role not in role:
                continue
            if scope and not any(t.scope == s or (s.endswith(":") and t.scope.startswith(s)) for s in scope):
                continue
            resolved = self.resolve_scope(t.scope)
            ind = vocab[t.indicator]
            b = t.baseline
            rows.append(
                {
                    "id": t.id,
                    "role": t.role,
                    "category": t.category,
                    "name_zh": t.name.zh,
                    "name_en": t.name.en,
                    "scope": t.scope,
                    "scope_type": resolved.type,
                    "scope_members": ",".join(resolved.members) or None,
                    "per_member": t.per_member,
                    "indicator": t.indicator,
                    "indicator_zh": ind.name.zh,
                    "unit": t.unit,
                    "comparator": t.comparator,
                    "value": t.value,
                    "value_high": t.value_high,
                    "year": t.year,
                    "date": t.date.isoformat() if t.date else None,
                    "flags": ",".join(t.flags) or None,
                    "kind": t.kind,
                    "requirement_zh": t.requirement.zh if t.requirement else None,
                    "requirement_en": t.requirement.en if t.requirement else None,
                    "parameters": ",".join(f"{k}={_fmt(v)}" for k, v in t.parameters.items()) or None,
                    "baseline_value": b.value if b else None,
                    "baseline_year": b.year if b else None,
                    "baseline_from_year": b.from_year if b else None,
                    "baseline_achieved": b.achieved if b else None,
                    "baseline_qualifier": b.qualifier if b else None,
                    "baseline_derived": b.derived if b else None,
                    "baseline_clause": t.baseline_clause,
                    "baseline_note": b.note if b else None,
                    "clause": t.clause,
                    "note": t.note,
                }
            )
        return rows

    def summary(self) -> dict[str, Any]:
        """Title, period, counts per category, role and kind, and the groups."""
        by_category: dict[str, dict[str, int]] = {}
        for t in self.targets:
            c = by_category.setdefault(t.category, {"target": 0, "trigger": 0, "context": 0})
            c[t.role] += 1
            if t.role != "context":
                c[t.kind] = c.get(t.kind, 0) + 1
        return {
            "id": self.id,
            "title": self.title.model_dump(),
            "issuer": self.issuer.model_dump(),
            "period": [self.period.start, self.period.end],
            "baseline_year": self.baseline_year,
            "source": self.source.model_dump(),
            "counts": {
                "targets": sum(t.role == "target" for t in self.targets),
                "triggers": sum(t.role == "trigger" for t in self.targets),
                "context": sum(t.role == "context" for t in self.targets),
                "computed": sum(t.role != "context" and t.kind == "computed" for t in self.targets),
                "reported": sum(t.role != "context" and t.kind == "reported" for t in self.targets),
            },
            "categories": {
                cid: {"zh": self.categories[cid].zh, "en": self.categories[cid].en, **counts}
                for cid, counts in sorted(by_category.items())
            },
            "groups": [
                {
                    "id": g.id,
                    "zh": g.name.zh,
                    "en": g.name.en,
                    "member_type": g.member_type,
                    "members": list(g.members),
                    "source": g.source,
                    "note": g.note,
                }
                for g in self.groups
            ],
        }


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


# -- numbers in Chinese text ------------------------------------------------------

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_RUN = re.compile("[〇零一二两三四五六七八九十百千万亿]+")
_ARABIC = re.compile(r"(\d+(?:\.\d+)?)\s*([万亿])?")
_ROMAN_CHARS = {chr(0x2160 + i): i + 1 for i in range(12)}  # Ⅰ..Ⅻ
_ASCII_ROMAN = re.compile(r"(?<![A-Za-z])(IV|V|I{1,3})(?=类)")
_WORSE_THAN_V = re.compile("劣(?:V|Ⅴ)")


def _cn_number(run: str) -> float | None:
    """Value of a Chinese numeral (三, 十四, 二〇三五, 5千 not included)."""
    if all(ch in _CN_DIGITS for ch in run):
        return float("".join(str(_CN_DIGITS[ch]) for ch in run))
    total = 0
    section = 0
    digit: int | None = None
    for ch in run:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row inside a unit numeral
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:  # 万, 亿
            if digit is None and section == 0:
                return None
            total += (section + (digit or 0)) * _CN_BIG[ch]
            section = 0
            digit = None
    return float(total + section + (digit or 0))


def numbers_in(text: str) -> list[float]:
    """Every number written in ``text``, in the forms a Chinese plan uses.

    Arabic numbers as written and, when followed by 万 or 亿, also multiplied
    out (``7.3万`` gives 7.3 and 73000); percentages and per-mille signs are
    dropped (``70.7%`` gives 70.7); Chinese numerals (``三年`` gives 3,
    ``十四五`` gives 14 and each digit); Roman class numerals (``Ⅳ类`` gives
    4, ``IV类`` too) and 劣V, the class worse than V, gives 6.
    """
    out: list[float] = []
    for m in _ARABIC.finditer(text):
        x = float(m.group(1))
        out.append(x)
        if m.group(2):
            out.append(x * _CN_BIG[m.group(2)])
    for m in _CN_RUN.finditer(text):
        run = m.group(0)
        whole = _cn_number(run)
        if whole is not None:
            out.append(whole)
        out.extend(float(_CN_DIGITS[ch]) for ch in run if ch in _CN_DIGITS)
        # 十四五 and the like: also the numeral before the last digit
        if len(run) > 1:
            head = _cn_number(run[:-1])
            if head is not None:
                out.append(head)
    out.extend(float(_ROMAN_CHARS[ch]) for ch in text if ch in _ROMAN_CHARS)
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
    out.extend(float(roman[m.group(1)]) for m in _ASCII_ROMAN.finditer(text))
    out.extend(6.0 for _ in _WORSE_THAN_V.finditer(text))
    return out


def unit_scale(unit: str) -> float:
    """The factor of a unit written ``10^k ...`` (``10^4 mu`` gives 10000), else 1."""
    m = re.match(r"^10\^(\d+)\b", unit.strip())
    return float(10 ** int(m.group(1))) if m else 1.0


def _written(value: float, unit: str, numbers: list[float]) -> bool:
    scaled = value * unit_scale(unit)
    return any(
        math.isclose(n, value, rel_tol=1e-9, abs_tol=1e-12) or math.isclose(n, scaled, rel_tol=1e-9)
        for n in numbers
    )


def clause_problems(plan: Plan, text: str) -> list[str]:
    """Check every quoted clause of ``plan`` against the plan ``text``.

    Each clause (and each baseline clause) must occur verbatim in the text, and
    every figure of the row must be written in its clause: the value, the top
    of a range, the parameters and the target year (unless ``year_in_clause``
    is false) in the target's clause; the baseline value (unless ``derived``)
    and year in the baseline's clause. Figures may be written with 万/亿, in
    Chinese or Roman numerals, or as the unit's ``10^k`` multiple.
    """
    out: list[str] = []
    for t in plan.targets:
        where = f"target {t.id}"
        if t.clause not in text:
            out.append(f"{where}: clause not found in the text: {t.clause[:40]}...")
        numbers = numbers_in(t.clause)
        figures: list[tuple[str, float, str]] = []
        if t.value is not None:
            figures.append(("value", t.value, t.unit))
        if t.value_high is not None:
            figures.append(("value_high", t.value_high, t.unit))
        figures.extend((f"parameter {k}", v, "") for k, v in t.parameters.items())
        if t.year is not None and t.year_in_clause:
            figures.append(("year", float(t.year), ""))
        for label, v, unit in figures:
            if not _written(v, unit, numbers):
                out.append(f"{where}: {label} {_fmt(v)} is not written in its clause")
        b = t.baseline
        bclause = t.baseline_clause
        if b is None or bclause is None:
            if b is not None and b.value is not None and not b.derived:
                out.append(f"{where}: baseline value {_fmt(b.value)} has no clause stating it")
            continue
        if bclause != t.clause and bclause not in text:
            out.append(f"{where}: baseline clause not found in the text: {bclause[:40]}...")
        bnumbers = numbers_in(bclause)
        if b.value is not None and not b.derived and not _written(b.value, t.unit, bnumbers):
            out.append(f"{where}: baseline value {_fmt(b.value)} is not written in its clause")
        if b.year_in_clause and not _written(float(b.year), "", bnumbers):
            out.append(f"{where}: baseline year {b.year} is not written in its clause")
    return out
