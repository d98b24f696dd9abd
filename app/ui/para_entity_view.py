"""One PARA entity: its summary, the facts that stand now (with their decay tier), what they
replaced, what it links to, and the actions that change its place (archive, restore, complete).

Facts are never deleted (DESIGN.md §5): a changed fact is shown under "Earlier versions" with the
date it was replaced, so the coachee can see how their own story moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.para_display import (
    TIER_COLORS,
    TIER_HINTS,
    TYPE_COLORS,
    TYPE_ICONS,
    deadline_text,
    fact_when,
    kind_for_entity,
    summary_body,
    type_label,
)
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_M, SPACE_S
from engine.api import Engine
from engine.types import EntityPage, Fact


@dataclass(frozen=True)
class EntityState:
    page: EntityPage | None = None
    missing: str | None = None
    busy: bool = False
    deadline: str = ""
    problem: str | None = None


def _section(title: str, controls: list[ft.Control]) -> list[ft.Control]:
    return [
        ft.Container(
            padding=ft.Padding.only(top=SPACE_M, bottom=4),
            content=ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_SMALL, color=ft.Colors.PRIMARY),
        ),
        *controls,
    ]


def _tier_badge(tier: str) -> ft.Control:
    color = TIER_COLORS.get(tier, ft.Colors.OUTLINE)
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=10,
        border=ft.Border.all(1, color),
        tooltip=TIER_HINTS.get(tier, tier),
        content=ft.Text(tier.capitalize(), size=12, color=color, semantics_label=f"Tier {tier}"),
    )


def _fact_row(fact: Fact, tier: str) -> ft.Control:
    when = fact_when(fact.occurs_on or fact.timestamp)
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        title=ft.Text(fact.content),
        subtitle=ft.Text(
            f"{fact.category} · {when} · from {fact.source}", color=ft.Colors.ON_SURFACE_VARIANT
        ),
        trailing=_tier_badge(tier),
    )


def _history_row(fact: Fact) -> ft.Control:
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        leading=ft.Icon(ft.Icons.HISTORY, color=ft.Colors.ON_SURFACE_VARIANT),
        title=ft.Text(
            fact.content,
            color=ft.Colors.ON_SURFACE_VARIANT,
            style=ft.TextStyle(decoration=ft.TextDecoration.LINE_THROUGH),
        ),
        subtitle=ft.Text(f"believed from {fact_when(fact.timestamp)}, later replaced", size=12),
    )


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
            done=lambda s, found: replace(s, page=found, deadline=found.entity.deadline or ""),
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

    async def save_deadline(_e: ft.Event[ft.Control]) -> None:
        deadline = latest().deadline.strip() or None
        if await run_action(
            lambda: engine.memory.set_deadline(entity_id, deadline), latest=latest, set_state=set_state
        ):
            profile.changed()

    def edit_deadline(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, deadline=value, problem=None))

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
        controls=_page_controls(state, state.page, run, save_deadline, edit_deadline, go),
    )


def _page_controls(
    state: EntityState,
    data: EntityPage,
    run: Callable[[str], Any],
    save_deadline: Callable[..., Any],
    edit_deadline: Callable[..., Any],
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
                ft.Text(
                    entity.name, theme_style=ft.TextThemeStyle.HEADLINE_SMALL, expand=True, selectable=True
                ),
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
                padding=ft.Padding.only(top=SPACE_M),
                content=ft.Row(
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    controls=[
                        ft.TextField(
                            label="Deadline",
                            hint_text="YYYY-MM-DD",
                            value=state.deadline,
                            dense=True,
                            width=200,
                            disabled=state.busy,
                            on_change=edit_deadline,
                            on_submit=save_deadline,
                        ),
                        ft.OutlinedButton(
                            content="Save deadline", disabled=state.busy, on_click=save_deadline
                        ),
                    ],
                ),
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
    facts = [_fact_row(f, t) for f, t in data.active] or [
        ft.Text(
            "No facts yet. Capture a note that mentions it, and what you say sticks here.",
            color=ft.Colors.ON_SURFACE_VARIANT,
        )
    ]
    controls += _section(f"What stands now ({len(data.active)})", facts)
    if data.history:
        controls += _section(
            f"Earlier versions ({len(data.history)})", [_history_row(f) for f in data.history]
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
