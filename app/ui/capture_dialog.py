"""Quick capture from anywhere: type a thought, and see what memory made of it.

The engine saves the note, finds people (``@Sarah``), projects (``#marathon-2026``), dates and facts,
links them, and suggests a PARA place with its reason. Showing all of that right away is the point:
the coachee learns the markup by seeing it work, and can jump to the place it went. NER may load its
model on the first capture, so the work runs off the UI thread behind a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.capture_display import CaptureSummary, summarise
from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.para_display import PLACE_SLUGS, TYPE_COLORS, TYPE_ICONS
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S

DIALOG_WIDTH = 520
MENTION_TYPES = {"project": "project", "person": "person", "area": "area", "link": "resource"}


@dataclass(frozen=True)
class CaptureState:
    text: str = ""
    busy: bool = False
    result: CaptureSummary | None = None
    problem: str | None = None


def _heading(text: str) -> ft.Control:
    return ft.Text(text, theme_style=ft.TextThemeStyle.TITLE_SMALL, color=ft.Colors.PRIMARY)


def _result_controls(result: CaptureSummary, go: Callable[[str], Any]) -> list[ft.Control]:
    controls: list[ft.Control] = [
        ft.Row(
            spacing=SPACE_S,
            controls=[
                ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.PRIMARY, size=20),
                ft.Text("Saved to today's notes", weight=ft.FontWeight.W_500),
            ],
        )
    ]
    if result.entities:
        chips = []
        for found in result.entities:
            type_ = MENTION_TYPES.get(found.type, found.type)
            label = f"{found.name}{' (new)' if found.created else ''}"
            chips.append(
                ft.Chip(
                    label=label,
                    leading=ft.Icon(
                        TYPE_ICONS.get(type_, ft.Icons.LABEL_OUTLINE), size=18, color=TYPE_COLORS.get(type_)
                    ),
                    tooltip=f"Open {found.name}" if found.entity_id else found.type,
                    on_click=go(f"/para/entity/{found.entity_id}") if found.entity_id else None,
                )
            )
        controls += [
            _heading("Found"),
            ft.Row(wrap=True, spacing=SPACE_S, run_spacing=SPACE_S, controls=chips),
        ]
    place_target = (
        f"/para/entity/{result.place_entity_id}"
        if result.place_entity_id
        else f"/para/{PLACE_SLUGS[result.place]}"
        if result.place in PLACE_SLUGS
        else None
    )
    controls += [
        _heading("Suggested place"),
        ft.ListTile(
            content_padding=ft.Padding.all(0),
            leading=ft.Icon(ft.Icons.MOVE_TO_INBOX_OUTLINED, color=ft.Colors.PRIMARY),
            title=ft.Text(result.place_line),
            subtitle=ft.Text(f"Because {result.reason}."),
            trailing=icon_button(icon=ft.Icons.OPEN_IN_NEW, label="Go there", on_click=go(place_target))
            if place_target
            else None,
        ),
    ]
    if result.facts:
        controls += [
            _heading("Facts"),
            *[
                ft.ListTile(
                    content_padding=ft.Padding.all(0),
                    dense=True,
                    leading=ft.Icon(ft.Icons.LIGHTBULB_OUTLINE, size=20),
                    title=ft.Text(f.content),
                    subtitle=ft.Text(f.outcome, color=ft.Colors.ON_SURFACE_VARIANT),
                )
                for f in result.facts
            ],
        ]
    if result.dates:
        controls += [_heading("Dates"), ft.Text(", ".join(result.dates))]
    return controls


@ft.component
def CaptureDialog(open: bool, on_close: Callable[[], None]) -> ft.Control:
    """The dialog (portalled to the page overlay while ``open``); renders nothing in place."""
    profile = use_profile()
    page = ft.context.page
    state, set_state, latest = use_latest_state(CaptureState())

    def close(_e: ft.Event[ft.Control] | None = None) -> None:
        set_state(CaptureState())
        on_close()

    async def capture(_e: ft.Event[ft.Control]) -> None:
        text = latest().text.strip()
        if text and await run_action(
            lambda: profile.engine.memory.capture(text),
            latest=latest,
            set_state=set_state,
            failure="Not captured: {}",
            done=lambda s, result: replace(s, text="", result=summarise(result)),
        ):
            profile.changed()

    def edit(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, text=value, problem=None))

    def go(route: str | None) -> Callable[[ft.Event[ft.Control]], Any] | None:
        if route is None:
            return None

        async def handler(_e: ft.Event[ft.Control]) -> None:
            close()
            await page.push_route(route)

        return handler

    body: list[ft.Control] = [
        ft.TextField(
            label="Capture a thought",
            hint_text="Long run Sunday for #marathon-2026 with @Sarah",
            value=state.text,
            multiline=True,
            shift_enter=True,
            min_lines=2,
            max_lines=6,
            autofocus=True,
            disabled=state.busy,
            on_change=edit,
            on_submit=capture,
        ),
        ft.Text(
            "Tip: #project, @person and dates like “next Friday” are recognised.",
            theme_style=ft.TextThemeStyle.BODY_SMALL,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    if state.busy:
        body.append(ft.ProgressBar(semantics_label="Capturing"))
    if state.problem:
        body.append(ft.Text(state.problem, color=ft.Colors.ERROR))
    if state.result is not None:
        body += [ft.Divider(), *_result_controls(state.result, go)]

    dialog = ft.AlertDialog(
        title="Quick capture",
        scrollable=True,
        content=ft.Container(
            width=DIALOG_WIDTH,
            content=ft.Column(
                tight=True, spacing=SPACE_S, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=body
            ),
        ),
        actions=[
            ft.TextButton(content="Close", on_click=close),
            ft.FilledButton(
                content="Capture",
                icon=ft.Icons.BOLT,
                disabled=state.busy or not state.text.strip(),
                on_click=capture,
            ),
        ],
        inset_padding=ft.Padding.symmetric(horizontal=SPACE_M, vertical=SPACE_M * 2),
        on_dismiss=lambda _e: close(),
    )
    ft.use_dialog(dialog if open else None)
    return ft.Container(width=0, height=0)
