"""Onboarding, right after a profile is created: what matters to you, and which coaches fit.

Picking interest areas creates them as PARA areas (so captures and check-ins have a home from the
first minute) and narrows the coach suggestions to those domains. Any number of the three may be
picked: a third pick used to drop the first without a word. Each suggested coach is a link to its
card in the gallery (``/gallery?coach=<id>``), where "Try it free" and "Install" are: nothing is
installed until the coachee chooses. It is one screen with one decision, so a new coachee is in the
app well under the three minutes the issue allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.para_view import PARA_LINE
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S, centered_form
from engine.api import Engine

INTERESTS: tuple[tuple[str, ft.IconData, str], ...] = (
    ("Health", ft.Icons.FAVORITE_OUTLINE, "Sleep, movement, food, energy"),
    ("Wealth", ft.Icons.SAVINGS_OUTLINED, "Money, work, career"),
    ("Wisdom", ft.Icons.AUTO_STORIES_OUTLINED, "Mindset, learning, relationships"),
)


@dataclass(frozen=True)
class Suggestion:
    """A coach worth a look, by id and display text only (its gallery card installs it)."""

    id: str
    name: str
    domain: str
    description: str


@dataclass(frozen=True)
class OnboardingState:
    picked: tuple[str, ...] = ()
    saving: bool = False
    done: bool = False
    suggestions: tuple[Suggestion, ...] = ()
    problem: str | None = None


def toggle_pick(picked: tuple[str, ...], name: str) -> tuple[str, ...]:
    """Add or remove ``name``; every pick stays until it is tapped again."""
    if name in picked:
        return tuple(p for p in picked if p != name)
    return (*picked, name)


def spoken_list(names: tuple[str, ...]) -> str:
    """("Health", "Wealth", "Wisdom") → "Health, Wealth and Wisdom"."""
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def create_areas(engine: Engine, names: tuple[str, ...]) -> tuple[Suggestion, ...]:
    """Create the picked areas (skipping any that exist) and return matching coach suggestions."""
    existing = {e.name.lower() for e in engine.memory.list_entities("area", include_archived=True)}
    for name in names:
        if name.lower() not in existing:
            engine.memory.create_entity("area", name)
    wanted = {n.lower() for n in names}
    return tuple(
        Suggestion(e.id, e.name, e.domain, e.description)
        for e in engine.coaches.catalog()
        if str(e.domain).lower() in wanted
    )


def _interest_chip(
    name: str, icon: ft.IconData, hint: str, selected: bool, on_select: Callable
) -> ft.Control:
    return ft.Container(
        border_radius=12,
        border=ft.Border.all(
            2 if selected else 1, ft.Colors.PRIMARY if selected else ft.Colors.OUTLINE_VARIANT
        ),
        bgcolor=ft.Colors.PRIMARY_CONTAINER if selected else None,
        padding=ft.Padding.symmetric(horizontal=SPACE_M, vertical=12),
        on_click=on_select,
        ink=True,
        tooltip=f"{'Remove' if selected else 'Choose'} {name}",
        content=ft.Row(
            spacing=SPACE_M,
            controls=[
                ft.Icon(icon, color=ft.Colors.PRIMARY),
                ft.Column(
                    spacing=0,
                    expand=True,
                    controls=[
                        ft.Text(name, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                        ft.Text(
                            hint, color=ft.Colors.ON_SURFACE_VARIANT, theme_style=ft.TextThemeStyle.BODY_SMALL
                        ),
                    ],
                ),
                ft.Icon(
                    ft.Icons.CHECK_CIRCLE if selected else ft.Icons.CIRCLE_OUTLINED, color=ft.Colors.PRIMARY
                ),
            ],
        ),
    )


def _suggestions(state: OnboardingState, open_coach: Callable[[str], Any]) -> list[ft.Control]:
    if not state.suggestions:
        return [
            ft.Text(
                "Your areas are ready. Coaches for them will show up in the Gallery; "
                "you can start with Daily notes and Quick capture right away.",
                color=ft.Colors.ON_SURFACE_VARIANT,
                text_align=ft.TextAlign.CENTER,
            )
        ]
    return [
        ft.Text("Coaches that fit", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Text(
            "Tap one to try it free or install it. Nothing is installed until you choose.",
            color=ft.Colors.ON_SURFACE_VARIANT,
            text_align=ft.TextAlign.CENTER,
        ),
        *[
            ft.ListTile(
                leading=ft.Icon(ft.Icons.PSYCHOLOGY_OUTLINED, color=ft.Colors.PRIMARY),
                title=ft.Text(s.name),
                subtitle=ft.Text(
                    f"{s.domain} · {s.description}", max_lines=2, overflow=ft.TextOverflow.ELLIPSIS
                ),
                trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT),
                tooltip=f"Meet {s.name}",
                on_click=open_coach(s.id),
            )
            for s in state.suggestions
        ],
    ]


@ft.component
def OnboardingView(on_done: Callable[[], None]) -> ft.Control:
    """Pick one or two interest areas → the areas are created → coach suggestions → into the app."""
    engine = use_profile().engine
    page = ft.context.page
    state, set_state, latest = use_latest_state(OnboardingState())

    def pick(name: str) -> Callable[[ft.Event[ft.Container]], None]:
        def handler(_e: ft.Event[ft.Container]) -> None:
            set_state(lambda s: replace(s, picked=toggle_pick(s.picked, name)))

        return handler

    async def confirm(_e: ft.Event[ft.Control]) -> None:
        picked = latest().picked
        if picked:
            await run_action(
                lambda: create_areas(engine, picked),
                latest=latest,
                set_state=set_state,
                busy="saving",
                failure="Your areas could not be created: {}",
                done=lambda s, suggestions: replace(s, done=True, suggestions=suggestions),
            )

    async def finish(_e: ft.Event[ft.Control]) -> None:
        on_done()
        await page.push_route("/gallery" if latest().suggestions else "/notes")

    def open_coach(coach_id: str) -> Callable[[ft.Event[ft.ListTile]], Any]:
        async def handler(_e: ft.Event[ft.ListTile]) -> None:
            on_done()
            await page.push_route(f"/gallery?coach={quote(coach_id)}")

        return handler

    if state.done:
        body: list[ft.Control] = [
            ft.Icon(ft.Icons.CHECK_CIRCLE_OUTLINE, size=48, color=ft.Colors.PRIMARY),
            ft.Text(
                f"{spoken_list(state.picked)} {'is' if len(state.picked) == 1 else 'are'} set up",
                theme_style=ft.TextThemeStyle.HEADLINE_SMALL,
                text_align=ft.TextAlign.CENTER,
            ),
            *_suggestions(state, open_coach),
            ft.FilledButton(content="Start", icon=ft.Icons.ARROW_FORWARD, on_click=finish, height=48),
        ]
    else:
        body = [
            ft.Icon(ft.Icons.SPA_OUTLINED, size=48, color=ft.Colors.PRIMARY),
            ft.Text(
                "What would you like to work on?",
                theme_style=ft.TextThemeStyle.HEADLINE_SMALL,
                text_align=ft.TextAlign.CENTER,
            ),
            ft.Text(
                "Pick any that matter to you. They become areas in your memory, and we suggest "
                "coaches for them.",
                color=ft.Colors.ON_SURFACE_VARIANT,
                text_align=ft.TextAlign.CENTER,
            ),
            ft.Text(
                PARA_LINE,
                color=ft.Colors.ON_SURFACE_VARIANT,
                theme_style=ft.TextThemeStyle.BODY_SMALL,
                text_align=ft.TextAlign.CENTER,
            ),
            *[_interest_chip(n, i, h, n in state.picked, pick(n)) for n, i, h in INTERESTS],
            *([ft.Text(state.problem, color=ft.Colors.ERROR)] if state.problem else []),
            ft.FilledButton(
                content="Continue",
                icon=ft.Icons.ARROW_FORWARD,
                disabled=state.saving or not state.picked,
                on_click=confirm,
                height=48,
            ),
            ft.TextButton(content="Skip for now", on_click=finish),
        ]
    return centered_form([*body[:1], ft.Container(height=SPACE_S), *body[1:]])
