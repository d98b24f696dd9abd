"""Each entity's `summary.md`: the Hot and Warm facts, always in the chat context (the first tier).

Cold facts stay stored and findable by recall (the second tier, fetched on demand); they only leave
the summary, which keeps the chat context small and current.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from engine.memory.decay import Tier
from engine.memory.entities import Entity
from engine.memory.facts import Fact

CATEGORY_TITLES = {
    "goal": "Goals and plans",
    "preference": "Preferences",
    "health": "Health",
    "finance": "Money",
    "relationship": "People and relationships",
    "work": "Work",
    "event": "Events",
    "general": "Notes",
}
MAX_FACTS_PER_CATEGORY = 12


def render(entity: Entity, facts: list[Fact], now: datetime) -> str:
    live = [f for f in facts if f.status == "active" and f.tier(now) in (Tier.HOT, Tier.WARM)]
    cold = sum(1 for f in facts if f.status == "active" and f.tier(now) is Tier.COLD)
    header = [f"# {entity.name}", ""]
    meta = [entity.type.capitalize(), entity.status]
    if entity.deadline:
        meta.append(f"deadline {entity.deadline}")
    if entity.aliases:
        meta.append("also known as " + ", ".join(entity.aliases))
    header += [" · ".join(meta), ""]
    if not live:
        body = ["Nothing recent." + (f" {cold} older fact(s) are kept and can be recalled." if cold else "")]
        return "\n".join(header + body) + "\n"
    grouped: dict[str, list[Fact]] = defaultdict(list)
    for fact in sorted(live, key=lambda f: f.timestamp, reverse=True):
        grouped[fact.category].append(fact)
    body: list[str] = []
    for category in CATEGORY_TITLES:
        if category not in grouped:
            continue
        body += [f"## {CATEGORY_TITLES[category]}", ""]
        for fact in grouped[category][:MAX_FACTS_PER_CATEGORY]:
            when = fact.occurs_on or fact.timestamp[:10]
            body.append(f"- {fact.content} ({when})")
        body.append("")
    if cold:
        body.append(f"_{cold} older fact(s) are kept out of this summary; recall finds them._")
    return "\n".join(header + body).rstrip() + "\n"
