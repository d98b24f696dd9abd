"""Chat with a coach: streaming replies, sources you can open, your projects and people at hand.

A turn retrieves from the coach's books and the coachee's memory and asks the configured reasoner
(offline by default), all inside ``Engine.chat`` in a worker thread. The reply streams: the engine
calls ``on_text`` on that thread, the pieces are gathered and flushed to the screen through the
event loop at most every ``STREAM_FLUSH_S``, so a fast reasoner does not flood the websocket.

Around the conversation: active projects and key people in a sidebar on wide windows and in a
bottom sheet on phones; `@`/`#` suggestions while typing a mention; voice memos (record or attach,
transcribed on the device into today's note); and for a coach being tried from the Gallery, the
free messages left with Install and End preview.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.chat_parts import (
    Bubble,
    ContextItem,
    Source,
    bubble_view,
    context_lists,
    preview_banner,
    source_dialog,
    suggestions_row,
)
from app.ui.hooks import use_latest_state, use_page_width
from app.ui.mentions import Suggestion, complete, open_mention, suggest, token_for
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S
from app.ui.voice_memo import MemoOutcome, use_voice_memo, voice_status
from engine.api import Engine
from engine.errors import LifeOSError

STREAM_FLUSH_S = 0.05
CONTEXT_ITEMS = 6
SIDEBAR_MIN_WIDTH = 1000
"""From this window width the projects and people sit beside the chat; below it, in a sheet."""
SIDEBAR_WIDTH = 260


@dataclass(frozen=True)
class ChatState:
    coaches: tuple[tuple[str, str], ...] = ()  # (id, name), previews included
    bubbles: tuple[Bubble, ...] = ()
    context: tuple[ContextItem, ...] = ()
    mentionable: tuple[tuple[str, str, str], ...] = ()  # (entity id, name, type)
    preview_left: int | None = None
    loaded: bool = False
    draft: str = ""
    streaming: str | None = None
    sending: bool = False
    open_source: Source | None = None
    source_loading: bool = False
    context_open: bool = False
    preview_busy: bool = False
    problem: str | None = None


@dataclass(frozen=True)
class ChatRead:
    coaches: tuple[tuple[str, str], ...]
    bubbles: tuple[Bubble, ...]
    preview_left: int | None


def _source(engine: Engine, coach_id: str, ref: str) -> Source:
    """An earlier reply's source: messages keep only the ref, the passage comes from the coach's books
    (an indexed lookup); one an update of the coach dropped keeps its ref and says so when opened."""
    try:
        found = engine.chat.passage(coach_id, ref)
    except LifeOSError:
        return Source(ref, ref, "", "")
    return Source(found.ref, found.title, found.author, found.text)


def read_chat(engine: Engine, coach_id: str | None) -> ChatRead:
    """Coaches (previews too) and the conversation with ``coach_id``; earlier sources by reference."""
    coaches = tuple((c.id, c.name) for c in engine.coaches.list(include_previews=True))
    current = coach_id or (coaches[0][0] if coaches else None)
    if current is None or all(c[0] != current for c in coaches):
        return ChatRead(coaches, (), None)
    bubbles = tuple(
        Bubble(m.role, m.content, tuple(_source(engine, current, ref) for ref in m.meta.get("citations", [])))
        for m in engine.chat.conversation(current)
    )
    return ChatRead(coaches, bubbles, engine.coaches.preview_messages_left(current))


def read_context(engine: Engine) -> tuple[tuple[ContextItem, ...], tuple[tuple[str, str, str], ...]]:
    """Projects (soonest deadline first) and people for the panel, and everything `@`/`#` can name."""
    projects = engine.memory.list_entities("project")
    people = engine.memory.list_entities("person")
    areas = engine.memory.list_entities("area")
    projects.sort(key=lambda e: (e.deadline is None, e.deadline or ""))
    panel = tuple(
        ContextItem(e.id, e.name, e.type, f"Due {e.deadline}" if e.deadline else "")
        for e in (*projects[:CONTEXT_ITEMS], *people[:CONTEXT_ITEMS])
    )
    mentionable = tuple((e.id, e.name, e.type) for e in (*people, *projects, *areas))
    return panel, mentionable


@ft.component
def ChatView() -> ft.Control:
    """``/chat`` (first coach) and ``/chat/<coach id>``."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    width = use_page_width()
    requested = ft.use_route_params().get("coach_id")
    state, set_state, latest = use_latest_state(ChatState())
    coach_id = requested or (state.coaches[0][0] if state.coaches else None)
    coach_name = dict(state.coaches).get(coach_id or "", coach_id or "")

    async def load() -> None:
        try:
            read = await asyncio.to_thread(read_chat, engine, coach_id)
        except LifeOSError as exc:
            problem = f"The conversation could not be read: {exc}"
            set_state(lambda s: replace(s, loaded=True, problem=problem))
            return
        set_state(
            lambda s: replace(
                s, coaches=read.coaches, bubbles=read.bubbles, preview_left=read.preview_left, loaded=True
            )
        )

    async def load_context() -> None:
        try:
            panel, mentionable = await asyncio.to_thread(read_context, engine)
        except LifeOSError:
            return  # the panel is a convenience; the chat works without it
        set_state(lambda s: replace(s, context=panel, mentionable=mentionable))

    # The conversation reloads when the coach changes; the context whenever memory changes (a reply,
    # a capture, a voice memo), so a finished reply keeps its openable sources.
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
            reply = await asyncio.to_thread(lambda: engine.chat.send(coach_id, text, on_text=on_text))
            left = await asyncio.to_thread(engine.coaches.preview_messages_left, coach_id)
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
        set_state(
            lambda s: replace(
                s, sending=False, streaming=None, preview_left=left, bubbles=(*s.bubbles, answer)
            )
        )
        profile.changed()

    def memo_saved(memo: MemoOutcome) -> None:
        set_state(lambda s: replace(s, bubbles=(*s.bubbles, Bubble("memo", memo.transcript, memo=memo))))

    voice, voice_buttons = use_voice_memo(memo_saved, disabled=state.sending)

    def edit(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value or ""
        set_state(lambda s: replace(s, draft=value))

    def use_text(text: str) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, draft=(s.draft + " " + text).strip()))

    def pick_suggestion(suggestion: Suggestion) -> Callable[[Any], None]:
        def handler(_e: Any) -> None:
            def apply(s: ChatState) -> ChatState:
                mention = open_mention(s.draft)
                return replace(s, draft=complete(s.draft, mention, suggestion)) if mention else s

            set_state(apply)

        return handler

    def mention(item: ContextItem) -> Callable[[Any], None]:
        token = token_for(item.name, item.type)

        def handler(_e: Any) -> None:
            draft = latest().draft
            spaced = draft + ("" if not draft or draft.endswith(" ") else " ") + token + " "
            set_state(lambda s: replace(s, draft=spaced, context_open=False))

        return handler

    def open_source(source: Source) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            if source.text or coach_id is None:
                set_state(lambda s: replace(s, open_source=source))
                return
            set_state(lambda s: replace(s, open_source=source, source_loading=True))
            try:
                found = await asyncio.to_thread(engine.chat.passage, coach_id, source.ref)
                opened = Source(found.ref, found.title, found.author, found.text)
            except LifeOSError:
                opened = source  # shown as "no longer installed"
            set_state(lambda s: replace(s, open_source=opened, source_loading=False) if s.open_source else s)

        return handler

    def close_source(_e: Any = None) -> None:
        set_state(lambda s: replace(s, open_source=None, source_loading=False))

    def go(route: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            set_state(lambda s: replace(s, context_open=False))
            await page.push_route(route)

        return handler

    async def install_previewed(_e: Any) -> None:
        if coach_id is None or latest().preview_busy:
            return
        set_state(lambda s: replace(s, preview_busy=True, problem=None))
        try:
            await asyncio.to_thread(engine.coaches.install, coach_id)
        except LifeOSError as exc:
            problem = f"Not installed: {exc}"
            set_state(lambda s: replace(s, preview_busy=False, problem=problem))
            return
        set_state(lambda s: replace(s, preview_busy=False, preview_left=None))
        profile.changed()

    async def end_preview(_e: Any) -> None:
        if coach_id is None or latest().preview_busy:
            return
        set_state(lambda s: replace(s, preview_busy=True, problem=None))
        try:
            await asyncio.to_thread(engine.coaches.end_preview, coach_id)
        except LifeOSError as exc:
            problem = f"The preview could not be ended: {exc}"
            set_state(lambda s: replace(s, preview_busy=False, problem=problem))
            return
        profile.changed()
        await page.push_route("/gallery")

    wide = width >= SIDEBAR_MIN_WIDTH
    ft.use_dialog(source_dialog(state.open_source, state.source_loading, close_source))
    ft.use_dialog(
        ft.BottomSheet(
            show_drag_handle=True,
            on_dismiss=lambda _e: set_state(lambda s: replace(s, context_open=False)),
            content=ft.Container(
                padding=ft.Padding.only(left=SPACE_S, right=SPACE_S, bottom=SPACE_M),
                content=ft.Column(
                    tight=True, scroll=ft.ScrollMode.AUTO, controls=context_lists(state.context, go, mention)
                ),
            ),
        )
        if state.context_open and not wide
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

    top_row = ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[
            ft.Row(
                wrap=True,
                expand=True,
                spacing=SPACE_S,
                run_spacing=4,
                controls=[
                    ft.Chip(
                        label=name,
                        selected=cid == coach_id,
                        show_checkmark=False,
                        on_select=go(f"/chat/{cid}"),
                    )
                    for cid, name in state.coaches
                ],
            ),
            *(
                []
                if wide
                else [
                    ft.IconButton(
                        icon=ft.Icons.PEOPLE_OUTLINE,
                        tooltip="Projects and people",
                        on_click=lambda _e: set_state(lambda s: replace(s, context_open=True)),
                    )
                ]
            ),
        ],
    )
    bubbles = [bubble_view(b, open_source, go, use_text) for b in state.bubbles]
    if state.streaming is not None:
        bubbles.append(bubble_view(Bubble("assistant", state.streaming or "…"), open_source, go, use_text))
    if not bubbles:
        bubbles = [
            ft.Text(
                "Say what is on your mind. Replies draw on the coach's books and on what you have noted. "
                "Type @ for a person or # for a project; the microphone saves a voice memo.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        ]
    preview_done = state.preview_left == 0
    mention_open = open_mention(state.draft)
    suggestions = suggest(state.mentionable, mention_open) if mention_open else []
    composer = ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.END,
        spacing=4,
        controls=[
            voice_buttons,
            ft.TextField(
                label="Message",
                value=state.draft,
                multiline=True,
                shift_enter=True,
                min_lines=1,
                max_lines=4,
                expand=True,
                disabled=state.sending or preview_done,
                on_change=edit,
                on_submit=send,
            ),
            ft.IconButton(
                icon=ft.Icons.SEND,
                tooltip="Send",
                disabled=state.sending or preview_done or not state.draft.strip(),
                on_click=send,
            ),
        ],
    )
    chat_column = ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(height=4),
            top_row,
            *(
                [
                    preview_banner(
                        coach_name, state.preview_left, install_previewed, end_preview, state.preview_busy
                    )
                ]
                if state.preview_left is not None
                else []
            ),
            ft.ListView(expand=True, spacing=SPACE_S, auto_scroll=True, controls=bubbles),
            *([ft.ProgressBar(semantics_label="The coach is replying")] if state.sending else []),
            *([ft.Text(state.problem, color=ft.Colors.ERROR)] if state.problem else []),
            *voice_status(voice),
            *([suggestions_row(suggestions, pick_suggestion)] if suggestions else []),
            composer,
            ft.Container(height=SPACE_S),
        ],
    )
    if not wide:
        return chat_column
    sidebar = ft.Container(
        width=SIDEBAR_WIDTH,
        padding=ft.Padding.only(top=SPACE_S),
        content=ft.Column(
            scroll=ft.ScrollMode.AUTO, spacing=0, controls=context_lists(state.context, go, mention)
        ),
    )
    return ft.Row(
        expand=True,
        spacing=SPACE_M,
        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[chat_column, ft.VerticalDivider(width=1), sidebar],
    )
