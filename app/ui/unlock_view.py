"""First screen of every session: create the profile (first run) or unlock it.

Deriving the key costs one Argon2id (about 150 ms here, by design), so it runs in a worker thread:
the event loop keeps serving other sessions and this one shows a progress ring meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import flet as ft

from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.theme import SPACE_S, centered_form
from app.web_root import APP_TITLE
from engine.api import Engine
from engine.errors import LifeOSError, ProfileExists, ProfileNotFound, WeakPassphrase, WrongPassphrase

MIN_PASSPHRASE_CHARS = 8
"""Mirrors the engine's floor so the user hears about it before waiting for a key derivation;
the engine still enforces it (``WeakPassphrase``)."""

WRONG_PASSPHRASE = "That passphrase doesn't unlock this profile. Check it and try again."
ERROR_MAX_LINES = 3
TOO_SHORT = f"Use at least {MIN_PASSPHRASE_CHARS} characters."
MISMATCH = "The two passphrases don't match."


@dataclass(frozen=True)
class UnlockForm:
    """Everything the unlock screen shows besides its fixed text."""

    passphrase: str = ""
    confirm: str = ""
    passphrase_error: str | None = None
    confirm_error: str | None = None
    busy: bool = False
    revealed: bool = False


def check_new_passphrase(passphrase: str, confirm: str) -> tuple[str | None, str | None]:
    """Errors for the (passphrase, confirm) fields of the create form; ``(None, None)`` when fine."""
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        return TOO_SHORT, None
    if passphrase != confirm:
        return None, MISMATCH
    return None, None


@ft.component
def UnlockView(home: Path, on_unlocked: Callable[[Engine, bool], None]) -> ft.Control:
    """Create or unlock the profile at ``home``; hands the open Engine to ``on_unlocked``.

    The second argument says whether the profile was just created, so the root can start onboarding.
    """
    creating, set_creating = ft.use_state(lambda: not Engine.exists(home))
    form, set_form, latest_form = use_latest_state(UnlockForm())
    restoring, set_restoring = ft.use_state(False)
    if restoring and creating:
        from app.ui.restore_form import RestoreForm  # it reuses this module's passphrase rules

        return centered_form(
            [
                RestoreForm(
                    home, on_restored=lambda e: on_unlocked(e, False), on_cancel=lambda: set_restoring(False)
                )
            ]
        )

    async def submit(_e: ft.Event[ft.Control]) -> None:
        form = latest_form()
        if form.busy:
            return
        if creating:
            passphrase_error, confirm_error = check_new_passphrase(form.passphrase, form.confirm)
            if passphrase_error or confirm_error:
                set_form(replace(form, passphrase_error=passphrase_error, confirm_error=confirm_error))
                return
        set_form(replace(form, busy=True, passphrase_error=None, confirm_error=None))
        open_profile = Engine.create if creating else Engine.open
        # Not ``run_action``: each way of failing resets the form differently (and two of them
        # switch between creating and unlocking), and success hands the Engine up instead of
        # folding a result into this form.
        try:
            engine = await asyncio.to_thread(open_profile, home, form.passphrase)
        except WrongPassphrase:
            set_form(UnlockForm(passphrase_error=WRONG_PASSPHRASE))
        except WeakPassphrase as exc:
            set_form(UnlockForm(passphrase_error=str(exc)))
        except ProfileExists:
            # Another tab created it meanwhile: this passphrase may not be the one that was chosen.
            set_creating(False)
            set_form(
                UnlockForm(passphrase_error="A profile already exists here. Unlock it with its passphrase.")
            )
        except ProfileNotFound:
            set_creating(True)
            set_form(UnlockForm(passphrase_error="There is no profile here yet. Create one to start."))
        except LifeOSError as exc:
            set_form(UnlockForm(passphrase_error=f"The profile could not be opened: {exc}"))
        else:
            on_unlocked(engine, creating)

    def edit(field: str) -> Callable[[ft.Event[ft.TextField]], None]:
        def on_change(e: ft.Event[ft.TextField]) -> None:
            value = e.control.value
            set_form(lambda f: replace(f, **{field: value, f"{field}_error": None}))

        return on_change

    def toggle_reveal(_e: ft.Event[ft.IconButton]) -> None:
        set_form(lambda f: replace(f, revealed=not f.revealed))

    def reveal_button() -> ft.Control:
        # Flet's own can_reveal_password button has no accessible name; this one says what it does.
        return icon_button(
            ft.Icons.VISIBILITY_OFF_OUTLINED if form.revealed else ft.Icons.VISIBILITY_OUTLINED,
            "Hide passphrase" if form.revealed else "Show passphrase",
            toggle_reveal,
        )

    passphrase_field = ft.TextField(
        label="Passphrase",
        value=form.passphrase,
        password=not form.revealed,
        suffix_icon=reveal_button(),
        autofocus=True,
        prefix_icon=ft.Icons.KEY_OUTLINED,
        error=form.passphrase_error,
        error_max_lines=ERROR_MAX_LINES,
        helper=f"At least {MIN_PASSPHRASE_CHARS} characters" if creating else None,
        disabled=form.busy,
        on_change=edit("passphrase"),
        on_submit=None if creating else submit,
    )
    fields: list[ft.Control] = [passphrase_field]
    if creating:
        fields.append(
            ft.TextField(
                label="Confirm passphrase",
                value=form.confirm,
                password=not form.revealed,
                suffix_icon=reveal_button(),
                prefix_icon=ft.Icons.KEY_OUTLINED,
                error=form.confirm_error,
                error_max_lines=ERROR_MAX_LINES,
                disabled=form.busy,
                on_change=edit("confirm"),
                on_submit=submit,
            )
        )

    title = "Create your profile" if creating else "Unlock"
    explanation = (
        "Your notes are encrypted on this device with a passphrase only you know. "
        "It cannot be recovered, so choose one you will remember."
        if creating
        else "Enter your passphrase to open your notes."
    )
    action = "Create profile" if creating else "Unlock"
    busy_label = "Creating your encrypted profile…" if creating else "Unlocking…"

    return centered_form(
        [
            ft.Icon(
                ft.Icons.LOCK_OUTLINE if not creating else ft.Icons.SPA_OUTLINED,
                size=48,
                color=ft.Colors.PRIMARY,
                semantics_label=APP_TITLE,
            ),
            ft.Text(
                title,
                theme_style=ft.TextThemeStyle.HEADLINE_SMALL,
                text_align=ft.TextAlign.CENTER,
            ),
            ft.Text(
                explanation,
                text_align=ft.TextAlign.CENTER,
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
            ft.Container(height=SPACE_S),
            *fields,
            ft.FilledButton(
                content=action,
                icon=ft.Icons.LOCK_OPEN if not creating else ft.Icons.CHECK,
                disabled=form.busy,
                on_click=submit,
                height=48,
            ),
            ft.Row(
                visible=form.busy,
                alignment=ft.MainAxisAlignment.CENTER,
                controls=[
                    ft.ProgressRing(width=18, height=18, stroke_width=2),
                    ft.Text(busy_label, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
            ),
            ft.TextButton(
                content="Restore from an export",
                icon=ft.Icons.RESTORE,
                visible=creating and not form.busy,
                on_click=lambda _e: set_restoring(True),
            ),
        ]
    )
