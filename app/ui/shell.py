"""The frame around every unlocked screen: a header with the Lock action, and the navigation.

Phones get a bottom NavigationBar (thumb reach); from ``WIDE_LAYOUT_MIN_WIDTH`` a NavigationRail at
the left leaves the full height to content. Which destination is selected comes from the URL, so
the navigation can never disagree with the screen it shows.
"""

from __future__ import annotations

import flet as ft

from app.ui.profile_context import use_profile
from app.ui.sections import SECTIONS, Section, section_for_path
from app.ui.theme import CONTENT_MAX_WIDTH, SPACE_M, SPACE_S, WIDE_LAYOUT_MIN_WIDTH
from app.web_root import APP_TITLE


def use_page_width() -> float:
    """The page width, re-rendering the caller when the browser window is resized."""
    page = ft.context.page
    width, set_width = ft.use_state(page.width or 0)

    def follow_resizes() -> None:
        page.on_resize = lambda e: set_width(e.width)

    ft.use_effect(follow_resizes, dependencies=[])
    return width


def _header(current: Section, on_lock: ft.ControlEventHandler[ft.IconButton]) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_M, vertical=SPACE_S),
        content=ft.Row(
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Icon(ft.Icons.SPA_OUTLINED, color=ft.Colors.PRIMARY, semantics_label=APP_TITLE),
                ft.Text(current.label, theme_style=ft.TextThemeStyle.TITLE_LARGE, expand=True),
                ft.IconButton(
                    icon=ft.Icons.LOCK_OUTLINE,
                    tooltip="Lock",
                    on_click=on_lock,
                ),
            ],
        ),
    )


def _content(outlet: ft.Control | None) -> ft.Control:
    """The screen itself, kept to a comfortable reading width and centred on large windows."""
    return ft.Column(
        expand=True,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.Container(
                content=outlet,
                expand=True,
                width=CONTENT_MAX_WIDTH,
                padding=ft.Padding.symmetric(horizontal=SPACE_M),
            )
        ],
    )


@ft.component
def Shell() -> ft.Control:
    """Header, navigation and the routed screen (``use_route_outlet``)."""
    profile = use_profile()
    page = ft.context.page
    width = use_page_width()
    current = section_for_path(ft.use_route_location())
    selected = SECTIONS.index(current)
    outlet = ft.use_route_outlet()

    async def navigate(e: ft.Event[ft.NavigationBar] | ft.Event[ft.NavigationRail]) -> None:
        index = e.control.selected_index
        if index is not None and SECTIONS[index] != current:
            await page.push_route(SECTIONS[index].path)

    header = _header(current, on_lock=lambda _e: profile.lock())
    body = _content(outlet)

    if width >= WIDE_LAYOUT_MIN_WIDTH:
        rail = ft.NavigationRail(
            selected_index=selected,
            label_type=ft.NavigationRailLabelType.ALL,
            min_width=88,
            group_alignment=-0.9,
            on_change=navigate,
            destinations=[
                ft.NavigationRailDestination(icon=s.icon, selected_icon=s.selected_icon, label=s.label)
                for s in SECTIONS
            ],
        )
        return ft.SafeArea(
            expand=True,
            content=ft.Row(
                expand=True,
                spacing=0,
                vertical_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[
                    rail,
                    ft.VerticalDivider(width=1),
                    ft.Column(
                        expand=True,
                        spacing=0,
                        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                        controls=[header, body],
                    ),
                ],
            ),
        )

    bar = ft.NavigationBar(
        selected_index=selected,
        on_change=navigate,
        destinations=[
            ft.NavigationBarDestination(icon=s.icon, selected_icon=s.selected_icon, label=s.label)
            for s in SECTIONS
        ],
    )
    return ft.SafeArea(
        expand=True,
        content=ft.Column(
            expand=True,
            spacing=0,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[header, body, bar],
        ),
    )
