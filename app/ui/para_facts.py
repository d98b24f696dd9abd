"""The facts of one entity, changed by hand: add one, edit one, retire one.

Nothing is overwritten (DESIGN.md §5). An edit is a supersede: the new wording stands now and the old
one moves to "Earlier versions". Retiring is for a fact that simply stopped being true with nothing to
replace it; it too stays in the history, marked retired with its date. Which row is being edited is
kept as the fact's id and its draft text, never as a control.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import icon_button
from app.ui.para_display import TIER_COLORS, TIER_HINTS, fact_when
from app.ui.profile_context import use_profile
from app.ui.settings_parts import status_line
from app.ui.theme import SPACE_M, SPACE_S
from engine.types import Fact, FactResult


@dataclass(frozen=True)
class FactsState:
    draft: str = ""  # the new fact being written
    editing: str | None = None  # id of the fact whose wording is being changed
    edit_text: str = ""
    busy: bool = False
    done: str | None = None
    problem: str | None = None


def tier_badge(tier: str) -> ft.Control:
    color = TIER_COLORS.get(tier, ft.Colors.OUTLINE)
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=10,
        border=ft.Border.all(1, color),
        tooltip=TIER_HINTS.get(tier, tier),
        content=ft.Text(tier.capitalize(), size=12, color=color, semantics_label=f"Tier {tier}"),
    )


def history_row(fact: Fact, retired_at: str | None) -> ft.Control:
    """A fact that no longer stands: struck through, with when it was believed and how it ended."""
    if fact.superseded_by is None:
        ended = f"retired {fact_when(retired_at)}" if retired_at else "retired"
        icon = ft.Icons.REMOVE_CIRCLE_OUTLINE
    else:
        ended = "later replaced"
        icon = ft.Icons.HISTORY
    return ft.ListTile(
        content_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        leading=ft.Icon(icon, color=ft.Colors.ON_SURFACE_VARIANT),
        title=ft.Text(
            fact.content,
            color=ft.Colors.ON_SURFACE_VARIANT,
            style=ft.TextStyle(decoration=ft.TextDecoration.LINE_THROUGH),
        ),
        subtitle=ft.Text(f"believed from {fact_when(fact.timestamp)}, {ended}", size=12),
    )


def _fact_row(fact: Fact, tier: str, busy: bool, edit: Any, retire: Any) -> ft.Control:
    when = fact_when(fact.occurs_on or fact.timestamp)
    return _own_node(
        ft.Container(
            padding=ft.Padding.only(left=SPACE_S, top=SPACE_S, bottom=SPACE_S),
            content=ft.Row(
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
                controls=[
                    ft.Column(
                        expand=True,
                        spacing=2,
                        controls=[
                            ft.Text(fact.content),
                            ft.Text(
                                f"{fact.category} · {when} · from {fact.source}",
                                size=12,
                                color=ft.Colors.ON_SURFACE_VARIANT,
                            ),
                        ],
                    ),
                    tier_badge(tier),
                    icon_button(ft.Icons.EDIT_OUTLINED, f"Change “{fact.content}”", edit, disabled=busy),
                    icon_button(
                        ft.Icons.REMOVE_CIRCLE_OUTLINE,
                        f"No longer true: retire “{fact.content}”",
                        retire,
                        disabled=busy,
                    ),
                ],
            ),
        )
    )


def _own_node(control: ft.Control) -> ft.Control:
    """A semantics node of its own: without it Flutter folds the rows' texts into the label of the
    next text field (a screen reader would read every fact as the name of "New fact")."""
    return ft.Semantics(container=True, content=control)


def _edit_row(state: FactsState, on_change: Any, save: Any, cancel: Any) -> ft.Control:
    return _own_node(
        ft.Container(
            padding=ft.Padding.symmetric(horizontal=SPACE_S, vertical=SPACE_S),
            content=ft.Column(
                spacing=SPACE_S,
                controls=[
                    ft.TextField(
                        label="Changed fact",
                        value=state.edit_text,
                        autofocus=True,
                        multiline=True,
                        min_lines=1,
                        max_lines=4,
                        shift_enter=True,
                        disabled=state.busy,
                        on_change=on_change,
                        on_submit=save,
                    ),
                    ft.Row(
                        spacing=SPACE_S,
                        controls=[
                            ft.FilledButton(
                                content="Save change",
                                disabled=state.busy or not state.edit_text.strip(),
                                on_click=save,
                            ),
                            ft.TextButton(content="Cancel", disabled=state.busy, on_click=cancel),
                        ],
                    ),
                ],
            ),
        )
    )


@ft.component
def FactsEditor(entity_id: str, active: list[tuple[Fact, str]]) -> ft.Control:
    """What stands now about one entity, with the controls that change it."""
    profile = use_profile()
    engine = profile.engine
    state, set_state, latest = use_latest_state(FactsState())

    async def add(_e: ft.Event[ft.Control]) -> None:
        text = latest().draft.strip()
        if not text:
            return
        if await run_action(
            lambda: engine.memory.add_fact(text, entity_id),
            latest=latest,
            set_state=set_state,
            failure="That fact was not added: {}",
            done=lambda s, result: replace(s, draft="", done=_added_words(result)),
        ):
            profile.changed()

    def start_edit(fact: Fact) -> Callable[[ft.Event[ft.Control]], None]:
        def handler(_e: ft.Event[ft.Control]) -> None:
            set_state(lambda s: replace(s, editing=fact.id, edit_text=fact.content, problem=None, done=None))

        return handler

    async def save_edit(_e: ft.Event[ft.Control]) -> None:
        now = latest()
        fact_id, text = now.editing, now.edit_text.strip()
        if fact_id is None or not text:
            return
        if await run_action(
            lambda: engine.memory.supersede_fact(fact_id, text),
            latest=latest,
            set_state=set_state,
            failure="That change was not saved: {}",
            done=lambda s, _r: replace(
                s, editing=None, edit_text="", done="Changed; the earlier wording is kept below."
            ),
        ):
            profile.changed()

    def retire(fact: Fact) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            if await run_action(
                lambda: engine.memory.retire_fact(fact.id),
                latest=latest,
                set_state=set_state,
                failure="That fact was not retired: {}",
                done=lambda s, _f: replace(
                    s, done=f"Retired “{fact.content}”; it stays in the history below."
                ),
            ):
                profile.changed()

        return handler

    def cancel(_e: ft.Event[ft.Control]) -> None:
        set_state(lambda s: replace(s, editing=None, edit_text=""))

    def typed_draft(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value or ""
        set_state(lambda s: replace(s, draft=value, problem=None, done=None))

    def typed_edit(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value or ""
        set_state(lambda s: replace(s, edit_text=value, problem=None))

    rows: list[ft.Control] = [
        _edit_row(state, typed_edit, save_edit, cancel)
        if fact.id == state.editing
        else _fact_row(fact, tier, state.busy, start_edit(fact), retire(fact))
        for fact, tier in active
    ]
    if not rows:
        rows.append(
            ft.Text(
                "No facts yet. Add one here, or capture a note that mentions it.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        )
    adder = ft.Row(
        spacing=SPACE_S,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.TextField(
                label="New fact",
                hint_text="Something that is true now",
                value=state.draft,
                dense=True,
                expand=True,
                disabled=state.busy,
                on_change=typed_draft,
                on_submit=add,
            ),
            ft.FilledTonalButton(
                content="Add fact",
                icon=ft.Icons.ADD,
                disabled=state.busy or not state.draft.strip(),
                on_click=add,
            ),
        ],
    )
    return ft.Column(
        spacing=0,
        controls=[
            *rows,
            _own_node(ft.Container(padding=ft.Padding.only(top=SPACE_M), content=adder)),
            *status_line(state.done, state.problem),
        ],
    )


def _added_words(result: FactResult) -> str:
    """What adding did, in the words of the outcome the engine decided on."""
    if result.outcome == "duplicate":
        return "Already known; it counts as mentioned again."
    if result.outcome == "superseded":
        return "Added; it replaces an earlier fact, kept below."
    if result.outcome == "suggested" and result.related is not None:
        return f"Added; it may not fit with “{result.related.content}”, which also stands for now."
    return "Added."
