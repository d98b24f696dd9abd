"""The studio's Chunks panel: the passages coachees will be quoted, searchable, each editable.

A chunk is what one citation points to. The creator searches them, edits one in place, splits it
(at the caret's paragraph: the first blank line past the middle), merges it with the next, or leaves
it out of the pack; an excluded chunk stays listed, struck through, so it can be brought back. On a
phone the list is for reading: the edit buttons need a laptop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.ui.studio_state import StudioState
from app.ui.theme import SPACE_M, SPACE_S

Handler = Callable[[Any], Any]
SHOWN_AT_MOST = 200
"""Chunks drawn at once; a search narrows a large book down (a 50 MB set has tens of thousands)."""


def split_point(text: str) -> int:
    """Where "Split" cuts: the paragraph break nearest the middle, else the sentence end nearest it."""
    middle = len(text) // 2
    breaks = [i for i in range(len(text)) if text.startswith("\n\n", i)]
    if not breaks:
        breaks = [i + 1 for i, c in enumerate(text[:-1]) if c in ".!?" and text[i + 1] == " "]
    return min(breaks, key=lambda i: abs(i - middle)) if breaks else middle


def chunks_panel(
    state: StudioState,
    *,
    wide: bool,
    edit: Callable[[str], Handler],
    search: Handler,
    start_edit: Callable[[str], Handler],
    save_edit: Handler,
    cancel_edit: Handler,
    split: Callable[[str], Handler],
    merge: Callable[[str], Handler],
    exclude: Callable[[str, bool], Handler],
) -> list[ft.Control]:
    chunks = state.chunks
    included = sum(1 for c in chunks if not c.excluded)
    controls: list[ft.Control] = [
        ft.Text("Chunks", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.TextField(
            label="Search the chunks",
            prefix_icon=ft.Icons.SEARCH,
            value=state.query,
            dense=True,
            on_change=edit("query"),
            on_submit=search,
        ),
        ft.Text(
            _count_words(len(chunks), included, bool(state.query)),
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    for chunk in chunks[:SHOWN_AT_MOST]:
        controls.append(
            _chunk(chunk, state, wide, edit, start_edit, save_edit, cancel_edit, split, merge, exclude)
        )
    if len(chunks) > SHOWN_AT_MOST:
        controls.append(ft.Text(f"…and {len(chunks) - SHOWN_AT_MOST:,} more: search to narrow them down."))
    return controls


def _chunk(
    chunk: Any,
    state: StudioState,
    wide: bool,
    edit: Callable[[str], Handler],
    start_edit: Callable[[str], Handler],
    save_edit: Handler,
    cancel_edit: Handler,
    split: Callable[[str], Handler],
    merge: Callable[[str], Handler],
    exclude: Callable[[str, bool], Handler],
) -> ft.Control:
    editing = state.editing == chunk.id
    if editing:
        body: ft.Control = ft.Column(
            controls=[
                ft.TextField(
                    label=f"Text of {chunk.ref}",
                    value=state.edit_text,
                    multiline=True,
                    min_lines=3,
                    max_lines=12,
                    on_change=edit("edit_text"),
                ),
                ft.Row(
                    controls=[
                        ft.FilledButton(content=f"Save {chunk.ref}", disabled=state.busy, on_click=save_edit),
                        ft.TextButton(content="Cancel", on_click=cancel_edit),
                    ]
                ),
            ]
        )
    else:
        body = ft.Text(
            chunk.text,
            size=13,
            style=ft.TextStyle(decoration=ft.TextDecoration.LINE_THROUGH) if chunk.excluded else None,
            color=ft.Colors.ON_SURFACE_VARIANT if chunk.excluded else None,
        )
    actions: list[ft.Control] = []
    if wide and not editing:
        actions = [
            ft.TextButton(content=f"Edit {chunk.ref}", disabled=state.busy, on_click=start_edit(chunk.id)),
            ft.TextButton(content=f"Split {chunk.ref}", disabled=state.busy, on_click=split(chunk.id)),
            ft.TextButton(
                content=f"Merge {chunk.ref} with the next", disabled=state.busy, on_click=merge(chunk.id)
            ),
            ft.TextButton(
                content=f"Include {chunk.ref}" if chunk.excluded else f"Exclude {chunk.ref}",
                disabled=state.busy,
                on_click=exclude(chunk.id, not chunk.excluded),
            ),
        ]
    badges = " · ".join(
        b for b in ("edited" if chunk.edited else "", "left out" if chunk.excluded else "") if b
    )
    return ft.Card(
        key=f"chunk-{chunk.id}",
        content=ft.Container(
            padding=ft.Padding.all(SPACE_M),
            content=ft.Column(
                spacing=SPACE_S,
                controls=[
                    ft.Row(
                        controls=[
                            ft.Text(chunk.ref, weight=ft.FontWeight.BOLD, color=ft.Colors.PRIMARY),
                            ft.Text(chunk.title, size=12, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
                            ft.Text(badges, size=12, color=ft.Colors.TERTIARY),
                        ]
                    ),
                    body,
                    ft.Row(wrap=True, spacing=0, controls=actions),
                ],
            ),
        ),
    )


def _count_words(shown: int, included: int, searching: bool) -> str:
    noun = "chunk" if shown == 1 else "chunks"
    verb = (" matches" if shown == 1 else " match") if searching else ""
    return f"{shown:,} {noun}{verb}, {included:,} in the pack"
