"""Restore from an export, offered where a new profile would be created (the unlock screen's first run).

A person moving to a new device, or starting over after a lost disk, has an export ZIP but no
profile: this makes the profile from the export instead of an empty one (`Engine.restore`), under a
passphrase they choose now. An encrypted export is opened with that passphrase, or with the one it
was made under when that differs. The export is checked whole before anything is written, and a
failure leaves no half-made profile behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import flet as ft

from app.ui.hooks import use_latest_state
from app.ui.settings_parts import status_line
from app.ui.unlock_view import check_new_passphrase
from engine.api import Engine
from engine.errors import LifeOSError, WrongPassphrase


@dataclass(frozen=True)
class RestoreState:
    path: str = ""
    passphrase: str = ""
    confirm: str = ""
    export_passphrase: str = ""
    busy: bool = False
    problem: str | None = None


@ft.component
def RestoreForm(
    home: Path, on_restored: Callable[[Engine], None], on_cancel: Callable[[], None]
) -> ft.Control:
    form, set_form, latest = use_latest_state(RestoreState())

    def edit(name: str) -> Callable[[ft.Event[ft.TextField]], None]:
        def handler(e: ft.Event[ft.TextField]) -> None:
            value = e.control.value
            set_form(lambda f: replace(f, **{name: value, "problem": None}))

        return handler

    async def restore(_e: ft.Event[ft.Control]) -> None:
        current = latest()
        if current.busy:
            return
        if not current.path.strip():
            set_form(replace(current, problem="Type where the export ZIP is."))
            return
        first, second = check_new_passphrase(current.passphrase, current.confirm)
        if first or second:
            set_form(replace(current, problem=first or second))
            return
        set_form(replace(current, busy=True, problem=None))
        try:
            engine = await asyncio.to_thread(
                Engine.restore,
                Path(current.path.strip()).expanduser(),
                home,
                current.passphrase,
                password=current.export_passphrase or None,
            )
        except WrongPassphrase:
            set_form(
                replace(
                    latest(),
                    busy=False,
                    problem="The export is encrypted and neither passphrase opens it. Type the one it was made with.",
                )
            )
        except LifeOSError as exc:
            set_form(replace(latest(), busy=False, problem=f"Not restored: {exc}"))
        else:
            on_restored(engine)

    def text(label: str, name: str, value: str, *, secret: bool = False) -> ft.Control:
        return ft.TextField(
            label=label,
            value=value,
            password=secret,
            disabled=form.busy,
            on_change=edit(name),
            on_submit=restore if name == "confirm" else None,
        )

    return ft.Column(
        spacing=12,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Text("Restore from an export", theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
            ft.Text(
                "Your notes, memory, chats and settings come back from the ZIP that Export made.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
            text("Export file", "path", form.path),
            text("New passphrase", "passphrase", form.passphrase, secret=True),
            text("Confirm passphrase", "confirm", form.confirm, secret=True),
            text(
                "Export's passphrase, if different", "export_passphrase", form.export_passphrase, secret=True
            ),
            *status_line(None, form.problem),
            ft.FilledButton(
                content="Restore", icon=ft.Icons.RESTORE, disabled=form.busy, on_click=restore, height=48
            ),
            ft.Row(
                visible=form.busy,
                alignment=ft.MainAxisAlignment.CENTER,
                controls=[ft.ProgressRing(width=18, height=18, stroke_width=2), ft.Text("Restoring…")],
            ),
            ft.TextButton(content="Back", disabled=form.busy, on_click=lambda _e: on_cancel()),
        ],
    )
