"""`lifeos export`, `lifeos restore` and `lifeos import obsidian|keep|apple-notes|learn`.

An import prints its preview first (`--dry-run` stops there), then writes everything in one
transaction and learns from the new notes with a progress bar (`--no-learn` leaves that to
`lifeos import learn` or the app). `--map FOLDER=PLACE` changes where a folder (Obsidian, Apple
Notes) or a label (Keep) goes: project, area, resource, archive, person, daily or none.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from app import passphrase
from app.cli_common import EXIT_OK, home_of, open_engine, print_json
from engine.api import Engine
from engine.errors import UsageError
from engine.types import PLACES, ImapAccount, ImportPreview, NotesImportReport

ENV_EXPORT_PASSPHRASE = "LIFEOS_EXPORT_PASSPHRASE"
ENV_IMAP_PASSWORD = "LIFEOS_IMAP_PASSWORD"


class Bar:
    """A progress bar on stderr, one per stage ("notes [#####.....] 420/1000")."""

    def __init__(self, quiet: bool = False) -> None:
        self.tty = sys.stderr.isatty()
        self.quiet = quiet
        self.stage = ""
        self.last = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        percent = 100 * done // total if total else 100
        if stage == self.stage and (percent == self.last or (not self.tty and percent % 25 and done < total)):
            return
        if stage != self.stage and self.tty and self.stage:
            sys.stderr.write("\n")
        self.stage, self.last = stage, percent
        filled = percent // 4
        line = f"{stage:>12} [{'#' * filled}{'.' * (25 - filled)}] {done}/{total}"
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        sys.stderr.flush()

    def end(self) -> None:
        if self.tty and self.stage and not self.quiet:
            sys.stderr.write("\n")
        self.stage = ""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export", help="export everything to one ZIP (Markdown vault + JSON of every table)"
    )
    p.add_argument("--out", metavar="FILE.zip", help="default: lifeos-export-DATE.zip here")
    p.add_argument("--encrypt", action="store_true", help="AES-256 (WinZip AE-2) with your passphrase")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_export)

    p = subparsers.add_parser("restore", help="recreate a profile from an export ZIP in a new --home")
    p.add_argument("export", metavar="FILE.zip")
    p.add_argument(
        "--home", dest="restore_home", metavar="DIR", help="the new profile's folder (must be new)"
    )
    p.add_argument("--no-index", action="store_true", help="skip re-embedding (the heartbeat does it later)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_restore)

    imp = subparsers.add_parser("import", help="bring notes in from Obsidian, Google Keep or Apple Notes")
    imp_sub = imp.add_subparsers(dest="import_command", metavar="SOURCE", required=True)
    p = imp_sub.add_parser("obsidian", help="an Obsidian vault (the folder is only read)")
    p.add_argument("vault", metavar="DIR")
    _import_options(p, "FOLDER")
    p.set_defaults(handler=cmd_import_obsidian)
    p = imp_sub.add_parser("keep", help="a Google Keep Takeout (the ZIP or its folder)")
    p.add_argument("takeout", metavar="TAKEOUT")
    _import_options(p, "LABEL")
    p.set_defaults(handler=cmd_import_keep)
    p = imp_sub.add_parser(
        "apple-notes", help=f"Apple Notes from iCloud over IMAP (password: {ENV_IMAP_PASSWORD})"
    )
    p.add_argument("--imap-host", default="imap.mail.me.com")
    p.add_argument("--user", required=True, help="the iCloud e-mail address")
    p.add_argument("--port", type=int, default=993)
    p.add_argument("--no-tls", action="store_true", help="plain IMAP (a local test server only)")
    p.add_argument("--folder", default="Notes")
    _import_options(p, "FOLDER")
    p.set_defaults(handler=cmd_import_apple_notes)
    p = imp_sub.add_parser("learn", help="learn from imported notes not learned yet (after --no-learn)")
    p.set_defaults(handler=cmd_import_learn)


def _import_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar=f"{what}=PLACE",
        help=f"where a {what.lower()} goes: {', '.join(PLACES)} (repeatable)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the preview only; write nothing")
    p.add_argument("--no-learn", action="store_true", help="import now, learn from the notes later")
    p.add_argument("--json", action="store_true")


def _mapping(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, place = pair.rpartition("=")
        if not sep or not name:
            raise UsageError(f"--map takes NAME=PLACE, not {pair!r}")
        out[name] = place.strip().lower()
    return out


# -- export and restore -------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.out).expanduser() if args.out else Path(f"lifeos-export-{date.today().isoformat()}.zip")
    secret = passphrase.ask()
    bar = Bar(quiet=args.json)
    with Engine.open(home_of(args), secret) as engine:
        report = engine.io.export(out, password=secret if args.encrypt else None, progress=bar)
    bar.end()
    if args.json:
        print_json(report)
        return EXIT_OK
    print(
        f"Exported {report.notes} notes and {sum(report.tables.values())} rows of {len(report.tables)} tables"
    )
    print(
        f"  {report.vault_files} files in the Markdown vault; {report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s"
    )
    print(f"  {report.path}" + (f" (encrypted: {report.scheme})" if report.encrypted else " (not encrypted)"))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    home = Path(args.restore_home).expanduser() if args.restore_home else home_of(args)
    if Engine.exists(home):
        raise UsageError(f"a profile already exists in {home}; restore into a new --home")
    secret = passphrase.ask_new(label="Passphrase for the restored profile")
    password = os.environ.get(ENV_EXPORT_PASSPHRASE, secret)
    bar = Bar(quiet=args.json)
    with Engine.restore(args.export, home, secret, password=password, progress=bar) as engine:
        counts = {"notes": engine.notes.count()}
        if not args.no_index:
            engine.memory.refresh_index(progress=lambda d, t: bar("indexing", d, t))
    bar.end()
    if args.json:
        print_json({"home": str(home), **counts})
    else:
        print(f"Restored {counts['notes']} notes into {home}")
    return EXIT_OK


# -- imports --------------------------------------------------------------------------------------


def _print_preview(preview: ImportPreview) -> None:
    print(
        f"{preview.source}: {preview.notes} notes ({preview.daily} daily), {preview.attachments} attachments, {preview.tags} tags"
    )
    print(
        f"  new {preview.new} · unchanged {preview.unchanged} · changed {preview.changed} · "
        f"duplicates {preview.duplicates} · near-duplicates {len(preview.near_duplicates)}"
    )
    if preview.mapping:
        print("  mapping (change with --map NAME=PLACE):")
        for name, place in preview.mapping.items():
            print(f"    {name:<30} → {place:<9} ({preview.counts.get(name, 0)} notes)")
    for near in preview.near_duplicates[:20]:
        print(f"  near-duplicate, not imported: {near.key} ≈ '{near.existing_title}' ({near.similarity:.2f})")
    for line in preview.skipped[:10]:
        print(f"  skipped: {line}")
    if len(preview.skipped) > 10:
        print(f"  … and {len(preview.skipped) - 10} more skipped")


def _print_report(report: NotesImportReport) -> None:
    print(
        f"Imported {report.added} notes ({report.superseded} updated, {report.unchanged} unchanged, "
        f"{report.duplicates} duplicates, {len(report.near_duplicates)} near-duplicates listed) in {report.seconds:.1f} s"
    )
    print(
        f"  {report.entities_created} PARA items created, {report.links} links ({report.unresolved_links} "
        f"unresolved), {report.attachments} attachments, {report.tags} tags"
    )


def _run_import(args: argparse.Namespace, preview_fn: Any, import_fn: Any) -> int:
    mapping = _mapping(args.map)
    bar = Bar(quiet=args.json)
    with open_engine(args) as engine:
        preview: ImportPreview = preview_fn(engine, mapping)
        if args.dry_run:
            if args.json:
                print_json(preview)
            else:
                _print_preview(preview)
            return EXIT_OK
        if not args.json:
            _print_preview(preview)
        report: NotesImportReport = import_fn(engine, mapping, bar)
        bar.end()
        if not args.json:
            _print_report(report)
            print(
                "Searchable now. Learning from the notes (people, projects, dates, facts)…"
                if not args.no_learn
                else ""
            )
        if not args.no_learn:
            engine.io.learn(progress=bar)
            bar.end()
    if args.json:
        print_json(report)
    return EXIT_OK


def cmd_import_obsidian(args: argparse.Namespace) -> int:
    return _run_import(
        args,
        lambda e, m: e.io.preview_obsidian(args.vault, m),
        lambda e, m, bar: e.io.import_obsidian(args.vault, m, progress=bar),
    )


def cmd_import_keep(args: argparse.Namespace) -> int:
    return _run_import(
        args,
        lambda e, m: e.io.preview_keep(args.takeout, m),
        lambda e, m, bar: e.io.import_keep(args.takeout, m, progress=bar),
    )


def cmd_import_apple_notes(args: argparse.Namespace) -> int:
    password = os.environ.get(ENV_IMAP_PASSWORD)
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError(f"no IMAP password: set {ENV_IMAP_PASSWORD} or run in a terminal")
        password = getpass.getpass(f"IMAP password for {args.user} (an app-specific password for iCloud): ")
    account = ImapAccount(
        args.imap_host, args.user, password, port=args.port, tls=not args.no_tls, folder=args.folder
    )
    return _run_import(
        args,
        lambda e, m: e.io.preview_apple_notes(account, m),
        lambda e, m, bar: e.io.import_apple_notes(account, m, progress=bar),
    )


def cmd_import_learn(args: argparse.Namespace) -> int:
    bar = Bar()
    with open_engine(args) as engine:
        n = engine.io.learn(progress=bar)
    bar.end()
    print(f"Learned from {n} imported notes")
    return EXIT_OK
