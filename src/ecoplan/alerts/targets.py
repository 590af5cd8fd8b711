"""Target warnings: a target whose status turns bad, or whose projection misses the target.

From the yearly status history of the plan's targets
(:func:`ecoplan.plan.status.status_history`: the status as it stood at the end
of each year with a new value), two rules with levels from ``rules.toml``
([targets]):

``target_status:<target id>``
    the status is one of ``status_levels`` (limited progress: yellow,
    deterioration: orange). Consecutive years in such a status form one
    warning, starting in the year the status turned (or the first year
    judged); its level is the worst year's.
``target_projection:<target id>``
    before the target year, the target is not achieved and the projected value in the target year
    (the observed compound annual growth carried forward,
    :func:`ecoplan.plan.progress.assess`) misses the target by more than
    ``projection_tolerance`` of the target (0: any miss).

A warning covers whole years (``start_time`` 1 January of its first year,
``end_time`` 1 January after its last) and is active when the latest year
judged is still in it. Its scope is the target's scope; the evidence holds
each year's status, value, rates and projection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..plan import progress
from ..plan.status import labels, status_history
from .store import level_rank, load_alert_rules, make_warning

__all__ = ["PROJECTION_RULE", "RULES", "STATUS_RULE", "goal_text", "target_warnings"]

STATUS_RULE = "target_status"
PROJECTION_RULE = "target_projection"
RULES = (STATUS_RULE, PROJECTION_RULE)


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    return f"{float(v):.4g}"


# Chinese words for the counting units of the vocabulary (messages only)
UNITS_ZH = {
    "sections": "个断面",
    "rivers": "条河流",
    "lakes": "个湖库",
    "days": "天",
    "facilities": "个",
    "towns": "个",
    "count": "个",
    "boilers": "台",
    "mines": "座",
    "vehicles": "辆",
    "households": "户",
    "bases": "个",
    "zones": "个",
    "class": "类",
}


def _with_unit(v: Any, unit: str, lang: str = "en") -> str:
    text = _fmt(v)
    if unit == "%":
        return text + unit
    if lang == "zh" and unit in UNITS_ZH:
        return text + UNITS_ZH[unit]
    return f"{text} {unit}"


_GOALS = {
    ">=": ("不低于{v}", "at least {v}"),
    ">": ("高于{v}", "above {v}"),
    "<=": ("不高于{v}", "at most {v}"),
    "<": ("低于{v}", "below {v}"),
    "=": ("等于{v}", "equal to {v}"),
    "reduce_by_pct": ("较基准年下降{p}%", "{p} % below the baseline"),
    "increase_by_pct": ("较基准年上升{p}%", "{p} % above the baseline"),
    "increase_by": ("较基准年增加{v}", "{v} more than the baseline"),
    "not_decreasing": ("不低于基准年", "not below the baseline"),
    "not_increasing": ("不高于基准年", "not above the baseline"),
    "increasing": ("高于基准年", "above the baseline"),
    "decreasing": ("低于基准年", "below the baseline"),
    "zero": ("为零", "zero"),
    "all_meet": ("全部达到要求", "met by every member"),
}


def goal_text(target, lang: str = "zh") -> str:
    """The target's requirement in words (``zh`` or ``en``)."""
    zh, en = _GOALS.get(target.comparator or "", ("{v}", "{v}"))
    value = "" if target.value is None else _with_unit(target.value, target.unit, lang)
    pct = "" if target.value is None else _fmt(target.value)
    return (zh if lang == "zh" else en).format(v=value, p=pct)


def _misses(row: Mapping[str, Any], tolerance: float) -> bool:
    if row["status"] == progress.ACHIEVED or row["projected_meets"] is None or row["projected_meets"]:
        return False
    if row["target_year"] is not None and int(row["latest_year"]) >= int(row["target_year"]):
        return False  # the target year has come: the status says whether it was met
    if not tolerance:
        return True
    goal, proj = row["target_resolved"], row["projected_value"]
    if goal is None or proj is None:
        return True
    return abs(proj - goal) > abs(goal) * tolerance


def _year_row(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "year": int(r["latest_year"]),
        "status": r["status"],
        "status_zh": r["status_zh"],
        "value": r["latest_value"],
        "baseline": {"year": r["baseline_year"], "value": r["baseline_value"]},
        "target": r["target_resolved"],
        "ratio": r["ratio"],
        "observed_rate": r["observed_rate"],
        "required_rate": r["required_rate"],
        "needed_rate": r["needed_rate"],
        "projected_value": r["projected_value"],
        "projected_meets": r["projected_meets"],
        "origin": r["origin"],
    }


def target_warnings(
    source, plan, *, rules: Mapping[str, Any] | None = None, history: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """Target warnings of ``plan`` from the stored indicator values (or a given status history)."""
    rules = rules or load_alert_rules()
    cfg = rules["targets"]
    levels = dict(cfg.get("status_levels", {}))
    tolerance = float(cfg.get("projection_tolerance", 0.0))
    if history is None:
        history = status_history(source, plan).to_pandas()
    if history.empty:
        return []
    history = history.astype(object).where(history.notna(), None)
    out = []
    for tid, part in history.groupby("id", sort=True):
        part = part.sort_values("latest_year")
        rows = part.to_dict("records")
        last_year = int(rows[-1]["latest_year"])
        target = plan.target(tid)
        for rule, hit in (
            (STATUS_RULE, lambda r: r["status"] in levels),
            (PROJECTION_RULE, lambda r: _misses(r, tolerance)),
        ):
            runs: list[list[dict]] = []
            prev_hit = False
            for r in rows:
                if hit(r):
                    if prev_hit:
                        runs[-1].append(r)
                    else:
                        runs.append([r])
                prev_hit = hit(r)
            for run in runs:
                out.append(_warning(plan, target, rule, run, rows, last_year, levels, cfg))
    return out


def _warning(plan, target, rule, run, rows, last_year, levels, cfg) -> dict[str, Any]:
    first, last = run[0], run[-1]
    y0, y1 = int(first["latest_year"]), int(last["latest_year"])
    active = y1 == last_year
    before = [r for r in rows if int(r["latest_year"]) < y0]
    came_from = before[-1]["status"] if before else None
    unit = target.unit
    goal_zh, goal_en = goal_text(target, "zh"), goal_text(target, "en")
    resolved = last["target_resolved"]
    implied = target.comparator not in (">=", ">", "<=", "<", "=", "all_meet") and resolved is not None
    if rule == STATUS_RULE:
        level = max((levels[r["status"]] for r in run), key=level_rank)
        zh_status, en_status = labels(last["status"])
        message_zh = (
            f"目标“{target.name.zh}”({target.scope})进展预警：{y0}年起{labels(first['status'])[0]}"
            + (f"，{y1}年{zh_status}" if last["status"] != first["status"] else "")
            + f"；{y1}年值{_with_unit(last['latest_value'], unit, 'zh')}，目标{target.year}年{goal_zh}"
            + (f"(即{_with_unit(resolved, unit, 'zh')})" if implied else "")
            + ("" if active else "；已恢复")
        )
        message_en = (
            f"Target '{target.name.en}' ({target.scope}): {labels(first['status'])[1].lower()} from {y0}"
            + (f", {en_status.lower()} in {y1}" if last["status"] != first["status"] else "")
            + f"; {_with_unit(last['latest_value'], unit)} in {y1}, target {goal_en} by {target.year}"
            + (f" (= {_with_unit(resolved, unit)})" if implied else "")
            + ("" if active else "; since recovered")
        )
    else:
        level = cfg.get("projection_level", "yellow")
        message_zh = (
            f"目标“{target.name.zh}”({target.scope})按现有趋势难以按期实现：{y1}年值"
            f"{_with_unit(last['latest_value'], unit, 'zh')}，推算{target.year}年为"
            f"{_with_unit(last['projected_value'], unit, 'zh')}，目标{goal_zh}"
            + (f"(即{_with_unit(resolved, unit, 'zh')})" if implied else "")
            + ("" if active else "；最新推算已可实现")
        )
        message_en = (
            f"Target '{target.name.en}' ({target.scope}) off course: {_with_unit(last['latest_value'], unit)} in {y1} "
            f"projects to {_with_unit(last['projected_value'], unit)} in {target.year}; target {goal_en}"
            + (f" (= {_with_unit(resolved, unit)})" if implied else "")
            + ("" if active else "; the latest projection meets it")
        )
    evidence = {
        "target": target.id,
        "indicator": target.indicator,
        "comparator": target.comparator,
        "target_value": target.value,
        "target_year": target.year,
        "unit": unit,
        "status_before": came_from,
        "years": [_year_row(r) for r in run],
        "method": "Open SDG / Statistics Canada progress measure (ecoplan.plan.progress)",
        "rule": {
            "status_levels": dict(levels),
            "projection_level": cfg.get("projection_level"),
            "projection_tolerance": cfg.get("projection_tolerance", 0.0),
        },
    }
    resolved = plan.resolve_scope(target.scope)
    return make_warning(
        kind="target",
        rule=f"{rule}:{target.id}",
        level=level,
        scope=target.scope,
        scope_type=resolved.type,
        start=dt.datetime(y0, 1, 1),
        end=dt.datetime(y1 + 1, 1, 1),
        active=active,
        evidence=evidence,
        message_zh=message_zh,
        message_en=message_en,
    )
