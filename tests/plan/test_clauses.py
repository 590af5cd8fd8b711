"""The bundled plan against the plan text, and the number normaliser.

The text is ``../shared/plan/shanxi-2021-2025-eco-plan.zh.txt`` beside the
project (the copy the plan file quotes; its README lists the republisher's
rewrites). Each target's clause must stand in it verbatim and every figure of
the row must be written in its clause. Conversely every Arabic number of the
text must be taken up by a row or be listed below with the reason it is not a
target, so that nothing quantified is dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecoplan.plan import DEFAULT_PLAN, clause_problems, load_plan, numbers_in
from ecoplan.plan.model import Plan, unit_scale

from ..conftest import SHARED, need

TEXT = SHARED / "plan" / "shanxi-2021-2025-eco-plan.zh.txt"
MINI = Path(__file__).resolve().parents[1] / "data" / "plan"

PLAN = load_plan(DEFAULT_PLAN)

# Numbers of the text that no row takes up, each with a verbatim snippet around it
# and the reason. Group sizes ("4市") are checked against the groups instead.
NOT_TARGETS = {
    "全省58个地表水国考断面": "the number of national sections in 2020 (baseline of the section targets)",
    "11个设区市中除大同、吕梁市外细颗粒物全部超标": "2020 situation (9 of 11 cities above the PM2.5 limit), no figure written",
    "力争进入“3时代”": "names the thirties; the figure is 'below 40'",
    "年货运量150万吨以上": "eligibility for rail-siding support, not a goal",
    "重型车国6a排放标准": "name of a standard (China 6a)",
    "重型车国6b排放标准": "name of a standard (China 6b)",
    "太原及周边“1+30”": "name of a joint-control region (Taiyuan and 30 counties); members not listed",
    "鼓励人口50万以上的县(市)": "encouragement with a population threshold, not a goal",
    "五大区域9市49县(市、区)和8个省直林局": "extent of a programme, not a goal",
    "沿黄1号旅游公路": "name of a road",
    "力争将晋北大同、朔州、忻州3市纳入国家重点区域城市范畴": "a listing to seek from the State, not a figure",
    "辐射吕梁、忻州、阳泉、晋中4市的通道生态廊道": "extent of the Taiyuan corridors, not a goal",
    "大清河上游3河(县城段)": "extent of a project",
    "在中北部冷凉地区6市示范推广全生物降解地膜": "a demonstration in 6 unnamed cities, not a goal",
    "到2025年,因地制宜建设一批林下经济示范基地": "'一批' (a batch) is not a number",
}


def text() -> str:
    return need(TEXT).read_text(encoding="utf-8")


@pytest.mark.parametrize("target_id", [t.id for t in PLAN.targets])
def test_clause_verbatim_and_figures_in_it(target_id: str) -> None:
    body = text()
    t = PLAN.target(target_id)
    assert t.clause in body
    if t.baseline_clause is not None:
        assert t.baseline_clause in body
    one = PLAN.model_copy(update={"targets": [t]})
    assert clause_problems(one, body) == []


def test_whole_plan_checks() -> None:
    assert clause_problems(PLAN, text()) == []


def test_altered_figures_are_caught() -> None:
    body = text()
    raw = PLAN.model_dump()
    changes = {
        "air-pm25-2025": {"value": 39},
        "water-hutuo-good-share-2025": {"value": 76},
        "lake-yunzhu-class-2025": {"value": 4},
        "wastewater-towns-2022": {"year": 2023},
        "ecoflow-seven-rivers-2025": {"parameters": {"non_flood_min_pct_of_mean": 15}},
    }
    for t in raw["targets"]:
        t.update(changes.get(t["id"], {}))
        if t["id"] == "eco-erosion-area-2025":
            t["baseline"]["value"] = 7300  # 7.3万 is 73000
        if t["id"] == "forest-cover-2020":
            t["clause"] = t["clause"].replace("23.5", "23.6")
    problems = clause_problems(Plan.model_validate(raw), body)
    joined = "\n".join(problems)
    for target_id in [*changes, "eco-erosion-area-2025", "forest-cover-2020"]:
        assert f"target {target_id}:" in joined
    assert "forest-cover-2020: clause not found" in joined


def _spans(plan: Plan, body: str) -> list[tuple[int, int, set[float], str, int | None]]:
    """Where each row's clauses stand in the text, with the figures the row holds."""
    out = []
    for t in plan.targets:
        figures = {float(v) for v in (t.value, t.value_high, t.year) if v is not None}
        figures |= {float(v) for v in t.parameters.values()}
        if t.date is not None:
            figures |= {float(t.date.month), float(t.date.day)}
        b = t.baseline
        base = {float(v) for v in (b.value, b.year, b.from_year) if v is not None} if b else set()
        group = None
        scope = plan.resolve_scope(t.scope)
        if scope.type == "group":
            group = len(scope.members)
        for clause, figs in (
            (t.clause, figures | (base if t.role == "context" else set())),
            (t.baseline_clause, base),
        ):
            if not clause:
                continue
            start = 0
            while (i := body.find(clause, start)) >= 0:
                out.append((i, i + len(clause), figs, t.unit, group))
                start = i + 1
    return out


def test_every_number_of_the_text_is_taken_up() -> None:
    body = text()
    spans = _spans(PLAN, body)
    for snippet in NOT_TARGETS:
        assert snippet in body, snippet
    excluded = [(m.start(), m.end()) for s in NOT_TARGETS for m in re.finditer(re.escape(s), body)]
    missed = []
    for m in re.finditer(r"(\d+(?:\.\d+)?)([万亿])?", body):
        x = float(m.group(1))
        mult = {"万": 1e4, "亿": 1e8}.get(m.group(2) or "", 1.0)
        if any(a <= m.start() < b for a, b in excluded):
            continue
        is_group_size = body[m.end() : m.end() + 1] == "市" or body[m.end() : m.end() + 3] == "个设区"
        ok = False
        for a, b, figs, unit, group in spans:
            if not a <= m.start() < b:
                continue
            if any(abs(x - f) < 1e-9 or abs(x * mult - f * unit_scale(unit)) < 1e-6 for f in figs):
                ok = True
            elif is_group_size and group is not None and x == group:
                ok = True  # "4市", "11个设区城市": the size of the target's group
        if not ok:
            line = body.count("\n", 0, m.start()) + 1
            missed.append(f"line {line}: {body[max(0, m.start() - 12) : m.end() + 6]}")
    assert missed == []


def test_groups_listed_by_the_plan_are_in_the_text() -> None:
    body = text()
    for g in PLAN.groups:
        if g.source == "plan":
            for member in g.members:
                assert member.removesuffix("市") in body, (g.id, member)
    # the seven rivers and five lakes are listed in one sentence (line 67)
    assert (
        "以汾河、桑干河、漳河、滹沱河、沁河、涑水河、大清河“七河”及晋阳湖、漳泽湖、云竹湖、盐湖、伍姓湖“五湖”"
        in body
    )


def test_second_plan_checks_against_its_text() -> None:
    mini = load_plan(MINI / "mini-plan.yaml")
    body = (MINI / "mini-plan.zh.txt").read_text(encoding="utf-8")
    assert clause_problems(mini, body) == []
    assert clause_problems(mini, body.replace("80%", "85%"))  # a changed text no longer matches


# -- the normaliser ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("7.3万平方公里", [7.3, 73000]),
        ("1.57亿吨", [1.57, 1.57e8]),
        ("5600万亩", [5600, 5.6e7]),
        ("占比40.0%", [40]),
        ("0.5‰和3‰以下", [0.5, 3]),
        ("10~20个", [10, 20]),
        ("三年内", [3]),
        ("“十四五”期间", [14, 4, 5]),
        ("二〇三五年", [2035]),
        ("地表水Ⅳ类", [4]),
        ("地表水Ⅴ类", [5]),
        ("达到或优于Ⅲ类", [3]),
        ("劣V类水体", [6, 5]),
        ("IV类", [4]),
        ("一百二十", [120]),
        ("2021年7月1日起", [2021, 7, 1]),
    ],
)
def test_numbers_in(written: str, expected: list[float]) -> None:
    found = numbers_in(written)
    for x in expected:
        assert any(abs(f - x) <= 1e-9 * max(1, abs(x)) for f in found), (written, x, found)


def test_numbers_in_ignores_words() -> None:
    assert numbers_in("生态保护和修复") == []
    assert numbers_in("ECO得到休养生息") == []


def test_unit_scale() -> None:
    assert unit_scale("10^4 mu") == 1e4
    assert unit_scale("10^8 CNY") == 1e8
    assert unit_scale("km2") == 1
    assert unit_scale("m3/10^4 CNY") == 1
