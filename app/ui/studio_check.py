"""The studio's Check panel: what must change before the coach can be published.

Personal data is listed per chunk with what was found and a one-click redaction; passages that look
copied from a well-known work ask the creator to confirm their rights in the source's licence; and
every source needs a licence (the manifest carries it to every coachee). Pages that yielded no text
are repeated here, since a creator may not have looked at each source's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.ui.studio_state import StudioState
from app.ui.theme import SPACE_M, SPACE_S

Handler = Callable[[Any], Any]


def check_panel(
    state: StudioState,
    *,
    wide: bool,
    run: Handler,
    redact: Callable[[str], Handler],
    licence: Callable[[str], Handler],
    save_licence: Callable[[str], Handler],
) -> list[ft.Control]:
    report = state.report
    controls: list[ft.Control] = [
        ft.Row(
            controls=[
                ft.Text("Content check", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, expand=True),
                ft.FilledTonalButton(
                    content="Run the content check",
                    icon=ft.Icons.POLICY_OUTLINED,
                    disabled=state.busy,
                    on_click=run,
                ),
            ]
        ),
    ]
    if report is None:
        controls.append(
            ft.Text(
                "Looks for other people's personal data (names with contact details, emails, phone numbers, "
                "addresses, ID numbers) and for passages copied from well-known works.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        )
    else:
        controls.append(_verdict(report))
        for item in report.personal:
            controls.append(_personal(item, state, wide, redact))
        for flag in report.copied:
            controls.append(
                _note(
                    ft.Icons.COPYRIGHT,
                    f"{flag.chunk.ref} looks copied from {flag.work} ({flag.licence or 'licence unknown'}). "
                    "Confirm your rights to it in its source's licence below.",
                )
            )
        for line in report.flagged_pages:
            controls.append(_note(ft.Icons.FIND_IN_PAGE_OUTLINED, line))
    controls.append(ft.Text("Licences", theme_style=ft.TextThemeStyle.TITLE_SMALL))
    controls.append(
        ft.Text(
            'Each source needs the terms it ships under: yours ("© 2026 Dana, all rights reserved"), '
            'a Creative Commons licence, or "Public domain".',
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        )
    )
    for source in state.sources:
        controls.append(
            ft.Row(
                controls=[
                    ft.TextField(
                        label=f"Licence of {source.name}",
                        value=state.licence_of(source),
                        dense=True,
                        expand=True,
                        read_only=not wide,
                        on_change=licence(source.id),
                        on_submit=save_licence(source.id),
                    ),
                    *(
                        [
                            ft.OutlinedButton(
                                content=f"Save licence of {source.name}",
                                disabled=state.busy,
                                on_click=save_licence(source.id),
                            )
                        ]
                        if wide
                        else []
                    ),
                ]
            )
        )
    return controls


def _verdict(report: Any) -> ft.Control:
    if report.ready:
        text, icon, color = (
            "Nothing personal found, and every source has a licence.",
            ft.Icons.VERIFIED,
            ft.Colors.PRIMARY,
        )
    else:
        found = sum(len(c.findings) for c in report.personal)
        parts = [f"{found} piece{'s' if found != 1 else ''} of personal data"] if found else []
        if report.missing_licence:
            parts.append(
                f"{len(report.missing_licence)} source{'s' if len(report.missing_licence) != 1 else ''} without a licence"
            )
        text, icon, color = (
            "To fix before publishing: " + " and ".join(parts) + ".",
            ft.Icons.REPORT_OUTLINED,
            ft.Colors.ERROR,
        )
    how = "" if report.ner else " (names were not looked for: no NER model is installed)"
    return ft.Row(controls=[ft.Icon(icon, color=color), ft.Text(text + how, color=color, expand=True)])


def _personal(item: Any, state: StudioState, wide: bool, redact: Callable[[str], Handler]) -> ft.Control:
    chunk = item.chunk
    return ft.Card(
        content=ft.Container(
            padding=ft.Padding.all(SPACE_M),
            content=ft.Column(
                spacing=SPACE_S,
                controls=[
                    ft.Row(
                        controls=[
                            ft.Text(chunk.ref, weight=ft.FontWeight.BOLD, color=ft.Colors.ERROR),
                            ft.Text(chunk.title, size=12, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
                        ]
                    ),
                    *[ft.Text(f"• {f.why}", size=13) for f in item.findings],
                    ft.Text(chunk.text, size=12, color=ft.Colors.ON_SURFACE_VARIANT, max_lines=4),
                    *(
                        [
                            ft.FilledButton(
                                content=f"Redact {chunk.ref}",
                                icon=ft.Icons.HIDE_SOURCE,
                                disabled=state.busy,
                                on_click=redact(chunk.id),
                            )
                        ]
                        if wide
                        else []
                    ),
                ],
            ),
        )
    )


def _note(icon: ft.IconData, text: str) -> ft.Control:
    return ft.Row(
        controls=[ft.Icon(icon, size=18, color=ft.Colors.TERTIARY), ft.Text(text, size=13, expand=True)],
        vertical_alignment=ft.CrossAxisAlignment.START,
    )
