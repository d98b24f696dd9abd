"""The frame around every unlocked screen: a header with Quick capture, Settings and Lock, and the
navigation.

Phones get a bottom NavigationBar (thumb reach); from ``WIDE_LAYOUT_MIN_WIDTH`` a NavigationRail at
the left leaves the full height to content. Which destination is selected comes from the URL, so
the navigation can never disagree with the screen it shows. Quick capture is a dialog owned here,
so it opens from any screen without leaving it. Pointer movement, keys and navigation count as
activity for the auto-lock timer.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from app.ui.capture_dialog import CaptureDialog
from app.ui.hooks import use_page_width
from app.ui.labelled import icon_button
from app.ui.profile_context import use_profile
from app.ui.sections import SECTIONS, Section, screen_for_path
from app.ui.theme import CHAT_MAX_WIDTH, CONTENT_MAX_WIDTH, SPACE_M, SPACE_S, WIDE_LAYOUT_MIN_WIDTH
from app.web_root import APP_TITLE

HOVER_ACTIVITY_INTERVAL_MS = 2000
"""Pointer movement reports activity at most every two seconds: enough for auto-lock, light on the wire."""


def _header(
    current: Section, on_capture: Any, on_settings: Any, on_back: Any, on_lock: Any, on_training: Any = None
) -> ft.Control:
    leading: ft.Control = (
        icon_button(ft.Icons.ARROW_BACK, "Back", on_back)
        if on_back is not None
        else ft.Icon(ft.Icons.SPA_OUTLINED, color=ft.Colors.PRIMARY, semantics_label=APP_TITLE)
    )
    return ft.Container(
        padding=ft.Padding.only(left=SPACE_M, right=SPACE_S, top=SPACE_S, bottom=SPACE_S),
        content=ft.Row(
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            spacing=SPACE_S,
            controls=[
                leading,
                ft.Text(
                    current.label,
                    theme_style=ft.TextThemeStyle.TITLE_LARGE,
                    expand=True,
                    max_lines=1,
                    overflow=ft.TextOverflow.ELLIPSIS,
                ),
                icon_button(ft.Icons.BOLT, "Quick capture", on_capture),
                icon_button(ft.Icons.DIRECTIONS_RUN_OUTLINED, "Training", on_training),
                icon_button(ft.Icons.SETTINGS_OUTLINED, "Settings", on_settings),
                icon_button(ft.Icons.LOCK_OUTLINE, "Lock", on_lock),
            ],
        ),
    )


def _content(outlet: ft.Control | None, max_width: int) -> ft.Control:
    """The screen itself, kept to a comfortable reading width and centred on large windows."""
    return ft.Column(
        expand=True,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.Container(
                content=outlet,
                expand=True,
                width=max_width,
                padding=ft.Padding.symmetric(horizontal=SPACE_M),
            )
        ],
    )


@ft.component
def Shell() -> ft.Control:
    """Header, navigation, the routed screen (``use_route_outlet``) and the capture dialog."""
    profile = use_profile()
    page = ft.context.page
    width = use_page_width()
    location = ft.use_route_location()
    current = screen_for_path(location)
    in_nav = current in SECTIONS
    outlet = ft.use_route_outlet()
    capturing, set_capturing = ft.use_state(False)

    def follow_activity() -> None:
        page.on_keyboard_event = lambda _e: profile.active()

    ft.use_effect(follow_activity, dependencies=[])
    ft.use_effect(profile.active, dependencies=[location])

    async def navigate(e: ft.Event[ft.NavigationBar] | ft.Event[ft.NavigationRail]) -> None:
        index = e.control.selected_index
        # Tapping the current tab again returns to its top (an entity page → the PARA lists).
        if index is not None and location != SECTIONS[index].path:
            await page.push_route(SECTIONS[index].path)

    async def open_settings(_e: ft.Event[ft.IconButton]) -> None:
        await page.push_route("/settings")

    async def open_training(_e: ft.Event[ft.IconButton]) -> None:
        await page.push_route("/training")

    async def back(_e: ft.Event[ft.IconButton]) -> None:
        await page.push_route(SECTIONS[0].path if not in_nav else current.path)

    wide = width >= WIDE_LAYOUT_MIN_WIDTH
    header = _header(
        current,
        on_capture=lambda _e: set_capturing(True),
        on_settings=open_settings,
        on_back=None if in_nav or wide else back,
        on_lock=lambda _e: profile.lock(),
        on_training=open_training,
    )
    dialog = CaptureDialog(open=capturing, on_close=lambda: set_capturing(False))
    # The chat keeps its reading width and gains a sidebar beside it (projects and people).
    body = _content(outlet, CHAT_MAX_WIDTH if current.id == "chat" else CONTENT_MAX_WIDTH)

    # One tree for every width (the rail or the bar is only hidden): resizing the window then never
    # remounts the screen, so what the coachee typed or loaded survives turning a tablet.
    rail = ft.NavigationRail(
        visible=wide,
        selected_index=SECTIONS.index(current) if in_nav else None,
        label_type=ft.NavigationRailLabelType.ALL,
        min_width=88,
        group_alignment=-0.9,
        on_change=navigate,
        destinations=[
            ft.NavigationRailDestination(icon=s.icon, selected_icon=s.selected_icon, label=s.label)
            for s in SECTIONS
        ],
    )
    bar = ft.NavigationBar(
        visible=not wide and in_nav,
        selected_index=SECTIONS.index(current) if in_nav else 0,
        on_change=navigate,
        label_behavior=ft.NavigationBarLabelBehavior.ALWAYS_SHOW,
        destinations=[
            ft.NavigationBarDestination(icon=s.icon, selected_icon=s.selected_icon, label=s.label)
            for s in SECTIONS
        ],
    )
    layout = ft.Row(
        expand=True,
        spacing=0,
        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            rail,
            ft.VerticalDivider(width=1, visible=wide),
            ft.Column(
                expand=True,
                spacing=0,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[header, body, bar, dialog],
            ),
        ],
    )
    return ft.SafeArea(
        expand=True,
        content=ft.GestureDetector(
            expand=True,
            hover_interval=HOVER_ACTIVITY_INTERVAL_MS,
            on_hover=lambda _e: profile.active(),
            content=layout,
        ),
    )
