"""Settings › Models and Reasoner: which on-device models serve which role, what they cost, and
who writes the coach replies.

Reading the status describes every registered model (file sizes, whether loaded), which touches
disk, so it runs off the UI thread. Nothing is loaded by looking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import labelled_dropdown
from app.ui.profile_context import use_profile
from app.ui.settings_parts import megabytes, settings_card, status_line
from engine.api import Engine


@dataclass(frozen=True)
class ModelsSnapshot:
    rows: tuple[Any, ...]
    budget: Any


@dataclass(frozen=True)
class ModelsLoad:
    snapshot: ModelsSnapshot | None = None
    problem: str | None = None


def read_models(engine: Engine) -> ModelsSnapshot:
    models = engine.models
    return ModelsSnapshot(tuple(r for r in models.status() if r.default), models.budget_status())


def _model_row(row: Any) -> ft.Control:
    state = f"loaded · {megabytes(row.memory_bytes)}" if row.loaded else "not loaded"
    if row.problems:
        state = "; ".join(row.problems)
    return ft.ListTile(
        content_padding=ft.Padding.all(0),
        dense=True,
        leading=ft.Icon(
            ft.Icons.MEMORY, color=ft.Colors.PRIMARY if row.loaded else ft.Colors.ON_SURFACE_VARIANT
        ),
        title=ft.Text(f"{row.role}: {row.name}", max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Text(f"{row.backend} · {megabytes(row.file_bytes)} on disk · {state}", max_lines=2),
    )


@ft.component
def ModelSettings() -> ft.Control:
    profile = use_profile()
    loaded, set_loaded = ft.use_state(ModelsLoad())
    snapshot, problem = loaded.snapshot, loaded.problem
    refresh, set_refresh = ft.use_state(0)

    async def load() -> None:
        await run_action(
            lambda: read_models(profile.engine),
            set_state=set_loaded,
            busy=None,
            failure="The models could not be listed: {}",
            done=lambda s, found: replace(s, snapshot=found),
        )

    ft.use_effect(load, dependencies=[refresh])

    controls: list[ft.Control]
    if problem:
        controls = [ft.Text(problem, color=ft.Colors.ERROR)]
    elif snapshot is None:
        controls = [ft.ProgressBar(semantics_label="Reading model status")]
    else:
        b = snapshot.budget
        share = min(b.charged_bytes / b.budget_bytes, 1.0) if b.budget_bytes else 0.0
        controls = [
            ft.Text(f"Memory in use by models: {megabytes(b.charged_bytes)} of {megabytes(b.budget_bytes)}"),
            ft.ProgressBar(value=share, semantics_label="Model memory budget"),
            ft.Text(
                f"The whole app uses {megabytes(b.process_rss_bytes)} right now.",
                color=ft.Colors.ON_SURFACE_VARIANT,
                theme_style=ft.TextThemeStyle.BODY_SMALL,
            ),
            *[_model_row(r) for r in snapshot.rows],
            ft.Row(
                alignment=ft.MainAxisAlignment.END,
                controls=[
                    ft.TextButton(
                        content="Refresh", icon=ft.Icons.REFRESH, on_click=lambda _e: set_refresh(refresh + 1)
                    )
                ],
            ),
        ]
    return settings_card(
        "Models on this device",
        ft.Icons.MEMORY,
        controls,
        subtitle="Models load when first needed and leave again to stay within the memory budget.",
    )


REASONER_LABELS = {
    "grounded": "Offline (grounded replies)",
    "local": "Language model on this device",
    "openai": "OpenAI-compatible endpoint",
}


@dataclass(frozen=True)
class ReasonerForm:
    name: str = "grounded"
    base_url: str = ""
    model: str = ""
    api_key: str = ""
    key_stored: str = "none"  # none, profile or environment
    available: tuple[str, ...] = ("grounded",)
    loaded: bool = False
    busy: bool = False
    ok: str | None = None
    problem: str | None = None


def read_reasoner(engine: Engine) -> ReasonerForm:
    settings = engine.chat.reasoner_settings()
    return ReasonerForm(
        name=str(settings.get("name", "grounded")),
        base_url=str(settings.get("base_url") or ""),
        model=str(settings.get("model") or ""),
        key_stored=str(settings.get("api_key", "none")),
        available=tuple(settings.get("available", ("grounded",))),
        loaded=True,
    )


@ft.component
def ReasonerSettings() -> ft.Control:
    """Who writes coach replies: the offline composer, or an OpenAI-compatible endpoint (a local
    Ollama or llama.cpp server, or a cloud model). The key is kept in the encrypted profile; replies
    fall back to offline when the endpoint cannot answer."""
    engine = use_profile().engine
    form, set_form, latest = use_latest_state(ReasonerForm())

    async def load() -> None:
        await run_action(
            lambda: read_reasoner(engine),
            set_state=set_form,
            busy=None,
            done=lambda _f, loaded: loaded,
            failed=lambda f: replace(f, loaded=True),
        )

    ft.use_effect(load, dependencies=[])

    def edit(name: str) -> Any:
        def handler(e: Any) -> None:
            value = e.control.value or ""
            set_form(lambda f: replace(f, **{name: value, "ok": None, "problem": None}))

        return handler

    async def save(_e: Any) -> None:
        current = latest()
        remote = current.name == "openai"  # only an endpoint has a URL and a model name to store

        def apply() -> ReasonerForm:
            engine.chat.set_reasoner(
                current.name,
                base_url=current.base_url.strip() or None if remote else None,
                model=current.model.strip() or None if remote else None,
                api_key=current.api_key or None,
            )
            return read_reasoner(engine)

        await run_action(
            apply,
            latest=latest,
            set_state=set_form,
            start=lambda f: replace(f, ok=None),
            done=lambda _f, fresh: replace(fresh, ok="Reasoner saved."),
        )

    controls: list[ft.Control] = [
        labelled_dropdown(
            ft.Dropdown(
                label="Who writes replies",
                value=form.name,
                dense=True,
                editable=False,
                enable_search=False,
                disabled=form.busy or not form.loaded,
                options=[ft.DropdownOption(key=n, text=REASONER_LABELS.get(n, n)) for n in form.available],
                on_select=edit("name"),
            )
        )
    ]
    if form.name == "grounded":
        controls.append(
            ft.Text(
                "Replies are composed on this device from your coach's books and your own notes. "
                "Nothing leaves the device.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        )
    elif form.name == "local":
        controls.append(
            ft.Text(
                "Replies are written by the language model you choose under Local model, on this device; "
                "nothing leaves it. Without a model, or if it cannot answer, the offline composer replies.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        )
    else:
        key_hint = {"profile": "A key is stored (encrypted).", "environment": "Using LIFEOS_API_KEY."}.get(
            form.key_stored, "No key stored; a local server may not need one."
        )
        controls += [
            ft.TextField(
                label="Endpoint URL",
                hint_text="http://127.0.0.1:11434/v1",
                value=form.base_url,
                dense=True,
                disabled=form.busy,
                on_change=edit("base_url"),
            ),
            ft.TextField(
                label="Model", value=form.model, dense=True, disabled=form.busy, on_change=edit("model")
            ),
            ft.TextField(
                label="API key",
                value=form.api_key,
                password=True,
                helper=key_hint,
                dense=True,
                disabled=form.busy,
                on_change=edit("api_key"),
            ),
            ft.Text(
                "Your messages and the passages used go to this endpoint. If it cannot answer, the reply "
                "comes from the offline composer instead.",
                color=ft.Colors.ON_SURFACE_VARIANT,
                theme_style=ft.TextThemeStyle.BODY_SMALL,
            ),
        ]
    controls += [
        *status_line(form.ok, form.problem),
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            controls=[
                ft.FilledButton(content="Save reasoner", disabled=form.busy or not form.loaded, on_click=save)
            ],
        ),
    ]
    return settings_card("Reasoner", ft.Icons.AUTO_AWESOME_OUTLINED, controls)
