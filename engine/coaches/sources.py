"""From a creator's files to passages: extraction (Markdown, text, PDF, JSONL) and structure-aware chunking.

Chunks follow the structure of the text: a heading starts a new chunk and names it, paragraphs are
kept whole where they fit, and a chunk never exceeds the embedder's window (title included), so no
sentence is silently cut off when it is embedded. A paragraph too long for the window is split at
sentence ends. JSONL files hold passages that are already cut (a corpus with citation ids, such as
the Stoic one): they are kept exactly, ids included, because a coachee's citations must stay stable
across pack versions; retrieval embeds long ones in windows.

PDF text comes from pypdf (BSD-3-Clause, pure Python). A page without a text layer (a scan) yields
nothing; it is reported in `Extracted.flagged` so the creator can OCR it, never dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.coaches.pack import Passage
from engine.errors import PackError
from engine.retrieval import chunking
from engine.retrieval.knowledge import document_key

SUPPORTED = (".md", ".markdown", ".txt", ".pdf", ".jsonl")
MIN_PAGE_CHARS = 20  # fewer extracted characters than this: the page has no usable text layer
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_TXT_HEADING = re.compile(
    r"^(?:(?:chapter|part|book|section)\b.{0,60}|[A-Z][A-Z0-9 ,:'’\-]{2,60})$", re.IGNORECASE
)


@dataclass
class Extracted:
    passages: list[Passage] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # "book.pdf p. 3: no text layer (scanned?)"


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one heading (the unit that chunking packs)."""

    title: str
    paragraphs: list[str]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "doc"


def markdown_sections(text: str, doc_title: str) -> list[Section]:
    """Split Markdown at headings; the section title is the heading path ("Sleep › Caffeine")."""
    sections: list[Section] = []
    path: list[str] = []
    paragraphs: list[str] = []
    current: list[str] = []

    def end_paragraph() -> None:
        if current:
            paragraphs.append(" ".join(s.strip() for s in current).strip())
            current.clear()

    def end_section() -> None:
        end_paragraph()
        if paragraphs:
            sections.append(Section(" › ".join(path) if path else doc_title, list(paragraphs)))
            paragraphs.clear()

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            end_section()
            level = len(match.group(1))
            path[:] = [*path[: level - 1], match.group(2).strip()]
        elif not line.strip():
            end_paragraph()
        else:
            current.append(line)
    end_section()
    return sections


def text_sections(text: str, doc_title: str) -> list[Section]:
    """Plain text: blank lines part paragraphs; a short line like "CHAPTER II" or all capitals is a heading."""
    sections: list[Section] = []
    title = doc_title
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if len(lines) == 1 and _TXT_HEADING.match(lines[0]) and not lines[0].endswith((".", "!", "?")):
            if paragraphs:
                sections.append(Section(title, paragraphs))
                paragraphs = []
            title = f"{doc_title} › {lines[0].title() if lines[0].isupper() else lines[0]}"
            continue
        paragraphs.append(" ".join(lines))
    if paragraphs:
        sections.append(Section(title, paragraphs))
    return sections


def pdf_sections(path: Path, doc_title: str, flagged: list[str]) -> list[Section]:
    """One section per page (PDF pages rarely carry reliable headings); empty pages are flagged."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise PackError(f"{path.name}: not a readable PDF ({exc})") from None
    sections: list[Section] = []
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text() or ""
        if len(text.strip()) < MIN_PAGE_CHARS:
            flagged.append(f"{path.name} p. {number}: no text layer (scanned?); OCR it to include it")
            continue
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
        if len(paragraphs) == 1:  # many PDFs have no blank lines: fall back to sentence groups
            paragraphs = chunking.split_sentences(paragraphs[0])
        sections.append(Section(f"{doc_title}, p. {number}", paragraphs))
    return sections


def pack_sections(
    sections: Sequence[Section],
    *,
    stem: str,
    source: str,
    max_tokens: int,
    count_tokens: chunking.TokenCounter = chunking.estimate_tokens,
) -> list[Passage]:
    """Greedy packing of whole paragraphs into chunks of at most `max_tokens` with their title.

    Chunks never cross a heading (a section is one topic and the title must be true of all of it).
    """
    passages: list[Passage] = []
    for section in sections:
        budget = max(16, max_tokens - count_tokens([section.title + "."])[0])
        pieces: list[str] = []
        for paragraph in section.paragraphs:
            pieces.extend(chunking.passage_windows(paragraph, budget, count_tokens, overlap=0))
        sizes = count_tokens(pieces) if pieces else []
        chunks: list[str] = []
        current: list[str] = []
        used = 2
        for piece, size in zip(pieces, sizes, strict=True):
            if current and used + size - 2 > budget:
                chunks.append("\n\n".join(current))
                current, used = [], 2
            current.append(piece)
            used += size - 2
        if current:
            chunks.append("\n\n".join(current))
        doc = slug(section.title)
        for position, chunk in enumerate(chunks):
            ref = f"{stem}-{len(passages) + 1}"
            passages.append(Passage(ref, chunk, section.title, f"{stem}/{doc}", position, source))
    return passages


def jsonl_passages(path: Path) -> list[Passage]:
    """Passages already cut, one JSON object a line: `_id` (or `ref`), `title`, `text`."""
    out: list[Passage] = []
    positions: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            ref, text = str(d.get("_id") or d["ref"]), str(d["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise PackError(
                f"{path.name} line {number}: expected an object with _id (or ref) and text"
            ) from None
        title = str(d.get("title", ""))
        doc = document_key(ref, title)
        positions[doc] = positions.get(doc, -1) + 1
        out.append(Passage(ref, text, title, doc, positions[doc], path.name))
    return out


def extract(
    path: Path,
    *,
    max_tokens: int,
    count_tokens: chunking.TokenCounter = chunking.estimate_tokens,
) -> Extracted:
    """Passages of one source file, chunked to fit `max_tokens` (JSONL passages are kept as they are)."""
    suffix = path.suffix.lower()
    result = Extracted()
    if suffix == ".jsonl":
        result.passages = jsonl_passages(path)
        return result
    doc_title = path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    if suffix in (".md", ".markdown"):
        text = path.read_text(encoding="utf-8")
        first = next((m.group(2) for m in map(_HEADING.match, text.splitlines()) if m), None)
        sections = markdown_sections(text, first or doc_title)
    elif suffix == ".txt":
        sections = text_sections(path.read_text(encoding="utf-8", errors="replace"), doc_title)
    elif suffix == ".pdf":
        sections = pdf_sections(path, doc_title, result.flagged)
    else:
        raise PackError(f"{path.name}: unsupported source type (use {', '.join(SUPPORTED)})")
    result.passages = pack_sections(
        sections, stem=slug(path.stem), source=path.name, max_tokens=max_tokens, count_tokens=count_tokens
    )
    return result
