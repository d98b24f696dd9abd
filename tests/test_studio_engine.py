"""The coach studio's engine part on real encrypted profiles and real PDFs (made with fpdf2).

A creator's path: three PDFs → extracted pages with flags → chunks edited → content check finds the
personal data planted in one book and redacts it → licences → signing key → signed pack installed;
a new version keeps the coachee's conversation; the preview chat reports its moves and passages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import PASSPHRASE
from test_studio_pdfs import three_books, write_book

from engine.api import Engine, errors
from engine.coaches.signing import load_key

PLAYBOOK = """
[[moves]]
id = "ack-sleep"
kind = "acknowledge"
situations = ["I can't sleep", "I lie awake at night", "insomnia"]
moments = ["opening"]
text = "Nights without sleep wear everything thin; it makes sense you want this solved."

[[moves]]
id = "breath-count"
kind = "technique"
situations = ["I feel anxious", "I can't calm down", "my heart races"]
moments = ["opening", "continuing"]
text = "Try a longer out-breath."
steps = ["Breathe in for four counts.", "Breathe out for six.", "Repeat five times."]

[[moves]]
id = "money-talk"
kind = "question"
situations = ["my budget is a mess"]
moments = ["opening"]
text = "What does a good month of spending look like to you?"
"""


@pytest.fixture
def lexical(tmp_path: Path) -> Engine:
    eng = Engine.create(tmp_path / "profile", PASSPHRASE, use_embedder=False)
    yield eng
    eng.close()


@pytest.fixture
def books(tmp_path: Path) -> list[Path]:
    return three_books(tmp_path / "books")


def _draft_with_books(engine: Engine, books: list[Path]) -> str:
    draft = engine.studio.create("Calm Focus", domain="Health", persona="mentor")
    for book in books:
        engine.studio.add_source(draft.id, book)
    return draft.id


def test_pages_are_extracted_with_the_reason_each_unusable_page_is_flagged(
    lexical: Engine, books: list[Path]
) -> None:
    seen: list[tuple[str, int, int]] = []
    draft = lexical.studio.create("Calm Focus")
    for book in books:
        lexical.studio.add_source(
            draft.id, book, progress=lambda stage, done, total: seen.append((stage, done, total))
        )
    sources = {s.name: s for s in lexical.studio.sources(draft.id)}
    assert [(s.pages, s.flagged) for s in sources.values()] == [(3, 0), (4, 2), (3, 1)]
    focus = {p.number: p for p in lexical.studio.pages(sources["focus.pdf"].id)}
    assert (focus[3].flag, focus[4].flag) == ("chart", "no-text")
    assert "drawing" in focus[3].reason and "OCR" in focus[4].reason
    sleep = lexical.studio.pages(sources["sleep.pdf"].id)
    assert sleep[2].flag == "images" and "1 image" in sleep[2].reason
    assert "Deep work needs a protected block" in focus[1].text
    assert ("extract", 4, 4) in seen and ("extract", 3, 3) in seen
    refs = [c.ref for c in lexical.studio.chunks(draft.id)]
    assert refs == ["calm-1", "calm-2", "calm-3", "focus-1", "focus-2", "sleep-1", "sleep-2"]


def test_chunks_can_be_searched_edited_split_merged_and_excluded(lexical: Engine, books: list[Path]) -> None:
    draft_id = _draft_with_books(lexical, books)
    [caffeine] = lexical.studio.chunks(draft_id, query="caffeine lingers")
    assert caffeine.ref == "sleep-2"
    head, tail = lexical.studio.split_chunk(caffeine.id, caffeine.text.index("Keep coffee"))
    assert (head.ref, tail.ref) == ("sleep-2", "sleep-3")
    assert head.text.endswith("after the cup.") and tail.text.startswith("Keep coffee")
    order = [c.ref for c in lexical.studio.chunks(draft_id) if c.ref.startswith("sleep")]
    assert order == ["sleep-1", "sleep-2", "sleep-3"]
    merged = lexical.studio.merge_chunks(head.id)
    assert merged.text == caffeine.text.replace(" Keep coffee", "\n\nKeep coffee")
    assert [c.ref for c in lexical.studio.chunks(draft_id) if c.ref.startswith("sleep")] == [
        "sleep-1",
        "sleep-2",
    ]
    with pytest.raises(errors.UsageError, match="last chunk"):
        lexical.studio.merge_chunks(merged.id)
    edited = lexical.studio.edit_chunk(merged.id, "Coffee after noon keeps you awake.")
    assert edited.edited and edited.text == "Coffee after noon keeps you awake."
    assert lexical.studio.exclude_chunk(edited.id).excluded
    assert lexical.studio.source(edited.source_id).chunks == 1
    with pytest.raises(errors.UsageError):
        lexical.studio.edit_chunk(edited.id, "   ")


def test_the_content_check_finds_planted_personal_data_and_redacts_it_in_one_call(
    lexical: Engine, books: list[Path]
) -> None:
    draft_id = _draft_with_books(lexical, books)
    report = lexical.studio.check(draft_id)
    assert not report.ready
    [planted] = report.personal
    assert planted.chunk.ref == "calm-3"
    kinds = {f.kind: f.text for f in planted.findings}
    assert kinds["email"] == "maria.lopez@example.com"
    assert kinds["phone"] == "+1 415-555-0132"
    assert kinds["address"].startswith("42 Elm Street")
    assert report.ner and kinds["name"] == "Maria Lopez"  # the on-device NER, beside contact details
    assert report.missing_licence == ["calm.pdf", "focus.pdf", "sleep.pdf"]
    assert len(report.flagged_pages) == 3
    clean = lexical.studio.redact(planted.chunk.id)
    for secret in ("maria.lopez@example.com", "415-555-0132", "Elm Street"):
        assert secret not in clean.text
    assert "[email]" in clean.text and "breathing exercise helped her" in clean.text
    for source in lexical.studio.sources(draft_id):
        lexical.studio.set_source(source.id, licence="CC BY 4.0", author="Dana")
    assert lexical.studio.check(draft_id).ready


def test_a_passage_copied_from_a_well_known_work_is_flagged(lexical: Engine, tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[1] / "assets/coaches/stoic/knowledge/meditations.jsonl"
    quoted = json.loads(corpus.read_text(encoding="utf-8").splitlines()[10])["text"][:600]
    book = write_book(
        tmp_path / "mine.pdf", ["My own words on patience and the long game of habits.", quoted]
    )
    draft = lexical.studio.create("Borrowed")
    lexical.studio.add_source(draft.id, book)
    [flag] = lexical.studio.check(draft.id).copied
    assert flag.work == "Meditations, Marcus Aurelius" and flag.licence == "Public domain"
    assert flag.chunk.ref == "mine-2"


def test_export_is_refused_until_the_check_passes_then_signed_with_the_profiles_key(
    lexical: Engine, books: list[Path], tmp_path: Path
) -> None:
    draft_id = _draft_with_books(lexical, books)
    with pytest.raises(errors.UsageError, match="content check"):
        lexical.studio.export(draft_id, tmp_path / "x.coach")
    for chunk in lexical.studio.check(draft_id).personal:
        lexical.studio.redact(chunk.chunk.id)
    for source in lexical.studio.sources(draft_id):
        lexical.studio.set_source(source.id, licence="All rights reserved, shipped by the author")
    with pytest.raises(errors.UsageError, match="signing key"):
        lexical.studio.export(draft_id, tmp_path / "x.coach")
    publisher = lexical.studio.create_key("Dana Creator")
    with pytest.raises(errors.UsageError, match="already"):
        lexical.studio.create_key("Someone Else")
    report = lexical.studio.export(draft_id, tmp_path / "calm.coach")
    assert report.signed_by == "Dana Creator" and report.passages == 7
    [chunk] = lexical.studio.chunks(draft_id, query="caffeine")
    lexical.studio.edit_chunk(chunk.id, chunk.text + " Ask me: dana@example.org")
    # a passed check does not outlive an edit
    with pytest.raises(errors.UsageError, match=re.escape("'dana@example.org'")):
        lexical.studio.export(draft_id, tmp_path / "later.coach")
    backup = lexical.studio.export_key(tmp_path / "key.json")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert load_key(backup).publisher == publisher
    with pytest.raises(errors.UsageError, match="never written over"):
        lexical.studio.export_key(backup)


def test_a_new_version_installs_over_the_old_one_and_keeps_the_conversation_and_memory(
    lexical: Engine, books: list[Path]
) -> None:
    draft_id = _draft_with_books(lexical, books)
    for chunk in lexical.studio.check(draft_id).personal:
        lexical.studio.redact(chunk.chunk.id)
    for source in lexical.studio.sources(draft_id):
        lexical.studio.set_source(source.id, licence="CC BY 4.0")
    lexical.studio.create_key("Dana Creator")
    first = lexical.studio.install(draft_id)
    assert (first.action, first.version, first.passages) == ("installed", "0.1.0", 7)
    coach = lexical.coaches.get("calm-focus")
    assert coach.manifest.publisher is not None and coach.manifest.publisher.name == "Dana Creator"
    lexical.chat.send("calm-focus", "I worry about everything at night")
    fact = lexical.memory.add_fact("I sleep better after a walk").fact
    [sleep2] = lexical.studio.chunks(draft_id, query="caffeine")
    lexical.studio.exclude_chunk(sleep2.id)
    draft = lexical.studio.bump(draft_id, "minor", "Dropped the caffeine page")
    assert draft.version == "0.2.0" and draft.changelog[-1].notes == "Dropped the caffeine page"
    second = lexical.studio.install(draft_id)
    assert (second.action, second.previous_version, second.passages) == ("updated", "0.1.0", 6)
    assert len(lexical.chat.conversation("calm-focus")) == 2
    assert lexical.memory.get_fact(fact.id).content == "I sleep better after a walk"


def test_preview_replies_report_moves_and_passages_and_analytics_count_them(
    lexical: Engine, books: list[Path]
) -> None:
    draft_id = _draft_with_books(lexical, books)
    with pytest.raises(errors.PackError, match="'money-talk'"):
        lexical.studio.update(draft_id, playbook=PLAYBOOK.replace('kind = "question"', 'kind = "shout"'))
    lexical.studio.update(draft_id, playbook=PLAYBOOK, soul=lexical.studio.persona_template("mentor"))
    lexical.studio.refresh_preview(draft_id)
    first = lexical.studio.preview_send(draft_id, "I can't sleep, I lie awake at night")
    assert "ack-sleep" in first.moves and first.reasoner == "grounded"
    assert "Nights without sleep" in first.text
    second = lexical.studio.preview_send(draft_id, "my heart races and I feel anxious")
    assert "breath-count" in second.moves
    stats = lexical.studio.analytics(draft_id)
    assert stats.turns == 2
    assert dict(stats.move_use)["ack-sleep"] == 1 and dict(stats.move_use)["breath-count"] == 1
    assert stats.unused_moves == ["money-talk"]
    replies = {"I can't sleep, I lie awake at night": first, "my heart races and I feel anxious": second}
    assert stats.quoted_nothing == [m for m, r in replies.items() if not r.passages]
    assert dict(stats.passage_use) == {c.ref: 1 for r in replies.values() for c in r.passages}
    assert lexical.coaches.list() == []  # the preview coach stays hidden
    assert lexical.chat.conversation("studio-preview-calm-focus") == []


def test_a_draft_survives_a_profile_export_and_restore(
    lexical: Engine, books: list[Path], tmp_path: Path
) -> None:
    draft_id = _draft_with_books(lexical, books)
    [planted] = lexical.studio.check(draft_id).personal
    lexical.studio.redact(planted.chunk.id)
    lexical.studio.update(draft_id, playbook=PLAYBOOK)
    publisher = lexical.studio.create_key("Dana Creator")
    lexical.io.export(tmp_path / "backup.zip", password="a long export password")
    with Engine.restore(
        tmp_path / "backup.zip",
        tmp_path / "restored",
        PASSPHRASE,
        password="a long export password",
        use_embedder=False,
    ) as restored:
        assert [d.name for d in restored.studio.drafts()] == ["Calm Focus"]
        assert [c.text for c in restored.studio.chunks(draft_id)] == [
            c.text for c in lexical.studio.chunks(draft_id)
        ]
        assert [s.flagged for s in restored.studio.sources(draft_id)] == [0, 2, 1]
        assert [m.id for m in restored.studio.moves(draft_id)] == ["ack-sleep", "breath-count", "money-talk"]
        assert restored.studio.publisher() == publisher


def test_a_damaged_pdf_is_refused_by_name_and_nothing_of_it_is_kept(lexical: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    draft = lexical.studio.create("Broken")
    with pytest.raises(errors.PackError, match=re.escape("broken.pdf: not a readable PDF")):
        lexical.studio.add_source(draft.id, broken)
    assert lexical.studio.sources(draft.id) == [] and lexical.studio.chunks(draft.id) == []
    with pytest.raises(errors.NotFound, match="neither a file nor a folder"):
        lexical.studio.add_path(draft.id, tmp_path / "missing")
