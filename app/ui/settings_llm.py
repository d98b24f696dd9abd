"""Settings › Local model: the language models this device can run for the coaches' replies.

The card lists the recommended models and the installed ones, downloads one when the person presses
its button (never otherwise; with a progress bar), chooses the one in use, and shows what a loaded
model costs in memory beside the machine's free memory. The model runs in its own process only while
the coaches use it, so "not loaded" is the usual state. Reading the status touches disk, and a
download takes minutes, so both run off the UI thread; progress comes back through the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.profile_context import use_profile
from app.ui.settings_parts import megabytes, settings_card, status_line
from engine.api import Engine

PROGRESS_STEP = 0.01


@dataclass(frozen=True)
class LlmForm:
    status: Any = None  # engine.llm.status(): installed, catalog, in use, memory
    busy: str | None = None  # the model being downloaded, chosen or removed
    progress: float | None = None  # share of the download done
    ok: str | None = None
    problem: str | None = None


def read_status(engine: Engine) -> Any:
    return engine.llm.status()


def _memory_line(status: Any) -> str:
    free = f"; {megabytes(status.free_bytes)} free on this device" if status.free_bytes else ""
    if status.loaded:
        return (
            f"Loaded now: {megabytes(status.memory_bytes)} (budget {megabytes(status.budget_bytes)}){free}."
        )
    return f"Not loaded (it loads for a reply and leaves after idle minutes; budget {megabytes(status.budget_bytes)}){free}."


@ft.component
def LocalModelSettings() -> ft.Control:
    engine = use_profile().engine
    form, set_form, latest = use_latest_state(LlmForm())

    async def load() -> None:
        await run_action(
            lambda: read_status(engine),
            set_state=set_form,
            busy=None,
            failure="The local models could not be listed: {}",
            done=lambda f, status: replace(f, status=status),
        )

    ft.use_effect(load, dependencies=[])

    async def act(name: str, work: Any, ok: str, *, download: bool = False) -> None:
        loop = asyncio.get_running_loop()
        shown = {"share": -1.0}

        def progress(done: int, total: int) -> None:
            share = done / total if total else 0.0
            if share - shown["share"] < PROGRESS_STEP and done != total:
                return
            shown["share"] = share
            loop.call_soon_threadsafe(lambda: set_form(lambda f: replace(f, progress=share)))

        def run() -> Any:
            work(progress) if download else work()
            return read_status(engine)

        await run_action(
            run,
            latest=latest,
            set_state=set_form,
            busy="busy",
            busy_value=name,
            start=lambda f: replace(f, ok=None, progress=0.0 if download else None),
            done=lambda f, status: replace(f, status=status, ok=ok, progress=None),
            failed=lambda f: replace(f, progress=None),
        )

    def download(name: str) -> Any:
        async def handler(_e: Any) -> None:
            await act(
                name,
                lambda progress: engine.llm.add(name, progress=progress),
                f"{name} is installed and verified. Choose it to let the coaches use it.",
                download=True,
            )

        return handler

    def use(name: str | None) -> Any:
        async def handler(_e: Any) -> None:
            if name is None:
                await act("grounded", engine.llm.stop_using, "Replies are offline (grounded) again.")
            else:
                await act(name, lambda: engine.llm.use(name), f"The coaches now answer with {name}.")

        return handler

    def remove(name: str) -> Any:
        async def handler(_e: Any) -> None:
            await act(name, lambda: engine.llm.remove(name), f"{name} was removed.")

        return handler

    status = form.status
    controls: list[ft.Control] = []
    if status is None:
        controls.append(
            ft.Text(form.problem, color=ft.Colors.ERROR)
            if form.problem
            else ft.ProgressBar(semantics_label="Reading the local models")
        )
        return settings_card("Local model", ft.Icons.SMART_TOY_OUTLINED, controls)
    in_use = status.in_use
    controls.append(
        ft.Text(
            f"In use: {in_use}" if in_use else "In use: none — replies are composed offline (grounded).",
            theme_style=ft.TextThemeStyle.BODY_LARGE,
        )
    )
    controls.append(ft.Text(_memory_line(status), color=ft.Colors.ON_SURFACE_VARIANT))
    installed = {m.name: m for m in status.installed}
    for model in status.installed:
        chosen = model.name == in_use
        controls.append(
            ft.ListTile(
                content_padding=ft.Padding.all(0),
                dense=True,
                leading=ft.Icon(
                    ft.Icons.CHECK_CIRCLE if chosen else ft.Icons.SMART_TOY_OUTLINED,
                    color=ft.Colors.PRIMARY if chosen else ft.Colors.ON_SURFACE_VARIANT,
                ),
                title=ft.Text(model.name, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                subtitle=ft.Text(
                    f"{megabytes(model.size_bytes)} · {model.context_length:,}-token context · {model.licence}"
                    + ("" if model.chat_template else " · no chat template"),
                    max_lines=2,
                ),
                trailing=ft.Row(
                    tight=True,
                    controls=[
                        ft.TextButton(
                            content="Stop using" if chosen else "Use",
                            disabled=form.busy is not None,
                            on_click=use(None) if chosen else use(model.name),
                        ),
                        icon_button(
                            icon=ft.Icons.DELETE_OUTLINE,
                            label=f"Remove {model.name}",
                            disabled=form.busy is not None,
                            on_click=remove(model.name),
                        ),
                    ],
                ),
            )
        )
    available = [e for e in status.catalog if e.name not in installed]
    if available:
        controls.append(ft.Text("Available to download", theme_style=ft.TextThemeStyle.TITLE_SMALL))
    for entry in available:
        downloading = form.busy == entry.name and form.progress is not None
        controls.append(
            ft.ListTile(
                content_padding=ft.Padding.all(0),
                dense=True,
                leading=ft.Icon(ft.Icons.CLOUD_DOWNLOAD_OUTLINED, color=ft.Colors.ON_SURFACE_VARIANT),
                title=ft.Text(entry.title, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                subtitle=ft.Text(
                    f"{megabytes(entry.size_bytes)} · {entry.licence} · {entry.context_length:,}-token context"
                    + (f" · {entry.note}" if entry.note else ""),
                    max_lines=3,
                ),
                trailing=ft.TextButton(
                    content="Download",
                    disabled=form.busy is not None,
                    on_click=download(entry.name),
                ),
            )
        )
        if downloading:
            controls.append(ft.ProgressBar(value=form.progress, semantics_label=f"Downloading {entry.name}"))
    controls += [
        ft.Text(
            "A download starts only when you press its button; the file is checked against its "
            "SHA-256 before it is used. The model runs on this device: nothing you say leaves it.",
            color=ft.Colors.ON_SURFACE_VARIANT,
            theme_style=ft.TextThemeStyle.BODY_SMALL,
        ),
        *status_line(form.ok, form.problem),
    ]
    return settings_card(
        "Local model",
        ft.Icons.SMART_TOY_OUTLINED,
        controls,
        subtitle="A language model on this device writes the coaches' replies, with no network.",
    )
