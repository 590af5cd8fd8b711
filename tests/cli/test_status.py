"""``ecoplan status | indicators | warnings | assess | alerts`` and ``ingest indicators``, with --json and --out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from ecoplan.cli import app
from ecoplan.store import Store

DATA = Path(__file__).resolve().parents[1] / "data" / "indicators"
MINI = DATA / "mini-plan.yaml"
runner = CliRunner()

SAMPLE_SCHEMA = pa.schema(
    [
        ("section", pa.string()),
        ("time", pa.timestamp("us")),
        ("item", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("below_dl", pa.bool_()),
        ("detection_limit", pa.float64()),
        ("sample_kind", pa.string()),
    ]
)


def invoke(*args: str):
    res = runner.invoke(app, list(args))
    return res


def water_db(path: Path) -> Path:
    """Two sections of basin 甲河 (mini plan), sampled in March 2021 and 2022; S2 gets worse (II -> IV)."""
    store = Store(path)
    sections = pa.table(
        {
            "code": ["S1", "S2"],
            "name": ["一号桥", "二号桥"],
            "river": ["甲河", "甲河"],
            "basin": ["甲河", "甲河"],
            "kind": ["river", "river"],
            "control_level": ["national", "national"],
        }
    )
    rows = [("S1", 2021, 0.4), ("S1", 2022, 0.4), ("S2", 2021, 0.4), ("S2", 2022, 1.2)]
    samples = pa.table(
        {
            "section": [r[0] for r in rows],
            "time": [dt.datetime(r[1], 3, 10, 9) for r in rows],
            "item": ["NH3-N"] * len(rows),
            "value": [r[2] for r in rows],
            "unit": ["mg/L"] * len(rows),
            "below_dl": [False] * len(rows),
            "detection_limit": [None] * len(rows),
            "sample_kind": ["manual"] * len(rows),
        },
        schema=SAMPLE_SCHEMA,
    )
    with store.transaction():
        store.upsert("sections", sections, ingest_id=0, source="test")
        store.upsert("water_samples", samples, ingest_id=0, source="test")
    store.close()
    return path


def test_ingest_indicators_then_status(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    res = invoke("--db", db, "ingest", "indicators", str(DATA / "reported-zh.csv"))
    assert res.exit_code == 0, res.output
    assert "ingest summary" in res.output
    res = invoke("--db", db, "status", "--category", "water-resources", "--json")
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.output)}
    gw = rows["waterres-groundwater-balance-2025"]
    # reported 否 (0) for 2023: the pass/fail target is not achieved
    assert (gw["status"], gw["status_zh"], gw["latest_value"], gw["latest_year"]) == (
        "not_achieved",
        "未实现",
        0.0,
        2023,
    )
    assert gw["origin"] == "reported" and gw["name_en"]
    res = invoke("--db", db, "status", "--role", "context", "--category", "forest-grassland", "--json")
    ctx = {r["id"]: r for r in json.loads(res.output)}
    assert ctx["forest-cover-2020"]["status"] == "context"
    assert ctx["forest-cover-2020"]["latest_value"] == 24.1  # the 2022 figure reported


def test_status_out_and_rollup(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    invoke("--db", db, "ingest", "indicators", str(DATA / "reported-zh.csv"))
    out = tmp_path / "status.csv"
    res = invoke("--db", db, "status", "--out", str(out))
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert {"id", "status", "status_zh", "projected_value", "needed_rate", "baseline_value"} <= set(
        frame.columns
    )
    assert len(frame) > 100
    res = invoke("--db", db, "status", "--rollup", "category", "--json")
    roll = {r["category"]: r for r in json.loads(res.output)}
    assert roll["water-resources"]["not_achieved"] == 1
    assert sum(r["total"] for r in roll.values()) == len(frame[frame["role"] == "target"])
    table = invoke("--db", db, "status", "--category", "air")
    # the printed table, and a count of statuses under it (air has no data here: 9 targets not assessable)
    assert table.exit_code == 0 and "9 targets" in table.output and "无法评估 9" in table.output


def test_compute_and_show_indicators(tmp_path: Path) -> None:
    db = str(water_db(tmp_path / "w.duckdb"))
    res = invoke("--db", db, "indicators", "compute", "--plan", str(MINI))
    assert res.exit_code == 0, res.output
    assert "values computed (water, lakes)" in res.output
    res = invoke("--db", db, "indicators", "show", "--plan", str(MINI), "--scope", "basin:甲河",
                 "--indicator", "water.class_i_iii_share", "--json")  # fmt: skip
    got = {r["year"]: r["value"] for r in json.loads(res.output)}
    # 2021: both sections II; 2022: S2 IV -> 1 of 2
    assert got == {2021: 100.0, 2022: 50.0}
    res = invoke("--db", db, "indicators", "compute", "--plan", str(MINI))
    assert "0 stored" in res.output and "unchanged" in res.output


def test_warnings_refresh_idempotent_and_filters(tmp_path: Path) -> None:
    db = str(water_db(tmp_path / "w.duckdb"))
    res = invoke("--db", db, "warnings", "--refresh", "--plan", str(MINI), "--json")
    assert res.exit_code == 0, res.output
    text = res.output[res.output.index("[") :]
    first = json.loads(text)
    kinds = {w["kind"] for w in first}
    assert "deterioration" in kinds  # S2 March 2022 IV against II a year before
    det = next(w for w in first if w["kind"] == "deterioration")
    assert det["evidence"]["periods"][0]["class"] == "Ⅳ"  # evidence as an object in --json
    again = invoke("--db", db, "warnings", "--refresh", "--plan", str(MINI), "--json")
    second = json.loads(again.output[again.output.index("[") :])
    assert sorted(w["warning_id"] for w in second) == sorted(w["warning_id"] for w in first)
    assert "0 new" in again.output
    res = invoke("--db", db, "warnings", "--active", "--kind", "deterioration", "--json")
    active = json.loads(res.output)
    assert active and all(w["active"] and w["kind"] == "deterioration" for w in active)
    out = tmp_path / "warnings.parquet"
    res = invoke("--db", db, "warnings", "--out", str(out))
    assert res.exit_code == 0 and pd.read_parquet(out).shape[0] == len(second)


def test_assess_in_one_go(tmp_path: Path) -> None:
    db = str(water_db(tmp_path / "w.duckdb"))
    out = tmp_path / "status.json"
    res = invoke("--db", db, "assess", "--plan", str(MINI), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "indicators:" in res.output and "warnings since" in res.output and "active warnings" in res.output
    rows = {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    # basin 甲河: 2 sections in I-III in 2021, 1 in 2022 (target >= 3)
    assert rows["water-a-good-count-2025"]["latest_value"] == 1.0
    assert rows["water-a-good-count-2025"]["status"] == "deterioration"


FORECAST = "城市,日期,AQI\n太原市,2026-12-01,180\n太原市,2026-12-02,230\n太原市,2026-12-03,260\n太原市,2026-12-04,245\n太原市,2026-12-05,150\n"


def test_alerts_forecast(tmp_path: Path) -> None:
    f = tmp_path / "forecast.csv"
    f.write_text(FORECAST, encoding="utf-8")
    db = tmp_path / "never.duckdb"
    res = invoke("--db", str(db), "alerts", "--forecast", str(f), "--json")
    assert res.exit_code == 0, res.output
    (episode,) = json.loads(res.output)
    assert (episode["city"], episode["level"], episode["duration_hours"]) == ("太原市", "orange", 72)
    assert episode["evidence"]["fired"]["rule"] == "AQI > 200 for >= 72 h"
    assert not db.exists()  # the store is not touched without --save
    out = tmp_path / "episodes.csv"
    res = invoke("alerts", "--forecast", str(f), "--out", str(out))
    assert res.exit_code == 0 and pd.read_csv(out).loc[0, "level"] == "orange"
    stricter = tmp_path / "strict.toml"
    stricter.write_text(
        '[cities."太原市".levels.red]\nrules = [{ all = [{ above = 200, hours = 72 }] }]\n', encoding="utf-8"
    )
    res = invoke("alerts", "--forecast", str(f), "--rules", str(stricter), "--json")
    assert json.loads(res.output)[0]["level"] == "red"
    res = invoke("--db", str(db), "alerts", "--forecast", str(f), "--save")
    assert res.exit_code == 0 and "1 new" in res.output
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT rule, level FROM warnings").fetchall() == [("forecast_aqi", "orange")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--category", "nope"], "unknown category"),
        (["warnings", "--kind", "nope"], "heavy_pollution"),
        (["indicators", "compute", "--years", "2025-2020"], "2020-2025"),
        (["alerts", "--forecast", "missing.csv"], "cannot read"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    db = str(tmp_path / "s.duckdb")
    Store(db).close()
    res = runner.invoke(app, ["--db", db, *args])
    assert res.exit_code == 2
    assert message in (res.output + str(res.stderr if hasattr(res, "stderr") else ""))
