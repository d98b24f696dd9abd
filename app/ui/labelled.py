"""Icon-only buttons that a screen reader can name.

Flutter puts an ``IconButton``'s tooltip on a node of its own, around a button node with no name: a
screen reader then announces "button" and nothing else (and Playwright's accessibility snapshot
shows an unnamed button). The icon's own semantics label is merged into the button node, so the
label is given twice: to the icon for assistive technology, to the tooltip for a mouse pointer.
"""

from __future__ import annotations

from typing import Any

import flet as ft


def icon_button(icon: ft.IconData, label: str, on_click: Any = None, **options: Any) -> ft.IconButton:
    """An ``IconButton`` named ``label`` for screen readers and for the pointer's tooltip."""
    color = options.pop("icon_color", None)
    size = options.pop("icon_size", None)
    return ft.IconButton(
        icon=ft.Icon(icon, semantics_label=label, color=color, size=size),
        tooltip=label,
        on_click=on_click,
        **options,
    )


def labelled_dropdown(dropdown: ft.Dropdown, label: str | None = None) -> ft.Control:
    """A dropdown a screen reader finds as one named button ("Auto-lock: 15 minutes").

    A non-editable ``Dropdown`` of Flet 1.0.5 adds no node of its own to the accessibility tree: its
    button role and label melt into the nearest ancestor (a whole settings card became one button
    named after all its text). A semantics container keeps it apart and names it with its label
    and what it shows; the dropdown's own node, a button with no name, is left out below it.
    """
    shown = next((o.text or o.key for o in dropdown.options or [] if o.key == dropdown.value), dropdown.value)
    title = label or dropdown.label or dropdown.tooltip or ""
    name = f"{title}: {shown}" if shown else str(title)
    return ft.Semantics(container=True, button=True, label=name, exclude_semantics=True, content=dropdown)
