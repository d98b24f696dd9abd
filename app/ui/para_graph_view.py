"""The graph view of PARA memory: entities as dots with their names, their links as lines; a tap
opens the entity.

The engine computes the spring layout (``Engine.memory.graph()``); ``graph_layout`` fits it to the
frame the view has and separates the names so none covers another (growing the drawing when the frame
is too small for them). A ``Canvas`` draws the links and each entity is a small labelled button over
it, so the graph stays readable, clickable and visible to screen readers. The drawing sits in an
``InteractiveViewer``: drag to pan, pinch or the buttons to zoom, "Fit" to come back. The frame
measures itself (``on_size_change``), so the layout follows the window at any size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import flet as ft
import flet.canvas as cv

from app.ui.actions import run_action
from app.ui.graph_layout import LABEL_SIZE, GraphDrawing, PlacedNode, lay_out
from app.ui.labelled import icon_button
from app.ui.para_display import TYPE_COLORS, type_label
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S

DEFAULT_SIZE = (360.0, 420.0)
FRAME_BORDER = 1
ZOOM_STEP = 1.25
MIN_SCALE = 0.4
MAX_SCALE = 4.0


def _node(node: PlacedNode, on_open: Any) -> ft.Control:
    color = TYPE_COLORS.get(node.type, ft.Colors.PRIMARY)
    size = node.radius * 2
    return ft.Container(
        left=node.left,
        top=node.top,
        width=node.width,
        height=node.height,
        on_click=on_open,
        tooltip=f"Open {node.name} ({type_label(node.type)})",
        content=ft.Column(
            spacing=2,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Container(width=size, height=size, border_radius=node.radius, bgcolor=color),
                # A veil under the name: a link drawn across it does not strike the letters through.
                ft.Container(
                    bgcolor=ft.Colors.with_opacity(0.85, ft.Colors.SURFACE),
                    border_radius=4,
                    content=ft.Text(
                        node.name,
                        size=LABEL_SIZE,
                        max_lines=2,
                        overflow=ft.TextOverflow.ELLIPSIS,
                        text_align=ft.TextAlign.CENTER,
                    ),
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


def _drawing(drawing: GraphDrawing, opener: Any) -> ft.Control:
    lines = [
        cv.Line(
            link.x1,
            link.y1,
            link.x2,
            link.y2,
            paint=ft.Paint(color=ft.Colors.OUTLINE, stroke_width=min(1 + link.weight / 2, 4)),
        )
        for link in drawing.links
    ]
    return ft.Stack(
        width=drawing.width,
        height=drawing.height,
        controls=[
            cv.Canvas(shapes=lines, left=0, top=0, width=drawing.width, height=drawing.height),
            *[_node(n, opener(n.id)) for n in drawing.nodes],
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
    viewer = ft.use_ref(lambda: ft.Ref[ft.InteractiveViewer]()).current

    async def load() -> None:
        await run_action(
            profile.engine.memory.graph,
            set_state=set_loaded,
            busy=None,
            failure="The graph could not be drawn: {}",
            done=lambda s, graph: replace(s, data=graph),
        )

    ft.use_effect(load, dependencies=[profile.revision])

    def resized(e: ft.LayoutSizeChangeEvent[Any]) -> None:
        measured = (float(e.width), float(e.height))
        if measured[0] > 0 and measured[1] > 0 and measured != size:
            set_size(measured)

    def opener(entity_id: str) -> Any:
        async def handler(_e: ft.Event[ft.Container]) -> None:
            await page.push_route(f"/para/entity/{entity_id}")

        return handler

    def zoom(factor: float) -> Any:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            if viewer.current is not None:
                await viewer.current.zoom(factor)

        return handler

    async def fit(_e: ft.Event[ft.Control]) -> None:
        if viewer.current is not None:
            await viewer.current.reset(animation_duration=200)

    if problem:
        return ft.Text(problem, color=ft.Colors.ERROR)
    if data is None:
        return ft.Text("Drawing your graph…", color=ft.Colors.ON_SURFACE_VARIANT)
    if not data["nodes"]:
        return ft.Text(
            "Nothing to draw yet. Capture a note that names a #project or an @person and it appears here.",
            color=ft.Colors.ON_SURFACE_VARIANT,
        )
    drawing = lay_out(data, size[0] - 2 * FRAME_BORDER, size[1] - 2 * FRAME_BORDER)
    nodes, links = drawing.nodes, drawing.links
    count = f"{len(nodes)} item{'s' if len(nodes) != 1 else ''}, {len(links)} link{'s' if len(links) != 1 else ''}"
    taller = " · drag to see all" if drawing.height > size[1] - 2 * FRAME_BORDER + 1 else ""
    return ft.Column(
        expand=True,
        spacing=SPACE_S,
        controls=[
            ft.Row(
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
                controls=[
                    ft.Text(count + taller, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
                    icon_button(ft.Icons.ZOOM_OUT, "Zoom out", zoom(1 / ZOOM_STEP)),
                    icon_button(ft.Icons.ZOOM_IN, "Zoom in", zoom(ZOOM_STEP)),
                    icon_button(ft.Icons.FIT_SCREEN, "Fit the graph to the frame", fit),
                ],
            ),
            _legend(),
            ft.Container(
                expand=True,
                margin=ft.Margin.only(bottom=SPACE_M),
                border=ft.Border.all(FRAME_BORDER, ft.Colors.OUTLINE_VARIANT),
                border_radius=12,
                clip_behavior=ft.ClipBehavior.HARD_EDGE,
                on_size_change=resized,
                size_change_interval=100,
                content=ft.InteractiveViewer(
                    ref=viewer,
                    constrained=False,
                    min_scale=MIN_SCALE,
                    max_scale=MAX_SCALE,
                    boundary_margin=ft.Margin.all(SPACE_M * 4),
                    content=_drawing(drawing, opener),
                ),
            ),
        ],
    )
