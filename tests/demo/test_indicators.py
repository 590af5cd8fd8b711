"""The generated reported indicators: every reported target of the plan covered, readable, in mixed states."""

from __future__ import annotations

import csv
from collections import Counter

from ecoplan.demo import indicators as demo_indicators
from ecoplan.demo.run import indicator_years
from ecoplan.ingest import ingest_files
from ecoplan.plan import load_plan
from ecoplan.plan.status import status_table
from ecoplan.readers.indicators import reader_for

from .conftest import SEED

PLAN = load_plan("shanxi-2021-2025")


def _lines(run) -> list[dict[str, str]]:
    with run.files["indicators"][0].open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_columns(demo_2020):
    with demo_2020.files["indicators"][0].open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["indicator", "scope", "year", "value", "source", "note"]


def test_every_reported_target_has_a_value_every_year(demo_2020):
    """Each reported goal or trigger has a line per year and scope (per member where it says so)."""
    first, last = indicator_years(demo_2020)
    lines = _lines(demo_2020)
    have = {(r["indicator"], PLAN.scopes.aliases.get(r["scope"], r["scope"]), int(r["year"])) for r in lines}
    for t in PLAN.targets:
        if t.kind != "reported" or t.role == "context":
            continue
        resolved = PLAN.resolve_scope(t.scope)
        if t.per_member:
            scopes = [f"{resolved.member_type}:{m}" for m in resolved.members]
        else:
            scopes = [PLAN.scopes.aliases.get(t.scope, t.scope)]
        for scope in scopes:
            for y in range(first, last + 1):
                assert (t.indicator, scope, y) in have, (t.id, scope, y)


def test_plan_baselines_are_the_start(demo_2020):
    """A target with a stated baseline starts from it: erosion control 73000 km2 in 2020 (plan text:
    "截至2020年年底,全省累计治理水土流失面积7.3万平方公里")."""
    t = PLAN.target("eco-erosion-area-2025")
    lines = [r for r in _lines(demo_2020) if r["indicator"] == t.indicator and r["year"] == "2020"]
    assert float(lines[0]["value"]) == t.baseline.value


def test_ingests_without_rejects(demo_2020):
    summary = demo_2020.ingests["indicators"]
    assert summary.total("rejected") == 0 and summary.files_read == 1
    assert summary.total("stored") == len(_lines(demo_2020))


def test_targets_land_in_several_states(store, tmp_path):
    """With 2020-2025 the plan's reported targets are in several states (achieved, behind, worsening)."""
    path = demo_indicators.write(tmp_path / "indicators.csv", 2020, 2025, seed=SEED, plan=PLAN)
    summary = ingest_files(store, [str(path)], reader_for(PLAN), domain="plan")
    assert summary.total("rejected") == 0
    statuses = Counter(status_table(store, PLAN, role=("target",)).column("status").to_pylist())
    assert statuses["achieved"] > 0
    assert statuses["not_achieved"] > 0  # pass/fail statements
    assert sum(statuses[s] for s in ("deterioration", "limited_progress", "acceleration_needed")) > 0
    assert len([s for s, n in statuses.items() if n]) >= 5


def test_same_seed_same_lines_other_seed_other_lines(tmp_path):
    a = demo_indicators.write(tmp_path / "a.csv", 2020, 2024, seed=1, plan=PLAN)
    b = demo_indicators.write(tmp_path / "b.csv", 2020, 2024, seed=1, plan=PLAN)
    c = demo_indicators.write(tmp_path / "c.csv", 2020, 2024, seed=2, plan=PLAN)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_bool_indicators_switch_once(demo_2020):
    """A yes/no series is 0 until it is done, then 1 (never back)."""
    units = {i: ind.unit for i, ind in PLAN.vocabulary.items()}
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in _lines(demo_2020):
        if units[r["indicator"]] == "bool":
            series.setdefault((r["indicator"], r["scope"]), []).append((int(r["year"]), float(r["value"])))
    assert series
    for values in series.values():
        v = [x for _, x in sorted(values)]
        assert set(v) <= {0.0, 1.0}
        assert v == sorted(v)
