"""One day of notes: everything written that day in time order, stepping to the days around it, a
date picker to open any day, and (on today's page) a composer to add to today.

The page lives at ``/notes/day/<YYYY-MM-DD>``, so a day can be bookmarked and reloaded. Engine calls
run in a worker thread; the notes are asked for by day alone and filtered here, because a query on
the day uses the day index, while one on day *and* kind can scan every note of that kind.

The days with notes nearest before and after are looked up one day at a time (one indexed query
each, about 30 µs); the search goes back at most ``NEIGHBOUR_SEARCH_DAYS``, so a long gap costs
a few milliseconds and an empty profile no more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state, use_page_width
from app.ui.labelled import icon_button
from app.ui.note_display import (
    day_heading,
    day_path,
    day_subtitle,
    day_title,
    empty_day_text,
    full_date,
    in_time_order,
    is_voice_memo,
    local_time,
    nearest_day_with_notes,
    note_parts,
    note_tag,
    parse_day,
    picked_day,
)
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_M, SPACE_S, WIDE_LAYOUT_MIN_WIDTH
from app.ui.voice_playback import Playback, play_button, playing_line, use_voice_player
from engine.api import Engine
from engine.types import Note

DAY_NOTES_LIMIT = 1000
"""Notes read for one day; a day with more (a bulk import) shows its newest ``DAY_NOTES_LIMIT``."""

NEIGHBOUR_SEARCH_DAYS = 366
"""How far back the "earlier notes" link looks for a day with notes."""

FIRST_PICKABLE = datetime(2000, 1, 1)


@dataclass(frozen=True)
class DayState:
    """Everything the page of one day shows; ``day`` says which day the loaded values belong to."""

    day: str = ""
    notes: tuple[Note, ...] = ()
    truncated: bool = False
    earlier: date | None = None
    later: date | None = None
    loaded: bool = False
    draft: str = ""
    saving: bool = False
    picking: bool = False
    revision: int = 0
    problem: str | None = None


@dataclass(frozen=True)
class DayData:
    notes: tuple[Note, ...]
    truncated: bool
    earlier: date | None
    later: date | None


def load_day(engine: Engine, day: date, today: date) -> DayData:
    """The day's notes and the nearest days with notes around it (runs in a worker thread)."""
    raw = engine.notes.list(day=day.isoformat(), limit=DAY_NOTES_LIMIT)

    def has_notes(d: date) -> bool:
        return bool(in_time_order(engine.notes.list(day=d.isoformat(), limit=DAY_NOTES_LIMIT)))

    earlier = nearest_day_with_notes(has_notes, day, -1, day - timedelta(days=NEIGHBOUR_SEARCH_DAYS))
    later = nearest_day_with_notes(has_notes, day, 1, today) if day < today else None
    return DayData(in_time_order(raw), len(raw) == DAY_NOTES_LIMIT, earlier, later)


async def save_draft(engine: Engine, latest: Callable[[], Any], set_state: Callable[[Any], None]) -> None:
    """Save the composer's draft as today's note: for any screen state with ``draft``, ``saving``,
    ``problem`` and ``revision`` (bumped so the screen reloads what is stored)."""
    text = latest().draft.strip()
    if text:
        await run_action(
            lambda: engine.notes.add(text),
            latest=latest,
            set_state=set_state,
            busy="saving",
            failure="The note was not saved: {}",
            done=lambda s, _note: replace(s, draft="", revision=s.revision + 1),
        )


def note_composer(
    draft: str, saving: bool, on_change: Callable[..., Any], on_submit: Callable[..., Any]
) -> ft.Control:
    """The "add to today" row the timeline and today's page share."""
    return ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.TextField(
                label="New note",
                hint_text="What's on your mind?",
                value=draft,
                multiline=True,
                shift_enter=True,
                min_lines=1,
                max_lines=5,
                expand=True,
                disabled=saving,
                on_change=on_change,
                on_submit=on_submit,
            ),
            ft.FilledButton(
                content="Add note",
                icon=ft.Icons.ADD,
                tooltip="Save to today's notes (Enter)",
                disabled=saving or not draft.strip(),
                on_click=on_submit,
                height=48,
            ),
        ],
    )


@ft.component
def DayPicker(open: bool, day: date | None, on_close: Callable[[], None]) -> ft.Control:
    """The "Pick a day" calendar (portalled to the page overlay while ``open``); choosing a day opens
    its page. Renders nothing in place."""
    page = ft.context.page
    today = date.today()
    shown = min(day or today, today)

    async def pick(e: ft.Event[ft.DatePicker]) -> None:
        value = e.control.value
        on_close()
        if value is not None:
            await page.push_route(day_path(picked_day(value)))

    picker = ft.DatePicker(
        value=datetime.combine(shown, time(12)),
        current_date=datetime.combine(today, time(12)),
        first_date=FIRST_PICKABLE,
        last_date=datetime.combine(today, time(23, 59)),
        help_text="Open a day",
        confirm_text="Open",
        on_change=pick,
        on_dismiss=lambda _e: on_close(),
    )
    ft.use_dialog(picker if open else None)
    return ft.Container(width=0, height=0)


def _note_card(note: Note, playback: Playback) -> ft.Control:
    title, text = note_parts(note)
    when = local_time(note.created_at)
    meta: list[ft.Control] = [
        ft.Text(when, theme_style=ft.TextThemeStyle.LABEL_LARGE, color=ft.Colors.PRIMARY),
    ]
    if is_voice_memo(note):
        meta.append(play_button(note.id, playback))
    tag = note_tag(note)
    if tag:
        meta.append(
            ft.Container(
                padding=ft.Padding.symmetric(horizontal=6, vertical=1),
                border_radius=8,
                border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                content=ft.Text(tag, size=11, color=ft.Colors.ON_SURFACE_VARIANT),
            )
        )
    body: list[ft.Control] = [
        ft.Row(spacing=SPACE_S, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=meta)
    ]
    if title:
        body.append(ft.Text(title, weight=ft.FontWeight.W_600))
    # Not ``selectable``: Flutter web then exposes the card as one read-only text field named by its
    # first line, and the note's words vanish from what a screen reader (and the tests) can find.
    body.append(ft.Text(text))
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_M, vertical=SPACE_S + 4),
        border_radius=12,
        bgcolor=ft.Colors.with_opacity(0.5, ft.Colors.SURFACE_CONTAINER_HIGHEST),
        content=ft.Column(spacing=4, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=body),
    )


def _quiet(text: str, icon: ft.IconData | None = None) -> ft.Control:
    controls: list[ft.Control] = [ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT, expand=True)]
    if icon is not None:
        controls.insert(0, ft.Icon(icon, color=ft.Colors.ON_SURFACE_VARIANT, size=20))
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_S, vertical=SPACE_M),
        content=ft.Row(spacing=SPACE_S, controls=controls),
    )


def _jumps(state: DayState, day: date, today: date, go: Callable[[str], Any]) -> list[ft.Control]:
    """Links to the nearest days with notes, where they are further than the next step."""
    links: list[ft.Control] = []
    if state.earlier is not None and state.earlier != day - timedelta(days=1):
        label = f"Earlier notes: {day_heading(state.earlier.isoformat(), today)}"
        links.append(
            ft.TextButton(
                content=label,
                icon=ft.Icons.KEYBOARD_DOUBLE_ARROW_LEFT,
                tooltip=f"Open {full_date(state.earlier)}",
                on_click=go(day_path(state.earlier)),
            )
        )
    if state.later is not None and state.later != day + timedelta(days=1):
        label = f"Later notes: {day_heading(state.later.isoformat(), today)}"
        links.append(
            ft.TextButton(
                content=label,
                icon=ft.Icons.KEYBOARD_DOUBLE_ARROW_RIGHT,
                tooltip=f"Open {full_date(state.later)}",
                on_click=go(day_path(state.later)),
            )
        )
    if not links:
        return []
    return [ft.Row(wrap=True, spacing=SPACE_S, run_spacing=0, controls=links)]


def _listing(
    state: DayState, day: date, today: date, loaded: bool, go: Callable[[str], Any], playback: Playback
) -> list[ft.Control]:
    if not loaded:
        return [_quiet("Loading the day…")]
    controls: list[ft.Control] = []
    if not state.notes:
        controls.append(_quiet(empty_day_text(day, today), ft.Icons.WB_TWILIGHT))
    else:
        if state.truncated:
            controls.append(_quiet(f"Showing the latest {len(state.notes)} notes of this day."))
        controls += [_note_card(n, playback) for n in state.notes]
    return controls + _jumps(state, day, today, go)


@ft.component
def DayView() -> ft.Control:
    """The page behind ``/notes/day/<YYYY-MM-DD>``."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    day_text = ft.use_route_params().get("day", "")
    day = parse_day(day_text)
    today = date.today()
    narrow = use_page_width() < WIDE_LAYOUT_MIN_WIDTH
    state, set_state, latest_state = use_latest_state(DayState())
    playback = use_voice_player()
    routed_day = ft.use_ref(day_text)
    routed_day.current = day_text

    async def load() -> None:
        if day is None:
            return

        def show(s: DayState, data: DayData) -> DayState:
            if routed_day.current != day_text:
                return s  # stepped on before this day finished loading: the newer load fills the page
            return replace(
                s,
                day=day_text,
                notes=data.notes,
                truncated=data.truncated,
                earlier=data.earlier,
                later=data.later,
                loaded=True,
            )

        await run_action(
            lambda: load_day(engine, day, date.today()),
            set_state=set_state,
            busy=None,
            failure="The notes of this day could not be read: {}",
            done=show,
            failed=lambda s: replace(s, day=day_text, notes=(), loaded=True),
        )

    ft.use_effect(load, dependencies=[day_text, state.revision, profile.revision])

    def go(route: str) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            await page.push_route(route)

        return handler

    async def add_note(_e: ft.Event[ft.Control]) -> None:
        await save_draft(engine, latest_state, set_state)

    def edit_draft(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, draft=value))

    def set_picking(value: bool) -> Callable[..., None]:
        def handler(_e: Any = None) -> None:
            set_state(lambda s: replace(s, picking=value))

        return handler

    picker = DayPicker(open=state.picking, day=day, on_close=set_picking(False))
    pick_button = ft.OutlinedButton(
        content="Pick a day", icon=ft.Icons.CALENDAR_MONTH, tooltip="Open any day", on_click=set_picking(True)
    )
    all_notes = ft.TextButton(
        content="All notes", icon=ft.Icons.ARROW_BACK, tooltip="Back to the timeline", on_click=go("/notes")
    )
    if day is None:
        bad = ft.Column(
            expand=True,
            spacing=SPACE_S,
            controls=[
                ft.Container(height=SPACE_S),
                ft.Text("Not a day", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                ft.Text(
                    f"“{day_text}” is not a date this page can open. Days are written like "
                    f"{today.isoformat()}.",
                    color=ft.Colors.ERROR,
                    semantics_label=f"Problem: “{day_text}” is not a date",
                ),
                ft.Row(
                    wrap=True,
                    spacing=SPACE_S,
                    run_spacing=SPACE_S,
                    controls=[
                        all_notes,
                        ft.TextButton(
                            content="Today",
                            icon=ft.Icons.TODAY,
                            tooltip="Open today",
                            on_click=go(day_path(today)),
                        ),
                        pick_button,
                    ],
                ),
            ],
        )
        return _with_picker(bad, picker)

    loaded = state.loaded and state.day == day_text
    is_today = day == today
    subtitle = day_subtitle(day, today, len(state.notes) if loaded else None)
    header = ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        spacing=4,
        controls=[
            icon_button(
                icon=ft.Icons.CHEVRON_LEFT,
                label="Previous day",
                on_click=go(day_path(day - timedelta(days=1))),
            ),
            ft.Column(
                expand=True,
                spacing=0,
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                controls=[
                    ft.Text(
                        day_title(day, today),
                        theme_style=ft.TextThemeStyle.TITLE_LARGE,
                        # "Wednesday 30 September 2026" stays on one line between the arrows of a phone.
                        size=18 if narrow else None,
                        text_align=ft.TextAlign.CENTER,
                        max_lines=2,
                    ),
                    ft.Text(
                        subtitle,
                        theme_style=ft.TextThemeStyle.BODY_MEDIUM,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                        text_align=ft.TextAlign.CENTER,
                        visible=bool(subtitle),
                    ),
                ],
            ),
            icon_button(
                icon=ft.Icons.CHEVRON_RIGHT,
                label="Next day",
                disabled=day >= today,
                on_click=go(day_path(day + timedelta(days=1))),
            ),
        ],
    )
    actions: list[ft.Control] = [all_notes, pick_button]
    if not is_today:
        actions.append(
            ft.TextButton(
                content="Today", icon=ft.Icons.TODAY, tooltip="Open today", on_click=go(day_path(today))
            )
        )
    problem = status_line(playing_line(playback), state.problem or playback.problem)
    composer = (
        [
            ft.Container(
                padding=ft.Padding.only(top=4, bottom=SPACE_M),
                content=note_composer(state.draft, state.saving, edit_draft, add_note),
            )
        ]
        if is_today
        else []
    )
    screen = ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(height=4),
            header,
            ft.Row(
                wrap=True,
                spacing=SPACE_S,
                run_spacing=0,
                alignment=ft.MainAxisAlignment.CENTER,
                controls=actions,
            ),
            *problem,
            ft.ListView(
                expand=True, spacing=SPACE_S, controls=_listing(state, day, today, loaded, go, playback)
            ),
            *composer,
        ],
    )
    return _with_picker(screen, picker)


def _with_picker(screen: ft.Control, picker: ft.Control) -> ft.Control:
    """The screen plus the (zero-size) picker host, without a spacing gap for the host."""
    return ft.Column(
        expand=True, spacing=0, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[screen, picker]
    )
