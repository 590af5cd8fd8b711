"""Plotly figures of ecoplan's tables, for the dashboard and the reports.

Every builder takes a table (an Arrow table, a pandas frame or a list of
row dicts, with the columns of the query or API endpoint named in its
docstring) and returns a :class:`plotly.graph_objects.Figure`. Nothing here
reads the store, knows about HTTP or fetches anything: the caller passes the
rows, the figure shows them. Labels come in Chinese (``lang="zh"``, the
default) and English (``lang="en"``); Chinese place names are shown as
they are.

Colours of the standards are read from their table files, never typed here:

- AQI levels: HJ 633 Table 2 (``standards/hj633_*.toml``, via
  :func:`ecoplan.standards.aqi_table`);
- water classes: the qualitative levels of the 2011 assessment method
  (``standards/water_assessment_2011.toml``: 优 I-II blue, 良好 III green,
  轻度污染 IV yellow, 中度污染 V orange, 重度污染 劣V red). Classes I and II
  share a level; class I is drawn in a lighter shade of it so that the two
  can be told apart in stacked bars;
- trophic classes: the bounds of ``standards/tli_2001.toml``.

The colours of target statuses and trophic classes are presentation
choices of this module (the progress method and the TLI rules define none).

Figures carry their data as plain lists (no binary-encoded arrays), so the
browser sees the same numbers the table holds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from .plan import progress
from .plan import status as plan_status
from .standards import AqiLevel, aqi_table, available_editions
from .water import standard as water_standard

__all__ = [
    "LANGS",
    "STATUS_COLOURS",
    "aqi_calendar",
    "aqi_level_colour",
    "aqi_levels",
    "calendar_cell",
    "class_bars_by_basin",
    "class_colours",
    "class_label",
    "composite_index_ranking",
    "ecoflow_compliance_bars",
    "section_map",
    "status_counts",
    "status_label",
    "target_series",
    "tli_bars",
]

LANGS = ("zh", "en")

FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, Helvetica, Arial, sans-serif"

#: Presentation colours of the target statuses (most severe red, best green).
STATUS_COLOURS = {
    progress.ACHIEVED: "#1a9850",
    progress.ON_TRACK: "#91cf60",
    progress.ACCELERATION_NEEDED: "#fee08b",
    progress.LIMITED_PROGRESS: "#fc8d59",
    progress.DETERIORATION: "#d73027",
    progress.NOT_ACHIEVED: "#7f0000",
    progress.NOT_ASSESSABLE: "#bdbdbd",
    plan_status.CONTEXT: "#d9d9d9",
    plan_status.TRIGGERED: "#d73027",
    plan_status.NOT_TRIGGERED: "#1a9850",
}

# Presentation colours of the five trophic classes, oligotrophic to hyper-eutrophic.
_TROPHIC_COLOURS = ("#2c7bb6", "#1a9641", "#fdae61", "#f46d43", "#a50026")

_LABELS: dict[str, tuple[str, str]] = {
    "targets": ("目标数", "Targets"),
    "aqi": ("AQI", "AQI"),
    "date": ("日期", "Date"),
    "category": ("类别", "Category"),
    "primary": ("首要污染物", "Primary pollutant"),
    "no_data": ("无数据", "no data"),
    "sections": ("断面数", "Sections"),
    "year": ("年份", "Year"),
    "class": ("水质类别", "Class"),
    "no_class": ("无评价", "not assessed"),
    "lon": ("经度 (°E)", "Longitude (°E)"),
    "lat": ("纬度 (°N)", "Latitude (°N)"),
    "river": ("河流", "River"),
    "basin": ("流域", "Basin"),
    "tli": ("综合营养状态指数 TLI(Σ)", "Trophic level index TLI(Σ)"),
    "lake": ("湖库", "Lake"),
    "compliance": ("生态流量达标率 (%)", "Eco-flow compliance (%)"),
    "gauge": ("站点", "Gauge"),
    "composite": ("综合指数", "Composite index"),
    "rank": ("排名", "Rank"),
    "observed": ("监测值", "Observed"),
    "baseline": ("基准值", "Baseline"),
    "baseline_plan": ("规划基准值", "Baseline in the plan"),
    "target": ("目标值", "Target"),
    "projection": ("按当前速度预测", "Projection at the observed rate"),
    "projection_linear": ("线性趋势预测", "Linear-trend projection"),
    "required": ("达标所需路径", "Path required to meet the target"),
    "value": ("数值", "Value"),
    "days": ("天", "days"),
    "weekdays": ("一二三四五六日", "MTWTFSS"),
}

_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _t(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


# ---------------------------------------------------------------------------
# rows and values


def _rows(table: Any) -> list[dict[str, Any]]:
    """Rows of an Arrow table, a pandas frame or a list of dicts (NaN as None)."""
    if table is None:
        return []
    if hasattr(table, "to_pylist"):
        rows = table.to_pylist()
    elif hasattr(table, "to_dict"):
        rows = table.to_dict("records")
    else:
        rows = [dict(r) for r in table]
    return [{k: _clean(v) for k, v in r.items()} for r in rows]


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):  # numpy scalars
        try:
            return _clean(v.item())
        except (AttributeError, ValueError):
            return v
    return v


def _date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _hex(rgb: Sequence[int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(c) for c in rgb[:3]))


def _lighter(colour: str, share: float) -> str:
    """``colour`` mixed with white (``share`` of white)."""
    c = colour.lstrip("#")
    rgb = [int(c[i : i + 2], 16) for i in (0, 2, 4)]
    return _hex([round(v + (255 - v) * share) for v in rgb])


_RAMP = ((26, 152, 80), (254, 224, 139), (215, 48, 39))  # green, yellow, red


def _ramp(v: float, lo: float, hi: float) -> str:
    """A colour from green (``lo``) through yellow to red (``hi``)."""
    x = 0.0 if hi <= lo else (v - lo) / (hi - lo)
    x = min(max(x, 0.0), 1.0) * (len(_RAMP) - 1)
    i = min(int(x), len(_RAMP) - 2)
    f = x - i
    a, b = _RAMP[i], _RAMP[i + 1]
    return _hex([round(a[k] + (b[k] - a[k]) * f) for k in range(3)])


def _layout(fig: go.Figure, *, title: str | None, height: int, **extra: Any) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01, "xanchor": "left"} if title else None,
        height=height,
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
        font={"family": FONT, "size": 12},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        hoverlabel={"font": {"family": FONT}},
        **extra,
    )
    return fig


# ---------------------------------------------------------------------------
# labels


def status_label(status: str | None, lang: str = "zh") -> str:
    """The label of a target status (progress method's, or context / trigger states)."""
    if status is None:
        return ""
    zh, en = plan_status.labels(status)
    return en if lang == "en" else zh


def class_label(n: int, lang: str = "zh") -> str:
    """GB 3838 class ``n`` (1..6, 6 = 劣V) as a label: "II类" / "Class II", "劣V类" / "Worse than V"."""
    name = water_standard.class_text(n)
    if lang == "en":
        if n == water_standard.WORST_CLASS:
            text = water_standard.load_gb3838().get("worse_than_v_en", "worse than V")
            return text[:1].upper() + text[1:]
        return f"Class {name}"
    return f"{name}类"


def class_colours() -> dict[int, str]:
    """Colour of each class 1..6 from the 2011 method's level colours (class I lighter than II)."""
    raw = {int(lv["level"]): lv for lv in water_standard.method()["levels"]}
    out: dict[int, str] = {}
    for lv in water_standard.levels():
        colour = _hex(raw[lv.level]["rgb"])
        for i, n in enumerate(sorted(lv.classes)):
            # the first of several classes of one level (class I of 优) is drawn lighter
            out[n] = _lighter(colour, 0.45) if len(lv.classes) > 1 and i == 0 else colour
    return out


def aqi_levels(edition: str | None = None) -> list[AqiLevel]:
    """The AQI levels of HJ 633 Table 2 (``edition``, default the latest, as the daily query labels them)."""
    return sorted(aqi_table(edition or available_editions("hj633")[-1]).levels, key=lambda lv: lv.level)


def _levels(levels: Sequence[AqiLevel] | None, edition: str | None) -> list[AqiLevel]:
    if levels is None:
        return aqi_levels(edition)
    return sorted(levels, key=lambda lv: lv.level)


def aqi_level_colour(level: int | None, *, edition: str | None = None) -> str | None:
    """The HJ 633 colour of AQI level ``level`` (1..6); None for no level."""
    for lv in _levels(None, edition):
        if lv.level == level:
            return lv.colour
    return None


def _aqi_category(lv: AqiLevel, lang: str) -> str:
    return lv.category_en if lang == "en" else lv.category_zh


# ---------------------------------------------------------------------------
# plan status


def status_counts(
    rollup: Any,
    *,
    category_names: Mapping[str, str] | None = None,
    lang: str = "zh",
    title: str | None = None,
) -> go.Figure:
    """Stacked horizontal bars: targets per status in each category.

    ``rollup``: the status roll-up by category (``/api/status/rollup?by=category``,
    :func:`ecoplan.plan.status.rollup_table`): ``category`` and one count
    column per status of :data:`ecoplan.plan.progress.STATUSES`. Categories
    without targets are left out; the order is the table's (first at the top).
    """
    _check_lang(lang)
    rows = [r for r in _rows(rollup) if (r.get("total") or 0) > 0]
    names = [(category_names or {}).get(r["category"], r["category"]) for r in rows]
    fig = go.Figure()
    for s in progress.STATUSES:
        counts = [int(r.get(s) or 0) for r in rows]
        if not any(counts):
            continue
        fig.add_bar(
            name=status_label(s, lang),
            y=names,
            x=counts,
            orientation="h",
            marker_color=STATUS_COLOURS[s],
            customdata=[[s, r["category"]] for r in rows],
            hovertemplate="%{y}: %{x}<extra>" + status_label(s, lang) + "</extra>",
        )
    _layout(fig, title=title, height=max(260, 80 + 26 * len(rows)), barmode="stack")
    fig.update_layout(legend={"traceorder": "normal"})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(
        title_text=_t("targets", lang), dtick=5 if sum(int(r["total"]) for r in rows) > 40 else 1
    )
    return fig


def _series_points(values: Any) -> list[tuple[int, float]]:
    """(year, value) pairs from a table with ``year``/``value`` columns or a {year: value} mapping."""
    if isinstance(values, Mapping):
        pairs = [(int(str(k)[:4]), _num(v)) for k, v in values.items()]
    else:
        pairs = [(int(r["year"]), _num(r.get("value"))) for r in _rows(values)]
    return sorted((y, v) for y, v in pairs if v is not None)


def target_series(
    values: Any,
    status: Mapping[str, Any],
    *,
    lang: str = "zh",
    title: str | None = None,
) -> go.Figure:
    """A target's indicator by year with its baseline, target line, projection and required path.

    ``values``: the series the status was judged on, as a table with
    ``year`` and ``value`` or a ``{year: value}`` mapping (the ``values``
    column of ``/api/status``). ``status``: the target's status row
    (``/api/status``, :func:`ecoplan.plan.status.status_table`): uses
    ``baseline_year``/``baseline_value`` (and ``baseline_plan``),
    ``latest_year``/``latest_value``, ``target_resolved``/``target_year``,
    ``observed_rate`` and ``projected_value`` (the projection at the observed
    compound rate, ``latest * (1 + rate) ** (year - latest_year)``, ending
    at ``projected_value``), ``projected_linear`` and ``required_rate`` (the
    path from the baseline that meets the target in the target year).
    """
    _check_lang(lang)
    pts = _series_points(values)
    unit = status.get("unit") or ""
    fig = go.Figure()
    fig.add_scatter(
        name=_t("observed", lang),
        x=[y for y, _ in pts],
        y=[v for _, v in pts],
        mode="lines+markers",
        line={"color": "#1f4e79", "width": 2},
        marker={"size": 8},
        hovertemplate="%{x}: %{y} " + unit + "<extra></extra>",
    )
    by, bv = status.get("baseline_year"), _num(status.get("baseline_value"))
    if by is not None and bv is not None:
        fig.add_scatter(
            name=_t("baseline", lang),
            x=[int(by)],
            y=[bv],
            mode="markers",
            marker={"symbol": "diamond", "size": 13, "color": "#6a3d9a"},
            hovertemplate="%{x}: %{y} " + unit + "<extra>" + _t("baseline", lang) + "</extra>",
        )
    bp = _num(status.get("baseline_plan"))
    if by is not None and bp is not None and bp != bv:
        fig.add_scatter(
            name=_t("baseline_plan", lang),
            x=[int(by)],
            y=[bp],
            mode="markers",
            marker={"symbol": "diamond-open", "size": 13, "color": "#6a3d9a"},
            hovertemplate="%{x}: %{y} " + unit + "<extra>" + _t("baseline_plan", lang) + "</extra>",
        )
    ty, tv = status.get("target_year"), _num(status.get("target_resolved"))
    first = min([y for y, _ in pts] + ([int(by)] if by is not None else []), default=None)
    if ty is not None and tv is not None:
        start = first if first is not None else int(ty)
        fig.add_scatter(
            name=_t("target", lang),
            x=[start, int(ty)],
            y=[tv, tv],
            mode="lines+markers",
            line={"color": "#d73027", "dash": "dash", "width": 2},
            marker={"symbol": ["line-ew", "star"], "size": [1, 14], "color": "#d73027"},
            hovertemplate="%{x}: %{y} " + unit + "<extra>" + _t("target", lang) + "</extra>",
        )
    ly, lv = status.get("latest_year"), _num(status.get("latest_value"))
    pv, rate = _num(status.get("projected_value")), _num(status.get("observed_rate"))
    if ty is not None and ly is not None and lv is not None and pv is not None and int(ty) > int(ly):
        years = list(range(int(ly), int(ty) + 1))
        if rate is not None:
            proj = [lv * (1 + rate) ** (y - int(ly)) for y in years[:-1]] + [pv]
        else:
            proj = [lv + (pv - lv) * (y - int(ly)) / (int(ty) - int(ly)) for y in years]
        fig.add_scatter(
            name=_t("projection", lang),
            x=years,
            y=proj,
            mode="lines+markers",
            line={"color": "#ff7f00", "dash": "dot", "width": 2},
            marker={"size": [0] * (len(years) - 1) + [10], "color": "#ff7f00"},
            hovertemplate="%{x}: %{y:.4g} " + unit + "<extra>" + _t("projection", lang) + "</extra>",
        )
        pl = _num(status.get("projected_linear"))
        if pl is not None:
            fig.add_scatter(
                name=_t("projection_linear", lang),
                x=[int(ty)],
                y=[pl],
                mode="markers",
                marker={"symbol": "x", "size": 10, "color": "#ff7f00"},
                hovertemplate="%{x}: %{y:.4g} "
                + unit
                + "<extra>"
                + _t("projection_linear", lang)
                + "</extra>",
            )
    req = _num(status.get("required_rate"))
    if req is not None and by is not None and bv is not None and ty is not None and int(ty) > int(by):
        years = list(range(int(by), int(ty) + 1))
        fig.add_scatter(
            name=_t("required", lang),
            x=years,
            y=[bv * (1 + req) ** (y - int(by)) for y in years],
            mode="lines",
            line={"color": "#999999", "dash": "dashdot", "width": 1},
            hovertemplate="%{x}: %{y:.4g} " + unit + "<extra>" + _t("required", lang) + "</extra>",
        )
    _layout(fig, title=title, height=380)
    fig.update_xaxes(title_text=_t("year", lang), dtick=1, tickformat="d")
    fig.update_yaxes(title_text=f"{_t('value', lang)} ({unit})" if unit else _t("value", lang))
    return fig


# ---------------------------------------------------------------------------
# air


def calendar_cell(day: dt.date, year: int) -> tuple[int, int]:
    """(column, row) of ``day`` in the calendar of ``year``: week column from 0, row 0 = Monday."""
    jan1 = dt.date(year, 1, 1)
    first_monday = jan1 - dt.timedelta(days=jan1.weekday())
    return (day - first_monday).days // 7, day.weekday()


def aqi_calendar(
    daily: Any,
    *,
    year: int | None = None,
    levels: Sequence[AqiLevel] | None = None,
    edition: str | None = None,
    lang: str = "zh",
    title: str | None = None,
    show_scale: bool = True,
) -> go.Figure:
    """A calendar heatmap of daily AQI, each day coloured by its HJ 633 level.

    ``daily``: one city's (or station's) daily AQI (``/api/air/daily``,
    :func:`ecoplan.air.queries.daily`): ``date``, ``aqi``, ``level`` and
    ``primary_pollutant``. Columns are weeks (Monday first), rows weekdays;
    the cell text is the AQI and the colour the level's colour of HJ 633
    Table 2 (``levels``, default the table of ``edition`` or the latest
    edition, as the daily query labels its categories). Days without an AQI
    are left blank. Each cell's ``customdata`` is ``[date, aqi, level,
    category, primary pollutant, colour]``; :func:`calendar_cell` gives a
    day's cell. ``show_scale``: draw the levels as a colour bar.
    """
    _check_lang(lang)
    lvls = _levels(levels, edition)
    pos = {lv.level: i + 1 for i, lv in enumerate(lvls)}
    rows = _rows(daily)
    if year is None:
        days = [_date(r.get("date")) for r in rows]
        year = min((d.year for d in days if d is not None), default=dt.date.today().year)
    ncols = calendar_cell(dt.date(year, 12, 31), year)[0] + 1
    z: list[list[int | None]] = [[None] * ncols for _ in range(7)]
    text: list[list[str]] = [[""] * ncols for _ in range(7)]
    custom: list[list[list[Any] | None]] = [[None] * ncols for _ in range(7)]
    by_level = {lv.level: lv for lv in lvls}
    for r in rows:
        d = _date(r.get("date"))
        if d is None or d.year != year:
            continue
        col, row = calendar_cell(d, year)
        aqi = r.get("aqi")
        level = r.get("level")
        lv = by_level.get(level) if level is not None else None
        if aqi is None or lv is None:
            custom[row][col] = [d.isoformat(), None, None, _t("no_data", lang), None, None]
            continue
        z[row][col] = pos[lv.level]
        text[row][col] = str(int(aqi))
        custom[row][col] = [
            d.isoformat(),
            int(aqi),
            lv.level,
            _aqi_category(lv, lang),
            r.get("primary_pollutant") or "",
            lv.colour,
        ]
    n = len(lvls)
    scale: list[list[Any]] = []
    for i, lv in enumerate(lvls):
        scale += [[i / n, lv.colour], [(i + 1) / n, lv.colour]]
    month_cols = [calendar_cell(dt.date(year, m, 1), year)[0] for m in range(1, 13)]
    months = [f"{m}月" for m in range(1, 13)] if lang == "zh" else list(_MONTHS_EN)
    weekdays = [f"周{c}" for c in _LABELS["weekdays"][0]] if lang == "zh" else list(_WEEKDAYS_EN)
    hover = (
        "%{customdata[0]}<br>"
        + _t("aqi", lang)
        + " %{customdata[1]} · %{customdata[3]}<br>"
        + _t("primary", lang)
        + ": %{customdata[4]}<extra></extra>"
    )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(ncols)),
            y=list(range(7)),
            text=text,
            texttemplate="%{text}",
            textfont={"size": 9},
            customdata=custom,
            hovertemplate=hover,
            colorscale=scale,
            zmin=0.5,
            zmax=n + 0.5,
            xgap=2,
            ygap=2,
            hoverongaps=False,
            showscale=show_scale,
            colorbar={
                "tickvals": list(range(1, n + 1)),
                "ticktext": [_aqi_category(lv, lang) for lv in lvls],
                "thickness": 12,
                "len": 1.0,
                "outlinewidth": 0,
            },
            name=_t("aqi", lang),
        )
    )
    _layout(fig, title=title, height=250)
    fig.update_layout(margin={"l": 50, "r": 10, "t": 40 if title else 10, "b": 30})
    fig.update_xaxes(
        tickvals=month_cols, ticktext=months, showgrid=False, zeroline=False, range=[-0.5, ncols - 0.5]
    )
    fig.update_yaxes(
        tickvals=list(range(7)),
        ticktext=weekdays,
        autorange="reversed",
        showgrid=False,
        zeroline=False,
    )
    return fig


def composite_index_ranking(ranking: Any, *, lang: str = "zh", title: str | None = None) -> go.Figure:
    """Cities by their annual composite index (HJ 663), rank 1 (lowest index, cleanest) at the top.

    ``ranking``: ``/api/air/ranking`` rows: ``rank``, ``city``,
    ``composite_index`` and ``max_index_item``; cities without an index are
    left out.
    """
    _check_lang(lang)
    rows = [r for r in _rows(ranking) if _num(r.get("composite_index")) is not None]
    rows.sort(key=lambda r: (r.get("rank") is None, r.get("rank") or 0, r["city"]))
    labels = [f"{r['rank']}. {r['city']}" for r in rows]
    values = [_num(r["composite_index"]) for r in rows]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            text=[f"{v:.2f}" for v in values],
            textposition="outside",
            textfont={"color": "#333333"},
            marker={"color": [_ramp(v, min(values), max(values)) for v in values]},
            customdata=[[r["city"], r.get("rank"), r.get("max_index_item")] for r in rows],
            hovertemplate="%{customdata[0]}<br>"
            + _t("composite", lang)
            + " %{x:.2f}<br>"
            + _t("rank", lang)
            + " %{customdata[1]}<extra></extra>",
            name=_t("composite", lang),
        )
    )
    _layout(fig, title=title, height=max(260, 50 + 28 * len(rows)))
    fig.update_yaxes(autorange="reversed")
    top = max(values, default=1.0)
    fig.update_xaxes(title_text=_t("composite", lang), range=[0, top * 1.15])
    return fig


# ---------------------------------------------------------------------------
# water


def _class_column(n: int) -> str:
    return "n_worse_than_V" if n == water_standard.WORST_CLASS else f"n_{water_standard.class_text(n)}"


def class_bars_by_basin(
    attainment: Any,
    *,
    lang: str = "zh",
    order: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Stacked bars of the sections in each class, per basin (or other group) and year.

    ``attainment``: ``/api/water/attainment?period=year`` rows
    (:func:`ecoplan.water.queries.attainment`): ``group``, ``year`` and the
    counts ``n_I`` .. ``n_V``, ``n_worse_than_V``. The x axis has the groups
    (``order``, default their order in the table) with their years beneath.
    """
    _check_lang(lang)
    rows = _rows(attainment)
    groups = list(dict.fromkeys(order or [])) + [
        g for g in dict.fromkeys(r["group"] for r in rows) if g not in (order or [])
    ]
    index = {(r["group"], int(r["year"])): r for r in rows}
    years = sorted({int(r["year"]) for r in rows})
    keys = [(g, y) for g in groups for y in years if (g, y) in index]
    x = [[g for g, _ in keys], [str(y) for _, y in keys]]
    colours = class_colours()
    fig = go.Figure()
    for n in range(1, water_standard.WORST_CLASS + 1):
        col = _class_column(n)
        fig.add_bar(
            name=class_label(n, lang),
            x=x,
            y=[int(index[k].get(col) or 0) for k in keys],
            marker_color=colours[n],
            marker_line={"color": "#ffffff", "width": 0.5},
            hovertemplate="%{x}<br>" + class_label(n, lang) + ": %{y}<extra></extra>",
        )
    _layout(fig, title=title, height=400, barmode="stack")
    fig.update_yaxes(title_text=_t("sections", lang))
    return fig


def section_map(sections: Any, *, lang: str = "zh", title: str | None = None) -> go.Figure:
    """Sections on a plain longitude/latitude plane, coloured by their class.

    ``sections``: rows with ``lon``, ``lat`` (degrees) and ``class_n`` (1..6
    or None), plus ``section``/``code``, ``name``, ``river`` and ``basin``
    for the hover text: e.g. ``/api/water/classes?period=year&year=Y`` joined
    with ``/api/sections`` on the code. Sections without coordinates are
    left out. No map tiles or outlines are drawn (nothing is fetched); the
    latitude axis is scaled by 1/cos(mean latitude) so distances look right.
    """
    _check_lang(lang)
    rows = [r for r in _rows(sections) if _num(r.get("lon")) is not None and _num(r.get("lat")) is not None]
    colours = class_colours()
    fig = go.Figure()
    groups: list[tuple[int | None, list[dict[str, Any]]]] = [
        (n, [r for r in rows if r.get("class_n") == n]) for n in range(1, water_standard.WORST_CLASS + 1)
    ]
    groups.append((None, [r for r in rows if r.get("class_n") is None]))
    for n, members in groups:
        if not members:
            continue
        label = class_label(n, lang) if n is not None else _t("no_class", lang)
        fig.add_scatter(
            name=label,
            x=[_num(r["lon"]) for r in members],
            y=[_num(r["lat"]) for r in members],
            mode="markers",
            marker={
                "size": 11,
                "color": colours[n] if n is not None else "#bdbdbd",
                "line": {"color": "#333333", "width": 0.6},
            },
            customdata=[
                [r.get("section") or r.get("code"), r.get("name"), r.get("river"), r.get("basin"), label]
                for r in members
            ],
            hovertemplate="%{customdata[1]} (%{customdata[0]})<br>%{customdata[2]} · %{customdata[3]}"
            "<br>%{customdata[4]}<extra></extra>",
        )
    lats = [_num(r["lat"]) for r in rows]
    mean_lat = sum(lats) / len(lats) if lats else 37.5
    _layout(fig, title=title, height=560)
    fig.update_xaxes(title_text=_t("lon", lang), showgrid=True, zeroline=False, constrain="domain")
    fig.update_yaxes(
        title_text=_t("lat", lang),
        showgrid=True,
        zeroline=False,
        scaleanchor="x",
        scaleratio=1 / math.cos(math.radians(mean_lat)),
    )
    return fig


def _trophic_classes() -> list[dict[str, Any]]:
    return list(water_standard.tli_table()["classes"])


def tli_bars(trophic: Any, *, lang: str = "zh", title: str | None = None) -> go.Figure:
    """TLI(Σ) of each lake by year, coloured by trophic class, with the class bounds as lines.

    ``trophic``: ``/api/water/trophic?by=lake&period=year`` rows
    (:func:`ecoplan.water.queries.trophic`): ``lake``, ``year``, ``tli`` and
    ``trophic_en`` (the class, matched to ``standards/tli_2001.toml``).
    """
    _check_lang(lang)
    rows = [r for r in _rows(trophic) if _num(r.get("tli")) is not None]
    rows.sort(key=lambda r: (r["lake"], int(r["year"])))
    classes = _trophic_classes()
    fig = go.Figure()
    # an empty first trace fixes the order of the lakes and years on the axis
    fig.add_bar(
        x=[[r["lake"] for r in rows], [str(r["year"]) for r in rows]],
        y=[None] * len(rows),
        showlegend=False,
        hoverinfo="skip",
    )
    for i, c in enumerate(classes):
        members = [r for r in rows if r.get("trophic_en") == c["name_en"]]
        if not members:
            continue
        name = c["name_en"] if lang == "en" else c["name_zh"]
        fig.add_bar(
            name=name,
            x=[[r["lake"] for r in members], [str(r["year"]) for r in members]],
            y=[round(_num(r["tli"]), 1) for r in members],
            marker_color=_TROPHIC_COLOURS[i % len(_TROPHIC_COLOURS)],
            hovertemplate="%{x}<br>TLI(Σ) %{y:.1f}<extra>" + name + "</extra>",
        )
    for c in classes:
        if "upper" in c:
            fig.add_hline(y=float(c["upper"]), line={"color": "#888888", "dash": "dot", "width": 1})
    _layout(fig, title=title, height=380, barmode="relative")
    fig.update_yaxes(title_text=_t("tli", lang), rangemode="tozero")
    return fig


# ---------------------------------------------------------------------------
# flow


def ecoflow_compliance_bars(
    compliance: Any,
    *,
    lang: str = "zh",
    periods: Iterable[str] | None = ("non_flood", "flood"),
    title: str | None = None,
) -> go.Figure:
    """Eco-flow compliance rate [%] of each gauge, grouped by river, one bar per period.

    ``compliance``: ``/api/flow/compliance`` rows of one year
    (:func:`ecoplan.flow.queries.compliance`): ``river``, ``gauge``,
    ``name``, ``period``, ``period_zh``/``period_en``, ``period_order`` and
    ``compliance_rate`` (a fraction). ``periods`` (default the two seasons;
    None for every period in the table) selects the bars; a line marks 100 %.
    """
    _check_lang(lang)
    rows = _rows(compliance)
    if periods is not None:
        wanted = list(periods)
        rows = [r for r in rows if r.get("period") in wanted]
    gauges = sorted({(r.get("river") or "", r.get("name") or r["gauge"], r["gauge"]) for r in rows})
    order = sorted({(r.get("period_order") or 0, r["period"]) for r in rows})
    index = {(r["gauge"], r["period"]): r for r in rows}
    palette = ["#4575b4", "#74add1", "#abd9e9", "#fdae61"]
    fig = go.Figure()
    for i, (_, period) in enumerate(order):
        sample = next(r for r in rows if r["period"] == period)
        name = sample.get("period_en" if lang == "en" else "period_zh") or period
        ys = []
        for _river, _name, code in gauges:
            rate = _num(index.get((code, period), {}).get("compliance_rate"))
            ys.append(None if rate is None else round(rate * 100, 1))
        fig.add_bar(
            name=name,
            x=[[g[0] for g in gauges], [g[1] for g in gauges]],
            y=ys,
            marker_color=palette[i % len(palette)],
            customdata=[g[2] for g in gauges],
            hovertemplate="%{x} (%{customdata})<br>%{y:.1f} %<extra>" + name + "</extra>",
        )
    fig.add_hline(y=100, line={"color": "#d73027", "dash": "dash", "width": 1})
    _layout(fig, title=title, height=400, barmode="group")
    fig.update_yaxes(title_text=_t("compliance", lang), range=[0, 105])
    return fig
