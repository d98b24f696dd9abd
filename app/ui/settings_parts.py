"""Small building blocks the Settings cards share (a titled card, a status line; the other views
use the status line for their problems too)."""

from __future__ import annotations

import flet as ft

from app.ui.theme import SPACE_M, SPACE_S


def settings_card(
    title: str, icon: ft.IconData, controls: list[ft.Control], subtitle: str | None = None
) -> ft.Control:
    """A card with a heading; each settings topic is one, so the page scans top to bottom."""
    heading: list[ft.Control] = [
        ft.Row(
            spacing=SPACE_S,
            controls=[
                ft.Icon(icon, color=ft.Colors.PRIMARY),
                ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            ],
        )
    ]
    if subtitle:
        heading.append(
            ft.Text(subtitle, color=ft.Colors.ON_SURFACE_VARIANT, theme_style=ft.TextThemeStyle.BODY_SMALL)
        )
    return ft.Card(
        content=ft.Container(
            padding=ft.Padding.all(SPACE_M),
            content=ft.Column(
                spacing=SPACE_S + 4,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[*heading, *controls],
            ),
        )
    )


def status_line(ok: str | None, problem: str | None) -> list[ft.Control]:
    """A green confirmation or a red problem (read out as "Problem: …") under a form, or nothing."""
    if problem:
        return [ft.Text(problem, color=ft.Colors.ERROR, semantics_label=f"Problem: {problem}")]
    if ok:
        return [ft.Text(ok, color=ft.Colors.PRIMARY)]
    return []


def megabytes(n: int | None) -> str:
    if n is None:
        return "unknown"
    return f"{n / (1024 * 1024):.0f} MB"
