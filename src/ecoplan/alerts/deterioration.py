"""Deterioration warnings: water sections worse than a year before, city air worse than its path.

Water: a section's class worse than in the same period a year before
(rule ``section_class_vs_year_before``)
    Classes per section and period (``[deterioration.water] period`` in
    ``rules.toml``, monthly by default) come from
    :func:`ecoplan.water.queries.classify` (GB 3838-2002, single factor). A
    period is worse when its class number is above that of the same period
    one year earlier and, unless ``count_within_level``, its qualitative level
    (环办〔2011〕22号: I-II 优, III 良好, IV 轻度, V 中度, 劣V 重度污染) is worse too. Consecutive worse periods of a section form one warning;
    its level is the worst month's: one class lost ``yellow``, two or more
    ``orange``, falling to 劣V ``red`` (configurable). Active when the
    section's latest period with a class is one of them.

Air: a city's rolling PM2.5 or good-day ratio worse than its path to the target
(rule ``air_path:<indicator>``)
    *Rolling value* on day D: over the ``window_days`` (365) days ending on D,
    the mean of the city's daily PM2.5 means, or the share of days with an
    AQI of at most 100 among the days with an AQI (in %); given when at least
    GB 3095's annual number of valid days (324) is present.

    *Path*: a straight line from the city's annual value of the baseline year
    (read from ``indicator_values``, computed), placed at the end of the
    baseline year, to the city's target value at the end of the target year,
    and flat at the target value after it. The city's target is taken from
    the plan, most specific first: a target on the city itself, then one on a
    group of cities holding it (a relative target such as "下降20%" applies
    to the city's own baseline), then the province's target (an absolute
    figure such as "低于40" applies to the city as it stands; a city already
    better than it at the baseline keeps its baseline value as its path, so
    that it must not slip back) [choice; documented in the evidence].

    A day is worse than the path when the rolling value is worse by more than
    the indicator's tolerance; ``level_path`` (yellow), or ``level_baseline``
    (orange) on days worse than the baseline value itself. Days in a row form
    a warning; runs closer than ``merge_gap_days`` merge. Active when the
    city's latest day with a rolling value is worse than the path.

The daily series, rolling values, paths and runs are Ibis expressions; the
warnings' texts are made in Python from the few rows of runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from ..standards import validity_rules
from .store import level_rank, load_alert_rules, make_warning

__all__ = [
    "AIR_RULE",
    "WATER_RULE",
    "air_path_deterioration",
    "city_paths",
    "rolling_air",
    "water_deterioration",
    "worse_than_year_before",
]

WATER_RULE = "section_class_vs_year_before"
AIR_RULE = "air_path"
CLASS_TEXT = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}
_STEP = {"month": pd.DateOffset(months=1), "season": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}


# ---------------------------------------------------------------------------
# water


def worse_than_year_before(classes, *, since: dt.date | None = None):
    """Periods whose class is worse than in the same period a year before (Ibis).

    ``classes``: :func:`ecoplan.water.queries.classify` rows (``section,
    period_start, period, class_n`` ...). Returns ``section, period,
    period_start, class_n, prev_class_n, steps``.
    """
    c = classes.filter(classes.class_n.notnull()).select("section", "period", "period_start", "class_n")
    prev = c.select(
        p_section=c.section,
        p_start=c.period_start + ibis.interval(years=1),
        prev_period=c.period,
        prev_class_n=c.class_n,
    )
    j = c.inner_join(prev, (c.section == prev.p_section) & (c.period_start == prev.p_start))
    j = j.select("section", "period", "period_start", "class_n", "prev_period", "prev_class_n")
    j = j.filter(j.class_n > j.prev_class_n)
    if since is not None:
        j = j.filter(j.period_start >= dt.datetime.combine(since, dt.time()))
    return j.mutate(steps=(j.class_n - j.prev_class_n).cast("int32"))


def _water_level(cfg: Mapping[str, Any], class_n: int, steps: int) -> str:
    if class_n >= 6 and cfg.get("to_worst_level"):
        return cfg["to_worst_level"]
    if steps >= int(cfg.get("steps_orange", 2)):
        return "orange"
    return "yellow"


def water_deterioration(
    backend, *, rules: Mapping[str, Any] | None = None, since: dt.date | None = None
) -> list[dict[str, Any]]:
    """Water deterioration warnings of every section from ``since`` on."""
    from ..water import queries as water_queries

    rules = rules or load_alert_rules()
    cfg = rules["deterioration"]["water"]
    period = cfg.get("period", "month")
    if period not in _STEP:
        raise ValueError(f"deterioration.water.period must be month, season or year, not {period!r}")
    years = None
    if since is not None:
        s = backend.table("water_samples")
        hi = backend.to_pyarrow(s.aggregate(hi=s.time.max())).to_pylist()[0]["hi"]
        if hi is None:
            return []
        years = list(range(since.year - 1, hi.year + 1))
    classes = water_queries.classify(backend, period=period, years=years)
    worse = backend.to_pyarrow(worse_than_year_before(classes, since=since)).to_pandas()
    if not cfg.get("count_within_level", False) and not worse.empty:
        from ..water import standard as sd

        level = {n: sd.level_of_class(n).level for n in range(1, sd.WORST_CLASS + 1)}
        worse = worse[worse["class_n"].map(level) != worse["prev_class_n"].map(level)]
    if worse.empty:
        return []
    latest = backend.to_pyarrow(
        classes.filter(classes.class_n.notnull())
        .group_by("section")
        .aggregate(latest=classes.period_start.max())
    ).to_pandas()
    latest = dict(zip(latest["section"], latest["latest"], strict=True))
    secs = backend.table("sections")
    meta = (
        backend.to_pyarrow(secs.select("code", "name", "river", "basin", "city"))
        .to_pandas()
        .set_index("code")
    )
    step = _STEP[period]
    out = []
    worse = worse.sort_values(["section", "period_start"])
    for section, part in worse.groupby("section", sort=True):
        runs: list[list[dict]] = []
        for r in part.to_dict("records"):
            start = pd.Timestamp(r["period_start"])
            if runs and pd.Timestamp(runs[-1][-1]["period_start"]) + step == start:
                runs[-1].append(r)
            else:
                runs.append([r])
        info = meta.loc[section] if section in meta.index else None
        name = section if info is None or info["name"] is None else info["name"]
        river = None if info is None else info["river"]
        for run in runs:
            first, last = run[0], run[-1]
            levels = [_water_level(cfg, int(r["class_n"]), int(r["steps"])) for r in run]
            level = max(levels, key=level_rank)
            worst = max(run, key=lambda r: (int(r["class_n"]), int(r["steps"])))
            end = pd.Timestamp(last["period_start"]) + step
            active = pd.Timestamp(latest.get(section)) == pd.Timestamp(last["period_start"])
            periods = [
                {
                    "period": r["period"],
                    "class": CLASS_TEXT[int(r["class_n"])],
                    "year_before": r["prev_period"],
                    "class_year_before": CLASS_TEXT[int(r["prev_class_n"])],
                    "classes_lost": int(r["steps"]),
                }
                for r in run
            ]
            where = f"{river}" if river else ""
            message_zh = (
                f"{where}{name}断面水质同比恶化：{first['period']}至{last['period']}共{len(run)}个时段类别差于上年同期，"
                f"最差{worst['period']}为{CLASS_TEXT[int(worst['class_n'])]}类"
                f"(上年同期{CLASS_TEXT[int(worst['prev_class_n'])]}类)"
                + ("；最新时段仍差于上年同期" if active else "")
            )
            message_en = (
                f"Water quality worse than a year before at section {name}"
                + (f" ({river})" if river else "")
                + f": {len(run)} period(s) from {first['period']} to {last['period']}; worst {worst['period']} class "
                f"{CLASS_TEXT[int(worst['class_n'])]} against {CLASS_TEXT[int(worst['prev_class_n'])]} a year before"
                + ("; still worse in the latest period" if active else "")
            )
            evidence = {
                "section": section,
                "name": name,
                "river": river,
                "basin": None if info is None else info["basin"],
                "period_type": period,
                "periods": periods,
                "levels": {
                    "one_class_lost": "yellow",
                    "classes_lost_for_orange": int(cfg.get("steps_orange", 2)),
                    "to_worse_than_v": cfg.get("to_worst_level"),
                },
                "method": "GB 3838-2002 single-factor class of the period's item means (环办〔2011〕22号)",
            }
            out.append(
                make_warning(
                    kind="deterioration",
                    rule=WATER_RULE,
                    level=level,
                    scope=f"section:{section}",
                    scope_type="section",
                    start=pd.Timestamp(first["period_start"]),
                    end=end,
                    active=bool(active),
                    evidence=evidence,
                    message_zh=message_zh,
                    message_en=message_en,
                )
            )
    return out


# ---------------------------------------------------------------------------
# air: paths


def _city_values(source) -> pd.DataFrame:
    from ..plan.status import load_values

    values = load_values(source)
    return values[values["origin"] == "computed"]


def city_paths(plan, values: pd.DataFrame, indicators: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each city's path for each indicator: baseline and target values and years, and the target used.

    Returns ``(paths, gaps)``; see the module docstring for the choice of target.
    """
    paths, gaps = [], []
    goals = [t for t in plan.targets if t.role == "target"]
    for ind in indicators:
        direction = plan.indicator(ind).direction
        usable = [
            t
            for t in goals
            if t.indicator == ind
            and t.comparator in (">=", ">", "<=", "<", "reduce_by_pct", "increase_by_pct")
            and (t.value is not None)
        ]
        for city in plan.scopes.cities:
            chosen = None
            for t in usable:
                r = plan.resolve_scope(t.scope)
                rank = (
                    0
                    if (r.type == "city" and r.name == city)
                    else 1
                    if (r.type == "group" and r.member_type == "city" and city in r.members)
                    else 2
                    if r.type == "province"
                    else None
                )
                if rank is not None and (chosen is None or rank < chosen[0]):
                    chosen = (rank, t)
            if chosen is None:
                gaps.append(f"{ind} {city}: no target of the plan covers the city")
                continue
            rank, t = chosen
            base_year = t.baseline.year if t.baseline else plan.baseline_year
            sel = values[
                (values["indicator"] == ind)
                & (values["scope"] == f"city:{city}")
                & (values["year"] == base_year)
            ]
            if sel.empty:
                gaps.append(f"{ind} {city}: no computed value for the baseline year {base_year}")
                continue
            base = float(sel["value"].iloc[0])
            if t.comparator in ("reduce_by_pct", "increase_by_pct"):
                factor = 1 - t.value / 100 if t.comparator == "reduce_by_pct" else 1 + t.value / 100
                goal = base * factor
                how = f"{t.id}: {t.comparator} {t.value:g} % applied to the city's {base_year} value"
            else:
                goal = float(t.value)
                better = goal < base if direction == "higher" else goal > base
                if better:
                    how = f"{t.id}: {t.comparator} {t.value:g}; the city is already better ({base:g}), path held at its {base_year} value"
                    goal = base
                else:
                    how = f"{t.id}: {t.comparator} {t.value:g} applied to the city"
            paths.append(
                {
                    "indicator": ind,
                    "city": city,
                    "base_year": int(base_year),
                    "base_value": base,
                    "target_year": int(t.year),
                    "target_value": float(goal),
                    "target_id": t.id,
                    "how": how,
                    "higher_is_better": direction == "higher",
                }
            )
    return paths, gaps


def rolling_air(daily, *, window_days: int, min_days: int):
    """Rolling ``window_days`` PM2.5 mean and good-day ratio (%) per city and day (Ibis).

    ``daily``: city daily reports (``city, date, pm2_5, aqi``). Returns
    ``city, date, pm25_roll, n_pm25, good_roll, n_aqi`` with the rolling values
    NULL where fewer than ``min_days`` days are present.
    """
    w = ibis.range_window(
        group_by="city", order_by="date", preceding=ibis.interval(days=window_days - 1), following=0
    )
    d = daily.mutate(good=(daily.aqi <= 100).cast("float64"))
    r = d.select(
        "city",
        "date",
        pm=d.pm2_5.mean().over(w),
        n_pm25=d.pm2_5.count().over(w),
        g=d.good.mean().over(w),
        n_aqi=d.aqi.count().over(w),
    )
    return r.select(
        "city",
        "date",
        pm25_roll=ibis.ifelse(r.n_pm25 >= min_days, r.pm, ibis.null("float64")),
        n_pm25="n_pm25",
        good_roll=ibis.ifelse(r.n_aqi >= min_days, r.g * 100.0, ibis.null("float64")),
        n_aqi="n_aqi",
    )


_ROLL_COLUMN = {"air.pm25_mean": "pm25_roll", "air.good_day_ratio": "good_roll"}


def air_path_deterioration(
    backend,
    plan,
    *,
    rules: Mapping[str, Any] | None = None,
    since: dt.date | None = None,
    values: Any = None,
    daily=None,
) -> list[dict[str, Any]]:
    """Warnings for cities whose rolling PM2.5 or good-day ratio is worse than their path.

    ``values``: where the cities' baseline values come from (a Store, a
    backend or a frame of indicator values; default ``backend``). ``daily``
    replaces the city daily reports read from the store (``city, date,
    pm2_5, aqi``).
    """
    from ..air import queries as air_queries

    rules = rules or load_alert_rules()
    cfg = rules["deterioration"]["air"]
    window = int(cfg["window_days"])
    min_valid = int(validity_rules()["annual_min_days"])
    min_valid = min(min_valid, window)
    indicators = [i for i in cfg.get("indicators", {}) if i in _ROLL_COLUMN]
    paths, _gaps = city_paths(plan, _city_values(values if values is not None else backend), indicators)
    if not paths:
        return []
    cities = sorted({p["city"] for p in paths})
    if daily is None:
        start = since - dt.timedelta(days=window - 1) if since is not None else None
        daily = air_queries.daily(backend, by="city", cities=cities, start=start)
        daily = daily.select("city", "date", "pm2_5", "aqi")
    roll = rolling_air(daily, window_days=window, min_days=min_valid)
    if since is not None:
        roll = roll.filter(roll.date >= since)
    # one row per city and day: computed once, then read by the three queries below
    roll = ibis.memtable(backend.to_pyarrow(roll))

    ptab = pa.Table.from_pylist(
        [
            {
                "indicator": p["indicator"],
                "city": p["city"],
                "b_day": (dt.date(p["base_year"], 12, 31) - dt.date(1970, 1, 1)).days,
                "t_day": (dt.date(p["target_year"], 12, 31) - dt.date(1970, 1, 1)).days,
                "b_value": p["base_value"],
                "t_value": p["target_value"],
                "sign": 1.0 if p["higher_is_better"] else -1.0,
                "tol": float(cfg["indicators"][p["indicator"]].get("tolerance", 0.0)),
            }
            for p in paths
        ]
    )
    pt = ibis.memtable(ptab)
    parts = []
    for ind, col in _ROLL_COLUMN.items():
        if ind not in indicators:
            continue
        r = roll.select("city", "date", value=roll[col]).filter(roll[col].notnull())
        r = r.mutate(indicator=ibis.literal(ind))
        parts.append(r)
    if not parts:
        return []
    longr = parts[0]
    for p in parts[1:]:
        longr = longr.union(p)
    j = longr.inner_join(pt, ["indicator", "city"])
    day = j.date.epoch_days()
    frac = ibis.least(ibis.greatest((day - j.b_day) / (j.t_day - j.b_day), 0.0), 1.0)
    path = j.b_value + (j.t_value - j.b_value) * frac
    j = j.mutate(path=path, day=day)
    # shortfall > 0: worse than the path (sign: +1 higher is better)
    j = j.mutate(gap=(j.path - j.value) * j.sign, below_base=((j.b_value - j.value) * j.sign) > j.tol)
    worse = j.filter(j.gap > j.tol)
    rn = ibis.row_number().over(group_by=[worse.indicator, worse.city], order_by=worse.date)
    worse = worse.mutate(island=worse.day - rn)
    runs = worse.group_by(["indicator", "city", "island"]).aggregate(
        start=worse.date.min(),
        last=worse.date.max(),
        days=worse.count(),
        worst_gap=worse.gap.max(),
        below_base_days=worse.below_base.cast("int64").sum(),
    )
    runs = backend.to_pyarrow(runs).to_pandas()
    if runs.empty:
        return []
    latest = backend.to_pyarrow(
        longr.group_by(["indicator", "city"]).aggregate(latest=longr.date.max())
    ).to_pandas()
    latest = {(r["indicator"], r["city"]): r["latest"] for r in latest.to_dict("records")}
    detail = backend.to_pyarrow(
        j.filter(j.gap > j.tol).select("indicator", "city", "date", "value", "path", "gap", "below_base")
    ).to_pandas()
    return _air_warnings(plan, runs, detail, latest, {(p["indicator"], p["city"]): p for p in paths}, cfg)


def _air_warnings(plan, runs, detail, latest, paths, cfg) -> list[dict[str, Any]]:
    gap_days = int(cfg.get("merge_gap_days", 0))
    min_days = int(cfg.get("min_days", 1))
    out = []
    for (ind, city), part in runs.sort_values("start").groupby(["indicator", "city"], sort=True):
        merged: list[dict[str, Any]] = []
        for r in part.to_dict("records"):
            if merged and (pd.Timestamp(r["start"]) - pd.Timestamp(merged[-1]["last"])).days - 1 <= gap_days:
                m = merged[-1]
                m["last"] = max(m["last"], r["last"])
                m["days"] += r["days"]
                m["worst_gap"] = max(m["worst_gap"], r["worst_gap"])
                m["below_base_days"] += r["below_base_days"]
                m["parts"] += 1
            else:
                merged.append({**r, "parts": 1})
        p = paths[(ind, city)]
        unit = plan.indicator(ind).unit
        name_zh = plan.indicator(ind).name.zh
        city_en = plan.scopes.cities.get(city, city)
        for m in merged:
            if m["days"] < min_days:
                continue
            start, last = pd.Timestamp(m["start"]).date(), pd.Timestamp(m["last"]).date()
            sel = detail[(detail["indicator"] == ind) & (detail["city"] == city)]
            sel = sel[(sel["date"] >= start) & (sel["date"] <= last)].sort_values("date")
            level = cfg["level_baseline"] if m["below_base_days"] > 0 else cfg["level_path"]
            active = latest.get((ind, city)) is not None and pd.Timestamp(latest[(ind, city)]).date() == last
            worst = sel.loc[sel["gap"].idxmax()] if len(sel) else None
            monthly = (
                sel.assign(month=pd.to_datetime(sel["date"]).dt.strftime("%Y-%m"))
                .groupby("month")
                .agg(days=("date", "count"), value_last=("value", "last"), path_last=("path", "last"))
                .reset_index()
                .to_dict("records")
            )
            evidence = {
                "indicator": ind,
                "city": city,
                "window_days": int(cfg["window_days"]),
                "path": {
                    "from": {"year_end": p["base_year"], "value": p["base_value"]},
                    "to": {"year_end": p["target_year"], "value": p["target_value"]},
                    "target": p["target_id"],
                    "how": p["how"],
                    "tolerance": float(cfg["indicators"][ind].get("tolerance", 0.0)),
                },
                "days": int(m["days"]),
                "runs_merged": int(m["parts"]),
                "days_worse_than_baseline": int(m["below_base_days"]),
                "worst": None
                if worst is None
                else {
                    "date": pd.Timestamp(worst["date"]).date().isoformat(),
                    "rolling_value": round(float(worst["value"]), 2),
                    "path_value": round(float(worst["path"]), 2),
                },
                "by_month": [
                    {
                        "month": x["month"],
                        "days": int(x["days"]),
                        "rolling_value_last": round(float(x["value_last"]), 2),
                        "path_value_last": round(float(x["path_last"]), 2),
                    }
                    for x in monthly
                ],
            }
            wv = f"{float(worst['value']):.1f}" if worst is not None else "?"
            wp = f"{float(worst['path']):.1f}" if worst is not None else "?"
            base_note_zh = "，且差于基准年" if m["below_base_days"] > 0 else ""
            base_note_en = "; worse than the baseline year itself" if m["below_base_days"] > 0 else ""
            message_zh = (
                f"{city}{name_zh}滚动{cfg['window_days']}天值落后于达标路径：{start}至{last}共{int(m['days'])}天，"
                f"最差{wv}{unit}(路径{wp}{unit}){base_note_zh}" + ("；最新仍落后" if active else "")
            )
            message_en = (
                f"{city_en}: rolling {cfg['window_days']}-day value of '{plan.indicator(ind).name.en}' behind its "
                f"path to the target on {int(m['days'])} day(s) from {start} to {last}; worst {wv} {unit} against {wp} {unit}"
                + base_note_en
                + ("; still behind at the latest data" if active else "")
            )
            out.append(
                make_warning(
                    kind="deterioration",
                    rule=f"{AIR_RULE}:{ind}",
                    level=level,
                    scope=f"city:{city}",
                    scope_type="city",
                    start=dt.datetime.combine(start, dt.time()),
                    end=dt.datetime.combine(last + dt.timedelta(days=1), dt.time()),
                    active=bool(active),
                    evidence=evidence,
                    message_zh=message_zh,
                    message_en=message_en,
                )
            )
    return out
