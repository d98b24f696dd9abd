"""Where each entity of the graph view goes so that every name can be read: labels never overlap.

The engine's spring layout (``Engine.memory.graph()``) places linked entities near each other and
knows nothing of names, so a hub with four neighbours drew four labels on top of one another. Here
each node is a box (its dot and its name under it, at most two lines) in the pixels of the frame it
is drawn in: the spring positions are scaled into the frame, then the boxes are placed one by one,
best-connected first, each at its own position when that is free and otherwise at the nearest free
spot on rings around it. A frame too small for every name (a phone, a large memory) makes the
drawing taller than the frame rather than letting names collide; the view zooms and pans
(``InteractiveViewer``) to reach it. Pure: sizes in, positions out, so it is tested without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LABEL_SIZE = 12
CHAR_WIDTH = 7.0
"""A generous average width of a character of Roboto at ``LABEL_SIZE`` (measured about 6.3 px)."""
LINE_HEIGHT = 16.0
MAX_LABEL_WIDTH = 150.0
MAX_LINES = 2
LABEL_PADDING = 8.0
DOT_LABEL_GAP = 2.0
GAP = 6.0
"""The space kept between two boxes."""
EDGE = 8.0
"""The space kept between a box and the frame's edge."""
RING_STEP = 12.0
RING_POINTS = 8
MAX_RINGS = 60


@dataclass(frozen=True)
class PlacedNode:
    id: str
    name: str
    type: str
    x: float  # the dot's centre, in pixels of the drawing
    y: float
    radius: float
    width: float  # the box: the dot on top, the name under it
    height: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.radius


@dataclass(frozen=True)
class PlacedLink:
    x1: float
    y1: float
    x2: float
    y2: float
    weight: float


@dataclass(frozen=True)
class GraphDrawing:
    nodes: list[PlacedNode]
    links: list[PlacedLink]
    width: float
    height: float  # at least the frame's; more when the names needed the room


def radius_for(degree: int) -> float:
    """A better-connected entity gets a bigger dot (10 to 22 px)."""
    return 10.0 + min(max(degree, 0), 6) * 2


def label_box(name: str, radius: float) -> tuple[float, float]:
    """(width, height) of a node's box: the name on up to two lines under the dot."""
    text = len(name) * CHAR_WIDTH + LABEL_PADDING
    width = max(min(text, MAX_LABEL_WIDTH), 2 * radius + LABEL_PADDING)
    lines = min(MAX_LINES, max(1, math.ceil(text / width)))
    return width, 2 * radius + DOT_LABEL_GAP + lines * LINE_HEIGHT


def _free(box: tuple[float, float, float, float], placed: list[tuple[float, float, float, float]]) -> bool:
    left, top, width, height = box
    return all(
        left + width + GAP <= o[0]
        or o[0] + o[2] + GAP <= left
        or top + height + GAP <= o[1]
        or o[1] + o[3] + GAP <= top
        for o in placed
    )


def _spots(cx: float, top: float) -> Iterator[tuple[float, float]]:
    """The wanted spot, then rings around it, nearest first (``RING_STEP`` apart, ``RING_POINTS`` each)."""
    yield cx, top
    for ring in range(1, MAX_RINGS + 1):
        radius = ring * RING_STEP
        points = RING_POINTS * ring
        for k in range(points):
            angle = 2 * math.pi * k / points
            yield cx + radius * math.cos(angle), top + radius * math.sin(angle)


def _place(
    wanted: tuple[float, float],
    size: tuple[float, float],
    width: float,
    placed: list[tuple[float, float, float, float]],
) -> tuple[float, float, float, float]:
    """The free box nearest to ``wanted`` (its centre x, its top) inside the drawing's width; below the
    others when no ring has room."""
    w, h = size
    tried: set[tuple[int, int]] = set()
    for cx, top in _spots(*wanted):
        box = (min(max(cx - w / 2, EDGE), max(width - EDGE - w, EDGE)), max(top, EDGE), w, h)
        spot = (round(box[0] / 4), round(box[1] / 4))  # ring points pushed to an edge land together
        if spot in tried:
            continue
        tried.add(spot)
        if _free(box, placed):
            return box
    bottom = max((o[1] + o[3] for o in placed), default=EDGE)
    return (min(max(wanted[0] - w / 2, EDGE), max(width - EDGE - w, EDGE)), bottom + GAP, w, h)


def lay_out(data: dict[str, Any], width: float, height: float) -> GraphDrawing:
    """Place ``data`` (the engine's nodes with spring positions, and links) in a ``width`` × ``height``
    frame: one scale for both axes keeps the engine's distances honest, then the boxes are separated;
    the drawing is made taller, a step at a time, until they can be."""
    raw = data.get("nodes", [])
    if not raw:
        return GraphDrawing([], [], width, height)
    sizes = []
    for n in raw:
        radius = radius_for(int(n.get("degree", 0)))
        sizes.append((radius, *label_box(str(n["name"]), radius)))
    xs = [float(n["x"]) for n in raw]
    ys = [float(n["y"]) for n in raw]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    widest = max(w for _r, w, _h in sizes)
    tallest = max(h for _r, _w, h in sizes)
    inner_w = max(width - widest - 2 * EDGE, 1.0)
    inner_h = max(height - tallest - 2 * EDGE, 1.0)
    scale = min(inner_w / span_x, inner_h / span_y)
    off_x = EDGE + widest / 2 + (inner_w - span_x * scale) / 2
    off_y = EDGE + (inner_h - span_y * scale) / 2
    wanted = [
        (width / 2, (height - h) / 2)
        if len(raw) == 1
        else (off_x + (float(n["x"]) - min(xs)) * scale, off_y + (float(n["y"]) - min(ys)) * scale)
        for n, (_r, _w, h) in zip(raw, sizes, strict=True)
    ]
    boxes: dict[int, tuple[float, float, float, float]] = {}
    placed: list[tuple[float, float, float, float]] = []
    for i in sorted(range(len(raw)), key=lambda i: -int(raw[i].get("degree", 0))):
        box = _place(wanted[i], (sizes[i][1], sizes[i][2]), width, placed)
        boxes[i] = box
        placed.append(box)
    drawing_height = max(height, max(b[1] + b[3] for b in placed) + EDGE)
    nodes = [
        PlacedNode(
            str(n["id"]),
            str(n["name"]),
            str(n["type"]),
            boxes[i][0] + boxes[i][2] / 2,
            boxes[i][1] + sizes[i][0],
            sizes[i][0],
            boxes[i][2],
            boxes[i][3],
        )
        for i, n in enumerate(raw)
    ]
    by_id = {n.id: n for n in nodes}
    links = [
        PlacedLink(by_id[a].x, by_id[a].y, by_id[b].x, by_id[b].y, float(link.get("weight", 1)))
        for link in data.get("links", [])
        if (a := link["source"]) in by_id and (b := link["target"]) in by_id
    ]
    return GraphDrawing(nodes, links, width, drawing_height)


def overlapping(nodes: list[PlacedNode]) -> list[tuple[str, str]]:
    """Pairs of names whose boxes overlap (none, after ``lay_out`` succeeded)."""
    found = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            if min(a.left + a.width, b.left + b.width) > max(a.left, b.left) and min(
                a.top + a.height, b.top + b.height
            ) > max(a.top, b.top):
                found.append((a.name, b.name))
    return found
