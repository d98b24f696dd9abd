"""The pieces of the chat screen, as plain functions of display values (no engine calls here).

Bubbles with their sources, the voice memo card, the context panel (a sidebar on wide windows, a
bottom sheet on phones: the same lists, so both show the same thing), the preview banner and the
`@`/`#` suggestions above the composer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from app.ui.labelled import icon_button
from app.ui.mentions import Suggestion
from app.ui.para_display import TYPE_COLORS, TYPE_ICONS
from app.ui.theme import SPACE_M, SPACE_S
from app.ui.voice_memo import MemoOutcome
from app.ui.voice_playback import Playback, play_button

MENTION_TYPES = {"project": "project", "person": "person", "area": "area", "link": "resource"}
BUBBLE_GUTTER = 48
"""Room left beside the person's own messages, so theirs and the coach's read apart."""


@dataclass(frozen=True)
class Source:
    """A passage a reply cites; ``text`` is empty until it is opened for replies of an earlier
    session (only the reference is stored with the message)."""

    ref: str
    title: str
    author: str
    text: str


@dataclass(frozen=True)
class Bubble:
    role: str  # user, assistant or memo
    text: str
    sources: tuple[Source, ...] = ()
    notice: str | None = None
    memo: MemoOutcome | None = None
    message_id: str | None = None  # the stored message it shows (None while it is being sent)


@dataclass(frozen=True)
class ContextItem:
    entity_id: str
    name: str
    type: str
    detail: str = ""


def _source_chip(index: int, source: Source, on_open: Callable[[Source], Any]) -> ft.Control:
    label = f"[{index}] {source.title}" + (f" — {source.author}" if source.author else "")
    return ft.Chip(
        label=ft.Text(label, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS, size=12),
        leading=ft.Icon(ft.Icons.MENU_BOOK_OUTLINED, size=16),
        on_click=on_open(source),
        tooltip=f"Open source {source.ref}",
    )


def _memo_body(
    memo: MemoOutcome,
    go: Callable[[str], Any],
    use_text: Callable[[str], Any],
    playback: Playback | None = None,
) -> list[ft.Control]:
    minutes, seconds = divmod(round(memo.seconds), 60)
    found = [
        ft.Chip(
            label=ft.Text(e.name, size=12),
            leading=ft.Icon(
                TYPE_ICONS.get(MENTION_TYPES.get(e.type, e.type), ft.Icons.LABEL_OUTLINE),
                size=16,
                color=TYPE_COLORS.get(MENTION_TYPES.get(e.type, e.type)),
            ),
            tooltip=f"Open {e.name}",
            on_click=go(f"/para/entity/{e.entity_id}"),
        )
        for e in memo.summary.entities
        if e.entity_id
    ]
    return [
        ft.Row(
            spacing=SPACE_S,
            controls=[
                ft.Icon(ft.Icons.GRAPHIC_EQ, color=ft.Colors.PRIMARY, size=18),
                ft.Text(
                    f"Voice memo saved to today's notes · {minutes}:{seconds:02d}",
                    weight=ft.FontWeight.W_500,
                    expand=True,
                ),
                *([play_button(memo.note_id, playback)] if playback is not None else []),
            ],
        ),
        ft.Text(memo.transcript, italic=True),
        *([ft.Row(wrap=True, spacing=6, run_spacing=6, controls=found)] if found else []),
        ft.Row(
            wrap=True,
            spacing=SPACE_S,
            controls=[
                ft.TextButton(
                    content="Send to the coach",
                    icon=ft.Icons.REPLY,
                    tooltip="Put the transcript in the message box",
                    on_click=use_text(memo.transcript),
                ),
                ft.TextButton(content="Open in Daily notes", icon=ft.Icons.EDIT_NOTE, on_click=go("/notes")),
            ],
        ),
    ]


def bubble_view(
    bubble: Bubble,
    on_open: Callable[[Source], Any],
    go: Callable[[str], Any],
    use_text: Callable[[str], Any],
    key: int | None = None,
    found: bool = False,
    on_size: Any = None,
    playback: Playback | None = None,
) -> ft.Control:
    """One message; ``found`` marks the one a search result opened the conversation at; a voice
    memo's bubble plays its recording through ``playback``."""
    mine = bubble.role in ("user", "memo")
    body: list[ft.Control] = []
    if found:
        body.append(
            ft.Row(
                tight=True,
                spacing=4,
                controls=[
                    ft.Icon(ft.Icons.SEARCH, size=14, color=ft.Colors.PRIMARY),
                    ft.Text("Found by your search", size=12, color=ft.Colors.PRIMARY),
                ],
            )
        )
    if bubble.notice:
        body.append(ft.Text(bubble.notice, size=12, italic=True, color=ft.Colors.ON_SURFACE_VARIANT))
    if bubble.memo is not None:
        body += _memo_body(bubble.memo, go, use_text, playback)
    elif mine:
        # Plain, not ``selectable``: Flutter exposes a selectable Text to the accessibility tree as an
        # empty, disabled text box, so a screen reader could not read the person's own messages.
        body.append(ft.Text(bubble.text))
    else:
        body.append(ft.Markdown(bubble.text, selectable=True))
    if bubble.sources:
        body.append(
            ft.Row(
                wrap=True,
                spacing=6,
                run_spacing=6,
                controls=[_source_chip(i + 1, s, on_open) for i, s in enumerate(bubble.sources)],
            )
        )
    bgcolor = (
        ft.Colors.PRIMARY_CONTAINER
        if bubble.role == "user"
        else ft.Colors.TERTIARY_CONTAINER
        if bubble.memo is not None
        else ft.Colors.SURFACE_CONTAINER_HIGH
    )
    return _bubble_row(
        body,
        bgcolor,
        mine=mine,
        fill=not mine or bubble.memo is not None,
        key=key,
        found=found,
        on_size=on_size,
    )


def _bubble_row(
    body: list[ft.Control],
    bgcolor: str,
    *,
    mine: bool,
    fill: bool,
    key: int | None,
    found: bool = False,
    on_size: Any = None,
) -> ft.Control:
    """A bubble at its side of the conversation.

    A Row lays its children out at their natural width, unbounded: a Text in a plain child never
    wraps, and a long message of the person's own was cut to one line. So the bubble is always
    flexible: a reply fills the row (``fill``); the person's message is ``expand_loose`` (as wide as
    its text, wrapping at the row's width), with a gutter on the other side so it reads as theirs.
    """
    return ft.Row(
        key=key,
        on_size_change=on_size,
        margin=ft.Margin.only(top=SPACE_S),
        alignment=ft.MainAxisAlignment.END if mine else ft.MainAxisAlignment.START,
        vertical_alignment=ft.CrossAxisAlignment.START,
        controls=[
            *([ft.Container(width=BUBBLE_GUTTER)] if mine and not fill else []),
            ft.Container(
                expand=True,
                expand_loose=not fill,
                padding=ft.Padding.symmetric(horizontal=SPACE_M - 2, vertical=SPACE_S + 2),
                border_radius=16,
                bgcolor=bgcolor,
                border=ft.Border.all(2, ft.Colors.PRIMARY) if found else None,
                content=ft.Column(spacing=SPACE_S, tight=True, controls=body),
            ),
        ],
    )


def pending_bubble(streamed: str, key: int) -> ft.Control:
    """The reply while it is written: "…" until the first words, then the words so far. Static on
    purpose (no spinner): an animation repaints the page every frame while the engine works."""
    body: list[ft.Control] = (
        [ft.Markdown(streamed, selectable=True)]
        if streamed
        else [ft.Text("…", semantics_label="The coach is replying", color=ft.Colors.ON_SURFACE_VARIANT)]
    )
    return _bubble_row(body, ft.Colors.SURFACE_CONTAINER_HIGH, mine=False, fill=True, key=key)


def source_dialog(
    source: Source | None, loading: bool, on_close: Callable[[Any], Any]
) -> ft.AlertDialog | None:
    if source is None:
        return None
    body: list[ft.Control] = []
    if source.author:
        body.append(ft.Text(source.author, italic=True, color=ft.Colors.ON_SURFACE_VARIANT))
    if loading:
        body.append(ft.ProgressBar(semantics_label="Opening the source"))
    else:
        body.append(ft.Text(source.text or "This passage is no longer installed.", selectable=True))
    body.append(ft.Text(f"Reference: {source.ref}", size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.AlertDialog(
        title=ft.Text(source.title),
        scrollable=True,
        content=ft.Container(width=560, content=ft.Column(tight=True, controls=body)),
        actions=[ft.TextButton(content="Close source", on_click=on_close)],
        on_dismiss=on_close,
    )


def _context_tile(
    item: ContextItem, go: Callable[[str], Any], mention: Callable[[ContextItem], Any]
) -> ft.Control:
    # The mention button sits beside the tile, not inside it: a ListTile merges its children into
    # one accessible node, and the button must stay a button of its own.
    return ft.Row(
        spacing=0,
        controls=[
            ft.ListTile(
                expand=True,
                dense=True,
                content_padding=ft.Padding.only(left=SPACE_S, right=0),
                leading=ft.Icon(
                    TYPE_ICONS.get(item.type, ft.Icons.LABEL_OUTLINE), color=TYPE_COLORS.get(item.type)
                ),
                title=ft.Text(item.name, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                subtitle=ft.Text(item.detail, size=12, max_lines=1) if item.detail else None,
                tooltip=f"Open {item.name}",
                on_click=go(f"/para/entity/{item.entity_id}"),
            ),
            icon_button(
                icon=ft.Icons.ALTERNATE_EMAIL if item.type == "person" else ft.Icons.TAG,
                label=f"Mention {item.name} in your message",
                icon_size=18,
                on_click=mention(item),
            ),
        ],
    )


def context_lists(
    items: tuple[ContextItem, ...], go: Callable[[str], Any], mention: Callable[[ContextItem], Any]
) -> list[ft.Control]:
    """Active projects, then key people, each opening its PARA page or going into the message."""
    out: list[ft.Control] = []
    for type_, heading in (("project", "Active projects"), ("person", "Key people")):
        group = [i for i in items if i.type == type_]
        out.append(
            ft.Container(
                padding=ft.Padding.only(left=SPACE_S, top=SPACE_S),
                content=ft.Text(heading, theme_style=ft.TextThemeStyle.TITLE_SMALL, color=ft.Colors.PRIMARY),
            )
        )
        if group:
            out += [_context_tile(i, go, mention) for i in group]
        else:
            hint = "#project" if type_ == "project" else "@person"
            out.append(
                ft.Container(
                    padding=ft.Padding.only(left=SPACE_S),
                    content=ft.Text(
                        f"Capture a {hint} and it shows up here.", size=12, color=ft.Colors.ON_SURFACE_VARIANT
                    ),
                )
            )
    return out


def preview_banner(
    name: str, left: int, on_install: Callable[[Any], Any], on_end: Callable[[Any], Any], busy: bool
) -> ft.Control:
    text = (
        f"Preview of {name}: {left} free message{'s' if left != 1 else ''} left."
        if left
        else f"That was the last free message with {name}. Install to keep talking."
    )
    return ft.Container(
        key="preview",
        padding=ft.Padding.symmetric(horizontal=SPACE_M - 4, vertical=SPACE_S),
        border_radius=12,
        bgcolor=ft.Colors.SECONDARY_CONTAINER,
        content=ft.Column(
            spacing=4,
            tight=True,
            controls=[
                ft.Row(
                    spacing=SPACE_S,
                    controls=[ft.Icon(ft.Icons.VISIBILITY_OUTLINED, size=18), ft.Text(text, expand=True)],
                ),
                ft.Row(
                    alignment=ft.MainAxisAlignment.END,
                    spacing=SPACE_S,
                    controls=[
                        ft.TextButton(content="End preview", disabled=busy, on_click=on_end),
                        ft.FilledButton(
                            content="Install coach",
                            icon=ft.Icons.DOWNLOAD,
                            disabled=busy,
                            on_click=on_install,
                        ),
                    ],
                ),
            ],
        ),
    )


def suggestions_row(suggestions: list[Suggestion], pick: Callable[[Suggestion], Any]) -> ft.Control:
    """The people or projects an open `@`/`#` may mean, as chips above the message box. A chip takes
    no focus until it is clicked (Flutter focuses a chip only on a click or Tab), so typing goes on
    in the box while they show."""
    return ft.Row(
        key="suggestions",
        wrap=True,
        spacing=6,
        run_spacing=6,
        controls=[
            ft.Chip(
                label=ft.Text(s.token, size=13),
                leading=ft.Icon(
                    TYPE_ICONS.get(s.type, ft.Icons.LABEL_OUTLINE), size=16, color=TYPE_COLORS.get(s.type)
                ),
                tooltip=f"Insert {s.name}",
                on_click=pick(s),
            )
            for s in suggestions
        ],
    )
