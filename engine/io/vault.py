"""The profile as an Obsidian vault: Markdown that is useful without this app.

Layout (every page has YAML front matter, and links are `[[wikilinks]]` to page names, which
Obsidian resolves wherever the page is):

    Daily/2026-03-01.md         the day's notes, captures and voice memos (transcript + ![[audio]])
    Projects/, Areas/, Resources/, Archives/, People/
                                one page per PARA item and person: summary, active facts, the history
                                of facts that changed (what replaced what, and when), links, mentions
    Chats/<coach>/<date> <topic>.md   each conversation
    Attachments/                voice memo audio and imported files, as they were

Pages are read straight from the tables (the same snapshot as the JSON dump beside them), so the
export needs no model and no part of the engine but the store.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from engine.store.connection import Connection

FOLDERS = {
    "project": "Projects",
    "area": "Areas",
    "resource": "Resources",
    "archive": "Archives",
    "person": "People",
}
_UNSAFE = re.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]')
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Page:
    path: str
    data: bytes


def safe_name(name: str, fallback: str = "Untitled") -> str:
    """A file name Obsidian and every OS accept, and that a wikilink can name."""
    cleaned = " ".join(_UNSAFE.sub(" ", name).split()).strip(". ")
    return cleaned[:100].rstrip() or fallback


class Names:
    """Unique page names across the vault (a wikilink names a page, not a path)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str, qualifier: str) -> str:
        name = wanted
        if name.lower() in self.used:
            name = f"{wanted} ({qualifier})"
        n = 2
        while name.lower() in self.used:
            name = f"{wanted} ({qualifier} {n})"
            n += 1
        self.used.add(name.lower())
        return name


def front_matter(fields: dict[str, Any]) -> str:
    clean = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    return "---\n" + yaml.safe_dump(clean, allow_unicode=True, sort_keys=False).strip() + "\n---\n"


def _md(text: str) -> bytes:
    return (text.rstrip() + "\n").encode("utf-8")


def pages(conn: Connection, progress: Progress | None = None) -> Iterator[Page]:
    """Every page and attachment of the vault, in a stable order."""
    names = Names()
    entities = conn.execute(
        "SELECT id, type, name, aliases, status, deadline, summary_md, created_at, updated_at FROM entities "
        "ORDER BY seq"
    ).fetchall()
    page_of: dict[str, str] = {}
    for e in entities:
        page_of[str(e[0])] = names.take(safe_name(str(e[2])), str(e[1]))
    days = [str(r[0]) for r in conn.execute("SELECT DISTINCT day FROM notes ORDER BY day")]
    for day in days:
        names.used.add(day.lower())

    # attachments first, so notes can embed them by the name they get in the vault
    attachment_name: dict[str, list[str]] = defaultdict(list)
    for att_id, note_id, name in conn.execute(
        "SELECT id, note_id, name FROM attachments ORDER BY seq"
    ).fetchall():
        attachment_name[str(note_id)].append(f"{str(att_id)[-8:]}-{safe_name(str(name), 'file')}")
    total = len(attachment_name)
    done = 0
    cursor = conn.execute("SELECT id, note_id, name, bytes FROM attachments ORDER BY seq")
    while batch := cursor.fetchmany(64):
        for att_id, _note_id, name, data in batch:
            yield Page(f"Attachments/{str(att_id)[-8:]}-{safe_name(str(name), 'file')}", bytes(data))
        done += len(batch)
        if progress:
            progress("attachments", done, total)

    mentions: dict[str, list[str]] = defaultdict(list)  # note id → entity pages
    mentioned_on: dict[str, set[str]] = defaultdict(set)  # entity id → days
    note_day = {str(r[0]): str(r[1]) for r in conn.execute("SELECT id, day FROM notes")}
    neighbours: dict[str, set[str]] = defaultdict(set)
    for src, dst in conn.execute("SELECT src_id, dst_id FROM edges ORDER BY seq"):
        src, dst = str(src), str(dst)
        if src in note_day and dst in page_of:
            mentions[src].append(page_of[dst])
            mentioned_on[dst].add(note_day[src])
        elif src in page_of and dst in page_of:
            neighbours[src].add(page_of[dst])
            neighbours[dst].add(page_of[src])
    tags: dict[str, list[str]] = defaultdict(list)
    if _table_exists(conn, "note_tags"):
        for note_id, tag in conn.execute("SELECT note_id, tag FROM note_tags ORDER BY tag"):
            tags[str(note_id)].append(str(tag))

    # daily notes: one page per day
    for i, day in enumerate(days):
        notes = conn.execute(
            "SELECT id, kind, title, body, source, status, created_at FROM notes WHERE day = ? "
            "AND status != 'superseded' ORDER BY created_at, seq",
            (day,),
        ).fetchall()
        parts = [front_matter({"date": day, "type": "daily", "notes": len(notes)}), f"# {day}\n"]
        for note_id, kind, title, body, source, status, created in notes:
            note_id = str(note_id)
            heading = f"## {str(created)[11:16]} · {title or kind}"
            block = [heading, "", str(body).rstrip(), ""]
            for name in attachment_name.get(note_id, []):
                block.append(f"![[{name}]]")
            links = list(dict.fromkeys(mentions.get(note_id, [])))
            extra = [f"[[{p}]]" for p in links] + [f"#{_tag(t)}" for t in tags.get(note_id, [])]
            meta = f"{kind} · {source}" + (f" · {status}" if status != "active" else "")
            block.append(f"<small>{meta}</small>" + (" — " + " ".join(extra) if extra else ""))
            parts.append("\n".join(block) + "\n")
        yield Page(f"Daily/{day}.md", _md("\n".join(parts)))
        if progress and (i % 200 == 0 or i == len(days) - 1):
            progress("daily notes", i + 1, len(days))

    # PARA pages
    facts_of: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.execute(
        "SELECT fe.entity_id, f.id, f.content, f.category, f.timestamp, f.status, f.superseded_by "
        "FROM facts f JOIN fact_entities fe ON fe.fact_id = f.id ORDER BY f.timestamp, f.seq"
    ):
        facts_of[str(row[0])].append(row[1:])
    content_of = {str(r[0]): str(r[1]) for r in conn.execute("SELECT id, content FROM facts")}
    for e in entities:
        entity_id, type_, name, aliases, status, deadline, summary, created, updated = e
        entity_id = str(entity_id)
        folder = "Archives" if status == "archived" else FOLDERS.get(str(type_), "Resources")
        facts = facts_of.get(entity_id, [])
        active = [f for f in facts if f[4] == "active"]
        old = [f for f in facts if f[4] != "active"]
        lines = [
            front_matter(
                {
                    "id": entity_id,
                    "type": type_,
                    "status": status,
                    "deadline": deadline,
                    "aliases": _aliases(aliases),
                    "created": created,
                    "updated": updated,
                    "tags": [f"lifeos/{type_}"],
                }
            ),
            f"# {name}\n",
            "## Summary\n",
            (str(summary).strip() or "_Nothing summarised yet._") + "\n",
            "## Facts\n",
        ]
        lines += [f"- {f[1]} <small>({f[2]}, {str(f[3])[:10]})</small>" for f in active] or ["_None yet._"]
        if old:
            lines += ["", "## History\n", "What was once true, and what replaced it:", ""]
            for f in old:
                successor = content_of.get(str(f[5]), "") if f[5] else ""
                arrow = f" → {successor}" if successor else ""
                lines.append(f"- ~~{f[1]}~~ <small>({str(f[3])[:10]})</small>{arrow}")
        if neighbours.get(entity_id):
            lines += ["", "## Links\n"] + [f"- [[{p}]]" for p in sorted(neighbours[entity_id])]
        if mentioned_on.get(entity_id):
            lines += ["", "## Mentioned in\n"] + [f"- [[{d}]]" for d in sorted(mentioned_on[entity_id])]
        yield Page(f"{folder}/{page_of[entity_id]}.md", _md("\n".join(lines)))

    # chats
    coach_names = {str(r[0]): str(r[1]) for r in conn.execute("SELECT id, name FROM coaches")}
    conversations = conn.execute(
        "SELECT conversation_id, coach_id, min(created_at) FROM messages GROUP BY conversation_id "
        "ORDER BY min(created_at)"
    ).fetchall()
    for conversation_id, coach_id, started in conversations:
        coach = coach_names.get(str(coach_id), str(coach_id))
        msgs = conn.execute(
            "SELECT role, content, created_at FROM messages WHERE conversation_id = ? ORDER BY created_at, seq",
            (conversation_id,),
        ).fetchall()
        first_user = next((str(m[1]) for m in msgs if m[0] == "user"), "conversation")
        title = names.take(
            f"{str(started)[:10]} {safe_name(first_user[:40], 'conversation')}", str(conversation_id)[-6:]
        )
        lines = [
            front_matter(
                {"conversation": conversation_id, "coach": coach, "started": started, "tags": ["lifeos/chat"]}
            ),
            f"# {coach}: {first_user[:60]}\n",
        ]
        for role, content, created in msgs:
            who = "You" if role == "user" else coach if role == "assistant" else role
            lines.append(
                f"**{who}** <small>{str(created)[:16].replace('T', ' ')}</small>\n\n{str(content).rstrip()}\n"
            )
        yield Page(f"Chats/{safe_name(coach)}/{title}.md", _md("\n".join(lines)))


def _tag(tag: str) -> str:
    return re.sub(r"[^\w/-]+", "-", tag).strip("-") or "tag"


def _aliases(raw: Any) -> list[str]:
    try:
        value = json.loads(str(raw))
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _table_exists(conn: Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        is not None
    )
