"""Figures of the report that :mod:`ecoplan.charts` does not build: the cities' air month by month.

The other figures of the report are the dashboard's (:mod:`ecoplan.charts`).
These take the rows of ``/api/air/monthly?by=city`` (:func:`ecoplan.air.queries.period`
with ``period="month"``) and follow the look of :mod:`ecoplan.charts`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import plotly.colors
import plotly.graph_objects as go

from .. import charts
from . import labels

__all__ = ["monthly_good_ratio", "monthly_pollutant"]

#: Line colours of the cities (a qualitative palette long enough for Shanxi's 11 cities).
PALETTE = tuple(plotly.colors.qualitative.Dark24)

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_names(lang: str) -> list[str]:
    return list(_MONTHS_EN) if lang == "en" else [f"{m}月" for m in range(1, 13)]


def _rows(table: Any) -> list[dict[str, Any]]:
    rows = table.to_pylist() if hasattr(table, "to_pylist") else [dict(r) for r in table]
    out = []
    for r in rows:
        r = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        p = r.get("period")
        if isinstance(p, dt.datetime):
            r["period"] = p.date()
        out.append(r)
    return out


def _layout(fig: go.Figure, *, title: str | None, height: int) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01, "xanchor": "left"} if title else None,
        height=height,
        margin={"l": 70, "r": 20, "t": 50 if title else 20, "b": 50},
        font={"family": charts.FONT, "size": 12},
        legend={"orientation": "v", "x": 1.01, "y": 1},
        hoverlabel={"font": {"family": charts.FONT}},
    )
    return fig


def monthly_pollutant(
    monthly: Any, *, column: str = "pm2_5_mean", lang: str = "zh", title: str | None = None
) -> go.Figure:
    """One line per city: a monthly statistic (default the mean PM2.5 [μg/m³]) by month.

    ``monthly``: rows with ``city``, ``period`` (the month's first day) and ``column``.
    """
    labels.check_lang(lang)
    rows = [r for r in _rows(monthly) if r.get("period") is not None]
    names = _month_names(lang)
    fig = go.Figure()
    for i, city in enumerate(sorted({r["city"] for r in rows})):
        mine = sorted((r for r in rows if r["city"] == city), key=lambda r: r["period"])
        fig.add_scatter(
            name=city,
            x=[r["period"].month for r in mine],
            y=[r.get(column) for r in mine],
            mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]},
            customdata=[names[r["period"].month - 1] for r in mine],
            hovertemplate=city + " %{customdata}: %{y}<extra></extra>",
        )
    _layout(fig, title=title, height=380)
    # every month on the axis, whatever months have data
    fig.update_xaxes(range=[0.5, 12.5], tickmode="array", tickvals=list(range(1, 13)), ticktext=names)
    fig.update_yaxes(title_text=labels.column_label(column, lang), rangemode="tozero")
    return fig


def monthly_good_ratio(monthly: Any, *, lang: str = "zh", title: str | None = None) -> go.Figure:
    """A city x month grid of the share of good days [%] (daily AQI at level 1 or 2).

    ``monthly``: rows with ``city``, ``period`` and ``good_ratio`` (a fraction).
    Cells are coloured from red (0 %) to green (100 %) and show the share.
    """
    labels.check_lang(lang)
    rows = [r for r in _rows(monthly) if r.get("period") is not None]
    cities = sorted({r["city"] for r in rows})
    names = _month_names(lang)
    grid: list[list[float | None]] = [[None] * 12 for _ in cities]
    for r in rows:
        v = r.get("good_ratio")
        grid[cities.index(r["city"])][r["period"].month - 1] = None if v is None else round(v * 100, 1)
    text = [["" if v is None else f"{v:.0f}" for v in row] for row in grid]
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=names,
            y=cities,
            zmin=0,
            zmax=100,
            text=text,
            texttemplate="%{text}",
            colorscale=[[0, "#d73027"], [0.5, "#fee08b"], [1, "#1a9850"]],
            colorbar={"title": {"text": "%"}},
            hovertemplate="%{y} %{x}: %{z:.1f} %<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    _layout(fig, title=title, height=max(260, 60 + 26 * len(cities)))
    fig.update_yaxes(autorange="reversed")
    return fig
