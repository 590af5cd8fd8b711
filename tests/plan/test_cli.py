"""``ecoplan plan show | targets | indicators | check``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from ecoplan.cli import app
from ecoplan.plan import DEFAULT_PLAN, load_plan

from ..conftest import SHARED, need

MINI = Path(__file__).resolve().parents[1] / "data" / "plan"
TEXT = SHARED / "plan" / "shanxi-2021-2025-eco-plan.zh.txt"

runner = CliRunner()


def test_show_json_matches_the_plan() -> None:
    res = runner.invoke(app, ["plan", "show", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    plan = load_plan(DEFAULT_PLAN)
    assert data["id"] == DEFAULT_PLAN and data["period"] == [2021, 2025]
    assert data["counts"]["targets"] == len(plan.goals())
    assert data["categories"]["water"]["computed"] == sum(
        t.category == "water" and t.kind == "computed" for t in plan.targets
    )
    groups = {g["id"]: g["members"] for g in data["groups"]}
    assert groups["fenwei-4"] == ["晋中市", "运城市", "临汾市", "吕梁市"]


def test_show_table_and_other_plan() -> None:
    res = runner.invoke(app, ["plan", "show"])
    assert res.exit_code == 0, res.output
    assert "两山七河一流域" in res.output and "jjj-4" in res.output
    res = runner.invoke(app, ["plan", "show", "--plan", str(MINI / "mini-plan.yaml"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["counts"]["targets"] == 4


def test_targets_to_csv_with_filters(tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    res = runner.invoke(
        app, ["plan", "targets", "--category", "water", "--scope", "basin:", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert len(t) == 11  # 5 basins with count and share, 大清河 with its count
    assert set(t.category) == {"water"} and t.scope.str.startswith("basin:").all()
    fen = t.set_index("id").loc["water-fen-good-share-2025"]
    assert fen.value == 47.6 and fen.indicator == "water.class_i_iii_share"
    assert "汾河流域达到或优于Ⅲ类水质断面达到10个(占比47.6%)" in fen.clause


def test_targets_all_rows_json(tmp_path: Path) -> None:
    out = tmp_path / "targets.json"
    res = runner.invoke(app, ["plan", "targets", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert len(rows) == len(load_plan(DEFAULT_PLAN).targets)
    pm = next(r for r in rows if r["id"] == "air-pm25-2025")
    assert (pm["comparator"], pm["value"], pm["baseline_value"], pm["flags"]) == ("<", 40, 44, "strive")


def test_targets_bad_options() -> None:
    res = runner.invoke(app, ["plan", "targets", "--category", "noise"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["plan", "targets", "--scope", "city:北京市"])
    assert res.exit_code == 1
    res = runner.invoke(app, ["plan", "show", "--plan", "no-such-plan"])
    assert res.exit_code == 2


def test_indicators(tmp_path: Path) -> None:
    out = tmp_path / "ind.csv"
    res = runner.invoke(
        app, ["plan", "indicators", "--plan", str(MINI / "mini-plan.yaml"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, encoding="utf-8-sig").set_index("id")
    assert t.loc["water.rivers_in_class_i_iii", "origin"] == "plan"
    assert t.loc["air.pm25_mean", "origin"] == "bundled"


def test_check_against_text(tmp_path: Path) -> None:
    res = runner.invoke(app, ["plan", "check", "--text", str(need(TEXT))])
    assert res.exit_code == 0, res.output
    altered = tmp_path / "altered.txt"
    altered.write_text(TEXT.read_text(encoding="utf-8").replace("18350", "18500"), encoding="utf-8")
    res = runner.invoke(app, ["plan", "check", "--text", str(altered)])
    assert res.exit_code == 1
    assert "eco-erosion-area-2025" in res.output
