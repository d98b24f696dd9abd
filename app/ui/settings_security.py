"""Settings › Security: lock now, auto-lock after idle, change the passphrase.

Changing the passphrase rewraps the 32-byte database key under a new Argon2id key (DESIGN.md §2),
so it takes one key derivation for the old passphrase and one for the new: off the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import flet as ft

from app.ui.actions import run_action
from app.ui.app_prefs import (
    AUTO_LOCK_CHOICES,
    TAMPERED_NOTICE,
    auto_lock_label,
    load_prefs,
    save_prefs,
    with_auto_lock,
)
from app.ui.hooks import use_latest_state
from app.ui.labelled import labelled_dropdown
from app.ui.profile_context import use_profile
from app.ui.settings_parts import settings_card, status_line
from app.ui.unlock_view import check_new_passphrase
from engine.errors import WrongPassphrase


@dataclass(frozen=True)
class PassphraseForm:
    old: str = ""
    new: str = ""
    confirm: str = ""
    busy: bool = False
    ok: str | None = None
    problem: str | None = None


FIELD_NAMES = (
    ("old", "Current passphrase"),
    ("new", "New passphrase"),
    ("confirm", "Confirm new passphrase"),
)


def waiting_for(form: PassphraseForm) -> str | None:
    """Why "Change passphrase" cannot be pressed yet, naming the empty fields (None when it can).

    A greyed-out button alone left the coachee guessing: in the reported case the first field had
    never received the typing (its first click did not take the keyboard) while the other two had,
    and nothing on screen said which one the form was waiting for."""
    if form.busy:
        return None
    empty = [label for name, label in FIELD_NAMES if not getattr(form, name)]
    if not empty:
        return None
    if len(empty) == len(FIELD_NAMES):
        return "Type your current passphrase, then the new one twice."
    return f"Still empty: {' and '.join(empty)}."


@ft.component
def SecuritySettings() -> ft.Control:
    profile = use_profile()
    settings = profile.engine.settings
    prefs, set_prefs = ft.use_state(lambda: load_prefs(profile.home, settings))
    form, set_form, latest = use_latest_state(PassphraseForm())

    def choose_auto_lock(e: ft.Event[ft.Dropdown]) -> None:
        chosen = with_auto_lock(load_prefs(profile.home, settings), int(e.control.value or 0))
        save_prefs(profile.home, chosen, settings)
        set_prefs(chosen)

    def edit(field: str) -> object:
        def handler(e: ft.Event[ft.TextField]) -> None:
            value = e.control.value
            set_form(lambda f: replace(f, **{field: value, "ok": None, "problem": None}))

        return handler

    async def change(_e: ft.Event[ft.Control]) -> None:
        current = latest()
        if current.busy:
            return
        new_error, confirm_error = check_new_passphrase(current.new, current.confirm)
        if new_error or confirm_error:
            set_form(replace(current, problem=new_error or confirm_error))
            return
        await run_action(
            lambda: profile.engine.change_passphrase(current.old, current.new),
            latest=latest,
            set_state=set_form,
            failure=lambda exc: (
                "The current passphrase is not right." if isinstance(exc, WrongPassphrase) else str(exc)
            ),
            start=lambda f: replace(f, ok=None),
            done=lambda _f, _none: PassphraseForm(
                ok="Passphrase changed. Use the new one next time you unlock."
            ),
        )

    def field(label: str, name: str, value: str) -> ft.Control:
        return ft.TextField(
            label=label,
            value=value,
            password=True,
            dense=True,
            disabled=form.busy,
            on_change=edit(name),  # type: ignore[arg-type]
            on_submit=change if name == "confirm" else None,
        )

    waiting = waiting_for(form)
    return settings_card(
        "Security",
        ft.Icons.LOCK_OUTLINE,
        [
            ft.Row(
                wrap=True,
                spacing=12,
                run_spacing=12,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
                controls=[
                    ft.FilledTonalButton(
                        content="Lock now", icon=ft.Icons.LOCK, on_click=lambda _e: profile.lock()
                    ),
                    labelled_dropdown(
                        ft.Dropdown(
                            label="Auto-lock",
                            value=str(prefs.auto_lock_minutes),
                            width=220,
                            dense=True,
                            editable=False,
                            enable_search=False,
                            options=[
                                ft.DropdownOption(key=str(m), text=auto_lock_label(m))
                                for m in AUTO_LOCK_CHOICES
                            ],
                            on_select=choose_auto_lock,
                        )
                    ),
                ],
            ),
            *status_line(None, None if prefs.authentic else TAMPERED_NOTICE),
            ft.Text("Change passphrase", weight=ft.FontWeight.W_500),
            field("Current passphrase", "old", form.old),
            field("New passphrase", "new", form.new),
            field("Confirm new passphrase", "confirm", form.confirm),
            *status_line(form.ok, form.problem),
            ft.Row(
                alignment=ft.MainAxisAlignment.END,
                controls=[
                    ft.FilledButton(
                        content="Change passphrase",
                        disabled=form.busy or waiting is not None,
                        on_click=change,
                    )
                ],
            ),
            *(
                [
                    ft.Text(
                        waiting,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                        theme_style=ft.TextThemeStyle.BODY_SMALL,
                        text_align=ft.TextAlign.END,
                    )
                ]
                if waiting
                else []
            ),
        ],
        subtitle="Nobody can recover a forgotten passphrase: that is what keeps your notes private.",
    )
