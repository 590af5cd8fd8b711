"""Water items, units, values and classes as people write them, shared by the water readers.

Items
-----
Stored item codes are those of ``standards/gb3838_2002.toml`` (``pH``, ``DO``,
``CODMn``, ``NH3-N``, ``TP``, ``Cr6`` ...) plus the trophic and auxiliary
items ``chla``, ``SD``, ``conductivity``, ``turbidity``, ``algae_density``.
Headers and item cells are recognised in Chinese or English, with or without
a unit in brackets: ``氨氮``, ``NH3-N``, ``氨氮(mg/L)``, ``氟化物(以F-计)``.

Units
-----
Canonical: mg/L; fecal coliform count/L (个/L); chl-a mg/m3 (= ug/L); SD m;
water temperature degC; pH dimensionless; conductivity uS/cm; turbidity NTU;
algae density cells/L. ug/L (and other listed units) are converted; a unit
an item does not take is rejected.

Values
------
Numbers, or below-detection results: ``0.05L`` (the national convention:
the detection limit followed by L), ``<0.05``, ``ND(0.05)`` / ``未检出(0.05)``,
or ``ND`` / ``未检出`` with the limit in a detection-limit column. They are
stored with ``below_dl = TRUE``, ``value = NULL`` and the detection limit;
the assessments use half of it (2020 rule, see the method's table file).
``>2400`` (beyond a method's range) is rejected: it is not a number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ..water.standard import gb3838_items, tli_table
from .base import normalise_header, strip_cells

# -- items ---------------------------------------------------------------------

EXTRA_UNITS = {"conductivity": "uS/cm", "turbidity": "NTU", "algae_density": "cells/L"}
EXTRA_NAMES = {
    "conductivity": ("电导率", "conductivity"),
    "turbidity": ("浊度", "turbidity"),
    "algae_density": ("藻密度", "algae density"),
}

_ALIASES: dict[str, list[str]] = {
    "water_temperature": [
        "水温",
        "water temperature",
        "water_temperature",
        "wt",
        "temperature",
        "temp",
        "温度",
    ],
    "pH": ["ph", "ph值", "ph 值", "酸碱度"],
    "DO": ["溶解氧", "do", "dissolved oxygen", "dissolved_oxygen"],
    "CODMn": [
        "高锰酸盐指数",
        "高锰酸钾指数",
        "codmn",
        "cod_mn",
        "cod-mn",
        "imn",
        "permanganate index",
        "permanganate_index",
    ],
    "COD": ["化学需氧量", "cod", "codcr", "cod_cr", "cod-cr", "chemical oxygen demand"],
    "BOD5": ["五日生化需氧量", "生化需氧量", "bod5", "bod_5", "bod", "biochemical oxygen demand"],
    "NH3-N": ["氨氮", "nh3-n", "nh3_n", "nh3n", "nh4-n", "nh4+-n", "ammonia nitrogen", "ammonia_nitrogen"],
    "TP": ["总磷", "tp", "total phosphorus", "total_phosphorus"],
    "TN": ["总氮", "tn", "total nitrogen", "total_nitrogen"],
    "Cu": ["铜", "cu", "copper"],
    "Zn": ["锌", "zn", "zinc"],
    "fluoride": ["氟化物", "fluoride", "f-", "f"],
    "Se": ["硒", "se", "selenium"],
    "As": ["砷", "as", "arsenic"],
    "Hg": ["汞", "hg", "mercury"],
    "Cd": ["镉", "cd", "cadmium"],
    "Cr6": [
        "六价铬",
        "铬(六价)",
        "铬六价",
        "cr6",
        "cr6+",
        "cr(vi)",
        "crvi",
        "hexavalent chromium",
        "chromium_vi",
    ],
    "Pb": ["铅", "pb", "lead"],
    "cyanide": ["氰化物", "cyanide", "cn", "cn-"],
    "volatile_phenol": ["挥发酚", "挥发性酚", "volatile phenol", "volatile_phenol", "phenol", "phenols"],
    "petroleum": ["石油类", "petroleum", "oil", "petroleum oil", "oils"],
    "LAS": ["阴离子表面活性剂", "las", "anionic surfactant", "anionic_surfactant", "surfactant"],
    "sulfide": ["硫化物", "sulfide", "sulphide", "s2-"],
    "fecal_coliform": [
        "粪大肠菌群",
        "粪大肠杆菌",
        "fecal coliform",
        "faecal coliform",
        "fecal_coliform",
        "fecal coliforms",
    ],
    "chla": [
        "叶绿素a",
        "叶绿素α",
        "叶绿素",
        "chl-a",
        "chla",
        "chl_a",
        "chlorophyll a",
        "chlorophyll-a",
        "chlorophyll",
    ],
    "SD": ["透明度", "sd", "secchi depth", "secchi_depth", "transparency"],
    "conductivity": ["电导率", "conductivity", "ec", "电导"],
    "turbidity": ["浊度", "turbidity"],
    "algae_density": ["藻密度", "algae density", "algae_density", "algal density"],
}
ITEM_ALIASES = {alias: code for code, names in _ALIASES.items() for alias in names}


@cache
def item_units() -> dict[str, str]:
    """Canonical unit of every known item."""
    units = {code: it.unit for code, it in gb3838_items().items()}
    for code, f in tli_table()["formulas"].items():
        units.setdefault(code, f["unit"])
    return units | EXTRA_UNITS


@cache
def item_names() -> dict[str, tuple[str, str]]:
    """(Chinese, English) name of every known item."""
    names = {code: (it.name_zh, it.name_en) for code, it in gb3838_items().items()}
    for code, f in tli_table()["formulas"].items():
        names.setdefault(code, (f["name_zh"], f["name_en"]))
    return names | EXTRA_NAMES


_BRACKETS = re.compile(r"^(.*?)\s*[\(\[]\s*([^\(\)\[\]]*?)\s*[\)\]]\s*$")


@dataclass(frozen=True)
class HeaderItem:
    """What a header or item cell names: the item, its unit, and a bracketed text that is no unit."""

    item: str | None
    unit: str | None  # canonical spelling
    unit_text: str | None  # as written
    unknown_unit: str | None  # a bracketed text that is neither a unit nor part of the name


def _is_qualifier(inner: str) -> bool:
    return inner.startswith("以") or inner.endswith("计")


def parse_header(header: object) -> HeaderItem:
    """``"氨氮(mg/L)"`` -> NH3-N in mg/L; ``"氟化物(以F-计)"`` -> fluoride; ``"铬(六价)"`` -> Cr6."""
    if header is None:
        return HeaderItem(None, None, None, None)
    text = normalise_header(header)
    groups: list[str] = []
    while True:
        m = _BRACKETS.match(text)
        if not m or not m.group(1).strip():
            break
        groups.insert(0, m.group(2))
        text = m.group(1).strip()
    base = text
    unit = unit_text = None
    others: list[str] = []
    for g in groups:
        cu = canonical_unit(g)
        if cu is not None and unit is None:
            unit, unit_text = cu, g
        else:
            others.append(g)
    candidates = [base + "".join(f"({g})" for g in others), *(f"{base}({g})" for g in others), base]
    for cand in candidates:
        code = ITEM_ALIASES.get(cand) or ITEM_ALIASES.get(cand.replace(" ", ""))
        if code is not None:
            used = [g for g in others if f"({g})" in cand]
            left = [g for g in others if g not in used and not _is_qualifier(g)]
            return HeaderItem(code, unit, unit_text, left[0] if left and unit is None else None)
    return HeaderItem(None, unit, unit_text, None)


def water_item(name: object) -> str | None:
    """Canonical item code of a header or item cell, or None."""
    return parse_header(name).item


# -- units ---------------------------------------------------------------------

_UNIT_ALIASES = {
    "mg/l": "mg/L",
    "毫克/升": "mg/L",
    "mg/dm3": "mg/L",
    "ug/l": "ug/L",
    "μg/l": "ug/L",
    "微克/升": "ug/L",
    "ppb": "ug/L",
    "个/l": "count/L",
    "个/升": "count/L",
    "count/l": "count/L",
    "counts/l": "count/L",
    "cfu/l": "count/L",
    "mpn/l": "count/L",
    "个/100ml": "count/100mL",
    "cfu/100ml": "count/100mL",
    "mpn/100ml": "count/100mL",
    "mg/m3": "mg/m3",
    "毫克/立方米": "mg/m3",
    "m": "m",
    "米": "m",
    "cm": "cm",
    "厘米": "cm",
    "°c": "degC",
    "℃": "degC",
    "degc": "degC",
    "c": "degC",
    "摄氏度": "degC",
    "无量纲": "dimensionless",
    "dimensionless": "dimensionless",
    "无": "dimensionless",
    "us/cm": "uS/cm",
    "μs/cm": "uS/cm",
    "ms/cm": "mS/cm",
    "ms/m": "mS/m",
    "ntu": "NTU",
    "cells/l": "cells/L",
    "cell/l": "cells/L",
    "cells/ml": "cells/mL",
    "个/ml": "cells/mL",
}

# factor turning a value in the given unit into the item's canonical unit
_FACTORS: dict[tuple[str, str], float] = {
    ("mg/L", "mg/L"): 1.0,
    ("mg/L", "ug/L"): 0.001,
    ("count/L", "count/L"): 1.0,
    ("count/L", "count/100mL"): 10.0,
    ("mg/m3", "mg/m3"): 1.0,
    ("mg/m3", "ug/L"): 1.0,
    ("mg/m3", "mg/L"): 1000.0,
    ("m", "m"): 1.0,
    ("m", "cm"): 0.01,
    ("degC", "degC"): 1.0,
    ("dimensionless", "dimensionless"): 1.0,
    ("uS/cm", "uS/cm"): 1.0,
    ("uS/cm", "mS/cm"): 1000.0,
    ("uS/cm", "mS/m"): 10.0,
    ("NTU", "NTU"): 1.0,
    ("cells/L", "cells/L"): 1.0,
    ("cells/L", "count/L"): 1.0,
    ("cells/L", "cells/mL"): 1000.0,
}


def canonical_unit(unit: object) -> str | None:
    """The canonical spelling of a water unit, or None when it is unknown."""
    if unit is None:
        return None
    text = unicodedata.normalize("NFKC", str(unit)).strip().lower().replace(" ", "")
    return _UNIT_ALIASES.get(text)


def unit_factor(item: str, unit: str | None) -> float | None:
    """Factor from ``unit`` (canonical spelling) to ``item``'s unit; None when the item does not take it."""
    if unit is None:
        return 1.0
    return _FACTORS.get((item_units()[item], unit))


def accepted_units(item: str) -> list[str]:
    target = item_units()[item]
    return [u for (t, u) in _FACTORS if t == target]


# -- values --------------------------------------------------------------------

_NUM = r"[+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TRAILING_L = re.compile(rf"^({_NUM})\s*[lL]$")
_LESS = re.compile(rf"^(?:<|≤|<=)\s*({_NUM})$")
_ND = re.compile(
    rf"^(?:nd|n\.d\.?|未检出|低于检出限|bdl|<dl)\s*(?:[\(\[]\s*(?:<|≤)?\s*({_NUM})\s*[lL]?\s*[\)\]])?$",
    re.IGNORECASE,
)
_ABOVE = re.compile(rf"^(?:>|≥|>=)\s*({_NUM})$")


@dataclass
class ParsedValues:
    """Cells parsed to numbers and below-detection flags (arrays of one length)."""

    value: np.ndarray  # float, NaN where not a plain number
    below_dl: np.ndarray  # bool
    detection_limit: np.ndarray  # float, NaN where unknown
    blank: np.ndarray  # bool: empty cell or missing marker
    bad: np.ndarray  # bool: not a number
    above: np.ndarray  # bool: ">x" (beyond a method's range)


def parse_values(cells: pd.Series | np.ndarray | list) -> ParsedValues:
    """Parse value cells (numbers, ``0.05L``, ``<0.05``, ``ND``) without losing any."""
    raw = strip_cells(cells)
    n = len(raw)
    below = np.zeros(n, dtype=bool)
    dl = np.full(n, np.nan)
    blank = np.array([c is None for c in raw], dtype=bool)
    bad = np.zeros(n, dtype=bool)
    above = np.zeros(n, dtype=bool)
    is_bool = np.array([isinstance(c, bool | np.bool_) for c in raw], dtype=bool)
    # fast path: plain numbers (and numeric text) in one vectorised pass
    value = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)
    value[is_bool] = np.nan
    rest = np.flatnonzero(~blank & ~np.isfinite(value))
    for i in rest:
        c = raw[i]
        if isinstance(c, bool | np.bool_) or not isinstance(c, str):
            bad[i] = True
            continue
        text = unicodedata.normalize("NFKC", c).strip().replace(",", "")
        try:
            v = float(text)
        except ValueError:
            pass
        else:
            if np.isfinite(v):
                value[i] = v
            else:
                bad[i] = True
            continue
        m = _TRAILING_L.match(text) or _LESS.match(text)
        if m:
            below[i] = True
            dl[i] = float(m.group(1))
            continue
        m = _ND.match(text)
        if m:
            below[i] = True
            if m.group(1):
                dl[i] = float(m.group(1))
            continue
        if _ABOVE.match(text):
            above[i] = True
        bad[i] = True
    value[below | bad] = np.nan
    return ParsedValues(value, below, dl, blank, bad, above)


# -- classes and kinds -----------------------------------------------------------

_CLASS_WORDS = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "劣v": 6,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "劣五": 6,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 5,
    "6": 6,
    "劣5": 6,
    ">v": 6,
    "worse than v": 6,
}


def parse_class(cell: object) -> int | None:
    """A published class (``Ⅲ``, ``III类``, ``劣Ⅴ``, ``三类``, ``3``) as 1..6, or None."""
    if cell is None:
        return None
    if isinstance(cell, int | float | np.integer | np.floating):
        if isinstance(cell, float) and not np.isfinite(cell):
            return None
        v = float(cell)
        return int(v) if v.is_integer() and 1 <= v <= 6 else None
    text = unicodedata.normalize("NFKC", str(cell)).strip().lower()
    text = text.removesuffix("类水质").removesuffix("类").removeprefix("class").strip()
    return _CLASS_WORDS.get(text)


_KINDS = {
    "river": "river",
    "河流": "river",
    "河": "river",
    "江河": "river",
    "河流断面": "river",
    "lake": "lake",
    "湖": "lake",
    "湖泊": "lake",
    "湖泊点位": "lake",
    "reservoir": "reservoir",
    "库": "reservoir",
    "水库": "reservoir",
    "水库点位": "reservoir",
    "湖库": "lake",
}
_CONTROL = {
    "national": "national",
    "国控": "national",
    "国家": "national",
    "国家级": "national",
    "国考": "national",
    "provincial": "provincial",
    "省控": "provincial",
    "省级": "provincial",
    "省考": "provincial",
    "省": "provincial",
    "city": "city",
    "municipal": "city",
    "市控": "city",
    "市级": "city",
    "county": "county",
    "县控": "county",
}
_SAMPLE_KINDS = {
    "manual": "manual",
    "手工": "manual",
    "人工": "manual",
    "手工监测": "manual",
    "m": "manual",
    "auto": "auto",
    "automatic": "auto",
    "自动": "auto",
    "自动监测": "auto",
    "在线": "auto",
    "a": "auto",
}
SAMPLE_KINDS = ("manual", "auto")


def _lookup(table: dict[str, str], cell: object) -> str | None:
    if cell is None:
        return None
    return table.get(unicodedata.normalize("NFKC", str(cell)).strip().lower())


def parse_kind(cell: object) -> str | None:
    """river / lake / reservoir from 河流 / 湖泊 / 水库 or English."""
    return _lookup(_KINDS, cell)


def parse_control(cell: object) -> str | None:
    """national / provincial / city / county from 国控 / 省控 / 市控 or English."""
    return _lookup(_CONTROL, cell)


def parse_sample_kind(cell: object) -> str | None:
    """manual / auto from 手工 / 自动 or English."""
    return _lookup(_SAMPLE_KINDS, cell)
