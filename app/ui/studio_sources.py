"""The studio's Sources panel: add files by path, see each file's pages as extracted, and why a page was flagged.

The app runs on the creator's own machine, so a file or a folder is named by its path (typed or
pasted); a folder adds every PDF, Markdown and text file in it. Extraction shows a progress bar per
file, and a flagged page (no text, mostly images, a chart) says what was lost and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.ui.labelled import icon_button
from app.ui.studio_state import StudioState, pages_words, size_words
from app.ui.theme import SPACE_M, SPACE_S

Handler = Callable[[Any], Any]
FLAG_ICONS = {"no-text": ft.Icons.TEXT_FIELDS, "images": ft.Icons.IMAGE_OUTLINED, "chart": ft.Icons.BAR_CHART}


def sources_panel(
    state: StudioState,
    *,
    edit: Callable[[str], Handler],
    add: Handler,
    view: Callable[[str], Handler],
    remove: Callable[[str], Handler],
) -> list[ft.Control]:
    controls: list[ft.Control] = [
        ft.Text("Your books and notes", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            "PDF, Markdown or text. Type the path of a file, or of a folder to add every such file in it.",
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
        ft.Row(
            controls=[
                ft.TextField(
                    label="File or folder path",
                    hint_text="/home/me/books",
                    value=state.path,
                    dense=True,
                    expand=True,
                    disabled=state.busy,
                    on_change=edit("path"),
                    on_submit=add,
                ),
                ft.FilledButton(content="Add sources", icon=ft.Icons.ADD, disabled=state.busy, on_click=add),
            ]
        ),
    ]
    if not state.sources:
        controls.append(ft.Text("No sources yet.", color=ft.Colors.ON_SURFACE_VARIANT))
    for source in state.sources:
        shown = state.viewing == source.id
        controls.append(
            ft.Card(
                key=f"source-{source.id}",
                content=ft.Container(
                    padding=ft.Padding.all(SPACE_M),
                    content=ft.Column(
                        spacing=SPACE_S,
                        controls=[
                            ft.Row(
                                controls=[
                                    ft.Icon(
                                        ft.Icons.PICTURE_AS_PDF
                                        if source.name.lower().endswith(".pdf")
                                        else ft.Icons.DESCRIPTION
                                    ),
                                    ft.Column(
                                        expand=True,
                                        spacing=2,
                                        controls=[
                                            ft.Text(source.name, weight=ft.FontWeight.W_500),
                                            ft.Text(
                                                f"{pages_words(source)} · {size_words(source.bytes)}",
                                                size=12,
                                                color=ft.Colors.ON_SURFACE_VARIANT,
                                            ),
                                        ],
                                    ),
                                    ft.TextButton(
                                        content=f"Hide pages of {source.name}"
                                        if shown
                                        else f"Pages of {source.name}",
                                        on_click=view(source.id),
                                    ),
                                    icon_button(
                                        icon=ft.Icons.DELETE_OUTLINE,
                                        label=f"Remove {source.name}",
                                        disabled=state.busy,
                                        on_click=remove(source.id),
                                    ),
                                ]
                            ),
                            *(_pages(state) if shown else []),
                        ],
                    ),
                ),
            )
        )
    return controls


def _pages(state: StudioState) -> list[ft.Control]:
    """The extraction preview: every page's text as extracted, flagged pages first with their reason."""
    out: list[ft.Control] = []
    for page in sorted(state.pages, key=lambda p: (p.flag is None, p.number)):
        head = ft.Row(
            spacing=6,
            controls=[
                ft.Text(f"Page {page.number}", weight=ft.FontWeight.W_500),
                *(
                    [
                        ft.Icon(
                            FLAG_ICONS.get(page.flag, ft.Icons.WARNING_AMBER), size=16, color=ft.Colors.ERROR
                        ),
                        ft.Text(f"Flagged: {page.reason}", size=12, color=ft.Colors.ERROR, expand=True),
                    ]
                    if page.flag
                    else []
                ),
            ],
        )
        body = " ".join(page.text.split())
        out.append(
            ft.Container(
                padding=ft.Padding.all(SPACE_S),
                border_radius=8,
                bgcolor=ft.Colors.with_opacity(0.05, ft.Colors.ERROR if page.flag else ft.Colors.PRIMARY),
                content=ft.Column(
                    spacing=4,
                    controls=[
                        head,
                        ft.Text(
                            body[:600] + ("…" if len(body) > 600 else "") if body else "(no text extracted)",
                            size=12,
                        ),
                    ],
                ),
            )
        )
    return out
