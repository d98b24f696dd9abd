"""The coach studio: a creator turns their books and their voice into a signed coach, in the app.

``/studio`` lists the creator's drafts and starts a new one; ``/studio/<draft id>`` is the
workspace. It sits outside the app's reading-width shell: on a laptop the editor takes the left and
the live preview of the draft the right, which needs the whole window. On a phone the studio is for
review and preview only (chunks, the content check, the preview chat); editing wants a keyboard.

Every engine call runs off the UI thread through ``run_action``; extraction and indexing report
(stage, done, total) from that thread and the progress bar follows through the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state, use_page_width
from app.ui.labelled import icon_button
from app.ui.profile_context import use_profile
from app.ui.studio_check import check_panel
from app.ui.studio_chunks import chunks_panel, split_point
from app.ui.studio_persona import persona_panel, preview_panel
from app.ui.studio_sources import sources_panel
from app.ui.studio_state import TABS_NARROW, TABS_WIDE, Progress, StudioState, Turn
from app.ui.studio_versions import versions_panel
from app.ui.theme import CONTENT_MAX_WIDTH, SPACE_M, SPACE_S, WIDE_LAYOUT_MIN_WIDTH

PREVIEW_WIDTH = 440
PROGRESS_STEP = 0.02
DOMAINS = ("Health", "Wealth", "Wisdom")


def _top_bar(title: str, back: Callable[[Any], Any], back_words: str) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=SPACE_S, vertical=SPACE_S),
        content=ft.Row(
            controls=[
                icon_button(icon=ft.Icons.ARROW_BACK, label=back_words, on_click=back),
                ft.Icon(ft.Icons.DESIGN_SERVICES_OUTLINED, color=ft.Colors.PRIMARY),
                ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_LARGE, expand=True, max_lines=1),
            ]
        ),
    )


# -- /studio: the drafts, and a new one ---------------------------------------------------------------


@dataclass(frozen=True)
class HomeForm:
    name: str = ""
    domain: str = "Wisdom"
    problem: str | None = None
    busy: bool = False


@ft.component
def StudioHome() -> ft.Control:
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    drafts, set_drafts = ft.use_state(())
    form, set_form, latest = use_latest_state(HomeForm())

    async def load() -> None:
        found = await asyncio.to_thread(engine.studio.drafts)
        set_drafts(tuple(found))

    ft.use_effect(load, dependencies=[profile.revision])

    def edit_name(e: Any) -> None:
        value = e.control.value or ""
        set_form(lambda f: replace(f, name=value, problem=None))

    def pick_domain(domain: str) -> Callable[[Any], None]:
        return lambda _e: set_form(lambda f: replace(f, domain=domain))

    async def start(_e: Any) -> None:
        now = latest()
        if not now.name.strip():
            set_form(lambda f: replace(f, problem="Give your coach a name first."))
            return
        ran = await run_action(
            lambda: engine.studio.create(now.name, domain=now.domain),
            latest=latest,
            set_state=set_form,
            failure="The draft was not started: {}",
        )
        if ran:
            await page.push_route(f"/studio/{ran.value.id}")

    async def open_draft(draft_id: str) -> None:
        await page.push_route(f"/studio/{draft_id}")

    async def back(_e: Any) -> None:
        await page.push_route("/gallery")

    rows: list[ft.Control] = [
        ft.Text("Turn your books and your voice into a coach.", theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        ft.Row(
            controls=[
                ft.TextField(
                    label="Coach name",
                    hint_text="Calm Focus",
                    value=form.name,
                    dense=True,
                    expand=True,
                    on_change=edit_name,
                    on_submit=start,
                ),
                ft.FilledButton(
                    content="Start the draft", icon=ft.Icons.ADD, disabled=form.busy, on_click=start
                ),
            ]
        ),
        ft.Row(
            spacing=SPACE_S,
            controls=[
                ft.Chip(label=d, selected=form.domain == d, show_checkmark=False, on_select=pick_domain(d))
                for d in DOMAINS
            ],
        ),
    ]
    if form.problem:
        rows.append(ft.Text(form.problem, color=ft.Colors.ERROR))
    if drafts:
        rows.append(ft.Text("Your drafts", theme_style=ft.TextThemeStyle.TITLE_SMALL))
    for draft in drafts:
        rows.append(
            ft.ListTile(
                leading=ft.Icon(ft.Icons.EDIT_DOCUMENT),
                title=ft.Text(draft.name),
                subtitle=ft.Text(f"{draft.domain} · version {draft.version}"),
                trailing=ft.TextButton(
                    content=f"Open {draft.name}", on_click=lambda _e, i=draft.id: open_draft(i)
                ),
            )
        )
    return ft.SafeArea(
        expand=True,
        content=ft.Column(
            expand=True,
            controls=[
                _top_bar("Coach studio", back, "Back to the gallery"),
                ft.Container(
                    expand=True,
                    alignment=ft.Alignment.TOP_CENTER,
                    content=ft.Container(
                        width=CONTENT_MAX_WIDTH,
                        padding=ft.Padding.all(SPACE_M),
                        content=ft.ListView(spacing=SPACE_S, controls=rows),
                    ),
                ),
            ],
        ),
    )


# -- /studio/<draft id>: the workspace -----------------------------------------------------------------


def _loaded(engine: Any, draft_id: str, query: str, viewing: str | None) -> dict[str, Any]:
    """Everything the workspace shows, read in one worker-thread call."""
    draft = engine.studio.get(draft_id)
    installed = {c.id: c.version for c in engine.coaches.list()}
    return {
        "draft": draft,
        "sources": tuple(engine.studio.sources(draft_id)),
        "chunks": tuple(engine.studio.chunks(draft_id, query=query)),
        "moves": tuple(engine.studio.moves(draft_id)),
        "publisher": engine.studio.publisher(),
        "analytics": engine.studio.analytics(draft_id),
        "installed_version": installed.get(draft.coach_id),
        "pages": tuple(engine.studio.pages(viewing)) if viewing else (),
    }


@ft.component
def StudioView() -> ft.Control:
    profile = use_profile()
    engine = profile.engine
    page = ft.context.page
    draft_id = ft.use_route_params().get("draft_id", "")
    wide = use_page_width() >= WIDE_LAYOUT_MIN_WIDTH
    state, set_state, latest = use_latest_state(StudioState())

    async def load() -> None:
        now = latest()

        def first_view(s: StudioState, found: dict[str, Any]) -> StudioState:
            draft = found["draft"]
            fresh = not s.loaded
            persona_fields = (
                {
                    "description": draft.description,
                    "persona": draft.persona,
                    "soul": draft.soul or engine.studio.persona_template(draft.persona),
                    "agent": draft.agent or engine.studio.agent_template(),
                }
                if fresh
                else {}
            )
            return replace(s, loaded=True, **found, **persona_fields)

        await run_action(
            lambda: _loaded(engine, draft_id, now.query, now.viewing),
            set_state=set_state,
            busy=None,
            failure="The draft could not be read: {}",
            done=first_view,
        )

    ft.use_effect(load, dependencies=[state.revision, draft_id])

    # -- small helpers -----------------------------------------------------------------------------

    def edit(field: str) -> Callable[[Any], None]:
        def handler(e: Any) -> None:
            value = e.control.value or ""
            set_state(lambda s: replace(s, **{field: value}))

        return handler

    def choose(field: str, value: str) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, **{field: value}))

    def reporter() -> Callable[[str, int, int], None]:
        loop = asyncio.get_running_loop()
        shown = {"share": -1.0, "stage": ""}

        def progress(stage: str, done: int, total: int) -> None:
            share = done / total if total else 0.0
            if stage == shown["stage"] and share - shown["share"] < PROGRESS_STEP and done != total:
                return
            shown.update(share=share, stage=stage)
            update = Progress(stage, done, total)
            loop.call_soon_threadsafe(lambda: set_state(lambda s: replace(s, progress=update)))

        return progress

    async def act(
        work: Callable[[], Any], failure: str, said: Callable[[Any], str] | None = None, **more: Any
    ) -> Any:
        """Run engine work, then reload every panel; `said` words the result for the creator."""
        ran = await run_action(
            work,
            latest=latest,
            set_state=set_state,
            failure=failure,
            start=lambda s: replace(s, result=None, progress=None),
            done=lambda s, r: replace(
                s, result=said(r) if said else None, progress=None, revision=s.revision + 1, **more
            ),
            failed=lambda s: replace(s, progress=None),
        )
        return ran

    def tab(name: str) -> Callable[[Any], None]:
        return lambda _e: set_state(lambda s: replace(s, tab=name, result=None, problem=None))

    async def back(_e: Any) -> None:
        await page.push_route("/studio")

    # -- sources -----------------------------------------------------------------------------------

    async def add(_e: Any) -> None:
        path = latest().path.strip()
        if not path:
            set_state(lambda s: replace(s, problem="Type the path of a file or a folder first."))
            return
        progress = reporter()

        def words(added: list[Any]) -> str:
            if not added:
                return "Those files are already among the sources."
            return f"Added {', '.join(a.name for a in added)}: {sum(a.chunks for a in added):,} chunks."

        await act(lambda: engine.studio.add_path(draft_id, path, progress=progress), "Not added: {}", words)

    def view(source_id: str) -> Callable[[Any], None]:
        return lambda _e: set_state(
            lambda s: replace(
                s, viewing=None if s.viewing == source_id else source_id, revision=s.revision + 1
            )
        )

    def remove_source(source_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            await act(
                lambda: engine.studio.remove_source(source_id),
                "Not removed: {}",
                lambda _r: "Source removed.",
            )

        return handler

    # -- chunks ------------------------------------------------------------------------------------

    def search(_e: Any) -> None:
        set_state(lambda s: replace(s, revision=s.revision + 1))

    def start_edit(chunk_id: str) -> Callable[[Any], None]:
        def handler(_e: Any) -> None:
            text = next((c.text for c in latest().chunks if c.id == chunk_id), "")
            set_state(lambda s: replace(s, editing=chunk_id, edit_text=text))

        return handler

    async def save_edit(_e: Any) -> None:
        now = latest()
        if now.editing is None:
            return
        chunk_id, text = now.editing, now.edit_text
        await act(
            lambda: engine.studio.edit_chunk(chunk_id, text),
            "Not saved: {}",
            lambda c: f"{c.ref} saved.",
            editing=None,
        )

    def cancel_edit(_e: Any) -> None:
        set_state(lambda s: replace(s, editing=None))

    def split(chunk_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            text = next((c.text for c in latest().chunks if c.id == chunk_id), "")
            await act(
                lambda: engine.studio.split_chunk(chunk_id, split_point(text)),
                "Not split: {}",
                lambda pair: f"{pair[0].ref} split; the second half is {pair[1].ref}.",
            )

        return handler

    def merge(chunk_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            await act(
                lambda: engine.studio.merge_chunks(chunk_id),
                "Not merged: {}",
                lambda c: f"Merged into {c.ref}.",
            )

        return handler

    def exclude(chunk_id: str, out: bool) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            await act(
                lambda: engine.studio.exclude_chunk(chunk_id, out),
                "Not changed: {}",
                lambda c: f"{c.ref} {'is left out of' if out else 'is back in'} the pack.",
            )

        return handler

    # -- check -------------------------------------------------------------------------------------

    async def run_check(_e: Any) -> None:
        def check() -> Any:
            return engine.studio.check(draft_id)

        await run_action(
            check,
            latest=latest,
            set_state=set_state,
            failure="The check did not run: {}",
            start=lambda s: replace(s, result=None),
            done=lambda s, report: replace(s, report=report),
        )

    async def change_and_recheck(work: Callable[[], Any], failure: str, said: str) -> None:
        """A change the content check is about (a redaction, a licence): the check runs again with it,
        so the list the creator is working through is never out of date."""

        def both() -> Any:
            work()
            return engine.studio.check(draft_id) if latest().report is not None else None

        await run_action(
            both,
            latest=latest,
            set_state=set_state,
            failure=failure,
            start=lambda s: replace(s, result=None),
            done=lambda s, report: replace(s, report=report, result=said, revision=s.revision + 1),
        )

    def redact(chunk_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            ref = next((c.ref for c in latest().chunks if c.id == chunk_id), "the chunk")
            if latest().report is not None:
                ref = next((c.chunk.ref for c in latest().report.personal if c.chunk.id == chunk_id), ref)
            await change_and_recheck(
                lambda: engine.studio.redact(chunk_id), "Not redacted: {}", f"{ref} redacted."
            )

        return handler

    def licence(source_id: str) -> Callable[[Any], None]:
        def handler(e: Any) -> None:
            value = e.control.value or ""
            set_state(
                lambda s: replace(
                    s, licences=(*[p for p in s.licences if p[0] != source_id], (source_id, value))
                )
            )

        return handler

    def save_licence(source_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            now = latest()
            source = next((s for s in now.sources if s.id == source_id), None)
            if source is None:
                return
            text = now.licence_of(source)
            await change_and_recheck(
                lambda: engine.studio.set_source(source_id, licence=text),
                "Not saved: {}",
                f"Licence of {source.name} saved.",
            )

        return handler

    # -- persona, playbook, preview ------------------------------------------------------------------

    def pick_persona(name: str) -> Callable[[Any], None]:
        def handler(_e: Any) -> None:
            now = latest()
            was = engine.studio.persona_template(now.persona)
            soul = engine.studio.persona_template(name) if now.soul.strip() in ("", was.strip()) else now.soul
            set_state(lambda s: replace(s, persona=name, soul=soul))

        return handler

    async def save_persona(_e: Any) -> None:
        now = latest()
        await act(
            lambda: engine.studio.update(
                draft_id, persona=now.persona, soul=now.soul, agent=now.agent, description=now.description
            ),
            "Not saved: {}",
            lambda _d: "Persona saved.",
        )

    async def add_example(_e: Any) -> None:
        now = latest()
        text = now.example.strip()
        if not text:
            set_state(
                lambda s: replace(
                    s, problem="Write the exchange first: what the coachee says, what the coach answers."
                )
            )
            return
        examples = (*now.draft.examples, text)
        await act(
            lambda: engine.studio.update(draft_id, examples=examples),
            "Example not added: {}",
            lambda d: f"Example {len(d.examples)} added.",
            example="",
            cleared=now.cleared + 1,
        )

    def remove_example(index: int) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            examples = tuple(e for i, e in enumerate(latest().draft.examples) if i != index)
            await act(
                lambda: engine.studio.update(draft_id, examples=examples),
                "Not removed: {}",
                lambda _d: "Example removed.",
            )

        return handler

    async def add_move(_e: Any) -> None:
        now = latest()

        def work() -> Any:
            return engine.studio.add_move(
                draft_id,
                id=now.move_id,
                kind=now.move_kind,
                situations=now.move_situations.splitlines(),
                text=now.move_text,
                steps=now.move_steps.splitlines(),
            )

        await act(
            work,
            "Move not added: {}",
            lambda _m: f"Move {now.move_id} added.",
            move_id="",
            cleared=now.cleared + 1,
            move_situations="",
            move_text="",
            move_steps="",
        )

    def remove_move(move_id: str) -> Callable[[Any], Any]:
        async def handler(_e: Any) -> None:
            await act(
                lambda: engine.studio.remove_move(draft_id, move_id),
                "Not removed: {}",
                lambda _m: f"Move {move_id} removed.",
            )

        return handler

    async def refresh(_e: Any) -> None:
        progress = reporter()
        await act(
            lambda: engine.studio.refresh_preview(draft_id, progress=progress),
            "The preview could not be built: {}",
            lambda _i: "The preview now uses the draft as it is.",
        )

    async def send(_e: Any) -> None:
        now = latest()
        message = now.message.strip()
        if not message or now.busy:
            return
        history = [
            (role, text)
            for t in now.turns
            for role, text in (("user", t.message), ("assistant", t.reply.text))
        ]
        progress = reporter()
        await run_action(
            lambda: engine.studio.preview_send(draft_id, message, history=history, progress=progress),
            latest=latest,
            set_state=set_state,
            failure="No reply: {}",
            start=lambda s: replace(s, result=None, progress=None, message="", cleared=s.cleared + 1),
            done=lambda s, reply: replace(
                s, turns=(*s.turns, Turn(message, reply)), progress=None, revision=s.revision + 1
            ),
            failed=lambda s: replace(s, progress=None, message=message),
        )

    # -- versions ----------------------------------------------------------------------------------

    async def make_key(_e: Any) -> None:
        name = latest().key_name
        await act(
            lambda: engine.studio.create_key(name),
            "No key made: {}",
            lambda p: f"Your signing key is made: {p.name}.",
        )

    async def backup_key(_e: Any) -> None:
        path = latest().key_backup_path.strip()
        await act(
            lambda: engine.studio.export_key(path),
            "No backup written: {}",
            lambda p: f"Key backed up to {p}.",
        )

    async def bump(_e: Any) -> None:
        now = latest()
        await act(
            lambda: engine.studio.bump(draft_id, now.bump_part, now.bump_notes),  # type: ignore[arg-type]
            "Version not changed: {}",
            lambda d: f"Now working on version {d.version}.",
            bump_notes="",
        )

    async def export(_e: Any) -> None:
        path = latest().export_path.strip()
        if not path:
            set_state(lambda s: replace(s, problem="Type where the pack should go (a .coach file path)."))
            return
        progress = reporter()
        await act(
            lambda: engine.studio.export(draft_id, path, progress=progress),
            "Not exported: {}",
            lambda r: f"Exported {r.path.name}, version {r.version}, signed by {r.signed_by}.",
        )

    async def install(_e: Any) -> None:
        progress = reporter()
        name = latest().draft.name
        if await act(
            lambda: engine.studio.install(draft_id, progress=progress),
            "Not installed: {}",
            lambda r: f"{name} {r.version} is installed and signed: {r.passages:,} passages.",
        ):
            profile.changed()

    async def publish(_e: Any) -> None:
        folder = latest().catalog_path.strip()
        if not folder:
            set_state(lambda s: replace(s, problem="Type the catalog folder your sync server serves."))
            return
        progress = reporter()
        await act(
            lambda: engine.studio.publish(draft_id, folder, progress=progress),
            "Not published: {}",
            lambda path: f"Published {path.name}; the catalog lists it now.",
        )

    # -- layout ------------------------------------------------------------------------------------

    if not state.loaded:
        body: list[ft.Control] = [ft.Text(state.problem or "Opening the draft…")]
        return ft.SafeArea(
            expand=True, content=ft.Column(controls=[_top_bar("Coach studio", back, "Your drafts"), *body])
        )
    tabs = TABS_WIDE if wide else TABS_NARROW
    current = state.tab if state.tab in tabs else tabs[0]
    panels = {
        "Sources": lambda: sources_panel(state, edit=edit, add=add, view=view, remove=remove_source),
        "Chunks": lambda: chunks_panel(
            state,
            wide=wide,
            edit=edit,
            search=search,
            start_edit=start_edit,
            save_edit=save_edit,
            cancel_edit=cancel_edit,
            split=split,
            merge=merge,
            exclude=exclude,
        ),
        "Check": lambda: check_panel(
            state, wide=wide, run=run_check, redact=redact, licence=licence, save_licence=save_licence
        ),
        "Persona": lambda: persona_panel(
            state,
            edit=edit,
            pick_persona=pick_persona,
            save_persona=save_persona,
            add_example=add_example,
            remove_example=remove_example,
            add_move=add_move,
            remove_move=remove_move,
        ),
        "Versions": lambda: versions_panel(
            state,
            edit=edit,
            choose=choose,
            make_key=make_key,
            backup_key=backup_key,
            bump=bump,
            export=export,
            install=install,
            publish=publish,
        ),
        "Preview": lambda: preview_panel(state, edit=edit, send=send, refresh=refresh),
    }
    status: list[ft.Control] = []
    if state.progress is not None:
        status += [
            ft.ProgressBar(value=state.progress.share, semantics_label=state.progress.words()),
            ft.Text(state.progress.words(), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
        ]
    elif state.busy:
        status.append(ft.ProgressBar(value=None))
    if state.result:
        status.append(ft.Text(state.result, color=ft.Colors.PRIMARY))
    if state.problem:
        status.append(ft.Text(state.problem, color=ft.Colors.ERROR))
    tab_row = ft.Row(
        wrap=True,
        spacing=SPACE_S,
        controls=[
            ft.Chip(label=t, selected=t == current, show_checkmark=False, on_select=tab(t)) for t in tabs
        ],
    )
    main = ft.Container(
        expand=True,
        padding=ft.Padding.symmetric(horizontal=SPACE_M),
        # one key per tab: a tab's controls are made afresh, never patched from another tab's
        content=ft.ListView(
            key=f"studio-tab-{current}",
            spacing=SPACE_S,
            padding=ft.Padding.only(bottom=SPACE_M),
            controls=panels[current](),
        ),
    )
    row: list[ft.Control] = [main]
    if wide:  # the live preview beside the editor
        row += [
            ft.VerticalDivider(width=1),
            ft.Container(
                width=PREVIEW_WIDTH,
                padding=ft.Padding.symmetric(horizontal=SPACE_M),
                content=ft.ListView(spacing=SPACE_S, auto_scroll=True, controls=panels["Preview"]()),
            ),
        ]
    draft = state.draft
    signed = f" · signing as {state.publisher.name}" if state.publisher else ""
    return ft.SafeArea(
        expand=True,
        content=ft.Column(
            expand=True,
            spacing=SPACE_S,
            controls=[
                _top_bar(f"{draft.name} {draft.version}", back, "Your drafts"),
                ft.Container(
                    padding=ft.Padding.symmetric(horizontal=SPACE_M),
                    content=ft.Column(
                        spacing=4,
                        controls=[
                            ft.Text(
                                f"{draft.domain} · {len(state.sources)} sources · "
                                f"{sum(s.chunks for s in state.sources):,} chunks{signed}",
                                size=12,
                                color=ft.Colors.ON_SURFACE_VARIANT,
                            ),
                            tab_row,
                            *status,
                        ],
                    ),
                ),
                ft.Row(expand=True, vertical_alignment=ft.CrossAxisAlignment.STRETCH, controls=row),
            ],
        ),
    )
