"""`lifeos coach`, `lifeos chat` and `lifeos reasoner`: coach packs and conversations from a terminal."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli_common import EXIT_DATA, EXIT_OK, open_engine, positive_int, positive_seconds, print_json
from engine.api import browse_catalog, create_publisher_key

DOMAINS = ["Health", "Wealth", "Wisdom"]


def register(subparsers: Any) -> None:
    coach = subparsers.add_parser("coach", help="build, install, list, show and remove coach packs")
    sub = coach.add_subparsers(dest="coach_command", metavar="ACTION", required=True)

    p = sub.add_parser("build", help="build a coach pack from a folder with coach.toml (PDF, Markdown, text)")
    p.add_argument("src", metavar="SRC_DIR")
    p.add_argument("-o", "--out", metavar="PACK", help="output: NAME.coaches.get (a ZIP) or a directory")
    p.add_argument(
        "--preview",
        type=positive_int,
        nargs="?",
        const=5,
        metavar="N",
        help="show N sample chunks; write nothing",
    )
    p.add_argument(
        "--reuse", metavar="PACK", help="reuse vectors of unchanged passages from an earlier build"
    )
    p.add_argument("--sign", metavar="KEY", help="sign the pack with a publisher key (lifeos coach keygen)")
    p.add_argument(
        "--check",
        action="store_true",
        help="content check first: personal data (NER and patterns), copied passages, licences; "
        "exits 4 with a listing when it finds any (builds only when clean and -o is given)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_build)

    p = sub.add_parser("keygen", help="make a publisher key to sign the packs you publish")
    p.add_argument("--name", required=True, help="the name coachees will see as the publisher")
    p.add_argument("--out", required=True, metavar="FILE", help="where to keep the private key (0600)")
    p.set_defaults(handler=cmd_keygen)

    p = sub.add_parser("install", help="install from a .coach file, a folder, a URL, or a catalog id")
    p.add_argument("source")
    p.add_argument(
        "--catalog", metavar="FILE_OR_URL", help="catalog to look ids up in (default: the bundled one)"
    )
    p.add_argument(
        "--force", action="store_true", help="reinstall the same version, or go back to an older one"
    )
    p.add_argument(
        "--accept-new-publisher",
        action="store_true",
        help="let a pack from another publisher (or unsigned) replace an installed signed coach",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_install)

    p = sub.add_parser(
        "preview", help="try a coach before installing it (3 free messages with `lifeos chat`)"
    )
    p.add_argument("source")
    p.add_argument("--catalog", metavar="FILE_OR_URL")
    p.set_defaults(handler=cmd_preview)

    p = sub.add_parser("list", help="installed coaches, or a catalog's with --catalog")
    p.add_argument(
        "--catalog", nargs="?", const="", metavar="FILE_OR_URL", help="browse a catalog (default: bundled)"
    )
    p.add_argument("--domain", choices=DOMAINS)
    p.add_argument("--language", metavar="CODE", help="e.g. en")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help="a coach's manifest, persona and sources")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("remove", help="uninstall a coach (your notes, facts and conversations stay)")
    p.add_argument("id")
    p.set_defaults(handler=cmd_remove)

    p = subparsers.add_parser("chat", help="talk with a coach (a REPL without MESSAGE)")
    p.add_argument("coach")
    p.add_argument("message", nargs="?", default="", help="one message (quote it); omit for a conversation")
    p.add_argument("--reasoner", help="override the configured reasoner for this chat (e.g. grounded)")
    p.add_argument(
        "--json", action="store_true", help="print the reply, its citations and the reasoner as JSON"
    )
    p.set_defaults(handler=cmd_chat)

    reasoner = subparsers.add_parser("reasoner", help="who writes the replies: grounded (offline) or openai")
    rsub = reasoner.add_subparsers(dest="reasoner_command", metavar="ACTION", required=True)
    p = rsub.add_parser("show", help="the configured reasoner")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reasoner_show)
    p = rsub.add_parser(
        "set", help="choose the reasoner (an API key is read from stdin with --api-key-stdin)"
    )
    p.add_argument("name")
    p.add_argument("--base-url", help="e.g. http://127.0.0.1:11434/v1 (Ollama) or a cloud endpoint")
    p.add_argument("--model")
    p.add_argument("--timeout", type=positive_seconds, metavar="SECONDS")
    p.add_argument("--api-key-stdin", action="store_true", help="store an API key (encrypted in the profile)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reasoner_set)


class _Bar:
    """A one-line progress display on stderr ("embed 1200/3139")."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self.last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        line = f"\r{stage:>8} {done}/{total}" if total else f"\r{stage:>8} {done}"
        if line != self.last:
            sys.stderr.write(line)
            sys.stderr.flush()
            self.last = line

    def end(self) -> None:
        if not self.quiet and self.last:
            sys.stderr.write("\n")


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def _content_check(engine: Any, args: argparse.Namespace) -> bool:
    """Print the content check of the folder; True when nothing stands in the way of publishing."""
    found = engine.studio.check_folder(args.src)
    if args.json:
        print_json({"check": found, "problems": found.problems()})
    else:
        for ref, title in found.copied:
            print(f"check: [{ref}] looks copied from {title}; confirm your rights in its source's licence")
        for line in found.problems():
            print(f"check: {line}")
        names = "patterns and the on-device NER" if found.ner else "patterns only (no NER model installed)"
        verdict = "nothing personal found" if not found.problems() else f"{len(found.problems())} problems"
        print(f"Content check of {found.passages} passages ({names}): {verdict}")
    return not found.problems()


def cmd_build(args: argparse.Namespace) -> int:
    if not args.preview and not args.out and not args.check:
        raise SystemExit("lifeos coach build: give -o PACK (or --preview, or --check)")
    if args.check:
        with open_engine(args) as engine:
            clean = _content_check(engine, args)
        if not clean:
            return EXIT_DATA
        if not args.out and not args.preview:
            return EXIT_OK
    bar = _Bar(args.json)
    with open_engine(args) as engine:
        report = engine.coaches.build(
            args.src, args.out, progress=bar, preview=args.preview or 0, sign=args.sign
        )
    bar.end()
    if args.json:
        print_json(report)
        return EXIT_OK
    m = report.manifest
    for line in report.flagged:
        print(f"flagged: {line}")
    for line in report.warnings:
        print(f"warning: {line}")
    if args.preview:
        print(f"{m.name}: {report.passages} passages. Samples:")
        for s in report.samples:
            print(f"\n[{s.ref}] {s.title}  ({len(s.text.split())} words, from {s.source})\n{s.text[:600]}")
        return EXIT_OK
    print(
        f"Built {m.name} {m.version} → {report.out}: {report.passages} passages, {report.vectors} vectors, "
        f"{_size(m.sizes.get('bytes', 0))} in {report.seconds:.1f} s"
    )
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    publisher = create_publisher_key(args.out, args.name)
    print(f"Publisher key for {publisher.name} written to {args.out} (keep it private).")
    print(f"Public key: {publisher.key}")
    print(f"Sign a pack with: lifeos coach build SRC -o PACK.coach --sign {args.out}")
    return EXIT_OK


def _publisher(manifest: Any) -> str:
    return f"signed by {manifest.publisher.name}" if manifest.publisher else "unsigned"


def cmd_install(args: argparse.Namespace) -> int:
    bar = _Bar(args.json)
    with open_engine(args) as engine:
        report = engine.coaches.install(
            args.source,
            progress=bar,
            force=args.force,
            catalog=args.catalog or None,
            accept_publisher=args.accept_new_publisher,
        )
    bar.end()
    if args.json:
        print_json(report)
    elif report.action == "unchanged":
        print(f"{report.coach_id} {report.version} is already installed (use --force to reinstall)")
    else:
        how = "embedded on this device" if report.embedded else "prebuilt vectors"
        was = f" (was {report.previous_version})" if report.previous_version else ""
        print(
            f"{report.action.capitalize()} {report.coach_id} {report.version}{was}: {report.passages} passages, "
            f"{report.vectors} vectors ({how}) in {report.seconds:.1f} s"
        )
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    bar = _Bar(False)
    with open_engine(args) as engine:
        result = engine.coaches.preview(args.source, progress=bar, catalog=args.catalog or None)
        left = engine.coaches.preview_messages_left(result.coach_id)
    bar.end()
    print(
        f'Previewing {result.coach_id}: {left} free messages. Try: lifeos chat {result.coach_id} "Hello"\n'
        f"Keep it with: lifeos coach install {args.source}"
    )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    if args.catalog is not None:
        entries = browse_catalog(args.catalog or None, domain=args.domain, language=args.language)
        if args.json:
            print_json(entries)
        elif not entries:
            print("No coaches in that catalog match.")
        else:
            for e in entries:
                print(
                    f"{e.id:<12} {e.domain:<7} {e.version:<6} {_size(e.size):>8}  {','.join(e.languages):<5} {e.name}"
                )
        return EXIT_OK
    with open_engine(args) as engine:
        coaches = engine.coaches.list()
    coaches = [c for c in coaches if (not args.domain or c.domain == args.domain)]
    coaches = [c for c in coaches if (not args.language or args.language in c.manifest.languages)]
    if args.json:
        print_json(
            [
                {
                    "id": c.id,
                    "name": c.name,
                    "version": c.version,
                    "domain": c.domain,
                    "passages": c.passages,
                    "publisher": c.manifest.publisher.name if c.manifest.publisher else None,
                }
                for c in coaches
            ]
        )
    elif not coaches:
        print("No coaches installed. Browse with: lifeos coach list --catalog")
    else:
        for c in coaches:
            print(
                f"{c.id:<12} {c.domain:<7} {c.version:<6} {c.passages:>6} passages  {c.name}  ({_publisher(c.manifest)})"
            )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        coach = engine.coaches.get(args.id)
    if args.json:
        print_json(
            {"manifest": coach.manifest, "soul": coach.soul, "agent": coach.agent, "passages": coach.passages}
        )
        return EXIT_OK
    m = coach.manifest
    print(f"{m.avatar} {m.name} {m.version}  [{m.domain}]  persona: {m.persona}")
    print(m.description)
    print(f"{coach.passages} passages · languages {', '.join(m.languages)} · tags {', '.join(m.tags)}")
    print(
        f"Publisher: {_publisher(m)}"
        + (f" (key {m.publisher.key})" if m.publisher else " (a creator's own build)")
    )
    for s in m.sources:
        print(f"  source: {s.title}, {s.author} — {s.origin} ({s.licence})")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        removed = engine.coaches.remove(args.id)
    print(f"Removed {args.id} ({removed} passages). Your notes, facts and conversations with it are kept.")
    return EXIT_OK


def _print_reply(reply: Any, as_json: bool, streamed: bool) -> None:
    if as_json:
        print_json(
            {
                "reply": reply.text,
                "citations": [{"id": c.ref, "title": c.title, "author": c.author} for c in reply.citations],
                "reasoner": reply.reasoner,
                "fallback_from": reply.fallback_from,
                "notice": reply.notice,
                "memory_used": reply.memory_used,
                "timings_ms": reply.timings_ms,
            }
        )
        return
    if not streamed:
        print(reply.text)
    if reply.citations:
        print(
            "\nSources: "
            + "; ".join(
                f"[{c.ref}] {c.title}" + (f" ({c.author})" if c.author else "") for c in reply.citations
            )
        )


def cmd_chat(args: argparse.Namespace) -> int:
    message = args.message.strip()
    with open_engine(args) as engine:
        coach = engine.coaches.get(args.coach)
        if message:
            stream = None if args.json else (lambda t: print(t, end="", flush=True))
            reply = engine.chat.send(coach.id, message, reasoner=args.reasoner, on_text=stream)
            if stream:
                print()
            _print_reply(reply, args.json, streamed=stream is not None)
            return EXIT_OK
        print(f"Talking with {coach.name}. An empty line or Ctrl-D ends the chat.")
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                print()
                break
            if not line:
                break
            print(f"{coach.name}> ", end="")
            reply = engine.chat.send(
                coach.id, line, reasoner=args.reasoner, on_text=lambda t: print(t, end="", flush=True)
            )
            print()
            _print_reply(reply, False, streamed=True)
            print()
    return EXIT_OK


def cmd_reasoner_show(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        settings = engine.chat.reasoner_settings()
    if args.json:
        print_json(settings)
    else:
        print(f"Reasoner  {settings['name']}")
        for key in ("base_url", "model", "timeout"):
            if key in settings:
                print(f"{key:<9} {settings[key]}")
        print(f"API key   {settings['api_key']}")
        print(f"Available {', '.join(settings['available'])}")
    return EXIT_OK


def cmd_reasoner_set(args: argparse.Namespace) -> int:
    key = sys.stdin.readline().strip() if args.api_key_stdin else None
    with open_engine(args) as engine:
        settings = engine.chat.set_reasoner(
            args.name, base_url=args.base_url, model=args.model, timeout=args.timeout, api_key=key
        )
    if args.json:
        print_json(settings)
    else:
        print(
            f"Replies now come from {settings['name']}"
            + (f" ({settings.get('model')})" if settings.get("model") else "")
        )
    return EXIT_OK
