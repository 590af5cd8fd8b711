"""Heavy-pollution warning grading (ecoplan.alerts.pollution).

Rules [secondary]: the national 2019 guidance as applied in local plans (e.g. the
Xinzhou, Shanxi, bureau's reply of 2021-03-16): yellow AQI > 200 for >= 48 h,
orange >= 72 h, red >= 96 h with AQI > 300 for >= 48 h or AQI reaching 500;
episodes whose gap does not lift the warning merge at the higher level; lifted
after more than 36 h below the yellow condition. Episodes are hand-built here;
each expected figure is counted in the comments.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from ecoplan.alerts.pollution import (
    EPISODE_COLUMNS,
    RuleBook,
    RulesError,
    day_aqi_series,
    episodes_frame,
    grade_city,
    heavy_pollution_episodes,
    load_rules,
)

NATIONAL = load_rules().for_city(None)
T0 = pd.Timestamp("2024-01-01 01:00")  # first hourly label (end of the hour 00:00-01:00)


def series(*blocks: tuple[float, int], start: pd.Timestamp = T0) -> pd.Series:
    """A day-AQI series on an hourly grid from (value, hours) blocks."""
    values = np.concatenate([np.full(n, v, dtype=float) for v, n in blocks])
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="h"))


def grade(*blocks: tuple[float, int], rules=NATIONAL):
    return grade_city("太原市", series(*blocks), rules)


# ---------------------------------------------------------------------------
# Levels at their exact boundaries


def test_yellow_needs_48_hours():
    # 10 h clean, 48 h at 250, 40 h clean: one yellow episode of 48 h.
    [e] = grade((100, 10), (250, 48), (100, 40))
    assert e.level == "yellow" and e.level_zh == "黄色"
    assert e.duration_hours == 48 and e.hours_above_200 == 48 and e.hours_above_300 == 0
    # The run starts with the 11th hour (label 11:00, i.e. the hour 10:00-11:00).
    assert e.start == pd.Timestamp("2024-01-01 10:00") and e.end == pd.Timestamp("2024-01-03 10:00")
    # 47 h: no warning.
    assert grade((100, 10), (250, 47), (100, 40)) == []


def test_exactly_200_is_not_heavy():
    # "AQI > 200": 48 h at exactly 200 is not a heavy-pollution hour.
    assert grade((100, 10), (200, 48), (100, 40)) == []
    [e] = grade((100, 10), (200.5, 48), (100, 40))
    assert e.level == "yellow"


def test_orange_needs_72_hours():
    [e71] = grade((100, 10), (250, 71), (100, 40))
    assert e71.level == "yellow"
    [e72] = grade((100, 10), (250, 72), (100, 40))
    assert e72.level == "orange" and e72.level_zh == "橙色" and e72.duration_hours == 72


def test_red_needs_96_hours_with_48_hours_above_300():
    # 48 h at 250 then 48 h at 350: 96 h > 200 and 48 consecutive h > 300 -> red.
    [red] = grade((100, 10), (250, 48), (350, 48), (100, 40))
    assert red.level == "red" and red.level_zh == "红色"
    assert red.duration_hours == 96 and red.hours_above_200 == 96 and red.hours_above_300 == 48
    fired = red.evidence["fired"]["measured"]
    assert [m["hours_measured"] for m in fired] == [96, 48]
    # 95 h (47 at 250 + 48 at 350): not 96 h above 200 -> orange.
    [e95] = grade((100, 10), (250, 47), (350, 48), (100, 40))
    assert e95.level == "orange"
    # 96 h above 200 but only 47 h above 300 -> orange.
    [e47] = grade((100, 10), (250, 49), (350, 47), (100, 40))
    assert e47.level == "orange"
    # 48 h above 300 but not consecutive (24 + 24, split by 24 h at 250): longest 24 -> orange.
    [split] = grade((100, 10), (350, 24), (250, 24), (350, 24), (250, 24), (100, 40))
    assert split.level == "orange" and split.hours_above_300 == 48


def test_red_when_aqi_reaches_500():
    # A single day at 500 (24 h): red whatever the duration.
    [e] = grade((100, 30), (500, 24), (100, 40))
    assert e.level == "red" and e.duration_hours == 24 and e.max_aqi == 500
    assert "500" in e.rule
    # A single hour at 500 is enough ("达到500", no duration in the 2019 guidance).
    [one] = grade((100, 30), (500, 1), (100, 40))
    assert one.level == "red" and one.duration_hours == 1
    # 499.9 for 24 h: heavy but too short for any level.
    assert grade((100, 30), (499.9, 24), (100, 40)) == []


# ---------------------------------------------------------------------------
# Merging and lifting


def test_close_episodes_merge_at_the_higher_level():
    # Yellow (48 h), 36 h below, orange (72 h): the gap does not lift (it needs more than 36 h),
    # so one episode, orange, from the first run's start to the second run's end:
    # 48 + 36 + 72 = 156 h, of which 120 h above 200.
    [e] = grade((100, 40), (250, 48), (150, 36), (260, 72), (100, 40))
    assert e.level == "orange"
    assert e.duration_hours == 156 and e.hours_above_200 == 120
    assert e.start == T0 + pd.Timedelta(hours=40) - pd.Timedelta(hours=1)
    assert [r["level"] for r in e.evidence["runs"]] == ["yellow", "orange"]
    assert e.evidence["fired"]["start"] == (T0 + pd.Timedelta(hours=40 + 48 + 36 - 1)).isoformat()


def test_distant_episodes_stay_apart():
    # The same with 37 h below: the warning is lifted in between -> two episodes.
    first, second = grade((100, 40), (250, 48), (150, 37), (260, 72), (100, 40))
    assert (first.level, second.level) == ("yellow", "orange")
    assert (first.duration_hours, second.duration_hours) == (48, 72)
    assert first.lifted and first.lift_from == first.end


def test_lifted_only_after_more_than_36_hours_below():
    # After the run, 37 h below: lifted, from the end of the run.
    [e] = grade((100, 10), (250, 48), (100, 37))
    assert e.lifted and e.lift_from == e.end
    # 36 h below and then the data ends: not (yet) lifted.
    [open_] = grade((100, 10), (250, 48), (100, 36))
    assert not open_.lifted and open_.lift_from is None


def test_an_hour_at_200_counts_toward_the_lift_and_a_missing_hour_interrupts_it():
    # 37 h at exactly 200 (not above 200: below the yellow condition) lift the warning.
    first, second = grade((100, 5), (250, 48), (200, 37), (250, 48), (100, 40))
    assert first.level == second.level == "yellow"
    # 20 h clean, 1 h missing, 20 h clean: no 37 consecutive clean hours -> one episode.
    [e] = grade((100, 5), (250, 48), (100, 20), (np.nan, 1), (100, 20), (250, 48), (100, 40))
    assert e.duration_hours == 48 + 41 + 48
    assert e.evidence["missing_hours"] == 1


def test_a_short_leading_run_joins_the_episode():
    # 20 h above 200, 10 h below, 48 h above 200: one pollution process, warned yellow from its start.
    [e] = grade((100, 10), (250, 20), (150, 10), (250, 48), (100, 40))
    assert e.level == "yellow"
    assert e.duration_hours == 20 + 10 + 48 and e.hours_above_200 == 68
    assert e.start == T0 + pd.Timedelta(hours=9)
    # Two short runs (30 h each) never reach a level alone: no warning in the default mode.
    assert grade((100, 10), (250, 30), (150, 10), (250, 30), (100, 40)) == []


def test_pooled_mode_counts_hours_over_the_episode(tmp_path):
    user = tmp_path / "pooled.toml"
    user.write_text('[merge]\nmode = "pooled"\n', encoding="utf-8")
    pooled = load_rules(user).for_city(None)
    # 30 h + 30 h above 200 in one episode: 60 h >= 48 -> yellow when pooled.
    [e] = grade((100, 10), (250, 30), (150, 10), (250, 30), (100, 40), rules=pooled)
    assert e.level == "yellow"
    assert e.evidence["fired"]["measured"][0]["hours_measured"] == 60
    # 96 h at 250, 10 h gap, 48 h at 350: runs alone are orange and yellow (higher level: orange);
    # pooled, 144 h above 200 and 48 h above 300 -> red.
    blocks = ((100, 10), (250, 96), (150, 10), (350, 48), (100, 40))
    assert grade(*blocks)[0].level == "orange"
    assert grade(*blocks, rules=pooled)[0].level == "red"


# ---------------------------------------------------------------------------
# Input tables


def daily_table(city: str, first: str, values: list[float]) -> pd.DataFrame:
    dates = pd.date_range(first, periods=len(values), freq="D")
    return pd.DataFrame({"city": city, "date": dates.strftime("%Y-%m-%d"), "aqi": values})


def test_daily_values_stand_for_24_hours_each():
    # Days 2..3 at 250 -> hours 2024-01-02 00:00 .. 2024-01-04 00:00, 48 h: yellow.
    # Then 2 days at 150 (48 h below > 36 h): lifted from 2024-01-04 00:00.
    daily = daily_table("太原市", "2024-01-01", [150, 250, 250, 150, 150])
    [e] = heavy_pollution_episodes(daily)
    assert e.level == "yellow"
    assert e.start == pd.Timestamp("2024-01-02 00:00") and e.end == pd.Timestamp("2024-01-04 00:00")
    assert e.duration_hours == 48
    assert e.lifted and e.lift_from == pd.Timestamp("2024-01-04 00:00")
    assert e.evidence["values"] == [
        {"date": "2024-01-02", "aqi": 250.0},
        {"date": "2024-01-03", "aqi": 250.0},
    ]
    assert "daily values" in e.evidence["day_aqi"]


def test_daily_forecast_with_chinese_headers_and_several_cities():
    rows = [
        {"城市": "大同市", "日期": "2024-01-01", "AQI": 260},
        {"城市": "大同市", "日期": "2024-01-02", "AQI": 270},
        {"城市": "大同市", "日期": "2024-01-03", "AQI": 280},
        {"城市": "太原市", "日期": "2024-01-01", "AQI": 320},
        {"城市": "太原市", "日期": "2024-01-02", "AQI": 330},
        {"城市": "太原市", "日期": "2024-01-03", "AQI": 240},
        {"城市": "太原市", "日期": "2024-01-04", "AQI": 210},
    ]
    # 大同: 3 days > 200 = 72 h -> orange; 太原: 4 days > 200 (96 h) with 2 days > 300 (48 h) -> red.
    eps = heavy_pollution_episodes(rows)
    assert [(e.city, e.level) for e in eps] == [("大同市", "orange"), ("太原市", "red")]


def test_hourly_values_use_the_24_hour_moving_mean():
    # 24 h at 100, 72 h at 250, 60 h at 100 (hourly AQI). The day AQI at an hour is the mean of the
    # 24 hours ending there: with k hours at 250, (250 k + 100 (24 - k)) / 24 > 200 needs k >= 17
    # (k = 16 gives exactly 200). Rising: from the 17th hour at 250 (index 24 + 16 = 40); falling:
    # until the window ending 7 hours after the run (index 24 + 72 + 6 = 102).
    # So 102 - 40 + 1 = 63 h above 200: yellow, not orange.
    values = np.concatenate([np.full(24, 100.0), np.full(72, 250.0), np.full(60, 100.0)])
    times = pd.date_range(T0, periods=len(values), freq="h")
    hourly = pd.DataFrame({"city": "太原市", "time": times, "aqi": values})
    [e] = heavy_pollution_episodes(hourly=hourly)
    assert e.level == "yellow"
    assert e.duration_hours == 63
    assert e.start == times[40] - pd.Timedelta(hours=1) and e.end == times[102]
    assert e.max_aqi == 250
    assert "24 hours ending at each hour" in e.evidence["day_aqi"]
    assert e.evidence["values"][0] == {"time": times[40].isoformat(), "aqi": 250.0, "day_aqi": 206.25}


def test_hourly_moving_mean_needs_20_valid_hours():
    # GB 3095 daily validity (>= 20 hourly values) applied to the moving mean.
    times = pd.date_range(T0, periods=30, freq="h")
    hourly = pd.DataFrame({"city": "A", "time": times, "aqi": np.full(30, 100.0)})
    rules = load_rules().for_city("A")
    s, _ = day_aqi_series(None, hourly, rules)
    assert s.iloc[:19].isna().all() and s.iloc[19] == 100.0
    # Drop 5 hours from the window ending at hour 30: 19 values left -> missing there.
    gappy = hourly.drop(index=[25, 26, 27, 28, 29 - 5])
    s2, _ = day_aqi_series(None, gappy, rules)
    assert np.isnan(s2.iloc[29])


def test_hourly_observations_lead_into_a_daily_forecast():
    # Observed hours of 2024-01-01 (24 h at 100) then a daily forecast for 01-02 and 01-03 (250 each):
    # hours 1..19 of the 1st have no valid mean (fewer than 20 hours) and no daily value: missing;
    # the forecast days give 48 h > 200 -> yellow from 2024-01-02 00:00.
    hourly = pd.DataFrame(
        {"city": "太原市", "time": pd.date_range(T0, periods=24, freq="h"), "aqi": np.full(24, 100.0)}
    )
    daily = daily_table("太原市", "2024-01-02", [250, 250])
    [e] = heavy_pollution_episodes(daily, hourly)
    assert e.level == "yellow" and e.start == pd.Timestamp("2024-01-02 00:00") and e.duration_hours == 48
    assert "daily values" in e.evidence["day_aqi"] and "hourly values" in e.evidence["day_aqi"]


# ---------------------------------------------------------------------------
# Per-city stricter conditions


def test_per_city_override_from_a_user_file(tmp_path):
    user = tmp_path / "cities.toml"
    user.write_text(
        "[meta]\n"
        'source = "a city plan (test)"\n'
        '[cities."太原市".levels.yellow]\n'
        "rules = [{ all = [{ above = 200, hours = 24 }] }]\n"
        '[cities."太原市".lift]\n'
        "aqi_at_most = 150\n",
        encoding="utf-8",
    )
    book = load_rules(user)
    taiyuan = book.for_city("太原")  # matches "太原市"
    assert taiyuan.city == "太原市"
    assert "levels.yellow.rules" in taiyuan.overrides and "lift.aqi_at_most" in taiyuan.overrides
    assert book.for_city("大同市").city is None
    # One day at 250: yellow in 太原 (24 h), nothing in 大同 (national 48 h).
    daily = pd.concat(
        [
            daily_table("太原市", "2024-01-01", [120, 250, 120, 120]),
            daily_table("大同市", "2024-01-01", [120, 250, 120, 120]),
        ]
    )
    eps = heavy_pollution_episodes(daily, rules=book)
    assert [(e.city, e.level) for e in eps] == [("太原市", "yellow")]
    assert eps[0].evidence["rules"]["city_override"] == "太原市"
    assert "a city plan (test)" in eps[0].evidence["rules"]["source"]
    # The stricter lift (AQI <= 150): 48 h at 180 between two yellow days does not lift in 太原.
    two = pd.concat(
        [
            daily_table("太原市", "2024-02-01", [250, 180, 180, 250, 120, 120]),
            daily_table("大同市", "2024-02-01", [250, 250, 180, 180, 250, 250]),
        ]
    )
    eps = heavy_pollution_episodes(two, rules=book)
    taiyuan_eps = [e for e in eps if e.city == "太原市"]
    assert len(taiyuan_eps) == 1 and taiyuan_eps[0].duration_hours == 96
    # 大同 (national lift AQI <= 200): 48 h at 180 lifts -> two yellow episodes.
    assert [e.level for e in eps if e.city == "大同市"] == ["yellow", "yellow"]


def test_per_city_override_in_the_table_layout():
    # The same layout works inside a table given as a dict (as if in heavy_pollution.toml).
    raw = copy.deepcopy(load_rules().raw)
    raw["cities"] = {"晋城市": {"levels": {"orange": {"rules": [{"all": [{"above": 200, "hours": 48}]}]}}}}
    book = RuleBook(raw)
    [e] = grade_city("晋城市", series((100, 5), (250, 48), (100, 40)), book.for_city("晋城市"))
    assert e.level == "orange"


# ---------------------------------------------------------------------------
# Table file and errors


def test_national_table_carries_source_and_certainty():
    assert NATIONAL.certainty == "secondary"
    assert "2019" in NATIONAL.source
    assert [lv.key for lv in NATIONAL.levels] == ["yellow", "orange", "red"]
    assert all(lv.certainty == "secondary" for lv in NATIONAL.levels)
    assert (NATIONAL.episode_above, NATIONAL.lift_aqi_at_most, NATIONAL.lift_hours_more_than) == (
        200,
        200,
        36,
    )


def test_bad_rules_are_refused(tmp_path):
    low = tmp_path / "low.toml"
    low.write_text(
        '[cities."X".levels.yellow]\nrules = [{ all = [{ above = 150, hours = 48 }] }]\n', encoding="utf-8"
    )
    with pytest.raises(RulesError, match=r"cities\.X.*not above episode.above"):
        load_rules(low)
    mode = tmp_path / "mode.toml"
    mode.write_text('[merge]\nmode = "sometimes"\n', encoding="utf-8")
    with pytest.raises(RulesError, match="mode must be one of"):
        load_rules(mode)
    with pytest.raises(RulesError, match="no such warning table file"):
        load_rules(tmp_path / "absent.toml")


def test_input_errors_name_row_and_column():
    bad = pd.DataFrame({"city": ["A", "A"], "date": ["2024-01-01", "2024-01-02"], "aqi": [120, "high"]})
    with pytest.raises(ValueError, match="row 2, column aqi: not a number"):
        heavy_pollution_episodes(bad)
    dup = pd.DataFrame({"city": ["A", "A"], "date": ["2024-01-01", "2024-01-01"], "aqi": [120, 130]})
    with pytest.raises(ValueError, match="rows 1, 2: two AQI values"):
        heavy_pollution_episodes(dup)
    with pytest.raises(ValueError, match="no column 'aqi'"):
        heavy_pollution_episodes(pd.DataFrame({"city": ["A"], "date": ["2024-01-01"]}))
    with pytest.raises(ValueError, match="negative AQI"):
        heavy_pollution_episodes(pd.DataFrame({"city": ["A"], "date": ["2024-01-01"], "aqi": [-3]}))
    with pytest.raises(ValueError, match="row 1, column time: not on the hour"):
        heavy_pollution_episodes(
            hourly=pd.DataFrame({"city": ["A"], "time": ["2024-01-01 10:30"], "aqi": [100]})
        )
    with pytest.raises(ValueError, match="daily and/or an hourly"):
        heavy_pollution_episodes()


def test_missing_aqi_cells_are_missing_hours():
    # A missing day breaks a run: 250, missing, 250 -> two 24 h runs, no level.
    daily = pd.DataFrame(
        {"city": "A", "date": ["2024-01-01", "2024-01-02", "2024-01-03"], "aqi": [250, None, 250]}
    )
    assert heavy_pollution_episodes(daily) == []


def test_frame_and_evidence_are_serialisable():
    daily = daily_table("太原市", "2024-01-01", [150, 250, 320, 320, 260, 100])
    eps = heavy_pollution_episodes(daily)
    frame = episodes_frame(eps)
    assert list(frame.columns) == list(EPISODE_COLUMNS)
    evidence = json.loads(frame.loc[0, "evidence"])
    assert evidence["level_zh"] == "红色"
    assert evidence["rules"]["certainty"] == "secondary"
    assert json.loads(json.dumps(eps[0].to_dict(), ensure_ascii=False))["level"] == "red"
    assert frame.loc[0, "rule_zh"].startswith("日AQI>200持续96小时")
