"""`lifeos capture`, `memo`, `para`, `fact` and `recall`: the coachee's long-term memory from a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli_common import EXIT_OK, iso_moment, local_time, open_engine, positive_int, print_json
from engine.types import CaptureResult, EntityPage, FactResult, RecallHit, VoiceMemo

PARA_TYPES = ["project", "area", "resource", "archive", "person"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "capture",
        help="quick capture: save a note, link #projects and @people, learn facts ('-' reads stdin)",
    )
    p.add_argument("text", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_capture)

    p = subparsers.add_parser(
        "memo", help="voice memo: transcribe an audio file on this device into a note, and learn from it"
    )
    p.add_argument("audio", type=Path, metavar="FILE", help="WAV, MP3, M4A, OGG, WebM… (15 min at most)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_memo)

    para = subparsers.add_parser("para", help="projects, areas, resources, archives and people")
    para_sub = para.add_subparsers(dest="para_command", metavar="ACTION", required=True)
    p = para_sub.add_parser("list", help="list entities (archived ones with --type archive)")
    p.add_argument("--type", choices=PARA_TYPES)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_para_list)
    p = para_sub.add_parser("show", help="an entity: summary, active facts, superseded history")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_para_show)
    p = para_sub.add_parser("add", help="create a project, area, resource or person")
    p.add_argument("type", choices=["project", "area", "resource", "person"])
    p.add_argument("name")
    p.add_argument("--deadline", metavar="YYYY-MM-DD")
    p.set_defaults(handler=cmd_para_add)
    for action, help_text in (
        ("archive", "archive an entity (it stays searchable)"),
        ("restore", "bring an archived entity back"),
        ("complete", "mark a project completed"),
    ):
        p = para_sub.add_parser(action, help=help_text)
        p.add_argument("name")
        p.set_defaults(handler=cmd_para_state, action=action)

    fact = subparsers.add_parser("fact", help="add or change facts (changes keep history)")
    fact_sub = fact.add_subparsers(dest="fact_command", metavar="ACTION", required=True)
    p = fact_sub.add_parser("add", help="remember a fact about an entity ('-' for none)")
    p.add_argument("entity")
    p.add_argument("text", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_fact_add)
    p = fact_sub.add_parser("supersede", help="replace a fact with a new version (the old one is kept)")
    p.add_argument("id")
    p.add_argument("text", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_fact_supersede)

    p = subparsers.add_parser("recall", help="search your memory (facts and notes), optionally as of a date")
    p.add_argument("query", nargs="+")
    p.add_argument("--as-of", type=iso_moment, metavar="DATE", help="what you knew then (YYYY-MM-DD)")
    p.add_argument("--limit", type=positive_int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_recall)


def _fact_line(result: FactResult) -> str:
    verbs = {
        "added": "Remembered",
        "duplicate": "Already known",
        "superseded": "Updated",
        "suggested": "Remembered (may replace an older fact: see `lifeos para show`)",
    }
    line = f"{verbs[result.outcome]}: {result.fact.content}  [{result.fact.id}]"
    if result.outcome == "superseded" and result.related:
        line += f"\n  replaces: {result.related.content}"
    return line


def cmd_capture(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if text == "-":  # private text: from stdin, not the process list
        text = sys.stdin.read()
    with open_engine(args) as engine:
        result: CaptureResult = engine.memory.capture(text)
    if args.json:
        print_json(result)
        return EXIT_OK
    print(f"Saved note {result.note.id}")
    _print_learned(result)
    return EXIT_OK


def _print_learned(result: CaptureResult) -> None:
    """What memory found in a capture: entities, the suggested PARA place, the facts."""
    for m in result.mentions:
        if m.entity_name:
            print(f"  {m.type:<12} {m.entity_name}{' (new)' if m.created else ''}")
        else:
            print(f"  {m.type:<12} {m.text}" + (f" → {m.value}" if m.value and m.value != m.text else ""))
    where = result.placement
    print(
        f"Suggested place: {where.place}" + (f" / {where.name}" if where.name else "") + f" — {where.reason}"
    )
    for r in result.facts:
        print(_fact_line(r))


def _length(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def cmd_memo(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        memo: VoiceMemo = engine.memory.add_voice_memo(args.audio)
    if args.json:
        print_json(memo)
        return EXIT_OK
    took = memo.timings_ms.get("total", 0.0) / 1000
    print(f"Saved voice memo ({_length(memo.seconds)}, transcribed in {took:.1f} s) as note {memo.note.id}")
    print(f"  “{memo.transcript}”")
    _print_learned(memo.capture)
    return EXIT_OK


def cmd_para_list(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        entities = engine.memory.list_entities(args.type)
    if args.json:
        print_json(entities)
    elif not entities:
        print("Nothing here yet. Capture a note with #project or @person, or: lifeos para add project NAME")
    else:
        for e in entities:
            extra = f"  deadline {e.deadline}" if e.deadline else ""
            print(f"{e.type:<9} {e.name}  [{e.status}]{extra}")
    return EXIT_OK


def cmd_para_show(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        page: EntityPage = engine.memory.entity_page(args.name)
    if args.json:
        print_json(
            {
                "entity": page.entity,
                "summary_md": page.summary_md,
                "active": [{"tier": tier, "fact": fact} for fact, tier in page.active],
                "history": page.history,
                "neighbours": page.neighbours,
            }
        )
        return EXIT_OK
    print(page.summary_md.rstrip())
    print("\n## All active facts\n")
    for fact, tier in page.active:
        print(f"- [{tier}] {fact.content}  ({local_time(fact.timestamp)}, {fact.id})")
    if page.history:
        print("\n## Superseded (kept)\n")
        for fact in page.history:
            print(f"- {fact.content}  ({local_time(fact.timestamp)}; replaced by {fact.superseded_by})")
    if page.neighbours:
        print("\nLinked: " + ", ".join(f"{n.name} ({n.type})" for n in page.neighbours))
    return EXIT_OK


def cmd_para_add(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        entity = engine.memory.create_entity(args.type, args.name, deadline=args.deadline)
    print(f"Created {entity.type} {entity.name} [{entity.id}]")
    return EXIT_OK


def cmd_para_state(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        change = {
            "archive": engine.memory.archive_entity,
            "restore": engine.memory.restore_entity,
            "complete": engine.memory.complete_project,
        }[args.action]
        entity = change(args.name)
    print(f"{entity.name}: {entity.status}")
    return EXIT_OK


def cmd_fact_add(args: argparse.Namespace) -> int:
    entity = None if args.entity == "-" else args.entity
    with open_engine(args) as engine:
        result = engine.memory.add_fact(" ".join(args.text), entity)
    print_json(result) if args.json else print(_fact_line(result))
    return EXIT_OK


def cmd_fact_supersede(args: argparse.Namespace) -> int:
    with open_engine(args) as engine:
        result = engine.memory.supersede_fact(args.id, " ".join(args.text))
    print_json(result) if args.json else print(_fact_line(result))
    return EXIT_OK


def _hit_line(hit: RecallHit) -> str:
    via = ", ".join(f"{k}#{v}" for k, v in hit.found_by.items())
    return f"[{hit.kind} · {hit.tier}] {hit.text}\n    {local_time(hit.timestamp)} · score {hit.score:.4f} · via {via}"


def cmd_recall(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with open_engine(args) as engine:
        hits = engine.memory.recall(query, as_of=args.as_of, limit=args.limit)
    if args.json:
        print_json(hits)
    elif not hits:
        print(f"Nothing in your memory matches {query!r}.")
    else:
        for hit in hits:
            print(_hit_line(hit))
    return EXIT_OK
