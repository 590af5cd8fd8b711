"""Heavy-pollution weather warnings: grading forecast (or observed) AQI into episodes.

The rules [secondary] (national 2019 guidance as applied in local emergency
plans; numbers in ``heavy_pollution.toml`` beside this module, with sources):

- The day AQI is the AQI of any 24 consecutive hours, not only of a natural day.
- Yellow (黄色, 三级): day AQI > 200 forecast to last 48 hours or more.
- Orange (橙色, 二级): day AQI > 200 for 72 hours or more.
- Red (红色, 一级): day AQI > 200 for 96 hours or more and day AQI > 300 for
  48 hours or more; or day AQI reaching 500.
- Two episodes whose gap does not lift the warning are one episode, warned at
  the higher level. A warning is lifted when the day AQI stays below the yellow
  condition (<= 200) for more than 36 hours.
- Cities may set stricter conditions: per-city overrides in the table file or a
  user file (:func:`load_rules`).

How the series is built
-----------------------
Everything runs on an hourly grid per city, labelled by the end of the hour
(naive China Standard Time, the store's convention).

- Daily input (``city, date, aqi``, the common forecast format): each day's AQI
  stands for its 24 hours, labels ``D 01:00`` .. ``D+1 00:00``.
- Hourly input (``city, time, aqi``): the day AQI at each hour is the mean of
  the 24 hourly AQI values ending at that hour (the guidance's "any 24
  consecutive hours"), given when at least the GB 3095 daily minimum of valid
  hours (20) is present, else missing. Give the 23 hours before a forecast to
  grade its first hours. Hourly day-AQI values win over daily values for the
  same hour, so observed hours can lead into a daily forecast.

How episodes are formed (one city)
----------------------------------
1. A *run* is a maximal stretch of consecutive hours with day AQI above
   ``episode.above`` (200). A missing hour is not above it.
2. A *lift* is a stretch of more than ``lift.hours_more_than`` (36) consecutive
   hours with day AQI at or below ``lift.aqi_at_most`` (200); a missing hour
   interrupts it. Runs not separated by a lift belong to one episode; so with
   the national numbers two runs merge when the gap between them is 36 hours
   or less, and stay apart when it is 37 hours or more.
3. Level (``merge.mode = "higher_level"``, the default): each run is graded
   alone, the episode takes the highest level of its runs (从高级别). A condition
   ``{above = X, hours = N}`` holds in a run when it has at least N consecutive
   hours with day AQI > X (``at_least``: >= X). In ``"pooled"`` mode the hours
   are counted over the whole episode instead (a stricter reading).
4. An episode whose runs reach no level is not a warning and is not returned.
   An episode starts at the start of its first run (a leading run too short to
   warn belongs to the same pollution process) and ends at the end of its last
   run; ``lift_from`` is the start of the lifting stretch when the data shows it.

Boundaries: durations are inclusive (48 hours is yellow, 47 is not; 72 orange,
71 not; 96 with 48 h > 300 red, 95 not); "above" is strict (200 is not heavy, so
an hour at exactly 200 counts toward a lift); "reaching 500" is ``>= 500``.

Forecasts are a few cities by a few days: this is plain Python/pandas,
deterministic (cities sorted by name, episodes by start).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..standards import air_limits, aqi_edition_for, aqi_table

__all__ = [
    "EPISODE_COLUMNS",
    "Condition",
    "Episode",
    "Level",
    "RuleBook",
    "RulesError",
    "WarningRules",
    "day_aqi_series",
    "episodes_frame",
    "grade_city",
    "heavy_pollution_episodes",
    "load_rules",
]

TABLE_FILE = "heavy_pollution.toml"
HOUR = pd.Timedelta(hours=1)
MERGE_MODES = ("higher_level", "pooled")


class RulesError(ValueError):
    """A warning table (or override) that cannot be used as it stands."""


# ---------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class Condition:
    """At least ``hours`` consecutive hours with day AQI ``> value`` (above) or ``>= value`` (at_least)."""

    op: str
    value: float
    hours: int

    def mask(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (x > self.value) if self.op == "above" else (x >= self.value)

    def describe(self) -> str:
        sign = ">" if self.op == "above" else ">="
        return f"AQI {sign} {self.value:g} for >= {self.hours} h"

    def describe_zh(self) -> str:
        if self.op == "above":
            return f"日AQI>{self.value:g}持续{self.hours}小时及以上"
        return f"日AQI达到{self.value:g}" + (f"并持续{self.hours}小时及以上" if self.hours > 1 else "")


@dataclass(frozen=True)
class Rule:
    conditions: tuple[Condition, ...]
    name: str = ""

    @property
    def description(self) -> str:
        return self.name or " and ".join(c.describe() for c in self.conditions)

    @property
    def description_zh(self) -> str:
        return "，且".join(c.describe_zh() for c in self.conditions)


@dataclass(frozen=True)
class Level:
    key: str
    rank: int
    name_zh: str
    name_en: str
    grade_zh: str
    colour: str
    certainty: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class WarningRules:
    """The warning rules in force for one city (national, or with the city's overrides)."""

    episode_above: float
    lift_aqi_at_most: float
    lift_hours_more_than: int
    merge_mode: str
    day_hours: int
    levels: tuple[Level, ...]  # lowest rank first
    source: str
    certainty: str
    city: str | None = None  # the override entry applied, if any
    overrides: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The numbers in force, for evidence."""
        return {
            "city_override": self.city,
            "overridden": list(self.overrides),
            "episode_above": self.episode_above,
            "lift_aqi_at_most": self.lift_aqi_at_most,
            "lift_hours_more_than": self.lift_hours_more_than,
            "merge_mode": self.merge_mode,
            "levels": {lv.key: [[asdict(c) for c in r.conditions] for r in lv.rules] for lv in self.levels},
            "source": self.source,
            "certainty": self.certainty,
        }


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, anything else (arrays included) replaces."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _flat_keys(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for k, v in table.items():
        path = f"{prefix}{k}"
        if isinstance(v, Mapping) and k != "meta":
            keys.extend(_flat_keys(v, path + "."))
        else:
            keys.append(path)
    return keys


@cache
def _national() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(TABLE_FILE).read_bytes().decode("utf-8")
    return tomllib.loads(text)


class RuleBook:
    """The national warning table with per-city overrides (from the table file and a user file)."""

    def __init__(self, raw: dict[str, Any], origin: str = TABLE_FILE):
        self.raw = raw
        self.origin = origin
        self._cache: dict[str, WarningRules] = {}
        self.for_city(None)  # validate the national rules now
        for city in self.cities:
            self.for_city(city)

    @property
    def cities(self) -> list[str]:
        return sorted(self.raw.get("cities", {}))

    def _city_key(self, city: str | None) -> str | None:
        if city is None:
            return None
        entries = self.raw.get("cities", {})
        name = str(city).strip()
        for candidate in (name, name.removesuffix("市"), name + "市"):
            if candidate in entries:
                return candidate
        return None

    def for_city(self, city: str | None) -> WarningRules:
        """The rules in force for ``city`` (national rules when it has no override)."""
        key = self._city_key(city)
        cache_key = key or ""
        if cache_key in self._cache:
            return self._cache[cache_key]
        national = {k: v for k, v in self.raw.items() if k not in ("cities", "meta")}
        override = self.raw.get("cities", {}).get(key, {}) if key else {}
        merged = _merge(national, override)
        where = f"{self.origin}" + (f", cities.{key}" if key else "")
        rules = _build(merged, self.raw.get("meta", {}), where, key, tuple(_flat_keys(override)))
        self._cache[cache_key] = rules
        return rules


def load_rules(user_file: str | Path | None = None) -> RuleBook:
    """The national table, with a user file's overrides merged on top.

    The user file has the layout of ``heavy_pollution.toml``: usually only
    ``[cities."<city>"...]`` tables; any national key it gives replaces the
    national value for every city.
    """
    raw = copy.deepcopy(_national())
    origin = TABLE_FILE
    if user_file is not None:
        path = Path(user_file)
        try:
            extra = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise RulesError(f"{path}: no such warning table file") from exc
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{path}: not a valid TOML file: {exc}") from exc
        user_meta = extra.pop("meta", {})
        raw = _merge(raw, extra)
        if user_meta.get("source"):
            raw["meta"]["override_source"] = user_meta["source"]
        origin = f"{TABLE_FILE} + {path}"
    return RuleBook(raw, origin)


def _number(table: Mapping[str, Any], key: str, where: str) -> float:
    try:
        value = table[key]
    except KeyError as exc:
        raise RulesError(f"{where}: missing {key}") from exc
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{where}: {key} must be a number, not {value!r}")
    return float(value)


def _hours(table: Mapping[str, Any], key: str, where: str, minimum: int) -> int:
    value = _number(table, key, where)
    if not value.is_integer() or value < minimum:
        raise RulesError(f"{where}: {key} must be a whole number of hours >= {minimum}, not {value:g}")
    return int(value)


def _build(
    raw: Mapping[str, Any], meta: Mapping[str, Any], where: str, city: str | None, overrides: tuple[str, ...]
) -> WarningRules:
    episode_above = _number(raw.get("episode", {}), "above", f"{where} [episode]")
    lift = raw.get("lift", {})
    lift_aqi = _number(lift, "aqi_at_most", f"{where} [lift]")
    lift_hours = _hours(lift, "hours_more_than", f"{where} [lift]", 0)
    mode = raw.get("merge", {}).get("mode", "higher_level")
    if mode not in MERGE_MODES:
        raise RulesError(f"{where} [merge]: mode must be one of {', '.join(MERGE_MODES)}, not {mode!r}")
    day_hours = _hours(raw.get("day", {}), "hours", f"{where} [day]", 1)
    if lift_aqi > episode_above:
        raise RulesError(f"{where}: lift.aqi_at_most ({lift_aqi:g}) above episode.above ({episode_above:g})")
    levels = []
    for key, lv in raw.get("levels", {}).items():
        lw = f"{where} [levels.{key}]"
        rules = []
        for i, rule in enumerate(lv.get("rules", [])):
            conds = []
            for j, cond in enumerate(rule.get("all", [])):
                cw = f"{lw} rules[{i}].all[{j}]"
                ops = [op for op in ("above", "at_least") if op in cond]
                if len(ops) != 1:
                    raise RulesError(f"{cw}: give exactly one of above / at_least")
                value = _number(cond, ops[0], cw)
                if value < episode_above or (ops[0] == "at_least" and value == episode_above):
                    raise RulesError(
                        f"{cw}: threshold {value:g} is not above episode.above ({episode_above:g}); "
                        "lower episode.above too"
                    )
                conds.append(Condition(ops[0], value, _hours(cond, "hours", cw, 1)))
            if not conds:
                raise RulesError(f"{lw} rules[{i}]: no conditions")
            rules.append(Rule(tuple(conds), str(rule.get("name", ""))))
        if not rules:
            raise RulesError(f"{lw}: no rules")
        levels.append(
            Level(
                key=key,
                rank=int(_number(lv, "rank", lw)),
                name_zh=str(lv.get("name_zh", key)),
                name_en=str(lv.get("name_en", key)),
                grade_zh=str(lv.get("grade_zh", "")),
                colour=str(lv.get("colour", "")),
                certainty=str(lv.get("certainty", meta.get("certainty", ""))),
                rules=tuple(rules),
            )
        )
    if not levels:
        raise RulesError(f"{where}: no levels")
    levels.sort(key=lambda lv: lv.rank)
    if len({lv.rank for lv in levels}) != len(levels):
        raise RulesError(f"{where}: two levels share a rank")
    source = str(meta.get("source", ""))
    if meta.get("override_source"):
        source += f"; overrides: {meta['override_source']}"
    return WarningRules(
        episode_above=episode_above,
        lift_aqi_at_most=lift_aqi,
        lift_hours_more_than=lift_hours,
        merge_mode=mode,
        day_hours=day_hours,
        levels=tuple(levels),
        source=source,
        certainty=str(meta.get("certainty", "")),
        city=city,
        overrides=overrides,
    )


# ---------------------------------------------------------------------------
# Input tables

_ALIASES = {
    "city": ("city", "城市", "城市名称", "city_name"),
    "date": ("date", "日期", "day", "预报日期"),
    "time": ("time", "时间", "datetime", "hour_end"),
    "aqi": ("aqi", "空气质量指数", "aqi值"),
}


_BLANK = frozenset(["", "-", "--", "—", "NA", "N/A", "nan", "NaN", "null", "NULL", "None"])


def _blank(value: Any) -> bool:
    """A missing cell: None, NaN, NA, or a missing-value marker."""
    if isinstance(value, str):
        return value.strip() in _BLANK
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _frame(data: Any, kind: str, key: str) -> pd.DataFrame:
    """The (city, key, aqi) columns of an input table, renamed; errors name row and column."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif hasattr(data, "to_pandas"):
        frame = data.to_pandas()
    else:
        frame = pd.DataFrame(list(data))
    wanted = {}
    folded = {str(c).strip().lower(): c for c in frame.columns}
    for canon in ("city", key, "aqi"):
        found = next((folded[a] for a in _ALIASES[canon] if a in folded), None)
        if found is None:
            raise ValueError(
                f"{kind} AQI table: no column {canon!r} (or {', '.join(_ALIASES[canon][1:])}); "
                f"columns are {', '.join(map(str, frame.columns))}"
            )
        wanted[found] = canon
    frame = frame[list(wanted)].rename(columns=wanted).reset_index(drop=True)
    # AQI: numbers >= 0, missing allowed.
    blank = frame["aqi"].map(_blank)
    aqi = pd.to_numeric(frame["aqi"].where(~blank, None), errors="coerce")
    bad = ~blank & aqi.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{kind} AQI table, row {i + 1}, column aqi: not a number: {frame['aqi'].iloc[i]!r}")
    if (aqi < 0).any():
        i = int(np.flatnonzero((aqi < 0).to_numpy())[0])
        raise ValueError(f"{kind} AQI table, row {i + 1}, column aqi: negative AQI {aqi.iloc[i]:g}")
    frame["aqi"] = aqi.astype(float)
    if frame["city"].isna().any():
        i = int(np.flatnonzero(frame["city"].isna().to_numpy())[0])
        raise ValueError(f"{kind} AQI table, row {i + 1}, column city: empty")
    frame["city"] = frame["city"].astype(str).str.strip()
    # Times.
    times = pd.to_datetime(frame[key], errors="coerce")
    if times.isna().any():
        i = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ValueError(f"{kind} AQI table, row {i + 1}, column {key}: not a {key}: {frame[key].iloc[i]!r}")
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    if key == "date":
        off = times != times.dt.normalize()
        if off.any():
            i = int(np.flatnonzero(off.to_numpy())[0])
            raise ValueError(
                f"daily AQI table, row {i + 1}, column date: a date, not a time: {frame[key].iloc[i]!r}"
            )
    else:
        off = times != times.dt.floor("h")
        if off.any():
            i = int(np.flatnonzero(off.to_numpy())[0])
            raise ValueError(
                f"hourly AQI table, row {i + 1}, column time: not on the hour: {frame[key].iloc[i]!r} "
                "(hourly labels mark the end of the hour)"
            )
    frame[key] = times
    dup = frame.duplicated(["city", key], keep=False)
    if dup.any():
        rows = [str(i + 1) for i in np.flatnonzero(dup.to_numpy())[:4]]
        first = int(rows[0]) - 1
        raise ValueError(
            f"{kind} AQI table, rows {', '.join(rows)}: two AQI values for city "
            f"{frame['city'].iloc[first]!r} at {frame[key].iloc[first]}"
        )
    return frame


def _daily_hours(days: pd.DataFrame) -> pd.Series:
    """Each day's AQI on its 24 hourly labels D 01:00 .. D+1 00:00."""
    if days.empty:
        return pd.Series(dtype=float)
    offsets = pd.to_timedelta(np.arange(1, 25), unit="h")
    labels = (days["date"].to_numpy()[:, None] + offsets.to_numpy()[None, :]).ravel()
    return pd.Series(np.repeat(days["aqi"].to_numpy(), 24), index=pd.DatetimeIndex(labels)).sort_index()


def _moving_mean(hours: pd.DataFrame, window: int, min_valid: int) -> tuple[pd.Series, pd.Series]:
    """(raw hourly AQI, mean of the ``window`` hours ending at each hour) on a full hourly grid."""
    raw = hours.set_index("time")["aqi"].sort_index()
    grid = pd.date_range(raw.index.min(), raw.index.max(), freq="h")
    raw = raw.reindex(grid)
    mean = raw.rolling(window, min_periods=min(min_valid, window)).mean()
    return raw, mean


def day_aqi_series(
    daily: pd.DataFrame | None,
    hourly: pd.DataFrame | None,
    rules: WarningRules,
) -> tuple[pd.Series, dict[str, Any]]:
    """The day-AQI series of one city on a full hourly grid (NaN = missing) and its source values.

    ``daily``/``hourly`` hold that city's rows (as returned by the input checks).
    """
    parts = []
    sources: dict[str, Any] = {}
    if daily is not None and not daily.empty:
        parts.append(_daily_hours(daily))
        sources["daily"] = daily.sort_values("date")
    if hourly is not None and not hourly.empty:
        min_valid = int(air_limits(hourly["time"].min())["validity"]["daily_min_hours"])
        raw, mean = _moving_mean(hourly, rules.day_hours, min_valid)
        sources["hourly"] = pd.DataFrame({"aqi": raw, "day_aqi": mean})
        sources["min_valid_hours"] = min_valid
        parts.insert(0, mean)  # hourly day AQI wins where it exists
    if not parts:
        return pd.Series(dtype=float), sources
    series = parts[0]
    for other in parts[1:]:
        series = series.combine_first(other)
    grid = pd.date_range(series.index.min(), series.index.max(), freq="h")
    return series.reindex(grid).astype(float), sources


# ---------------------------------------------------------------------------
# Episodes


@dataclass(frozen=True)
class Episode:
    """One warning episode of one city. Times are naive CST; ``start``/``end`` bound the hours."""

    city: str
    level: str
    level_zh: str
    level_rank: int
    start: dt.datetime
    end: dt.datetime
    duration_hours: int
    hours_above_200: int
    hours_above_300: int
    max_aqi: float
    rule: str
    rule_zh: str
    lifted: bool
    lift_from: dt.datetime | None
    evidence: dict[str, Any] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("start", "end", "lift_from"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


def _stretches(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) indices of the runs of True in ``mask``."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _longest(mask: np.ndarray) -> int:
    return max((b - a + 1 for a, b in _stretches(mask)), default=0)


def _evaluate(level: Level, x: np.ndarray, pooled: bool) -> tuple[Rule, list[dict[str, Any]]] | None:
    """The first rule of ``level`` that holds on the values ``x``, with what each condition measured."""
    for rule in level.rules:
        measured = []
        for cond in rule.conditions:
            mask = cond.mask(x)
            hours = int(mask.sum()) if pooled else _longest(mask)
            measured.append(
                {"condition": cond.describe(), "hours_required": cond.hours, "hours_measured": hours}
            )
        if all(m["hours_measured"] >= c.hours for m, c in zip(measured, rule.conditions, strict=True)):
            return rule, measured
    return None


def _grade_segment(levels: tuple[Level, ...], x: np.ndarray, pooled: bool):
    for level in reversed(levels):
        hit = _evaluate(level, x, pooled)
        if hit is not None:
            return level, hit[0], hit[1]
    return None


def _iso(t: pd.Timestamp | None) -> str | None:
    return None if t is None else pd.Timestamp(t).isoformat()


def _num(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


def grade_city(
    city: str,
    series: pd.Series,
    rules: WarningRules,
    sources: Mapping[str, Any] | None = None,
) -> list[Episode]:
    """Warning episodes of one city from its day-AQI series on a full hourly grid."""
    if series.empty:
        return []
    sources = sources or {}
    labels = pd.DatetimeIndex(series.index)
    x = series.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        heavy = x > rules.episode_above
        clean = x <= rules.lift_aqi_at_most
    runs = _stretches(heavy)
    lifts = [(a, b) for a, b in _stretches(clean) if b - a + 1 > rules.lift_hours_more_than]

    # Group runs: a new episode starts after a lift that lies between two runs.
    groups: list[list[tuple[int, int]]] = []
    for run in runs:
        if groups and not any(groups[-1][-1][1] < a and b < run[0] for a, b in lifts):
            groups[-1].append(run)
        else:
            groups.append([run])

    edition = aqi_edition_for(labels[0])
    table = aqi_table(edition)
    # Descriptive counts at the HJ 633 level bounds: above 中度污染 (200) and above 重度污染 (300).
    above_200 = next(lv.aqi_max for lv in table.levels if lv.level == 4)
    above_300 = next(lv.aqi_max for lv in table.levels if lv.level == 5)

    pooled = rules.merge_mode == "pooled"
    episodes = []
    for group in groups:
        a, b = group[0][0], group[-1][1]
        span = x[a : b + 1]
        run_info = []
        best = None
        for r0, r1 in group:
            graded = _grade_segment(rules.levels, x[r0 : r1 + 1], pooled=False)
            run_info.append(
                {
                    "start": _iso(labels[r0] - HOUR),
                    "end": _iso(labels[r1]),
                    "hours": r1 - r0 + 1,
                    "max_aqi": float(np.nanmax(x[r0 : r1 + 1])),
                    "level": graded[0].key if graded else None,
                }
            )
            if not pooled and graded and (best is None or graded[0].rank > best[0].rank):
                best = (*graded, (r0, r1))
        if pooled:
            graded = _grade_segment(rules.levels, span, pooled=True)
            best = (*graded, (a, b)) if graded else None
        if best is None:
            continue
        level, rule, measured, (f0, f1) = best
        after = [(c0, c1) for c0, c1 in lifts if c0 > b]
        lift_from = labels[after[0][0]] - HOUR if after else None
        imax = a + int(np.nanargmax(span))
        evidence: dict[str, Any] = {
            "level": level.key,
            "level_zh": level.name_zh,
            "grade_zh": level.grade_zh,
            "certainty": level.certainty,
            "fired": {
                "rule": rule.description,
                "rule_zh": rule.description_zh,
                "start": _iso(labels[f0] - HOUR),
                "end": _iso(labels[f1]),
                "measured": measured,
                "counted": "hours in the episode" if pooled else "longest consecutive hours in the run",
            },
            "runs": run_info,
            "max_aqi_time": _iso(labels[imax]),
            "starts_with_data": a == 0,
            "missing_hours": int(np.isnan(span).sum()),
            "day_aqi": _day_aqi_note(sources, rules),
            "rules": rules.summary(),
            "values": _values(sources, labels[a] - HOUR, labels[b]),
        }
        episodes.append(
            Episode(
                city=city,
                level=level.key,
                level_zh=level.name_zh,
                level_rank=level.rank,
                start=(labels[a] - HOUR).to_pydatetime(),
                end=labels[b].to_pydatetime(),
                duration_hours=b - a + 1,
                hours_above_200=int(np.sum(span > above_200)),
                hours_above_300=int(np.sum(span > above_300)),
                max_aqi=float(np.nanmax(span)),
                rule=rule.description,
                rule_zh=rule.description_zh,
                lifted=lift_from is not None,
                lift_from=None if lift_from is None else lift_from.to_pydatetime(),
                evidence=evidence,
            )
        )
    return episodes


def _day_aqi_note(sources: Mapping[str, Any], rules: WarningRules) -> str:
    notes = []
    if "daily" in sources:
        notes.append("daily values, each standing for its 24 hours")
    if "hourly" in sources:
        notes.append(
            f"hourly values: mean of the {rules.day_hours} hours ending at each hour "
            f"(>= {sources.get('min_valid_hours')} valid)"
        )
    return "; ".join(notes)


def _values(sources: Mapping[str, Any], start: pd.Timestamp, end: pd.Timestamp) -> list[dict[str, Any]]:
    """The input values behind an episode: days overlapping it, hours inside it."""
    out: list[dict[str, Any]] = []
    if "daily" in sources:
        days = sources["daily"]
        inside = (days["date"] + pd.Timedelta(days=1) > start) & (days["date"] < end)
        for d, v in zip(days.loc[inside, "date"], days.loc[inside, "aqi"], strict=True):
            out.append({"date": d.date().isoformat(), "aqi": _num(v)})
    if "hourly" in sources:
        hours = sources["hourly"]
        inside = hours.loc[(hours.index > start) & (hours.index <= end)]
        for t, row in inside.iterrows():
            out.append({"time": t.isoformat(), "aqi": _num(row["aqi"]), "day_aqi": _num(row["day_aqi"])})
    return out


def heavy_pollution_episodes(
    daily: Any = None,
    hourly: Any = None,
    *,
    rules: RuleBook | None = None,
) -> list[Episode]:
    """Warning episodes per city from daily and/or hourly AQI tables.

    Parameters
    ----------
    daily
        Table (pandas, Arrow or a list of dicts) with columns ``city``,
        ``date``, ``aqi`` (or 城市, 日期, AQI): one AQI per city and day.
    hourly
        Table with ``city``, ``time``, ``aqi`` (or 城市, 时间, AQI); ``time``
        labels the end of the hour (naive China Standard Time).
    rules
        :func:`load_rules` result (national rules and city overrides);
        default the national table.
    """
    if daily is None and hourly is None:
        raise ValueError("give a daily and/or an hourly AQI table")
    book = rules or load_rules()
    days = _frame(daily, "daily", "date") if daily is not None else None
    hours = _frame(hourly, "hourly", "time") if hourly is not None else None
    cities: set[str] = set()
    for frame in (days, hours):
        if frame is not None:
            cities.update(frame["city"])
    episodes: list[Episode] = []
    for city in sorted(cities):
        city_rules = book.for_city(city)
        d = days[days["city"] == city] if days is not None else None
        h = hours[hours["city"] == city] if hours is not None else None
        series, sources = day_aqi_series(d, h, city_rules)
        episodes.extend(grade_city(city, series, city_rules, sources))
    return episodes


EPISODE_COLUMNS = (
    "city",
    "level",
    "level_zh",
    "level_rank",
    "start",
    "end",
    "duration_hours",
    "hours_above_200",
    "hours_above_300",
    "max_aqi",
    "rule",
    "rule_zh",
    "lifted",
    "lift_from",
    "evidence",
)


def episodes_frame(episodes: Iterable[Episode]) -> pd.DataFrame:
    """Episodes as a table; ``evidence`` as JSON text (UTF-8, Chinese kept)."""
    rows = []
    for e in episodes:
        row = {k: getattr(e, k) for k in EPISODE_COLUMNS}
        row["evidence"] = json.dumps(e.evidence, ensure_ascii=False, sort_keys=True)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))
    for col in ("start", "end", "lift_from"):
        frame[col] = pd.to_datetime(frame[col])
    return frame
