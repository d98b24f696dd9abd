"""One PARA entity: its summary, the facts that stand now (with their decay tier), what they
replaced, what it links to, and the actions that change its place (archive, restore, complete).

Facts are never deleted (DESIGN.md §5): a changed or retired fact is shown under "Earlier versions",
so the coachee can see how their own story moved. Changing facts (``para_facts``) and the deadline
(``para_deadline``) live in their own components, each with its own draft state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.para_deadline import DeadlineField
from app.ui.para_display import (
    TYPE_COLORS,
    TYPE_ICONS,
    deadline_text,
    kind_for_entity,
    summary_body,
    type_label,
)
from app.ui.para_facts import FactsEditor, history_row
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_M, SPACE_S
from engine.api import Engine
from engine.types import EntityPage


@dataclass(frozen=True)
class EntityState:
    page: EntityPage | None = None
    missing: str | None = None
    busy: bool = False
    problem: str | None = None


def _section(title: str, controls: list[ft.Control]) -> list[ft.Control]:
    return [
        ft.Container(
            padding=ft.Padding.only(top=SPACE_M, bottom=4),
            content=ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_SMALL, color=ft.Colors.PRIMARY),
        ),
        *controls,
    ]


def _status_actions(page: EntityPage, run: Callable[[str], Any], busy: bool) -> list[ft.Control]:
    entity = page.entity
    if entity.status != "active":
        return [
            ft.FilledTonalButton(
                content="Restore", icon=ft.Icons.UNARCHIVE_OUTLINED, disabled=busy, on_click=run("restore")
            )
        ]
    actions: list[ft.Control] = []
    if entity.type == "project":
        actions.append(
            ft.FilledTonalButton(
                content="Mark complete", icon=ft.Icons.TASK_ALT, disabled=busy, on_click=run("complete")
            )
        )
    actions.append(
        ft.OutlinedButton(
            content="Archive", icon=ft.Icons.ARCHIVE_OUTLINED, disabled=busy, on_click=run("archive")
        )
    )
    return actions


ACTIONS: dict[str, Callable[[Engine, str], Any]] = {
    "archive": lambda e, i: e.memory.archive_entity(i),
    "restore": lambda e, i: e.memory.restore_entity(i),
    "complete": lambda e, i: e.memory.complete_project(i),
}


@ft.component
def EntityView() -> ft.Control:
    """The page behind ``/para/entity/<id>``."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    entity_id = ft.use_route_params().get("entity_id", "")
    state, set_state, latest = use_latest_state(EntityState())

    async def load() -> None:
        await run_action(
            lambda: engine.memory.entity_page(entity_id),
            set_state=set_state,
            busy=None,
            problem="missing",
            done=lambda s, found: replace(s, page=found),
            failed=lambda s: replace(s, page=None),
        )

    ft.use_effect(load, dependencies=[entity_id, profile.revision])

    def run(action: str) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            if await run_action(
                lambda: ACTIONS[action](engine, entity_id), latest=latest, set_state=set_state
            ):
                profile.changed()

        return handler

    def go(route: str) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            await page.push_route(route)

        return handler

    if state.page is None:
        text = state.missing or "Loading…"
        return ft.Column(
            controls=[
                ft.Container(height=SPACE_S),
                ft.TextButton(content="Back to PARA", icon=ft.Icons.ARROW_BACK, on_click=go("/para")),
                ft.Text(text, color=ft.Colors.ERROR if state.missing else ft.Colors.ON_SURFACE_VARIANT),
            ]
        )
    return ft.ListView(
        expand=True,
        spacing=0,
        controls=_page_controls(state, state.page, run, go),
    )


def _page_controls(
    state: EntityState,
    data: EntityPage,
    run: Callable[[str], Any],
    go: Callable[[str], Any],
) -> list[ft.Control]:
    entity = data.entity
    kind = kind_for_entity(entity)
    color = TYPE_COLORS.get(entity.type, ft.Colors.PRIMARY)
    meta = [type_label(entity.type)]
    if entity.status != "active":
        meta.append(entity.status.capitalize())
    due = deadline_text(entity.deadline, date.today())
    if due:
        meta.append(due)
    if entity.aliases:
        meta.append("also " + ", ".join(entity.aliases))
    controls: list[ft.Control] = [
        ft.Row(
            controls=[
                ft.TextButton(
                    content=f"Back to {kind.label}",
                    icon=ft.Icons.ARROW_BACK,
                    on_click=go(f"/para/{kind.slug}"),
                ),
            ]
        ),
        ft.Row(
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Icon(TYPE_ICONS.get(entity.type, ft.Icons.CIRCLE_OUTLINED), color=color, size=28),
                # Not selectable: Flutter web exposes a selectable Text as an unnamed read-only field.
                ft.Text(entity.name, theme_style=ft.TextThemeStyle.HEADLINE_SMALL, expand=True),
            ],
        ),
        ft.Text(" · ".join(meta), color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Container(height=SPACE_S),
        ft.Row(
            wrap=True, spacing=SPACE_S, run_spacing=SPACE_S, controls=_status_actions(data, run, state.busy)
        ),
    ]
    if entity.type == "project" and entity.status == "active":
        controls.append(
            ft.Container(
                padding=ft.Padding.only(top=SPACE_M), content=DeadlineField(entity.id, entity.deadline)
            )
        )
    controls.extend(status_line(None, state.problem))
    body = summary_body(data.summary_md)
    summary = ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_M, vertical=SPACE_S),
        border_radius=12,
        bgcolor=ft.Colors.with_opacity(0.5, ft.Colors.SECONDARY_CONTAINER),
        content=ft.Markdown(body or "Nothing recent.", selectable=True),
    )
    controls += _section("Summary (recent and warm)", [summary])
    controls += _section(f"What stands now ({len(data.active)})", [FactsEditor(entity.id, data.active)])
    if data.history:
        controls += _section(
            f"Earlier versions ({len(data.history)})",
            [history_row(f, data.retired_at.get(f.id)) for f in data.history],
        )
    if data.neighbours:
        chips = [
            ft.Chip(
                label=n.name,
                leading=ft.Icon(
                    TYPE_ICONS.get(n.type, ft.Icons.CIRCLE_OUTLINED), size=18, color=TYPE_COLORS.get(n.type)
                ),
                on_click=go(f"/para/entity/{n.id}"),
                tooltip=f"Open {n.name}",
            )
            for n in data.neighbours
        ]
        controls += _section(
            "Linked", [ft.Row(wrap=True, spacing=SPACE_S, run_spacing=SPACE_S, controls=chips)]
        )
    controls.append(ft.Container(height=SPACE_M))
    return controls
