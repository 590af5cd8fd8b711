"""Eco-flow warnings: a river's flow below its ecological-flow threshold, daily and over 7 days.

The threshold of each gauge and day is the plan's seasonal rule
(:mod:`ecoplan.flow.ecoflow`: 10 % of the multi-year mean flow in the non-flood
season, 20 % in the flood season). Two rules, with levels and durations from
``rules.toml`` ([ecoflow]):

``daily_below_threshold``
    an observed day whose discharge is below the day's threshold;
``window_below_threshold``
    a day on which the mean of the ``window_days`` (7) days ending on it, all
    observed, is below that day's threshold.

Days meeting a rule in a row form one warning (runs separated by at most
``merge_gap_days`` days merge; a run shorter than ``min_days`` raises none);
a missing day ends a run. The warning's scope is the gauge (``gauge:<code>``),
with its river and name in the evidence and the messages; it is active when
the rule still holds on the gauge's latest day with a discharge. Its level is
the rule's level.

The daily series and the runs (gaps and islands over day numbers) are Ibis
expressions; only the warnings' texts are made in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import pandas as pd

from .store import load_alert_rules, make_warning

__all__ = ["DAILY_RULE", "RULES", "WINDOW_RULE", "ecoflow_warnings", "shortfall_runs"]

DAILY_RULE = "daily_below_threshold"
WINDOW_RULE = "window_below_threshold"
RULES = (DAILY_RULE, WINDOW_RULE)
MAX_VALUES = 62  # daily values kept in a warning's evidence (first and last days of a long run)


def _status(backend, *, since: dt.date | None, window_days: int, gauges, rivers, flow_rule):
    from ..flow import load_rule
    from ..flow import queries as flow_queries

    rule = flow_rule or load_rule(window_days=window_days)
    start = since - dt.timedelta(days=window_days - 1) if since is not None else None
    t = flow_queries.daily_status(backend, gauges=gauges, rivers=rivers, start=start, rule=rule)
    return t, rule


def shortfall_runs(status, *, since: dt.date | None = None):
    """Runs of days below the threshold, per gauge and rule, from :func:`ecoplan.flow.queries.daily_status`.

    Returns an Ibis table ``gauge, rule, start, last, days, min_flow, min_ratio,
    threshold_min, threshold_max``; ``min_ratio`` is the lowest flow (or 7-day
    mean) over its threshold.
    """
    s = status
    if since is not None:
        s = s.filter(s.date >= since)
    daily = s.filter(s.compliant == False).select(  # noqa: E712 (an Ibis comparison)
        "gauge",
        "date",
        "threshold",
        rule=ibis.literal(DAILY_RULE),
        flow=s.discharge,
    )
    window = s.filter(s.flow_7d.notnull() & (s.flow_7d < s.threshold)).select(
        "gauge",
        "date",
        "threshold",
        rule=ibis.literal(WINDOW_RULE),
        flow=s.flow_7d,
    )
    days = daily.union(window)
    days = days.mutate(day=days.date.epoch_days())
    rn = ibis.row_number().over(group_by=[days.gauge, days.rule], order_by=days.date)
    days = days.mutate(island=days.day - rn)
    ratio = ibis.ifelse(days.threshold > 0, days.flow / days.threshold, ibis.null("float64"))
    days = days.mutate(ratio=ratio)
    return days.group_by(["gauge", "rule", "island"]).aggregate(
        start=days.date.min(),
        last=days.date.max(),
        days=days.count(),
        min_flow=days.flow.min(),
        min_ratio=days.ratio.min(),
        threshold_min=days.threshold.min(),
        threshold_max=days.threshold.max(),
    )


def _merge_runs(runs: pd.DataFrame, gap: int) -> pd.DataFrame:
    """Merge runs of one gauge and rule separated by at most ``gap`` days."""
    if runs.empty or gap <= 0:
        return runs.assign(parts=1)
    out = []
    for (_g, _r), part in runs.sort_values("start").groupby(["gauge", "rule"], sort=False):
        cur = None
        for r in part.to_dict("records"):
            if cur is not None and (pd.Timestamp(r["start"]) - pd.Timestamp(cur["last"])).days - 1 <= gap:
                cur["last"] = max(cur["last"], r["last"])
                cur["days"] += r["days"]
                cur["min_flow"] = min(cur["min_flow"], r["min_flow"])
                cur["min_ratio"] = _min(cur["min_ratio"], r["min_ratio"])
                cur["threshold_min"] = min(cur["threshold_min"], r["threshold_min"])
                cur["threshold_max"] = max(cur["threshold_max"], r["threshold_max"])
                cur["parts"] += 1
            else:
                if cur is not None:
                    out.append(cur)
                cur = {**r, "parts": 1}
        out.append(cur)
    return pd.DataFrame(out)


def _min(a, b):
    vals = [v for v in (a, b) if v is not None and v == v]
    return min(vals) if vals else None


def ecoflow_warnings(
    backend,
    *,
    rules: Mapping[str, Any] | None = None,
    since: dt.date | None = None,
    gauges: Sequence[str] | None = None,
    rivers: Sequence[str] | None = None,
    flow_rule=None,
) -> list[dict[str, Any]]:
    """Eco-flow warnings of every gauge (or the chosen ones) from ``since`` on."""
    rules = rules or load_alert_rules()
    cfg = rules["ecoflow"]
    window_days = int(cfg["window_days"])
    status, rule = _status(
        backend, since=since, window_days=window_days, gauges=gauges, rivers=rivers, flow_rule=flow_rule
    )
    runs = backend.to_pyarrow(shortfall_runs(status, since=since)).to_pandas()
    if runs.empty:
        return []
    latest = status.filter(status.observed)
    latest = backend.to_pyarrow(
        latest.group_by("gauge").aggregate(
            latest=latest.date.max(), name=latest.name.max(), river=latest.river.max()
        )
    ).to_pandas()
    meta = latest.set_index("gauge")
    runs = _merge_runs(runs, int(cfg.get("merge_gap_days", 0)))
    # the daily values behind each run, for the evidence
    values = status.filter(status.observed)
    if since is not None:
        values = values.filter(values.date >= since - dt.timedelta(days=window_days - 1))
    wanted = runs[["gauge"]].drop_duplicates()["gauge"].tolist()
    values = values.filter(values.gauge.isin(wanted)).select(
        "gauge", "date", "season", "discharge", "threshold", "flow_7d"
    )
    daily = backend.to_pyarrow(values).to_pandas()
    out = []
    for r in runs.to_dict("records"):
        which = "daily" if r["rule"] == DAILY_RULE else "window"
        min_days = int(cfg[which].get("min_days", 1))
        if r["days"] < min_days:
            continue
        g = r["gauge"]
        info = meta.loc[g] if g in meta.index else None
        name = None if info is None else info["name"]
        river = None if info is None else info["river"]
        last_day = None if info is None else info["latest"]
        start, last = pd.Timestamp(r["start"]).date(), pd.Timestamp(r["last"]).date()
        active = last_day is not None and pd.Timestamp(last_day).date() == last
        sel = daily[(daily["gauge"] == g) & (daily["date"] >= pd.Timestamp(start).date())]
        sel = sel[sel["date"] <= last]
        rows = [
            {
                "date": d.isoformat() if hasattr(d, "isoformat") else str(d),
                "discharge": _f(q),
                "threshold": _f(th),
                f"flow_{window_days}d": _f(m),
                "season": s,
            }
            for d, q, th, m, s in zip(
                sel["date"], sel["discharge"], sel["threshold"], sel["flow_7d"], sel["season"], strict=True
            )
        ]
        truncated = len(rows) > MAX_VALUES
        if truncated:
            rows = rows[: MAX_VALUES // 2] + rows[-MAX_VALUES // 2 :]
        label = f"{name or g}" + (f" ({river})" if river else "")
        what_zh = "日流量" if which == "daily" else f"{window_days}日平均流量"
        what_en = "daily flow" if which == "daily" else f"{window_days}-day mean flow"
        thr = r["threshold_min"] if r["threshold_min"] == r["threshold_max"] else None
        thr_zh = (
            f"阈值{thr:.3g} m³/s"
            if thr is not None
            else f"阈值{r['threshold_min']:.3g}-{r['threshold_max']:.3g} m³/s"
        )
        thr_en = (
            f"threshold {thr:.3g} m3/s"
            if thr is not None
            else f"threshold {r['threshold_min']:.3g}-{r['threshold_max']:.3g} m3/s"
        )
        message_zh = (
            f"{river or ''}{name or g}站生态流量预警：{start}至{last}共{int(r['days'])}天{what_zh}低于生态流量"
            f"({thr_zh})，最低{r['min_flow']:.3g} m³/s" + ("；仍未恢复" if active else "")
        )
        message_en = (
            f"Eco-flow warning at {label}: {what_en} below the eco-flow threshold on {int(r['days'])} day(s) "
            f"from {start} to {last} ({thr_en}), lowest {r['min_flow']:.3g} m3/s"
            + ("; not recovered at the latest data" if active else "")
        )
        evidence = {
            "gauge": g,
            "name": name,
            "river": river,
            "rule": r["rule"],
            "days": int(r["days"]),
            "runs_merged": int(r.get("parts", 1)),
            "min_flow": _f(r["min_flow"]),
            "min_ratio_to_threshold": _f(r["min_ratio"]),
            "threshold_min": _f(r["threshold_min"]),
            "threshold_max": _f(r["threshold_max"]),
            "latest_day_with_data": None if last_day is None else pd.Timestamp(last_day).date().isoformat(),
            "flow_rule": {
                "flood_months": list(rule.flood_months),
                "non_flood_share": rule.non_flood_share,
                "flood_share": rule.flood_share,
                "base": rule.base,
                "window_days": window_days,
            },
            "values": rows,
            "values_truncated": truncated,
        }
        out.append(
            make_warning(
                kind="ecoflow",
                rule=r["rule"],
                level=cfg[which]["level"],
                scope=f"gauge:{g}",
                scope_type="gauge",
                start=dt.datetime.combine(start, dt.time()),
                end=dt.datetime.combine(last + dt.timedelta(days=1), dt.time()),
                active=active,
                evidence=evidence,
                message_zh=message_zh,
                message_en=message_en,
            )
        )
    return out


def _f(v) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if x != x else x
