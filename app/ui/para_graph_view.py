"""The graph view of PARA memory: entities as dots, their links as lines, a tap opens the entity.

The engine computes the layout (``Engine.memory.graph()`` runs networkx's spring layout), so the UI only
scales it into the space it has: a ``Canvas`` draws the links, and each entity is a small labelled
button positioned over it, so the graph stays readable, clickable and visible to screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import flet as ft
import flet.canvas as cv

from app.ui.actions import run_action
from app.ui.para_display import TYPE_COLORS, GraphNode, layout_graph, type_label
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S

DEFAULT_SIZE = (360.0, 420.0)
LABEL_WIDTH = 120


def _node(node: GraphNode, on_open: Any) -> ft.Control:
    color = TYPE_COLORS.get(node.type, ft.Colors.PRIMARY)
    size = node.radius * 2
    return ft.Container(
        left=node.x - LABEL_WIDTH / 2,
        top=node.y - node.radius,
        width=LABEL_WIDTH,
        on_click=on_open,
        tooltip=f"Open {node.name} ({type_label(node.type)})",
        content=ft.Column(
            spacing=2,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Container(width=size, height=size, border_radius=node.radius, bgcolor=color),
                ft.Text(
                    node.name,
                    size=11,
                    max_lines=1,
                    overflow=ft.TextOverflow.ELLIPSIS,
                    text_align=ft.TextAlign.CENTER,
                ),
            ],
        ),
    )


def _legend() -> ft.Control:
    return ft.Row(
        wrap=True,
        spacing=SPACE_M,
        controls=[
            ft.Row(
                spacing=4,
                tight=True,
                controls=[
                    ft.Container(width=10, height=10, border_radius=5, bgcolor=color),
                    ft.Text(type_label(type_), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
            )
            for type_, color in TYPE_COLORS.items()
        ],
    )


@dataclass(frozen=True)
class GraphLoad:
    data: dict[str, Any] | None = None
    problem: str | None = None


@ft.component
def ParaGraph() -> ft.Control:
    """Draw ``Engine.memory.graph()``; reloads when memory changes, rescales when the area is resized."""
    profile = use_profile()
    page = ft.context.page
    loaded, set_loaded = ft.use_state(GraphLoad())
    data, problem = loaded.data, loaded.problem
    size, set_size = ft.use_state(DEFAULT_SIZE)

    async def load() -> None:
        await run_action(
            profile.engine.memory.graph,
            set_state=set_loaded,
            busy=None,
            failure="The graph could not be drawn: {}",
            done=lambda s, graph: replace(s, data=graph),
        )

    ft.use_effect(load, dependencies=[profile.revision])

    def resized(e: cv.CanvasResizeEvent) -> None:
        set_size((float(e.width), float(e.height)))

    def opener(entity_id: str) -> Any:
        async def handler(_e: ft.Event[ft.Container]) -> None:
            await page.push_route(f"/para/entity/{entity_id}")

        return handler

    if problem:
        return ft.Text(problem, color=ft.Colors.ERROR)
    if data is None:
        return ft.Text("Drawing your graph…", color=ft.Colors.ON_SURFACE_VARIANT)
    if not data["nodes"]:
        return ft.Text(
            "Nothing to draw yet. Capture a note that names a #project or an @person and it appears here.",
            color=ft.Colors.ON_SURFACE_VARIANT,
        )
    nodes, links = layout_graph(data, *size, margin=LABEL_WIDTH / 2)
    lines = [
        cv.Line(
            link.x1,
            link.y1,
            link.x2,
            link.y2,
            paint=ft.Paint(color=ft.Colors.OUTLINE, stroke_width=min(1 + link.weight / 2, 4)),
        )
        for link in links
    ]
    count = f"{len(nodes)} item{'s' if len(nodes) != 1 else ''}, {len(links)} link{'s' if len(links) != 1 else ''}"
    return ft.Column(
        expand=True,
        spacing=SPACE_S,
        controls=[
            ft.Text(count, color=ft.Colors.ON_SURFACE_VARIANT),
            _legend(),
            ft.Container(
                expand=True,
                border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                border_radius=12,
                clip_behavior=ft.ClipBehavior.HARD_EDGE,
                content=ft.Stack(
                    expand=True,
                    controls=[
                        # Positioned to fill the Stack (``expand`` would be an Expanded, which a Stack rejects).
                        cv.Canvas(
                            shapes=lines,
                            left=0,
                            top=0,
                            right=0,
                            bottom=0,
                            on_resize=resized,
                            resize_interval=100,
                        ),
                        *[_node(n, opener(n.id)) for n in nodes],
                    ],
                ),
            ),
        ],
    )
