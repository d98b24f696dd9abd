"""Chat with a coach: streaming replies, sources you can open, your projects and people at hand.

A turn retrieves from the coach's books and the coachee's memory and asks the configured reasoner
(offline by default), all inside ``Engine.chat`` in a worker thread. The reply streams: the engine
calls ``on_text`` on that thread, the pieces are gathered and flushed to the screen through the
event loop at most every ``STREAM_FLUSH_S``, so a fast reasoner does not flood the websocket.

What keeps a reply quick to *see* (bench/app_bench.py measures Send to the last word on screen):

- Each bubble's controls are built once and the very same objects are handed to every later
  render; Flet's diff skips an unchanged object without looking inside, so a render costs the
  same with 3 bubbles or 200 (it used to rebuild and diff every Markdown bubble per render: 50 to
  150 ms of the event loop per keystroke and per reply in a long conversation).
- The conversation is a ``reverse`` list: offset 0 is the newest message, so a new bubble, or a
  streaming one that grows, shows at once where the person looks, without an animated scroll, and
  sending from higher up is one jump to offset 0 (an estimated "end" of a lazy list is not).
  Its children are a plain keyed list (``build_controls_on_demand=False``): Flutter then finds a
  bubble by its key when a new message moves it down a place, instead of rebuilding it.
- Nothing animates while the coach replies (an indeterminate progress bar repainted the page every
  frame, taking a core from the reply on a small machine); the pending bubble says "…".
- The models a reply needs are loaded when the chat opens, while the person is still typing.

Around the conversation: active projects and key people in a sidebar on wide windows and in a
bottom sheet on phones; `@`/`#` suggestions while typing a mention; voice memos (record or attach,
transcribed on the device into today's note); and for a coach being tried from the Gallery, the
free messages left with Install and End preview. ``/chat`` opens the coach last chatted with.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.chat_found import use_found_message
from app.ui.chat_parts import (
    Bubble,
    ContextItem,
    Source,
    bubble_view,
    context_lists,
    pending_bubble,
    preview_banner,
    source_dialog,
    suggestions_row,
)
from app.ui.hooks import use_latest_state, use_page_width, use_typed_text
from app.ui.labelled import icon_button
from app.ui.mentions import Suggestion, complete, open_mention, suggest, token_for
from app.ui.para_display import deadline_text
from app.ui.profile_context import use_profile
from app.ui.theme import SPACE_M, SPACE_S
from app.ui.transcripts import asked_message
from app.ui.voice_memo import MemoOutcome, use_voice_memo, voice_status
from app.ui.voice_playback import playing_line, use_voice_player
from engine.api import Engine
from engine.errors import LifeOSError

STREAM_FLUSH_S = 0.05
CONTEXT_ITEMS = 6
SIDEBAR_MIN_WIDTH = 1000
"""From this window width the projects and people sit beside the chat; below it, in a sheet."""
SIDEBAR_WIDTH = 260
WARM_UP_QUERY = "hello"


@dataclass(frozen=True)
class ChatState:
    coaches: tuple[tuple[str, str], ...] = ()  # (id, name), previews included
    coach_id: str | None = None  # the coach whose conversation is loaded
    bubbles: tuple[Bubble, ...] = ()
    context: tuple[ContextItem, ...] = ()
    mentionable: tuple[tuple[str, str, str], ...] = ()  # (entity id, name, type)
    preview_left: int | None = None
    loaded: bool = False
    draft: str = ""
    draft_replaced: int = 0
    """Bumped whenever the app (not the person typing) changes the draft: see ``use_typed_text``."""
    streaming: str | None = None
    sending: bool = False
    sent: int = 0
    """Messages sent from this screen; each one brings the newest message into view."""
    open_source: Source | None = None
    source_loading: bool = False
    context_open: bool = False
    preview_busy: bool = False
    problem: str | None = None


@dataclass(frozen=True)
class ChatRead:
    coaches: tuple[tuple[str, str], ...]
    coach_id: str | None
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


def last_chatted(engine: Engine, coach_ids: list[str]) -> str | None:
    """The coach whose conversation has the newest message (None when no conversation has any)."""
    newest: tuple[str, str] | None = None
    for coach_id in coach_ids:
        last = engine.chat.conversation(coach_id, limit=1)
        if last and (newest is None or last[-1].created_at > newest[0]):
            newest = (last[-1].created_at, coach_id)
    return newest[1] if newest else None


def read_chat(engine: Engine, coach_id: str | None) -> ChatRead:
    """Coaches (previews too) and the conversation with ``coach_id``, or, when none is asked for,
    with the coach last chatted with (the first coach when there is no conversation yet). Earlier
    sources come back by reference."""
    coaches = tuple((c.id, c.name) for c in engine.coaches.list(include_previews=True))
    ids = [c[0] for c in coaches]
    current = coach_id or last_chatted(engine, ids) or (ids[0] if ids else None)
    if current is None or current not in ids:
        return ChatRead(coaches, current, (), None)
    bubbles = tuple(
        Bubble(
            m.role,
            m.content,
            tuple(_source(engine, current, ref) for ref in m.meta.get("citations", [])),
            message_id=m.id,
        )
        for m in engine.chat.conversation(current)
    )
    return ChatRead(coaches, current, bubbles, engine.coaches.preview_messages_left(current))


def read_context(engine: Engine) -> tuple[tuple[ContextItem, ...], tuple[tuple[str, str, str], ...]]:
    """Projects (soonest deadline first) and people for the panel, and everything `@`/`#` can name."""
    projects = engine.memory.list_entities("project")
    people = engine.memory.list_entities("person")
    areas = engine.memory.list_entities("area")
    projects.sort(key=lambda e: (e.deadline is None, e.deadline or ""))
    today = date.today()  # "Due tomorrow", or the day in the locale's order, as on the PARA pages
    panel = tuple(
        ContextItem(e.id, e.name, e.type, deadline_text(e.deadline, today) or "")
        for e in (*projects[:CONTEXT_ITEMS], *people[:CONTEXT_ITEMS])
    )
    mentionable = tuple((e.id, e.name, e.type) for e in (*people, *projects, *areas))
    return panel, mentionable


def warm_up(engine: Engine, coach_id: str) -> None:
    """Load what a reply needs (the embedder and reranker behind the coach's search) with a search
    whose result is thrown away; reading changes nothing, and a failure here shows on sending."""
    with contextlib.suppress(LifeOSError):
        engine.knowledge.search(coach_id, WARM_UP_QUERY, limit=1)


@ft.component
def ChatView() -> ft.Control:
    """``/chat`` (the coach last chatted with) and ``/chat/<coach id>``."""
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    width = use_page_width()
    requested = ft.use_route_params().get("coach_id")
    asked = asked_message(page.route)  # ``?message=<id>``: a search result opened this message
    state, set_state, latest = use_latest_state(ChatState())
    routed = ft.use_ref(requested)
    routed.current = requested
    coach_id = requested or state.coach_id
    coach_name = dict(state.coaches).get(coach_id or "", coach_id or "")
    conversation = ft.use_ref(lambda: ft.Ref[ft.ListView]()).current
    # Once the person writes, the conversation is theirs again: it follows the newest message.
    found_at, measure = use_found_message(
        None if state.sent else asked, [b.message_id for b in state.bubbles], conversation
    )
    built = ft.use_ref(dict).current  # id(bubble) -> (bubble, its controls): see the module docstring
    playback = use_voice_player()

    async def load() -> None:
        asked = requested

        def show(s: ChatState, read: ChatRead) -> ChatState:
            if routed.current != asked:
                return s  # another coach was opened meanwhile: its load fills the screen
            return replace(
                s,
                coaches=read.coaches,
                coach_id=read.coach_id,
                bubbles=read.bubbles,
                preview_left=read.preview_left,
                loaded=True,
            )

        read = await run_action(
            lambda: read_chat(engine, asked),
            set_state=set_state,
            busy=None,
            failure="The conversation could not be read: {}",
            done=show,
            failed=lambda s: replace(s, loaded=True),
        )
        if read is not None and read.value.coach_id is not None:
            await asyncio.to_thread(warm_up, engine, read.value.coach_id)

    async def load_context() -> None:
        try:
            panel, mentionable = await asyncio.to_thread(read_context, engine)
        except LifeOSError:
            return  # the panel is a convenience; the chat works without it
        set_state(lambda s: replace(s, context=panel, mentionable=mentionable))

    async def show_newest() -> None:
        if state.sent and conversation.current is not None:
            await conversation.current.scroll_to(offset=0)  # a reverse list: 0 is the newest message

    # The conversation reloads when another coach is asked for; the context whenever memory changes
    # (a reply, a capture, a voice memo), so a finished reply keeps its openable sources.
    ft.use_effect(load, dependencies=[requested])
    ft.use_effect(load_context, dependencies=[profile.revision])
    ft.use_effect(show_newest, dependencies=[state.sent])

    def set_draft(text: str, **changes: Any) -> None:
        set_state(lambda s: replace(s, draft=text, draft_replaced=s.draft_replaced + 1, **changes))

    async def send(_e: Any) -> None:
        text = box.text().strip()
        if not text or coach_id is None:
            return
        to = coach_id
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

        def turn() -> tuple[Any, int | None]:
            reply = engine.chat.send(to, text, on_text=on_text)
            return reply, engine.coaches.preview_messages_left(to)

        def answered(s: ChatState, result: tuple[Any, int | None]) -> ChatState:
            reply, left = result
            answer = Bubble(
                "assistant",
                reply.text,
                tuple(Source(c.ref, c.title, c.author, c.text) for c in reply.citations),
                reply.notice,
            )
            return replace(s, streaming=None, preview_left=left, bubbles=(*s.bubbles, answer))

        if await run_action(
            turn,
            latest=latest,
            set_state=set_state,
            busy="sending",
            failure="No reply: {}",
            start=lambda s: replace(
                s,
                draft="",
                draft_replaced=s.draft_replaced + 1,
                streaming="",
                sent=s.sent + 1,
                bubbles=(*s.bubbles, Bubble("user", text)),
            ),
            done=answered,
            failed=lambda s: replace(s, streaming=None),
        ):
            profile.changed()

    def memo_saved(memo: MemoOutcome) -> None:
        set_state(
            lambda s: replace(
                s, sent=s.sent + 1, bubbles=(*s.bubbles, Bubble("memo", memo.transcript, memo=memo))
            )
        )

    voice, voice_buttons = use_voice_memo(memo_saved, disabled=state.sending)

    def edit(e: ft.Event[ft.TextField]) -> None:
        value = e.control.value or ""
        profile.active()  # typing is activity: for auto-lock, and background work waits for a pause
        set_state(lambda s: replace(s, draft=value))

    def use_text(text: str) -> Callable[[Any], None]:
        return lambda _e: set_draft((box.text() + " " + text).strip())

    def pick_suggestion(suggestion: Suggestion) -> Callable[[Any], None]:
        def handler(_e: Any) -> None:
            draft = box.text()
            mention = open_mention(draft)
            if mention is not None:
                set_draft(complete(draft, mention, suggestion))

        return handler

    def mention(item: ContextItem) -> Callable[[Any], None]:
        token = token_for(item.name, item.type)

        def handler(_e: Any) -> None:
            draft = box.text()
            set_draft(
                draft + ("" if not draft or draft.endswith(" ") else " ") + token + " ", context_open=False
            )

        return handler

    def open_source(source: Source) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            if source.text or coach_id is None:
                set_state(lambda s: replace(s, open_source=source))
                return
            # Not ``run_action``: a passage that cannot be found is shown as such in the dialog,
            # not as a problem with the chat.
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
        if coach_id is None:
            return
        to = coach_id
        if await run_action(
            lambda: engine.coaches.install(to),
            latest=latest,
            set_state=set_state,
            busy="preview_busy",
            failure="Not installed: {}",
            done=lambda s, _report: replace(s, preview_left=None),
        ):
            profile.changed()

    async def end_preview(_e: Any) -> None:
        if coach_id is None:
            return
        to = coach_id
        if await run_action(
            lambda: engine.coaches.end_preview(to),
            latest=latest,
            set_state=set_state,
            busy="preview_busy",
            failure="The preview could not be ended: {}",
        ):
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
    box = use_typed_text(state.draft, state.draft_replaced)

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
        key="coaches",
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
                    icon_button(
                        icon=ft.Icons.PEOPLE_OUTLINE,
                        label="Projects and people",
                        on_click=lambda _e: set_state(lambda s: replace(s, context_open=True)),
                    )
                ]
            ),
        ],
    )

    # Newest first (the list is reversed on screen). Keys are positions in the conversation, which
    # only grows, so a new bubble is one insertion and the reply replaces its pending bubble in place.
    live = {id(b) for b in state.bubbles}
    for stale in [k for k in built if k not in live]:
        del built[stale]
    bubbles: list[ft.Control] = []
    if state.streaming is not None and state.sending:
        bubbles.append(pending_bubble(state.streaming, key=len(state.bubbles)))
    for index in range(len(state.bubbles) - 1, -1, -1):
        bubble = state.bubbles[index]
        if found_at is not None and index >= found_at:
            # Opened at a message: it and the newer bubbles report their heights (see chat_found), so
            # they are built outside the cache while the conversation is shown at that message.
            found = index == found_at
            bubbles.append(
                bubble_view(bubble, open_source, go, use_text, key=index, found=found, on_size=measure(index))
            )
            continue
        if bubble.memo is not None:  # its Play button follows the player: built each render
            bubbles.append(bubble_view(bubble, open_source, go, use_text, key=index, playback=playback))
            continue
        cached = built.get(id(bubble))
        if cached is None or cached[0] is not bubble:
            cached = built[id(bubble)] = (bubble, bubble_view(bubble, open_source, go, use_text, key=index))
        bubbles.append(cached[1])
    if not bubbles:
        bubbles = [
            ft.Text(
                "Say what is on your mind. Replies draw on the coach's books and on what you have noted. "
                "Type @ for a person or # for a project; the microphone saves a voice memo.",
                color=ft.Colors.ON_SURFACE_VARIANT,
            )
        ]
    preview_done = state.preview_left == 0
    typed = state.draft
    mention_open = open_mention(typed)
    suggestions = suggest(state.mentionable, mention_open) if mention_open else []
    composer = ft.Row(
        key="composer",
        vertical_alignment=ft.CrossAxisAlignment.END,
        spacing=4,
        controls=[
            voice_buttons,
            ft.TextField(
                key="message",
                ref=box.ref,
                label="Message",
                value=box.value,
                multiline=True,
                shift_enter=True,
                min_lines=1,
                max_lines=4,
                expand=True,
                # Stays enabled while the coach replies: disabling it would take the focus away
                # from someone already typing the next message. ``send`` refuses a second send.
                disabled=preview_done,
                on_change=edit,
                on_submit=send,
            ),
            icon_button(
                icon=ft.Icons.SEND,
                label="Send",
                disabled=state.sending or preview_done or not typed.strip(),
                on_click=send,
            ),
        ],
    )
    # Every child that comes and goes has a key: without one, Flet matches children by position, and
    # a row appearing above the composer (the suggestions, a problem) would be diffed against the
    # composer and rebuild the message box, taking the focus and every keystroke after it.
    chat_column = ft.Column(
        expand=True,
        spacing=SPACE_S,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(key="top", height=4),
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
            ft.ListView(
                key="conversation",
                ref=conversation,
                expand=True,
                reverse=True,
                build_controls_on_demand=False,
                controls=bubbles,
            ),
            *(
                [ft.Text(state.problem or playback.problem, key="problem", color=ft.Colors.ERROR)]
                if state.problem or playback.problem
                else []
            ),
            *(
                [ft.Text(line, key="playing", color=ft.Colors.PRIMARY)]
                if (line := playing_line(playback))
                else []
            ),
            *voice_status(voice),
            *([suggestions_row(suggestions, pick_suggestion)] if suggestions else []),
            composer,
            ft.Container(key="bottom", height=SPACE_S),
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
