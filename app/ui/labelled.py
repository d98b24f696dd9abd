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
    return ft.IconButton(
        icon=ft.Icon(icon, semantics_label=label, color=color),
        tooltip=label,
        on_click=on_click,
        **options,
    )
