"""The `lifeos` command line: each command opens the Engine, makes one call, prints the result.

Exit codes: 0 ok, 2 usage, 3 wrong passphrase or locked, 4 data error. Errors are one line on stderr;
set LIFEOS_DEBUG=1 to see a traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from app import cli_text, passphrase
from app.cli_common import (
    EXIT_DATA,
    EXIT_OK,
    home_of,
    local_time,
    open_engine,
    positive_int,
    print_json,
)
from engine.api import Engine
from engine.errors import LifeOSError, UsageError
from engine.types import Note

Handler = Callable[[argparse.Namespace], int]

# -- commands ----------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    home = home_of(args)
    if Engine.exists(home):
        raise UsageError(f"a profile already exists in {home}; unlock it or choose another --home")
    secret = passphrase.ask_new(label="Choose a passphrase")
    with Engine.create(home, secret):
        pass
    print(f"Created an encrypted profile in {home}")
    print("Keep your passphrase safe: without it, nobody (including us) can open this profile.")
    return EXIT_OK


def cmd_passwd(args: argparse.Namespace) -> int:
    old = passphrase.ask("Current passphrase: ")
    with Engine.open(home_of(args), old) as engine:
        new = passphrase.ask_new(env=passphrase.ENV_NEW_PASSPHRASE)
        engine.change_passphrase(old, new)
    print("Passphrase changed. The old one no longer opens this profile.")
    return EXIT_OK


def cmd_note_add(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if text == "-":
        text = sys.stdin.read()
    with open_engine(args) as engine:
        note = engine.notes.add(text, title=args.title, kind=args.kind)
    print(note.id)
    return EXIT_OK


def _note_line(note: Note) -> str:
    return f"{local_time(note.created_at)}  {note.id}  [{note.kind}] {note.title}"


def cmd_note_list(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        notes = engine.notes.list(kind=args.kind, limit=args.limit, day=args.day)
    if args.json:
        print_json(notes)
    elif not notes:
        print('No notes yet. Add one with: lifeos note add "…"')
    else:
        for note in notes:
            print(_note_line(note))
    return EXIT_OK


def cmd_note_show(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        note = engine.notes.get(args.id)
    if args.json:
        print_json(note)
    else:
        print(f"# {note.title}\n{local_time(note.created_at)} · {note.kind} · {note.day} · {note.id}\n")
        print(note.body)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with open_engine(args) as engine:
        hits = engine.notes.search(query, limit=args.limit)
    if args.json:
        print_json([{"score": h.score, "snippet": h.snippet, "note": h.note} for h in hits])
    elif not hits:
        print(f"Nothing found for {query!r}.")
    else:
        for hit in hits:
            print(_note_line(hit.note))
            print(f"    {hit.snippet}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        report = engine.doctor()
    if args.json:
        print_json(report)
    else:
        db, kf = report["database"], report["keyfile"]
        mark = "ok" if report["ok"] else "PROBLEM"
        print(f"Profile     {report['home']}  [{mark}]")
        print(f"Integrity   {db['integrity']}")
        encrypted = "yes" if db["encrypted"] else "NO"
        print(f"Encrypted   {encrypted} (SQLCipher {db['sqlcipher']}, SQLite {db['sqlite']})")
        print(f"Schema      {db['schema_version']} of {db['schema_latest']}")
        print(f"FTS5        {'yes' if db['fts5'] else 'missing'}")
        print(f"sqlite-vec  {db['sqlite_vec'] if db['vec0'] else 'missing'}")
        if kf["ok"]:
            print(
                f"Key file    v{kf['version']}, Argon2id t={kf['time_cost']} m={kf['memory_kib']} KiB "
                f"p={kf['parallelism']}, {kf['wrap']}, {'private' if kf['private'] else 'READABLE BY OTHERS'}"
            )
        else:
            print(f"Key file    {kf['error']}")
        print(f"Notes       {report['counts']['notes']}")
    return EXIT_OK if report["ok"] else EXIT_DATA


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifeos",
        description="LifeOS Coach: your encrypted, offline coaching memory.",
        epilog="Passphrases come from LIFEOS_PASSPHRASE or a prompt, never from the command line.",
    )
    parser.add_argument(
        "--home", metavar="DIR", help="profile directory (default: LIFEOS_HOME or the user data dir)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("init", help="create an encrypted profile")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("passwd", help="change the passphrase (LIFEOS_NEW_PASSPHRASE for scripts)")
    p.set_defaults(handler=cmd_passwd)

    note = sub.add_parser("note", help="add, list and show notes")
    note_sub = note.add_subparsers(dest="note_command", metavar="ACTION", required=True)
    p = note_sub.add_parser("add", help="add a note and print its id ('-' reads stdin)")
    p.add_argument("text", nargs="+")
    p.add_argument("--title", help="a title (default: the first line)")
    p.add_argument("--kind", choices=["daily", "capture"], default="daily")
    p.set_defaults(handler=cmd_note_add)
    p = note_sub.add_parser("list", help="list notes, newest first")
    p.add_argument("--kind", choices=["daily", "capture", "import", "chat"])
    p.add_argument("--day", metavar="YYYY-MM-DD", help="only this day")
    p.add_argument("--limit", type=positive_int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_note_list)
    p = note_sub.add_parser("show", help="show one note")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_note_show)

    p = sub.add_parser("search", help="search your notes")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=positive_int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("doctor", help="check the profile: integrity, encryption, versions, key file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)

    for register in _plugin_registrars():
        register(sub)
    return parser


def _plugin_registrars() -> list[Callable[[Any], None]]:
    """Command groups that live in their own modules (models, …), registered like built-ins."""
    from app import (
        cli_coach,
        cli_eval,
        cli_heartbeat,
        cli_io,
        cli_llm,
        cli_memory,
        cli_models,
        cli_sync,
        cli_training,
    )

    return [
        cli_memory.register,
        cli_coach.register,
        cli_heartbeat.register,
        cli_models.register,
        cli_llm.register,
        cli_eval.register,
        cli_training.register,
        cli_io.register,
        cli_sync.register,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    cli_text.guard_streams()
    words = cli_text.as_arguments(sys.argv[1:] if argv is None else argv)
    # argparse cannot take an optional positional after a flag (`chat stoic --json "hi"`): words left
    # over become the message of commands that take one, and stay an error everywhere else.
    args, extra = parser.parse_known_args(words)
    if extra:
        if getattr(args, "message", None) == "" and not any(e.startswith("-") for e in extra):
            args.message = " ".join(extra)
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handler: Handler = args.handler
    try:
        return handler(args)
    except LifeOSError as exc:
        print(f"lifeos: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`lifeos … | head`): not an error of ours; stop writing quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("lifeos: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("LIFEOS_DEBUG"):
            traceback.print_exc()
        print(f"lifeos: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
