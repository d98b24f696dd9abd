"""Settings › Check-ins: when the heartbeat may speak, and how often each coach checks in.

Active hours are learned from when the coachee writes (tacit knowledge), 8–21 until there is enough
to learn from; the field shows the hours that apply now, so an empty field never suggests "never".
Typing other hours overrides them, and clearing the field goes back to learning. Saving the form
with the shown hours untouched keeps learning them (they would otherwise freeze into a choice the
coachee never made). Quiet hours always win over active hours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import labelled_dropdown
from app.ui.profile_context import use_profile
from app.ui.settings_parts import settings_card, status_line
from engine.api import Engine

FREQUENCY_CHOICES = (
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("biweekly", "Every two weeks"),
    ("off", "Off"),
)


def windows_text(windows: list[Any]) -> str:
    """[HourWindow(7, 9), HourWindow(19, 22)] → '7-9,19-22', the form the engine reads back."""
    return ",".join(f"{w.start}-{w.end}" for w in windows)


@dataclass(frozen=True)
class CoachRhythm:
    coach_id: str
    name: str
    frequency: str


@dataclass(frozen=True)
class HoursForm:
    active: str = ""
    active_shown: str = ""
    """The active hours as loaded: saving them unchanged is not a choice."""
    active_chosen: bool = False
    quiet: str = ""
    coaches: tuple[CoachRhythm, ...] = ()
    loaded: bool = False
    busy: bool = False
    ok: str | None = None
    problem: str | None = None


def read_hours(engine: Engine) -> HoursForm:
    quiet = engine.heartbeat.quiet_hours()
    coaches = tuple(
        CoachRhythm(c.id, c.name, engine.heartbeat.checkin_frequency(c.id)) for c in engine.coaches.list()
    )
    active = windows_text(engine.heartbeat.checkin_hours())
    return HoursForm(
        active=active,
        active_shown=active,
        active_chosen=engine.heartbeat.active_hours_chosen(),
        quiet=windows_text([quiet]) if quiet else "",
        coaches=coaches,
        loaded=True,
    )


def save_hours(engine: Engine, form: HoursForm) -> None:
    active = form.active.strip()
    if form.active_chosen or active != form.active_shown:
        engine.heartbeat.set_active_hours(active or None)
    engine.heartbeat.set_quiet_hours(form.quiet.strip() or None)


def active_hours_help(form: HoursForm) -> str:
    """Where the shown hours come from, so a default is not mistaken for a choice (or for nothing).

    Two short lines at most on a phone: a taller helper lies over the middle of the field, where a
    tap (and a screen reader's touch) lands on the helper instead of the field."""
    if form.active_chosen:
        return "The hours you chose. Empty: learn them from when you write."
    return "Learned from when you write; 8-21 to begin with. Type hours to choose."


@ft.component
def CheckinSettings() -> ft.Control:
    profile = use_profile()
    engine = profile.engine
    form, set_form, latest = use_latest_state(HoursForm())

    async def load() -> None:
        await run_action(
            lambda: read_hours(engine),
            set_state=set_form,
            busy=None,
            done=lambda _f, loaded: loaded,
            failed=lambda f: replace(f, loaded=True),
        )

    ft.use_effect(load, dependencies=[])

    def edit(field: str) -> Any:
        def handler(e: ft.Event[ft.TextField]) -> None:
            value = e.control.value
            set_form(lambda f: replace(f, **{field: value, "ok": None, "problem": None}))

        return handler

    async def save(_e: ft.Event[ft.Control]) -> None:
        current = latest()

        def apply() -> HoursForm:
            save_hours(engine, current)
            return read_hours(engine)

        await run_action(
            apply,
            latest=latest,
            set_state=set_form,
            start=lambda f: replace(f, ok=None),
            done=lambda _f, fresh: replace(fresh, ok="Hours saved."),
        )

    def frequency(coach_id: str) -> Any:
        async def handler(e: ft.Event[ft.Dropdown]) -> None:
            value = e.control.value or "weekly"

            def saved(f: HoursForm, _result: None) -> HoursForm:
                coaches = tuple(
                    replace(c, frequency=value) if c.coach_id == coach_id else c for c in f.coaches
                )
                return replace(f, coaches=coaches, ok="Check-in rhythm saved.")

            await run_action(
                lambda: engine.heartbeat.set_checkin_frequency(coach_id, value),
                set_state=set_form,
                busy=None,
                done=saved,
            )

        return handler

    if not form.loaded:
        return settings_card(
            "Check-ins", ft.Icons.NOTIFICATIONS_OUTLINED, [ft.ProgressBar(semantics_label="Loading")]
        )
    rhythm: list[ft.Control]
    if form.coaches:
        rhythm = [
            labelled_dropdown(
                ft.Dropdown(
                    label=f"{c.name} checks in",
                    value=c.frequency,
                    dense=True,
                    editable=False,
                    enable_search=False,
                    options=[ft.DropdownOption(key=k, text=t) for k, t in FREQUENCY_CHOICES],
                    on_select=frequency(c.coach_id),
                )
            )
            for c in form.coaches
        ]
    else:
        rhythm = [
            ft.Text(
                "Install a coach from the Gallery to choose how often it checks in.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        ]
    return settings_card(
        "Check-ins",
        ft.Icons.NOTIFICATIONS_OUTLINED,
        [
            ft.TextField(
                label="Active hours",
                value=form.active,
                hint_text="7-9,19-22",
                helper=active_hours_help(form),
                helper_max_lines=2,
                dense=True,
                disabled=form.busy,
                on_change=edit("active"),
                on_submit=save,
            ),
            ft.TextField(
                label="Quiet hours",
                value=form.quiet,
                hint_text="22-7",
                helper="Never during these hours. Empty: no quiet hours.",
                helper_max_lines=2,
                dense=True,
                disabled=form.busy,
                on_change=edit("quiet"),
                on_submit=save,
            ),
            ft.Row(
                alignment=ft.MainAxisAlignment.END,
                controls=[ft.FilledButton(content="Save hours", disabled=form.busy, on_click=save)],
            ),
            *rhythm,
            *status_line(form.ok, form.problem),
        ],
        subtitle="The heartbeat writes only when it has a reason, and only in your hours.",
    )
