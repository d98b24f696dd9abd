"""PARA: Projects, Areas, Resources, Archives and People, one list at a time, plus the graph.

The list shown comes from the URL (``/para/people``), so the header, a reload after unlocking and a
link from a capture result all agree. The list reloads from the engine whenever the profile's
``revision`` changes (a quick capture elsewhere, an archive on an entity page), never from a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.para_display import PARA_KINDS, TYPE_COLORS, TYPE_ICONS, ParaKind, entity_subtitle, kind_for_slug
from app.ui.para_graph_view import ParaGraph
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_M, SPACE_S
from engine.types import Entity

PARA_LINE = (
    "PARA is how your memory is sorted: Projects (with a finish line), Areas (ongoing parts of "
    "life), Resources (topics to keep) and Archives (done), plus the People in them."
)
"""Said where PARA first appears (this screen's header and onboarding): the word alone means nothing."""


@dataclass(frozen=True)
class ListState:
    """One PARA list: what is shown, and the small form that adds to it."""

    slug: str = ""
    entities: tuple[Entity, ...] = ()
    loaded: bool = False
    name: str = ""
    deadline: str = ""
    saving: bool = False
    problem: str | None = None


def kind_chips(current: ParaKind, on_pick: object) -> ft.Control:
    """The list switcher: chips that wrap (one line on a laptop, two on a phone; none hidden)."""
    return ft.Row(
        wrap=True,
        spacing=SPACE_S,
        run_spacing=SPACE_S,
        controls=[
            ft.Chip(
                label=k.label,
                leading=ft.Icon(k.icon, size=18),
                selected=k.slug == current.slug,
                show_checkmark=False,
                on_select=on_pick(k),  # type: ignore[operator]
                tooltip=f"Show {k.label}",
            )
            for k in PARA_KINDS
        ],
    )


def entity_row(entity: Entity, today: date, on_open: object) -> ft.Control:
    subtitle = entity_subtitle(entity, today)
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        leading=ft.Icon(
            TYPE_ICONS.get(entity.type, ft.Icons.CIRCLE_OUTLINED), color=TYPE_COLORS.get(entity.type)
        ),
        title=ft.Text(entity.name, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
        subtitle=ft.Text(subtitle, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS) if subtitle else None,
        trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT),
        on_click=on_open,  # type: ignore[arg-type]
    )


@ft.component
def ParaView() -> ft.Control:
    """The PARA screen: chips to switch lists, an add form, and the list (or the graph)."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    kind = kind_for_slug(ft.use_route_params().get("kind"))
    state, set_state, latest = use_latest_state(ListState())

    async def load() -> None:
        if kind.type_ is None:
            return
        slug, type_ = kind.slug, kind.type_
        await run_action(
            lambda: engine.memory.list_entities(type_),
            set_state=set_state,
            busy=None,
            failure="This list could not be read: {}",
            done=lambda s, found: replace(s, slug=slug, entities=tuple(found), loaded=True),
            failed=lambda s: replace(s, slug=slug, loaded=True),
        )

    ft.use_effect(load, dependencies=[kind.slug, profile.revision])

    def pick(target: ParaKind) -> object:
        async def handler(_e: ft.Event[ft.Chip]) -> None:
            set_state(lambda s: replace(s, name="", deadline="", problem=None))
            await page.push_route(f"/para/{target.slug}")

        return handler

    def opener(entity_id: str) -> object:
        async def handler(_e: ft.Event[ft.ListTile]) -> None:
            await page.push_route(f"/para/entity/{entity_id}")

        return handler

    async def add(_e: ft.Event[ft.Control]) -> None:
        current = latest()
        name, type_ = current.name.strip(), kind.type_
        if not name or type_ is None:
            return
        deadline = current.deadline.strip() or None if type_ == "project" else None
        if await run_action(
            lambda: engine.memory.create_entity(type_, name, deadline=deadline),
            latest=latest,
            set_state=set_state,
            busy="saving",
            done=lambda s, _entity: replace(s, name="", deadline=""),
        ):
            profile.changed()

    def edit(field: str) -> object:
        def handler(e: ft.Event[ft.TextField]) -> None:
            value = e.control.value
            set_state(lambda s: replace(s, **{field: value, "problem": None}))

        return handler

    controls: list[ft.Control] = [
        ft.Container(height=SPACE_S),
        ft.Text(PARA_LINE, color=ft.Colors.ON_SURFACE_VARIANT, theme_style=ft.TextThemeStyle.BODY_SMALL),
        kind_chips(kind, pick),
    ]
    if kind.type_ is None:
        # A component's own expand is not seen by the Column around it: the Container gives the graph
        # the bounded height its Stack needs.
        controls.append(ft.Container(expand=True, content=ParaGraph()))
    else:
        if kind.slug != "archives":
            controls.append(_add_form(kind, state, edit, add))
        controls.extend(status_line(None, state.problem))
        controls.append(ft.ListView(expand=True, spacing=0, controls=_listing(kind, state, opener)))
    return ft.Column(
        expand=True, spacing=SPACE_S, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=controls
    )


def _add_form(kind: ParaKind, state: ListState, edit: object, add: object) -> ft.Control:
    fields: list[ft.Control] = [
        ft.TextField(
            label=f"New {kind.singular}",
            value=state.name,
            dense=True,
            expand=3,
            disabled=state.saving,
            on_change=edit("name"),  # type: ignore[operator]
            on_submit=add,  # type: ignore[arg-type]
        )
    ]
    if kind.type_ == "project":
        fields.append(
            ft.TextField(
                label="Deadline",
                hint_text="YYYY-MM-DD",
                value=state.deadline,
                dense=True,
                expand=2,
                disabled=state.saving,
                on_change=edit("deadline"),  # type: ignore[operator]
                on_submit=add,  # type: ignore[arg-type]
            )
        )
    fields.append(
        icon_button(
            icon=ft.Icons.ADD,
            label=f"Add {kind.singular}",
            disabled=state.saving or not state.name.strip(),
            on_click=add,  # type: ignore[arg-type]
        )
    )
    return ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, spacing=SPACE_S, controls=fields)


def _listing(kind: ParaKind, state: ListState, opener: object) -> list[ft.Control]:
    if not state.loaded or state.slug != kind.slug:
        return [_quiet("Loading…")]
    if not state.entities:
        return [_quiet(kind.empty)]
    today = date.today()
    return [entity_row(e, today, opener(e.id)) for e in state.entities]  # type: ignore[operator]


def _quiet(text: str) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_S, vertical=SPACE_M),
        content=ft.Text(text, color=ft.Colors.ON_SURFACE_VARIANT),
    )
