"""Daily notes: write a note, see the day's timeline, search everything written so far.

Engine calls run in a worker thread (``asyncio.to_thread``): the encrypted database is fast, but the
event loop serves every open session and must never wait on disk. What the screen shows is derived
from one ``NotesState`` value; ``revision`` is bumped after each write, and the list and the search
results reload from the engine because of it, so they cannot drift from what is stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date

import flet as ft

from app.ui.hooks import use_latest_state
from app.ui.note_display import DayGroup, group_by_day, local_time, preview, snippet_parts
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S
from engine.api import LifeOSError, Note, SearchHit

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
    problem: str | None = None


def _note_row(note: Note) -> ft.Control:
    body = preview(note)
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        title=ft.Text(note.title or "(empty note)", max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Text(body, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS) if body else None,
        trailing=ft.Text(local_time(note.created_at), color=ft.Colors.ON_SURFACE_VARIANT),
    )


def _day_section(group: DayGroup) -> list[ft.Control]:
    return [
        ft.Container(
            padding=ft.Padding.only(left=SPACE_S, top=SPACE_M, bottom=4),
            content=ft.Text(
                group.heading,
                theme_style=ft.TextThemeStyle.TITLE_SMALL,
                color=ft.Colors.PRIMARY,
            ),
        ),
        *[_note_row(n) for n in group.notes],
    ]


def _hit_row(hit: SearchHit) -> ft.Control:
    spans = [
        ft.TextSpan(text, ft.TextStyle(weight=ft.FontWeight.BOLD) if is_match else None)
        for text, is_match in snippet_parts(hit.snippet)
    ]
    when = f"{hit.note.day} · {local_time(hit.note.created_at)}"
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        title=ft.Text(hit.note.title or "(empty note)", max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Column(
            spacing=2,
            controls=[
                ft.Text(spans=spans, max_lines=3, overflow=ft.TextOverflow.ELLIPSIS),
                ft.Text(when, theme_style=ft.TextThemeStyle.BODY_SMALL, color=ft.Colors.ON_SURFACE_VARIANT),
            ],
        ),
    )


def _quiet(text: str) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_S, vertical=SPACE_M),
        content=ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT),
    )


def _listing(state: NotesState) -> list[ft.Control]:
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
            *[_hit_row(h) for h in state.hits],
        ]
    if not state.loaded:
        return [_quiet("Loading your notes…")]
    if not state.notes:
        return [_quiet("No notes yet. Write your first one above — a sentence is enough.")]
    return [c for group in group_by_day(state.notes, date.today()) for c in _day_section(group)]


@ft.component
def DailyNotesView() -> ft.Control:
    """Add, list and search daily notes of the unlocked profile."""
    engine = use_profile().engine
    state, set_state, latest_state = use_latest_state(NotesState())

    async def load_notes() -> None:
        try:
            notes = await asyncio.to_thread(engine.list_notes, kind="daily", limit=NOTES_SHOWN)
        except LifeOSError as exc:
            problem = f"Your notes could not be read: {exc}"
            set_state(lambda s: replace(s, loaded=True, problem=problem))
            return
        set_state(lambda s: replace(s, notes=tuple(notes), loaded=True))

    async def run_search() -> None:
        query = state.query.strip()
        if not query:
            return
        try:
            hits = await asyncio.to_thread(engine.search_notes, query, limit=SEARCH_RESULTS)
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

    ft.use_effect(load_notes, dependencies=[state.revision])
    ft.use_effect(run_search, dependencies=[state.query, state.revision])

    async def add_note(_e: ft.Event[ft.Control]) -> None:
        current = latest_state()
        text = current.draft.strip()
        if not text or current.saving:
            return
        set_state(lambda s: replace(s, saving=True, problem=None))
        try:
            await asyncio.to_thread(engine.add_note, text)
        except LifeOSError as exc:
            problem = f"The note was not saved: {exc}"
            set_state(lambda s: replace(s, saving=False, problem=problem))
            return
        set_state(lambda s: replace(s, saving=False, draft="", revision=s.revision + 1))

    def edit_draft(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, draft=value))

    def edit_query(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, query=value))

    def clear_query(_e: ft.Event[ft.IconButton]) -> None:
        set_state(lambda s: replace(s, query="", hits=(), searched_query=""))

    composer = ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.TextField(
                label="New note",
                hint_text="What's on your mind?",
                value=state.draft,
                multiline=True,
                shift_enter=True,
                min_lines=1,
                max_lines=5,
                expand=True,
                disabled=state.saving,
                on_change=edit_draft,
                on_submit=add_note,
            ),
            ft.FilledButton(
                content="Add note",
                icon=ft.Icons.ADD,
                tooltip="Save to today's notes (Enter)",
                disabled=state.saving or not state.draft.strip(),
                on_click=add_note,
                height=48,
            ),
        ],
    )
    search = ft.TextField(
        label="Search notes",
        value=state.query,
        prefix_icon=ft.Icons.SEARCH,
        dense=True,
        on_change=edit_query,
        suffix_icon=ft.IconButton(
            icon=ft.Icons.CLOSE,
            tooltip="Clear search",
            on_click=clear_query,
            icon_size=18,
        )
        if state.query
        else None,
    )
    problem = (
        [ft.Text(state.problem, color=ft.Colors.ERROR, semantics_label=f"Problem: {state.problem}")]
        if state.problem
        else []
    )
    return ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(height=SPACE_S),
            composer,
            search,
            *problem,
            ft.ListView(expand=True, spacing=0, controls=_listing(state)),
        ],
    )
