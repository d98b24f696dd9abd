"""Inbox: the heartbeat's check-ins, each with why it was sent and what to do about it.

A check-in that does not say why it arrived feels like nagging, so the reason is always shown. The
actions are the three a coachee needs: act on it (open the chat, capture an update, open the
project), put it off (snooze), or clear it (done). "Run heartbeat now" runs the four roles at once
instead of waiting for their schedule; it can take a few seconds (fact extraction), so it runs off
the UI thread behind a progress bar and reports what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.note_display import local_time
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S
from engine.api import Engine
from engine.types import HeartbeatReport, InboxItem

KIND_ICONS: dict[str, ft.IconData] = {
    "deadline": ft.Icons.EVENT_OUTLINED,
    "stale_area": ft.Icons.HOURGLASS_EMPTY,
    "coach": ft.Icons.PSYCHOLOGY_OUTLINED,
    "archive": ft.Icons.ARCHIVE_OUTLINED,
    "training_load": ft.Icons.DIRECTIONS_RUN_OUTLINED,
}
SNOOZE_CHOICES: tuple[tuple[str, timedelta], ...] = (
    ("1 hour", timedelta(hours=1)),
    ("3 hours", timedelta(hours=3)),
    ("1 day", timedelta(days=1)),
    ("1 week", timedelta(weeks=1)),
)


@dataclass(frozen=True)
class InboxState:
    items: tuple[InboxItem, ...] = ()
    loaded: bool = False
    running: bool = False
    busy_item: str | None = None
    report: str | None = None
    problem: str | None = None


ROLE_WORDS = {
    "synthesis": "weekly review",
    "extract": "facts from new notes",
    "checkins": "check-ins",
    "index": "search index refreshed",
}


def describe_report(report: HeartbeatReport) -> str:
    """One sentence about a heartbeat run: what was delivered, which roles had work, and when
    nothing was sent, why (a bare "no new check-ins" at 22:15 read as a heartbeat that is broken)."""
    delivered = report.delivered
    ran = [ROLE_WORDS.get(r.role, r.role) for r in report.results if r.ran and r.role != "checkins"]
    did = f" Also ran: {', '.join(ran)}." if ran else ""
    if delivered:
        return f"Heartbeat done: {len(delivered)} new check-in{'s' if len(delivered) != 1 else ''}.{did}"
    why = next((r.reason for r in report.results if r.role == "checkins"), None)
    because = f": {why}" if why else ""
    return f"Heartbeat done. No check-in sent{because}.{did}"


def primary_action(item: InboxItem) -> tuple[str, ft.IconData, str] | None:
    # "Open chat" goes through ``InboxView``'s ``open_chat`` (the question lands in the chat first);
    # the route here is where it leads.
    """(label, icon, route) of the item's main action, from the engine's ``action`` dict."""
    kind = item.action.get("type")
    entity_id = item.action.get("entity_id")
    if kind == "open_chat":
        coach = item.action.get("coach_id")
        return ("Open chat", ft.Icons.CHAT_BUBBLE_OUTLINE, f"/chat/{coach}" if coach else "/chat")
    if kind == "capture":
        return ("Write an update", ft.Icons.EDIT_NOTE_OUTLINED, "/notes")
    if kind == "archive" and entity_id:
        return ("Review", ft.Icons.ARCHIVE_OUTLINED, f"/para/entity/{entity_id}")
    return None


def _when(item: InboxItem) -> str:
    day = item.created_at[:10]
    return f"{day} · {local_time(item.created_at)}"


def _item_card(
    item: InboxItem,
    busy: bool,
    go: Callable[[str], Any],
    open_chat: Any,
    done: Any,
    snooze: Callable[[timedelta], Any],
) -> ft.Control:
    action = primary_action(item)
    entity_id = item.action.get("entity_id")
    buttons: list[ft.Control] = []
    if action:
        label, icon, route = action
        act = open_chat if item.action.get("type") == "open_chat" else go(route)
        buttons.append(ft.FilledTonalButton(content=label, icon=icon, disabled=busy, on_click=act))
    if entity_id and item.action.get("type") != "archive":
        buttons.append(ft.TextButton(content="Open item", on_click=go(f"/para/entity/{entity_id}")))
    buttons += [
        ft.PopupMenuButton(
            content=ft.Row(
                tight=True,
                spacing=4,
                controls=[
                    ft.Icon(ft.Icons.SNOOZE, size=18, color=ft.Colors.PRIMARY),
                    ft.Text("Snooze", color=ft.Colors.PRIMARY, weight=ft.FontWeight.W_500),
                ],
            ),
            tooltip="Snooze",
            disabled=busy,
            items=[
                ft.PopupMenuItem(content=f"Snooze {label}", on_click=snooze(delta))
                for label, delta in SNOOZE_CHOICES
            ],
        ),
        ft.TextButton(content="Done", icon=ft.Icons.DONE, disabled=busy, on_click=done),
    ]
    return ft.Card(
        content=ft.Container(
            padding=ft.Padding.all(SPACE_M),
            content=ft.Column(
                spacing=SPACE_S,
                controls=[
                    ft.Row(
                        vertical_alignment=ft.CrossAxisAlignment.START,
                        controls=[
                            ft.Icon(
                                KIND_ICONS.get(item.kind, ft.Icons.NOTIFICATIONS_OUTLINED),
                                color=ft.Colors.PRIMARY,
                            ),
                            ft.Column(
                                expand=True,
                                spacing=2,
                                controls=[
                                    ft.Text(item.title, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                                    ft.Text(_when(item), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                                ],
                            ),
                        ],
                    ),
                    ft.Text(item.body),
                    ft.Text(
                        f"Why: {item.reason}",
                        italic=True,
                        color=ft.Colors.ON_SURFACE_VARIANT,
                        theme_style=ft.TextThemeStyle.BODY_SMALL,
                    ),
                    ft.Row(
                        wrap=True,
                        spacing=SPACE_S,
                        run_spacing=SPACE_S,
                        alignment=ft.MainAxisAlignment.END,
                        controls=buttons,
                    ),
                ],
            ),
        )
    )


def run_heartbeat(engine: Engine) -> HeartbeatReport:
    """Every role, now, whatever its schedule; the OS notification is skipped (the inbox is open)."""
    return engine.heartbeat.run(force=True, notify_os=False)


@ft.component
def InboxView() -> ft.Control:
    """Open check-ins, newest first, and the button that runs the heartbeat now."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    state, set_state, latest = use_latest_state(InboxState())

    async def load() -> None:
        await run_action(
            engine.heartbeat.inbox,
            set_state=set_state,
            busy=None,
            failure="The inbox could not be read: {}",
            done=lambda s, items: replace(s, items=tuple(items), loaded=True),
            failed=lambda s: replace(s, loaded=True),
        )

    ft.use_effect(load, dependencies=[profile.revision])

    async def heartbeat(_e: ft.Event[ft.Control]) -> None:
        if await run_action(
            lambda: run_heartbeat(engine),
            latest=latest,
            set_state=set_state,
            busy="running",
            failure="The heartbeat stopped: {}",
            start=lambda s: replace(s, report=None),
            done=lambda s, report: replace(s, report=describe_report(report)),
        ):
            profile.changed()

    def on_item(item_id: str, work: Callable[[], object]) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            if await run_action(
                work, latest=latest, set_state=set_state, busy="busy_item", busy_value=item_id
            ):
                profile.changed()

        return handler

    def go(route: str) -> Callable[[ft.Event[ft.Control]], Any]:
        async def handler(_e: ft.Event[ft.Control]) -> None:
            await page.push_route(route)

        return handler

    def open_chat(item_id: str) -> Callable[[ft.Event[ft.Control]], Any]:
        """The check-in's question is put into the coach's conversation first, so the chat that
        opens continues from it instead of showing an unrelated history."""

        async def handler(_e: ft.Event[ft.Control]) -> None:
            opened = await run_action(
                lambda: engine.heartbeat.open_check_in(item_id),
                latest=latest,
                set_state=set_state,
                busy="busy_item",
                busy_value=item_id,
            )
            if opened:
                profile.changed()
                await page.push_route(f"/chat/{opened.value}" if opened.value else "/chat")

        return handler

    def card(item: InboxItem) -> ft.Control:
        def snooze(delta: timedelta) -> Callable[[ft.Event[ft.Control]], Any]:
            return on_item(
                item.id, lambda: engine.heartbeat.snooze(item.id, datetime.now().astimezone() + delta)
            )

        return _item_card(
            item,
            state.busy_item == item.id,
            go,
            open_chat(item.id),
            on_item(item.id, lambda: engine.heartbeat.mark_done(item.id)),
            snooze,
        )

    top: list[ft.Control] = [
        ft.Container(height=SPACE_S),
        ft.Row(
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Text(
                    "Check-ins from your coaches and your own memory.",
                    color=ft.Colors.ON_SURFACE_VARIANT,
                    expand=True,
                ),
                ft.OutlinedButton(
                    content="Run heartbeat now",
                    icon=ft.Icons.MONITOR_HEART_OUTLINED,
                    disabled=state.running,
                    on_click=heartbeat,
                ),
            ],
            wrap=False,
        ),
    ]
    if state.running:
        top.append(ft.ProgressBar(semantics_label="Running the heartbeat"))
    if state.report:
        top.append(ft.Text(state.report, color=ft.Colors.PRIMARY))
    if state.problem:
        top.append(ft.Text(state.problem, color=ft.Colors.ERROR))
    if not state.loaded:
        listing: list[ft.Control] = [ft.Text("Loading…", color=ft.Colors.ON_SURFACE_VARIANT)]
    elif not state.items:
        listing = [
            ft.Container(
                padding=ft.Padding.symmetric(vertical=SPACE_M),
                content=ft.Text(
                    "All clear. Check-ins arrive here when a deadline is near, an area has gone quiet, "
                    "or a coach's rhythm comes round.",
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
            )
        ]
    else:
        listing = [card(i) for i in state.items]
    return ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[*top, ft.ListView(expand=True, spacing=SPACE_S, controls=listing)],
    )
