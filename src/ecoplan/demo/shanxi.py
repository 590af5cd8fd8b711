"""Facts about Shanxi used by the demo generator.

The station codes, their cities, names and background (对照点) flags are the
national air-monitoring network's own, as published with the platform data;
the coordinates are approximate city centres. Everything else the demo writes
(the monitoring values) is generated.
"""

from __future__ import annotations

PROVINCE = "山西省"

# city -> (English name, approximate centre latitude, longitude)
CITIES: dict[str, tuple[str, float, float]] = {
    "太原市": ("Taiyuan", 37.87, 112.55),
    "大同市": ("Datong", 40.08, 113.30),
    "朔州市": ("Shuozhou", 39.33, 112.43),
    "忻州市": ("Xinzhou", 38.42, 112.73),
    "阳泉市": ("Yangquan", 37.86, 113.58),
    "晋中市": ("Jinzhong", 37.69, 112.75),
    "吕梁市": ("Lüliang", 37.52, 111.14),
    "长治市": ("Changzhi", 36.20, 113.12),
    "晋城市": ("Jincheng", 35.49, 112.85),
    "临汾市": ("Linfen", 36.09, 111.52),
    "运城市": ("Yuncheng", 35.03, 111.00),
}

# code -> (city, station name or "", background flag or None when unknown)
STATIONS: dict[str, tuple[str, str, bool | None]] = {
    "1081A": ("太原市", "尖草坪", False),
    "1082A": ("太原市", "", None),
    "1083A": ("太原市", "上兰", True),
    "1084A": ("太原市", "晋源", False),
    "1085A": ("太原市", "小店", False),
    "1086A": ("太原市", "桃园", False),
    "1087A": ("太原市", "坞城", False),
    "1088A": ("太原市", "南寨", False),
    "1089A": ("太原市", "", None),
    "1720A": ("大同市", "", None),
    "1721A": ("大同市", "果树场", True),
    "1722A": ("大同市", "", None),
    "1723A": ("大同市", "云冈宾馆", False),
    "1724A": ("大同市", "大同大学", False),
    "1725A": ("大同市", "安家小村", False),
    "1726A": ("大同市", "教育学院", False),
    "1727A": ("长治市", "清华站", False),
    "1728A": ("长治市", "监测站", False),
    "1729A": ("长治市", "", None),
    "1730A": ("长治市", "审计局", False),
    "1731A": ("长治市", "长治八中", False),
    "1732A": ("临汾市", "", None),
    "1733A": ("临汾市", "临钢医院", False),
    "1734A": ("临汾市", "技工学校", False),
    "1735A": ("临汾市", "", None),
    "1736A": ("临汾市", "市委", False),
    "1737A": ("临汾市", "", None),
    "1738A": ("阳泉市", "市中心", False),
    "1739A": ("阳泉市", "赛鱼", False),
    "1740A": ("阳泉市", "南庄", False),
    "1741A": ("阳泉市", "", None),
    "1742A": ("阳泉市", "平坦", False),
    "1743A": ("阳泉市", "大阳泉", False),
    "2160A": ("晋城市", "自来水公司", False),
    "2161A": ("晋城市", "白云商贸", False),
    "2162A": ("晋城市", "市环保局", False),
    "2163A": ("晋城市", "技术学院", False),
    "2164A": ("晋城市", "", None),
    "2165A": ("晋城市", "白马寺", True),
    "2166A": ("朔州市", "平朔", False),
    "2167A": ("朔州市", "朔唯", False),
    "2168A": ("朔州市", "区政府", False),
    "2169A": ("朔州市", "市环保局", False),
    "2170A": ("朔州市", "市二中", False),
    "2171A": ("晋中市", "锦纶小区", False),
    "2172A": ("晋中市", "", None),
    "2173A": ("晋中市", "南都小区", False),
    "2174A": ("晋中市", "榆次区政府", False),
    "2175A": ("运城市", "运城中学", False),
    "2176A": ("运城市", "", None),
    "2177A": ("运城市", "", None),
    "2178A": ("运城市", "地区技校", False),
    "2179A": ("运城市", "空港新区", False),
    "2180A": ("忻州市", "", None),
    "2181A": ("忻州市", "开发区", False),
    "2182A": ("忻州市", "会展中心", False),
    "2183A": ("吕梁市", "环保局", False),
    "2184A": ("吕梁市", "", None),
    "2185A": ("吕梁市", "自来水公司", False),
    "2186A": ("吕梁市", "", None),
}
