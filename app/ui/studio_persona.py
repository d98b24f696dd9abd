"""The studio's Persona panel (who the coach is, its playbook of moves) and the live preview beside it.

The persona starts from an archetype's soul.md (socratic, cheerleader, analyst, mentor) that the
creator rewrites in their own voice. The playbook is built move by move through a form, each move
checked as the builder checks it, so a draft's playbook is always one the pack accepts. The preview
talks to the draft as it is now and shows, under each reply, the moves it made and the passages it
quoted, with the creator's running counts (moves never used, replies that quoted nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from app.ui.labelled import icon_button
from app.ui.studio_state import StudioState
from app.ui.theme import SPACE_M, SPACE_S

Handler = Callable[[Any], Any]
PERSONAS = ("mentor", "socratic", "cheerleader", "analyst")
KINDS = ("acknowledge", "reframe", "technique", "script", "plan", "question", "followup")


def persona_panel(
    state: StudioState,
    *,
    edit: Callable[[str], Handler],
    pick_persona: Callable[[str], Handler],
    save_persona: Handler,
    add_example: Handler,
    remove_example: Callable[[int], Handler],
    add_move: Handler,
    remove_move: Callable[[str], Handler],
) -> list[ft.Control]:
    controls: list[ft.Control] = [
        ft.Text("Persona", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Row(
            wrap=True,
            spacing=SPACE_S,
            controls=[
                ft.Chip(
                    label=name.capitalize(),
                    selected=state.persona == name,
                    show_checkmark=False,
                    on_select=pick_persona(name),
                )
                for name in PERSONAS
            ],
        ),
        ft.TextField(
            label="Description (what coachees see in the gallery)",
            value=state.description,
            multiline=True,
            min_lines=2,
            max_lines=4,
            on_change=edit("description"),
        ),
        ft.TextField(
            label="soul.md (who the coach is, in its own voice)",
            value=state.soul,
            multiline=True,
            min_lines=6,
            max_lines=14,
            text_size=13,
            on_change=edit("soul"),
        ),
        ft.TextField(
            label="agent.md (how the coach works: citing, questions, tools)",
            value=state.agent,
            multiline=True,
            min_lines=4,
            max_lines=10,
            text_size=13,
            on_change=edit("agent"),
        ),
        ft.FilledTonalButton(
            content="Save persona", icon=ft.Icons.SAVE_OUTLINED, disabled=state.busy, on_click=save_persona
        ),
        ft.Divider(),
        ft.Text("Example exchanges", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            f"{len(state.draft.examples)} so far; 3 to 5 show the persona best. "
            "Write one as **Coachee:** … then **Coach:** …",
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
        *[
            ft.Row(
                vertical_alignment=ft.CrossAxisAlignment.START,
                controls=[
                    ft.Text(example, size=12, expand=True, max_lines=4),
                    ft.TextButton(
                        content=f"Remove example {number}",
                        disabled=state.busy,
                        on_click=remove_example(number - 1),
                    ),
                ],
            )
            for number, example in enumerate(state.draft.examples, 1)
        ],
        ft.TextField(
            label="Example exchange",
            key=f"example-{state.cleared}",
            value=state.example,
            multiline=True,
            min_lines=3,
            max_lines=8,
            on_change=edit("example"),
        ),
        ft.OutlinedButton(
            content="Add example", icon=ft.Icons.ADD, disabled=state.busy, on_click=add_example
        ),
        ft.Divider(),
        ft.Text("Playbook", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            "Moves are what the coach says: each with the situations it suits, in a coachee's words.",
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    for move in state.moves:
        controls.append(
            ft.Container(
                padding=ft.Padding.all(SPACE_S),
                border_radius=8,
                bgcolor=ft.Colors.with_opacity(0.05, ft.Colors.PRIMARY),
                content=ft.Row(
                    vertical_alignment=ft.CrossAxisAlignment.START,
                    controls=[
                        ft.Column(
                            expand=True,
                            spacing=2,
                            controls=[
                                ft.Text(f"{move.id} · {move.kind}", weight=ft.FontWeight.W_500),
                                ft.Text(move.text, size=13),
                                ft.Text(
                                    "When: " + "; ".join(move.situations),
                                    size=12,
                                    color=ft.Colors.ON_SURFACE_VARIANT,
                                ),
                            ],
                        ),
                        icon_button(
                            icon=ft.Icons.DELETE_OUTLINE,
                            label=f"Remove move {move.id}",
                            disabled=state.busy,
                            on_click=remove_move(move.id),
                        ),
                    ],
                ),
            )
        )
    controls += [
        ft.Row(
            controls=[
                ft.TextField(
                    label="Move id",
                    key=f"move-id-{state.cleared}",
                    hint_text="ack-sleep",
                    value=state.move_id,
                    dense=True,
                    expand=True,
                    on_change=edit("move_id"),
                ),
                ft.Dropdown(
                    label="Kind",
                    value=state.move_kind,
                    width=170,
                    dense=True,
                    editable=False,
                    enable_search=False,
                    options=[ft.DropdownOption(key=k, text=k) for k in KINDS],
                    on_select=edit("move_kind"),
                ),
            ]
        ),
        ft.TextField(
            label="Situations, one a line",
            key=f"situations-{state.cleared}",
            hint_text="I can't sleep",
            value=state.move_situations,
            multiline=True,
            min_lines=2,
            max_lines=5,
            on_change=edit("move_situations"),
        ),
        ft.TextField(
            label="What the coach says",
            key=f"move-text-{state.cleared}",
            value=state.move_text,
            multiline=True,
            min_lines=2,
            max_lines=5,
            on_change=edit("move_text"),
        ),
        ft.TextField(
            label="Steps, one a line (techniques, scripts, plans)",
            key=f"steps-{state.cleared}",
            value=state.move_steps,
            multiline=True,
            min_lines=1,
            max_lines=6,
            on_change=edit("move_steps"),
        ),
        ft.FilledButton(content="Add move", icon=ft.Icons.ADD, disabled=state.busy, on_click=add_move),
    ]
    return controls


def preview_panel(
    state: StudioState, *, edit: Callable[[str], Handler], send: Handler, refresh: Handler
) -> list[ft.Control]:
    controls: list[ft.Control] = [
        ft.Row(
            controls=[
                ft.Text("Preview", theme_style=ft.TextThemeStyle.TITLE_MEDIUM, expand=True),
                ft.TextButton(
                    content="Rebuild the preview",
                    icon=ft.Icons.REFRESH,
                    disabled=state.busy,
                    on_click=refresh,
                ),
            ]
        ),
        ft.Text(
            "Talks to the draft as it is now. Nothing here goes into your own conversations.",
            size=12,
            color=ft.Colors.ON_SURFACE_VARIANT,
        ),
    ]
    for turn in state.turns:
        reply = turn.reply
        controls += [
            ft.Container(
                alignment=ft.Alignment.CENTER_RIGHT,
                content=ft.Container(
                    padding=ft.Padding.all(SPACE_S),
                    border_radius=10,
                    bgcolor=ft.Colors.PRIMARY_CONTAINER,
                    content=ft.Text(turn.message),
                ),
            ),
            ft.Container(
                padding=ft.Padding.all(SPACE_S),
                border_radius=10,
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                content=ft.Column(
                    spacing=4,
                    controls=[
                        ft.Text(reply.text),
                        ft.Text(
                            "Moves used: " + (", ".join(reply.moves) or "none"),
                            size=12,
                            color=ft.Colors.TERTIARY,
                        ),
                        ft.Text(
                            "Passages quoted: " + (", ".join(c.ref for c in reply.passages) or "none"),
                            size=12,
                            color=ft.Colors.TERTIARY,
                        ),
                    ],
                ),
            ),
        ]
    controls.append(
        ft.Row(
            controls=[
                ft.TextField(
                    label="Message the draft",
                    key=f"message-{state.cleared}",
                    value=state.message,
                    dense=True,
                    expand=True,
                    disabled=state.busy,
                    on_change=edit("message"),
                    on_submit=send,
                ),
                ft.FilledTonalButton(
                    content="Send to the draft", icon=ft.Icons.SEND, disabled=state.busy, on_click=send
                ),
            ]
        )
    )
    controls += analytics_view(state.analytics)
    return controls


def analytics_view(stats: Any) -> list[ft.Control]:
    """The creator's counts over every preview conversation of this draft."""
    if stats is None or not stats.turns:
        return []
    used = ", ".join(f"{m} ×{n}" for m, n in stats.move_use) or "none yet"
    quoted = ", ".join(f"{p} ×{n}" for p, n in stats.passage_use[:8]) or "none yet"
    lines = [
        f"{stats.turns} preview replies; {len(stats.quoted_nothing)} quoted nothing",
        f"Moves used: {used}",
        f"Passages quoted: {quoted}",
        "Moves never used: " + (", ".join(stats.unused_moves) or "none"),
    ]
    return [
        ft.Container(
            padding=ft.Padding.all(SPACE_M),
            border_radius=10,
            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
            content=ft.Column(
                spacing=4,
                controls=[ft.Text("Your testing so far", weight=ft.FontWeight.W_500)]
                + [ft.Text(line, size=12) for line in lines],
            ),
        )
    ]
