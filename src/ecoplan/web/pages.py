"""The dashboard's pages and static files.

Pages are rendered on the server (Jinja2) from the tables of
:mod:`ecoplan.web.data`, with Plotly figures from :mod:`ecoplan.charts`
embedded as JSON data blocks (``<script type="application/json">``, which
browsers do not execute) and drawn by ``static/dashboard.js``. No inline
script, no script or style from another origin: the app's content security
policy (``script-src 'self'``) holds as it is. Plotly's JavaScript is served
from the installed Python package (``plotly/package_data/plotly.min.js``).

Access: when the server closes read endpoints (``Settings.auth_read``), the
pages are closed too. A browser opens them with a read token, given once on
``/login`` and kept in an HttpOnly, SameSite=Strict cookie (checked again,
revocation included, on every page); ``Authorization: Bearer`` works as for
the API. A presented token that is refused is logged like the API's refusals.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import plotly
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from .. import charts
from ..api.auth import Refusal, check_token, record_refusal
from ..plan import progress
from ..standards import aqi_edition_for
from ..water import standard as water_standard
from . import data, i18n

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
TOKEN_COOKIE = "ecoplan_read"

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------------------
# static files


@dataclass
class _Static:
    path: Path
    media_type: str
    etag: str
    body: bytes | None = None
    gzipped: bytes | None = None

    def load(self) -> tuple[bytes, bytes]:
        if self.body is None:
            self.body = self.path.read_bytes()
            self.gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self.body, self.gzipped  # type: ignore[return-value]


_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _static_files() -> dict[str, _Static]:
    files = {}
    for p in sorted(STATIC.iterdir()):
        if p.is_file() and p.suffix in _MEDIA:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            files[p.name] = _Static(p, _MEDIA[p.suffix], digest)
    if PLOTLY_JS.is_file():
        stat = PLOTLY_JS.stat()
        tag = hashlib.sha256(f"{plotly.__version__}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[
            :16
        ]
        files["plotly.min.js"] = _Static(PLOTLY_JS, _MEDIA[".js"], tag)
    return files


STATIC_FILES = _static_files()


def static_url(name: str) -> str:
    f = STATIC_FILES[name]
    return f"/static/{name}?v={f.etag}"


@router.get("/static/{name}")
def static(request: Request, name: str) -> Response:
    """A file of the dashboard (named, never a path), gzip when the client takes it."""
    f = STATIC_FILES.get(name)
    if f is None:
        return Response("not found", status_code=404, media_type="text/plain")
    etag = f'"{f.etag}"'
    headers = {"etag": etag, "cache-control": "public, max-age=86400", "vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    body, zipped = f.load()
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(zipped, media_type=f.media_type, headers=headers)
    return Response(body, media_type=f.media_type, headers=headers)


# ---------------------------------------------------------------------------
# formatting


def fmt(v: Any, digits: int | None = None) -> str:
    """A number for a table: None as a dash, integers as they are, floats to ``digits`` (or 6 significant)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if digits is not None:
            return f"{v:.{digits}f}"
        return f"{v:.6g}"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def pct(v: Any, digits: int = 1, *, signed: bool = False) -> str:
    """A fraction as a percentage."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v * 100:{'+' if signed else ''}.{digits}f} %"


def figure_json(fig) -> Markup:
    """A figure as JSON safe inside a ``<script type="application/json">`` element."""
    text = fig.to_json()
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return Markup(text)


def _status_colour(status: str | None) -> str:
    return charts.STATUS_COLOURS.get(status or "", "#bdbdbd")


def _text_colour(background: str) -> str:
    c = background.lstrip("#")
    if len(c) != 6:
        return "#000000"
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#ffffff"


_WARNING_COLOURS = {"blue": "#1f78b4", "yellow": "#ffd700", "orange": "#ff7f00", "red": "#e31a1c"}


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["fmt"] = fmt
ENV.filters["pct"] = pct
ENV.filters["figure_json"] = figure_json
ENV.globals.update(
    static_url=static_url,
    status_colour=_status_colour,
    text_colour=_text_colour,
    warning_colour=lambda level: _WARNING_COLOURS.get(level, "#999999"),
    STATUSES=progress.STATUSES,
)


# ---------------------------------------------------------------------------
# rendering


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _lang_url(request: Request, lang: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", lang))
    return request.url.path + "?" + urlencode(params)


def _last_ingest(request: Request) -> Any:
    try:
        return request.app.state.db.fetch("SELECT max(finished_at) FROM ingest_log")[0][0]
    except Exception:  # a store without a log yet
        return None


_RELATIVE = ("reduce_by_pct", "increase_by_pct")
_PLAIN = (">=", ">", "<=", "<", "=")


def target_text(row: dict[str, Any], lang: str) -> str:
    """The target of a status or plan row in words: "≥ 75 %", "10 % below the baseline (= 2,000 10^4 t)"."""
    comp = row.get("comparator")
    value = row.get("target_value", row.get("value"))
    unit = row.get("unit") or ""
    unit = "" if unit == "bool" else unit
    if value is None:
        shown = ""
    elif comp in _RELATIVE:
        shown = f"{fmt(value)} %"
    else:
        shown = f"{fmt(value)} {unit}".strip()
    text = i18n.comparator_text(comp, shown, lang)
    resolved = row.get("target_resolved")
    if resolved is not None and comp not in _PLAIN and comp != "zero" and row.get("unit") != "bool":
        text += f" (= {fmt(resolved)} {unit})".replace(" )", ")")
    return text


def value_text(value: Any, unit: str | None, lang: str) -> str:
    """A stored value with its unit; yes/no for a yes/no (``bool``) indicator."""
    if value is None:
        return "—"
    if unit == "bool":
        return i18n.text("yes" if value else "no", lang)
    return f"{fmt(value)} {unit or ''}".strip()


def _scope_label(plan, scope: str | None, lang: str) -> str:
    if not scope:
        return ""
    try:
        resolved = plan.resolve_scope(scope)
    except KeyError:
        return scope
    if resolved.type == "province":
        return i18n.pick(plan.scopes.province.zh, plan.scopes.province.en, lang)
    if resolved.type == "group":
        try:
            g = plan.group(resolved.name)
        except KeyError:
            return resolved.name
        return i18n.pick(g.name.zh, g.name.en, lang)
    return resolved.name


def render(
    request: Request,
    template: str,
    *,
    lang: str,
    remember: bool,
    title: str,
    active: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    plan = request.app.state.plan
    t = i18n.translator(lang)
    html = ENV.get_template(template).render(
        request=request,
        lang=lang,
        t=t,
        pick=lambda zh, en: i18n.pick(zh, en, lang),
        title=title,
        active=active,
        lang_urls={code: _lang_url(request, code) for code in i18n.LANGS},
        plan_title=i18n.pick(plan.title.zh, plan.title.en, lang),
        last_ingest=None if template == "login.html" else _last_ingest(request),
        auth=bool(request.app.state.settings.auth_read),
        scope_label=lambda s: _scope_label(plan, s, lang),
        target_text=lambda r: target_text(r, lang),
        value_text=lambda v, u: value_text(v, u, lang),
        status_text=lambda s: charts.status_label(s, lang),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    response.headers["vary"] = "Cookie, Accept-Language"
    if remember:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            path="/",
            samesite="lax",
            httponly=True,
            secure=_is_https(request),
        )
    return response


def error_page(request: Request, status_code: int, heading: str, message: str) -> HTMLResponse:
    lang, remember = i18n.negotiate(request)
    return render(
        request,
        "error.html",
        lang=lang,
        remember=remember,
        title=heading,
        active="",
        status_code=status_code,
        heading=heading,
        message=message,
    )


# ---------------------------------------------------------------------------
# access


def _presented_token(request: Request) -> str | None:
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() == "bearer" and token.strip():
        return token.strip()
    cookie = request.cookies.get(TOKEN_COOKIE)
    return cookie.strip() if cookie else None


def refused(request: Request) -> HTMLResponse | None:
    """None when the request may see the pages; else the login page (401)."""
    if not request.app.state.settings.auth_read:
        return None
    token = _presented_token(request)
    if token is not None:
        result = check_token(request.app.state.db.cursor(), token, "read")
        if not isinstance(result, Refusal):
            return None
        record_refusal(request, result, "read")
    return _login_page(request, failed=token is not None, status_code=401)


def _safe_next(value: str | None) -> str:
    """A local path to go back to after logging in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _login_page(request: Request, *, failed: bool, status_code: int) -> HTMLResponse:
    lang, remember = i18n.negotiate(request)
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.url.path == "/login":
        wanted = request.query_params.get("next") or "/"
    response = render(
        request,
        "login.html",
        lang=lang,
        remember=remember,
        title=i18n.text("login_title", lang),
        active="",
        status_code=status_code,
        failed=failed,
        next_url=_safe_next(wanted),
    )
    response.headers["www-authenticate"] = "Bearer"
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    if not request.app.state.settings.auth_read:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, failed=False, status_code=200)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token") or "").strip()
    target = _safe_next(str(form.get("next") or "/"))
    result = await run_in_threadpool(check_token, request.app.state.db.cursor(), token or None, "read")
    if isinstance(result, Refusal):
        await run_in_threadpool(record_refusal, request, result, "read")
        return _login_page(request, failed=True, status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        TOKEN_COOKIE, token, path="/", httponly=True, samesite="strict", secure=_is_https(request)
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


# ---------------------------------------------------------------------------
# pages


def _int_param(request: Request, name: str) -> int | str | None:
    """An integer query parameter: the int, None when absent, or the raw text when not an integer."""
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return raw


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> Response:
    denied = refused(request)
    if denied is not None:
        return denied
    lang, remember = i18n.negotiate(request)
    with data.one_state(request):
        d = data.overview(request)
    plan = request.app.state.plan
    names = {cid: i18n.pick(c.zh, c.en, lang) for cid, c in plan.categories.items()}
    shown = [r for r in d.by_category if r["total"]]
    fig = charts.status_counts(shown, category_names=names, lang=lang)
    return render(
        request,
        "overview.html",
        lang=lang,
        remember=remember,
        title=i18n.text("overview_title", lang),
        active="overview",
        d=d,
        categories=shown,
        category_names=names,
        status_figure=fig,
    )


@router.get("/targets/{target_id}", response_class=HTMLResponse)
def target_page(request: Request, target_id: str) -> Response:
    denied = refused(request)
    if denied is not None:
        return denied
    lang, remember = i18n.negotiate(request)
    with data.one_state(request):
        d = data.target(request, target_id)
    if d is None:
        t = i18n.translator(lang)
        return error_page(request, 404, t("unknown_target"), f"{t('unknown_target')}: {target_id}")
    plan = request.app.state.plan
    category = plan.categories.get(d.row["category"])
    fig = charts.target_series(d.series, {**d.status, "unit": d.row["unit"]}, lang=lang)
    return render(
        request,
        "target.html",
        lang=lang,
        remember=remember,
        title=i18n.pick(d.row["name_zh"], d.row["name_en"], lang),
        active="overview",
        d=d,
        s=d.status,
        row=d.row,
        indicator=plan.indicator(d.row["indicator"]),
        category_name=i18n.pick(category.zh, category.en, lang) if category else d.row["category"],
        series_figure=fig,
    )


def _choose_year(request: Request, years: list[int]) -> int | HTMLResponse:
    asked = _int_param(request, "year")
    if isinstance(asked, str) or (asked is not None and not 1949 <= asked <= 2100):
        lang, _ = i18n.negotiate(request)
        t = i18n.translator(lang)
        return error_page(request, 422, t("bad_year"), f"{t('bad_year')}: {request.query_params.get('year')}")
    if asked is not None:
        return asked
    return years[-1] if years else dt.date.today().year


@router.get("/air", response_class=HTMLResponse)
def air_page(request: Request) -> Response:
    denied = refused(request)
    if denied is not None:
        return denied
    lang, remember = i18n.negotiate(request)
    t = i18n.translator(lang)
    cities = data.air_cities(request)
    years = data.air_years(request)
    year = _choose_year(request, years)
    if isinstance(year, Response):
        return year
    city = request.query_params.get("city") or (cities[0] if cities else None)
    if city is not None and city not in cities:
        return error_page(request, 404, t("unknown_city"), f"{t('unknown_city')}: {city}")
    with data.one_state(request):
        d = data.air(request, city, year) if city is not None else None
    # HJ 633's levels as the edition in force at the end of the year reads them (names and
    # colours are the same in both editions; the lowest AQI of level 1 differs)
    levels = charts.aqi_levels(aqi_edition_for(dt.date(year, 12, 31)))
    figures = {}
    if d is not None:
        figures["calendar"] = charts.aqi_calendar(
            d.daily, year=year, levels=levels, lang=lang, show_scale=False
        )
        figures["ranking"] = charts.composite_index_ranking(d.ranking, lang=lang)
    order = {c: i for i, c in enumerate(cities)}
    annual = sorted(d.ranking, key=lambda r: (order.get(r["city"], len(order)), r["city"])) if d else []
    return render(
        request,
        "air.html",
        lang=lang,
        remember=remember,
        title=t("air_title"),
        active="air",
        d=d,
        city=city,
        cities=cities,
        year=year,
        years=sorted(set(years) | {year}),
        figures=figures,
        annual=annual,
        levels=levels,
    )


@router.get("/water", response_class=HTMLResponse)
def water_page(request: Request) -> Response:
    denied = refused(request)
    if denied is not None:
        return denied
    lang, remember = i18n.negotiate(request)
    t = i18n.translator(lang)
    years = data.water_years(request)
    year = _choose_year(request, years)
    if isinstance(year, Response):
        return year
    with data.one_state(request):
        d = data.water(request, year)
    year_rows = [r for r in d.attainment if r["year"] == year]
    order = {b: i for i, b in enumerate(d.basin_order)}
    year_rows.sort(key=lambda r: (order.get(r["group"], len(order)), r["group"]))
    figures = {
        "classes": charts.class_bars_by_basin(d.attainment, lang=lang, order=d.basin_order),
        "map": charts.section_map(d.classes, lang=lang),
        "tli": charts.tli_bars(d.trophic, lang=lang),
        "flow": charts.ecoflow_compliance_bars(d.flow, lang=lang),
    }
    flow_rows = sorted(
        (r for r in d.flow if r["period"] != "year"),
        key=lambda r: (r.get("river") or "", r["gauge"], r.get("period_order") or 0),
    )
    return render(
        request,
        "water.html",
        lang=lang,
        remember=remember,
        title=t("water_title"),
        active="water",
        d=d,
        year=year,
        years=sorted(set(years) | {year}),
        basin_rows=year_rows,
        tli_rows=[r for r in d.trophic if r["year"] == year],
        flow_rows=flow_rows,
        figures=figures,
        class_columns=[
            (n, "n_worse_than_V" if n == water_standard.WORST_CLASS else f"n_{water_standard.class_text(n)}")
            for n in range(1, water_standard.WORST_CLASS + 1)
        ],
        class_label=lambda n: charts.class_label(n, lang),
        class_colours=charts.class_colours(),
    )
