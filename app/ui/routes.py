"""The one place that maps URLs to screens: the shell around the screen the URL names.

Every screen lives under the shell layout; ``/`` and unknown paths show the home section, so an
old bookmark never lands on an empty page.
"""

from __future__ import annotations

import flet as ft

from app.ui.sections import SCREENS, home_section
from app.ui.shell import Shell
from app.ui.studio_view import StudioHome, StudioView


def build_routes() -> list[ft.Route]:
    """One layout route (the shell) whose children are the screens, derived from ``SCREENS``."""
    home = home_section().component
    children = [ft.Route(index=True, component=home)]
    for screen in SCREENS:
        base = screen.path.lstrip("/")
        children += [
            ft.Route(path=f"{base}/{sub}", component=component) for sub, component in screen.subroutes
        ]
        children.append(ft.Route(path=base, component=screen.component))
    children.append(ft.Route(path=":unknown*", component=home))
    # The coach studio is a workspace of its own (editor and live preview side by side), outside the
    # shell's reading width; it is matched first, since the shell's catch-all takes every path.
    studio = [
        ft.Route(path="studio/:draft_id", component=StudioView),
        ft.Route(path="studio", component=StudioHome),
    ]
    return [*studio, ft.Route(component=Shell, children=children)]


@ft.component
def AppRouter() -> ft.Control:
    """The unlocked app: the shell (navigation) around the screen the URL names."""
    return ft.Router(build_routes())
