"""Generated surface-water data for Shanxi: sections, monthly samples, automatic-station readings.

GENERATED DATA: nothing here is a measurement. The section list covers the
plan's seven rivers (汾河, 桑干河, 滹沱河, 漳河, 沁河, 涑水河, 大清河), the Yellow
River main stem in Shanxi with two of its direct tributaries, the five lakes
(晋阳湖, 漳泽湖, 云竹湖, 盐湖, 伍姓湖) and the four flats around the Salt Lake.
Section names are places along the rivers (some are also names of real
monitoring sections); codes, coordinates, control levels and values are
invented. Coordinates lie on an approximate course of each river.

How the figures are made
------------------------
- **Counts per basin** follow the plan's figures: 21 sections in the Fen
  basin (10 in class I-III = 47.6 %), 10 Sanggan, 12 Hutuo, 11 Zhang, 9 Qin,
  2 Daqing (lake points count in their basin); 58 national (国控) sections of
  which 41 (70.7 %) are in class I-III in 2020 and none worse than V.
- **Classes by construction.** Each river section has a *badness* (its rank
  in its basin). Each basin has a yearly count of sections in class I-III
  and of sections worse than V (:data:`BASIN_YEARS`); the sections are given a
  class score ``q`` by rank (1.35-2.65 for class II-III, 3.3-4.7 for IV-V,
  about 5.4 for 劣V). Lakes have a score per year (:data:`LAKES`). Class
  ``k`` is the score band ``(k-1, k]`` mapped log-linearly between the GB
  3838 limits (read from the standard's table file), so the annual mean of a
  section's main pollutant lands in the intended class: the monthly factors
  are normalised to a mean of exactly 1 per section, item and year.
- **Main pollutants** differ by section (COD, NH3-N, TP, BOD5, CODMn, and
  fluoride in the basins where it is common); the other key items sit a
  random part of a class or more below.
- **Trace items** (metals, cyanide, phenol, petroleum, LAS, sulfide) are
  mostly below their detection limit, written as the national convention
  does: ``0.004L``.
- **Lakes** carry chlorophyll a (ug/L) and Secchi depth (cm) set from a
  target TLI per year (mesotrophic to light eutrophic), inverted with the
  TLI table file's formulas.
- **Gaps**: a few missing months, ice cover (冰封) in January-February on
  some northern sections, a dry channel (断流) now and then; these rows carry
  the status in 水质类别 and no values.
- **Intended rejects**: a few fecal-coliform results written ``>240000``
  (beyond the method's range), which the readers reject by design.

Files: ``water-sections.csv`` (section list), ``water-YYYY.csv`` (rivers, wide
table, one line per sample), ``lakes-YYYY.csv`` (lakes, long table with a
unit column), ``water-auto-*.csv`` (automatic stations every four hours over
the last 90 days of the last year, sample kind 自动, published class).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..water.standard import class_names, gb3838_items, tli_table

TAG = 2  # random stream of this domain (water 2, flow 3, indicators 4; air draws from the seed itself)
PROVINCE = "山西省"
FIRST_YEAR, LAST_YEAR = 2020, 2026  # years of the tables below; others take the nearest

# -- sections ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """A river (or a stretch of one) with its sections, upstream first.

    ``path`` is the course as (lat, lon, city) points; a section at position
    ``i`` of ``n`` sits at fraction ``(i + 0.5) / n`` along it and takes the
    city of the nearest point. A section is (name, control, badness): control
    ``N`` national / ``P`` provincial; badness 0 (cleanest) to 1 ranks the
    sections of a basin.
    """

    river: str
    basin: str
    path: tuple[tuple[float, float, str], ...]
    sections: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class Lake:
    """A lake point: score ``q`` and target TLI per year 2020..2026."""

    name: str
    basin: str
    city: str
    lat: float
    lon: float
    kind: str  # lake | reservoir
    control: str  # N | P | C
    q: tuple[float, ...]
    tli: tuple[float, ...]


REACHES: tuple[Reach, ...] = (
    # ---- 汾河 basin: 20 river sections + 晋阳湖 = 21
    Reach(
        "汾河",
        "汾河",
        (
            (38.93, 112.02, "忻州市"),
            (38.37, 111.93, "忻州市"),
            (38.07, 111.88, "太原市"),
            (37.92, 112.20, "太原市"),
            (37.99, 112.46, "太原市"),
            (37.75, 112.56, "太原市"),
            (37.45, 112.22, "晋中市"),
            (37.05, 111.90, "晋中市"),
            (36.83, 111.77, "晋中市"),
            (36.56, 111.72, "临汾市"),
            (36.25, 111.66, "临汾市"),
            (35.98, 111.47, "临汾市"),
            (35.65, 111.33, "临汾市"),
            (35.61, 111.05, "运城市"),
            (35.57, 110.66, "运城市"),
        ),
        (
            ("雷鸣寺", "N", 0.00),
            ("河西村", "N", 0.05),
            ("汾河水库出口", "N", 0.08),
            ("寨上", "N", 0.12),
            ("上兰", "N", 0.18),
            ("小店桥", "N", 0.62),
            ("温南社", "N", 0.70),
            ("王庄桥南", "N", 0.66),
            ("义棠", "N", 0.58),
            ("上平望", "N", 0.54),
            ("柴庄", "N", 0.50),
            ("西曲", "P", 0.48),
            ("庙前村", "N", 0.44),
        ),
    ),
    Reach(
        "岚河", "汾河", ((38.28, 111.67, "吕梁市"), (38.08, 111.87, "太原市")), (("岚河入库口", "N", 0.10),)
    ),
    Reach(
        "潇河", "汾河", ((37.75, 113.05, "晋中市"), (37.58, 112.50, "晋中市")), (("潇河入汾口", "P", 0.72),)
    ),
    Reach(
        "文峪河",
        "汾河",
        ((37.70, 111.70, "吕梁市"), (37.30, 111.95, "吕梁市")),
        (("文峪河水库出口", "N", 0.20), ("南姚", "P", 0.80)),
    ),
    Reach("磁窑河", "汾河", ((37.30, 111.75, "吕梁市"), (37.15, 111.85, "晋中市")), (("桑柳树", "P", 0.97),)),
    Reach(
        "昌源河",
        "汾河",
        ((37.25, 112.35, "晋中市"), (37.42, 112.30, "晋中市")),
        (("昌源河入汾口", "P", 0.92),),
    ),
    Reach("浍河", "汾河", ((35.73, 111.85, "临汾市"), (35.62, 111.30, "临汾市")), (("西阳村", "N", 0.85),)),
    # ---- 桑干河 basin: 10
    Reach(
        "桑干河",
        "桑干河",
        (
            (39.38, 112.45, "朔州市"),
            (39.55, 112.85, "朔州市"),
            (39.58, 113.20, "朔州市"),
            (39.85, 113.60, "大同市"),
            (40.05, 114.05, "大同市"),
        ),
        (
            ("东榆林水库出口", "N", 0.15),
            ("山阴", "N", 0.60),
            ("应县", "N", 0.55),
            ("册田水库出口", "N", 0.35),
            ("固定桥", "N", 0.45),
        ),
    ),
    Reach("恢河", "桑干河", ((38.95, 112.15, "忻州市"), (39.30, 112.40, "朔州市")), (("阳方口", "P", 0.65),)),
    Reach(
        "御河",
        "桑干河",
        ((40.45, 113.35, "大同市"), (40.05, 113.35, "大同市"), (39.85, 113.50, "大同市")),
        (("孤山", "N", 0.25), ("御河大桥", "N", 0.80), ("御河入桑干口", "P", 0.95)),
    ),
    Reach(
        "南洋河",
        "桑干河",
        ((40.45, 114.10, "大同市"), (40.40, 114.40, "大同市")),
        (("南洋河天镇", "P", 0.70),),
    ),
    # ---- 滹沱河 basin: 12
    Reach(
        "滹沱河",
        "滹沱河",
        (
            (39.20, 113.45, "忻州市"),
            (39.06, 112.96, "忻州市"),
            (38.72, 112.70, "忻州市"),
            (38.50, 112.95, "忻州市"),
            (38.47, 113.30, "忻州市"),
            (38.28, 113.75, "忻州市"),
        ),
        (
            ("繁峙", "N", 0.00),
            ("界河铺", "N", 0.10),
            ("崞阳桥", "N", 0.30),
            ("济胜桥", "N", 0.40),
            ("南庄", "N", 0.45),
            ("小觉", "N", 0.35),
        ),
    ),
    Reach(
        "牧马河",
        "滹沱河",
        ((38.35, 112.50, "忻州市"), (38.47, 112.85, "忻州市")),
        (("牧马河入滹沱口", "P", 0.80),),
    ),
    Reach(
        "清水河",
        "滹沱河",
        ((38.95, 113.55, "忻州市"), (38.55, 113.45, "忻州市")),
        (("清水河五台", "N", 0.05),),
    ),
    Reach(
        "桃河",
        "滹沱河",
        ((37.85, 113.45, "阳泉市"), (37.90, 113.80, "阳泉市")),
        (("赛鱼", "P", 0.55), ("白羊墅", "P", 0.90)),
    ),
    Reach("温河", "滹沱河", ((38.05, 113.40, "阳泉市"), (37.95, 113.70, "阳泉市")), (("温河桥", "P", 0.50),)),
    Reach(
        "乌河", "滹沱河", ((38.10, 113.20, "阳泉市"), (38.20, 113.60, "阳泉市")), (("乌河盂县", "P", 0.65),)
    ),
    # ---- 漳河 basin: 9 river sections + 漳泽湖 + 云竹湖 = 11
    Reach(
        "浊漳河南源",
        "漳河",
        ((36.05, 112.70, "长治市"), (36.15, 112.98, "长治市")),
        (("石哲", "N", 0.35), ("南源入库口", "P", 0.85)),
    ),
    Reach(
        "浊漳河西源",
        "漳河",
        ((36.75, 112.62, "长治市"), (36.50, 112.95, "长治市")),
        (("西源襄垣", "N", 0.40),),
    ),
    Reach(
        "浊漳河北源",
        "漳河",
        ((37.05, 112.95, "晋中市"), (36.75, 113.05, "长治市")),
        (("北源榆社", "N", 0.20),),
    ),
    Reach(
        "浊漳河",
        "漳河",
        ((36.53, 113.05, "长治市"), (36.45, 113.45, "长治市"), (36.30, 113.75, "长治市")),
        (("石梁", "N", 0.55), ("王家庄", "N", 0.45)),
    ),
    Reach(
        "清漳河",
        "漳河",
        ((37.35, 113.40, "晋中市"), (37.05, 113.40, "晋中市"), (36.70, 113.55, "晋中市")),
        (("清漳东源", "N", 0.00), ("蔡家庄", "N", 0.10)),
    ),
    Reach(
        "绛河", "漳河", ((36.35, 112.80, "长治市"), (36.38, 113.05, "长治市")), (("绛河入漳口", "P", 0.60),)
    ),
    # ---- 沁河 basin: 9
    Reach(
        "沁河",
        "沁河",
        (
            (36.75, 112.20, "长治市"),
            (36.15, 112.25, "临汾市"),
            (35.85, 112.20, "晋城市"),
            (35.55, 112.52, "晋城市"),
            (35.25, 112.70, "晋城市"),
        ),
        (
            ("沁源", "N", 0.00),
            ("孔家坡", "N", 0.10),
            ("飞岭", "N", 0.15),
            ("张峰水库出口", "N", 0.20),
            ("润城", "N", 0.40),
            ("拴驴泉", "N", 0.35),
        ),
    ),
    Reach(
        "丹河",
        "沁河",
        ((35.85, 112.95, "晋城市"), (35.30, 113.00, "晋城市")),
        (("丹河高平", "P", 0.65), ("青天河", "P", 0.80)),
    ),
    Reach(
        "芦苇河",
        "沁河",
        ((35.55, 112.20, "晋城市"), (35.50, 112.45, "晋城市")),
        (("芦苇河入沁口", "P", 0.30),),
    ),
    # ---- 涑水河 basin: 5 river sections + 伍姓湖, 盐湖 and the four flats
    Reach(
        "涑水河",
        "涑水河",
        (
            (35.45, 111.60, "运城市"),
            (35.35, 111.22, "运城市"),
            (35.10, 111.05, "运城市"),
            (34.95, 110.60, "运城市"),
            (34.85, 110.35, "运城市"),
        ),
        (("绛县", "N", 0.30), ("吴家庄", "N", 0.70), ("上马", "N", 0.85), ("张留庄", "N", 1.00)),
    ),
    Reach(
        "姚暹渠", "涑水河", ((35.10, 111.35, "运城市"), (34.98, 110.85, "运城市")), (("姚暹渠", "P", 0.95),)
    ),
    # ---- 大清河 basin: 2
    Reach(
        "唐河",
        "大清河",
        ((39.30, 113.95, "大同市"), (39.44, 114.23, "大同市"), (39.25, 114.55, "大同市")),
        (("城头会", "N", 0.00),),
    ),
    Reach(
        "沙河", "大清河", ((39.15, 113.75, "忻州市"), (39.05, 114.05, "忻州市")), (("沙河繁峙", "N", 0.10),)
    ),
    # ---- 黄河 main stem in Shanxi and two direct tributaries: 9
    Reach(
        "黄河",
        "黄河",
        (
            (39.43, 111.47, "忻州市"),
            (39.30, 111.10, "忻州市"),
            (38.95, 111.05, "忻州市"),
            (38.40, 110.90, "吕梁市"),
            (37.62, 110.80, "吕梁市"),
            (36.95, 110.62, "临汾市"),
            (36.15, 110.45, "临汾市"),
            (35.63, 110.58, "运城市"),
            (34.85, 110.30, "运城市"),
            (34.62, 110.35, "运城市"),
            (34.80, 111.20, "运城市"),
            (35.05, 111.70, "运城市"),
        ),
        (
            ("万家寨", "N", 0.00),
            ("河曲", "N", 0.05),
            ("碛口", "N", 0.10),
            ("壶口", "N", 0.15),
            ("禹门口", "N", 0.20),
            ("风陵渡", "N", 0.30),
            ("垣曲", "N", 0.25),
        ),
    ),
    Reach(
        "三川河",
        "黄河",
        ((37.55, 111.25, "吕梁市"), (37.45, 110.85, "吕梁市")),
        (("三川河入黄口", "N", 0.60),),
    ),
    Reach(
        "昕水河",
        "黄河",
        ((36.48, 111.05, "临汾市"), (36.45, 110.55, "临汾市")),
        (("昕水河入黄口", "N", 0.35),),
    ),
)

LAKES: tuple[Lake, ...] = (
    Lake("晋阳湖", "汾河", "太原市", 37.70, 112.46, "lake", "P",
         (3.5, 3.5, 3.4, 2.6, 2.6, 2.5, 2.5), (52, 51, 50, 48, 47, 47, 46)),
    Lake("漳泽湖", "漳河", "长治市", 36.17, 113.05, "reservoir", "N",
         (3.6, 3.5, 3.5, 3.4, 3.5, 3.4, 3.3), (55, 54, 54, 53, 53, 52, 52)),
    Lake("云竹湖", "漳河", "晋中市", 37.02, 112.93, "reservoir", "P",
         (2.5, 2.6, 2.5, 3.3, 2.6, 2.5, 2.5), (42, 42, 43, 46, 43, 42, 41)),
    Lake("盐湖", "涑水河", "运城市", 35.00, 111.02, "lake", "P",
         (4.5, 4.5, 4.4, 4.5, 4.4, 4.4, 4.3), (58, 58, 57, 57, 56, 56, 56)),
    Lake("伍姓湖", "涑水河", "运城市", 34.93, 110.55, "lake", "P",
         (5.4, 4.6, 4.5, 3.6, 4.4, 4.3, 4.3), (55, 55, 54, 52, 54, 53, 53)),
    Lake("硝池滩", "涑水河", "运城市", 34.97, 110.92, "lake", "C",
         (4.6, 4.5, 4.5, 4.4, 4.5, 4.4, 4.4), (58, 58, 57, 57, 57, 56, 56)),
    Lake("鸭子滩", "涑水河", "运城市", 35.02, 111.12, "lake", "C",
         (5.4, 5.3, 5.3, 5.2, 4.6, 4.5, 4.5), (55, 55, 54, 54, 54, 53, 53)),
    Lake("汤里滩", "涑水河", "运城市", 34.99, 111.20, "lake", "C",
         (3.7, 3.6, 3.6, 3.5, 3.5, 3.5, 3.4), (54, 54, 53, 53, 52, 52, 52)),
    Lake("北门滩", "涑水河", "运城市", 35.05, 110.98, "lake", "C",
         (5.5, 5.4, 5.4, 5.3, 5.3, 5.3, 5.2), (55, 55, 55, 54, 54, 54, 54)),
)  # fmt: skip

# river sections per basin, 2020..2026: (sections in class I-III, sections worse than V);
# the current year (2026) holds the state of the last complete one, so that a status read from
# either year is the same
BASIN_YEARS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "汾河": ((7, 7, 8, 8, 9, 10, 10), (2, 2, 1, 1, 0, 0, 0)),
    "桑干河": ((3, 3, 3, 4, 4, 3, 3), (1, 1, 0, 0, 0, 0, 0)),
    "滹沱河": ((8, 8, 8, 9, 9, 9, 9), (0, 0, 0, 0, 0, 0, 0)),
    "漳河": ((8, 8, 8, 8, 8, 8, 8), (0, 0, 0, 0, 0, 0, 0)),
    "沁河": ((8, 8, 8, 9, 9, 9, 9), (0, 0, 0, 0, 0, 0, 0)),
    "涑水河": ((1, 1, 1, 1, 1, 1, 1), (0, 0, 0, 0, 0, 1, 1)),
    "大清河": ((2, 2, 2, 2, 2, 2, 2), (0, 0, 0, 0, 0, 0, 0)),
    "黄河": ((8, 8, 9, 9, 9, 9, 9), (0, 0, 0, 0, 0, 0, 0)),
}
BASIN_CODES = {
    "汾河": "FH",
    "桑干河": "SG",
    "滹沱河": "HT",
    "漳河": "ZH",
    "沁河": "QH",
    "涑水河": "SS",
    "大清河": "DQ",
    "黄河": "HH",
}
CONTROL = {"N": "国控", "P": "省控", "C": "市控"}
KIND_ZH = {"river": "河流", "lake": "湖泊", "reservoir": "水库"}
# sections with an automatic station (their names)
AUTO_STATIONS = ("上兰", "柴庄", "册田水库出口", "南庄", "石梁", "润城", "张留庄", "禹门口", "漳泽湖")
AUTO_DAYS = 90


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    river: str
    basin: str
    city: str
    kind: str
    control: str
    lat: float
    lon: float
    badness: float
    lake: Lake | None = None

    @property
    def body(self) -> str:
        return "river" if self.kind == "river" else "lake"

    @property
    def control_level(self) -> str:
        return {"N": "national", "P": "provincial", "C": "city"}[self.control]


def _along(path: Sequence[tuple[float, float, str]], frac: float) -> tuple[float, float, str]:
    """Point at ``frac`` of the polyline's length, with the city of the nearest vertex."""
    pts = np.array([(p[0], p[1]) for p in path])
    seg = np.hypot(*(np.diff(pts, axis=0).T))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    target = frac * cum[-1]
    i = int(np.clip(np.searchsorted(cum, target, side="right") - 1, 0, len(seg) - 1))
    t = (target - cum[i]) / seg[i] if seg[i] > 0 else 0.0
    lat, lon = pts[i] + t * (pts[i + 1] - pts[i])
    near = int(np.argmin(np.hypot(pts[:, 0] - lat, pts[:, 1] - lon)))
    return float(lat), float(lon), path[near][2]


@cache
def sections() -> tuple[Section, ...]:
    """Every section, basin by basin (rivers first, then lake points), with its code."""
    out: list[Section] = []
    for basin, prefix in BASIN_CODES.items():
        n = 0
        for reach in (r for r in REACHES if r.basin == basin):
            k = len(reach.sections)
            for i, (name, control, bad) in enumerate(reach.sections):
                lat, lon, city = _along(reach.path, (i + 0.5) / k)
                n += 1
                out.append(
                    Section(
                        f"{prefix}{n:02d}", name, reach.river, basin, city, "river", control, lat, lon, bad
                    )
                )
        for lake in (x for x in LAKES if x.basin == basin):
            n += 1
            out.append(
                Section(
                    f"{prefix}{n:02d}",
                    lake.name,
                    lake.name,
                    basin,
                    lake.city,
                    lake.kind,
                    lake.control,
                    lake.lat,
                    lake.lon,
                    0.0,
                    lake,
                )
            )
    return tuple(out)


def _year_index(year: int) -> int:
    return min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR


def class_scores(year: int) -> dict[str, float]:
    """The intended class score ``q`` of every section in ``year`` (before the yearly jitter).

    Class ``k`` is the band ``(k-1, k]``: 1.35-2.65 is class II-III, 3.3-4.7
    class IV-V, above 5 劣V.
    """
    yi = _year_index(year)
    out: dict[str, float] = {}
    secs = sections()
    for basin, (good, worst) in BASIN_YEARS.items():
        rivers = sorted((s for s in secs if s.basin == basin and s.lake is None), key=lambda s: s.badness)
        n, g, w = len(rivers), good[yi], worst[yi]
        mid = n - g - w
        for r, s in enumerate(rivers):
            if r < g:
                q = 1.35 + 1.3 * (r / (g - 1) if g > 1 else 0.5)
            elif r < g + mid:
                q = 3.3 + 1.4 * ((r - g) / (mid - 1) if mid > 1 else 0.5)
            else:
                q = 5.35 + 0.3 * ((r - g - mid) / (w - 1) if w > 1 else 0.0)
            out[s.code] = q
    for s in secs:
        if s.lake is not None:
            out[s.code] = s.lake.q[yi]
    return out


def _band(q: float) -> tuple[float, float]:
    """The score band that keeps the class of ``q`` with a margin."""
    k = max(1, math.ceil(q - 1e-9))
    return k - 0.85, k - 0.15


# -- items ---------------------------------------------------------------------------

# header of each item in the wide river files (Chinese, with the unit)
WIDE_HEADERS = {
    "water_temperature": "水温(℃)",
    "pH": "pH(无量纲)",
    "DO": "溶解氧(mg/L)",
    "CODMn": "高锰酸盐指数(mg/L)",
    "COD": "化学需氧量(mg/L)",
    "BOD5": "五日生化需氧量(mg/L)",
    "NH3-N": "氨氮(mg/L)",
    "TP": "总磷(mg/L)",
    "TN": "总氮(mg/L)",
    "Cu": "铜(mg/L)",
    "Zn": "锌(mg/L)",
    "fluoride": "氟化物(mg/L)",
    "Se": "硒(mg/L)",
    "As": "砷(mg/L)",
    "Hg": "汞(mg/L)",
    "Cd": "镉(mg/L)",
    "Cr6": "六价铬(mg/L)",
    "Pb": "铅(mg/L)",
    "cyanide": "氰化物(mg/L)",
    "volatile_phenol": "挥发酚(mg/L)",
    "petroleum": "石油类(mg/L)",
    "LAS": "阴离子表面活性剂(mg/L)",
    "sulfide": "硫化物(mg/L)",
    "fecal_coliform": "粪大肠菌群(个/L)",
}
# item name and unit in the long lake files
LONG_ITEMS = {
    "water_temperature": ("水温", "℃"),
    "pH": ("pH值", "无量纲"),
    "DO": ("溶解氧", "mg/L"),
    "CODMn": ("高锰酸盐指数", "mg/L"),
    "COD": ("化学需氧量", "mg/L"),
    "BOD5": ("五日生化需氧量", "mg/L"),
    "NH3-N": ("氨氮", "mg/L"),
    "TP": ("总磷", "mg/L"),
    "TN": ("总氮", "mg/L"),
    "Cu": ("铜", "mg/L"),
    "Zn": ("锌", "mg/L"),
    "fluoride": ("氟化物", "mg/L"),
    "Se": ("硒", "mg/L"),
    "As": ("砷", "mg/L"),
    "Hg": ("汞", "mg/L"),
    "Cd": ("镉", "mg/L"),
    "Cr6": ("六价铬", "mg/L"),
    "Pb": ("铅", "mg/L"),
    "cyanide": ("氰化物", "mg/L"),
    "volatile_phenol": ("挥发酚", "mg/L"),
    "petroleum": ("石油类", "mg/L"),
    "LAS": ("阴离子表面活性剂", "mg/L"),
    "sulfide": ("硫化物", "mg/L"),
    "fecal_coliform": ("粪大肠菌群", "个/L"),
    "chla": ("叶绿素a", "μg/L"),
    "SD": ("透明度", "cm"),
}
AUTO_HEADERS = {
    "water_temperature": "水温(℃)",
    "pH": "pH(无量纲)",
    "DO": "溶解氧(mg/L)",
    "conductivity": "电导率(μS/cm)",
    "turbidity": "浊度(NTU)",
    "CODMn": "高锰酸盐指数(mg/L)",
    "NH3-N": "氨氮(mg/L)",
    "TP": "总磷(mg/L)",
    "TN": "总氮(mg/L)",
}

# Items whose annual mean follows the section's class score:
# (detection limit, decimals, seasonal amplitude, month of the seasonal peak)
KEY_ITEMS = {
    "COD": (4.0, 1, 0.20, 4),
    "CODMn": (0.5, 1, 0.15, 7),
    "BOD5": (0.5, 1, 0.15, 3),
    "NH3-N": (0.025, 3, 0.35, 2),
    "TP": (0.01, 3, 0.25, 8),
    "fluoride": (0.006, 2, 0.10, 5),
}
# weights of the main pollutant (rivers, lakes); fluoride only where it is common
MAIN_WEIGHTS = {
    "river": {"COD": 0.30, "NH3-N": 0.22, "TP": 0.20, "BOD5": 0.12, "CODMn": 0.08, "fluoride": 0.08},
    "lake": {"TP": 0.45, "COD": 0.25, "CODMn": 0.15, "BOD5": 0.05, "fluoride": 0.10},
}
FLUORIDE_BASINS = ("桑干河", "滹沱河", "涑水河")
# Trace items: (typical mean [mg/L], detection limit, decimals); the mean rises with the class
TRACE_ITEMS = {
    "Cu": (0.003, 0.001, 4),
    "Zn": (0.015, 0.009, 3),
    "Se": (0.0003, 0.0004, 4),
    "As": (0.0012, 0.0003, 4),
    "Hg": (0.00002, 0.00004, 5),
    "Cd": (0.00006, 0.0001, 4),
    "Cr6": (0.002, 0.004, 3),
    "Pb": (0.0008, 0.001, 4),
    "cyanide": (0.001, 0.004, 3),
    "volatile_phenol": (0.0004, 0.0003, 4),
    "petroleum": (0.012, 0.01, 2),
    "LAS": (0.03, 0.05, 2),
    "sulfide": (0.004, 0.005, 3),
}
# Trace items never reach class IV: their mean is kept under this share of the class III limit
TRACE_CAP = 0.6
FECAL_BEYOND = ">240000"  # beyond the MPN method's range: rejected by the readers, by design


@cache
def _limits(item: str, body: str) -> tuple[float, ...]:
    lim = gb3838_items()[item].limits_for(body)
    assert lim is not None
    return lim


def concentration(item: str, q: np.ndarray | float, body: str = "river") -> np.ndarray:
    """Concentration [mg/L] of an upper-limit item at class score ``q`` (log-linear between limits).

    Score ``k - 1 < q <= k`` lies in class ``k``: between the class ``k-1`` and
    class ``k`` limits of GB 3838 Table 1 (for the water body). Below class I
    the scale runs down to 0.3 x the class I limit, beyond class V up to 1.8 x
    the class V limit.
    """
    lim = _limits(item, body)
    edges = np.log(np.array([lim[0] * 0.3, *lim, lim[-1] * 1.8]))
    q = np.clip(np.asarray(q, dtype=float), 0.0, 6.0)
    k = np.minimum(np.floor(q).astype(int), 5)
    f = q - k
    c = np.exp(edges[k] + f * (edges[k + 1] - edges[k]))
    # two classes with one limit (COD I/II, fluoride IV/V ...): keep clear of the shared limit
    return np.where(edges[k] == edges[k + 1], c * 0.96, c)


def _tli_inverse(item: str, tli: np.ndarray | float) -> np.ndarray:
    """The value of ``item`` whose TLI(item) is ``tli`` (TLI table file: 10 (a + b ln x))."""
    f = tli_table()["formulas"][item]
    return np.exp((np.asarray(tli, dtype=float) / 10 - float(f["a"])) / float(f["b"]))


def _classify(item: str, v: np.ndarray, body: str) -> np.ndarray:
    """GB 3838 class 1..6 of single values (for the published class of automatic readings)."""
    it = gb3838_items()[item]
    if it.direction == "range":
        lo, hi = it.range
        return np.where((v >= lo) & (v <= hi), 1, 6)
    lim = np.array(_limits(item, body))
    if it.direction == "lower":
        return 1 + (v[:, None] < lim[None, :]).sum(axis=1)
    return 1 + (v[:, None] > lim[None, :]).sum(axis=1)


# -- section parameters ------------------------------------------------------------------


@dataclass(frozen=True)
class _Params:
    offsets: dict[str, np.ndarray]  # key item -> score offset below the section's score
    temp_shift: np.ndarray  # water temperature shift [degC] (north colder)
    ph: np.ndarray
    conductivity: np.ndarray


@cache
def _params(seed: int) -> _Params:
    rng = np.random.default_rng((seed, TAG, 0))
    secs = sections()
    n = len(secs)
    offsets = {k: rng.uniform(0.35, 1.8, n) for k in KEY_ITEMS}
    offsets["fluoride"] = rng.uniform(1.2, 2.5, n)
    for i, s in enumerate(secs):
        weights = dict(MAIN_WEIGHTS[s.body])
        if s.basin not in FLUORIDE_BASINS:
            weights.pop("fluoride")
        names = list(weights)
        p = np.array([weights[k] for k in names])
        main, second = rng.choice(names, size=2, replace=False, p=p / p.sum())
        offsets[str(main)][i] = 0.0
        offsets[str(second)][i] = rng.uniform(0.12, 0.5)
    lat = np.array([s.lat for s in secs])
    return _Params(
        offsets=offsets,
        temp_shift=-(lat - 37.0) * 0.9 + rng.normal(0, 0.4, n),
        ph=rng.uniform(7.7, 8.4, n),
        conductivity=rng.uniform(500, 1400, n),
    )


def _water_temperature(doy: np.ndarray, shift: np.ndarray) -> np.ndarray:
    t = 12.5 - 11.5 * np.cos(2 * np.pi * (doy - 25) / 365.25) + shift
    return np.clip(t, 0.2, None)


# -- monthly samples ----------------------------------------------------------------------


@dataclass
class YearSamples:
    """One year of monthly samples: values as written (text) per section, month and item."""

    year: int
    times: list[list[dt.datetime | None]]  # [section][month]
    status: list[list[str | None]]  # 冰封 / 断流 for a sample without values
    cells: dict[str, list[list[str | None]]]  # item -> [section][month]


def _fmt(v: float, decimals: int) -> str:
    return f"{v:.{decimals}f}"


def _written(values: np.ndarray, dl: float, decimals: int) -> list[str]:
    """Values as a laboratory writes them: rounded, or the detection limit followed by L."""
    out = []
    for v in values:
        r = round(float(v), decimals)
        out.append(f"{dl:g}L" if r < dl else _fmt(r, decimals))
    return out


def year_samples(year: int, end: dt.date, *, seed: int, start: dt.date | None = None) -> YearSamples:
    """Monthly samples of every section in ``year`` from ``start`` to ``end`` (deterministic in ``seed``).

    Sample times do not depend on ``start`` and ``end``; values are scaled so
    that each item's mean over the samples taken (a whole year, or the part
    of it inside ``start..end``) is the section's intended mean: a year cut
    short is in its intended class too.
    """
    rng = np.random.default_rng((seed, TAG, year))
    secs = sections()
    n = len(secs)
    par = _params(seed)
    scores = class_scores(year)
    months = list(range(1, 13))
    nm = 12
    # every draw has the shape of a whole year, so a year cut short keeps the values it has
    days = rng.integers(5, 21, (n, nm))
    hours = rng.integers(9, 16, (n, nm))
    minutes = rng.choice([0, 15, 30, 45], (n, nm))
    u_missing = rng.random((n, nm))
    u_ice = rng.random((n, nm))
    u_dry = rng.random((n, nm))
    times: list[list[dt.datetime | None]] = []
    status: list[list[str | None]] = [[None] * nm for _ in range(n)]
    # sampled in the whole year, and (below) within start..end
    full = np.zeros((n, nm), dtype=bool)
    for i, s in enumerate(secs):
        row: list[dt.datetime | None] = []
        for j, m in enumerate(months):
            t: dt.datetime | None = dt.datetime(
                year, m, int(days[i, j]), int(hours[i, j]), int(minutes[i, j])
            )
            # gaps: a missing month now and then; ice on northern rivers; a dry channel
            st = None
            if s.kind == "river" and s.lat > 39.0 and m in (1, 2) and u_ice[i, j] < 0.45:
                st = "冰封"
            elif s.basin == "涑水河" and s.kind == "river" and m in (5, 6) and u_dry[i, j] < 0.08:
                st = "断流"
            elif u_missing[i, j] < 0.02:
                t = None
            full[i, j] = t is not None and st is None
            if t is not None and (t.date() > end or (start is not None and t.date() < start)):
                t, st = None, None
            status[i][j] = st
            row.append(t)
        times.append(row)
    sampled = np.array(
        [[times[i][j] is not None and status[i][j] is None for j in range(nm)] for i in range(n)], dtype=bool
    )
    month_arr = np.array(months, dtype=float)
    doy = np.array(
        [
            [(times[i][j] or dt.datetime(year, m, 15)).timetuple().tm_yday for j, m in enumerate(months)]
            for i in range(n)
        ],
        dtype=float,
    )

    def normalised(amp: float, peak: float, sigma: float) -> np.ndarray:
        f = (1 + amp * np.cos(2 * np.pi * (month_arr - peak) / 12))[None, :] * np.exp(
            rng.normal(0, sigma, (n, nm))
        )
        w = np.where(sampled, f, np.nan)
        mean = np.nanmean(np.where(sampled.any(axis=1, keepdims=True), w, f), axis=1, keepdims=True)
        return f / mean

    q = np.array([scores[s.code] for s in secs])
    lo_hi = np.array([_band(x) for x in q])
    q = np.clip(q + rng.uniform(-0.1, 0.1, n), lo_hi[:, 0], lo_hi[:, 1])
    body = np.array([s.body for s in secs])
    cells: dict[str, np.ndarray] = {}
    means: dict[str, np.ndarray] = {}
    for item, (dl, dec, amp, peak) in KEY_ITEMS.items():
        qi = np.maximum(q - par.offsets[item], 0.15)
        mean = np.where(body == "lake", concentration(item, qi, "lake"), concentration(item, qi, "river"))
        means[item] = mean
        vals = mean[:, None] * normalised(amp, peak, 0.25)
        cells[item] = np.array([_written(row, dl, dec) for row in vals], dtype=object)
    temp = _water_temperature(doy, par.temp_shift[:, None]) + rng.normal(0, 0.8, (n, nm))
    temp = np.clip(temp, 0.1, None)
    cells["water_temperature"] = np.array([[_fmt(v, 1) for v in row] for row in temp], dtype=object)
    ph = (
        par.ph[:, None]
        + 0.15 * np.sin(2 * np.pi * (month_arr - 4) / 12)[None, :]
        + rng.normal(0, 0.12, (n, nm))
    )
    cells["pH"] = np.array([[_fmt(v, 2) for v in row] for row in np.clip(ph, 6.6, 8.9)], dtype=object)
    # DO: saturation falls with temperature; polluted sections lose some
    sat = 14.6 - 0.39 * temp + 0.0075 * temp**2
    do = (
        sat
        * np.clip(0.95 - 0.05 * np.maximum(q - 3, 0), 0.62, 1.0)[:, None]
        * np.exp(rng.normal(0, 0.06, (n, nm)))
    )
    cells["DO"] = np.array([[_fmt(v, 1) for v in row] for row in np.maximum(do, 5.2)], dtype=object)
    # TN: reference item, mostly above 1 mg/L in these rivers
    tn_mean = np.where(body == "lake", 0.0, 1.2 + 2.2 * means["NH3-N"] + 0.4 * np.maximum(q - 2, 0))
    cells["TN"] = np.array(
        [_written(row, 0.05, 2) for row in tn_mean[:, None] * normalised(0.2, 3, 0.2)], dtype=object
    )
    for item, (m, dl, dec) in TRACE_ITEMS.items():
        cap = TRACE_CAP * _limits(item, "river")[2]
        mean = np.minimum(m * (1 + 0.6 * np.maximum(q - 3, 0)), cap)
        vals = np.minimum(mean[:, None] * np.exp(rng.normal(-0.1, 0.45, (n, nm))), cap * 1.5)
        cells[item] = np.array([_written(row, dl, dec) for row in vals], dtype=object)
    fc_mean = 10 ** (2.6 + 0.5 * q) * np.where(body == "lake", 0.3, 1.0)
    fc = fc_mean[:, None] * np.exp(rng.normal(0, 0.6, (n, nm)))
    cells["fecal_coliform"] = np.array(
        [[str(int(round(v, -1)) or 10) for v in row] for row in fc], dtype=object
    )
    # a few results beyond the method's range (rejected by design)
    bad = np.flatnonzero(q > 4.5)
    if len(bad):
        for _ in range(2):
            i = int(rng.choice(bad))
            js = np.flatnonzero(full[i])
            if len(js):
                cells["fecal_coliform"][i, int(rng.choice(js))] = FECAL_BEYOND
    # lakes: chl-a and Secchi depth from the year's target TLI
    yi = _year_index(year)
    tli = np.array([s.lake.tli[yi] if s.lake else 50.0 for s in secs], dtype=float)
    is_lake = body == "lake"
    chla = _tli_inverse("chla", tli)[:, None] * normalised(0.6, 8, 0.25)
    sd = _tli_inverse("SD", tli)[:, None] * normalised(-0.3, 8, 0.15)
    tn_lake = _tli_inverse("TN", tli)[:, None] * normalised(0.15, 3, 0.2)
    cells["chla"] = np.array([_written(row, 0.5, 1) for row in chla], dtype=object)
    cells["SD"] = np.array([[str(max(round(float(v) * 100), 5)) for v in row] for row in sd], dtype=object)
    cells["TN"] = np.where(
        is_lake[:, None], np.array([_written(row, 0.05, 2) for row in tn_lake], dtype=object), cells["TN"]
    )
    # blank cells where no sample was taken
    out: dict[str, list[list[str | None]]] = {}
    for item, arr in cells.items():
        out[item] = [[arr[i, j] if sampled[i, j] else None for j in range(nm)] for i in range(n)]
    return YearSamples(year, times, status, out)


def write_sections(path: Path) -> Path:
    """The section list: 断面编码, 断面名称, 河流, 流域, 城市, 省份, 水体类型, 控制级别, 纬度, 经度."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["断面编码", "断面名称", "河流", "流域", "城市", "省份", "水体类型", "控制级别", "纬度", "经度"]
        )
        for s in sections():
            w.writerow(
                [
                    s.code,
                    s.name,
                    s.river,
                    s.basin,
                    s.city,
                    PROVINCE,
                    KIND_ZH[s.kind],
                    CONTROL[s.control],
                    f"{s.lat:.4f}",
                    f"{s.lon:.4f}",
                ]
            )
    return path


def write_year(ys: YearSamples, directory: Path) -> list[Path]:
    """``water-YYYY.csv`` (river sections, wide) and ``lakes-YYYY.csv`` (lake points, long)."""
    secs = sections()
    river_path = directory / f"water-{ys.year}.csv"
    lake_path = directory / f"lakes-{ys.year}.csv"
    items = list(WIDE_HEADERS)
    with river_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["断面编码", "断面名称", "采样时间", "水质类别", *[WIDE_HEADERS[i] for i in items]])
        for i, s in enumerate(secs):
            if s.lake is not None:
                continue
            for j, t in enumerate(ys.times[i]):
                if t is None:
                    continue
                st = ys.status[i][j]
                vals = [ys.cells[it][i][j] for it in items]
                w.writerow(
                    [
                        s.code,
                        s.name,
                        t.strftime("%Y-%m-%d %H:%M"),
                        st or "",
                        *["" if v is None else v for v in vals],
                    ]
                )
    with lake_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["断面编码", "断面名称", "采样时间", "监测项目", "监测值", "单位"])
        for i, s in enumerate(secs):
            if s.lake is None:
                continue
            for j, t in enumerate(ys.times[i]):
                if t is None or ys.status[i][j] is not None:
                    continue
                stamp = t.strftime("%Y-%m-%d %H:%M")
                for item, (name, unit) in LONG_ITEMS.items():
                    v = ys.cells[item][i][j]
                    if v is not None:
                        w.writerow([s.code, s.name, stamp, name, v, unit])
    return [river_path, lake_path]


# -- automatic stations ------------------------------------------------------------------


def auto_period(end: dt.date) -> tuple[dt.date, dt.date]:
    """The last :data:`AUTO_DAYS` days up to ``end``, within ``end``'s year.

    Kept inside the last year so that the automatic readings never mix into
    the annual means of an earlier (complete) year.
    """
    return max(end - dt.timedelta(days=AUTO_DAYS - 1), dt.date(end.year, 1, 1)), end


def write_auto(directory: Path, end: dt.date, *, seed: int) -> Path:
    """Readings every four hours at the automatic stations: a wide table with 采样方式 自动 and 水质类别."""
    rng = np.random.default_rng((seed, TAG, 9999))
    start, end = auto_period(end)
    secs = [s for s in sections() if s.name in AUTO_STATIONS]
    index = {s.code: i for i, s in enumerate(sections())}
    par = _params(seed)
    scores = class_scores(end.year)
    # readings at 00:00, 04:00 ... 20:00 of every day
    times = np.arange(
        np.datetime64(start), np.datetime64(end + dt.timedelta(days=1)), np.timedelta64(4, "h")
    ).astype("datetime64[m]")
    nt = len(times)
    py_times = times.astype(dt.datetime)
    doy = np.array([t.timetuple().tm_yday for t in py_times], dtype=float)
    hour = np.array([t.hour for t in py_times], dtype=float)
    path = directory / f"water-auto-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    items = list(AUTO_HEADERS)
    names = class_names()
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["断面编码", "断面名称", "监测时间", "采样方式", "水质类别", *[AUTO_HEADERS[i] for i in items]]
        )
        for s in secs:
            i = index[s.code]
            q = scores[s.code]
            ar = np.zeros(nt)
            e = rng.normal(0, 0.08, nt)
            for k in range(1, nt):
                ar[k] = 0.85 * ar[k - 1] + e[k]
            day = np.cos(2 * np.pi * (hour - 15) / 24)
            temp = np.clip(_water_temperature(doy, par.temp_shift[i]) + 1.2 * day, 0.1, None)
            vals = {
                "water_temperature": temp,
                "pH": np.clip(par.ph[i] + 0.15 * day + ar * 0.5, 6.5, 9.0),
                "DO": (14.6 - 0.39 * temp + 0.0075 * temp**2)
                * np.clip(0.95 - 0.05 * max(q - 3, 0), 0.62, 1.0)
                * (1 + 0.08 * day)
                * np.exp(ar),
                "conductivity": par.conductivity[i] * np.exp(ar * 0.5),
                "turbidity": 12 * np.exp(rng.normal(0, 0.5, nt)),
            }
            for item in ("CODMn", "NH3-N", "TP"):
                qi = max(q - par.offsets[item][i], 0.15)
                vals[item] = float(concentration(item, qi, s.body)) * np.exp(ar * 1.5 - 0.02)
            vals["TN"] = (1.2 + 2.2 * vals["NH3-N"]) * np.exp(ar)
            decimals = {"water_temperature": 1, "pH": 2, "DO": 2, "conductivity": 0, "turbidity": 1}
            cls = np.maximum.reduce(
                [_classify(it, vals[it], s.body) for it in ("pH", "DO", "CODMn", "NH3-N", "TP")]
            )
            # maintenance: one or two runs of 2 to 6 readings without values
            down = np.zeros(nt, dtype=bool)
            for _ in range(int(rng.integers(1, 3))):
                a = int(rng.integers(0, nt))
                down[a : a + int(rng.integers(2, 7))] = True
            for k in range(nt):
                stamp = py_times[k].strftime("%Y-%m-%d %H:%M")
                if down[k]:
                    w.writerow([s.code, s.name, stamp, "自动", "维护", *[""] * len(items)])
                    continue
                row = [_fmt(vals[it][k], decimals.get(it, 3)) for it in items]
                w.writerow([s.code, s.name, stamp, "自动", names[int(cls[k])], *row])
    return path


def write_all(
    directory: Path, start: dt.date, end: dt.date, *, seed: int, progress: Callable[[int], None] | None = None
) -> dict[str, list[Path]]:
    """Write the section list, every year's samples and the automatic readings under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    secs = write_sections(directory / "water-sections.csv")
    files: list[Path] = []
    for year in range(start.year, end.year + 1):
        files += write_year(year_samples(year, end, seed=seed, start=start), directory)
        if progress is not None:
            progress(year)
    auto = [write_auto(directory, end, seed=seed)] if end >= start else []
    return {"water-sections": [secs], "water": files, "water-auto": auto}
