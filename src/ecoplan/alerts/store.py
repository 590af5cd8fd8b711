"""Warnings in the store: records, identities, idempotent saving, and one refresh of them all.

A warning is one row of the store's ``warnings`` table:

``warning_id``
    Deterministic: a hash of ``kind``, ``rule``, ``scope`` and ``start_time``
    (:func:`warning_id`), so that finding the same episode again updates the
    row instead of adding one. Rules are named by family, not by level
    (``observed_aqi``, not "yellow"), so that an episode whose level rises
    keeps its identity.
``kind``
    ``heavy_pollution``, ``ecoflow``, ``deterioration`` or ``target``.
``rule``
    The rule that raised it (``observed_aqi``, ``forecast_aqi``,
    ``daily_below_threshold``, ``window_below_threshold``,
    ``section_class_vs_year_before``, ``air_path:<indicator>``,
    ``target_status:<target id>``, ``target_projection:<target id>``).
``level``
    ``blue``, ``yellow``, ``orange`` or ``red`` (:data:`LEVELS`, least severe first).
``scope`` / ``scope_type``
    ``city:太原市`` / ``city``, ``gauge:<code>`` / ``gauge``, ``section:<code>`` /
    ``section``, or a target's scope with its type.
``start_time`` / ``end_time``
    Naive China Standard Time; ``end_time`` is the end of the last hour, day,
    month or year in which the condition was seen (an exclusive bound).
``active``
    Whether the condition still holds at the latest data (for heavy
    pollution: not yet lifted). A warning the data no longer raise (the data
    were corrected) is kept, made inactive, and its evidence says so.
``evidence``
    JSON: the rule's numbers and the values that raised the warning.
``message_zh`` / ``message_en``
    One sentence each.
``raised_at`` / ``updated_at``
    When the warning was first stored and last changed.

:func:`save_warnings` is idempotent: saving the same warnings twice changes
nothing the second time. :func:`refresh_warnings` computes the indicator
values, the statuses and every kind of warning from the store in one go.
The alert rules other than the heavy-pollution levels live in ``rules.toml``
beside this module (:func:`load_alert_rules`).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

__all__ = [
    "KINDS",
    "LEVELS",
    "WARNING_COLUMNS",
    "episodes_to_warnings",
    "forecast_warnings",
    "heavy_pollution_warnings",
    "level_rank",
    "load_alert_rules",
    "make_warning",
    "read_warnings",
    "refresh_warnings",
    "save_warnings",
    "warning_id",
    "warnings_table",
]

KINDS = ("heavy_pollution", "ecoflow", "deterioration", "target")
LEVELS = ("blue", "yellow", "orange", "red")
LEVEL_LABELS = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
WARNING_COLUMNS = [
    "warning_id",
    "kind",
    "rule",
    "level",
    "scope",
    "scope_type",
    "start_time",
    "end_time",
    "active",
    "evidence",
    "message_zh",
    "message_en",
    "raised_at",
    "updated_at",
]
_COMPARED = ("level", "scope_type", "end_time", "active", "evidence", "message_zh", "message_en")
RULES_FILE = "rules.toml"


def level_rank(level: str) -> int:
    """0 for blue .. 3 for red."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise ValueError(f"unknown warning level {level!r}; use one of {', '.join(LEVELS)}") from None


# ---------------------------------------------------------------------------
# rules


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@cache
def _bundled_rules() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(RULES_FILE).read_bytes().decode("utf-8")
    return tomllib.loads(text)


def load_alert_rules(path: str | Path | None = None) -> dict[str, Any]:
    """The bundled alert rules (``rules.toml``), with a user file's keys merged on top."""
    rules = copy.deepcopy(_bundled_rules())
    if path is None:
        return rules
    p = Path(path)
    try:
        extra = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"{p}: no such alert rules file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: not a valid TOML file: {exc}") from exc
    merged = _merge(rules, extra)
    _check_levels(merged, str(p))
    return merged


def _check_levels(rules: Mapping[str, Any], where: str) -> None:
    found = []
    eco = rules.get("ecoflow", {})
    found += [eco.get("daily", {}).get("level"), eco.get("window", {}).get("level")]
    air = rules.get("deterioration", {}).get("air", {})
    found += [air.get("level_path"), air.get("level_baseline")]
    found.append(rules.get("deterioration", {}).get("water", {}).get("to_worst_level"))
    tg = rules.get("targets", {})
    found += [*list(tg.get("status_levels", {}).values()), tg.get("projection_level")]
    for level in found:
        if level is not None and level not in LEVELS:
            raise ValueError(f"{where}: unknown warning level {level!r}; use one of {', '.join(LEVELS)}")


def since_date(rules: Mapping[str, Any], plan=None) -> dt.date:
    """First day warnings are looked for (``general.since_year``, 0 = the plan period's first year)."""
    year = int(rules.get("general", {}).get("since_year", 0) or 0)
    if not year:
        year = plan.period.start if plan is not None else dt.date.today().year
    return dt.date(year, 1, 1)


# ---------------------------------------------------------------------------
# records


def _iso(t: Any) -> str:
    if isinstance(t, str):
        return t
    return pd.Timestamp(t).isoformat()


def warning_id(kind: str, rule: str, scope: str, start: Any) -> str:
    """The identity of a warning: kind + rule + scope + start time (hash, 20 hex digits)."""
    text = "|".join([kind, rule, scope, _iso(start)])
    return f"{kind[:2]}-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


EVIDENCE_DIGITS = 10  # significant digits of numbers kept in the evidence


def _stable(v: Any) -> Any:
    """Floats rounded to :data:`EVIDENCE_DIGITS` significant digits, so that the last-bit noise of
    parallel sums (which differ from run to run) does not make a re-run look like a change."""
    if isinstance(v, float):
        return v if v != v or v in (float("inf"), float("-inf")) else float(f"{v:.{EVIDENCE_DIGITS}g}")
    if isinstance(v, dict):
        return {k: _stable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_stable(x) for x in v]
    return v


def _dump(evidence: Any) -> str:
    return json.dumps(_stable(evidence), ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def _naive(t: Any) -> dt.datetime | None:
    if t is None:
        return None
    ts = pd.Timestamp(t)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai").tz_localize(None)
    return ts.to_pydatetime().replace(microsecond=0)


def make_warning(
    *,
    kind: str,
    rule: str,
    level: str,
    scope: str,
    scope_type: str,
    start: Any,
    end: Any,
    active: bool,
    evidence: Mapping[str, Any],
    message_zh: str,
    message_en: str,
) -> dict[str, Any]:
    """A warning record with its deterministic id (evidence kept as a dict until saved)."""
    if kind not in KINDS:
        raise ValueError(f"unknown warning kind {kind!r}; use one of {', '.join(KINDS)}")
    level_rank(level)
    start_t = _naive(start)
    return {
        "warning_id": warning_id(kind, rule, scope, start_t),
        "kind": kind,
        "rule": rule,
        "level": level,
        "scope": scope,
        "scope_type": scope_type,
        "start_time": start_t,
        "end_time": _naive(end),
        "active": bool(active),
        "evidence": dict(evidence),
        "message_zh": message_zh,
        "message_en": message_en,
    }


_SCHEMA = pa.schema(
    [
        ("warning_id", pa.string()),
        ("kind", pa.string()),
        ("rule", pa.string()),
        ("level", pa.string()),
        ("scope", pa.string()),
        ("scope_type", pa.string()),
        ("start_time", pa.timestamp("us")),
        ("end_time", pa.timestamp("us")),
        ("active", pa.bool_()),
        ("evidence", pa.string()),
        ("message_zh", pa.string()),
        ("message_en", pa.string()),
        ("raised_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
    ]
)


def warnings_table(warnings: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Warning records as an Arrow table of the store's columns (evidence as JSON text)."""
    rows = []
    for w in warnings:
        r = {c: w.get(c) for c in WARNING_COLUMNS}
        if not isinstance(r["evidence"], str) and r["evidence"] is not None:
            r["evidence"] = _dump(r["evidence"])
        rows.append(r)
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


# ---------------------------------------------------------------------------
# saving and reading


def _family_match(rule: str, families: Iterable[tuple[str, str]], kind: str) -> bool:
    return any(k == kind and (rule == r or rule.startswith(r + ":")) for k, r in families)


def save_warnings(
    store,
    warnings: Sequence[Mapping[str, Any]],
    *,
    families: Iterable[tuple[str, str]] = (),
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Insert new warnings, update changed ones, leave equal ones alone (one transaction).

    ``families`` are the ``(kind, rule)`` pairs that were fully re-evaluated
    (a rule matches itself and ``rule:<anything>``): their stored warnings
    that ``warnings`` no longer holds are made inactive, with a note in the
    evidence. Returns counts ``inserted``, ``updated``, ``unchanged``, ``retired``.
    """
    from ..store import now as store_now

    stamp = now or store_now()
    new = {w["warning_id"]: w for w in warnings}
    if len(new) != len(warnings):
        dup = [w["warning_id"] for w in warnings]
        raise ValueError(f"two warnings share an id: {sorted({d for d in dup if dup.count(d) > 1})[:3]}")
    counts = {"inserted": 0, "updated": 0, "unchanged": 0, "retired": 0}
    families = list(families)
    con = store.con
    with store.transaction():
        stored = {
            r[0]: dict(zip(WARNING_COLUMNS, r, strict=True))
            for r in con.execute(f"SELECT {', '.join(WARNING_COLUMNS)} FROM warnings").fetchall()
        }
        inserts, updates = [], []
        for wid, w in new.items():
            row = {c: w.get(c) for c in WARNING_COLUMNS}
            row["evidence"] = w["evidence"] if isinstance(w["evidence"], str) else _dump(w["evidence"])
            old = stored.get(wid)
            if old is None:
                row["raised_at"] = stamp
                row["updated_at"] = stamp
                inserts.append(row)
            elif any(_differs(old[c], row[c]) for c in _COMPARED):
                row["raised_at"] = old["raised_at"]
                row["updated_at"] = stamp
                updates.append(row)
            else:
                counts["unchanged"] += 1
        retire = []
        for wid, old in stored.items():
            if wid in new or not old["active"] or not _family_match(old["rule"], families, old["kind"]):
                continue
            ev = _load(old["evidence"])
            ev["retired"] = {"at": stamp.isoformat(), "why": "the current data no longer raise this warning"}
            retire.append((_dump(ev), stamp, wid))
        if updates:
            ids = [r["warning_id"] for r in updates]
            con.execute("DELETE FROM warnings WHERE warning_id IN (SELECT unnest(?))", [ids])
        rows = inserts + updates
        if rows:
            table = warnings_table(rows)
            con.register("_new_warnings", table)
            try:
                con.execute(
                    f"INSERT INTO warnings ({', '.join(WARNING_COLUMNS)}) "
                    f"SELECT {', '.join(WARNING_COLUMNS)} FROM _new_warnings"
                )
            finally:
                con.unregister("_new_warnings")
        for ev, ts, wid in retire:
            con.execute(
                "UPDATE warnings SET active = false, evidence = ?, updated_at = ? WHERE warning_id = ?",
                [ev, ts, wid],
            )
        counts["inserted"] = len(inserts)
        counts["updated"] = len(updates)
        counts["retired"] = len(retire)
    return counts


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        return _naive(a) != _naive(b)
    return a != b


def _load(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def read_warnings(
    source,
    *,
    active: bool | None = None,
    kinds: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
) -> pa.Table:
    """Stored warnings, newest start first, filtered (``source``: a Store or an Ibis backend)."""
    backend = getattr(source, "ibis", source)
    t = backend.table("warnings")
    if active is not None:
        t = t.filter(t.active == active)
    if kinds:
        t = t.filter(t.kind.isin(list(kinds)))
    if scopes:
        t = t.filter(t.scope.isin(list(scopes)))
    if levels:
        t = t.filter(t.level.isin(list(levels)))
    t = t.order_by([t.start_time.desc(), t.kind, t.scope, t.rule])
    return backend.to_pyarrow(t.select(*WARNING_COLUMNS))


# ---------------------------------------------------------------------------
# heavy pollution: episodes of the pollution module as warnings


def episodes_to_warnings(episodes: Iterable[Any], *, rule: str, plan=None) -> list[dict[str, Any]]:
    """Warning records from :class:`ecoplan.alerts.pollution.Episode` objects."""
    names = plan.scopes.cities if plan is not None else {}
    out = []
    for e in episodes:
        city_en = names.get(e.city) or names.get(e.city + "市") or e.city
        start, end = pd.Timestamp(e.start), pd.Timestamp(e.end)
        when_zh = f"{start:%Y-%m-%d %H:%M}至{end:%Y-%m-%d %H:%M}"
        when_en = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
        source_zh = "预报" if rule.startswith("forecast") else "实测"
        lifted_zh = "已解除" if e.lifted else "未解除"
        message_zh = (
            f"{e.city}重污染天气{e.level_zh}预警({source_zh})：{when_zh}，{e.rule_zh}，"
            f"日AQI最高{e.max_aqi:.0f}；{lifted_zh}"
        )
        message_en = (
            f"{city_en}: {e.level} heavy-pollution warning ({'forecast' if source_zh == '预报' else 'observed'}), "
            f"{when_en}: {e.rule}; highest day AQI {e.max_aqi:.0f}; {'lifted' if e.lifted else 'not lifted'}"
        )
        evidence = {
            "city": e.city,
            "duration_hours": e.duration_hours,
            "hours_above_200": e.hours_above_200,
            "hours_above_300": e.hours_above_300,
            "max_aqi": e.max_aqi,
            "lifted": e.lifted,
            "lift_from": e.lift_from.isoformat() if e.lift_from else None,
            **e.evidence,
        }
        out.append(
            make_warning(
                kind="heavy_pollution",
                rule=rule,
                level=e.level,
                scope=f"city:{e.city}",
                scope_type="city",
                start=e.start,
                end=e.end,
                active=not e.lifted,
                evidence=evidence,
                message_zh=message_zh,
                message_en=message_en,
            )
        )
    return out


def heavy_pollution_warnings(
    backend,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    cities: Sequence[str] | None = None,
    rules_file: str | Path | None = None,
    plan=None,
) -> list[dict[str, Any]]:
    """Heavy-pollution warnings from the store's observed city hourly AQI (rule ``observed_aqi``).

    The hourly AQI of each city (HJ 633 real-time report of the city's
    hourly means, :func:`ecoplan.air.queries.hourly`) is graded by
    :func:`ecoplan.alerts.pollution.heavy_pollution_episodes` (day AQI = mean
    of any 24 consecutive hours).
    """
    from ..air import queries as air_queries
    from . import pollution

    start = since - dt.timedelta(days=1) if since is not None else None
    h = air_queries.hourly(backend, by="city", cities=cities, start=start, end=until)
    frame = backend.to_pyarrow(h.select("city", "time", "aqi")).to_pandas()
    frame = frame[frame["aqi"].notna()]
    if frame.empty:
        return []
    episodes = pollution.heavy_pollution_episodes(hourly=frame, rules=pollution.load_rules(rules_file))
    if since is not None:
        first = dt.datetime.combine(since, dt.time())
        episodes = [e for e in episodes if e.end > first]
    return episodes_to_warnings(episodes, rule="observed_aqi", plan=plan)


def forecast_warnings(
    forecast: Any, *, rules_file: str | Path | None = None, plan=None
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Grade a forecast table of daily AQI by city (rule ``forecast_aqi``): (episodes, warnings)."""
    from . import pollution

    book = pollution.load_rules(rules_file)
    frame = forecast.to_pandas() if hasattr(forecast, "to_pandas") else pd.DataFrame(forecast)
    cols = {str(c).strip().lower() for c in frame.columns}
    hourly = bool(cols & {"time", "时间", "datetime", "hour_end"}) and not (cols & {"date", "日期", "day"})
    if hourly:
        episodes = pollution.heavy_pollution_episodes(hourly=frame, rules=book)
    else:
        episodes = pollution.heavy_pollution_episodes(daily=frame, rules=book)
    return episodes, episodes_to_warnings(episodes, rule="forecast_aqi", plan=plan)


# ---------------------------------------------------------------------------
# everything at once


def refresh_warnings(
    store,
    plan=None,
    *,
    kinds: Sequence[str] = KINDS,
    rules_file: str | Path | None = None,
    pollution_rules: str | Path | None = None,
    compute: bool = True,
    years: Sequence[int] | None = None,
    since: dt.date | None = None,
) -> dict[str, Any]:
    """Compute indicator values (``compute``), then every kind of warning, and save them.

    Returns a summary: the indicator computation's counts (``indicators``),
    the number of warnings found per kind (``found``) and what saving did
    (``saved``: inserted, updated, unchanged, retired).
    """
    from ..plan import resolve_plan
    from ..plan.indicators import write_indicators
    from . import deterioration, ecoflow, targets

    plan = plan or resolve_plan(None)
    rules = load_alert_rules(rules_file)
    start = since or since_date(rules, plan)
    summary: dict[str, Any] = {"since": start.isoformat()}
    if compute:
        summary["indicators"] = write_indicators(store, plan, years=years)
    found: list[dict[str, Any]] = []
    families: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    backend = store.ibis
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown warning kinds {', '.join(unknown)}; use {', '.join(KINDS)}")
    if "heavy_pollution" in kinds and _has(store, "observations"):
        w = heavy_pollution_warnings(backend, since=start, rules_file=pollution_rules, plan=plan)
        found += w
        families.append(("heavy_pollution", "observed_aqi"))
        counts["heavy_pollution"] = len(w)
    if "ecoflow" in kinds and _has(store, "flows"):
        w = ecoflow.ecoflow_warnings(backend, rules=rules, since=start)
        found += w
        families += [("ecoflow", r) for r in ecoflow.RULES]
        counts["ecoflow"] = len(w)
    if "deterioration" in kinds:
        w = []
        if _has(store, "water_samples"):
            w += deterioration.water_deterioration(backend, rules=rules, since=start)
            families.append(("deterioration", deterioration.WATER_RULE))
        if _has(store, "observations"):
            w += deterioration.air_path_deterioration(backend, plan, rules=rules, since=start, values=store)
            families.append(("deterioration", deterioration.AIR_RULE))
        found += w
        counts["deterioration"] = len(w)
    if "target" in kinds:
        w = targets.target_warnings(store, plan, rules=rules)
        found += w
        families += [("target", r) for r in targets.RULES]
        counts["target"] = len(w)
    summary["found"] = counts
    summary["saved"] = save_warnings(store, found, families=families)
    return summary


def _has(store, table: str) -> bool:
    return bool(store.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchone()[0])
