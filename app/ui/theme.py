"""Look and spacing in one place, so views stay about content and every screen feels the same."""

from __future__ import annotations

import flet as ft

SEED_COLOR = ft.Colors.TEAL
"""A calm, legible seed: Material 3 derives every surface and accent from it, in light and dark."""

WIDE_LAYOUT_MIN_WIDTH = 720
"""From this width a NavigationRail sits at the left; below it a NavigationBar sits at the bottom."""

CONTENT_MAX_WIDTH = 760
"""Reading width for lists and forms on large screens; lines longer than this are tiring to read."""

CHAT_MAX_WIDTH = 1060
"""The chat's reading column plus its projects-and-people sidebar on a laptop."""

FORM_MAX_WIDTH = 420
"""Width of the unlock card: wide enough for a long passphrase, narrow enough to stay focused."""

SPACE_S = 8
SPACE_M = 16
SPACE_L = 24


def centered_form(controls: list[ft.Control]) -> ft.Control:
    """A narrow card-less form in the middle of the window (unlock, first-run setup); scrolls in a short window."""
    return ft.SafeArea(
        expand=True,
        content=ft.Column(
            expand=True,
            scroll=ft.ScrollMode.AUTO,
            alignment=ft.MainAxisAlignment.CENTER,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Container(
                    width=FORM_MAX_WIDTH,
                    padding=ft.Padding.all(SPACE_L),
                    content=ft.Column(
                        spacing=SPACE_M, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=controls
                    ),
                )
            ],
        ),
    )


def apply_theme(page: ft.Page) -> None:
    """Material 3 theme from one seed, following the system's light or dark preference; edge to edge."""
    page.theme = ft.Theme(color_scheme_seed=SEED_COLOR)
    page.dark_theme = ft.Theme(color_scheme_seed=SEED_COLOR)
    page.theme_mode = ft.ThemeMode.SYSTEM
    page.padding = 0
    # Screens fill the window; each one centres its own content.
    page.horizontal_alignment = ft.CrossAxisAlignment.STRETCH
