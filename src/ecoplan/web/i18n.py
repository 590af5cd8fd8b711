"""The dashboard's words in Chinese and English, and which language a request gets.

The language is chosen by ``?lang=zh|en`` (remembered in a cookie), else the
cookie, else the browser's first preferred language (English when it is
English, Chinese otherwise). Names of places, stations, rivers and basins are
data and are shown as they are stored (Chinese); status, category, level and
class names come from the plan and the standards' table files in both
languages.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGS = ("zh", "en")
DEFAULT = "zh"
COOKIE = "ecoplan_lang"

STRINGS: dict[str, tuple[str, str]] = {
    # frame
    "app_title": ("生态保护规划监测评估", "Ecological plan monitoring"),
    "nav_overview": ("总览", "Overview"),
    "nav_air": ("环境空气", "Air"),
    "nav_water": ("地表水", "Water"),
    "lang_switch": ("语言", "Language"),
    "api_doc": ("接口文档 (OpenAPI)", "API (OpenAPI)"),
    "data_api": ("数据接口", "data"),
    "data_as_of": ("最近入库", "last ingest"),
    "no_data": ("暂无数据", "No data"),
    "logout": ("退出", "Log out"),
    "login_title": ("需要访问令牌", "A token is needed"),
    "login_text": (
        "此服务器的数据只对持有读取令牌的用户开放。请输入令牌(ecp_ 开头)。",
        "This server shows its data to holders of a read token only. Enter your token (it starts with ecp_).",
    ),
    "login_token": ("令牌", "Token"),
    "login_submit": ("进入", "Open the dashboard"),
    "login_refused": (
        "令牌无效、已撤销或权限不足。",
        "The token is unknown, revoked or lacks the read scope.",
    ),
    "back_overview": ("返回总览", "Back to the overview"),
    "show": ("显示", "Show"),
    "year": ("年份", "Year"),
    "city": ("城市", "City"),
    # overview
    "overview_title": ("规划目标进展总览", "Where the plan's targets stand"),
    "plan": ("规划", "Plan"),
    "targets_total": ("目标总数", "Targets"),
    "status_by_category": ("各领域目标状态", "Target status by category"),
    "category": ("领域", "Category"),
    "total": ("合计", "Total"),
    "all_categories": ("全部", "All"),
    "behind_title": ("进展滞后的目标", "Targets falling behind"),
    "behind_text": (
        "进展有限、退步、未实现,或按当前速度预测到目标年份无法达标的目标。",
        "Targets with limited progress, deterioration or not achieved, and those whose projection to the target year misses the target.",
    ),
    "behind_none": ("没有进展滞后的目标。", "No target is falling behind."),
    "projection_misses": ("预测不达标", "projection misses the target"),
    "warnings_title": ("当前预警", "Active warnings"),
    "warnings_none": ("当前没有预警。", "No warning is active."),
    "level": ("级别", "Level"),
    "kind": ("类型", "Kind"),
    "scope": ("范围", "Scope"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "message": ("内容", "Message"),
    "target": ("目标", "Target"),
    "status": ("状态", "Status"),
    "latest": ("最新值", "Latest"),
    "target_value": ("目标值", "Target"),
    "projected": ("目标年预测值", "Projected in the target year"),
    "why": ("原因", "Why"),
    # target page
    "target_title": ("目标详情", "Target"),
    "indicator": ("指标", "Indicator"),
    "unit": ("单位", "Unit"),
    "baseline": ("基准值", "Baseline"),
    "baseline_plan": ("规划所载基准值", "Baseline stated in the plan"),
    "target_year": ("目标年份", "Target year"),
    "observed_rate": ("实际年均变化率", "Observed annual rate"),
    "required_rate": ("达标所需年均变化率", "Required annual rate"),
    "needed_rate": ("今后所需年均变化率", "Annual rate needed from now on"),
    "projected_linear": ("线性趋势预测值", "Linear-trend projection"),
    "projected_meets": ("预测能否达标", "Projection meets the target"),
    "ratio": ("进展比", "Progress ratio"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "note": ("说明", "Note"),
    "method": ("计算方法", "Method"),
    "clause": ("规划原文", "The plan's clause"),
    "baseline_clause": ("基准值出处", "Where the baseline comes from"),
    "requirement": ("要求", "Requirement"),
    "series_title": ("指标序列", "The indicator by year"),
    "stored_values": ("已存指标值", "Stored values"),
    "origin": ("来源", "Origin"),
    "origin_computed": ("监测数据计算", "computed from monitoring data"),
    "origin_reported": ("统计上报", "reported"),
    "value": ("数值", "Value"),
    "per_year": ("/年", "/yr"),
    "unknown_target": ("未知目标", "Unknown target"),
    # air
    "air_title": ("环境空气质量", "Air quality"),
    "calendar_title": ("日空气质量指数(AQI)日历", "Daily AQI calendar"),
    "calendar_text": (
        "按 HJ 633 空气质量指数级别着色;格中数字为日 AQI。",
        "Coloured by the AQI levels of HJ 633; the number in each day is its daily AQI.",
    ),
    "monthly_title": ("月度统计", "Monthly statistics"),
    "annual_title": ("年度统计(11 个设区市)", "Annual statistics of the cities"),
    "ranking_title": ("城市环境空气质量综合指数排名", "Composite-index ranking of the cities"),
    "ranking_text": (
        "HJ 663 综合指数,越小越好;第 1 名空气质量最好。",
        "HJ 663 composite index: lower is better; rank 1 is the cleanest city.",
    ),
    "month": ("月份", "Month"),
    "days_valid": ("有效天数", "Valid days"),
    "good_days": ("优良天数", "Good days"),
    "good_ratio": ("优良天数比例 (%)", "Good days (%)"),
    "heavy_days": ("重污染天数", "Heavy days"),
    "composite_index": ("综合指数", "Composite index"),
    "rank": ("排名", "Rank"),
    "complete": ("各项年评价数据完整", "Every item complete for the year"),
    "unknown_city": ("未知城市", "Unknown city"),
    # water
    "water_title": ("地表水环境质量", "Surface water quality"),
    "classes_title": ("各流域断面水质类别", "Section classes by basin"),
    "classes_text": (
        "GB 3838-2002 单因子评价(环办〔2011〕22号),按年统计断面数。",
        "GB 3838-2002 single-factor classes (2011 method), sections counted per year.",
    ),
    "basin": ("流域", "Basin"),
    "sections": ("断面数", "Sections"),
    "share_I_III": ("I-III 类比例 (%)", "Class I-III (%)"),
    "quality_level": ("水质状况", "Water quality"),
    "main_pollutants": ("主要污染指标", "Main pollutants"),
    "map_title": ("断面分布与水质类别", "Sections and their classes"),
    "map_text": (
        "按断面经纬度绘制(无底图);颜色为所选年份的水质类别。",
        "Drawn from the sections' coordinates (no base map); colours are the classes of the year shown.",
    ),
    "tli_title": ("湖库综合营养状态指数", "Trophic level index of the lakes"),
    "lake": ("湖库", "Lake"),
    "trophic_class": ("营养状态", "Trophic state"),
    "ecoflow_title": ("生态流量达标情况", "Eco-flow compliance"),
    "ecoflow_text": (
        "各控制站点非汛期、汛期日流量满足生态流量的天数比例,按河流分组。",
        "Share of days each gauge met its eco-flow threshold, non-flood and flood season, grouped by river.",
    ),
    "river": ("河流", "River"),
    "gauge": ("站点", "Gauge"),
    "period": ("时段", "Period"),
    "compliance_rate": ("达标率 (%)", "Compliance (%)"),
    "shortfall_days": ("不达标天数", "Days short"),
    "missing_days": ("缺测天数", "Missing days"),
    "threshold": ("生态流量 (m³/s)", "Threshold (m³/s)"),
    "mean_flow": ("平均流量 (m³/s)", "Mean flow (m³/s)"),
    "bad_year": ("年份参数无效", "Invalid year"),
    # warning kinds and levels
    "kind_heavy_pollution": ("重污染天气", "Heavy pollution"),
    "kind_ecoflow": ("生态流量", "Eco-flow"),
    "kind_deterioration": ("水质/空气恶化", "Deterioration"),
    "kind_target": ("目标进展", "Target progress"),
    "level_blue": ("蓝色", "blue"),
    "level_yellow": ("黄色", "yellow"),
    "level_orange": ("橙色", "orange"),
    "level_red": ("红色", "red"),
}

#: How a target's comparator and value read: (zh, en) with ``{v}`` for the value and its unit.
COMPARATOR_TEXT: dict[str | None, tuple[str, str]] = {
    ">=": ("≥ {v}", "≥ {v}"),
    ">": ("> {v}", "> {v}"),
    "<=": ("≤ {v}", "≤ {v}"),
    "<": ("< {v}", "< {v}"),
    "=": ("= {v}", "= {v}"),
    "reduce_by_pct": ("较基准下降 {v}", "{v} below the baseline"),
    "increase_by_pct": ("较基准提高 {v}", "{v} above the baseline"),
    "increase_by": ("较基准增加 {v}", "baseline + {v}"),
    "not_decreasing": ("不低于基准", "not below the baseline"),
    "not_increasing": ("不高于基准", "not above the baseline"),
    "increasing": ("高于基准", "above the baseline"),
    "decreasing": ("低于基准", "below the baseline"),
    "zero": ("为零", "zero"),
    "all_meet": ("全部达标", "every member meets it"),
    None: ("无量化目标(按趋势评价)", "no quantified target (judged by the trend)"),
}


def comparator_text(comparator: str | None, value: str, lang: str) -> str:
    zh, en = COMPARATOR_TEXT.get(comparator, (f"{comparator} {{v}}", f"{comparator} {{v}}"))
    return (en if lang == "en" else zh).format(v=value).strip()


def text(key: str, lang: str) -> str:
    """The string ``key`` in ``lang`` (the key itself when unknown, so a gap shows rather than fails)."""
    pair = STRINGS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def translator(lang: str) -> Callable[[str], str]:
    return lambda key: text(key, lang)


def pick(zh: str | None, en: str | None, lang: str) -> str:
    """The English or Chinese one of two values (the other when one is missing)."""
    if lang == "en":
        return en or zh or ""
    return zh or en or ""


def negotiate(request: Request) -> tuple[str, bool]:
    """(language, whether it was asked for with ``?lang=`` and should be remembered)."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked, True
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGS:
        return cookie, False
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].strip().lower()
    if first.startswith("en"):
        return "en", False
    return DEFAULT, False
