"""A Google Keep Takeout read into an import plan: JSON where it exists, HTML where only that does.

Takeout's folder names are translated into the account's language ("Takeout/Keep", "Takeout/Notizen"
…), so nothing here depends on them: a JSON file is a Keep note when it has Keep's fields, and an
HTML file is one when it holds Keep's `note` markup and has no JSON twin beside it. Checklists keep
their checked state as Markdown task items, labels become tags (and, as mapped, areas), pinned,
archived and trashed are kept (archived and trashed notes are imported archived, with a tag that
says which), attachments are kept, and the original created and edited times are the note's.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any

from engine.errors import ImportRejected
from engine.io.limits import Limits
from engine.io.model import PLACES, ImportNote, ImportPlan
from engine.io.sources import Source
from engine.io.text import decode

MAX_NOTE_CHARS = 1_000_000
_KEEP_FIELDS = {"textContent", "listContent", "textContentHtml"}
_TIME_FIELDS = {"userEditedTimestampUsec", "createdTimestampUsec"}


def read(source: Source, limits: Limits, tz: tzinfo, mapping: dict[str, str] | None = None) -> ImportPlan:
    files = source.files()
    json_stems = {p[: -len(".json")] for p in files if p.lower().endswith(".json")}
    notes: list[ImportNote] = []
    attachments: dict[str, int] = {}
    skipped: list[str] = []
    for rel in files:
        lower = rel.lower()
        where = f"{source.label}: {rel}"
        if lower.endswith(".json"):
            data = _load_json(where, source.read(rel, limits.max_text_bytes))
            if not (isinstance(data, dict) and data.keys() & _KEEP_FIELDS and data.keys() & _TIME_FIELDS):
                skipped.append(f"{rel}: not a Keep note")
                continue
            note = _from_json(where, rel, data, tz)
        elif lower.endswith(".html"):
            if rel[: -len(".html")] in json_stems:
                continue  # the JSON twin says the same, with exact times
            text = decode(where, source.read(rel, limits.max_text_bytes))
            if 'class="note' not in text:
                skipped.append(f"{rel}: not a Keep note")
                continue
            note = _from_html(where, rel, text)
        else:
            continue
        found: list[str] = []
        for name in note.embeds:
            candidate = str(PurePosixPath(rel).parent / name) if "/" in rel else name
            match = (
                candidate
                if candidate in files
                else next((p for p in files if PurePosixPath(p).name == PurePosixPath(name).name), None)
            )
            if match is None:
                skipped.append(f"{rel}: attachment {name} is not in the takeout")
                continue
            found.append(match)
            attachments[match] = files[match]
        notes.append(_replace_embeds(note, found))
    labels = sorted({n.group for n in notes if n.group})
    proposed = {label: "area" for label in labels}
    for label, place in (mapping or {}).items():
        if place not in PLACES:
            raise ImportRejected(label, f"cannot be mapped to {place!r}; use one of: {', '.join(PLACES)}")
        if label not in proposed:
            raise ImportRejected(source.label, f"has no label named {label!r}")
        proposed[label] = place
    notes = [_with_entity(n, proposed) for n in notes]
    covered = set(attachments)
    for rel in files:
        if not rel.lower().endswith((".json", ".html")) and rel not in covered:
            skipped.append(f"{rel}: not a note and not attached to one")
    return ImportPlan("keep", source.label, notes, proposed, attachments, skipped)


def _load_json(where: str, data: bytes) -> Any:
    text = decode(where, data)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            where, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise ImportRejected(where, "is JSON nested too deeply to be a note") from None


def _text(where: str, data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ImportRejected(where, f"has a {key!r} that is not text")
    return value


def _moment(where: str, data: dict[str, Any], key: str, tz: tzinfo) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 10**17:
        raise ImportRejected(where, f"has a {key!r} that is not a time in microseconds")
    return datetime.fromtimestamp(value / 1_000_000, UTC).astimezone(tz) if value else None


def _from_json(where: str, rel: str, data: dict[str, Any], tz: tzinfo) -> ImportNote:
    title = _text(where, data, "title").strip()
    body = _text(where, data, "textContent").strip()
    items = data.get("listContent") or []
    if not isinstance(items, list):
        raise ImportRejected(where, "has a 'listContent' that is not a list")
    lines = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
            raise ImportRejected(where, "has a checklist item that is not text")
        mark = "x" if item.get("isChecked") is True else " "
        lines.append(f"- [{mark}] {item.get('text', '').strip()}")
    if lines:
        body = (body + "\n\n" if body else "") + "\n".join(lines)
    for a in data.get("annotations") or []:
        if isinstance(a, dict) and isinstance(a.get("url"), str):
            body += f"\n\n[{a.get('title') or a['url']}]({a['url']})"
    labels_raw = data.get("labels") or []
    if not isinstance(labels_raw, list):
        raise ImportRejected(where, "has 'labels' that are not a list")
    labels = [
        str(lab["name"]).strip()
        for lab in labels_raw
        if isinstance(lab, dict) and isinstance(lab.get("name"), str)
    ]
    files_raw = data.get("attachments") or []
    if not isinstance(files_raw, list):
        raise ImportRejected(where, "has 'attachments' that are not a list")
    embeds = [
        str(f["filePath"]) for f in files_raw if isinstance(f, dict) and isinstance(f.get("filePath"), str)
    ]
    created = _moment(where, data, "createdTimestampUsec", tz)
    edited = _moment(where, data, "userEditedTimestampUsec", tz)
    flags = {k: data.get(k) is True for k in ("isPinned", "isArchived", "isTrashed")}
    return _note(where, rel, title, body, created or edited, labels, embeds, flags, edited, data.get("color"))


def _note(
    where: str,
    rel: str,
    title: str,
    body: str,
    at: datetime | None,
    labels: list[str],
    embeds: list[str],
    flags: dict[str, bool],
    edited: datetime | None,
    color: Any,
) -> ImportNote:
    if not body.strip() and not title and not embeds:
        body = "(empty Keep note)"
    if len(body) > MAX_NOTE_CHARS:
        raise ImportRejected(where, f"is longer than a note may be ({MAX_NOTE_CHARS:,} characters)")
    title = title or PurePosixPath(rel).stem
    tags = list(labels)
    tags += [
        name
        for key, name in (("isPinned", "pinned"), ("isArchived", "archived"), ("isTrashed", "trashed"))
        if flags.get(key)
    ]
    return ImportNote(
        key=rel,
        title=title,
        body=body.strip() or f"# {title}",
        at=at,
        group=labels[0] if labels else "",
        tags=tuple(dict.fromkeys(tags)),
        embeds=tuple(embeds),
        archived=flags.get("isArchived", False) or flags.get("isTrashed", False),
        meta={
            "pinned": flags.get("isPinned", False),
            "archived": flags.get("isArchived", False),
            "trashed": flags.get("isTrashed", False),
            "edited": edited.isoformat() if edited else None,
            "color": color if isinstance(color, str) else None,
            "labels": labels,
        },
    )


def _replace_embeds(note: ImportNote, found: list[str]) -> ImportNote:
    return replace(note, embeds=tuple(found))


def _with_entity(note: ImportNote, mapping: dict[str, str]) -> ImportNote:
    return replace(
        note, entity=note.group if mapping.get(note.group, "none") not in ("none", "daily") else ""
    )


class _KeepHtml(HTMLParser):
    """Keep's HTML export: a `note` div with `title`, `content` (or a checklist), `label-name`s."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.title: list[str] = []
        self.content: list[str] = []
        self.labels: list[str] = []
        self.items: list[tuple[bool, list[str]]] = []
        self.images: list[str] = []
        self.flags = {"isArchived": False, "isTrashed": False, "isPinned": False}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("br",) and self._in("content"):
            self.content.append("\n")
            return
        if tag == "img" and dict(attrs).get("src"):
            src = str(dict(attrs)["src"])
            if not src.startswith("data:"):
                self.images.append(src)
            return
        if "listitem" in classes:
            self.items.append(("checked" in classes, []))
        for flag, cls in (("isArchived", "archived"), ("isTrashed", "trashed"), ("isPinned", "pinned")):
            if cls in classes:
                self.flags[flag] = True
        if tag not in ("br", "img", "meta", "link", "input", "hr"):
            self.stack.append(" ".join(classes))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "img", "meta", "link", "input", "hr") and self.stack:
            self.stack.pop()

    def _in(self, cls: str) -> bool:
        return any(cls in s.split() for s in self.stack)

    def handle_data(self, data: str) -> None:
        if self._in("title"):
            self.title.append(data)
        elif self._in("label-name"):
            self.labels.append(data.strip())
        elif self._in("listitem") and self.items:
            if self._in("text"):
                self.items[-1][1].append(data)
        elif self._in("content"):
            self.content.append(data)


def _from_html(where: str, rel: str, text: str) -> ImportNote:
    parser = _KeepHtml()
    try:
        parser.feed(text)
        parser.close()
    except (ValueError, AssertionError) as exc:
        raise ImportRejected(where, f"is not readable HTML ({exc})") from None
    title = html.unescape("".join(parser.title)).strip()
    body = "".join(parser.content).strip()
    if parser.items:
        body = (body + "\n\n" if body else "") + "\n".join(
            f"- [{'x' if done else ' '}] {''.join(words).strip()}" for done, words in parser.items
        )
    if not title and not body and not parser.images:
        raise ImportRejected(where, "has Keep's note markup but no title, text or checklist in it")
    labels = [lab for lab in parser.labels if lab]
    return _note(where, rel, title, body, None, labels, parser.images, parser.flags, None, None)
