"""Settings › Export and Settings › Import.

Export writes the one ZIP of `lifeos export` (a Markdown vault that opens in Obsidian plus a JSON
dump of every table), optionally encrypted with AES-256; the passphrase is asked for again because
the unlocked profile keeps only its database key, never the passphrase.

Import is preview first, then import, as in the CLI: the preview reads the source and shows what
would happen (new, unchanged, duplicate and near-duplicate notes, and the proposed place of each
folder or label, which the person can change here), nothing is written until Import is pressed,
and then all of it is written in one transaction. The notes are searchable at once; learning from
them (people, projects, facts) goes on in the background, and the card says how far it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import flet as ft

from app.ui.actions import run_action
from app.ui.hooks import use_latest_state
from app.ui.profile_context import use_profile
from app.ui.settings_parts import settings_card, status_line
from engine.api import Engine
from engine.errors import WrongPassphrase
from engine.types import PLACES, ExportReport, ImapAccount, ImportPreview, NotesImportReport

SOURCES = {
    "obsidian": ("Obsidian vault", "Vault folder"),
    "keep": ("Google Keep Takeout", "Takeout ZIP or folder"),
    "apple-notes": ("Apple Notes (iCloud IMAP)", ""),
}
PLACE_LABELS = {
    "project": "Project",
    "area": "Area",
    "resource": "Resource",
    "archive": "Archive",
    "person": "Person",
    "daily": "Daily notes",
    "none": "Just notes",
}


def default_export_path() -> str:
    return str(Path.home() / f"lifeos-export-{date.today().isoformat()}.zip")


@dataclass(frozen=True)
class ExportForm:
    path: str = field(default_factory=default_export_path)
    encrypt: bool = False
    passphrase: str = ""
    busy: bool = False
    ok: str | None = None
    problem: str | None = None


@ft.component
def ExportSettings() -> ft.Control:
    profile = use_profile()
    form, set_form, latest = use_latest_state(ExportForm())

    def edit(name: str) -> object:
        def handler(e: ft.Event[ft.Control]) -> None:
            value = getattr(e.control, "value", None)
            set_form(lambda f: replace(f, **{name: value, "ok": None, "problem": None}))

        return handler

    async def export(_e: ft.Event[ft.Control]) -> None:
        current = latest()
        if current.encrypt and not current.passphrase:
            set_form(replace(current, problem="Type your passphrase to encrypt the export."))
            return
        password = current.passphrase if current.encrypt else None

        def work() -> ExportReport:
            if password is not None:
                # the passphrase protects the file: it must be this profile's, typed right
                Engine.open(profile.home, password, use_embedder=False).close()
            return profile.engine.io.export(Path(current.path).expanduser(), password=password)

        await run_action(
            work,
            latest=latest,
            set_state=set_form,
            failure=lambda exc: (
                "That passphrase is not this profile's." if isinstance(exc, WrongPassphrase) else str(exc)
            ),
            start=lambda f: replace(f, ok=None),
            done=lambda f, r: replace(
                f,
                passphrase="",
                ok=f"Exported {_notes(r.notes)} ({_size(r.bytes)}) to {r.path}"
                + (" — encrypted with AES-256." if r.encrypted else "."),
            ),
        )

    controls: list[ft.Control] = [
        ft.TextField(
            label="Export to", value=form.path, dense=True, disabled=form.busy, on_change=edit("path")
        ),
        ft.Checkbox(
            label="Encrypt with my passphrase (AES-256)",
            value=form.encrypt,
            disabled=form.busy,
            on_change=edit("encrypt"),
        ),
    ]
    if form.encrypt:
        controls.append(
            ft.TextField(
                label="Passphrase for the export",
                value=form.passphrase,
                password=True,
                dense=True,
                disabled=form.busy,
                on_change=edit("passphrase"),
            )
        )
    if form.busy:
        controls.append(ft.ProgressBar())
    controls += [
        *status_line(form.ok, form.problem),
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            controls=[
                ft.FilledButton(
                    content="Export",
                    icon=ft.Icons.DOWNLOAD,
                    disabled=form.busy or not form.path,
                    on_click=export,
                )
            ],
        ),
    ]
    return settings_card(
        "Export",
        ft.Icons.ARCHIVE_OUTLINED,
        controls,
        subtitle="Everything in one ZIP: a Markdown vault that opens in Obsidian, and every table as JSON.",
    )


@dataclass(frozen=True)
class ImportForm:
    source: str = "obsidian"
    path: str = ""
    host: str = "imap.mail.me.com"
    port: str = "993"
    user: str = ""
    password: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    preview: ImportPreview | None = None
    report: NotesImportReport | None = None
    busy: bool = False
    problem: str | None = None


def _notes(n: int) -> str:
    return f"{n} note" if n == 1 else f"{n} notes"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{max(1, round(n / 1000))} kB"


def _describe_preview(p: ImportPreview) -> str:
    near = len(p.near_duplicates)
    return (
        f"{p.notes} notes found ({p.daily} daily notes, {p.attachments} attachments, {p.tags} tags): "
        f"{p.new} new, {p.unchanged} already imported, {p.changed} changed, {p.duplicates} duplicates, "
        f"{near} near-duplicate{'s' if near != 1 else ''} to review."
    )


def _describe_report(r: NotesImportReport) -> str:
    return (
        f"Imported {r.added} notes ({r.superseded} updated); {r.entities_created} projects, areas or people "
        f"created, {r.links} links, {r.attachments} attachments. They are searchable now."
    )


@ft.component
def ImportSettings() -> ft.Control:
    profile = use_profile()
    form, set_form, latest = use_latest_state(ImportForm())
    learning, set_learning = ft.use_state(profile.engine.io.learning())
    waiting, set_waiting = ft.use_state(profile.engine.io.unlearned)

    def edit(name: str) -> object:
        def handler(e: ft.Event[ft.Control]) -> None:
            value = getattr(e.control, "value", None)
            set_form(lambda f: replace(f, **{name: value, "problem": None, "preview": None, "report": None}))

        return handler

    def choose_place(group: str) -> object:
        def handler(e: ft.Event[ft.Dropdown]) -> None:
            place = e.control.value or "none"
            set_form(lambda f: replace(f, mapping={**f.mapping, group: place}))

        return handler

    def account(f: ImportForm) -> ImapAccount:
        return ImapAccount(f.host.strip(), f.user.strip(), f.password, port=int(f.port or 993))

    def preview_of(f: ImportForm) -> ImportPreview:
        io = profile.engine.io
        mapping = f.mapping or None
        if f.source == "obsidian":
            return io.preview_obsidian(f.path.strip(), mapping)
        if f.source == "keep":
            return io.preview_keep(f.path.strip(), mapping)
        return io.preview_apple_notes(account(f), mapping)

    def import_of(f: ImportForm) -> NotesImportReport:
        io = profile.engine.io
        if f.source == "obsidian":
            report = io.import_obsidian(f.path.strip(), f.mapping)
        elif f.source == "keep":
            report = io.import_keep(f.path.strip(), f.mapping)
        else:
            report = io.import_apple_notes(account(f), f.mapping)
        io.learn_in_background()
        return report

    async def preview(_e: ft.Event[ft.Control]) -> None:
        await run_action(
            lambda: preview_of(latest()),
            latest=latest,
            set_state=set_form,
            start=lambda f: replace(f, preview=None, report=None),
            done=lambda f, p: replace(f, preview=p, mapping=dict(p.mapping)),
        )

    async def do_import(_e: ft.Event[ft.Control]) -> None:
        ran = await run_action(
            lambda: import_of(latest()),
            latest=latest,
            set_state=set_form,
            done=lambda f, r: replace(f, report=r, preview=None),
        )
        if ran:
            profile.changed()
            set_learning(profile.engine.io.learning())

    def refresh_learning(_e: ft.Event[ft.Control]) -> None:
        set_learning(profile.engine.io.learning())
        set_waiting(profile.engine.io.unlearned())

    def learn_now(_e: ft.Event[ft.Control]) -> None:
        profile.engine.io.learn_in_background()
        set_learning(profile.engine.io.learning())

    controls: list[ft.Control] = [
        ft.Dropdown(
            label="Import from",
            value=form.source,
            dense=True,
            editable=False,
            enable_search=False,
            disabled=form.busy,
            options=[ft.DropdownOption(key=k, text=v[0]) for k, v in SOURCES.items()],
            on_select=edit("source"),
        )
    ]
    if form.source == "apple-notes":
        controls += [
            ft.TextField(label="IMAP server", value=form.host, dense=True, on_change=edit("host")),
            ft.TextField(label="IMAP port", value=form.port, dense=True, on_change=edit("port")),
            ft.TextField(label="iCloud e-mail", value=form.user, dense=True, on_change=edit("user")),
            ft.TextField(
                label="App-specific password",
                value=form.password,
                password=True,
                dense=True,
                on_change=edit("password"),
            ),
        ]
    else:
        controls.append(
            ft.TextField(
                label=SOURCES[form.source][1],
                value=form.path,
                dense=True,
                disabled=form.busy,
                on_change=edit("path"),
                on_submit=preview,
            )
        )
    p = form.preview
    if p is not None:
        controls.append(ft.Text(_describe_preview(p)))
        for group, place in form.mapping.items():
            controls.append(
                ft.Row(
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    controls=[
                        ft.Text(f"{group} ({_notes(p.counts.get(group, 0))})", expand=True),
                        ft.Dropdown(
                            value=place,
                            width=170,
                            dense=True,
                            editable=False,
                            enable_search=False,
                            tooltip=f"Where notes in {group} go",
                            options=[ft.DropdownOption(key=k, text=PLACE_LABELS[k]) for k in PLACES],
                            on_select=choose_place(group),
                        ),
                    ],
                )
            )
        for near in p.near_duplicates[:10]:
            controls.append(
                ft.Text(
                    f"Not imported, says the same as “{near.existing_title}”: {near.key}",
                    color=ft.Colors.ON_SURFACE_VARIANT,
                )
            )
        if p.skipped:
            controls.append(
                ft.Text(f"{len(p.skipped)} files left out (not notes).", color=ft.Colors.ON_SURFACE_VARIANT)
            )
    if form.busy:
        controls.append(ft.ProgressBar())
    if form.report is not None:
        controls.append(ft.Text(_describe_report(form.report), color=ft.Colors.PRIMARY))
    if learning.running or learning.total:
        if learning.running:
            so_far = f"{learning.done} of {learning.total}" if learning.total else "the"
            line = f"Learning from {so_far} imported notes (people, projects, facts)…"
        else:
            line = f"Learned from {learning.total} imported notes."
        controls.append(
            ft.Row(
                wrap=True,
                controls=[
                    ft.Text(line),
                    ft.TextButton(content="Refresh", on_click=refresh_learning),
                ],
            )
        )
    elif waiting:
        controls.append(
            ft.Row(
                wrap=True,
                controls=[
                    ft.Text(f"{waiting} imported notes are not learned from yet."),
                    ft.TextButton(content="Learn now", on_click=learn_now),
                ],
            )
        )
    controls += [
        *status_line(None, form.problem),
        ft.Row(
            alignment=ft.MainAxisAlignment.END,
            wrap=True,
            controls=[
                ft.OutlinedButton(content="Preview import", disabled=form.busy, on_click=preview),
                ft.FilledButton(
                    content="Import",
                    icon=ft.Icons.UPLOAD,
                    disabled=form.busy or p is None or p.new + p.changed == 0,
                    on_click=do_import,
                ),
            ],
        ),
    ]
    return settings_card(
        "Import",
        ft.Icons.MOVE_TO_INBOX_OUTLINED,
        controls,
        subtitle="Bring notes in from Obsidian, Google Keep or Apple Notes. Preview first; nothing is written until you import.",
    )
