"""The screens of the unlocked app, in the order the navigation lists them.

The navigation bar/rail, the header title and the router (``app.ui.routes``) are all derived from
``SECTIONS``; adding a screen is one entry here. URLs are real paths (``/notes``), so a reload
returns to the same screen after unlocking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flet as ft

from app.ui.coming_soon import ChatComingSoon, GalleryComingSoon, ParaComingSoon
from app.ui.daily_notes_view import DailyNotesView


@dataclass(frozen=True)
class Section:
    """One destination of the main navigation."""

    id: str
    path: str
    label: str
    icon: ft.IconData
    selected_icon: ft.IconData
    component: Callable[[], ft.Control]


SECTIONS: tuple[Section, ...] = (
    Section(
        "gallery",
        "/gallery",
        "Gallery",
        ft.Icons.STOREFRONT_OUTLINED,
        ft.Icons.STOREFRONT,
        GalleryComingSoon,
    ),
    Section(
        "chat",
        "/chat",
        "Chat",
        ft.Icons.CHAT_BUBBLE_OUTLINE,
        ft.Icons.CHAT_BUBBLE,
        ChatComingSoon,
    ),
    Section(
        "para",
        "/para",
        "PARA",
        ft.Icons.VIEW_KANBAN_OUTLINED,
        ft.Icons.VIEW_KANBAN,
        ParaComingSoon,
    ),
    Section(
        "notes",
        "/notes",
        "Daily notes",
        ft.Icons.EDIT_NOTE_OUTLINED,
        ft.Icons.EDIT_NOTE,
        DailyNotesView,
    ),
)

HOME_SECTION_ID = "notes"
"""Where ``/`` leads: the daily notes are what a coachee opens the app for today."""


def section_for_path(pathname: str) -> Section:
    """The section a URL belongs to; ``/`` and unknown paths fall back to the home section."""
    for section in SECTIONS:
        if pathname == section.path or pathname.startswith(section.path + "/"):
            return section
    return home_section()


def home_section() -> Section:
    """The section behind ``/``."""
    return next(s for s in SECTIONS if s.id == HOME_SECTION_ID)
