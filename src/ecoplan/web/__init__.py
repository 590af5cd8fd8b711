"""The browser dashboard, served by the API app (see the hook in :mod:`ecoplan.api.app`).

Pages: ``/`` (overview: target status by category, the targets falling
behind, active warnings), ``/targets/{id}`` (a target's series, baseline,
target line, projection and the plan's clause), ``/air`` (daily AQI
calendar of a city, monthly and annual tables, the cities' composite-index
ranking) and ``/water`` (section classes per basin, a section map, lake TLI,
eco-flow compliance). Chinese and English (``?lang=en``, remembered in a
cookie). Every figure is computed by the query function of the API endpoint
the page names under it (:mod:`ecoplan.web.data`), so pages and API agree.

Static files are served under ``/static/`` (the dashboard's CSS and
JavaScript, and Plotly's bundle from the installed ``plotly`` package):
nothing is fetched from another origin, and the app's default content
security policy (scripts from this origin only) is kept unchanged.
"""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add the dashboard's pages and static files to ``app`` (called by ``create_app``)."""
    from .pages import router

    app.include_router(router)
