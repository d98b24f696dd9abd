"""Opening a conversation at one message (``/chat/<coach>?message=<id>``, from a search result).

Flet 1.0.5's ``scroll_to(scroll_key=…)`` does not move a list in the web client (tried on plain and
reversed ``ListView``s, keys as strings and as ``ScrollKey``; an ``offset`` works), so the offset is
worked out here. The conversation is a reversed list, whose offset 0 is its newest end: the found
message sits above every newer one, so the offset that brings it into view is their heights added
up. Flutter lays out only the bubbles near the view, and only those report their height
(``on_size_change``), so the list walks there: it jumps past the newer bubbles measured so far, which
brings the next ones into layout, until every one between the newest and the found message has been
measured and the last jump lands on it. Bounded: one jump per bubble at most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from app.ui.theme import SPACE_S

BUBBLE_GAP = float(SPACE_S)
"""The margin above each bubble (``chat_parts._bubble_row``), outside the height a bubble reports."""
MAX_SETTLING_JUMPS = 4


@dataclass
class FoundScroll:
    """Heights measured for one asked message, and how often the list was moved to it."""

    asked: str | None = None
    heights: dict[int, float] = field(default_factory=dict)
    jumps: int = 0
    offset: float = 0.0  # where the list was last moved to
    arrived: bool = False


def found_index(asked: str | None, message_ids: Sequence[str | None]) -> int | None:
    """Where the asked message is in the conversation (oldest first), or None."""
    if not asked:
        return None
    return next((i for i, m in enumerate(message_ids) if m == asked), None)


def offset_to_show(found_at: int, count: int, heights: dict[int, float]) -> tuple[float, bool]:
    """How far up the reversed list to go: the newer bubbles measured so far, newest first without a
    gap, with their margins; and whether that is all of them (the found bubble's bottom then sits at
    the bottom of the view)."""
    offset = 0.0
    for index in range(count - 1, found_at, -1):
        if index not in heights:
            return offset, False
        offset += heights[index] + BUBBLE_GAP
    return offset, True


def use_found_message(
    asked: str | None,
    message_ids: Sequence[str | None],
    conversation: ft.Ref[ft.ListView],
) -> tuple[int | None, Callable[[int], Any]]:
    """The index of the asked bubble, and ``measure(index)``: the size handler for a bubble at
    ``index`` (None for bubbles whose height does not matter)."""
    state: FoundScroll = ft.use_ref(FoundScroll).current
    found_at = found_index(asked, message_ids)
    if state.asked != asked:
        state.asked, state.heights, state.jumps, state.offset, state.arrived = asked, {}, 0, 0.0, False
    count = len(message_ids)

    def measure(index: int) -> Any:
        if found_at is None or index < found_at:
            return None

        async def handler(e: ft.LayoutSizeChangeEvent[Any]) -> None:
            state.heights[index] = float(e.height)
            offset, complete = offset_to_show(found_at, count, state.heights)
            if conversation.current is None or state.jumps > count + MAX_SETTLING_JUMPS:
                return
            # Walking up: only ever further. Arrived: follow a bubble whose height settled late.
            if offset > state.offset or (complete and offset != state.offset and state.arrived):
                state.jumps += 1
                state.offset, state.arrived = offset, complete
                await conversation.current.scroll_to(offset=offset)
            elif complete:
                state.arrived = True

        return handler

    return found_at, measure
