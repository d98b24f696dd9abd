"""The running coach's proactive rule: a training load spike (ACWR above 1.5) becomes a rest-day
check-in, once per spike and only when the coachee may be spoken to.

A spike is dated by the day its ratio first went above 1.5, and that day is the check-in's dedupe
key: a spike lasting five days brings one check-in, and a later spike (after the ratio came back
down) brings a new one. The numbers that triggered it go into its "why", so the coachee can judge
the advice rather than take it on trust.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from engine.heartbeat.checkins import may_speak
from engine.heartbeat.notify import CheckIn
from engine.memory.tacit import HourWindow

if TYPE_CHECKING:
    from engine.training.part import LoadSpike


def rest_day_check_in(
    spike: LoadSpike | None,
    now: datetime,
    *,
    active: list[HourWindow],
    quiet: HourWindow | None,
    coach_id: str | None,
) -> CheckIn | None:
    if spike is None or not may_speak(now, active, quiet):
        return None
    ewma = f", EWMA {spike.ewma_ratio:.2f}" if spike.ewma_ratio is not None else ""
    return CheckIn(
        "training_load",
        "Time for a rest day?",
        "Your training load has jumped well above what your body is used to. An easy day or a rest "
        "day now lets the fitness land instead of an injury.",
        f"acute:chronic workload ratio {spike.ratio:.2f} (above 1.5) since {spike.since}{ewma}: "
        f"7-day load {spike.acute:.0f} a day against a 28-day load of {spike.chronic:.0f} a day",
        f"acwr:{spike.since}",
        {"type": "open_chat", "coach_id": coach_id},
    )
