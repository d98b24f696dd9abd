"""The screens of the unlocked app, in the order the navigation lists them.

The navigation bar/rail, the header title and the router (``app.ui.routes``) are all derived from
``SECTIONS``; adding a screen is one entry here. URLs are real paths (``/notes``, ``/para/people``),
so a reload returns to the same screen after unlocking. Settings is a screen too, reached from the
header rather than the navigation (it is visited rarely and a sixth tab would crowd a phone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import flet as ft

from app.ui.chat_view import ChatView
from app.ui.daily_day_view import DayView
from app.ui.daily_notes_view import DailyNotesView
from app.ui.gallery_view import GalleryView
from app.ui.inbox_view import InboxView
from app.ui.para_entity_view import EntityView
from app.ui.para_view import ParaView
from app.ui.settings_view import SettingsView
from app.ui.training_view import TrainingView


@dataclass(frozen=True)
class Section:
    """One screen: its URL, its name in the header and navigation, and its component."""

    id: str
    path: str
    label: str
    icon: ft.IconData
    selected_icon: ft.IconData
    component: Callable[[], ft.Control]
    subroutes: tuple[tuple[str, Callable[[], ft.Control]], ...] = ()
    """Deeper paths under ``path`` (relative, with ``:params``), most specific first."""


SECTIONS: tuple[Section, ...] = (
    Section("gallery", "/gallery", "Gallery", ft.Icons.STOREFRONT_OUTLINED, ft.Icons.STOREFRONT, GalleryView),
    Section(
        "chat",
        "/chat",
        "Chat",
        ft.Icons.CHAT_BUBBLE_OUTLINE,
        ft.Icons.CHAT_BUBBLE,
        ChatView,
        subroutes=((":coach_id", ChatView),),
    ),
    Section(
        "para",
        "/para",
        "PARA",
        ft.Icons.VIEW_KANBAN_OUTLINED,
        ft.Icons.VIEW_KANBAN,
        ParaView,
        subroutes=(("entity/:entity_id", EntityView), (":kind", ParaView)),
    ),
    Section(
        "notes",
        "/notes",
        "Daily notes",
        ft.Icons.EDIT_NOTE_OUTLINED,
        ft.Icons.EDIT_NOTE,
        DailyNotesView,
        subroutes=(("day/:day", DayView),),
    ),
    Section("inbox", "/inbox", "Inbox", ft.Icons.INBOX_OUTLINED, ft.Icons.INBOX, InboxView),
)
"""The main navigation, in order."""

SETTINGS = Section(
    "settings", "/settings", "Settings", ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS, SettingsView
)
TRAINING = Section(
    "training",
    "/training",
    "Training",
    ft.Icons.DIRECTIONS_RUN_OUTLINED,
    ft.Icons.DIRECTIONS_RUN,
    TrainingView,
)
"""Reached from the header, like Settings: a runner opens it often, others never."""
SCREENS: tuple[Section, ...] = (*SECTIONS, SETTINGS, TRAINING)
"""Every routed screen: the navigation's sections plus those reached from the header."""

HOME_SECTION_ID = "gallery"
"""Where ``/`` leads: the coaches are the heart of the app, and a new coachee starts by picking one."""


def screen_for_path(pathname: str) -> Section:
    """The screen a URL belongs to; ``/`` and unknown paths fall back to the home section."""
    for section in SCREENS:
        if pathname == section.path or pathname.startswith(section.path + "/"):
            return section
    return home_section()


def section_for_path(pathname: str) -> Section:
    """Kept for callers that only care about navigation sections (Settings maps to home)."""
    screen = screen_for_path(pathname)
    return screen if screen in SECTIONS else home_section()


def home_section() -> Section:
    """The section behind ``/``."""
    return next(s for s in SECTIONS if s.id == HOME_SECTION_ID)
