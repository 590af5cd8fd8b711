"""``ecoplan air ...``: hourly and daily AQI, annual and monthly HJ 663 statistics."""

from __future__ import annotations

from typing import Annotated

import typer

from ..air import queries
from .common import FromOption, OutOption, ToOption, app, as_date, emit_query, open_backend

air_app = typer.Typer(help="Air quality: AQI reports and HJ 663 statistics.", no_args_is_help=True)
app.add_typer(air_app, name="air")

StationOpt = Annotated[list[str] | None, typer.Option("--station", help="Station code (repeatable).")]
CityOpt = Annotated[list[str] | None, typer.Option("--city", help="City name, e.g. 太原市 (repeatable).")]
ByOpt = Annotated[str, typer.Option("--by", help="station or city.")]
EditionOpt = Annotated[
    str | None, typer.Option("--edition", help="Force an HJ 633 edition (2012 or 2026); default by date.")
]


SHOW_HOURLY = [
    "station",
    "city",
    "time",
    "pm2_5",
    "pm10",
    "so2",
    "no2",
    "o3",
    "co",
    "aqi",
    "primary_pollutant",
    "category_zh",
    "published_aqi",
]
SHOW_DAILY = [
    "station",
    "city",
    "date",
    "pm2_5",
    "pm10",
    "so2",
    "no2",
    "co",
    "o3_8h",
    "aqi",
    "primary_pollutant",
    "category_zh",
]
SHOW_PERIOD = [
    "station",
    "city",
    "period",
    "pm2_5_mean",
    "pm10_mean",
    "so2_mean",
    "no2_mean",
    "co_p95",
    "o3_8h_p90",
    "days_aqi",
    "good_ratio",
    "heavy_days",
    "composite_index",
    "max_index_item",
]


def _check_by(by: str) -> None:
    if by not in queries.BY:
        raise typer.BadParameter(f"--by must be one of {', '.join(queries.BY)}")


@air_app.command("hourly")
def hourly(
    ctx: typer.Context,
    station: StationOpt = None,
    city: CityOpt = None,
    start: FromOption = None,
    end: ToOption = None,
    by: ByOpt = "station",
    edition: EditionOpt = None,
    so2_rule: Annotated[
        str,
        typer.Option(
            "--so2-rule", help="SO2 1-hour above 800: platform (IAQI 200) or text (2012: 24-hour IAQI)."
        ),
    ] = "platform",
    out: OutOption = None,
) -> None:
    """Real-time AQI: one row per station (or city) and hour, with the published AQI."""
    _check_by(by)
    with open_backend(ctx) as backend:
        expr = queries.hourly(
            backend.ibis,
            by=by,
            stations=station,
            cities=city,
            start=as_date(start),
            end=as_date(end),
            edition=edition,
            so2_rule=so2_rule,
        )
        emit_query(backend, expr, out, title="hourly AQI", columns=SHOW_HOURLY)


@air_app.command("daily")
def daily(
    ctx: typer.Context,
    station: StationOpt = None,
    city: CityOpt = None,
    start: FromOption = None,
    end: ToOption = None,
    by: ByOpt = "station",
    edition: EditionOpt = None,
    out: OutOption = None,
) -> None:
    """Daily AQI: HJ 663 daily values, IAQIs, AQI, primary pollutant and level."""
    _check_by(by)
    with open_backend(ctx) as backend:
        expr = queries.daily(
            backend.ibis,
            by=by,
            stations=station,
            cities=city,
            start=as_date(start),
            end=as_date(end),
            edition=edition,
        )
        emit_query(backend, expr, out, title="daily AQI", columns=SHOW_DAILY)


@air_app.command("annual")
def annual(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="Calendar year.")],
    by: ByOpt = "city",
    station: StationOpt = None,
    city: CityOpt = None,
    edition: EditionOpt = None,
    out: OutOption = None,
) -> None:
    """Annual HJ 663 statistics, GB 3095 compliance, good days and the composite index."""
    _check_by(by)
    with open_backend(ctx) as backend:
        expr = queries.period(
            backend.ibis, year=year, period="year", by=by, stations=station, cities=city, edition=edition
        )
        emit_query(backend, expr, out, title=f"annual statistics {year}", columns=SHOW_PERIOD)


@air_app.command("monthly")
def monthly(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="Calendar year.")],
    by: ByOpt = "city",
    station: StationOpt = None,
    city: CityOpt = None,
    edition: EditionOpt = None,
    out: OutOption = None,
) -> None:
    """Monthly HJ 663 statistics (27 valid days, February 25)."""
    _check_by(by)
    with open_backend(ctx) as backend:
        expr = queries.period(
            backend.ibis, year=year, period="month", by=by, stations=station, cities=city, edition=edition
        )
        emit_query(backend, expr, out, title=f"monthly statistics {year}", columns=SHOW_PERIOD)
