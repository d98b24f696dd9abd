"""Pure helpers for the PARA screens: which lists exist, how entities and tiers read, graph geometry.

Kept apart from the components so the wording and the graph scaling can be read (and tested)
without a browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

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
    # The engine writes each fact's day as "(YYYY-MM-DD)"; the page writes days the locale's way.
    text = _SUMMARY_DAY.sub(lambda m: f"({format_stamp(m[1])})", text)
    return "\n".join(f"#{line}" if line.startswith("## ") else line for line in text.splitlines())


_SUMMARY_DAY = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")


def fact_when(stamp: str) -> str:
    """``2026-03-01T…`` → ``1 Mar 2026`` (in the locale's order) for fact rows; unparseable stamps
    are shown as stored."""
    return format_stamp(stamp)
