"""Daily notes: write a note, see the timeline by day, search everything written so far, and open
any day (a day's heading, a search hit or "Pick a day" lead to its page, ``app.ui.daily_day_view``).

Engine calls run in a worker thread (``asyncio.to_thread``): the encrypted database is fast, but the
event loop serves every open session and must never wait on disk. What the screen shows is derived
from one ``NotesState`` value; ``revision`` is bumped after each write, and the list and the search
results reload from the engine because of it, so they cannot drift from what is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.daily_day_view import DayPicker, note_composer, save_draft
from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.note_display import (
    DAY_KINDS,
    DayGroup,
    day_heading,
    day_path,
    full_date,
    group_by_day,
    local_time,
    parse_day,
    preview,
    snippet_parts,
)
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_M, SPACE_S
from app.ui.transcripts import highlight, is_transcript, parse_transcript, transcript_route
from engine.errors import LifeOSError
from engine.types import Note, SearchHit

NOTES_SHOWN = 200
"""The newest notes listed; older ones are one search away (paging comes with the timeline view)."""

SEARCH_RESULTS = 20


@dataclass(frozen=True)
class NotesState:
    """Everything the Daily notes screen shows."""

    notes: tuple[Note, ...] = ()
    loaded: bool = False
    draft: str = ""
    saving: bool = False
    query: str = ""
    hits: tuple[SearchHit, ...] = ()
    searched_query: str = ""
    """The query ``hits`` answer; differs from ``query`` while a search is in flight."""
    revision: int = 0
    picking: bool = False
    problem: str | None = None


Go = Callable[[str], Callable[[ft.Event[ft.Control]], Any]]
"""Makes a click handler that opens a route."""


def _note_row(note: Note) -> ft.Control:
    body = preview(note)
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        title=ft.Text(note.title or "(empty note)", max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Text(body, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS) if body else None,
        trailing=ft.Text(local_time(note.created_at), color=ft.Colors.ON_SURFACE_VARIANT),
    )


def _open_day_label(day: str) -> str:
    parsed = parse_day(day)
    return f"Open {full_date(parsed) if parsed else day}"


def _day_section(group: DayGroup, go: Go) -> list[ft.Control]:
    """The day's heading (tapping it opens the day's page) and its notes."""
    return [
        ft.Container(
            margin=ft.Margin.only(top=SPACE_S),
            padding=ft.Padding.only(left=SPACE_S, right=SPACE_S, top=SPACE_S, bottom=SPACE_S),
            border_radius=8,
            ink=True,
            on_click=go(day_path(group.day)),
            content=ft.Row(
                spacing=4,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
                controls=[
                    ft.Text(
                        group.heading,
                        theme_style=ft.TextThemeStyle.TITLE_SMALL,
                        color=ft.Colors.PRIMARY,
                    ),
                    ft.Icon(ft.Icons.CHEVRON_RIGHT, size=18, color=ft.Colors.PRIMARY),
                ],
            ),
        ),
        *[_note_row(n) for n in group.notes],
    ]


def _hit_row(hit: SearchHit, go: Go) -> ft.Control:
    spans = [
        ft.TextSpan(text, ft.TextStyle(weight=ft.FontWeight.BOLD) if is_match else None)
        for text, is_match in snippet_parts(hit.snippet)
    ]
    when = f"{day_heading(hit.note.day, date.today())} · {local_time(hit.note.created_at)}"
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        on_click=go(day_path(hit.note.day)),
        tooltip=_open_day_label(hit.note.day),
        title=ft.Text(hit.note.title or "(empty note)", max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Column(
            spacing=2,
            controls=[
                ft.Text(spans=spans, max_lines=3, overflow=ft.TextOverflow.ELLIPSIS),
                ft.Text(when, theme_style=ft.TextThemeStyle.BODY_SMALL, color=ft.Colors.ON_SURFACE_VARIANT),
            ],
        ),
    )


def _transcript_hit_row(hit: SearchHit, open_transcript: Callable[[Note], Any]) -> ft.Control:
    """A chat turn found by the search: who said what, as text (the stored Markdown is not shown),
    the searched words in bold; a click opens the conversation at that message."""
    terms = {text for text, is_match in snippet_parts(hit.snippet) if is_match}
    transcript = parse_transcript(hit.note.body)
    lines = [
        ft.Text(
            spans=[
                *(
                    [ft.TextSpan(f"{line.speaker}: ", ft.TextStyle(weight=ft.FontWeight.W_600))]
                    if line.speaker
                    else []
                ),
                *[
                    ft.TextSpan(part, ft.TextStyle(weight=ft.FontWeight.BOLD) if is_match else None)
                    for part, is_match in highlight(line.text, terms)
                ],
            ],
            max_lines=2,
            overflow=ft.TextOverflow.ELLIPSIS,
        )
        for line in transcript.lines
    ]
    when = f"{day_heading(hit.note.day, date.today())} · {local_time(hit.note.created_at)}"
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        on_click=open_transcript(hit.note),
        tooltip="Open this conversation at this message",
        leading=ft.Icon(ft.Icons.CHAT_BUBBLE_OUTLINE, color=ft.Colors.PRIMARY),
        title=ft.Text(hit.note.title or "Chat", max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Column(
            spacing=2,
            controls=[
                *lines,
                ft.Text(when, theme_style=ft.TextThemeStyle.BODY_SMALL, color=ft.Colors.ON_SURFACE_VARIANT),
            ],
        ),
    )


def _quiet(text: str) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_S, vertical=SPACE_M),
        content=ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT),
    )


def _listing(state: NotesState, go: Go, open_transcript: Callable[[Note], Any]) -> list[ft.Control]:
    """The list below the inputs: search results while a query is typed, else the timeline."""
    query = state.query.strip()
    if query:
        if state.searched_query != query:
            return [_quiet("Searching…")]
        if not state.hits:
            return [_quiet(f"No notes match “{query}”.")]
        count = len(state.hits)
        heading = f"{count} note{'s' if count != 1 else ''} match “{query}”"
        return [
            ft.Container(
                padding=ft.Padding.only(left=SPACE_S, top=SPACE_M, bottom=4),
                content=ft.Text(heading, theme_style=ft.TextThemeStyle.TITLE_SMALL, color=ft.Colors.PRIMARY),
            ),
            *[
                _transcript_hit_row(h, open_transcript) if is_transcript(h.note) else _hit_row(h, go)
                for h in state.hits
            ],
        ]
    if not state.loaded:
        return [_quiet("Loading your notes…")]
    if not state.notes:
        return [_quiet("No notes yet. Write your first one above — a sentence is enough.")]
    return [c for group in group_by_day(state.notes, date.today()) for c in _day_section(group, go)]


@ft.component
def DailyNotesView() -> ft.Control:
    """Add, list and search daily notes of the unlocked profile."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    state, set_state, latest_state = use_latest_state(NotesState())

    async def load_notes() -> None:
        # Quick captures and voice memos are part of the day too; chat transcripts are not.
        await run_action(
            lambda: engine.notes.list(kind=DAY_KINDS, limit=NOTES_SHOWN),
            set_state=set_state,
            busy=None,
            failure="Your notes could not be read: {}",
            done=lambda s, notes: replace(s, notes=tuple(notes), loaded=True),
            failed=lambda s: replace(s, loaded=True),
        )

    async def run_search() -> None:
        # Not ``run_action``: one search runs per keystroke, and only the answer to the newest query
        # may touch the problem line.
        query = state.query.strip()
        if not query:
            return
        try:
            hits = await asyncio.to_thread(engine.notes.search, query, limit=SEARCH_RESULTS)
        except LifeOSError as exc:
            hits, problem = [], f"Search failed: {exc}"
        else:
            problem = None
        # Typing fires one search per keystroke; a slow answer to an older query must not win.
        set_state(
            lambda s: (
                replace(s, hits=tuple(hits), searched_query=query, problem=problem)
                if s.query.strip() == query
                else s
            )
        )

    ft.use_effect(load_notes, dependencies=[state.revision, profile.revision])
    ft.use_effect(run_search, dependencies=[state.query, state.revision])

    async def add_note(_e: ft.Event[ft.Control]) -> None:
        await save_draft(engine, latest_state, set_state)

    def edit_draft(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, draft=value))

    def edit_query(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, query=value))

    def clear_query(_e: ft.Event[ft.IconButton]) -> None:
        set_state(lambda s: replace(s, query="", hits=(), searched_query=""))

    def go(route: str) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            await page.push_route(route)

        return handler

    def open_transcript(note: Note) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            try:
                route = await asyncio.to_thread(transcript_route, engine, note)
            except LifeOSError as exc:
                problem = f"That conversation could not be opened: {exc}"
                set_state(lambda s: replace(s, problem=problem))
                return
            # A coach removed since: its words stay searchable, and the day they were said opens.
            await page.push_route(route or day_path(note.day))

        return handler

    def set_picking(value: bool) -> Callable[..., None]:
        def handler(_e: Any = None) -> None:
            set_state(lambda s: replace(s, picking=value))

        return handler

    composer = note_composer(state.draft, state.saving, edit_draft, add_note)
    search_field = ft.TextField(
        label="Search notes",
        expand=True,
        value=state.query,
        prefix_icon=ft.Icons.SEARCH,
        dense=True,
        on_change=edit_query,
        suffix_icon=icon_button(
            icon=ft.Icons.CLOSE,
            label="Clear search",
            on_click=clear_query,
            icon_size=18,
        )
        if state.query
        else None,
    )
    search = ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            search_field,
            icon_button(
                icon=ft.Icons.CALENDAR_MONTH,
                label="Pick a day",
                on_click=set_picking(True),
            ),
        ],
    )
    problem = status_line(None, state.problem)
    screen = ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(height=SPACE_S),
            composer,
            search,
            *problem,
            ft.ListView(expand=True, spacing=0, controls=_listing(state, go, open_transcript)),
        ],
    )
    picker = DayPicker(open=state.picking, day=None, on_close=set_picking(False))
    # A zero-spacing column hosts the (zero-size) picker so it adds no gap under the list.
    return ft.Column(
        expand=True, spacing=0, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[screen, picker]
    )
