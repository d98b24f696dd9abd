"""The content check's own rules (engine/studio/content_check.py): what counts as personal data,
what does not, and how a redaction leaves the sentence readable. A unit test of one module."""

from __future__ import annotations

from engine.inference.base import Entity
from engine.studio.content_check import check_texts, names_near_contacts, pattern_findings, redact


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in pattern_findings(text)]


def test_contact_details_and_identifiers_are_found() -> None:
    text = (
        "Write to ana.berg+coach@mail.example.org or call (020) 7946 0958. "
        "SSN 123-45-6789, IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111, "
        "passport no. X1234567. She lives at 221B Baker Street, London."
    )
    assert _kinds(text) == [
        ("email", "ana.berg+coach@mail.example.org"),
        ("phone", "(020) 7946 0958"),
        ("id", "123-45-6789"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("card", "4111 1111 1111 1111"),
        ("id", "passport no. X1234567"),
        ("address", "221B Baker Street, London"),
    ]


def test_years_ranges_and_page_numbers_are_not_personal_data() -> None:
    text = "Between 1998-2004 I ran 3 times a week; see pages 12-18 and chapter 4. In 2019 it was 42 km."
    assert pattern_findings(text) == []


def test_a_name_counts_only_beside_contact_details() -> None:
    text = "Seneca wrote about anger. Later, Tom Price (tom@example.com) asked me about it."
    contacts = pattern_findings(text)
    people = [
        Entity("Seneca", "person", 0, 6, "spacy"),
        Entity("Tom Price", "person", text.index("Tom"), text.index("Tom") + 9, "spacy"),
    ]
    assert [f.text for f in names_near_contacts(text, people, contacts)] == ["Tom Price"]


def test_the_ner_is_asked_only_about_texts_with_contact_details() -> None:
    asked: list[str] = []

    def ner(texts: list[str]) -> list[list[Entity]]:
        asked.extend(texts)
        return [[] for _ in texts]

    found = check_texts(["A quiet paragraph about breathing.", "Mail me: a@b.example"], ner)
    assert asked == ["Mail me: a@b.example"]
    assert [len(f) for f in found] == [0, 1]


def test_redaction_replaces_each_span_with_its_label() -> None:
    text = "Call Maria on +44 20 7946 0958 or maria@example.com today."
    findings = pattern_findings(text)
    assert redact(text, findings) == "Call Maria on [phone] or [email] today."
