"""A project's deadline on its page: the current one shown in the field, changed with a calendar or in
words ("next friday", "March 3"), cleared with one click.

The engine stores a deadline as a calendar day and resolves words once, when saved; the field shows
the saved day in the person's locale (``locale_dates``), so what they read back is what counts down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.locale_dates import format_day
from app.ui.note_display import picked_day
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_S

PICKER_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DeadlineState:
    text: str = ""
    picking: bool = False
    busy: bool = False
    problem: str | None = None


def shown_deadline(deadline: str | None) -> str:
    """The stored day as the field shows it; a value the engine did not write as a day, as stored."""
    if not deadline:
        return ""
    try:
        return format_day(date.fromisoformat(deadline[:10]))
    except ValueError:
        return deadline


@ft.component
def DeadlineField(entity_id: str, deadline: str | None) -> ft.Control:
    """The deadline row of a project page; saving tells the profile, which reloads the page."""
    profile = use_profile()
    engine = profile.engine
    state, set_state, latest = use_latest_state(DeadlineState(shown_deadline(deadline)))

    def follow_stored() -> None:  # saved here or elsewhere: the field shows the stored day
        set_state(lambda s: replace(s, text=shown_deadline(deadline)))

    ft.use_effect(follow_stored, dependencies=[deadline])

    async def save(value: str | None) -> None:
        if await run_action(
            lambda: engine.memory.set_deadline(entity_id, value),
            latest=latest,
            set_state=set_state,
            failure="That deadline was not saved: {}",
            done=lambda s, entity: replace(s, text=shown_deadline(entity.deadline)),
        ):
            profile.changed()

    async def save_typed(_e: ft.Event[ft.Control]) -> None:
        await save(latest().text.strip() or None)

    async def clear(_e: ft.Event[ft.Control]) -> None:
        await save(None)

    def edit(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value or ""
        set_state(lambda s: replace(s, text=value, problem=None))

    def open_picker(_e: ft.Event[ft.Control]) -> None:
        set_state(lambda s: replace(s, picking=True, problem=None))

    def close_picker() -> None:
        set_state(lambda s: replace(s, picking=False))

    async def picked(value: datetime | None) -> None:
        close_picker()
        if value is not None:
            await save(picked_day(value).isoformat())

    controls: list[ft.Control] = [
        ft.Row(
            spacing=SPACE_S,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.TextField(
                    label="Deadline",
                    hint_text="a date, or words like next friday",
                    value=state.text,
                    dense=True,
                    width=260,
                    disabled=state.busy,
                    on_change=edit,
                    on_submit=save_typed,
                ),
                icon_button(
                    ft.Icons.CALENDAR_MONTH,
                    "Pick the deadline on a calendar",
                    open_picker,
                    disabled=state.busy,
                ),
            ],
        ),
        ft.Row(
            spacing=SPACE_S,
            controls=[
                ft.OutlinedButton(content="Save deadline", disabled=state.busy, on_click=save_typed),
                *(
                    [ft.TextButton(content="Clear deadline", disabled=state.busy, on_click=clear)]
                    if deadline
                    else []
                ),
            ],
        ),
        DeadlinePicker(state.picking, deadline, picked, close_picker),
    ]
    controls.extend(status_line(None, state.problem))
    return ft.Column(spacing=4, controls=controls)


@ft.component
def DeadlinePicker(
    open: bool,
    deadline: str | None,
    on_pick: Callable[[datetime | None], object],
    on_close: Callable[[], None],
) -> ft.Control:
    """The calendar (portalled to the page overlay while ``open``), opened at the current deadline."""
    today = date.today()
    try:
        current = date.fromisoformat(deadline[:10]) if deadline else today
    except ValueError:
        current = today
    first = min(current, today)

    async def pick(e: ft.Event[ft.DatePicker]) -> None:
        await on_pick(e.control.value)  # type: ignore[misc]

    picker = ft.DatePicker(
        value=datetime.combine(current, time(12)),
        current_date=datetime.combine(today, time(12)),
        first_date=datetime.combine(first, time(0)),
        last_date=datetime.combine(today + timedelta(days=366 * PICKER_YEARS_AHEAD), time(23, 59)),
        help_text="Deadline",
        confirm_text="Set deadline",
        on_change=pick,
        on_dismiss=lambda _e: on_close(),
    )
    ft.use_dialog(picker if open else None)
    return ft.Container(width=0, height=0)
