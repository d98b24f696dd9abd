"""What must not ship in a coach pack: other people's personal data, and text that is not the creator's.

A creator's books and notes are full of real people: clients in case studies, a friend's phone
number left in an acknowledgements page, an address in an example letter. A pack is copied to every
coachee who installs it, so each of these is listed before publishing, per chunk, with a one-click
redaction. Patterns find what has a shape (emails, phone numbers, street addresses, identity and
account numbers); the on-device NER finds people's names, and a name is reported when it stands
near contact details (a name alone, "Seneca" or "my client Anna", is not personal data worth a
warning; "Anna Berg, anna@…, 555-…" is).

Redaction replaces the span with a bracketed label ("[email]"), so the passage still reads as a
sentence and the creator can see what was there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from engine.inference.base import Entity

_DATE = re.compile(r"\d{4}[-.]\d{2}[-.]\d{2}|\d{2}[-.]\d{2}[-.]\d{4}")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
NAME_WINDOW = 120
"""Characters either side of contact details within which a person's name is reported with them."""

PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "email",
        "an email address",
        re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    ),
    (
        "iban",
        "a bank account number (IBAN)",
        re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"),
    ),
    ("card", "a payment card number", re.compile(r"\b(?:\d{4}[ -]){3}\d{4}\b")),
    ("id", "an identity number (SSN)", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    (
        "id",
        "an identity or passport number",
        re.compile(
            r"\b(?:passport|licen[cs]e|ID|SSN|social security|national insurance|tax)"
            r"(?: (?:no\.?|number|#))?:? *[A-Z0-9][A-Z0-9 -]{5,14}[0-9]\b",
            re.IGNORECASE,
        ),
    ),
    (
        "phone",
        "a phone number",
        re.compile(
            r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,3}(?![\w-])"
        ),
    ),
    (
        "address",
        "a street address",
        re.compile(
            r"\b\d{1,5}[A-Za-z]? (?:[A-Z][a-z]+ ){1,3}(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Ln\.|"
            r"Drive|Dr\.|Boulevard|Blvd\.|Court|Ct\.|Place|Pl\.|Way|Terrace|Close|Square)"
            r"(?:,? (?:Apt\.?|Suite|Flat) ?\w+)?(?:,? [A-Z][a-z]+(?: [A-Z][a-z]+)?)?(?:,? [A-Z]{2})?(?: \d{5})?",
        ),
    ),
)
LABELS = {"email": "[email]", "phone": "[phone]", "address": "[address]", "id": "[ID]", "iban": "[account]",
          "card": "[card]", "name": "[name]"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a chunk: its kind, the exact span and a line saying what it is."""

    kind: str  # email, phone, address, id, iban, card, name
    start: int
    end: int
    text: str
    why: str


NerFn = Callable[[Sequence[str]], list[list[Entity]]]


def pattern_findings(text: str) -> list[Finding]:
    """Everything with the shape of contact details or an identifier; overlapping spans keep the first
    pattern's reading (an IBAN is not also a phone number)."""
    found: list[Finding] = []
    for kind, what, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < f.end and f.start < end for f in found):
                continue
            if kind == "phone" and not _callable(match.group()):
                continue
            found.append(Finding(kind, start, end, match.group(), f"{what}: {match.group()!r}"))
    return sorted(found, key=lambda f: f.start)


def _callable(text: str) -> bool:
    """A number to call has 7 or more digits, and a country code, an area code in brackets or three
    groups or more; "1998-2004" (a range), "12 18" and "2024-05-01" (a date) are not."""
    if sum(c.isdigit() for c in text) < 7 or _DATE.fullmatch(text):
        return False
    return text.startswith(("+", "(")) or len(re.split(r"[ .-]", text)) >= 3


def _same_sentence(text: str, start: int, end: int) -> bool:
    """No sentence ends in ``text[start:end]`` (what lies between a name and contact details)."""
    return _SENTENCE_END.search(text[start:end]) is None


def names_near_contacts(text: str, entities: Iterable[Entity], contacts: Sequence[Finding]) -> list[Finding]:
    """People's names (from the NER) in the same sentence as contact details, at most `NAME_WINDOW`
    characters away ("Tom Price (tom@…)", not "Seneca wrote…" a sentence before an email)."""
    out: list[Finding] = []
    for entity in entities:
        if entity.type != "person" or any(entity.start < f.end and f.start < entity.end for f in contacts):
            continue
        near = [
            f
            for f in contacts
            if f.start - NAME_WINDOW <= entity.end
            and entity.start <= f.end + NAME_WINDOW
            and _same_sentence(text, min(entity.end, f.end), max(entity.start, f.start))
        ]
        if near:
            out.append(
                Finding(
                    "name",
                    entity.start,
                    entity.end,
                    entity.text,
                    f"a person's name next to their contact details: {entity.text!r} with {near[0].kind}",
                )
            )
    return out


def check_texts(texts: Sequence[str], ner: NerFn | None) -> list[list[Finding]]:
    """Findings per text. `ner` is the on-device entity extractor's batch call; without one (no model
    installed) only the patterns run, and names are not looked for."""
    patterns = [pattern_findings(t) for t in texts]
    todo = [i for i, found in enumerate(patterns) if found]  # names matter only beside contact details
    entities = ner([texts[i] for i in todo]) if ner is not None and todo else [[] for _ in todo]
    for i, ents in zip(todo, entities, strict=True):
        patterns[i] = sorted(
            patterns[i] + names_near_contacts(texts[i], ents, patterns[i]), key=lambda f: f.start
        )
    return patterns


def redact(text: str, findings: Iterable[Finding]) -> str:
    """The text with each finding replaced by its label, right to left so the offsets stay true."""
    out = text
    for f in sorted(findings, key=lambda f: f.start, reverse=True):
        if out[f.start : f.end] == f.text:
            out = out[: f.start] + LABELS.get(f.kind, "[removed]") + out[f.end :]
    return out
