"""Decay tiers: Hot, Warm, Cold — a pure function of time since last use and how often it was used.

Decay changes ranking and what `summary.md` shows, never storage (DESIGN.md §5).

The rule: a fact's *effective age* is the days since it was last read or written, divided by an
access factor `1 + log2(1 + access_count) / 2`. So a fact read 8 times ages at about 40 % of the
speed of an untouched one: 25 days after its last read it counts as 9.7 days old (Warm), while an
untouched fact of 40 days is Cold. Tiers: Hot for an effective age of 0–7 days, Warm for 8–30, Cold
beyond. Evergreen items (tacit knowledge, summaries) are always Hot.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

HOT_DAYS = 7
WARM_DAYS = 30

# How much a tier weighs in memory search (multiplies the fused retrieval score).
TIER_BOOST = {"hot": 1.0, "warm": 0.85, "cold": 0.7}


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


def access_factor(access_count: int) -> float:
    return 1.0 + math.log2(1 + max(0, access_count)) / 2.0


def effective_age_days(last_used: datetime, access_count: int, now: datetime) -> float:
    days = max(0.0, (now - last_used).total_seconds() / 86400.0)
    return days / access_factor(access_count)


def tier(last_used: datetime, access_count: int, now: datetime, *, evergreen: bool = False) -> Tier:
    if evergreen:
        return Tier.HOT
    age = effective_age_days(last_used, access_count, now)
    if age < HOT_DAYS + 1:
        return Tier.HOT
    if age <= WARM_DAYS:
        return Tier.WARM
    return Tier.COLD
