"""Training science as pure functions: TRIMP, daily load, ACWR (rolling and EWMA), race-time
equivalence and the goal confidence score.

Nothing here reads the database or the clock, so every figure can be checked by hand in a test and
recomputed for any past day (the history of the goal confidence score is such a recomputation).

Missing days are explicit. A day's load is a number (0.0 is a rest day the coachee really took) or
None: nothing is known about that day (before the first recorded activity, or a day the caller
marks as untracked). `missing="skip"` leaves unknown days out of the averages (and the EWMA
carries over unchanged through them); `missing="zero"` counts them as rest days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

Missing = Literal["skip", "zero"]
Sex = Literal["male", "female"]

# Banister's weighting factors: women's heart-rate response to the same relative intensity differs.
SEX_FACTOR: dict[str, float] = {"male": 1.92, "female": 1.67}
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
MIN_CHRONIC_DAYS = 7  # fewer known days than this in the chronic window: no ratio, not a guess
SWEET_SPOT = (0.8, 1.3)  # Gabbett's "sweet spot"
DANGER = 1.5  # above this the injury risk rises steeply
RIEGEL_EXPONENT = 1.06


# -- TRIMP ------------------------------------------------------------------------------------


def heart_rate_reserve(hr: float, resting_hr: float, max_hr: float) -> float:
    """The fraction of heart-rate reserve in use, clamped to 0–1 (an HR below rest is no load)."""
    if max_hr <= resting_hr:
        raise ValueError(f"max heart rate {max_hr} must be above resting heart rate {resting_hr}")
    return min(1.0, max(0.0, (hr - resting_hr) / (max_hr - resting_hr)))


def banister_trimp(minutes: float, hrr: float, sex: Sex = "male") -> float:
    """Banister's TRIMP for `minutes` at a heart-rate-reserve fraction `hrr`."""
    return minutes * hrr * 0.64 * math.exp(SEX_FACTOR[sex] * hrr)


def trimp_from_samples(
    seconds: Sequence[float],
    heart_rates: Sequence[float | None],
    *,
    resting_hr: float,
    max_hr: float,
    sex: Sex = "male",
) -> float | None:
    """Banister's TRIMP summed sample by sample (each sample holds until the next one).

    Samples without a heart rate (a strap dropping out) take the average load of those with one, so
    a gap neither adds nor removes intensity; None when fewer than half the duration has a rate.
    """
    if len(seconds) < 2:
        return None
    total = seconds[-1] - seconds[0]
    covered = 0.0
    load = 0.0
    for i in range(len(seconds) - 1):
        hr = heart_rates[i]
        dt = seconds[i + 1] - seconds[i]
        if hr is None or dt <= 0:
            continue
        covered += dt
        load += banister_trimp(dt / 60.0, heart_rate_reserve(hr, resting_hr, max_hr), sex)
    if total <= 0 or covered < total / 2:
        return None
    return load * total / covered


def hrr_from_pace(speed_mps: float, threshold_speed_mps: float) -> float:
    """An estimated heart-rate reserve from pace: at threshold pace about 0.9 of the reserve, and
    1.2 points less per unit of speed below it (easy running at ~80 % of threshold speed lands near
    0.66, walking pace near 0.4). An estimate, and labelled as one wherever it is used."""
    if threshold_speed_mps <= 0:
        raise ValueError("threshold speed must be positive")
    return min(1.0, max(0.3, 0.9 - 1.2 * (1.0 - speed_mps / threshold_speed_mps)))


def hrr_from_rpe(rpe: float) -> float:
    """An estimated heart-rate reserve from perceived exertion (CR-10: 1 very easy, 10 maximal)."""
    if not 1 <= rpe <= 10:
        raise ValueError(f"perceived exertion {rpe} is outside 1-10")
    return 0.3 + 0.065 * rpe


# -- daily load and ACWR -----------------------------------------------------------------------


def daily_loads(
    loads_by_day: dict[date, float], start: date, end: date, *, known_from: date | None = None
) -> list[float | None]:
    """One entry per day from `start` to `end` inclusive: the day's summed load, 0.0 for a rest day,
    None for a day before `known_from` (default: the first day with any load) — nothing is known."""
    first = known_from or (min(loads_by_day) if loads_by_day else end + timedelta(days=1))
    out: list[float | None] = []
    day = start
    while day <= end:
        out.append(None if day < first else loads_by_day.get(day, 0.0))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class Acwr:
    """Acute and chronic load on one day and their ratio (None when too little is known)."""

    acute: float
    chronic: float
    ratio: float | None
    acute_days: int  # known days in the acute window
    chronic_days: int  # known days in the chronic window
    method: str  # "rolling" or "ewma"

    @property
    def zone(self) -> str:
        if self.ratio is None:
            return "unknown"
        if self.ratio > DANGER:
            return "danger"
        if self.ratio > SWEET_SPOT[1]:
            return "high"
        if self.ratio < SWEET_SPOT[0]:
            return "low"
        return "sweet spot"


def _window_mean(values: Sequence[float | None], missing: Missing) -> tuple[float, int]:
    known = [v for v in values if v is not None]
    if missing == "zero":
        return (sum(known) / len(values) if values else 0.0), len(known)
    return (sum(known) / len(known) if known else 0.0), len(known)


def rolling_acwr(loads: Sequence[float | None], missing: Missing = "skip") -> Acwr:
    """Mean load of the last 7 days over the mean of the last 28 (the acute window lies inside the
    chronic one: Hulin's coupled ratio), on the last entry of `loads`."""
    acute, acute_days = _window_mean(loads[-ACUTE_DAYS:], missing)
    chronic, chronic_days = _window_mean(loads[-CHRONIC_DAYS:], missing)
    enough = (chronic_days if missing == "skip" else len(loads[-CHRONIC_DAYS:])) >= MIN_CHRONIC_DAYS
    ratio = acute / chronic if enough and chronic > 0 and acute_days > 0 else None
    return Acwr(acute, chronic, ratio, acute_days, chronic_days, "rolling")


def rolling_series(loads: Sequence[float | None], missing: Missing = "skip") -> list[Acwr]:
    """`rolling_acwr` for every day, in one pass over prefix sums (five years take milliseconds)."""
    sums = [0.0]
    counts = [0]
    for v in loads:
        sums.append(sums[-1] + (v or 0.0))
        counts.append(counts[-1] + (v is not None))
    out: list[Acwr] = []
    for i in range(1, len(loads) + 1):
        a0, c0 = max(0, i - ACUTE_DAYS), max(0, i - CHRONIC_DAYS)
        a_days, c_days = counts[i] - counts[a0], counts[i] - counts[c0]
        a_len, c_len = (a_days, c_days) if missing == "skip" else (i - a0, i - c0)
        acute = (sums[i] - sums[a0]) / a_len if a_len else 0.0
        chronic = (sums[i] - sums[c0]) / c_len if c_len else 0.0
        enough = c_len >= MIN_CHRONIC_DAYS
        ratio = acute / chronic if enough and chronic > 0 and a_days > 0 else None
        out.append(Acwr(acute, chronic, ratio, a_days, c_days, "rolling"))
    return out


def ewma_series(loads: Sequence[float | None], missing: Missing = "skip") -> list[Acwr]:
    """Williams' exponentially weighted acute (λ = 2/8) and chronic (λ = 2/29) loads, every day.

    Both start from the mean of the first seven known days, so a new coachee does not look like a
    spike (a zero start divides by a chronic load that has not had time to build). Days before the
    first known day are skipped either way; after it, an unknown day carries both averages over
    unchanged with `missing="skip"` and is a rest day with "zero".
    """
    lam_a, lam_c = 2 / (ACUTE_DAYS + 1), 2 / (CHRONIC_DAYS + 1)
    known = [v for v in loads if v is not None]
    seed = sum(known[:ACUTE_DAYS]) / len(known[:ACUTE_DAYS]) if known else 0.0
    acute = chronic = seed
    started = False
    seen = 0
    window: list[bool] = []
    out: list[Acwr] = []
    for v in loads:
        if v is None and (missing == "skip" or not started):
            window.append(False)
        else:
            load = v or 0.0
            started = True
            seen += 1
            acute = lam_a * load + (1 - lam_a) * acute
            chronic = lam_c * load + (1 - lam_c) * chronic
            window.append(v is not None)
        a_days = sum(window[-ACUTE_DAYS:])
        c_days = sum(window[-CHRONIC_DAYS:])
        enough = seen >= MIN_CHRONIC_DAYS
        ratio = acute / chronic if started and enough and chronic > 0 else None
        out.append(Acwr(acute, chronic, ratio, a_days, c_days, "ewma"))
    return out


def ewma_acwr(loads: Sequence[float | None], missing: Missing = "skip") -> Acwr:
    series = ewma_series(loads, missing)
    return series[-1] if series else Acwr(0.0, 0.0, None, 0, 0, "ewma")


# -- race-time equivalence ---------------------------------------------------------------------


def riegel(time_s: float, distance_m: float, target_distance_m: float) -> float:
    """Riegel's equivalent time for another distance: T2 = T1 · (D2 / D1)^1.06."""
    if distance_m <= 0 or time_s <= 0:
        raise ValueError("a performance needs a positive distance and time")
    return time_s * (target_distance_m / distance_m) ** RIEGEL_EXPONENT


def vdot(distance_m: float, time_s: float) -> float:
    """Daniels and Gilbert's VDOT: the oxygen cost of the pace over the fraction of VO2max that can
    be held for that long."""
    if distance_m <= 0 or time_s <= 0:
        raise ValueError("a performance needs a positive distance and time")
    minutes = time_s / 60
    v = distance_m / minutes
    vo2 = -4.60 + 0.182258 * v + 0.000104 * v * v
    fraction = 0.8 + 0.1894393 * math.exp(-0.012778 * minutes) + 0.2989558 * math.exp(-0.1932605 * minutes)
    return vo2 / fraction


def vdot_time(score: float, distance_m: float) -> float:
    """The time (s) over `distance_m` that a VDOT of `score` predicts (bisection: VDOT falls as the
    time grows)."""
    low, high = 60.0, 60.0 * 60 * 24
    for _ in range(80):
        mid = (low + high) / 2
        if vdot(distance_m, mid) > score:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# -- goal confidence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    name: str
    distance_m: float
    target_s: float
    race_day: date


@dataclass(frozen=True)
class Run:
    """One run as the score sees it."""

    day: date
    distance_m: float
    duration_s: float


@dataclass(frozen=True)
class Reason:
    points: float  # how far it moves the score (+ up, − down)
    text: str


@dataclass(frozen=True)
class GoalConfidence:
    score: int  # 0–100
    predicted_s: float | None  # the goal time the recent best run predicts (Riegel)
    vdot: float | None
    reasons: list[Reason] = field(default_factory=list)


BEST_EFFORT_DAYS = 42
IMPROVEMENT_PER_WEEK = 0.005  # what steady training may still take off the prediction, per week
MAX_IMPROVEMENT = 0.06
GAP_SCALE = 0.02  # a 2 % gap moves the performance part from 50 to 27 (or 73)
CONSISTENCY_WEEKS = 6
RUNS_PER_WEEK = 3


def format_time(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def goal_confidence(
    goal: Goal, runs: Sequence[Run], loads: Sequence[float | None], today: date
) -> GoalConfidence:
    """A 0–100 confidence that `goal` will be met, with the reasons that move it.

    `loads` are the daily loads up to and including `today` (see `daily_loads`). The parts:
    performance (the fastest Riegel equivalent of a run of the last six weeks, less what the weeks
    left may still bring, through a logistic of the gap to the target: 50 at no gap), the chronic
    load's trend over four weeks, consistency (weeks of the last six with three runs or more) and
    the injury risk of an ACWR above 1.5.
    """
    reasons: list[Reason] = []
    weeks_left = max(0.0, (goal.race_day - today).days / 7)
    floor = max(3000.0, 0.2 * goal.distance_m)
    recent = [
        r for r in runs if today - timedelta(days=BEST_EFFORT_DAYS) < r.day <= today and r.distance_m >= floor
    ]
    predicted: float | None = None
    best_vdot: float | None = None
    if recent:
        best = min(recent, key=lambda r: riegel(r.duration_s, r.distance_m, goal.distance_m))
        predicted = riegel(best.duration_s, best.distance_m, goal.distance_m)
        best_vdot = vdot(best.distance_m, best.duration_s)
        allowance = min(IMPROVEMENT_PER_WEEK * weeks_left, MAX_IMPROVEMENT)
        attainable = predicted * (1 - allowance)
        gap = attainable / goal.target_s - 1
        performance = 100 / (1 + math.exp(gap / GAP_SCALE))
        text = (
            f"your best recent run, {best.distance_m / 1000:.1f} km in {format_time(best.duration_s)} "
            f"on {best.day.isoformat()}, is worth {format_time(predicted)} for {goal.name} "
            f"(Riegel; VDOT {best_vdot:.1f})"
        )
        if allowance > 0:
            text += f"; with {weeks_left:.0f} weeks to go, about {format_time(attainable)} is within reach"
        text += f", against a target of {format_time(goal.target_s)}"
        reasons.append(Reason(performance - 50, text))
    else:
        performance = 50.0
        reasons.append(
            Reason(0.0, f"no run of {floor / 1000:.0f} km or more in the last six weeks to predict from")
        )

    window = list(loads[-CHRONIC_DAYS:])
    before = list(loads[-2 * CHRONIC_DAYS : -CHRONIC_DAYS])
    now_chronic, now_days = _window_mean(window, "skip")
    prev_chronic, prev_days = _window_mean(before, "skip")
    trend = 0.0
    if now_days and prev_days and prev_chronic > 0:
        change = now_chronic / prev_chronic - 1
        pct = f"{change * 100:+.0f} %"
        if goal.race_day - today <= timedelta(days=14) and change < 0:
            trend, text = 3.0, f"load tapering before the race ({pct} over four weeks)"
        elif 0.05 <= change <= 0.3:
            trend, text = 8.0, f"training load building steadily ({pct} over four weeks)"
        elif change > 0.3:
            trend, text = 3.0, f"training load rising fast ({pct} over four weeks): fitness, but risk too"
        elif change > -0.05:
            trend, text = 0.0, f"training load steady ({pct} over four weeks)"
        elif change > -0.2:
            trend, text = -5.0, f"training load slipping ({pct} over four weeks)"
        else:
            trend, text = -12.0, f"training load dropping ({pct} over four weeks)"
        reasons.append(Reason(trend, text))
    elif now_days and now_chronic > 0:
        trend = 5.0
        reasons.append(Reason(trend, "training load building from a standing start"))

    weeks_with = 0
    for w in range(CONSISTENCY_WEEKS):
        end = today - timedelta(days=7 * w)
        start = end - timedelta(days=7)
        if sum(1 for r in runs if start < r.day <= end) >= RUNS_PER_WEEK:
            weeks_with += 1
    consistency = weeks_with / CONSISTENCY_WEEKS * 20 - 10
    reasons.append(
        Reason(
            consistency,
            f"{weeks_with} of the last {CONSISTENCY_WEEKS} weeks had {RUNS_PER_WEEK} runs or more",
        )
    )

    risk = 0.0
    current = rolling_acwr(loads)
    if current.ratio is not None and current.ratio > DANGER:
        risk = -5.0
        reasons.append(Reason(risk, f"injury risk: ACWR {current.ratio:.2f} is above {DANGER}"))

    score = round(min(100.0, max(0.0, performance + trend + consistency + risk)))
    reasons.sort(key=lambda r: -abs(r.points))
    return GoalConfidence(score, predicted, best_vdot, reasons)
