"""Google Keep Takeout import: JSON preferred over HTML, any locale's folder names, labels, checklists,
pinned/archived/trashed, attachments and original timestamps."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.api import Engine
from testkit.notes_sources import PNG, write_takeout
from tests.conftest import PASSPHRASE


@pytest.fixture
def lexical(tmp_path: Path) -> Engine:
    eng = Engine.create(tmp_path / "profile", PASSPHRASE, use_embedder=False)
    yield eng
    eng.close()


@pytest.mark.parametrize("folder", ["Takeout/Keep", "Takeout/Notizen", "Google Takeout/グーグル Keep"])
def test_keep_takeout_in_any_locale(lexical: Engine, tmp_path: Path, folder: str) -> None:
    zip_path = write_takeout(tmp_path / "takeout.zip", notes=12, folder=folder)
    preview = lexical.io.preview_keep(zip_path)
    assert preview.notes == 13  # 12 JSON notes (their HTML twins are not read twice) + 1 HTML-only
    assert preview.mapping == {"Health": "area", "Home": "area", "Work": "area"}
    report = lexical.io.import_keep(zip_path, {"Work": "project"})
    assert report.added == 13 and report.attachments == 1
    assert {(e.type, e.name) for e in lexical.memory.list_entities(include_archived=True)} == {
        ("area", "Health"),
        ("area", "Home"),
        ("project", "Work"),
    }


def test_keep_details_survive(lexical: Engine, tmp_path: Path) -> None:
    zip_path = write_takeout(tmp_path / "takeout.zip", notes=8)
    lexical.io.import_keep(zip_path)
    checklist = lexical.notes.search('"Keep 1"')[0].note
    assert "- [x] milk" in checklist.body and "- [ ] eggs" in checklist.body
    assert checklist.created_at.startswith("2023-05-02T09:30")  # createdTimestampUsec, not now
    shopping = lexical.notes.search("bread")[0].note
    assert shopping.title == "Shopping" and "- [x] bread" in shopping.body and "- [ ] apples" in shopping.body
    active = {n.title for n in lexical.notes.list(limit=100)}
    assert "Keep 3" not in active and "Keep 4" not in active  # archived and trashed: kept, archived
    lexical.io.export(tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        tags = zf.read("data/note_tags.jsonl").decode()
        sources = zf.read("data/import_sources.jsonl").decode()
        notes = zf.read("data/notes.jsonl").decode()
        photo = [n for n in zf.namelist() if n.endswith("photo.png")]
        assert photo and zf.read(photo[0]) == PNG
    for tag in ("pinned", "archived", "trashed", "Health", "Work", "Ideas"):
        assert f'"tag": "{tag}"' in tags
    assert '\\"trashed\\": true' in sources and '\\"pinned\\": true' in sources
    assert notes.count('"status": "archived"') == 2
    again = lexical.io.import_keep(zip_path)
    assert again.added == 0 and again.unchanged == 9


def test_an_unpacked_takeout_folder_imports_the_same(lexical: Engine, tmp_path: Path) -> None:
    zip_path = write_takeout(tmp_path / "takeout.zip", notes=6, folder="Takeout/Keep")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path / "unpacked")  # the test's own archive, unpacked as a person would
    preview = lexical.io.preview_keep(tmp_path / "unpacked")
    assert preview.notes == 7 and preview.attachments == 1
    assert lexical.io.import_keep(tmp_path / "unpacked").added == 7
    assert lexical.io.import_keep(zip_path).added == 0  # the same notes, from the ZIP: nothing twice
