"""An Obsidian vault read into an import plan; the vault itself is only ever read.

Folders map onto PARA by name (`Projects`, `1 Projects`, `Areas`, `People`, `Daily`, …), as a
proposal the person can change before importing: a note under a PARA folder belongs to the item
named by its subfolder (`Projects/Website/kickoff.md` → project "Website"), or is that item's own
page (`Projects/Website.md`); every note in a people folder is a person's page. Notes named by a
date (`2026-03-01.md`) are daily notes of that day wherever they are.
"""

from __future__ import annotations

import re
from datetime import datetime, time, tzinfo
from pathlib import PurePosixPath

from engine.errors import ImportRejected
from engine.io import markdown
from engine.io.limits import Limits
from engine.io.model import PARA_TYPES, PLACES, ImportNote, ImportPlan
from engine.io.sources import Source
from engine.io.text import decode, moment, split_front_matter, strings

MAX_NOTE_CHARS = 1_000_000
_GUESSES: tuple[tuple[str, str], ...] = (
    (r"projects?", "project"),
    (r"areas?( of responsibility)?", "area"),
    (r"resources?|references?|library", "resource"),
    (r"archives?|archived", "archive"),
    (r"people|persons?|contacts?|crm", "person"),
    (r"daily( notes)?|dailies|journal|journals|diary", "daily"),
)


def propose(folder: str) -> str:
    """Where a top-level folder goes, by its name (numbering such as `1 Projects` is ignored)."""
    name = re.sub(r"^[\d\s._-]+", "", folder).strip().lower()
    for pattern, place in _GUESSES:
        if re.fullmatch(pattern, name):
            return place
    return "none"


def read(source: Source, limits: Limits, tz: tzinfo, mapping: dict[str, str] | None = None) -> ImportPlan:
    files = source.files()
    notes_paths = [p for p in files if p.lower().endswith(".md")]
    others = {p for p in files if not p.lower().endswith(".md")}
    by_name: dict[str, str] = {p.lower(): p for p in others}  # full paths, then bare names
    for p in sorted(others):
        by_name.setdefault(PurePosixPath(p).name.lower(), p)
    groups = sorted({PurePosixPath(p).parts[0] for p in notes_paths if len(PurePosixPath(p).parts) > 1})
    proposed = {g: propose(g) for g in groups}
    for group, place in (mapping or {}).items():
        if place not in PLACES:
            raise ImportRejected(group, f"cannot be mapped to {place!r}; use one of: {', '.join(PLACES)}")
        if group not in proposed:
            raise ImportRejected(source.label, f"has no top-level folder named {group!r}")
        proposed[group] = place
    notes: list[ImportNote] = []
    attachments: dict[str, int] = {}
    skipped: list[str] = []
    for rel in notes_paths:
        note = _read_note(source, rel, limits, tz, proposed, by_name, skipped)
        notes.append(note)
        for embed in note.embeds:
            attachments[embed] = files[embed]
    skipped += [f"{p}: not a note and not embedded by one" for p in sorted(others - set(attachments))]
    return ImportPlan("obsidian", source.label, notes, proposed, attachments, skipped)


def _read_note(
    source: Source,
    rel: str,
    limits: Limits,
    tz: tzinfo,
    mapping: dict[str, str],
    by_name: dict[str, str],
    skipped: list[str],
) -> ImportNote:
    where = f"{source.label}/{rel}"
    text = decode(where, source.read(rel, limits.max_text_bytes))
    fm, body = split_front_matter(where, text)
    path = PurePosixPath(rel)
    stem = path.stem
    title = (
        str(fm["title"]).strip()
        if isinstance(fm.get("title"), str | int) and str(fm["title"]).strip()
        else stem
    )
    body = body.strip() or f"# {title}"
    if len(body) > MAX_NOTE_CHARS:
        raise ImportRejected(where, f"is longer than a note may be ({MAX_NOTE_CHARS:,} characters)")
    tags = strings(fm.get("tags", fm.get("tag")), words=True) + tuple(markdown.inline_tags(body))
    aliases = strings(fm.get("aliases", fm.get("alias")))
    group = path.parts[0] if len(path.parts) > 1 else ""
    place = mapping.get(group, "none")
    day = markdown.day_of(stem)
    at = moment(fm.get("created", fm.get("date")), tz)
    kind = "import"
    if day is not None and (place in ("daily", "none") or group == ""):
        kind = "daily"
        at = datetime.combine(day, time(12), tzinfo=tz)
    entity = ""
    if place in PARA_TYPES:
        below = path.parts[1:-1]
        entity = stem if place == "person" or not below else below[0]
    links, embed_targets = markdown.links_and_embeds(body)
    embeds: list[str] = []
    for target in embed_targets:
        found = _find_file(target, rel, by_name)
        if found is None:
            if PurePosixPath(target).suffix.lower() not in ("", ".md"):
                skipped.append(f"{rel}: embeds {target}, which is not in the vault")
            else:
                links.append(target)  # ![[Other note]] transcludes a note: a link
            continue
        embeds.append(found)
    return ImportNote(
        key=rel,
        title=title,
        body=body,
        at=at,
        kind=kind,
        group=group,
        entity=entity,
        tags=tuple(dict.fromkeys(tags)),
        aliases=aliases,
        links=tuple(dict.fromkeys(links)),
        embeds=tuple(dict.fromkeys(embeds)),
        meta={"path": rel, "folder": str(path.parent) if len(path.parts) > 1 else ""},
    )


def _find_file(target: str, rel: str, by_name: dict[str, str]) -> str | None:
    """Obsidian's lookup: the path as written (from the vault's root or the note's folder), else any
    file of that name."""
    wanted = PurePosixPath(target)
    for candidate in (wanted, PurePosixPath(rel).parent / wanted):
        if by_name.get(str(candidate).lower()):
            return by_name[str(candidate).lower()]
    return by_name.get(wanted.name.lower())
