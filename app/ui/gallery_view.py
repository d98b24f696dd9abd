"""Coach gallery: browse the catalog by domain and language, install with real progress, then chat.

Installing verifies every checksum and indexes the coach's knowledge into the encrypted profile
(about a second for a demo coach here, longer for a large one), so it runs in a worker thread; the
engine reports (stage, done, total) from that thread and the progress bar follows through the event
loop (``call_soon_threadsafe``), at most every ``PROGRESS_STEP`` of the way to keep the wire quiet.

``/gallery?coach=<id>`` is where onboarding's suggestions lead: that card comes first and is marked,
with its "Try it free" and "Install" right there. An installed coach can be removed again
(after a confirmation that says what stays: the coachee's notes and conversations).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.labelled import labelled_dropdown
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S

DOMAINS = ("All", "Health", "Wealth", "Wisdom")
DOMAIN_COLORS = {"Health": ft.Colors.GREEN, "Wealth": ft.Colors.AMBER_800, "Wisdom": ft.Colors.INDIGO}
DOMAIN_ICONS = {
    "Health": ft.Icons.FAVORITE_OUTLINE,
    "Wealth": ft.Icons.SAVINGS_OUTLINED,
    "Wisdom": ft.Icons.AUTO_STORIES_OUTLINED,
}
STAGE_WORDS = {"verify": "Checking", "download": "Downloading", "embed": "Embedding", "index": "Indexing"}
PROGRESS_STEP = 0.02


@dataclass(frozen=True)
class Installing:
    coach_id: str
    preview: bool = False
    stage: str = "verify"
    done: int = 0
    total: int = 0

    @property
    def share(self) -> float | None:
        return self.done / self.total if self.total else None


@dataclass(frozen=True)
class GalleryState:
    entries: tuple[Any, ...] = ()
    installed: tuple[str, ...] = ()
    previewing: tuple[str, ...] = ()
    loaded: bool = False
    domain: str = "All"
    language: str = "All"
    installing: Installing | None = None
    result: str | None = None
    problem: str | None = None
    revision: int = 0
    removing: str | None = None
    """The coach whose removal is being confirmed (the dialog is open) or done."""
    busy: bool = False


def requested_coach(route: str) -> str | None:
    """The coach a link asks to show: ``/gallery?coach=stoic`` → ``stoic``."""
    wanted = parse_qs(urlsplit(route).query).get("coach", [""])[0].strip()
    return wanted or None


def name_of(state: GalleryState, coach_id: str) -> str:
    """A coach's name for sentences; its id only if the catalog no longer lists it."""
    return next((e.name for e in state.entries if e.id == coach_id), coach_id)


def install_words(name: str, action: str, passages: int) -> str:
    """What an install did, as the coachee would say it (not "Installed stoic 1.0 … in 0.0 s")."""
    books = f"{passages:,} passage{'s' if passages != 1 else ''} from its books"
    if action == "unchanged":
        return f"{name} is already installed: {books}."
    if action == "updated":
        return f"{name} is up to date again: {books}."
    return f"{name} is ready: {books}."


def size_text(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{max(n // 1000, 1)} kB"


def languages_of(entries: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(sorted({lang for e in entries for lang in e.languages}))


def visible_entries(state: GalleryState) -> list[Any]:
    return [
        e
        for e in state.entries
        if (state.domain == "All" or e.domain == state.domain)
        and (state.language == "All" or state.language in e.languages)
    ]


def _avatar(name: str, domain: str) -> ft.Control:
    initials = "".join(w[0] for w in name.split()[:2]).upper()
    return ft.CircleAvatar(
        content=ft.Text(initials, weight=ft.FontWeight.BOLD),
        bgcolor=DOMAIN_COLORS.get(domain, ft.Colors.PRIMARY),
        color=ft.Colors.WHITE,
        radius=24,
    )


def _badge(text: str, color: str) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=10,
        bgcolor=ft.Colors.with_opacity(0.12, color),
        content=ft.Text(text, size=12, color=color, weight=ft.FontWeight.W_500),
    )


def _card(
    entry: Any,
    state: GalleryState,
    install: Callable[[str], Any],
    chat: Callable[[str], Any],
    preview: Callable[[str], Any],
    remove: Callable[[str], Any],
    wanted: bool = False,
) -> ft.Control:
    installed = entry.id in state.installed
    previewing = entry.id in state.previewing
    busy = state.installing is not None and state.installing.coach_id == entry.id
    color = DOMAIN_COLORS.get(entry.domain, ft.Colors.PRIMARY)
    footer: list[ft.Control]
    if busy and state.installing is not None:
        inst = state.installing
        counts = f" {inst.done:,} of {inst.total:,}" if inst.total else ""
        doing = "Preparing a preview of" if inst.preview else "Installing"
        footer = [
            ft.ProgressBar(value=inst.share, semantics_label=f"{doing} {entry.name}"),
            ft.Text(
                f"{STAGE_WORDS.get(inst.stage, inst.stage)}{counts}…",
                size=12,
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
        ]
    elif installed:
        footer = [
            ft.Row(
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
                controls=[
                    ft.Row(
                        tight=True,
                        spacing=4,
                        controls=[
                            ft.Icon(ft.Icons.CHECK_CIRCLE, size=18, color=ft.Colors.PRIMARY),
                            ft.Text("Installed", color=ft.Colors.PRIMARY),
                        ],
                    ),
                    ft.Row(
                        tight=True,
                        wrap=True,
                        spacing=SPACE_S,
                        controls=[
                            ft.TextButton(
                                content=f"Remove {entry.name}",
                                icon=ft.Icons.DELETE_OUTLINE,
                                disabled=state.busy or state.installing is not None,
                                on_click=remove(entry.id),
                            ),
                            ft.FilledTonalButton(
                                content=f"Chat with {entry.name}",
                                icon=ft.Icons.CHAT_BUBBLE_OUTLINE,
                                on_click=chat(entry.id),
                            ),
                        ],
                    ),
                ],
                wrap=True,
            )
        ]
    else:
        footer = [
            ft.Row(
                alignment=ft.MainAxisAlignment.END,
                wrap=True,
                controls=[
                    ft.OutlinedButton(
                        content="Continue preview" if previewing else "Try it free",
                        icon=ft.Icons.VISIBILITY_OUTLINED,
                        disabled=state.installing is not None,
                        on_click=chat(entry.id) if previewing else preview(entry.id),
                    ),
                    ft.FilledButton(
                        content=f"Install {entry.name}",
                        icon=ft.Icons.DOWNLOAD,
                        disabled=state.installing is not None,
                        on_click=install(entry.id),
                    ),
                ],
            )
        ]
    picked: list[ft.Control] = (
        [
            ft.Row(
                spacing=4,
                controls=[
                    ft.Icon(ft.Icons.STAR_OUTLINE, size=18, color=ft.Colors.PRIMARY),
                    ft.Text(
                        "Suggested for you",
                        color=ft.Colors.PRIMARY,
                        weight=ft.FontWeight.W_500,
                        theme_style=ft.TextThemeStyle.LABEL_LARGE,
                    ),
                ],
            )
        ]
        if wanted
        else []
    )
    return ft.Container(
        col={"xs": 12, "md": 6},
        content=ft.Card(
            elevation=4 if wanted else None,
            content=ft.Container(
                padding=ft.Padding.all(SPACE_M),
                border=ft.Border.all(2, ft.Colors.PRIMARY) if wanted else None,
                border_radius=12 if wanted else None,
                content=ft.Column(
                    spacing=SPACE_S,
                    controls=[
                        *picked,
                        ft.Row(
                            controls=[
                                _avatar(entry.name, entry.domain),
                                ft.Column(
                                    expand=True,
                                    spacing=2,
                                    controls=[
                                        ft.Text(entry.name, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                                        ft.Row(
                                            spacing=6,
                                            wrap=True,
                                            controls=[
                                                _badge(entry.domain, color),
                                                _badge(
                                                    " · ".join(entry.languages).upper(), ft.Colors.BLUE_GREY
                                                ),
                                                _badge(size_text(entry.size), ft.Colors.BLUE_GREY),
                                            ],
                                        ),
                                    ],
                                ),
                            ]
                        ),
                        ft.Text(entry.description, max_lines=4, overflow=ft.TextOverflow.ELLIPSIS),
                        ft.Text(
                            "  ".join(f"#{t}" for t in entry.tags),
                            size=12,
                            color=ft.Colors.ON_SURFACE_VARIANT,
                            max_lines=2,
                        ),
                        *footer,
                    ],
                ),
            ),
        ),
    )


def _filters(
    state: GalleryState, pick_domain: Callable[[str], Any], pick_language: Callable[[str], Any]
) -> ft.Control:
    chips = [
        ft.Chip(
            label=d,
            leading=ft.Icon(DOMAIN_ICONS[d], size=18) if d in DOMAIN_ICONS else None,
            selected=state.domain == d,
            show_checkmark=False,
            on_select=pick_domain(d),
        )
        for d in DOMAINS
    ]
    languages = ("All", *languages_of(state.entries))
    if len(languages) > 2:
        chips.append(
            labelled_dropdown(
                ft.Dropdown(
                    label="Language",
                    value=state.language,
                    width=140,
                    dense=True,
                    editable=False,
                    enable_search=False,
                    options=[
                        ft.DropdownOption(key=lang, text=lang.upper() if lang != "All" else "All")
                        for lang in languages
                    ],
                    on_select=lambda e: pick_language(e.control.value or "All")(e),
                )
            )
        )
    return ft.Row(wrap=True, spacing=SPACE_S, run_spacing=SPACE_S, controls=chips)


@ft.component
def GalleryView() -> ft.Control:
    """The catalog as cards; install with progress; installed coaches lead to their chat."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    ft.use_route_location()  # re-render when the route (and with it ``?coach=``) changes
    wanted = requested_coach(page.route or "")
    state, set_state, latest = use_latest_state(GalleryState())

    async def load() -> None:
        def read() -> tuple[Any, Any, Any]:
            return engine.coaches.catalog(), engine.coaches.list(include_previews=True), engine.coaches.list()

        def show(s: GalleryState, found: tuple[Any, Any, Any]) -> GalleryState:
            entries, every, installed = found
            ids = tuple(c.id for c in installed)
            previewing = tuple(c.id for c in every if c.id not in ids)
            return replace(s, entries=tuple(entries), installed=ids, previewing=previewing, loaded=True)

        await run_action(
            read,
            set_state=set_state,
            busy=None,
            failure="The coach catalog could not be read: {}",
            done=show,
            failed=lambda s: replace(s, loaded=True),
        )

    ft.use_effect(load, dependencies=[state.revision])

    def pick_domain(domain: str) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, domain=domain))

    def pick_language(language: str) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, language=language))

    def install(coach_id: str, preview: bool = False) -> Callable[[Any], Any]:
        """Install (or, with ``preview``, prepare a 3-message preview and open its chat)."""

        async def handler(_e: Any) -> None:
            loop = asyncio.get_running_loop()
            shown = {"share": -1.0, "stage": ""}

            def progress(stage: str, done: int, total: int) -> None:
                share = done / total if total else 0.0
                if stage == shown["stage"] and share - shown["share"] < PROGRESS_STEP and done != total:
                    return
                shown.update(share=share, stage=stage)
                update = Installing(coach_id, preview, stage, done, total)
                loop.call_soon_threadsafe(lambda: set_state(lambda s: replace(s, installing=update)))

            def installed(s: GalleryState, report: Any) -> GalleryState:
                name = name_of(s, report.coach_id)
                text = None if preview else install_words(name, report.action, report.passages)
                return replace(s, result=text, revision=s.revision + 1)

            if not await run_action(
                lambda: (engine.coaches.preview if preview else engine.coaches.install)(
                    coach_id, progress=progress
                ),
                latest=latest,
                set_state=set_state,
                busy="installing",
                busy_value=Installing(coach_id, preview),
                failure=f"{'No preview' if preview else 'Not installed'}: {{}}",
                start=lambda s: replace(s, result=None),
                done=installed,
            ):
                return
            profile.changed()
            if preview:
                await page.push_route(f"/chat/{coach_id}")

        return handler

    def chat(coach_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            await page.push_route(f"/chat/{coach_id}")

        return handler

    def ask_remove(coach_id: str) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, removing=coach_id, result=None, problem=None))

    def keep(_e: Any = None) -> None:
        set_state(lambda s: replace(s, removing=None) if not s.busy else s)

    async def confirm_remove(_e: Any) -> None:
        coach_id = latest().removing
        if coach_id is None:
            return
        name = name_of(latest(), coach_id)
        if await run_action(
            lambda: engine.coaches.remove(coach_id),
            latest=latest,
            set_state=set_state,
            failure=f"{name} was not removed: {{}}",
            failed=lambda s: replace(s, removing=None),
            done=lambda s, _n: replace(
                s,
                removing=None,
                revision=s.revision + 1,
                result=f"{name} is removed. Your notes and your conversations with it are kept.",
            ),
        ):
            profile.changed()

    removing_name = name_of(state, state.removing) if state.removing else ""
    ft.use_dialog(
        ft.AlertDialog(
            title=f"Remove {removing_name}?",
            content=ft.Text(
                f"{removing_name}'s books leave this device. Your notes and your conversations with "
                f"{removing_name} are kept, and installing it again continues where you left off."
            ),
            actions=[
                ft.TextButton(content="Keep it", disabled=state.busy, on_click=keep),
                ft.FilledButton(
                    content="Remove",
                    icon=ft.Icons.DELETE_OUTLINE,
                    disabled=state.busy,
                    on_click=confirm_remove,
                ),
            ],
            on_dismiss=keep,
        )
        if state.removing
        else None
    )

    async def open_studio(_e: Any) -> None:  # the coach studio: for creators (app/ui/studio_view.py)
        await page.push_route("/studio")

    top: list[ft.Control] = [ft.Container(height=SPACE_S), _filters(state, pick_domain, pick_language)]
    top.append(
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            controls=[
                ft.TextButton(
                    content="Create a coach", icon=ft.Icons.DESIGN_SERVICES_OUTLINED, on_click=open_studio
                )
            ],
        )
    )
    # One status column, present even when empty: a line inserted above the list shifted the list's
    # place among its siblings, the list was built anew, and an install below the fold jumped back
    # to the top, its "Chat with" button out of sight.
    top.append(
        ft.Column(
            spacing=4,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            controls=[
                *([ft.Text(state.result, color=ft.Colors.PRIMARY)] if state.result else []),
                *([ft.Text(state.problem, color=ft.Colors.ERROR)] if state.problem else []),
            ],
        )
    )
    entries = sorted(visible_entries(state), key=lambda e: e.id != wanted)  # a linked card comes first
    if not state.loaded:
        grid: list[ft.Control] = [ft.Text("Loading coaches…", color=ft.Colors.ON_SURFACE_VARIANT)]
    elif not entries:
        grid = [ft.Text("No coach matches these filters.", color=ft.Colors.ON_SURFACE_VARIANT)]
    else:
        grid = [
            ft.ResponsiveRow(
                spacing=SPACE_S,
                run_spacing=SPACE_S,
                controls=[
                    _card(
                        e,
                        state,
                        install,
                        chat,
                        lambda cid: install(cid, preview=True),
                        ask_remove,
                        wanted=e.id == wanted,
                    )
                    for e in entries
                ],
            )
        ]
    return ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            *top,
            ft.ListView(
                key="coaches",
                expand=True,
                spacing=SPACE_S,
                padding=ft.Padding.only(bottom=SPACE_M),
                controls=grid,
            ),
        ],
    )
