"""Training science against values worked out by hand (the arithmetic is in the comments), and
against published tables where there are some (Daniels' VDOT). Unit tests of one engine module's
own rules, so they import it directly (see conftest)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from engine.training import science
from engine.training.science import Goal, Run


def test_banister_trimp_by_hand() -> None:
    # rest 50, max 190, HR 150: HRr = 100/140 = 0.714286
    # male:   60 · 0.714286 · 0.64 · e^(1.92 · 0.714286) = 60 · 0.714286 · 0.64 · 3.94100 = 108.10
    # female: 60 · 0.714286 · 0.64 · e^(1.67 · 0.714286) = 60 · 0.714286 · 0.64 · 3.29650 =  90.42
    hrr = science.heart_rate_reserve(150, 50, 190)
    assert hrr == pytest.approx(0.714286, abs=1e-6)
    assert science.banister_trimp(60, hrr, "male") == pytest.approx(108.10, abs=0.01)
    assert science.banister_trimp(60, hrr, "female") == pytest.approx(90.42, abs=0.01)


def test_trimp_from_samples_sums_each_sample_and_covers_strap_dropouts() -> None:
    # 30 min at HR 150 then 30 min at HR 120 (rest 50, max 190, male):
    #   HRr 0.714286 → 30 · 0.714286 · 0.64 · 3.94100 = 54.05
    #   HRr 0.5      → 30 · 0.5 · 0.64 · e^0.96 (2.61170) = 25.07            total 79.12
    seconds = [0.0, 1800.0, 3600.0]
    assert science.trimp_from_samples(seconds, [150, 120, None], resting_hr=50, max_hr=190) == pytest.approx(
        79.12, abs=0.01
    )
    # A 20-minute strap dropout in a 60-minute run takes the average load of the 40 minutes that
    # have a rate: 40 min at HRr 0.714286 = 54.05 · 40/30 = 72.07, scaled by 60/40 = 108.10.
    gap = [0.0, 2400.0, 3600.0]
    assert science.trimp_from_samples(gap, [150, None, None], resting_hr=50, max_hr=190) == pytest.approx(
        54.05 * 40 / 30 * 60 / 40, abs=0.02
    )
    # Less than half the run with a heart rate: no heart-rate TRIMP at all (an estimate is used).
    assert science.trimp_from_samples([0, 1000, 3600], [150, None, None], resting_hr=50, max_hr=190) is None


def test_estimates_without_heart_rate_are_bounded_and_monotonic() -> None:
    threshold = 1000 / 270  # 4:30 per km
    assert science.hrr_from_pace(threshold, threshold) == pytest.approx(0.9)
    # 80 % of threshold speed: 0.9 − 1.2 · 0.2 = 0.66
    assert science.hrr_from_pace(0.8 * threshold, threshold) == pytest.approx(0.66)
    assert (
        science.hrr_from_pace(0.1, threshold) == 0.3 and science.hrr_from_pace(2 * threshold, threshold) == 1
    )
    assert science.hrr_from_rpe(1) == pytest.approx(0.365) and science.hrr_from_rpe(10) == pytest.approx(0.95)
    with pytest.raises(ValueError, match="outside 1-10"):
        science.hrr_from_rpe(11)


def test_rolling_acwr_by_hand_with_rest_days_and_unknown_days() -> None:
    # 21 days at 10, then a week at 30: acute 30, chronic (21·10 + 7·30)/28 = 15, ratio 2.0
    spike = science.rolling_acwr([10.0] * 21 + [30.0] * 7)
    assert (spike.acute, spike.chronic, spike.ratio, spike.zone) == (30.0, 15.0, 2.0, "danger")
    # A week of rest days is load 0, not missing: acute 0, chronic 210/28 = 7.5, ratio 0
    rest = science.rolling_acwr([10.0] * 21 + [0.0] * 7)
    assert (rest.acute, rest.chronic, rest.ratio, rest.zone) == (0.0, 7.5, 0.0, "low")
    # 14 unknown days then 14 days at 10. skip: both windows average their known days, ratio 1.0;
    # zero: unknown days count as rest, chronic 140/28 = 5, ratio 2.0. The choice is explicit.
    loads: list[float | None] = [None] * 14 + [10.0] * 14
    skip = science.rolling_acwr(loads, "skip")
    zero = science.rolling_acwr(loads, "zero")
    assert (skip.chronic, skip.ratio, skip.chronic_days) == (10.0, 1.0, 14)
    assert (zero.chronic, zero.ratio, zero.chronic_days) == (5.0, 2.0, 14)
    # Fewer than 7 known days: no ratio rather than a guess.
    assert science.rolling_acwr([None] * 22 + [10.0] * 6).ratio is None


def test_rolling_series_matches_the_single_day_function_everywhere() -> None:
    loads: list[float | None] = [None] * 5 + [float(i % 9) * 7 for i in range(60)] + [0.0] * 3
    series = science.rolling_series(loads)
    for i in range(1, len(loads) + 1):
        one = science.rolling_acwr(loads[:i])
        assert (series[i - 1].acute, series[i - 1].chronic) == pytest.approx((one.acute, one.chronic))
        assert series[i - 1].ratio == (pytest.approx(one.ratio) if one.ratio is not None else None)


def test_ewma_acwr_by_hand_and_missing_days() -> None:
    # Seed: mean of the first 7 known days = 10. Day 8 at 40:
    #   acute   = 0.25 · 40 + 0.75 · 10            = 17.5
    #   chronic = (2/29) · 40 + (27/29) · 10 = 350/29 = 12.0690      ratio 1.45
    day8 = science.ewma_acwr([10.0] * 7 + [40.0])
    assert (day8.acute, day8.chronic, day8.ratio) == pytest.approx((17.5, 350 / 29, 1.45))
    # skip: an unknown day carries both averages over unchanged, so day 9 equals day 8 above.
    assert science.ewma_acwr([10.0] * 7 + [None, 40.0], "skip").ratio == pytest.approx(1.45)
    # zero: the unknown day is a rest day: acute 7.5, chronic 270/29 = 9.3103; then 40:
    #   acute 0.25 · 40 + 0.75 · 7.5 = 15.625; chronic (2/29) · 40 + (27/29) · 9.3103 = 11.4269
    zero = science.ewma_acwr([10.0] * 7 + [None, 40.0], "zero")
    assert (zero.acute, zero.chronic, zero.ratio) == pytest.approx((15.625, 11.4269, 1.3674), abs=1e-4)


def test_daily_loads_mark_days_before_the_first_activity_unknown() -> None:
    d = date(2026, 3, 1)
    loads = science.daily_loads(
        {d + timedelta(days=2): 50.0, d + timedelta(days=4): 20.0}, d, d + timedelta(5)
    )
    assert loads == [None, None, 50.0, 0.0, 20.0, 0.0]


def test_race_equivalence_by_hand_and_against_daniels_tables() -> None:
    # Riegel: 10 km in 45:00 → half: 2700 · (21097.5/10000)^1.06 = 2700 · 2.20640 = 5957.3 s (1:39:17)
    assert science.riegel(2700, 10_000, 21_097.5) == pytest.approx(5957.3, abs=0.1)
    # VDOT: 5 km in 20:00: v = 250 m/min, VO2 = −4.60 + 0.182258·250 + 0.000104·250² = 47.4645,
    # fraction = 0.8 + 0.1894393·e^(−0.25556) + 0.2989558·e^(−3.86521) = 0.95299 → 49.81
    assert science.vdot(5000, 1200) == pytest.approx(49.81, abs=0.01)
    # Daniels' published table: VDOT 50 ↔ 5 km 19:57, marathon 3:10:49 (within a few seconds).
    assert science.vdot_time(50, 5000) == pytest.approx(19 * 60 + 57, abs=3)
    assert science.vdot_time(50, 42_195) == pytest.approx(3 * 3600 + 10 * 60 + 49, abs=30)


def _steady_block(today: date) -> tuple[list[Run], list[float | None]]:
    # Three easy 8 km runs (48:00) in each of the last six weeks, on days today−k with k%7 ∈ {1,3,5},
    # and a 10 km in 45:00 four days ago; daily load a constant 50 for eight weeks (trend 0 %).
    runs = [Run(today - timedelta(days=k), 8000, 2880) for k in range(42) if k % 7 in (1, 3, 5)]
    runs.append(Run(today - timedelta(days=4), 10_000, 2700))
    return runs, [50.0] * 56


def test_goal_confidence_by_hand() -> None:
    today = date(2027, 2, 7)
    goal = Goal("the half marathon", 21_097.5, 5700, today + timedelta(days=70))
    runs, loads = _steady_block(today)
    result = science.goal_confidence(goal, runs, loads, today)
    # performance: predicted 5957.3 s; 10 weeks left allow 5 % → 5659.4 s; gap 5659.4/5700 − 1 =
    # −0.71 %; 100 / (1 + e^(−0.0071/0.02)) = 58.81. Trend: steady, 0. Consistency: 6 of 6 weeks → +10.
    # Score round(58.81 + 0 + 10) = 69.
    assert result.score == 69
    assert result.predicted_s == pytest.approx(5957.3, abs=0.1)
    assert result.vdot == pytest.approx(science.vdot(10_000, 2700))
    texts = [r.text for r in result.reasons]
    assert any("10.0 km in 45:00" in t and "1:39:17" in t and "1:35:00" in t for t in texts)
    assert any("6 of the last 6 weeks" in t for t in texts)
    assert any("steady" in t for t in texts)
    points = {r.text.split(" ")[0]: r.points for r in result.reasons}
    assert sum(points.values()) + 50 == pytest.approx(68.81, abs=0.01)


def test_goal_confidence_falls_with_a_dropping_load_a_spike_and_no_recent_run() -> None:
    today = date(2027, 2, 7)
    goal = Goal("the half marathon", 21_097.5, 5700, today + timedelta(days=70))
    runs, _ = _steady_block(today)
    dropping = science.goal_confidence(goal, runs, [60.0] * 28 + [40.0] * 28, today)  # −33 %
    assert dropping.score == 69 - 12 and any("dropping" in r.text for r in dropping.reasons)
    # A spike: 21 days at 50 then 7 at 150: ACWR 150/75 = 2.0 → −5 (and the load rose +50 %: +3).
    spiking = science.goal_confidence(goal, runs, [50.0] * 28 + [50.0] * 21 + [150.0] * 7, today)
    assert any("ACWR 2.00" in r.text and r.points == -5 for r in spiking.reasons)
    assert spiking.score == round(58.81 + 3 + 10 - 5)
    nothing = science.goal_confidence(goal, [], [None] * 56, today)
    assert nothing.predicted_s is None and nothing.score == 40  # 50, no trend, 0 of 6 weeks: −10
    assert any("no run of 4 km or more" in r.text for r in nothing.reasons)


def test_taper_before_the_race_is_not_a_loss() -> None:
    today = date(2027, 4, 8)
    goal = Goal("the half marathon", 21_097.5, 5700, today + timedelta(days=10))
    runs, _ = _steady_block(today)
    result = science.goal_confidence(goal, runs, [60.0] * 28 + [40.0] * 28, today)
    assert any("tapering" in r.text and r.points == 3 for r in result.reasons)
    assert not math.isnan(result.score)
