"""Obsidian vault import: PARA mapping, daily notes, links, embeds, tags, re-import, near-duplicates,
learning, and a vault that is never modified."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest

from engine.api import Engine
from engine.errors import ImportRejected, ProfileLocked
from testkit.notes_sources import PNG, VaultSpec, write_vault
from tests.conftest import PASSPHRASE, snapshot


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return write_vault(tmp_path / "vault", VaultSpec(notes=12, daily=4))


@pytest.fixture
def lexical(tmp_path: Path) -> Engine:
    eng = Engine.create(tmp_path / "profile", PASSPHRASE, use_embedder=False)
    yield eng
    eng.close()


def test_preview_proposes_a_para_mapping_and_writes_nothing(lexical: Engine, vault: Path) -> None:
    preview = lexical.io.preview_obsidian(vault)
    assert preview.mapping == {
        "1 Projects": "project",
        "2 Areas": "area",
        "Daily": "daily",
        "Inbox": "none",
        "People": "person",
    }
    assert preview.notes == 12 + 4 + 4 and preview.daily == 4 and preview.new == preview.notes
    assert preview.attachments == 1 and preview.counts["Inbox"] == 12
    assert lexical.notes.count() == 0 and lexical.memory.list_entities() == []


def test_import_maps_folders_links_embeds_and_dates(lexical: Engine, vault: Path, tmp_path: Path) -> None:
    before = snapshot(vault)
    report = lexical.io.import_obsidian(vault, {"Inbox": "resource"})
    assert snapshot(vault) == before  # the vault is only read
    assert report.added == 20 and report.attachments == 1 and report.unresolved_links == 0
    names = {(e.type, e.name) for e in lexical.memory.list_entities()}
    assert {
        ("project", "Website"),
        ("project", "Launch checklist"),
        ("area", "Health"),
        ("person", "Sarah Kim"),
    } <= names
    assert ("resource", "idea 00003") in names
    assert set(lexical.memory.entity("SK").aliases) == {"Sarah", "SK"}  # aliases from front matter
    kickoff = lexical.notes.search("kickoff")[0].note
    assert kickoff.created_at.startswith("2025-03-02") and kickoff.kind == "import"
    daily = lexical.notes.list(kind="daily", day="2025-01-02")
    assert len(daily) == 1 and daily[0].source == "import"
    # [[Sarah Kim|Sarah]] and [[Launch checklist]] are graph edges; the vault's image is attached
    assert [e.name for e in lexical.memory.path_between("Website", "Sarah Kim")] == ["Website", "Sarah Kim"]
    lexical.io.export(tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        images = [n for n in zf.namelist() if n.endswith("diagram.png")]
        assert images and zf.read(images[0]) == PNG
        tags = zf.read("data/note_tags.jsonl").decode()
    assert '"tag": "launch"' in tags and '"tag": "design"' in tags  # front matter and inline #tags


def test_reimport_adds_nothing_twice_and_follows_edits(lexical: Engine, vault: Path) -> None:
    lexical.io.import_obsidian(vault)
    again = lexical.io.import_obsidian(vault)
    assert (again.added, again.unchanged, again.superseded) == (0, 20, 0)
    (vault / "Inbox" / "idea 00001.md").write_text(
        "Rewritten: the idea is now about cycling to work.\n", encoding="utf-8"
    )
    edited = lexical.io.import_obsidian(vault)
    assert (edited.added, edited.superseded, edited.unchanged) == (0, 1, 19)
    hits = lexical.notes.search("cycling")
    assert len(hits) == 1 and lexical.notes.count() == 20  # the old version is kept, superseded


def test_a_failed_import_rolls_back_everything(lexical: Engine, vault: Path, tmp_path: Path) -> None:
    """Locking the profile in the middle of the write stops it at its next safe point; the open
    transaction rolls back, and the reopened profile holds nothing of the import."""
    lexical.notes.add("written before the import")
    started = threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "notes" and not started.is_set():
            started.set()
            threading.Thread(target=lexical.close).start()
            time.sleep(0.3)  # the lock is now waiting for this call

    with pytest.raises(ProfileLocked):
        lexical.io.import_obsidian(vault, progress=progress)
    with Engine.open(tmp_path / "profile", PASSPHRASE, use_embedder=False) as reopened:
        assert [n.title for n in reopened.notes.list()] == ["written before the import"]
        assert reopened.memory.list_entities() == []
        assert reopened.io.preview_obsidian(vault).new == 20


def test_imported_notes_are_searchable_then_learned(engine: Engine, vault: Path) -> None:
    report = engine.io.import_obsidian(vault)
    assert report.added == 20
    assert engine.notes.search("designer")  # full text, as soon as the import returns
    assert engine.io.unlearned() == 20
    engine.io.learn_in_background()
    deadline = time.monotonic() + 120
    while engine.io.learning().running or engine.io.learning().done < 20:
        assert time.monotonic() < deadline, engine.io.learning()
        time.sleep(0.2)
    assert engine.io.learning().error is None and engine.io.unlearned() == 0
    hits = engine.memory.recall("who designs the website?")
    assert hits and any("designer" in h.text for h in hits[:3])
    people = {e.name for e in engine.memory.list_entities("person")}
    assert "Sarah Kim" in people


def test_near_duplicates_by_meaning_are_listed_not_imported(engine: Engine, tmp_path: Path) -> None:
    engine.notes.add("The dentist appointment is now on Thursday at 3 pm, not Monday.")
    engine.notes.add("Grocery list: oat milk, rye bread, apples, coffee beans.")
    engine.memory.refresh_index()
    vault = tmp_path / "v"
    vault.mkdir()
    (vault / "goal.md").write_text(
        "Moved the dentist appointment from Monday to Thursday, 3pm.\n", encoding="utf-8"
    )
    (vault / "other.md").write_text(
        "Ran 8 km along the river before work; legs felt heavy.\n", encoding="utf-8"
    )
    preview = engine.io.preview_obsidian(vault)
    assert [n.key for n in preview.near_duplicates] == ["goal.md"]
    assert preview.near_duplicates[0].existing_title.startswith("The dentist appointment")
    report = engine.io.import_obsidian(vault)
    assert report.added == 1 and [n.key for n in report.near_duplicates] == ["goal.md"]


def test_mapping_to_an_unknown_place_or_folder_is_refused(lexical: Engine, vault: Path) -> None:
    with pytest.raises(ImportRejected, match=r"Inbox.*'projects'"):
        lexical.io.preview_obsidian(vault, {"Inbox": "projects"})
    with pytest.raises(ImportRejected, match="no top-level folder named 'Nope'"):
        lexical.io.preview_obsidian(vault, {"Nope": "area"})
