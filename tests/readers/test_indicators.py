"""Reported indicator files: Chinese and English headers, bad input rejected cell by cell, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoplan.ingest import ingest_files
from ecoplan.plan import load_plan
from ecoplan.readers import indicators as reader
from ecoplan.readers.base import ReadError
from ecoplan.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "indicators"


@pytest.fixture(scope="module")
def plan():
    return load_plan("shanxi-2021-2025")


def ingest(store: Store, plan, *paths: Path):
    return ingest_files(store, [str(p) for p in paths], reader.reader_for(plan), domain="plan")


def stored(store: Store) -> dict[tuple, tuple]:
    rows = store.con.execute(
        "SELECT indicator, scope, year, origin, value, unit, method, note FROM indicator_values"
    ).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}


def rejects(store: Store) -> list[tuple]:
    return store.con.execute('SELECT line, "column", value, reason FROM rejects ORDER BY line').fetchall()


def test_chinese_headers_good_and_bad_lines(store: Store, plan) -> None:
    summary = ingest(store, plan, DATA / "reported-zh.csv")
    o = summary.outcomes[0]
    assert o.status == "partial"
    got = stored(store)
    # names and plain scopes are resolved to ids and canonical scopes
    assert got[("eco.forest_cover", "province", 2022, "reported")][:2] == (24.1, "%")  # "24.1%"
    assert got[("energy.coal_consumption", "group:jjj-4", 2020, "reported")][0] == 12000
    assert (
        got[("agri.straw_utilisation_rate", "province", 2021, "reported")][0] == 88.5
    )  # 秸秆综合利用率, 山西省
    gw = got[("waterres.groundwater_balance", "province", 2023, "reported")]
    assert gw[0] == 0.0 and gw[2] == "reported: 水利厅" and gw[3] == "采补尚未平衡"  # 否 -> 0
    # the later line for forest cover 2021 wins; the earlier one is rejected
    assert got[("eco.forest_cover", "province", 2021, "reported")][0] == 23.9
    assert len(got) == 5
    rej = rejects(store)
    reasons = {line: (col, reason) for line, col, _v, reason in rej}
    assert reasons[2][1].startswith("second value for eco.forest_cover province 2021: line 14 kept")
    assert reasons[7] == ("指标", "unknown indicator (not in the plan's vocabulary)")
    assert reasons[8][0] == "年份" and "not a year" in reasons[8][1]
    assert reasons[9][0] == "年份" and "year out of range" in reasons[9][1]
    assert reasons[10][0] == "数值" and "not a number" in reasons[10][1]
    assert reasons[11][0] == "范围" and "unknown scope" in reasons[11][1]
    assert reasons[12][0] == "范围" and "both a river and a basin" in reasons[12][1]
    assert reasons[13] == ("数值", "no value")
    # nothing lost: every data line is stored or rejected
    assert len(got) + len(rej) == 13
    assert o.rejected == len(rej) and o.stored == 5


def test_reingest_stores_nothing_twice(store: Store, plan) -> None:
    ingest(store, plan, DATA / "reported-zh.csv")
    again = ingest(store, plan, DATA / "reported-zh.csv").outcomes[0]
    assert (again.stored, again.unchanged) == (0, 5)
    assert store.count("indicator_values") == 5
    assert store.con.execute("SELECT count(*) FROM indicator_values_history").fetchone()[0] == 0


def test_units_checked_and_alias_scopes_stored_canonically(store: Store, plan) -> None:
    ingest(store, plan, DATA / "reported-units.csv")
    got = stored(store)
    assert got[("eco.erosion_controlled_area", "province", 2022, "reported")][0] == 80100  # km² = km2
    assert ("eco.forest_cover", "group:seven-rivers", 2022, "reported") in got  # rivers:seven
    rej = rejects(store)
    assert rej == [(5, "unit", "km2", "unit differs from the indicator's unit '%'")]


def test_missing_column_fails_cleanly(store: Store, plan) -> None:
    summary = ingest(store, plan, DATA / "reported-no-value-column.csv")
    o = summary.outcomes[0]
    assert o.status == "failed"
    assert "missing value" in o.message and "reported-no-value-column.csv" in o.message
    assert store.count("indicator_values") == 0
    with pytest.raises(ReadError, match="line 1"):
        reader.read(
            DATA / "reported-no-value-column.csv",
            (DATA / "reported-no-value-column.csv").read_bytes(),
            plan=plan,
        )


def test_excel_file(store: Store, plan, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["指标", "范围", "年份", "数值", "来源", "备注"])
    ws.append(["eco.forest_cover", "province", 2021, 23.8, "统计年鉴", None])
    ws.append(["新能源装机占比", "全省", 2022.0, 35.2, "能源局", "初步数据"])
    ws.append(["eco.forest_cover", "太原", 2022, "abc", None, None])
    path = tmp_path / "reported.xlsx"
    book.save(path)
    ingest(store, plan, path)
    got = stored(store)
    assert got[("energy.new_energy_capacity_share", "province", 2022, "reported")][0] == 35.2
    assert got[("eco.forest_cover", "province", 2021, "reported")][0] == 23.8
    assert rejects(store) == [(4, "数值", "abc", "not a number (expected a number)")]


def test_reported_and_computed_values_coexist(store: Store, plan) -> None:
    # an official figure of a computed indicator is stored beside the computed one (origin is part of the key)
    import pyarrow as pa

    computed = pa.table(
        {"indicator": ["air.pm25_mean"], "scope": ["province"], "year": pa.array([2021], pa.int32()),
         "origin": ["computed"], "value": [45.0], "unit": ["ug/m3"], "method": ["test"], "note": [None]}
    )  # fmt: skip
    with store.transaction():
        store.upsert("indicator_values", computed, ingest_id=0, source="test")
    path = DATA / "reported-zh.csv"
    ingest(store, plan, path)
    got = stored(store)
    assert ("air.pm25_mean", "province", 2021, "computed") in got
    assert len(got) == 6
