"""Small hooks the views share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import flet as ft

T = TypeVar("T")


def use_latest_state(initial: T) -> tuple[T, Callable[[T | Callable[[T], T]], None], Callable[[], T]]:
    """``use_state`` plus a getter for the newest value.

    Flet dispatches each client event as its own task and re-renders later, in a batch. A click that
    arrives right after typing therefore runs with the closure of the render *before* the typing, and
    would read the old text (a fast "type, press Enter" submitted an empty passphrase). Handlers read
    state through the getter instead; rendering still uses the plain value.
    """
    value, set_value = ft.use_state(initial)
    latest = ft.use_ref(value)
    latest.current = value

    def set_latest(new: T | Callable[[T], T]) -> None:
        latest.current = new(latest.current) if callable(new) else new
        set_value(latest.current)

    return value, set_latest, lambda: latest.current


def use_page_width() -> float:
    """The page width, re-rendering the caller when the browser window is resized."""
    page = ft.context.page
    width, set_width = ft.use_state(page.width or 0)

    def follow_resizes() -> None:
        page.on_resize = lambda e: set_width(e.width)

    ft.use_effect(follow_resizes, dependencies=[])
    return width
