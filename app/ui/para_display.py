"""Pure helpers for the PARA screens: which lists exist, how entities and tiers read, graph geometry.

Kept apart from the components so the wording and the graph scaling can be read (and tested)
without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import flet as ft

from app.ui.locale_dates import format_day, format_stamp
from engine.types import Entity


@dataclass(frozen=True)
class ParaKind:
    """One list of the PARA screen: its URL slug, the engine's entity type, and its words."""

    slug: str
    label: str
    type_: str | None  # None: not an entity list (the graph)
    singular: str
    icon: ft.IconData
    empty: str


PARA_KINDS: tuple[ParaKind, ...] = (
    ParaKind(
        "projects",
        "Projects",
        "project",
        "project",
        ft.Icons.FLAG_OUTLINED,
        "No projects yet. A project has an end: “Run a marathon in 2026”, “Move flat by June”.",
    ),
    ParaKind(
        "areas",
        "Areas",
        "area",
        "area",
        ft.Icons.LANDSCAPE_OUTLINED,
        "No areas yet. Areas are ongoing responsibilities: Health, Money, Family.",
    ),
    ParaKind(
        "resources",
        "Resources",
        "resource",
        "resource",
        ft.Icons.BOOKMARK_BORDER,
        "No resources yet. Links, books and topics you want to keep end up here.",
    ),
    ParaKind(
        "archives",
        "Archives",
        "archive",
        "archive",
        ft.Icons.INVENTORY_2_OUTLINED,
        "Nothing archived. Finished projects and dormant areas rest here, searchable.",
    ),
    ParaKind(
        "people",
        "People",
        "person",
        "person",
        ft.Icons.PEOPLE_OUTLINE,
        "No people yet. Mention someone as @Name in a capture and they appear here.",
    ),
    ParaKind("graph", "Graph", None, "", ft.Icons.HUB_OUTLINED, "Nothing to draw yet."),
)

TYPE_ICONS: dict[str, ft.IconData] = {
    "project": ft.Icons.FLAG_OUTLINED,
    "area": ft.Icons.LANDSCAPE_OUTLINED,
    "resource": ft.Icons.BOOKMARK_BORDER,
    "archive": ft.Icons.INVENTORY_2_OUTLINED,
    "person": ft.Icons.PERSON_OUTLINE,
}
TYPE_COLORS: dict[str, str] = {
    "project": ft.Colors.TEAL,
    "area": ft.Colors.INDIGO,
    "resource": ft.Colors.AMBER_800,
    "archive": ft.Colors.BLUE_GREY,
    "person": ft.Colors.PINK,
}
TIER_COLORS: dict[str, str] = {
    "hot": ft.Colors.DEEP_ORANGE,
    "warm": ft.Colors.AMBER_800,
    "cold": ft.Colors.BLUE,
}
TIER_HINTS: dict[str, str] = {
    "hot": "Hot: used in the last 7 days",
    "warm": "Warm: 8 to 30 days",
    "cold": "Cold: older than 30 days",
}
PLACE_SLUGS: dict[str, str] = {
    "projects": "projects",
    "areas": "areas",
    "resources": "resources",
    "archives": "archives",
    "people": "people",
}


def kind_for_slug(slug: str | None) -> ParaKind:
    """The list a URL names; unknown or missing slugs show Projects."""
    return next((k for k in PARA_KINDS if k.slug == slug), PARA_KINDS[0])


def kind_for_entity(entity: Entity) -> ParaKind:
    """The list an entity appears in (archived ones live in Archives whatever their type)."""
    if entity.archived:
        return kind_for_slug("archives")
    return next((k for k in PARA_KINDS if k.type_ == entity.type), PARA_KINDS[0])


def type_label(type_: str) -> str:
    return {"person": "Person"}.get(type_, type_.capitalize())


def deadline_text(deadline: str | None, today: date) -> str | None:
    """'Due tomorrow', 'Due in 5 days', 'Overdue by 2 days', or the date when far away."""
    if not deadline:
        return None
    try:
        d = date.fromisoformat(deadline[:10])
    except ValueError:
        return f"Due {deadline}"
    days = (d - today).days
    if days == 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    if days < 0:
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"
    if days <= 14:
        return f"Due in {days} days"
    return f"Due {format_day(d)}"


def entity_subtitle(entity: Entity, today: date) -> str:
    """One line under an entity's name: deadline, status and the first line of its summary."""
    parts: list[str] = []
    due = deadline_text(entity.deadline, today) if entity.status == "active" else None
    if due:
        parts.append(due)
    if entity.status != "active":
        parts.append(entity.status.capitalize())
    if entity.archived and entity.type != "archive":
        parts.append(f"was a {type_label(entity.type).lower()}")
    first = summary_first_line(entity.summary_md)
    if first:
        parts.append(first)
    return " · ".join(parts)


def summary_first_line(summary_md: str) -> str:
    """The first line of ``summary.md`` that says something (headings and empty lines skipped)."""
    for line in summary_body(summary_md).splitlines():
        text = line.strip().lstrip("-*").strip()
        if text and not line.lstrip().startswith(("#", "_")) and not text.startswith("Nothing recent"):
            return text if len(text) <= 120 else text[:119].rstrip() + "…"
    return ""


@dataclass(frozen=True)
class GraphNode:
    id: str
    name: str
    type: str
    x: float  # pixels inside the drawing area
    y: float
    radius: float


@dataclass(frozen=True)
class GraphLink:
    x1: float
    y1: float
    x2: float
    y2: float
    weight: float


def layout_graph(
    data: dict[str, Any], width: float, height: float, margin: float = 48
) -> tuple[list[GraphNode], list[GraphLink]]:
    """Scale the engine's spring layout (about -1..1) into a ``width`` × ``height`` area."""
    nodes = data.get("nodes", [])
    if not nodes:
        return [], []
    xs = [float(n["x"]) for n in nodes]
    ys = [float(n["y"]) for n in nodes]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    inner_w, inner_h = max(width - 2 * margin, 1), max(height - 2 * margin, 1)
    # One scale for both axes keeps the engine's distances honest; the drawing is centred.
    scale = min(inner_w / span_x, inner_h / span_y)
    offset_x = margin + (inner_w - span_x * scale) / 2
    offset_y = margin + (inner_h - span_y * scale) / 2

    def px(n: dict[str, Any]) -> tuple[float, float]:
        if len(nodes) == 1:
            return width / 2, height / 2
        return (
            offset_x + (float(n["x"]) - min(xs)) * scale,
            offset_y + (float(n["y"]) - min(ys)) * scale,
        )

    placed = {
        n["id"]: GraphNode(n["id"], n["name"], n["type"], *px(n), 10 + min(int(n.get("degree", 0)), 6) * 2)
        for n in nodes
    }
    links = [
        GraphLink(placed[a].x, placed[a].y, placed[b].x, placed[b].y, float(link.get("weight", 1)))
        for link in data.get("links", [])
        if (a := link["source"]) in placed and (b := link["target"]) in placed
    ]
    return list(placed.values()), links


def summary_body(summary_md: str) -> str:
    """``summary.md`` without its ``# Name`` title and metadata line, which the page shows itself."""
    lines = summary_md.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
        while lines and not lines[0].strip():
            lines = lines[1:]
        if lines and " · " in lines[0] and not lines[0].startswith(("-", "#")):
            lines = lines[1:]
    # One level down: the page title is the entity's name, so the summary's sections are subsections.
    text = "\n".join(lines).strip()
    return "\n".join(f"#{line}" if line.startswith("## ") else line for line in text.splitlines())


def fact_when(stamp: str) -> str:
    """``2026-03-01T…`` → ``1 Mar 2026`` (in the locale's order) for fact rows; unparseable stamps
    are shown as stored."""
    return format_stamp(stamp)
