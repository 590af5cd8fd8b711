"""Water readers and the ingest guarantees: nothing lost, nothing twice, every reject named."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from ecoplan.ingest import ingest_files
from ecoplan.readers.base import ReadError
from ecoplan.readers.water import section_reader, water_reader_for
from ecoplan.readers.water_items import parse_class, parse_header, parse_values

from .util import DATA


def ingest(store, files, **kw):
    return ingest_files(
        store, [str(f) for f in files], lambda f, h: water_reader_for(f, h, **kw), domain="water"
    )


def load_sections(store):
    return ingest_files(store, [str(DATA / "sections.csv")], section_reader, domain="water")


def rejects(store) -> list[tuple]:
    return store.con.execute(
        'SELECT line, "column", value, reason FROM rejects ORDER BY line, "column"'
    ).fetchall()


# -- sections ------------------------------------------------------------------------


def test_section_list_chinese_headers(store):
    s = load_sections(store)
    assert s.outcomes[0].status == "ok"
    rows = store.query("SELECT * FROM sections ORDER BY code").to_pylist()
    assert [r["code"] for r in rows] == ["SX01", "SX02", "SX03", "SX04", "SX05"]
    sx03 = rows[2]
    assert (sx03["name"], sx03["river"], sx03["basin"], sx03["city"], sx03["province"]) == (
        "汾河水库",
        "汾河水库",
        "黄河流域",
        "太原市",
        "山西省",
    )
    assert (sx03["kind"], sx03["control_level"]) == ("reservoir", "provincial")
    assert rows[0]["kind"] == "river" and rows[0]["control_level"] == "national"
    assert rows[0]["lon"] == pytest.approx(110.60) and rows[0]["lat"] == pytest.approx(35.60)


def test_section_list_english_headers_and_bad_cells(store, tmp_path):
    p = tmp_path / "sections.csv"
    p.write_text(
        "code,name,river,basin,kind,control_level,lat,lon\n"
        "A1,Upper,Fen,Yellow,river,national,36.1,111.5\n"
        "A2,Dam,Fen,Yellow,pond,provincial,north,111.6\n",
        encoding="utf-8",
    )
    ingest_files(store, [str(p)], section_reader, domain="water")
    rows = store.query("SELECT code, kind, lat FROM sections ORDER BY code").to_pylist()
    assert rows == [{"code": "A1", "kind": "river", "lat": 36.1}, {"code": "A2", "kind": None, "lat": None}]
    got = rejects(store)
    assert got[0][:3] == (3, "kind", "pond")
    assert got[1][:3] == (3, "lat", "north")


# -- long tables -----------------------------------------------------------------------


def test_long_table_values_units_and_rejects(store):
    load_sections(store)
    known = {r[0] for r in store.con.execute("SELECT code FROM sections").fetchall()}
    s = ingest(store, [DATA / "samples_long.csv"], sections=known)
    o = s.outcomes[0]
    assert o.status == "partial"
    v = {(r["section"], r["item"]): r for r in store.query("SELECT * FROM water_samples").to_pylist()}
    # ug/L converted to mg/L
    assert v[("SX01", "TP")]["value"] == pytest.approx(0.18)
    assert v[("SX01", "TP")]["unit"] == "mg/L"
    # below detection: 0.01L ug/L -> limit 1e-5 mg/L, value NULL
    hg = v[("SX01", "Hg")]
    assert (hg["value"], hg["below_dl"]) == (None, True)
    assert hg["detection_limit"] == pytest.approx(1e-5)
    # ND with the limit in the detection-limit column
    cr = v[("SX01", "Cr6")]
    assert (cr["below_dl"], cr["detection_limit"]) == (True, 0.004)
    # <0.01
    assert v[("SX03", "petroleum")]["detection_limit"] == 0.01
    # chl-a ug/L -> mg/m3 (1:1), SD cm -> m
    assert v[("SX03", "chla")]["value"] == 10 and v[("SX03", "chla")]["unit"] == "mg/m3"
    assert v[("SX03", "SD")]["value"] == pytest.approx(1.2)
    assert v[("SX01", "fecal_coliform")]["unit"] == "count/L"
    assert v[("SX01", "water_temperature")]["unit"] == "degC"
    assert v[("SX01", "DO")]["sample_kind"] == "manual"
    got = rejects(store)
    reasons = {(line, col): (val, why) for line, col, val, why in got}
    # a text in a number column
    assert reasons[(20, "监测值")][0] == "十五" and reasons[(20, "监测值")][1] == "not a number"
    # a unit the item does not take (the reject keeps the value)
    assert reasons[(21, "单位")][0] == "3.1"
    assert "'℃'" in reasons[(21, "单位")][1]
    assert "does not fit" in reasons[(21, "单位")][1] and "BOD5" in reasons[(21, "单位")][1]
    # an unknown section (a section list was given)
    assert reasons[(22, "断面编码")] == ("SX99", "unknown section (not in the section list)")
    # ND without a limit
    assert "below detection without a known limit" in reasons[(23, "监测值")][1]
    # nothing lost: every non-blank value is stored or rejected (the blank 硫化物 is missing data)
    n_values = 22
    assert store.count("water_samples") + len(got) == n_values
    assert o.rejected == 4 and o.stored == 18


def test_unknown_section_without_a_list_is_registered(store):
    ingest(store, [DATA / "samples_long.csv"])
    codes = {r[0] for r in store.con.execute("SELECT code FROM sections").fetchall()}
    assert codes == {"SX01", "SX03", "SX99"}


def test_reingest_is_idempotent_and_a_change_is_kept_in_history(store, tmp_path):
    load_sections(store)
    first = ingest(store, [DATA / "samples_wide.csv"])
    n = store.count("water_samples")
    again = ingest(store, [DATA / "samples_wide.csv"])
    assert again.outcomes[0].stored == 0
    # every row the first ingest stored or found unchanged (sections, samples, classes) is unchanged now
    assert again.outcomes[0].unchanged == first.outcomes[0].stored + first.outcomes[0].unchanged
    assert store.count("water_samples") == n
    assert store.count("water_published") == 5
    changed = tmp_path / "samples_wide.csv"
    text = (DATA / "samples_wide.csv").read_text(encoding="utf-8").replace(",0.42,", ",0.47,")
    changed.write_text(text, encoding="utf-8")
    third = ingest(store, [changed])
    assert third.outcomes[0].replaced == 1
    assert store.count("water_samples") == n
    old = store.con.execute("SELECT value FROM water_samples_history WHERE item = 'NH3-N'").fetchall()
    assert old == [(0.42,)]
    now = store.con.execute(
        "SELECT value FROM water_samples WHERE item = 'NH3-N' AND section = 'SX02' ORDER BY time"
    ).fetchall()
    assert now[0] == (0.47,)


def test_wide_table_english_headers_units_and_published_class(store):
    load_sections(store)
    ingest(store, [DATA / "samples_wide.csv"])
    tp = store.con.execute("SELECT time, value FROM water_samples WHERE item = 'TP' ORDER BY time").fetchall()
    assert tp[0][1] == pytest.approx(0.06)  # 60 ug/L
    assert str(tp[0][0]) == "2021-02-03 10:00:00"  # date + time columns joined
    pub = store.con.execute("SELECT section, class FROM water_published ORDER BY time").fetchall()
    assert pub == [("SX02", "II"), ("SX04", "IV"), ("SX05", "III"), ("SX02", "III"), ("SX04", "劣V")]
    assert rejects(store) == []


def test_wide_excel_with_units_in_a_second_header_row(store, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["断面编码", "采样时间", "溶解氧", "氨氮", "总磷", "汞"])
    ws.append([None, None, "mg/L", "mg/L", "μg/L", "μg/L"])
    ws.append(["SX01", "2021-04-01 09:00", 6.5, "0.3", 150, "0.04L"])
    ws.append(["SX01", "2021-05-01 09:00", 7.7, "abc", 90, 0.02])
    p = tmp_path / "wide.xlsx"
    wb.save(p)
    ingest(store, [p])
    rows = store.con.execute(
        "SELECT item, value, below_dl, detection_limit FROM water_samples ORDER BY time, item"
    ).fetchall()
    assert len(rows) == 7
    hg = [r for r in rows if r[0] == "Hg"]
    assert hg[0][2] is True and hg[0][3] == pytest.approx(4e-5)
    assert hg[1][1] == pytest.approx(2e-5)
    assert [r[1] for r in rows if r[0] == "TP"] == [pytest.approx(0.15), pytest.approx(0.09)]
    got = rejects(store)
    assert got == [(4, "氨氮(mg/L)", "abc", "not a number")]  # units joined to the header


def test_wide_unit_the_item_does_not_take(store, tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("section,time,NH3-N(℃),TP(mg/L)\nA,2021-01-01 10:00,0.3,0.1\n", encoding="utf-8")
    ingest(store, [p])
    got = rejects(store)
    assert len(got) == 1
    line, col, val, why = got[0]
    assert (line, col, val) == (2, "NH3-N(℃)", "0.3")
    assert why.startswith("unit '°c' does not fit the item: NH3-N takes mg/L, ug/L")
    assert store.count("water_samples") == 1


def test_not_a_water_file(store, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    s = ingest(store, [p])
    assert s.outcomes[0].status == "failed"
    assert "not a known water format" in s.outcomes[0].message


# -- automatic-station exports ----------------------------------------------------------------


def snapshot_csv(tmp_path: Path, name: str, body: str) -> Path:
    header = "省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L)\n"
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


def test_snapshot_without_year_needs_one(store, tmp_path):
    p = snapshot_csv(
        tmp_path,
        "export.csv",
        "山西省,黄河流域,韩武村,02-04 11:00,Ⅲ,5.9,7.71,12.41,1.00,0.552,0.057,7.52,--,--\n",
    )
    s = ingest(store, [p])
    assert s.outcomes[0].status == "failed"
    assert "has no year" in s.outcomes[0].message and "--year" in s.outcomes[0].message
    assert store.count("water_samples") == 0
    s = ingest(store, [p], year=2021)
    assert s.outcomes[0].status == "ok"
    assert store.count("water_samples") == 7  # chl-a and algae density are "--"
    named = shutil.copy(p, tmp_path / "export-2020.csv")
    ingest(store, [named])
    years = store.con.execute("SELECT DISTINCT year(time) FROM water_samples ORDER BY 1").fetchall()
    assert years == [(2020,), (2021,)]


def test_snapshot_sections_kinds_and_published(store, tmp_path):
    body = (
        "江苏省,太湖流域,兰山嘴,2021-02-04 11:00,Ⅳ,7.1,8.03,12.17,3.57,0.110,0.055,2.87,0.002,6751806\n"
        "山西省,海河流域,册田水库出口,2021-02-04 11:00,Ⅳ,4.9,8.30,12.54,4.16,1.367,0.040,4.88,--,--\n"
        "江苏省,太湖流域,五里湖心,2021-02-04 11:00,Ⅱ,8.0,8.03,12.54,2.25,0.022,0.024,0.61,0.003,1271654\n"
        "山西省,海河流域,刘家庄,2021-02-04 10:00,--,--,--,--,--,--,--,--,--,--\n"
        "山西省,海河流域,关河水库,2021-02-04 11:00,维护,--,--,--,--,--,--,--,--,--\n"
    )
    ingest(store, [snapshot_csv(tmp_path, "s.csv", body)])
    secs = {r["code"]: r for r in store.query("SELECT * FROM sections").to_pylist()}
    assert secs["江苏省-兰山嘴"]["kind"] == "lake"  # reports chl-a and algae density
    assert secs["山西省-册田水库出口"]["kind"] == "river"  # an outlet station
    assert secs["江苏省-五里湖心"]["kind"] == "lake"
    assert secs["山西省-关河水库"]["kind"] == "reservoir"
    assert secs["山西省-刘家庄"]["kind"] == "river"
    assert secs["江苏省-兰山嘴"]["basin"] == "太湖流域" and secs["江苏省-兰山嘴"]["province"] == "江苏省"
    pub = dict(store.con.execute("SELECT section, coalesce(class, status) FROM water_published").fetchall())
    assert pub == {
        "江苏省-兰山嘴": "IV",
        "山西省-册田水库出口": "IV",
        "江苏省-五里湖心": "II",
        "山西省-关河水库": "维护",
    }
    chla = store.con.execute(
        "SELECT value, unit FROM water_samples WHERE item = 'chla' AND section = '江苏省-兰山嘴'"
    ).fetchone()
    assert chla[0] == pytest.approx(2.0) and chla[1] == "mg/m3"  # 0.002 mg/L
    kinds = {r[0] for r in store.con.execute("SELECT DISTINCT sample_kind FROM water_samples").fetchall()}
    assert kinds == {"auto"}


# -- cells ---------------------------------------------------------------------------


def test_value_cells():
    p = parse_values(["0.05L", "<0.01", "＜0.5", "ND(0.02)", "未检出", "1.5", "abc", ">2400", None, "--", 3])
    assert p.below_dl.tolist() == [True, True, True, True, True, False, False, False, False, False, False]
    assert p.detection_limit[:4].tolist() == [0.05, 0.01, 0.5, 0.02]
    assert p.bad.tolist() == [False] * 6 + [True, True] + [False] * 3
    assert p.above.tolist()[7] is True
    assert p.blank.tolist()[8:10] == [True, True]
    assert p.value[10] == 3.0


def test_headers_and_classes():
    assert parse_header("氟化物(以F-计)").item == "fluoride"
    assert parse_header("铬(六价)(μg/L)").item == "Cr6" and parse_header("铬(六价)(μg/L)").unit == "ug/L"
    assert parse_header("叶绿素α(mg/L)").item == "chla"
    assert parse_header("氨氮(ppm)").unknown_unit == "ppm"
    assert [parse_class(x) for x in ["Ⅰ", "Ⅲ类", "劣Ⅴ", "劣V类", "三类", 4, "维护", None]] == [
        1,
        3,
        6,
        6,
        3,
        4,
        None,
        None,
    ]


def test_reader_errors_name_the_file():
    with pytest.raises(ReadError, match="unknown water format"):
        water_reader_for("x.csv", b"a,b\n", fmt="nope")
