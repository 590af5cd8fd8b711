"""Uploads: the CLI's guarantees over HTTP, size and type limits, names, temporary files."""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

from ecoplan.api import Settings
from ecoplan.api.uploads import safe_name
from ecoplan.store import Store

from .conftest import DATA, Api, make_api


def _post(api: Api, domain: str, files: list[tuple[str, bytes]], **params):
    return api.client.post(
        f"/api/ingest/{domain}",
        files=[("files", (n, d, "application/octet-stream")) for n, d in files],
        params=params,
        headers=api.auth("write"),
    )


def _log_count(api: Api) -> int:
    return api.store.con.execute("SELECT count(*) FROM ingest_log").fetchone()[0]


@pytest.fixture
def with_air(fresh: Api, air_files) -> Api:
    stations, days = air_files
    assert _post(fresh, "stations", [(stations.name, stations.read_bytes())]).status_code == 200
    res = _post(fresh, "air", [(p.name, p.read_bytes()) for p in days[:2]])
    assert res.status_code == 200, res.text
    return fresh


def test_an_upload_is_ingested_like_the_cli(with_air: Api, air_files) -> None:
    _stations, days = air_files
    body = _post(with_air, "air", [(days[2].name, days[2].read_bytes())]).json()
    (outcome,) = body["files"]
    assert outcome["status"] == "ok" and outcome["file"] == f"upload/{days[2].name}"
    assert outcome["stored"] > 0 and body["totals"]["stored"] == outcome["stored"]
    assert body["rejects"] == [] and body["rejects_note"] == "nothing rejected"
    # the same file again: nothing stored twice
    before = with_air.counts()
    again = _post(with_air, "air", [(days[2].name, days[2].read_bytes())]).json()["files"][0]
    assert again["stored"] == 0 and again["unchanged"] > 0
    assert with_air.counts() == before
    assert "same content as ingest" in again["message"]
    logged = with_air.client.get(f"/api/ingests/{outcome['ingest_id']}").json()
    assert logged["domain"] == "air" and logged["rows_stored"] == outcome["stored"]


def test_a_malformed_upload_changes_nothing_stored(with_air: Api) -> None:
    before = with_air.counts()
    log_before = _log_count(with_air)
    garbage = b"\xff\xfe\x00\x01 this is not a table"
    res = _post(with_air, "air", [("garbage.txt", garbage.replace(b"\x00", b"?"))])
    assert res.status_code == 422
    err = res.json()["error"]
    assert err["code"] == "unreadable_upload" and "upload/garbage.txt" in err["message"]
    assert err["files"][0]["status"] == "failed"
    assert with_air.counts() == before
    # the file is logged as failed, under its name, with the reason in the rejects
    assert _log_count(with_air) == log_before + 1
    failed = with_air.client.get("/api/ingests", params={"status": "failed"}).json()["items"][0]
    assert failed["file"] == "upload/garbage.txt"
    rejects = with_air.client.get(f"/api/ingests/{failed['ingest_id']}/rejects").json()["items"]
    assert len(rejects) == 1 and rejects[0]["file"] == "upload/garbage.txt"


@pytest.mark.parametrize(
    "name, data",
    [
        ("empty.csv", b""),
        ("header-only.csv", b"date,hour,type,1081A\n"),
        ("cut.xlsx", b"PK\x03\x04" + b"\x00" * 40),  # a zip cut after its first header
        ("wrong-columns.csv", "站点,时间\n1081A,2021-01-01\n".encode()),
    ],
)
def test_unreadable_files_store_nothing(with_air: Api, name: str, data: bytes) -> None:
    before = with_air.counts()
    res = _post(with_air, "air", [(name, data)])
    assert res.status_code in (200, 422), res.text
    body = res.json()
    files = body["files"] if res.status_code == 200 else body["error"]["files"]
    assert files[0]["stored"] == 0
    assert with_air.counts() == before


def test_a_good_and_a_bad_file_together(with_air: Api, air_files) -> None:
    _stations, days = air_files
    before = with_air.counts()
    res = _post(with_air, "air", [(days[3].name, days[3].read_bytes()), ("broken.csv", b"\xff\xfe\xfa")])
    assert res.status_code == 200
    statuses = [f["status"] for f in res.json()["files"]]
    assert statuses == ["ok", "failed"]
    assert with_air.counts()["observations"] > before["observations"]


def test_unsupported_types_are_refused_before_reading(with_air: Api) -> None:
    before, log_before = with_air.counts(), _log_count(with_air)
    for name, data, words in (
        ("tool.exe", b"MZ\x90\x00", "suffix '.exe'"),
        ("noext", b"a,b\n1,2\n", "suffix '(none)'"),
        ("table.xlsx", b"date,hour\n", "is not a .xlsx file"),
        ("table.parquet", b"PK\x03\x04", "is not a .parquet file"),
        ("binary.csv", b"a,b\n\x00\x01\x02", "binary content"),
    ):
        res = _post(with_air, "air", [("fine.csv", b"a,b\n1,2\n"), (name, data)])
        assert res.status_code == 415, (name, res.text)
        err = res.json()["error"]
        assert err["code"] == "unsupported_type" and words in err["message"]
    assert with_air.counts() == before and _log_count(with_air) == log_before


def test_too_large_uploads_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "small.duckdb")
    try:
        api = make_api(store, Settings(max_upload_bytes=2000))
        log_before = _log_count(api)
        big = b"code,city\n" + b"1234A,Test City\n" * 400
        res = _post(api, "stations", [("stations.csv", big)])
        assert res.status_code == 413
        err = res.json()["error"]
        assert err["code"] == "too_large" and "file too large" in err["message"] and "2000" in err["message"]
        assert res.headers["x-content-type-options"] == "nosniff"
        assert api.counts()["sites"] == 0 and _log_count(api) == log_before
        small = _post(api, "stations", [("stations.csv", b"code,city\n1234A,Test City\n")])
        assert small.status_code == 200
    finally:
        store.close()


def test_too_many_files(tmp_path: Path) -> None:
    store = Store(tmp_path / "few.duckdb")
    try:
        api = make_api(store, Settings(max_files=2))
        res = _post(api, "stations", [(f"s{i}.csv", b"code,city\n1234A,X\n") for i in range(3)])
        assert res.status_code == 413 and res.json()["error"]["code"] == "too_many_files"
    finally:
        store.close()


def test_no_file_and_bad_parameters(fresh: Api) -> None:
    res = fresh.client.post("/api/ingest/air", headers=fresh.auth("write"))
    assert res.status_code == 422 and "files" in res.json()["error"]["message"]
    for domain, params, words in (
        ("air", {"format": "pdf"}, "unknown air format"),
        ("flow", {"unit": "gallons"}, "unknown unit"),
        ("water", {"format": "nope"}, "unknown water format"),
        ("water", {"year": 3000}, "3000"),
    ):
        res = _post(fresh, domain, [("x.csv", b"a,b\n1,2\n")], **params)
        assert res.status_code == 422 and words in res.json()["error"]["message"], res.text
    assert fresh.client.post("/api/ingest/weather", headers=fresh.auth("write")).status_code == 404


def test_client_file_names_are_labels_not_paths(
    fresh: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    outside = tmp_path / "evil.csv"
    res = _post(fresh, "stations", [("../../evil.csv", b"code,city\n1234A,Test City\n")])
    assert res.status_code == 200
    assert res.json()["files"][0]["file"] == "upload/evil.csv"
    assert not outside.exists()
    # the temporary folder is gone once the request is answered, failed or not
    _post(fresh, "stations", [("broken.csv", b"\xff\xfe\xfa")])
    _post(fresh, "stations", [("tool.exe", b"MZ")])
    assert list(scratch.iterdir()) == []
    source = fresh.store.con.execute("SELECT DISTINCT source FROM sites").fetchall()
    assert source == [("upload/evil.csv",)]


@pytest.mark.parametrize(
    "given, safe",
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\x\\数据 2021.xlsx", "数据_2021.xlsx"),
        (".hidden.csv", "hidden.csv"),
        ("a/b/..", "upload-1"),
        ("", "upload-1"),
        (None, "upload-1"),
        ("x" * 300 + ".csv", "x" * 116 + ".csv"),
        ("usgs-04135700-daily discharge (cfs).csv", "usgs-04135700-daily_discharge_(cfs).csv"),
    ],
)
def test_safe_names(given, safe) -> None:
    assert safe_name(given, 0) == safe


def test_every_domain_takes_its_files(fresh: Api) -> None:
    water, flow = DATA / "water", DATA / "flow"
    calls = [
        ("sections", [("sections.csv", (water / "sections.csv").read_bytes())], {}),
        (
            "water",
            [("samples_long.csv", (water / "samples_long.csv").read_bytes())],
            {"require_sections": "true"},
        ),
        ("gauges", [("gauges.csv", (flow / "gauges.csv").read_bytes())], {}),
        ("flow", [("daily-unit-column.csv", (flow / "daily-unit-column.csv").read_bytes())], {}),
        ("indicators", [("v.csv", "indicator,scope,year,value\n森林覆盖率,全省,2021,23.6\n".encode())], {}),
    ]
    for domain, files, params in calls:
        res = _post(fresh, domain, files, **params)
        assert res.status_code == 200, (domain, res.text)
        assert res.json()["totals"]["stored"] > 0, domain
    # require_sections: SX99 is not in the section list, so its value is rejected
    water_ingest = fresh.client.get("/api/ingests", params={"domain": "water"}).json()["items"]
    samples = next(r for r in water_ingest if r["file"] == "upload/samples_long.csv")
    rejects = fresh.client.get(f"/api/ingests/{samples['ingest_id']}/rejects").json()["items"]
    assert any(r["value"] == "SX99" and "unknown section" in r["reason"] for r in rejects)
    excel = io.BytesIO()
    with zipfile.ZipFile(excel, "w") as z:
        z.writestr("not-a-workbook.txt", "hello")
    res = _post(fresh, "gauges", [("gauges.xlsx", excel.getvalue())])
    assert res.status_code == 422 and res.json()["error"]["files"][0]["status"] == "failed"


def test_reads_go_on_while_an_upload_holds_the_write_lock(with_air: Api, air_files) -> None:
    _stations, days = air_files
    db = with_air.client.app.state.db
    done = []
    with db.writing():
        worker = threading.Thread(
            target=lambda: done.append(_post(with_air, "air", [(days[5].name, days[5].read_bytes())]))
        )
        worker.start()
        worker.join(timeout=2)
        assert worker.is_alive() and not done  # the upload waits for the lock
        res = with_air.client.get("/api/sites", params={"limit": 1})
        assert res.status_code == 200 and res.json()["total"] == 60
    worker.join(timeout=120)
    assert done and done[0].status_code == 200
