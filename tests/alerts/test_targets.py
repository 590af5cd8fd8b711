"""Target warnings from the yearly status of the real plan's PM2.5 target (44 in 2020 -> below 40 in 2025)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ecoplan.alerts import store as ws
from ecoplan.alerts import targets as tw
from ecoplan.plan import load_plan


@pytest.fixture(scope="module")
def plan():
    return load_plan("shanxi-2021-2025")


def values(series: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"indicator": "air.pm25_mean", "scope": "province", "year": y, "origin": "computed", "value": v,
             "unit": "ug/m3", "method": "test", "note": None}
            for y, v in series.items()
        ]
    )  # fmt: skip


# Status at the end of each year (ratio = -CAGR / |(40/44)^(1/5) - 1|):
# 2021 45: deterioration; 2022 46: deterioration; 2023 42: (42/44)^(1/3) -> R 0.815, acceleration needed;
# 2024 43.5: (43.5/44)^(1/4) -> R 0.151, limited progress.
SERIES = {2020: 44.0, 2021: 45.0, 2022: 46.0, 2023: 42.0, 2024: 43.5}


def test_status_turning_bad(plan) -> None:
    found = [
        w for w in tw.target_warnings(values(SERIES), plan) if w["rule"] == "target_status:air-pm25-2025"
    ]
    assert len(found) == 2
    first, second = sorted(found, key=lambda w: w["start_time"])
    # 2021-2022 in deterioration: orange, over the two years, recovered since
    assert (first["start_time"], first["end_time"]) == (dt.datetime(2021, 1, 1), dt.datetime(2023, 1, 1))
    assert first["level"] == "orange" and first["active"] is False
    assert [y["status"] for y in first["evidence"]["years"]] == ["deterioration", "deterioration"]
    assert first["evidence"]["status_before"] is None
    assert "已恢复" in first["message_zh"]
    # 2024 turns to limited progress from acceleration needed: yellow, active at the latest year
    assert second["level"] == "yellow" and second["active"] is True
    assert second["evidence"]["status_before"] == "acceleration_needed"
    assert second["evidence"]["years"][0]["ratio"] == pytest.approx(
        -((43.5 / 44) ** 0.25 - 1) / abs((40 / 44) ** 0.2 - 1), rel=1e-12
    )
    assert second["scope"] == "province" and second["scope_type"] == "province"
    assert second["message_zh"] == (
        "目标“细颗粒物年平均浓度”(province)进展预警：2024年起进展有限；2024年值43.5 ug/m3，目标2025年低于40 ug/m3"
    )
    assert first["message_en"] == (
        "Target 'PM2.5 annual mean' (province): deterioration from 2021; 46 ug/m3 in 2022, "
        "target below 40 ug/m3 by 2025; since recovered"
    )


def test_projection_misses(plan) -> None:
    found = [
        w for w in tw.target_warnings(values(SERIES), plan) if w["rule"] == "target_projection:air-pm25-2025"
    ]
    # every year's projection stays at or above 40: one warning over 2021-2024, active
    assert len(found) == 1
    w = found[0]
    assert (w["start_time"], w["end_time"], w["active"]) == (
        dt.datetime(2021, 1, 1),
        dt.datetime(2025, 1, 1),
        True,
    )
    last = w["evidence"]["years"][-1]
    assert last["projected_value"] == pytest.approx(43.5 * (43.5 / 44) ** (1 / 4), rel=1e-12)
    # an on-track series has no projection warning
    good = tw.target_warnings(values({2020: 44.0, 2021: 43.0, 2022: 42.0, 2023: 41.0}), plan)
    assert not [x for x in good if x["rule"].startswith("target_projection:air-pm25-2025")]
    assert not [x for x in good if x["rule"].startswith("target_status:air-pm25-2025")]


def test_projection_tolerance(plan) -> None:
    rules = ws.load_alert_rules()
    rules = {**rules, "targets": {**rules["targets"], "projection_tolerance": 0.2}}
    found = tw.target_warnings(values(SERIES), plan, rules=rules)
    # projections to 2025: 2021 45 * (45/44)^4 = 49.2; 2022 46 * (46/44)^(3/2) = 49.2; 2023 42 * (42/44)^(2/3)
    # = 40.7; 2024 43.5 * (43.5/44)^(1/4) = 43.4. Only 2021 and 2022 miss 40 by more than 20 % (above 48).
    proj = [w for w in found if w["rule"] == "target_projection:air-pm25-2025"]
    assert len(proj) == 1
    assert [y["year"] for y in proj[0]["evidence"]["years"]] == [2021, 2022]
    assert proj[0]["active"] is False


def test_no_projection_warning_once_the_target_year_has_come(plan) -> None:
    found = tw.target_warnings(values({2020: 44.0, 2023: 43.0, 2025: 42.0}), plan)
    proj = [w for w in found if w["rule"] == "target_projection:air-pm25-2025"]
    # 2023's projection misses (warned); in 2025 the status itself says the target was missed
    assert [y["year"] for y in proj[0]["evidence"]["years"]] == [2023]
    assert proj[0]["active"] is False
    status = [w for w in found if w["rule"] == "target_status:air-pm25-2025"]
    assert status[0]["evidence"]["years"][-1]["year"] == 2025


def test_counting_units_in_chinese(plan) -> None:
    rows = pd.DataFrame(
        [
            {"indicator": "water.class_i_iii_count", "scope": "basin:桑干河", "year": y, "origin": "computed",
             "value": v, "unit": "sections", "method": "test", "note": None}
            for y, v in ((2020, 3.0), (2022, 3.0))
        ]
    )  # fmt: skip
    found = [
        w
        for w in tw.target_warnings(rows, plan)
        if w["rule"] == "target_status:water-sanggan-good-count-2025"
    ]
    assert "2022年值3个断面，目标2025年不低于4个断面" in found[0]["message_zh"]
    assert "3 sections in 2022, target at least 4 sections by 2025" in found[0]["message_en"]


def test_saved_once(plan, store) -> None:
    found = tw.target_warnings(values(SERIES), plan)
    families = [("target", r) for r in tw.RULES]
    ws.save_warnings(store, found, families=families)
    again = ws.save_warnings(store, tw.target_warnings(values(SERIES), plan), families=families)
    assert again["unchanged"] == len(found) and again["inserted"] == 0
