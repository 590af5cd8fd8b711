"""The ``ecoplan ingest water`` and ``ecoplan water ...`` commands end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoplan.cli import app
from ecoplan.store import Store

from .util import DATA

runner = CliRunner()


def invoke(db: Path, *args: str):
    result = runner.invoke(app, ["--db", str(db), *args])
    return result


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    r = invoke(
        path, "ingest", "water", str(DATA / "samples_wide.csv"), "--sections", str(DATA / "sections.csv")
    )
    assert r.exit_code == 0, r.output
    return path


def test_classify_sample_and_year(db, tmp_path):
    out = tmp_path / "classes.csv"
    r = invoke(db, "water", "classify", "--period", "sample", "--out", str(out))
    assert r.exit_code == 0, r.output
    rows = read_csv(out)
    got = [(x["section"], x["period"], x["class"], x["class_n"], x["published_class"]) for x in rows]
    # classes worked by hand from GB 3838 Table 1 (see the fixture's values)
    assert got == [
        ("SX02", "2021-02-03 10:00", "II", "2", "II"),
        ("SX02", "2021-03-02 10:00", "III", "3", "III"),
        ("SX04", "2021-02-04 09:00", "IV", "4", "IV"),
        ("SX04", "2021-03-03 09:00", "劣V", "6", "劣V"),
        ("SX05", "2021-02-05 11:00", "III", "3", "III"),
    ]
    sx05 = rows[-1]
    assert (sx05["kind"], sx05["class_with_tn"], sx05["basin"]) == ("reservoir", "V", "海河流域")
    out = tmp_path / "year.json"
    r = invoke(db, "water", "classify", "--year", "2021", "--basin", "海河流域", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "wrote 2 rows" in r.output


def test_attainment_trophic_change_trend(db, tmp_path):
    out = tmp_path / "a.csv"
    r = invoke(db, "water", "attainment", "--by", "basin", "--year", "2021", "--out", str(out))
    assert r.exit_code == 0, r.output
    rows = {x["group"]: x for x in read_csv(out)}
    assert rows["黄河流域"]["n_sections"] == "1" and rows["黄河流域"]["method"] == "item means"
    out = tmp_path / "c.csv"
    r = invoke(db, "water", "attainment", "--by", "control", "--out", str(out))
    assert r.exit_code == 0, r.output
    # SX02 and SX04 are national, SX05 provincial (the section list)
    assert {x["group"]: x["n_sections"] for x in read_csv(out)} == {"national": "2", "provincial": "1"}
    r = invoke(db, "water", "trophic", "--year", "2021")
    assert r.exit_code == 0, r.output
    r = invoke(db, "water", "change", "--by", "basin", "--from-year", "2020", "--to-year", "2021")
    assert r.exit_code == 0, r.output
    r = invoke(db, "water", "trend", "--by", "basin", "--from-year", "2018", "--to-year", "2021")
    assert r.exit_code == 0, r.output
    r = invoke(db, "water", "published")
    assert r.exit_code == 0 and "agreement: 5 of 5" in r.output


def test_items_output(db, tmp_path):
    out = tmp_path / "items.csv"
    r = invoke(
        db, "water", "classify", "--items", "--period", "month", "--section", "SX04", "--out", str(out)
    )
    assert r.exit_code == 0, r.output
    rows = [x for x in read_csv(out) if x["item"] == "NH3-N"]
    assert [(x["period"], x["item_class"], x["multiple"]) for x in rows] == [
        ("2021-02", "IV", "0.10000000000000009"),
        ("2021-03", "劣V", "1.2999999999999998"),
    ]


def test_bad_input_is_named_and_nothing_is_lost(tmp_path):
    db = tmp_path / "w.duckdb"
    r = invoke(
        db, "ingest", "water", str(DATA / "samples_long.csv"), "--sections", str(DATA / "sections.csv")
    )
    assert r.exit_code == 0, r.output
    assert "not a number" in r.output and "unknown section" in r.output
    with Store(db, read_only=True) as s:
        assert s.count("water_samples") == 18
        assert s.count("rejects") == 4
    # again: nothing stored twice
    r = invoke(
        db, "ingest", "water", str(DATA / "samples_long.csv"), "--sections", str(DATA / "sections.csv")
    )
    assert r.exit_code == 0, r.output
    with Store(db, read_only=True) as s:
        assert s.count("water_samples") == 18


def test_options_are_checked(db):
    r = invoke(db, "water", "classify", "--period", "week")
    assert r.exit_code != 0 and "--period" in r.output
    r = invoke(db, "water", "attainment", "--heavy-threshold", "70")
    assert r.exit_code != 0


def test_snapshot_needs_a_year(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text(
        "省份,流域,断面名称,监测时间,水质类别,pH(无量纲),氨氮(mg/L)\n山西省,黄河流域,韩武村,02-04 11:00,Ⅲ,7.71,0.552\n",
        encoding="utf-8",
    )
    r = invoke(tmp_path / "w.duckdb", "ingest", "water", str(p))
    assert r.exit_code == 1
    assert "has no year" in r.output
    r = invoke(tmp_path / "w.duckdb", "ingest", "water", str(p), "--year", "2021")
    assert r.exit_code == 0, r.output
