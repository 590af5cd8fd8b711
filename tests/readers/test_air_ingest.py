"""Air readers and the ingest guarantees: nothing lost, nothing twice, every reject named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoplan.ingest import ingest_files
from ecoplan.readers import air_reader_for, station_reader
from ecoplan.store import Store

HEADER = "date,hour,type,1001A,1002A\n"


def daily_file(tmp_path: Path, name: str, body: str, header: str = HEADER) -> Path:
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


def site_lines(day: str, hour: int, pm25: str = "10", pm25b: str = "20", aqi: str = "15") -> str:
    rows = [
        f"{day},{hour},AQI,{aqi},29",
        f"{day},{hour},PM2.5,{pm25},{pm25b}",
        f"{day},{hour},PM2.5_24h,11,21",
        f"{day},{hour},PM10,30,",
        f"{day},{hour},CO,0.5,0.6",
    ]
    return "\n".join(rows) + "\n"


def ingest(store: Store, *paths: Path, stations: set[str] | None = None):
    return ingest_files(
        store, [str(p) for p in paths], lambda f, h: air_reader_for(f, h, stations=stations), domain="air"
    )


def obs(store: Store) -> list[tuple]:
    return store.con.execute(
        "SELECT site, time::VARCHAR, parameter, value, unit FROM observations ORDER BY ALL"
    ).fetchall()


def test_daily_site_file_values_and_published(store: Store, tmp_path: Path) -> None:
    f = daily_file(
        tmp_path, "china_sites_20190101.csv", site_lines("20190101", 0) + site_lines("20190101", 1)
    )
    s = ingest(store, f)
    o = s.outcomes[0]
    assert o.status == "ok" and o.rejected == 0
    rows = obs(store)
    # hour labels stored as labelled (end of the hour); blank cells not stored
    assert ("1001A", "2019-01-01 00:00:00", "PM2.5", 10.0, "ug/m3") in rows
    assert ("1002A", "2019-01-01 01:00:00", "CO", 0.6, "mg/m3") in rows
    assert not any(r[0] == "1002A" and r[2] == "PM10" for r in rows)
    assert len(rows) == 2 * (2 + 1 + 2)
    pub = store.con.execute("SELECT site, aqi, pm2_5_24h FROM air_published ORDER BY site, time").fetchall()
    assert pub[0] == ("1001A", 15.0, 11.0)
    log = store.con.execute(
        "SELECT status, rows_read, rows_stored, rows_rejected, checksum FROM ingest_log"
    ).fetchall()
    assert log[0][:4] == ("ok", 10, o.stored, 0) and len(log[0][4]) == 64


def test_reingest_stores_nothing_twice(store: Store, tmp_path: Path) -> None:
    f = daily_file(tmp_path, "china_sites_20190101.csv", site_lines("20190101", 0))
    first = ingest(store, f).outcomes[0]
    before = obs(store)
    second = ingest(store, f).outcomes[0]
    assert second.stored == 0 and second.unchanged == first.stored
    assert "same content as ingest #" in second.message
    assert obs(store) == before
    assert store.con.execute("SELECT count(*) FROM observations_history").fetchone()[0] == 0


def test_changed_value_replaces_and_keeps_history(store: Store, tmp_path: Path) -> None:
    ingest(store, daily_file(tmp_path, "a.csv", site_lines("20190101", 0, pm25="10")))
    out = ingest(store, daily_file(tmp_path, "b.csv", site_lines("20190101", 0, pm25="12"))).outcomes[0]
    assert out.replaced == 1 and out.stored == 1
    now = store.con.execute(
        "SELECT value, source FROM observations WHERE site='1001A' AND parameter='PM2.5'"
    ).fetchall()
    assert now == [(12.0, str(tmp_path / "b.csv"))]
    hist = store.con.execute("SELECT value, source, replaced_by FROM observations_history").fetchall()
    assert hist == [(10.0, str(tmp_path / "a.csv"), out.ingest_id)]


def test_same_file_twice_in_one_command(store: Store, tmp_path: Path) -> None:
    f = daily_file(tmp_path, "china_sites_20190101.csv", site_lines("20190101", 0))
    s = ingest(store, f, f)
    assert [o.status for o in s.outcomes] == ["ok", "ok"]
    assert s.outcomes[1].stored == 0
    assert (
        store.con.execute(
            "SELECT count(*) FROM (SELECT site, time, parameter FROM observations GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        == 0
    )


def test_truncated_file_keeps_whole_lines(store: Store, tmp_path: Path) -> None:
    body = site_lines("20190101", 0) + "20190101,1,PM2.5,1"  # cut inside a line
    f = daily_file(tmp_path, "cut.csv", body)
    o = ingest(store, f).outcomes[0]
    assert o.status == "partial"
    rej = store.con.execute('SELECT line, "column", reason FROM rejects').fetchall()
    assert rej == [(7, "", "wrong number of fields (truncated or malformed line)")]
    assert len(obs(store)) == 5


def test_wrong_header_is_refused_and_nothing_stored(store: Store, tmp_path: Path) -> None:
    f = daily_file(tmp_path, "bad.csv", "x,y\n1,2\n", header="")
    s = ingest(store, f)
    assert s.nothing_read and s.outcomes[0].status == "failed"
    assert "bad.csv" in s.outcomes[0].message and "line 1" in s.outcomes[0].message
    assert obs(store) == []
    assert store.con.execute("SELECT status FROM ingest_log").fetchall() == [("failed",)]


def test_text_and_negative_values_are_rejected_by_cell(store: Store, tmp_path: Path) -> None:
    body = site_lines("20190101", 0, pm25="abc", pm25b="-3")
    f = daily_file(tmp_path, "x.csv", body)
    o = ingest(store, f).outcomes[0]
    rej = store.con.execute('SELECT line, "column", value, reason FROM rejects ORDER BY "column"').fetchall()
    assert rej == [(3, "1001A", "abc", "not a number"), (3, "1002A", "-3.0", "negative concentration")]
    assert o.rejected == 2 and o.status == "partial"
    assert not any(r[2] == "PM2.5" for r in obs(store))


def test_unknown_station_rejected_when_stations_are_required(store: Store, tmp_path: Path) -> None:
    f = daily_file(tmp_path, "x.csv", site_lines("20190101", 0))
    ingest(store, f, stations={"1001A"})
    assert {r[0] for r in obs(store)} == {"1001A"}
    rej = store.con.execute('SELECT line, "column", value, reason FROM rejects').fetchall()
    assert rej == [(1, "1002A", "4 values", "unknown station (not in the station list)")]


def test_duplicate_lines_later_wins(store: Store, tmp_path: Path) -> None:
    body = site_lines("20190101", 0) + "20190101,0,PM2.5,99,98\n"
    ingest(store, daily_file(tmp_path, "dup.csv", body))
    v = store.con.execute(
        "SELECT value FROM observations WHERE site='1001A' AND parameter='PM2.5'"
    ).fetchall()
    assert v == [(99.0,)]
    assert "duplicate of line 7" in store.con.execute("SELECT reason FROM rejects").fetchone()[0]


def test_empty_and_missing_files_fail_cleanly(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    s = ingest(store, empty, tmp_path / "nope.csv")
    assert [o.status for o in s.outcomes] == ["failed", "failed"]
    assert "empty" in s.outcomes[0].message and "cannot open" in s.outcomes[1].message


def test_long_table_units_converted(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "long.csv"
    f.write_text(
        "site,time,parameter,value,unit\n"
        "1001A,2019-01-01 01:00,PM2.5,0.035,mg/m3\n"
        "1001A,2019-01-01 01:00,CO,800,ug/m3\n"
        "1001A,2019-01-01T02:00+08:00,NO2,40,μg/m³\n"
        "1001A,2019-01-01T02:00Z,NO2,41,ug/m3\n"
        "1001A,2019/1/1 3:00,O3,bad,ug/m3\n"
        "1001A,20190101,SO2,5,ppm\n",
        encoding="utf-8",
    )
    ingest(store, f)
    rows = obs(store)
    assert ("1001A", "2019-01-01 01:00:00", "PM2.5", 35.0, "ug/m3") in rows
    assert ("1001A", "2019-01-01 01:00:00", "CO", 0.8, "mg/m3") in rows
    assert ("1001A", "2019-01-01 02:00:00", "NO2", 40.0, "ug/m3") in rows
    # 02:00 UTC is 10:00 China time
    assert ("1001A", "2019-01-01 10:00:00", "NO2", 41.0, "ug/m3") in rows
    reasons = dict(store.con.execute('SELECT "column", reason FROM rejects').fetchall())
    assert reasons == {"value": "not a number", "unit": "unit does not fit SO2 (expected ug/m3)"}


def test_wide_table_chinese_headers_gbk(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "wide.csv"
    text = (
        "监测时间,站点编码,站点名称,城市,细颗粒物(μg/m³),可吸入颗粒物,一氧化碳(mg/m3),AQI,质量等级\n"
        "2019-01-01 01:00,1001A,尖草坪,太原市,35,50,1.2,50,优\n"
        "2019-01-01 02:00,1001A,尖草坪,太原市,,60,,55,良\n"
    )
    f.write_bytes(text.encode("gb18030"))
    o = ingest(store, f).outcomes[0]
    assert sorted(obs(store)) == sorted(
        [
            ("1001A", "2019-01-01 01:00:00", "PM2.5", 35.0, "ug/m3"),
            ("1001A", "2019-01-01 01:00:00", "PM10", 50.0, "ug/m3"),
            ("1001A", "2019-01-01 01:00:00", "CO", 1.2, "mg/m3"),
            ("1001A", "2019-01-01 02:00:00", "PM10", 60.0, "ug/m3"),
        ]
    )
    assert store.con.execute("SELECT name, city FROM sites").fetchall() == [("尖草坪", "太原市")]
    assert store.con.execute("SELECT aqi FROM air_published ORDER BY time").fetchall() == [(50.0,), (55.0,)]
    # the quality-level column is reported, not silently dropped
    assert o.rejected == 1
    assert store.con.execute('SELECT "column", value FROM rejects').fetchall() == [("质量等级", "2 values")]


def test_wide_excel_with_units_row(store: Store, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["站点编码", "日期", "小时", "PM2.5", "SO2"])
    ws.append([None, None, None, "μg/m³", "μg/m³"])
    ws.append(["1001A", "2019-01-01", 1, 12, 7])
    ws.append(["1001A", "2019-01-01", 2, 13, "x"])
    f = tmp_path / "wide.xlsx"
    wb.save(f)
    ingest(store, f)
    assert ("1001A", "2019-01-01 02:00:00", "PM2.5", 13.0, "ug/m3") in obs(store)
    assert store.con.execute('SELECT line, "column", reason FROM rejects').fetchall() == [
        (4, "SO2(μg/m³)", "not a number")
    ]


def test_per_hour_national_file(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "hour.csv"
    f.write_text(
        "timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,pm10,pm10_24h,"
        "pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,co_24h\n"
        "2019-01-01 01:00:00,1081A,112.49,37.95,太原市,尖草坪,PM2.5,107,120,110,80,70,10,20,15,18,50,45,20,25,1.1,1.0\n",
        encoding="utf-8",
    )
    ingest(store, f)
    assert len(obs(store)) == 6
    assert store.con.execute("SELECT city, name, lat, lon FROM sites").fetchall() == [
        ("太原市", "尖草坪", 37.95, 112.49)
    ]
    assert store.con.execute("SELECT aqi, primary_pollutant, o3_8h FROM air_published").fetchall() == [
        (107.0, "PM2.5", 15.0)
    ]


def test_station_list_reference(store: Store) -> None:
    from tests.conftest import STATIONS, need

    need(STATIONS)
    s = ingest_files(store, [str(STATIONS)], station_reader, domain="air")
    assert s.outcomes[0].stored == 60
    bg = store.con.execute("SELECT code FROM sites WHERE is_background ORDER BY code").fetchall()
    assert [r[0] for r in bg] == ["1083A", "1721A", "2165A"]
    assert store.con.execute("SELECT count(DISTINCT city) FROM sites").fetchone()[0] == 11


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_and_crlf(store: Store, tmp_path: Path, enc: str) -> None:
    text = (HEADER + site_lines("20190101", 3)).replace("\n", "\r\n")
    f = tmp_path / "x.csv"
    f.write_bytes(text.encode(enc))
    o = ingest(store, f).outcomes[0]
    assert o.status == "ok" and len(obs(store)) == 5


def four_days(tmp_path: Path) -> list[Path]:
    days = ["20190101", "20190102", "20190103", "20190104"]
    return [daily_file(tmp_path, f"china_sites_{d}.csv", site_lines(d, 1) + site_lines(d, 2)) for d in days]


def test_commit_every_stores_what_one_transaction_stores(tmp_path: Path) -> None:
    files = four_days(tmp_path)
    stores = {n: Store(tmp_path / f"s{n}.duckdb") for n in (None, 1, 3)}
    try:
        for n, s in stores.items():
            got = ingest_files(s, [str(p) for p in files], air_reader_for, domain="air", commit_every=n)
            assert [o.status for o in got.outcomes] == ["ok"] * 4
        once = obs(stores[None])
        assert len(once) == 4 * 2 * 5
        for n in (1, 3):
            assert obs(stores[n]) == once
            assert stores[n].con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 4
    finally:
        for s in stores.values():
            s.close()


def test_commit_every_keeps_the_committed_groups_when_a_later_one_fails(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ecoplan.ingest as ingest_module

    files = [str(p) for p in four_days(tmp_path)]
    real_flush, calls = ingest_module._flush, []

    def failing_flush(store_, batch, *rest):
        calls.append(len(batch))
        if len(calls) == 2:  # the second group's write
            raise RuntimeError("disk full")
        return real_flush(store_, batch, *rest)

    monkeypatch.setattr(ingest_module, "_flush", failing_flush)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_files(store, files, air_reader_for, domain="air", commit_every=2)
    # the first two days are committed, nothing of the second group is stored
    days = store.con.execute("SELECT DISTINCT time::DATE::VARCHAR FROM observations ORDER BY 1").fetchall()
    assert days == [("2019-01-01",), ("2019-01-02",)]
    assert store.con.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 2

    monkeypatch.setattr(ingest_module, "_flush", real_flush)
    again = ingest_files(store, files, air_reader_for, domain="air", commit_every=2)
    assert [o.stored for o in again.outcomes[:2]] == [0, 0]  # found unchanged
    assert all(o.stored > 0 for o in again.outcomes[2:])
    assert len(obs(store)) == 4 * 2 * 5


def test_commit_every_must_be_positive(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ingest_files(store, [str(tmp_path / "x.csv")], air_reader_for, domain="air", commit_every=0)


def test_cli_commit_every(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ecoplan.cli import app

    db = tmp_path / "cli.duckdb"
    files = [str(p) for p in four_days(tmp_path)]
    res = CliRunner().invoke(app, ["--db", str(db), "ingest", "air", *files, "--commit-every", "3"])
    assert res.exit_code == 0, res.output
    s = Store(db)
    try:
        assert len(obs(s)) == 4 * 2 * 5
    finally:
        s.close()
    res = CliRunner().invoke(app, ["--db", str(db), "ingest", "air", *files, "--commit-every", "0"])
    assert res.exit_code != 0
