"""Honest placeholders for the sections that are designed but not built yet.

Each says, in the coachee's words, what the section will do and what they can use today, so an
empty screen never looks like a bug.
"""

from __future__ import annotations

import flet as ft

from app.ui.theme import FORM_MAX_WIDTH, SPACE_M, SPACE_S


def _coming_soon(icon: ft.IconData, title: str, promise: str, meanwhile: str) -> ft.Control:
    return ft.Column(
        expand=True,
        alignment=ft.MainAxisAlignment.CENTER,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        spacing=SPACE_S,
        controls=[
            ft.Icon(icon, size=56, color=ft.Colors.PRIMARY),
            ft.Container(height=SPACE_S),
            ft.Text(title, theme_style=ft.TextThemeStyle.HEADLINE_SMALL, text_align=ft.TextAlign.CENTER),
            ft.Container(
                width=FORM_MAX_WIDTH,
                padding=ft.Padding.symmetric(horizontal=SPACE_M),
                content=ft.Column(
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    spacing=SPACE_S,
                    controls=[
                        ft.Text(promise, text_align=ft.TextAlign.CENTER),
                        ft.Text(
                            meanwhile,
                            text_align=ft.TextAlign.CENTER,
                            color=ft.Colors.ON_SURFACE_VARIANT,
                            theme_style=ft.TextThemeStyle.BODY_SMALL,
                        ),
                    ],
                ),
            ),
        ],
    )


@ft.component
def GalleryComingSoon() -> ft.Control:
    """Coach gallery (DESIGN.md §7)."""
    return _coming_soon(
        ft.Icons.STOREFRONT_OUTLINED,
        "Coach gallery",
        "Browse coaches for health, wealth and wisdom, and install the ones you like — "
        "arriving in the next release.",
        "Coaches run on this device; what you tell them stays here.",
    )


@ft.component
def ChatComingSoon() -> ft.Control:
    """Chat with installed coaches (DESIGN.md §3, reasoners)."""
    return _coming_soon(
        ft.Icons.CHAT_BUBBLE_OUTLINE,
        "Coaching chat",
        "Talk things through with your coaches, online or offline — arriving in the next release.",
        "Until then, jot your thoughts in Daily notes: your coaches will be able to draw on them.",
    )


@ft.component
def ParaComingSoon() -> ft.Control:
    """PARA memory: projects, areas, resources, archives (DESIGN.md §5)."""
    return _coming_soon(
        ft.Icons.VIEW_KANBAN_OUTLINED,
        "Projects, areas, resources",
        "See your projects, areas of responsibility, resources and archives in one place — "
        "arriving in the next release.",
        "Your daily notes will feed it, so nothing you write today is lost.",
    )
