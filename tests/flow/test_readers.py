"""Flow readers and the ingest guarantees: units, gauges, rejects by file/line/column, idempotence.

Fixtures in ``tests/data/flow`` are invented (gauge codes FH001... are not
real stations); each line's fate is written next to the test that checks it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ecoplan.cli import app
from ecoplan.ingest import ingest_files
from ecoplan.readers.base import ReadError
from ecoplan.readers.flow import (
    CFS_TO_M3S,
    flow_reader_for,
    flow_unit,
    gauge_from_file_name,
    gauge_reader,
    split_flow_header,
)
from ecoplan.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "flow"
GAUGES = DATA / "gauges.csv"
DAILY_ZH = DATA / "daily-zh.csv"
UNIT_COLUMN = DATA / "daily-unit-column.csv"


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "flow.duckdb")
    yield s
    s.close()


def ingest(store: Store, paths, **kw):
    gauges = kw.pop("gauges", None)
    return ingest_files(
        store, [str(p) for p in paths], lambda f, h: flow_reader_for(f, h, gauges, **kw), domain="flow"
    )


def rejects(store: Store) -> pd.DataFrame:
    return store.query('SELECT file, line, "column", value, reason FROM rejects ORDER BY line').to_pandas()


def flows(store: Store) -> dict[tuple[str, str], float]:
    rows = store.query("SELECT gauge, CAST(date AS VARCHAR) AS d, discharge FROM flows").to_pylist()
    return {(r["gauge"], r["d"]): r["discharge"] for r in rows}


def test_cfs_factor_is_the_exact_definition() -> None:
    # 1 ft = 0.3048 m exactly, so 1 ft3 = 0.3048**3 m3 = 0.028316846592 m3, no rounding
    assert CFS_TO_M3S == 0.028316846592
    assert abs(CFS_TO_M3S - 0.3048**3) < 1e-17
    assert flow_unit("ft³/s") == flow_unit("CFS") == "cfs"
    assert flow_unit("m³/s") == flow_unit("立方米每秒") == "m3/s"
    assert flow_unit("furlongs") is None
    assert split_flow_header("流量(m³/s)") == ("流量", "m3/s")
    assert split_flow_header("Discharge (cfs)") == ("discharge", "cfs")
    assert split_flow_header("discharge_cfs") == ("discharge", "cfs")
    assert split_flow_header("流量") == ("流量", None)


def test_gauge_list_with_chinese_headers(store) -> None:
    s = ingest_files(store, [str(GAUGES)], gauge_reader, domain="flow")
    assert s.outcomes[0].status == "partial"
    g = store.query("SELECT * FROM gauges ORDER BY code").to_pandas().set_index("code")
    assert list(g.index) == ["FH001", "FH002", "QH001"]
    assert g.loc["FH001", "lat"] == 38.01  # the later line 5 kept
    assert (g.loc["FH002", "name"], g.loc["FH002", "river"]) == ("乙站", "汾河")
    assert (g.loc["FH002", "section"], g.loc["FH002", "basin"]) == ("FH-S09", "汾河流域")
    assert pd.isna(g.loc["QH001", "lat"]) and g.loc["QH001", "lon"] == 112.5
    r = rejects(store)
    assert r[["line", "column"]].values.tolist() == [[2, "站码"], [4, "纬度"]]
    assert "listed again later" in r.reason[0] and "lat must be a number" in r.reason[1]


def test_daily_file_rejects_name_line_column_and_reason(store) -> None:
    ingest_files(store, [str(GAUGES)], gauge_reader, domain="flow")
    known = dict(store.con.execute("SELECT code, name FROM gauges").fetchall())
    s = ingest(store, [DAILY_ZH], gauges=known)
    o = s.outcomes[0]
    assert o.status == "partial"
    assert o.rows_read == 11
    assert flows(store) == {
        ("FH001", "2020-01-01"): 12.5,
        ("FH001", "2020-01-02"): 0.0,  # zero is a valid discharge
        ("FH002", "2020-01-01"): 7.3,  # line 12 replaces line 9 of the same day
        ("FH002", "2020-01-02"): 7.5,  # compact date 20200102
    }
    r = rejects(store)
    r = r[r.file == str(DAILY_ZH)]
    got = {(row.line, row.column): row.reason for row in r.itertuples()}
    assert got == {
        (5, "流量(m3/s)"): "discharge is not a number",
        (6, "流量(m3/s)"): "negative discharge",
        (7, "日期"): "not a valid date",
        (8, "站码"): "unknown gauge (not in the gauge list)",
        (9, "流量(m3/s)"): "second value for gauge FH002 on 2020-01-01: line 12 kept",
        (11, "站码"): "missing gauge code",
    }
    # line 4 (blank discharge) is a missing day: neither stored nor rejected
    assert o.stored == 4 and o.rejected == 6


def test_without_a_gauge_list_new_gauges_are_recorded(store) -> None:
    ingest(store, [DAILY_ZH])
    assert ("ZZ999", "2020-01-06") in flows(store)
    codes = {r[0] for r in store.con.execute("SELECT code FROM gauges").fetchall()}
    assert codes == {"FH001", "FH002", "ZZ999"}


def test_gauges_written_by_name_are_stored_by_code(store, tmp_path) -> None:
    p = tmp_path / "by-name.csv"
    p.write_text("测站,日期,流量\n乙站,2020-02-01,3\n", encoding="utf-8")
    ingest(store, [p], gauges={"FH001": "甲站", "FH002": "乙站"})
    assert flows(store) == {("FH002", "2020-02-01"): 3.0}


def test_unit_column_converts_each_line(store) -> None:
    s = ingest(store, [UNIT_COLUMN])
    got = flows(store)
    assert got[("FH001", "2021-01-01")] == pytest.approx(100 * 0.028316846592, rel=1e-15)
    assert got[("FH001", "2021-01-02")] == 2.5
    assert got[("FH001", "2021-01-03")] == pytest.approx(2.5)
    assert len(got) == 3
    r = rejects(store)
    assert r[["line", "column"]].values.tolist() == [[5, "unit"], [6, "unit"]]
    assert "unknown discharge unit" in r.reason[0] and "no unit" in r.reason[1]
    assert s.outcomes[0].status == "partial"


def test_date_discharge_file_takes_gauge_and_unit(store, tmp_path) -> None:
    p = tmp_path / "station-12345678-daily.csv"
    p.write_text("date,discharge\n2020-01-01,100\n2020-01-02,0\n", encoding="utf-8")
    s = ingest(store, [p], unit="cfs")
    assert flows(store) == {
        ("12345678", "2020-01-01"): pytest.approx(2.8316846592, rel=1e-15),
        ("12345678", "2020-01-02"): 0.0,
    }
    assert "gauge 12345678 taken from the file name" in s.outcomes[0].message

    other = tmp_path / "readings.csv"
    other.write_text("date,discharge\n2020-01-01,3\n", encoding="utf-8")
    s = ingest(store, [other], gauge="FH009")
    assert flows(store)[("FH009", "2020-01-01")] == 3.0
    assert "no unit given: discharge taken as m3/s" in s.outcomes[0].message


def test_file_name_gauge_rules() -> None:
    assert gauge_from_file_name("usgs-04135700-daily-discharge-cfs.csv") == "04135700"
    assert gauge_from_file_name("汾河水库.xlsx") == "汾河水库"
    assert gauge_from_file_name("flow-FH001-2020.csv", known={"FH001"}) == "FH001"
    assert gauge_from_file_name("daily-flow-export.csv") is None


def test_unreadable_files_fail_with_a_reason(store, tmp_path) -> None:
    no_gauge = tmp_path / "daily-flow-export.csv"
    no_gauge.write_text("date,discharge\n2020-01-01,3\n", encoding="utf-8")
    conflict = tmp_path / "q.csv"
    conflict.write_text("gauge,date,discharge (cfs)\nA,2020-01-01,3\n", encoding="utf-8")
    not_flow = tmp_path / "other.csv"
    not_flow.write_text("x,y\n1,2\n", encoding="utf-8")
    s = ingest(store, [no_gauge, conflict, not_flow], unit="m3/s")
    assert [o.status for o in s.outcomes] == ["failed", "failed", "failed"]
    r = rejects(store)
    assert "no gauge column" in r.reason[0]
    assert "says cfs but the unit given is m3/s" in r.reason[1]
    assert "not a flow file" in r.reason[2]
    assert store.count("flows") == 0
    with pytest.raises(ReadError, match="unknown discharge unit"):
        flow_reader_for(str(conflict), conflict.read_bytes(), unit="gallons")(
            str(conflict), conflict.read_bytes()
        )


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_read_like_csv(store, tmp_path, suffix) -> None:
    frame = pd.read_csv(DAILY_ZH, dtype=str, keep_default_na=False)
    frame = frame.replace("", None)
    path = tmp_path / f"daily{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    ingest(store, [path], gauges={"FH001", "FH002", "QH001"})
    assert flows(store) == {
        ("FH001", "2020-01-01"): 12.5,
        ("FH001", "2020-01-02"): 0.0,
        ("FH002", "2020-01-01"): 7.3,
        ("FH002", "2020-01-02"): 7.5,
    }
    assert len(rejects(store)) == 6


def test_reingest_stores_nothing_twice_and_keeps_replaced_values(store, tmp_path) -> None:
    first = ingest(store, [DAILY_ZH])
    n = store.count("flows")
    again = ingest(store, [DAILY_ZH])
    o = again.outcomes[0]
    assert (o.stored, o.replaced, o.unchanged) == (0, 0, first.outcomes[0].stored)
    assert store.count("flows") == n
    fix = tmp_path / "fix.csv"
    fix.write_text("站码,日期,流量(m3/s)\nFH001,2020-01-01,13\n", encoding="utf-8")
    o = ingest(store, [fix]).outcomes[0]
    assert (o.stored, o.replaced) == (1, 1)
    assert flows(store)[("FH001", "2020-01-01")] == 13.0
    old = store.query("SELECT discharge FROM flows_history").column("discharge").to_pylist()
    assert old == [12.5]
    assert store.count("flows") == n


def test_cli_ingest_and_reports(tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    series = tmp_path / "flow-FH001.csv"
    dates = pd.date_range("2019-01-01", "2021-12-31", freq="D")
    q = [0.5 if (d.year == 2021 and d.month == 7 and d.day <= 5) else 10.0 for d in dates]
    pd.DataFrame({"日期": dates.strftime("%Y-%m-%d"), "流量": q}).to_csv(series, index=False)
    runner = CliRunner()
    res = runner.invoke(
        app, ["--db", str(db), "ingest", "flow", str(series), "--gauges", str(GAUGES), "--unit", "m3/s"]
    )
    assert res.exit_code == 0, res.output
    out = tmp_path / "compliance.csv"
    args = ["--year", "2021", "--river", "汾河", "--thresholds", "10%,20%", "--reference-years", "2019-2020"]
    res = runner.invoke(app, ["--db", str(db), "flow", "compliance", *args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig", dtype={"gauge": str})
    fh1 = t[t.gauge == "FH001"].set_index("period")
    assert fh1.loc["flood", "longest_shortfall_run"] == 5
    assert fh1.loc["flood", "compliant_days"] == 117
    assert fh1.loc["year", "name"] == "甲站"
    assert set(t.gauge) == {"FH001", "FH002"}  # FH002: listed on 汾河, no discharge

    daily = tmp_path / "daily.json"
    args = [
        "--gauge",
        "FH001",
        "--from",
        "2021-07-01",
        "--to",
        "2021-07-07",
        "--reference-years",
        "2019-2020",
    ]
    res = runner.invoke(app, ["--db", str(db), "flow", "daily", *args, "--out", str(daily)])
    assert res.exit_code == 0, res.output
    d = pd.read_json(daily)
    assert d["shortfall_run"].tolist() == [1, 2, 3, 4, 5, 0, 0]
    assert d["threshold"].tolist() == [2.0] * 7

    res = runner.invoke(app, ["--db", str(db), "flow", "compliance", "--thresholds", "0.1"])
    assert res.exit_code != 0 and "two shares" in res.output
    res = runner.invoke(app, ["--db", str(db), "flow", "compliance", "--reference-years", "2020-2019"])
    assert res.exit_code != 0


def test_gauge_lists_among_the_files_are_recognised(store) -> None:
    s = ingest(store, [GAUGES, DAILY_ZH])
    assert [o.reader for o in s.outcomes] == ["gauges", "flow_daily"]
    g = dict(store.con.execute("SELECT code, name FROM gauges").fetchall())
    assert g["FH001"] == "甲站" and "ZZ999" in g  # listed, and met in the discharge file
