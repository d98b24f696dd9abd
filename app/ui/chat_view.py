"""Chat with an installed coach: streaming replies, citations you can open, your context at hand.

A turn retrieves from the coach's books and the coachee's memory and asks the configured reasoner
(offline by default), all inside ``Engine.chat`` in a worker thread. The reply streams: the engine
calls ``on_text`` on that thread, the pieces are gathered and flushed to the screen through the
event loop at most every ``STREAM_FLUSH_S``, so a fast reasoner does not flood the websocket.
Citations of this session's replies open in a dialog with the passage, its title and its author.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.hooks import use_latest_state
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S
from engine.api import Engine, LifeOSError

STREAM_FLUSH_S = 0.05
CONTEXT_ITEMS = 5


@dataclass(frozen=True)
class Source:
    """A passage a reply cites; ``text`` is empty for replies from an earlier session."""

    ref: str
    title: str
    author: str
    text: str


@dataclass(frozen=True)
class Bubble:
    role: str  # user or assistant
    text: str
    sources: tuple[Source, ...] = ()
    notice: str | None = None


@dataclass(frozen=True)
class ChatState:
    coaches: tuple[tuple[str, str], ...] = ()  # (id, name)
    bubbles: tuple[Bubble, ...] = ()
    context: tuple[tuple[str, str, str], ...] = ()  # (entity id, name, type)
    loaded: bool = False
    draft: str = ""
    streaming: str | None = None
    sending: bool = False
    open_source: Source | None = None
    problem: str | None = None


def read_chat(engine: Engine, coach_id: str | None) -> tuple[tuple[tuple[str, str], ...], tuple[Bubble, ...]]:
    """Installed coaches and the conversation with ``coach_id`` (earlier sources by reference only)."""
    coaches = tuple((c.id, c.name) for c in engine.coaches())
    bubbles: tuple[Bubble, ...] = ()
    if coach_id and any(c[0] == coach_id for c in coaches):
        bubbles = tuple(
            Bubble(
                m.role,
                m.content,
                tuple(Source(ref, ref, "", "") for ref in m.meta.get("citations", [])),
            )
            for m in engine.conversation(coach_id)
        )
    return coaches, bubbles


def read_context(engine: Engine) -> tuple[tuple[str, str, str], ...]:
    """The coachee's active projects and key people, for the context panel."""
    projects = engine.list_entities("project")[:CONTEXT_ITEMS]
    people = engine.list_entities("person")[:CONTEXT_ITEMS]
    return tuple((e.id, e.name, e.type) for e in (*projects, *people))


def _source_chip(index: int, source: Source, on_open: Callable[[Source], Any]) -> ft.Control:
    label = f"[{index}] {source.title}" + (f" — {source.author}" if source.author else "")
    return ft.Chip(
        label=ft.Text(label, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS, size=12),
        leading=ft.Icon(ft.Icons.MENU_BOOK_OUTLINED, size=16),
        on_click=on_open(source) if source.text else None,
        tooltip=f"Open source {source.ref}" if source.text else f"Source {source.ref}",
    )


def _bubble(bubble: Bubble, on_open: Callable[[Source], Any]) -> ft.Control:
    mine = bubble.role == "user"
    body: list[ft.Control] = []
    if bubble.notice:
        body.append(ft.Text(bubble.notice, size=12, italic=True, color=ft.Colors.ON_SURFACE_VARIANT))
    body.append(ft.Text(bubble.text, selectable=True) if mine else ft.Markdown(bubble.text, selectable=True))
    if bubble.sources:
        body.append(
            ft.Row(
                wrap=True,
                spacing=6,
                run_spacing=6,
                controls=[_source_chip(i + 1, s, on_open) for i, s in enumerate(bubble.sources)],
            )
        )
    return ft.Row(
        alignment=ft.MainAxisAlignment.END if mine else ft.MainAxisAlignment.START,
        controls=[
            ft.Container(
                expand=not mine,
                padding=ft.Padding.symmetric(horizontal=SPACE_M - 2, vertical=SPACE_S + 2),
                border_radius=16,
                bgcolor=ft.Colors.PRIMARY_CONTAINER if mine else ft.Colors.SURFACE_CONTAINER_HIGH,
                content=ft.Column(spacing=SPACE_S, tight=True, controls=body),
            )
        ],
    )


@ft.component
def ChatView() -> ft.Control:
    """``/chat`` (first installed coach) and ``/chat/<coach id>``."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    requested = ft.use_route_params().get("coach_id")
    state, set_state, latest = use_latest_state(ChatState())
    coach_id = requested or (state.coaches[0][0] if state.coaches else None)

    async def load() -> None:
        try:
            coaches, bubbles = await asyncio.to_thread(read_chat, engine, coach_id)
        except LifeOSError as exc:
            problem = f"The conversation could not be read: {exc}"
            set_state(lambda s: replace(s, loaded=True, problem=problem))
            return
        set_state(lambda s: replace(s, coaches=coaches, bubbles=bubbles, loaded=True))

    async def load_context() -> None:
        try:
            context = await asyncio.to_thread(read_context, engine)
        except LifeOSError:
            return  # the panel is a convenience; the chat works without it
        set_state(lambda s: replace(s, context=context))

    # The conversation reloads when the coach changes; the context panel whenever memory changes
    # (a reply or a capture), so a finished reply keeps its openable sources.
    ft.use_effect(load, dependencies=[coach_id])
    ft.use_effect(load_context, dependencies=[profile.revision])

    async def send(_e: Any) -> None:
        current = latest()
        text = current.draft.strip()
        if not text or current.sending or coach_id is None:
            return
        loop = asyncio.get_running_loop()
        parts: list[str] = []
        pending = {"scheduled": False}

        def flush() -> None:
            pending["scheduled"] = False
            streamed = "".join(parts)
            set_state(lambda s: replace(s, streaming=streamed) if s.sending else s)

        def on_text(piece: str) -> None:  # worker thread
            parts.append(piece)
            if not pending["scheduled"]:
                pending["scheduled"] = True
                loop.call_soon_threadsafe(loop.call_later, STREAM_FLUSH_S, flush)

        set_state(
            lambda s: replace(
                s,
                draft="",
                sending=True,
                streaming="",
                problem=None,
                bubbles=(*s.bubbles, Bubble("user", text)),
            )
        )
        try:
            reply = await asyncio.to_thread(lambda: engine.chat(coach_id, text, on_text=on_text))
        except LifeOSError as exc:
            problem = f"No reply: {exc}"
            set_state(lambda s: replace(s, sending=False, streaming=None, problem=problem))
            return
        answer = Bubble(
            "assistant",
            reply.text,
            tuple(Source(c.ref, c.title, c.author, c.text) for c in reply.citations),
            reply.notice,
        )
        set_state(lambda s: replace(s, sending=False, streaming=None, bubbles=(*s.bubbles, answer)))
        profile.changed()

    def edit(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value
        set_state(lambda s: replace(s, draft=value))

    def open_source(source: Source) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, open_source=source))

    def close_source(_e: Any = None) -> None:
        set_state(lambda s: replace(s, open_source=None))

    def go(route: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            await page.push_route(route)

        return handler

    source = state.open_source
    ft.use_dialog(
        ft.AlertDialog(
            title=ft.Text(source.title),
            scrollable=True,
            content=ft.Container(
                width=560,
                content=ft.Column(
                    tight=True,
                    controls=[
                        ft.Text(source.author, italic=True, color=ft.Colors.ON_SURFACE_VARIANT)
                        if source.author
                        else ft.Container(),
                        ft.Text(source.text, selectable=True),
                        ft.Text(f"Reference: {source.ref}", size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                    ],
                ),
            ),
            actions=[ft.TextButton(content="Close source", on_click=close_source)],
            on_dismiss=close_source,
        )
        if source is not None
        else None
    )

    if state.loaded and not state.coaches:
        return ft.Column(
            expand=True,
            alignment=ft.MainAxisAlignment.CENTER,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Icon(ft.Icons.CHAT_BUBBLE_OUTLINE, size=48, color=ft.Colors.PRIMARY),
                ft.Text("No coach installed yet", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                ft.Text(
                    "Pick one in the Gallery; it runs on this device.", color=ft.Colors.ON_SURFACE_VARIANT
                ),
                ft.FilledButton(content="Open the Gallery", on_click=go("/gallery")),
            ],
        )

    coach_chips = ft.Row(
        wrap=True,
        spacing=SPACE_S,
        controls=[
            ft.Chip(label=name, selected=cid == coach_id, show_checkmark=False, on_select=go(f"/chat/{cid}"))
            for cid, name in state.coaches
        ],
    )
    context = ft.ExpansionTile(
        title=ft.Text("Your projects and people"),
        dense=True,
        tile_padding=ft.Padding.symmetric(horizontal=SPACE_S),
        controls=[
            ft.Row(
                wrap=True,
                spacing=SPACE_S,
                run_spacing=SPACE_S,
                controls=[
                    ft.Chip(
                        label=name,
                        leading=ft.Icon(
                            ft.Icons.FLAG_OUTLINED if type_ == "project" else ft.Icons.PERSON_OUTLINE, size=16
                        ),
                        on_click=go(f"/para/entity/{eid}"),
                    )
                    for eid, name, type_ in state.context
                ]
                or [
                    ft.Text(
                        "Capture a #project or an @person and they show up here.",
                        color=ft.Colors.ON_SURFACE_VARIANT,
                    )
                ],
            )
        ],
    )
    bubbles = [_bubble(b, open_source) for b in state.bubbles]
    if state.streaming is not None:
        bubbles.append(_bubble(Bubble("assistant", state.streaming or "…"), open_source))
    if not bubbles:
        bubbles = [
            ft.Text(
                "Say what is on your mind. Replies draw on the coach's books and on what you have noted.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        ]
    composer = ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.END,
        controls=[
            ft.TextField(
                label="Message",
                value=state.draft,
                multiline=True,
                shift_enter=True,
                min_lines=1,
                max_lines=4,
                expand=True,
                disabled=state.sending,
                on_change=edit,
                on_submit=send,
            ),
            ft.IconButton(
                icon=ft.Icons.SEND,
                tooltip="Send",
                disabled=state.sending or not state.draft.strip(),
                on_click=send,
            ),
        ],
    )
    return ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(height=4),
            coach_chips,
            context,
            ft.ListView(expand=True, spacing=SPACE_S, auto_scroll=True, controls=bubbles),
            *([ft.ProgressBar(semantics_label="The coach is replying")] if state.sending else []),
            *([ft.Text(state.problem, color=ft.Colors.ERROR)] if state.problem else []),
            composer,
            ft.Container(height=SPACE_S),
        ],
    )
