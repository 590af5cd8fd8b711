"""The plan schema, the bundled Shanxi plan's invariants and the loader.

Figures checked against the plan come from the plan text
(``../shared/plan/shanxi-2021-2025-eco-plan.zh.txt``; paragraph numbers are its
line numbers): the 2020 baselines of the review paragraphs (lines 19, 21), the
2025 goals (line 59) and the basin paragraphs (lines 127-139). That the clauses
and figures really stand in the text is checked in ``test_clauses.py``.
"""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
import yaml

from ecoplan.plan import (
    DEFAULT_PLAN,
    PlanError,
    available_plans,
    load_plan,
    load_vocabulary,
    resolve_plan,
)
from ecoplan.plan.model import COMPARATOR_DIRECTION, Plan, Target

DATA = Path(__file__).resolve().parents[1] / "data" / "plan"
MINI = DATA / "mini-plan.yaml"
BUNDLED = Path(str(resources.files("ecoplan.plan").joinpath("plans", "shanxi-2021-2025.yaml")))

# The categories the plan's goals cover (one or more targets each).
CATEGORIES = [
    "air",
    "water",
    "ecoflow",
    "lakes",
    "forest-grassland",
    "soil-groundwater",
    "waste",
    "radiation",
    "carbon-energy",
    "transport",
    "agriculture",
    "urban-wastewater",
    "ecology",
    "water-resources",
    "rural",
]
SHANXI_CITIES = [
    "太原市",
    "大同市",
    "朔州市",
    "忻州市",
    "阳泉市",
    "晋中市",
    "吕梁市",
    "长治市",
    "晋城市",
    "临汾市",
    "运城市",
]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(DEFAULT_PLAN)


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@functools.cache
def _raw() -> dict:
    return yaml.load(BUNDLED.read_text(encoding="utf-8"), Loader=LOADER)


def raw_plan() -> dict:
    """A fresh copy of the bundled plan file's content, to alter."""
    return copy.deepcopy(_raw())


def write(tmp_path: Path, data: dict, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    text = yaml.dump(data, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


# -- loading -------------------------------------------------------------------------


def test_bundled_plan_by_id_equals_by_path(plan: Plan) -> None:
    assert DEFAULT_PLAN in available_plans()
    assert load_plan(BUNDLED) == plan
    assert load_plan(str(BUNDLED)) == plan
    assert resolve_plan(None) == plan
    assert resolve_plan("") == plan
    assert resolve_plan(DEFAULT_PLAN) == plan


def test_second_plan_loads_by_path() -> None:
    mini = resolve_plan(str(MINI))
    assert mini.id == "mini-city-2021-2025"
    assert [t.id for t in mini.targets] == [
        "air-good-days-2025",
        "air-pm25-2025",
        "water-rivers-2023",
        "forest-cover-2025",
    ]
    # its own indicator joins the bundled vocabulary, for this plan only
    assert mini.indicator("water.rivers_in_class_i_iii").kind == "computed"
    assert "water.rivers_in_class_i_iii" not in load_vocabulary()
    assert mini.resolve_scope("group:two-rivers").members == ("甲河", "乙河")
    pm = mini.target("air-pm25-2025")
    assert (pm.comparator, pm.value, pm.baseline.value, pm.baseline.year) == ("reduce_by_pct", 10, 42, 2020)


def test_unknown_id_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"no bundled plan 'nope'.*shanxi-2021-2025"):
        load_plan("nope")
    with pytest.raises(PlanError, match=r"missing\.yaml: cannot read"):
        load_plan(tmp_path / "missing.yaml")


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ntargets:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"broken\.yaml: line \d+, column \d+: not valid YAML"):
        load_plan(path)


def test_importable_without_heavy_dependencies() -> None:
    code = (
        "import sys; import ecoplan.plan as p; p.load_plan('shanxi-2021-2025'); "
        "print(','.join(sorted(m for m in ('pandas','pyarrow','ibis','duckdb','numpy') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- invariants of the bundled plan -------------------------------------------------------


def test_counts_and_categories(plan: Plan) -> None:
    goals = plan.goals()
    assert len(goals) > 60
    present = Counter(t.category for t in goals)
    missing = [c for c in CATEGORIES if present[c] == 0]
    assert not missing, f"categories without a target: {missing}"
    assert set(present) | {t.category for t in plan.targets} <= set(plan.categories)


ID_PREFIX = {
    "air": {"air"},
    "emissions": {"emissions"},
    "water": {"water"},
    "water-resources": {"waterres"},
    "ecoflow": {"ecoflow"},
    "urban-wastewater": {"wastewater"},
    "rural": {"rural"},
    "lakes": {"lake"},
    "forest-grassland": {"forest", "grassland"},
    "ecology": {"eco"},
    "soil-groundwater": {"soil"},
    "waste": {"waste"},
    "radiation": {"radiation"},
    "carbon-energy": {"energy"},
    "transport": {"transport"},
    "agriculture": {"agri"},
    "industry": {"industry"},
    "economy": {"economy"},
}


def test_ids_unique_and_readable(plan: Plan) -> None:
    ids = [t.id for t in plan.targets]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    for t in plan.targets:
        assert t.id.split("-")[0] in ID_PREFIX[t.category], t.id


def test_scopes_resolve(plan: Plan) -> None:
    for t in plan.targets:
        resolved = plan.resolve_scope(t.scope)
        if t.per_member:
            assert resolved.type == "group", t.id
    assert list(plan.scopes.cities) == SHANXI_CITIES
    assert plan.group("cities").members == SHANXI_CITIES
    for g in plan.groups:
        if g.member_type == "city":
            assert set(g.members) <= set(SHANXI_CITIES), g.id
        assert g.note
    assert plan.resolve_scope("rivers:seven").members == plan.resolve_scope("group:seven-rivers").members
    with pytest.raises(KeyError):
        plan.resolve_scope("city:北京市")
    with pytest.raises(KeyError):
        plan.resolve_scope("group:nope")


def test_group_defaults(plan: Plan) -> None:
    assert plan.group("jjj-4").members == ["太原市", "阳泉市", "长治市", "晋城市"]
    assert plan.group("fenwei-4").members == ["晋中市", "运城市", "临汾市", "吕梁市"]
    assert plan.group("seven-rivers").members == [
        "汾河",
        "桑干河",
        "滹沱河",
        "漳河",
        "沁河",
        "涑水河",
        "大清河",
    ]
    assert plan.group("five-lakes").members == ["晋阳湖", "漳泽湖", "云竹湖", "盐湖", "伍姓湖"]
    assert plan.group("north-3").members == ["大同市", "朔州市", "忻州市"]
    # the 2+26 and Fen-Wei cities are not listed by the plan: their default is marked so
    assert plan.group("jjj-4").source == plan.group("fenwei-4").source == "default"
    assert not set(plan.group("jjj-4").members) & set(plan.group("fenwei-4").members)


def test_group_override(tmp_path: Path) -> None:
    p = load_plan(DEFAULT_PLAN, groups={"jjj-4": ["太原市", "阳泉市"]})
    assert p.resolve_scope("group:jjj-4").members == ("太原市", "阳泉市")
    assert "overridden" in p.group("jjj-4").note
    with pytest.raises(PlanError, match="no group nope to override"):
        load_plan(DEFAULT_PLAN, groups={"nope": ["太原市"]})
    with pytest.raises(PlanError, match="member 北京市 is not among the plan's cities"):
        load_plan(DEFAULT_PLAN, groups={"jjj-4": ["北京市"]})


def test_indicators_units_kinds(plan: Plan) -> None:
    vocab = plan.vocabulary
    for t in plan.targets:
        ind = vocab[t.indicator]
        assert t.unit == ind.unit, t.id
        assert t.kind == ind.kind, t.id
        # a reported indicator carries its category's prefix
        assert ind.id.split(".")[0] in {
            "air",
            "water",
            "waterres",
            "ecoflow",
            "wastewater",
            "rural",
            "lake",
            "eco",
            "soil",
            "waste",
            "radiation",
            "energy",
            "transport",
            "agri",
            "industry",
            "emissions",
            "economy",
        }
        want = COMPARATOR_DIRECTION.get(t.comparator or "")
        if want:
            assert ind.direction == want, t.id
    # every computed indicator names the assessment that produces it
    for ind in vocab.values():
        if ind.kind == "computed":
            assert ind.assessment, ind.id


def test_computed_vocabulary_is_the_agreed_one() -> None:
    """ecoplan computes these ids from monitoring data; their units are fixed."""
    expected = {
        "air.good_day_ratio": "%",
        "air.pm25_mean": "ug/m3",
        "air.pm10_mean": "ug/m3",
        "air.so2_mean": "ug/m3",
        "air.no2_mean": "ug/m3",
        "air.co_p95": "mg/m3",
        "air.o3_8h_p90": "ug/m3",
        "air.heavy_days": "days",
        "air.heavy_day_ratio": "%",
        "water.class_i_iii_share": "%",
        "water.class_i_iii_count": "sections",
        "water.worse_than_v_count": "sections",
        "water.worse_than_v_share": "%",
        "water.lake_class": "class",
        "water.lake_tli": "index",
        "ecoflow.compliance_rate": "%",
        "ecoflow.rivers_meeting": "rivers",
    }
    vocab = load_vocabulary()
    for ind_id, unit in expected.items():
        assert vocab[ind_id].kind == "computed", ind_id
        assert vocab[ind_id].unit == unit, ind_id
    assert {i for i, v in vocab.items() if v.kind == "computed"} - set(expected) == {"water.class_i_iv_share"}


def test_comparator_fields(plan: Plan) -> None:
    for t in plan.targets:
        if t.role == "context":
            assert t.comparator is None and t.value is None, t.id
            assert t.baseline.value is not None or t.baseline.achieved is not None, t.id
            continue
        assert t.year is not None and 2020 <= t.year <= 2025, t.id
        if t.comparator in ("reduce_by_pct", "increase_by_pct", "increase_by"):
            assert t.value is not None and t.baseline is not None and t.baseline.year == 2020, t.id
        if t.comparator in (">=", "<=", ">", "<"):
            assert (t.value is None) == ("assigned" in t.flags), t.id
        if t.comparator == "all_meet":
            assert t.value is None and t.requirement is not None, t.id


def test_hedges_are_flags(plan: Plan) -> None:
    """A flag stands for a word of the clause; a figure followed by 左右 is approximate."""
    words = {
        "strive": ["力争"],
        "approximately": ["左右"],
        "basically": ["基本"],
        "steady": ["稳定", "保持", "持续", "每年", "逐步", "期间", "日常"],
        "assigned": ["国家下达"],
    }
    for t in plan.targets:
        for flag in t.flags:
            assert any(w in t.clause for w in words[flag]), (t.id, flag)
        if t.value is not None and f"{t.value:g}%左右" in t.clause:
            assert "approximately" in t.flags, t.id


# Figures from the plan text (line numbers of the text file).
@pytest.mark.parametrize(
    ("target_id", "comparator", "value", "year", "baseline"),
    [
        ("air-good-days-2025", ">=", 75, 2025, None),  # line 59
        ("air-pm25-2025", "<", 40, 2025, (44, 2020)),  # lines 59, 19
        ("air-pm25-jjj4-2025", "reduce_by_pct", 20, 2025, (None, 2020)),  # line 89
        ("air-o3-jjj4-2025", "reduce_by_pct", 5, 2025, (None, 2020)),
        ("air-pm25-fenwei4-2025", "reduce_by_pct", 15, 2025, (None, 2020)),
        ("air-o3-fenwei4-2025", "reduce_by_pct", 3, 2025, (None, 2020)),
        ("water-good-share-2025", "increasing", None, 2025, (70.7, 2020)),  # lines 59, 19
        ("water-fen-good-count-2025", ">=", 10, 2025, None),  # line 127
        ("water-fen-good-share-2025", ">=", 47.6, 2025, None),
        ("water-sanggan-good-count-2025", ">=", 4, 2025, None),  # line 129
        ("water-hutuo-good-count-2025", ">=", 9, 2025, None),  # line 131
        ("water-zhang-good-share-2025", ">=", 90.9, 2025, None),  # line 133
        ("water-qin-good-share-2025", ">=", 100, 2025, None),  # line 135
        ("water-daqing-good-count-2025", ">=", 2, 2025, None),  # line 139
        ("forest-cover-2020", None, None, None, (23.5, 2020)),  # line 21
        ("eco-erosion-area-2025", "increase_by", 18350, 2025, (73000, 2020)),  # lines 121, 21
        ("eco-erosion-degree-2020", None, None, None, (67, 2020)),  # line 21
        ("eco-soil-conservation-2025", ">=", 65, 2025, None),  # line 121
        ("lake-yunzhu-class-2025", "<=", 3, 2025, None),  # line 141
        ("lake-wuxing-class-2025", "<=", 4, 2025, (6, 2020)),
        ("wastewater-towns-2022", ">=", 448, 2022, None),  # line 75
        ("energy-coal-jjj4-2025", "reduce_by_pct", 10, 2025, (None, 2020)),  # line 83
        ("forest-fire-2025", "<=", 0.5, 2025, None),  # line 115
    ],
)
def test_known_figures(plan: Plan, target_id, comparator, value, year, baseline) -> None:
    t = plan.target(target_id)
    assert (t.comparator, t.value, t.year) == (comparator, value, year)
    if baseline is None:
        assert t.baseline is None
    else:
        assert (t.baseline.value, t.baseline.year) == baseline


def test_ecoflow_rule_parameters(plan: Plan) -> None:
    t = plan.target("ecoflow-seven-rivers-2025")  # line 73: 10 % non-flood, 20 % flood
    assert t.scope == "rivers:seven"
    assert t.parameters == {"non_flood_min_pct_of_mean": 10, "flood_min_pct_of_mean": 20}


def test_rows_and_filters(plan: Plan) -> None:
    rows = plan.target_rows()
    assert len(rows) == len(plan.targets)
    assert all(r["clause"] for r in rows)
    basins = plan.target_rows(scope=["basin:"])
    assert basins and all(r["scope"].startswith("basin:") for r in basins)
    air = plan.target_rows(category=["air"], role=["target"])
    assert {r["category"] for r in air} == {"air"} and {r["role"] for r in air} == {"target"}
    fen = plan.target_rows(scope=["basin:汾河"])
    assert {r["id"] for r in fen} == {"water-fen-good-count-2025", "water-fen-good-share-2025"}
    row = next(r for r in rows if r["id"] == "air-pm25-jjj4-2025")
    assert row["scope_members"] == "太原市,阳泉市,长治市,晋城市"


def test_summary(plan: Plan) -> None:
    s = plan.summary()
    assert s["period"] == [2021, 2025] and s["baseline_year"] == 2020
    assert s["counts"]["targets"] == len(plan.goals())
    assert sum(c["target"] for c in s["categories"].values()) == s["counts"]["targets"]
    assert {g["id"] for g in s["groups"]} >= {"jjj-4", "fenwei-4", "seven-rivers", "five-lakes"}


# -- rejection of inconsistent plans ----------------------------------------------------


def _target(raw: dict, target_id: str) -> dict:
    return next(t for t in raw["targets"] if t["id"] == target_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: _target(r, "air-pm25-2025").update(indicator="air.pm99_mean"), "not in the vocabulary"),
        (lambda r: _target(r, "air-pm25-2025").update(unit="mg/m3"), "unit 'mg/m3' differs"),
        (lambda r: _target(r, "air-pm25-2025").update(kind="reported"), "kind reported differs"),
        (lambda r: _target(r, "air-pm25-2025").update(scope="city:北京市"), "not among the plan's cities"),
        (lambda r: _target(r, "air-pm25-2025").update(scope="group:nope"), "no group 'nope'"),
        (lambda r: _target(r, "air-pm25-2025").update(category="noise"), "category noise is not declared"),
        (lambda r: _target(r, "air-pm25-2025").update(comparator=">="), "where lower is better"),
        (lambda r: _target(r, "air-pm25-2025").update(id="air-good-days-2025"), "appears 2 times"),
        (lambda r: _target(r, "air-pm25-jjj4-2025").pop("baseline"), "needs a baseline"),
        (lambda r: _target(r, "air-good-days-2025").pop("value"), "needs a value"),
        (lambda r: _target(r, "air-heavy-days-2025").update(value=3), "takes no value other than 0"),
        (lambda r: _target(r, "water-outfalls-2025").pop("requirement"), "requirement"),
        (lambda r: _target(r, "air-good-days-2025").update(year=2030), "outside 2020..2025"),
        (lambda r: _target(r, "air-good-days-2025").update(flags=["strive", "strive"]), "repeated flag"),
        (lambda r: _target(r, "air-good-days-2025").update(flags=["hopefully"]), "flags"),
        (lambda r: _target(r, "air-good-days-2025").update(colour="red"), "colour"),
        (lambda r: _target(r, "forest-cover-2020").update(comparator=">="), "context row"),
        (lambda r: _target(r, "air-good-days-2025").update(per_member=True), "per_member needs a group"),
        (
            lambda r: _target(r, "lake-wuxing-class-2025")["baseline"].pop("note"),
            "derived value says in its note",
        ),
    ],
)
def test_inconsistent_plan_rejected(tmp_path: Path, change, message) -> None:
    raw = raw_plan()
    change(raw)
    path = write(tmp_path, raw)
    with pytest.raises(PlanError, match=message) as info:
        load_plan(path)
    assert str(path) in str(info.value)


def test_error_names_target_id(tmp_path: Path) -> None:
    raw = raw_plan()
    _target(raw, "air-o3-jjj4-2025")["value"] = "five"
    with pytest.raises(PlanError, match=r"targets\.air-o3-jjj4-2025\.value"):
        load_plan(write(tmp_path, raw))


def test_target_model_alone() -> None:
    base = {
        "id": "x-2025",
        "name": {"zh": "甲", "en": "A"},
        "category": "air",
        "scope": "province",
        "indicator": "air.good_day_ratio",
        "unit": "%",
        "kind": "computed",
        "clause": "到2025年,优良天数比例达到80%",
    }
    t = Target.model_validate({**base, "comparator": ">=", "value": 80, "year": 2025})
    assert t.flags == [] and t.per_member is False
    with pytest.raises(ValueError, match="assigned target has no value"):
        Target.model_validate({**base, "comparator": ">=", "value": 80, "year": 2025, "flags": ["assigned"]})
    with pytest.raises(ValueError, match="value_high"):
        Target.model_validate({**base, "comparator": ">=", "value": 80, "value_high": 70, "year": 2025})
    with pytest.raises(ValueError, match="no line break"):
        Target.model_validate({**base, "comparator": ">=", "value": 80, "year": 2025, "clause": "甲\n乙丙丁"})
